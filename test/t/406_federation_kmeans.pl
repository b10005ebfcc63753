# 406_federation_kmeans.pl — automl_fit(NULL target, 'kmeans', nodes => ...):
# Lloyd's iterations over federation nodes.
#
# The three clusters and their data: 400_federation.pm (hospitals h1 = the
# centre, also 'local', h2 = hb, h3 = hc; science.pooled = the union).
#
# Checked: from given initial centres (params "init"), the federated fit's
# centres, sizes, inertia and iteration count equal Lloyd's algorithm run
# here in Perl on the pooled complete rows with the local fit's rules
# (nearest centre first on ties, stop when no label changes or the squared
# shift <= tol x mean feature variance) within 1e-10 relative; with the
# nodes' initialisation, the inertia is within 2% of automl_fit's k-means
# on the pooled rows (10 k-means++ starts; measured ratio printed);
# automl_predict serves the model (cluster sizes = predictions on the pooled
# rows); the nodes' log (init and Lloyd rounds); a node under
# automl.min_group_size suppressed, the fit goes on; a node down: warning,
# strict => 08006; a categorical feature refused (0A000).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use List::Util qw(max sum);
use FindBin;
use lib $FindBin::RealBin;
require '400_federation.pm';
require 'kmeans_reference.pm';
KmeansRef->import;

my ($nodes, $centre) = FedTest::setup();
my %node = %$nodes;
my $all = '{local,hb,hc}';
my @f = qw(lefthippocampus righthippocampus subjectageyears);
my $flist = join(',', @f);
my $notnull = join(' AND ', map { "$_ IS NOT NULL" } @f);
my $filter = '{"rules": [' . join(', ', map { qq{{"field": "$_", "operator": "is_not_null"}} } @f) . ']}';
FedTest::set_min_group_size(1);

# the pooled complete rows
my @rows = map { [split /\|/] } split /\n/,
	$centre->safe_psql('postgres', "SELECT $flist FROM science.pooled WHERE $notnull ORDER BY subjectcode");
my $n = scalar @rows;
my $p = scalar @f;


# the fitted model's centres, sizes, inertia, n_iter
sub model
{
	my ($id) = @_;
	my $st = $centre->safe_psql('postgres', qq{SELECT pipeline->'estimator'->'state'->>'centers', pipeline->'estimator'->'state'->>'sizes',
		pipeline->'estimator'->'state'->>'inertia', pipeline->'estimator'->'state'->>'n_iter' FROM automl.models WHERE id = $id});
	my ($c, $s, $in, $it) = split /\|/, $st;
	my @cv = ($c =~ /(-?[\d.eE+-]+)/g);
	my @sv = ($s =~ /(-?[\d.eE+-]+)/g);
	my @centres = map { [@cv[$_ * $p .. $_ * $p + $p - 1]] } 0 .. $#sv;
	return (\@centres, \@sv, $in, $it);
}

for my $case ([3, [0, 100, 200]], [4, [5, 50, 300, 600]], [2, [1, 2]])
{
	my ($k, $pick) = @$case;
	my @init = map { $rows[$_] } @$pick;
	my $init_json = '[' . join(', ', map { '[' . join(', ', @$_) . ']' } @init) . ']';
	my ($rc, $id, $err) = $centre->psql('postgres', qq{SET client_min_messages = warning;
		SELECT automl_fit('science.cde_features_a', NULL, 'kmeans', '{"n_clusters": $k, "init": $init_json}', '{$flist}', nodes => '$all')});
	diag($err) if $rc;
	my ($fc, $fs, $fi, $fit) = model($id);
	my ($rcen, $rs, $ri, $rit) = lloyd(\@rows, \@init, 1e-4, 300);
	my $d = rel($fi, $ri);
	for my $q (0 .. $k - 1)
	{
		$d = max($d, rel($fs->[$q], $rs->[$q]));
		$d = max($d, rel($fc->[$q][$_], $rcen->[$q][$_])) for 0 .. $p - 1;
	}
	ok($d <= 1e-10 && $fit == $rit,
		"k = $k from given centres: centres, sizes, inertia equal pooled Lloyd (max rel. diff $d), $fit iterations as pooled ($rit)");
}

