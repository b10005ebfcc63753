# 412_federation_submit_experiment.pl — automl_submit_experiment(query,
# strict, nodes): the job form of automl_experiment over federation nodes.
#
# The three clusters: 400_federation.pm; the centre is restarted with
# shared_preload_libraries = 'automl' (the job scheduler).  The analyst
# (non-superuser) has password user mappings for hb and hc.
#
# Checked: the job, submitted by analyst with nodes, succeeds; its
# woken.job_result row (job_id = the job id) equals the synchronous
# automl_experiment with the same query and nodes run by analyst — every
# item's type, algorithm, error, data (naiveBayes' PFA document,
# statisticsSummary's table) and the k-fold validation over the nodes —
# apart from the per-run keys (jobId, timestamp, the final model's id in
# the PFA document's name and metadata); the job's arguments hold the
# nodes; the nodes logged the job's calls as role fed; the old 2-argument
# call still works (a job without nodes); refused at submit: an unknown
# node (42704), a node whose server the submitter may not use (42501), an
# empty list (22023); a node down: the job succeeds with the feedback
# naming it, and with strict => true it fails with 08006.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use JSON::PP;
use FindBin;
use lib $FindBin::RealBin;
require '400_federation.pm';

my ($nodes, $centre) = FedTest::setup();
my %node = %$nodes;
my $all = '{local,hb,hc}';
FedTest::set_min_group_size(1);

$centre->append_conf('postgresql.conf', "shared_preload_libraries = 'automl'\nautoml.database = 'postgres'\nmax_worker_processes = 16\n");
$centre->restart;
$centre->safe_psql('postgres', q{
	CREATE USER MAPPING FOR analyst SERVER srv_hb OPTIONS (user 'fed', password 'fed-secret');
	CREATE USER MAPPING FOR analyst SERVER srv_hc OPTIONS (user 'fed', password 'fed-secret');
	CREATE ROLE outsider LOGIN;
	GRANT USAGE ON SCHEMA science TO outsider;
	GRANT SELECT ON science.cde_features_a TO outsider;
});

my @features = qw(lefthippocampus righthippocampus gender agegroup);
my $cov = join(', ', map { qq{{"code": "$_"}} } @features);
my $query = qq~'{"user": {"code": "u"}, "targetTable": {"dbSchema": "science", "name": "cde_features_a"}, ~
	. qq~"variables": [{"code": "alzheimerbroadcategory"}], "covariables": [$cov], ~
	. qq~"algorithms": [{"code": "naiveBayes"}, {"code": "statisticsSummary"}, {"code": "knn"}], ~
	. qq~"validations": [{"code": "kfold", "parameters": [{"code": "k", "value": "3"}]}]}'::jsonb~;

# the parts of an experiment's data that describe the run rather than the result
sub normalise
{
	my ($v) = @_;
	if (ref $v eq 'HASH')
	{
		delete @$v{qw(jobId timestamp)};
		# each run stores its own final model: its id is in the PFA document's name and metadata
		$v->{'automl.model_id'} = 'N' if exists $v->{'automl.model_id'};
		$v->{name} =~ s/^automl_model_\d+$/automl_model_N/ if defined $v->{name} && !ref $v->{name};
		normalise($_) for values %$v;
	}
	elsif (ref $v eq 'ARRAY') { normalise($_) for @$v; }
	return $v;
}
my $json = JSON::PP->new->canonical;
sub canon { return $json->encode(normalise(decode_json($_[0]))); }

# ---------------------------------------------------------------- the job against the synchronous call
my $job = $centre->safe_psql('postgres', qq{SET ROLE analyst; SELECT automl_submit_experiment($query, nodes => '$all')});
like($job, qr/^\d+$/, "automl_submit_experiment with nodes returns a job id ($job)");
is($centre->safe_psql('postgres', "SELECT arguments->'nodes' FROM automl.jobs WHERE id = $job"), '["local", "hb", "hc"]',
	'... the nodes are the job\'s arguments');
is($centre->safe_psql('postgres', "SET ROLE analyst; SELECT automl_wait($job, '300 s')"), 'succeeded', 'the job succeeds')
	or diag($centre->safe_psql('postgres', "SELECT sqlstate || ' ' || error FROM automl.jobs WHERE id = $job"));
my $async = $centre->safe_psql('postgres', qq{SET ROLE analyst; SELECT data FROM automl_job_result($job)});
my $sync = $centre->safe_psql('postgres', qq{SET ROLE analyst; SET client_min_messages = warning;
	SELECT automl_experiment($query, false, '$all')->>'data'});
