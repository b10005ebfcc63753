# 404_federation_summary.pl — automl_summary over federation nodes: the
# quartiles, median, minimum and maximum equal the pooled table's exactly
# (bisection rounds on counts below thresholds, src/federation/fed_quantile.c),
# the counts and moments as before.
#
# The three clusters and their data: 400_federation.pm (hospitals h1 = the
# centre, also 'local', h2 = hb, h3 = hc; science.pooled = the union).
#
# Reference: the local automl_summary on the pooled table (R's quantile
# type 7 = PostgreSQL's percentile_cont, checked here too) — order statistics
# must be identical (same doubles), mean/std within 1e-12 relative.
# Checked also: a filter applied on every node; NULLs; at most 8 rounds per
# call in the nodes' log; automl.min_group_size: no count of 1 .. 9 values
# below or above a threshold leaves a node, a quartile in the rare tail of a
# node stays NULL with a feedback entry (the median still exact), a node
# under the minimum is left out (the result = the other nodes' pooled rows);
# a node that is down: warning and the others' result, strict => 08006.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
require '400_federation.pm';

my ($nodes, $centre) = FedTest::setup();
my %node = %$nodes;
my $all = '{local,hb,hc}';

for my $n ($centre, $node{hb}, $node{hc})
{
	$n->safe_psql('postgres', q{
		UPDATE science.cde_features_a SET minimentalstate = NULL WHERE subjectageyears > 85;
		UPDATE science.pooled SET minimentalstate = NULL WHERE subjectageyears > 85;
	});
}

# federated summary (table cde_features_a) against the local one on the pooled
# table: "exact/numeric columns compared/worst relative difference of mean, std"
$centre->safe_psql('postgres', q{
	CREATE FUNCTION cmp(fed_filter jsonb, pooled_filter jsonb, nodes text[]) RETURNS text LANGUAGE sql AS $$
	  WITH f AS (SELECT * FROM automl_summary('science.cde_features_a', filter => fed_filter, nodes => nodes)),
	       p AS (SELECT * FROM automl_summary('science.pooled', filter => pooled_filter))
	  SELECT count(*) FILTER (WHERE (f.min, f.q1, f.median, f.q3, f.max, f.count, f.null_count, f.kind)
	                                IS NOT DISTINCT FROM (p.min, p.q1, p.median, p.q3, p.max, p.count, p.null_count, p.kind))
	         || '/' || count(*) FILTER (WHERE p.kind <> 'categorical' AND p.median IS NOT NULL) || '/' || count(*) || '/' ||
	         coalesce(max(greatest(abs(f.mean - p.mean) / nullif(abs(p.mean), 0), abs(f.std - p.std) / nullif(p.std, 0))), 0)
	    FROM f JOIN p USING (column_name)
	$$;
});

sub same
{
	my ($fed_filter, $pooled_filter, $name, $nodes) = @_;
	$nodes //= $all;
	my ($rc, $out, $err) = $centre->psql('postgres', qq{SET client_min_messages = warning;
		SELECT cmp($fed_filter, $pooled_filter, '$nodes')});
	my ($exact, $numeric, $n, $rel) = split m{/}, $out;
	ok(defined $rel && $exact == $n && $numeric > 0 && $rel <= 1e-12,
		"$name: $exact of $n columns identical ($numeric with quartiles), mean/std max rel. diff $rel") or diag("$out $err");
}

FedTest::set_min_group_size(1);
same('NULL', 'NULL', 'automl_summary over 3 nodes = pooled: min, quartiles, median, max exact');
same(q{'{"rules": [{"field": "gender", "operator": "equal", "value": "F"}]}'},
	q{'{"rules": [{"field": "gender", "operator": "equal", "value": "F"}]}'}, 'automl_summary with a filter on every node = pooled');
same(q{'{"rules": [{"field": "subjectageyears", "operator": "greater", "value": 70}]}'},
	q{'{"rules": [{"field": "subjectageyears", "operator": "greater", "value": 70}]}'}, 'automl_summary with another filter = pooled');
is($centre->safe_psql('postgres', qq{
	SELECT (s.q1, s.median, s.q3, s.min, s.max) = (p[1], p[2], p[3], p[4], p[5])
	  FROM automl_summary('science.cde_features_a', '{lefthippocampus}', nodes => '$all') s,
	       (SELECT percentile_cont(ARRAY[0.25, 0.5, 0.75, 0, 1]) WITHIN GROUP (ORDER BY lefthippocampus) p FROM science.pooled) r}),
	't', "the federated quartiles are percentile_cont's (R's type 7) on the pooled rows");