# the nodes' initialisation against the local fit on the pooled rows (10 k-means++ starts)
for my $k (3, 5)
{
	my $out = $centre->safe_psql('postgres', qq{SET client_min_messages = warning;
		SELECT automl_fit('science.cde_features_a', NULL, 'kmeans', '{"n_clusters": $k}', '{$flist}', nodes => '$all');
		SELECT automl_fit('science.pooled', NULL, 'kmeans', '{"n_clusters": $k}', '{$flist}', filter => '$filter')});
	my ($fid, $pid) = split /\n/, $out;
	my ($fi, $pi) = map { (model($_))[2] } ($fid, $pid);
	my $ratio = $fi / $pi;
	ok($ratio <= 1.02, sprintf("k = $k, initialised from the nodes' centres: inertia %.6g = %.5f x the pooled local fit's %.6g (limit 1.02)", $fi, $ratio, $pi));
	if ($k == 3)
	{
		# automl_predict serves it: its labels on the pooled rows have the model's sizes
		my ($c, $s) = model($fid);
		my $pred = $centre->safe_psql('postgres', qq{SELECT string_agg(n::text, ',' ORDER BY cl) FROM
			(SELECT automl_predict($fid, t)::int cl, count(*) n FROM science.pooled t WHERE $notnull GROUP BY 1) s});
		is($pred, join(',', @$s), 'automl_predict: the pooled rows fall in clusters of the model\'s sizes');
		is($centre->safe_psql('postgres', qq{SELECT count(*) FROM automl_kmeans_centers($fid)}), '3', 'automl_kmeans_centers lists the 3 clusters');
	}
}

# the log on hb: one init round and Lloyd rounds
is($node{hb}->safe_psql('postgres', q{SELECT count(DISTINCT arguments->>'round') FROM automl.federation_log WHERE function = 'automl.node_kmeans'}),
	'2', 'hb logged init and Lloyd rounds of automl.node_kmeans');

# automl_mining's kmeans over the nodes: automl_fit over the nodes with the query's rows
{
	my $q = q{'{"user": {"code": "u"}, "targetTable": {"dbSchema": "science", "name": "cde_features_a"}, "variables": [{"code": "lefthippocampus"}], "covariables": [{"code": "righthippocampus"}, {"code": "subjectageyears"}], "algorithm": {"code": "kmeans", "parameters": [{"code": "k", "value": "3"}]}}'::jsonb};
	my $out = $centre->safe_psql('postgres', qq{SET client_min_messages = warning;
		SELECT coalesce(r->>'error', 'no error') || ' ' || jsonb_array_length((r->>'data')::jsonb->'clusters')
		       || ' ' || ((r->>'data')::jsonb->>'inertia')::float8
		  FROM automl_mining($q, nodes => '$all') r;
		SELECT (metrics->>'inertia')::float8 FROM automl.models WHERE id =
		       (SELECT max(id) FROM automl.models WHERE algorithm = 'kmeans' AND metrics ? 'nodes')});
	my ($mining, $fit) = split /\n/, $out;
	my $direct = $centre->safe_psql('postgres', qq{SET client_min_messages = warning;
		SELECT automl_fit('science.cde_features_a', NULL, 'kmeans', '{"n_clusters": 3}', '{$flist}', nodes => '$all') AS id \\gset
		SELECT (metrics->>'inertia')::float8 FROM automl.models WHERE id = :id});
	is($mining, "no error 3 $direct", 'automl_mining kmeans with nodes: 3 clusters, the inertia of automl_fit over the nodes')
		or diag($out);
}

# refusals
my ($rc, $out, $err) = $centre->psql('postgres', qq{SELECT automl_fit('science.cde_features_a', NULL, 'kmeans', '{"n_clusters": 2}', '{lefthippocampus,gender}', nodes => '$all')});
like($err, qr/feature "gender" is categorical/, 'a categorical feature is refused over nodes');
($rc, $out, $err) = $centre->psql('postgres', qq{SELECT automl_fit('science.cde_features_a', NULL, 'kmeans', '{"n_clusters": 2, "init": [[1, 2]]}', '{$flist}', nodes => '$all')});
like($err, qr/init must be a JSON array of 2 arrays of 3 finite numbers/, 'malformed init centres refused');

# hc under the minimum: suppressed, the fit of the others goes on
$node{hc}->safe_psql('postgres', q{ALTER SYSTEM SET automl.min_group_size = 1000; SELECT pg_reload_conf()});
($rc, $out, $err) = $centre->psql('postgres', qq{
	SELECT automl_fit('science.cde_features_a', NULL, 'kmeans', '{"n_clusters": 3}', '{$flist}', nodes => '$all') AS id \\gset
	SELECT (metrics->'nodes')::text FROM automl.models WHERE id = :id});
like($err, qr/hc.*suppressed its part/, 'hc with min_group_size 1000: suppressed, warned');
is($out, '["local", "hb"]', '... the model is fitted on local and hb');
FedTest::set_min_group_size(1);

# hc down
$node{hc}->stop;
($rc, $out, $err) = $centre->psql('postgres', qq{SELECT automl_fit('science.cde_features_a', NULL, 'kmeans', '{"n_clusters": 3}', '{$flist}', nodes => '$all') > 0});
is($out, 't', 'hc down: the model of the others is fitted');
like($err, qr/WARNING:.*hc/, '... with a warning naming hc');
($rc, $out, $err) = $centre->psql('postgres', qq{\\set VERBOSITY verbose
	SELECT automl_fit('science.cde_features_a', NULL, 'kmeans', '{"n_clusters": 3}', '{$flist}', nodes => '$all', strict => true)});
like($err, qr/ERROR:  08006/, 'strict => true: an error 08006');
$node{hc}->start;

done_testing();