ok(length($async) > 1000, 'the job\'s woken.job_result row has the experiment\'s data (' . length($async) . ' characters)');
my ($ca, $cs) = (canon($async), canon($sync));
is($ca, $cs, 'the job\'s result equals the synchronous automl_experiment over the same nodes (apart from jobId, timestamp and the model id)')
	or diag('first difference at ' . (grep { substr($ca, $_, 1) ne substr($cs, $_, 1) } 0 .. length($ca))[0] . ": $ca");
my $items = decode_json($async);
is(join(',', map { $_->{algorithmSpec}{code} . ':' . ($_->{error} ? 'error' : $_->{type}) } @$items),
	'naiveBayes:application/pfa+json,statisticsSummary:application/vnd.dataresource+json,knn:error',
	'... naiveBayes and statisticsSummary over the nodes, knn an error item (no federated form)')
	or diag($async);
is($items->[0]{validations}[0]{data}{type}, 'KFoldCrossValidationScore', '... naiveBayes k-fold validated over the nodes');
ok($node{hb}->safe_psql('postgres', q{SELECT count(*) FROM automl.federation_log WHERE function = 'automl.node_nb_validate' AND caller = 'fed'}) >= 2,
	'hb answered the job\'s and the synchronous call\'s validation rounds as role fed');

# ---------------------------------------------------------------- the 2-argument form still works
{
	my $local = $centre->safe_psql('postgres', qq{SET ROLE analyst; SELECT automl_submit_experiment(
		'{"targetTable": {"dbSchema": "science", "name": "pooled"}, "variables": [{"code": "lefthippocampus"}], "covariables": [{"code": "righthippocampus"}], "algorithms": [{"code": "linearRegression"}]}', false)});
	is($centre->safe_psql('postgres', "SET ROLE analyst; SELECT automl_wait($local, '120 s')"), 'succeeded',
		'automl_submit_experiment(query, strict) without nodes: a local job, succeeded');
	is($centre->safe_psql('postgres', "SELECT arguments ? 'nodes' FROM automl.jobs WHERE id = $local"), 'f', '... no nodes in its arguments');
}

# ---------------------------------------------------------------- refused at submit
my ($rc, $out, $err) = $centre->psql('postgres', qq{\\set VERBOSITY verbose
	SET ROLE analyst; SELECT automl_submit_experiment($query, nodes => '{local,nosuch}')});
like($err, qr/ERROR:  42704: federation node "nosuch" does not exist/, 'an unknown node: 42704 at submit');
($rc, $out, $err) = $centre->psql('postgres', qq{\\set VERBOSITY verbose
	SET ROLE outsider; SELECT automl_submit_experiment($query, nodes => '{local,hb}')});
like($err, qr/ERROR:  42501: permission denied for foreign server srv_hb of node "hb"/, 'a node whose server the submitter may not use: 42501 at submit');
($rc, $out, $err) = $centre->psql('postgres', qq{\\set VERBOSITY verbose
	SET ROLE analyst; SELECT automl_submit_experiment($query, nodes => '{}')});
like($err, qr/ERROR:  22023: automl_submit_experiment: nodes is empty/, 'an empty node list: 22023');

# ---------------------------------------------------------------- a node down
$node{hc}->stop;
{
	my $down = $centre->safe_psql('postgres', qq{SET ROLE analyst; SELECT automl_submit_experiment($query, nodes => '$all')});
	is($centre->safe_psql('postgres', "SET ROLE analyst; SELECT automl_wait($down, '300 s')"), 'succeeded', 'hc down: the job succeeds');
	my $data = decode_json($centre->safe_psql('postgres', qq{SET ROLE analyst; SELECT data FROM automl_job_result($down)}));
	my @fb = grep { my $e = encode_json($_); $e =~ /\bhc\b/ && $e =~ /could not connect/ } map { @{ $_->{feedback} // [] } } @$data;
	ok(scalar @fb, '... its items\' feedback names hc, which could not be connected to')
		or diag(encode_json([map { $_->{feedback} } @$data]));
	my $strict = $centre->safe_psql('postgres', qq{SET ROLE analyst; SELECT automl_submit_experiment($query, true, '$all')});
	is($centre->safe_psql('postgres', "SET ROLE analyst; SELECT automl_wait($strict, '300 s')"), 'failed', 'strict => true: the job fails');
	is($centre->safe_psql('postgres', "SELECT sqlstate FROM automl.jobs WHERE id = $strict"), '08006', '... with 08006');
}
$node{hc}->start;

done_testing();