# rounds: the nodes' log has one entry per round
$node{hb}->safe_psql('postgres', q{DELETE FROM automl.federation_log});
$centre->safe_psql('postgres', qq{SELECT count(*) FROM automl_summary('science.cde_features_a', nodes => '$all')});
my $rounds = $node{hb}->safe_psql('postgres', q{SELECT count(*) FROM automl.federation_log WHERE function = 'automl.node_quantile'});
ok($rounds >= 1 && $rounds <= 8, "the quartiles of every numeric column took $rounds rounds (at most 8)");
is($node{hb}->safe_psql('postgres', q{SELECT count(*) FROM automl.federation_log WHERE function = 'automl.node_summary'}), '1',
	'... after one summary round');

# privacy: the default automl.min_group_size, 10
FedTest::set_min_group_size(undef);
same('NULL', 'NULL', 'with automl.min_group_size 10 the quartiles are still exact');
{
	my $answer = $node{hb}->safe_psql('postgres', q{SET ROLE fed; SELECT automl.node_quantile('science.cde_features_a', '{lefthippocampus}', NULL,
		(SELECT jsonb_build_array(jsonb_agg(v ORDER BY v))::text FROM (SELECT DISTINCT lefthippocampus v FROM science.cde_features_a WHERE lefthippocampus IS NOT NULL) d))});
	my $m = $node{hb}->safe_psql('postgres', q{SELECT count(lefthippocampus) FROM science.cde_features_a});
	my ($list) = $answer =~ /"counts": \[\[([^\]]*)\]\]/;
	my @counts = split /, /, $list // '';
	my @bad = grep { $_ ne 'null' && (($_ > 0 && $_ < 10) || ($m - $_ > 0 && $m - $_ < 10)) } @counts;
	my $nulls = grep { $_ eq 'null' } @counts;
	ok(@counts > 100 && !@bad && $nulls >= 2,
		"a node asked for the count below each of its own values sends none of 1..9 below or above (" . scalar(@counts) . " counts, $nulls null)")
		or diag(substr($answer, 0, 300));
}
{
	# a quartile in a node's rare tail: hb needs 100 values on each side
	# (without NULLs: a node with 1..99 NULLs would be suppressed as a whole)
	$node{hb}->safe_psql('postgres', q{ALTER SYSTEM SET automl.min_group_size = 100; SELECT pg_reload_conf()});
	my $nn = '{"rules": [{"field": "subjectageyears", "operator": "is_not_null"}]}';
	my ($rc, $out, $err) = $centre->psql('postgres', qq{
		SELECT (f.q1 IS NULL)::text || (f.q3 IS NULL)::text || (f.median = p.median)::text || (f.min = p.min AND f.max = p.max)::text
		  FROM automl_summary('science.cde_features_a', '{subjectageyears}', '$nn', nodes => '$all') f,
		       automl_summary('science.pooled', '{subjectageyears}', '$nn') p});
	is($out, 'truetruetruetrue', 'hb with automl.min_group_size 100: q1 and q3 (where hb has < 100 values below/above) are NULL, median, min, max exact');
	like($err, qr/quartiles of column "subjectageyears" not computed: .*automl.min_group_size/, '... with a feedback entry');
	# a node under the minimum: left out, the result is the others' pooled rows
	$node{hb}->safe_psql('postgres', q{ALTER SYSTEM RESET automl.min_group_size; SELECT pg_reload_conf()});
	$node{hc}->safe_psql('postgres', q{ALTER SYSTEM SET automl.min_group_size = 400; SELECT pg_reload_conf()});
	same('NULL', q{'{"rules": [{"field": "dataset", "operator": "not_equal", "value": "h3"}]}'},
		'hc under automl.min_group_size 400 is left out: the summary (quartiles too) = the pooled rows of h1 and h2');
	$node{hc}->safe_psql('postgres', q{ALTER SYSTEM RESET automl.min_group_size; SELECT pg_reload_conf()});
}

# a node that is down
$node{hc}->stop;
{
	my ($rc, $out, $err) = $centre->psql('postgres', qq{SELECT count(median) > 0 FROM automl_summary('science.cde_features_a', nodes => '$all')});
	is($out, 't', 'automl_summary with a node down: the other nodes\' quartiles');
	like($err, qr/WARNING:.*node "hc"/, '... and a warning naming the node');
	($rc, $out, $err) = $centre->psql('postgres',
		qq{\\set VERBOSITY verbose\nSELECT count(*) FROM automl_summary('science.cde_features_a', nodes => '$all', strict => true)});
	like($err, qr/ERROR:  08006: .*node "hc"/, '... with strict => true an error (08006)');
}
same('NULL', q{'{"rules": [{"field": "dataset", "operator": "not_equal", "value": "h3"}]}'},
	'hc down: the summary = the pooled rows of h1 and h2');

done_testing();
