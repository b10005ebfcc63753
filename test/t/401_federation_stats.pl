# 401_federation_stats.pl — federated automl_histogram, automl_correlation
# and automl_pca equal the same functions on the union of the nodes' rows.
#
# The three clusters and their data: 400_federation.pm (hospitals h1 = the
# centre, also 'local', h2 = hb, h3 = hc; science.pooled = the union).
#
# Checked: histogram counts exact and the bins identical (numeric columns,
# a filter, few and many bins, a categorical column whose categories are
# unioned); Pearson correlations (pairwise-complete rows, NULLs in a
# column) and PCA (scaled and not) within 1e-10 relative; spearman and
# kendall refused (0A000); histograms with group_by (exact, groups in the
# local order); automl.min_group_size: small bins sent as NULL and reported,
# small groups kept on the node and reported, a node under the minimum suppressed and reported; the
# nodes' federation_log; a node that is down: feedback, and with
# strict => true an error (08006).
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

# NULLs in minimentalstate on some rows of every hospital (pairwise-complete
# correlations, complete rows for PCA)
for my $n ($centre, $node{hb}, $node{hc})
{
	$n->safe_psql('postgres', q{
		UPDATE science.cde_features_a SET minimentalstate = NULL WHERE subjectageyears > 85;
		UPDATE science.pooled SET minimentalstate = NULL WHERE subjectageyears > 85;
	});
}

# automl_pca's loadings are a jsonb object: compared as columns of the row
sub pca_same
{
	my ($args, $name) = @_;
	my $flat = 'jsonb_build_object($$component$$, component, $$std_dev$$, std_dev, $$proportion$$, proportion, $$cumulative$$, cumulative) || loadings';
	my ($rc, $out, $err) = $centre->psql('postgres', qq{
		SET client_min_messages = warning;
		SELECT maxrel((SELECT jsonb_agg($flat) FROM automl_pca('science.cde_features_a', $args, nodes => '$all')),
		              (SELECT jsonb_agg($flat) FROM automl_pca('science.pooled', $args)));
	});
	ok($out ne '' && $out ne 'Infinity' && $out <= 1e-10, "$name (max rel. diff $out)") or diag($err);
}

sub same
{
	my ($fn, $args, $limit, $name, $pooled_filter) = @_;
	my ($d, $err) = FedTest::compare($fn, $args, $all, $pooled_filter);
	ok($d ne 'Infinity' && $d <= $limit, "$name (max rel. diff $d)") or diag($err);
}

# exactness first with automl.min_group_size = 1; privacy below with the default
FedTest::set_min_group_size(1);

my $cols = q{'{subjectageyears,lefthippocampus,righthippocampus,minimentalstate}'};
same('automl_histogram', q{'lefthippocampus'}, 0, 'automl_histogram over 3 nodes: the 20 bins and their counts equal the pooled ones exactly');
same('automl_histogram', q{'subjectageyears', 7}, 0, 'automl_histogram with 7 bins: exact');
same('automl_histogram', q{'minimentalstate', 200}, 0, 'automl_histogram with 200 bins of a column with NULLs: exact');
same('automl_histogram', q{'agegroup'}, 0, 'automl_histogram of a categorical column: categories unioned (one only on hb), counts exact');
same('automl_histogram', q{'lefthippocampus', 10, filter => '{"rules": [{"field": "gender", "operator": "equal", "value": "F"}]}'}, 0,
	'automl_histogram with a filter applied on every node: exact');
same('automl_correlation', $cols, 1e-10, 'automl_correlation (pearson, pairwise-complete rows) over 3 nodes equals the pooled one within 1e-10');
same('automl_correlation', 'NULL', 1e-10, 'automl_correlation of every numeric column over 3 nodes within 1e-10');
pca_same($cols, 'automl_pca (scaled) over 3 nodes: components, proportions and loadings within 1e-10 (same signs)');
pca_same("$cols, false", 'automl_pca (not scaled) over 3 nodes within 1e-10');
pca_same("$cols, filter => '{\"rules\": [{\"field\": \"subjectageyears\", \"operator\": \"greater\", \"value\": 65}]}'",
	'automl_pca with a filter on every node within 1e-10');

is($centre->safe_psql('postgres', qq{SELECT count(*) FROM automl_histogram('science.cde_features_a', 'lefthippocampus', nodes => '$all')}),
	'20', 'the federated histogram has 20 bins');
is($centre->safe_psql('postgres', qq{SELECT sum(count) FROM automl_histogram('science.cde_features_a', 'lefthippocampus', nodes => '$all')}),
	$centre->safe_psql('postgres', q{SELECT count(lefthippocampus) FROM science.pooled}), '... counting every value of the union');

for my $method (qw(spearman kendall))
{
	my ($rc, $out, $err) = $centre->psql('postgres',
		qq{\\set VERBOSITY verbose\nSELECT * FROM automl_correlation('science.cde_features_a', $cols, '$method', nodes => '$all')});
	like($err, qr/0A000: automl_correlation: method "$method" is not supported over federation nodes/,
		"automl_correlation method $method over nodes is refused (0A000), naming the method");
}
# group_by: one histogram per group, in the global bins
same('automl_histogram', q{'lefthippocampus', 10, '{gender}'}, 0, 'automl_histogram with group_by over 3 nodes: groups, bins and counts equal the pooled ones exactly');
same('automl_histogram', q{'subjectageyears', 6, '{agegroup,gender}'}, 0,
	'automl_histogram grouped by two columns (a level only on hb, NULL groups) over 3 nodes: exact');
same('automl_histogram', q{'agegroup', 20, '{gender}'}, 0, 'automl_histogram of a categorical column grouped over 3 nodes: exact');
same('automl_histogram', q{'lefthippocampus', 8, '{minimentalstate}'}, 0, 'automl_histogram grouped by a numeric column (NULL group) over 3 nodes: exact');
same('automl_histogram', q{'lefthippocampus', 5, '{alzheimerbroadcategory}', filter => '{"rules": [{"field": "gender", "operator": "equal", "value": "M"}]}'}, 0,
	'automl_histogram grouped, with a filter on every node: exact');

# the nodes' log: every round that left hb
is($node{hb}->safe_psql('postgres', q{SELECT string_agg(DISTINCT function, ',' ORDER BY function) FROM automl.federation_log
	WHERE caller = 'fed' AND function IN ('automl.node_histogram', 'automl.node_correlation', 'automl.node_pca')}),
	'automl.node_correlation,automl.node_histogram,automl.node_pca', 'each node logs the federated calls it answered');
is($node{hb}->safe_psql('postgres', q{SELECT count(DISTINCT arguments->>'round') FROM automl.federation_log WHERE function = 'automl.node_histogram'}),
	'2', '... both rounds of the histogram');

# privacy: the default automl.min_group_size, 10
FedTest::set_min_group_size(undef);
{
	my ($rc, $out, $err) = $centre->psql('postgres',
		qq{SELECT count(*), count(count) FROM automl_histogram('science.cde_features_a', 'lefthippocampus', 50, nodes => '$all')});
	my ($bins, $known) = split /\|/, $out;
	ok($bins == 50 && $known < 50, "with 50 bins, bins holding fewer than 10 of a node's rows have a NULL count ($known of $bins known)");
	like($err, qr/bins with fewer than automl.min_group_size rows not sent/, '... reported in the feedback');
	my $answer = $node{hb}->safe_psql('postgres', q{SET ROLE fed; SELECT automl.node_histogram('science.cde_features_a', 'lefthippocampus', NULL, 50, 0.5, 5.5)});
	unlike($answer, qr/[\[ ][1-9],/, '... and the node sends no count from 1 to 9');
	# per group: small groups stay on the node, small bins are NULL
	($rc, $out, $err) = $centre->psql('postgres',
		qq{SELECT count(DISTINCT group_values), count(*) - count(count) FROM automl_histogram('science.cde_features_a', 'lefthippocampus', 10, '{minimentalstate}', nodes => '$all')});
	my ($groups, $nulls) = split /\|/, $out;
	my $pooled_groups = $centre->safe_psql('postgres', q{SELECT count(DISTINCT minimentalstate) + 1 FROM science.pooled WHERE lefthippocampus IS NOT NULL});
	ok($groups > 0 && $groups < $pooled_groups && $nulls > 0, "group_by with the default minimum: $groups of $pooled_groups groups, $nulls NULL counts");
	like($err, qr/groups with fewer than automl.min_group_size rows not sent .*\n.*bins of groups with fewer than automl.min_group_size rows not sent/s, '... both reported in the feedback');
	$answer = $node{hb}->safe_psql('postgres', q{SET ROLE fed; SELECT automl.node_histogram_groups('science.cde_features_a', 'lefthippocampus', '{minimentalstate}', NULL, 10, 0.5, 5.5, NULL)});
	my @sent = map { split /, / } ($answer =~ /"c": \[([^\]]*)\]/g);
	ok(@sent > 0 && !grep({ /^[1-9]$/ } @sent), '... the node sends no count from 1 to 9 (' . scalar(@sent) . ' counts)');
	my %seen = map { $_ => 1 } ($answer =~ /"g": \[([^\]]*)\]/g);
	my $small = $node{hb}->safe_psql('postgres', q{SELECT string_agg(coalesce(minimentalstate::text, 'null'), ' ') FROM science.cde_features_a
		WHERE lefthippocampus IS NOT NULL GROUP BY minimentalstate HAVING count(*) < 10});
	ok(!grep({ $seen{$_} } split / /, $small), '... nor the values of its groups with fewer than 10 rows');
}
{
	$node{hc}->safe_psql('postgres', q{ALTER SYSTEM SET automl.min_group_size = 400; SELECT pg_reload_conf()});
	for my $call ([ 'automl_correlation', $cols ], [ 'automl_pca', $cols ], [ 'automl_histogram', q{'lefthippocampus'} ])
	{
		my ($fn, $args) = @$call;
		my ($rc, $out, $err) = $centre->psql('postgres', qq{SELECT count(*) FROM $fn('science.cde_features_a', $args, nodes => '$all');
			SELECT e->>'node' FROM jsonb_array_elements(automl_federation_feedback()) e});
		like($err, qr/node "hc": suppressed its part: .* fewer than automl.min_group_size \(400\)/, "$fn: a node under automl.min_group_size suppresses its part, with a feedback entry");
		like($out, qr/\A\d+\n(.*\n)*hc$/m, "... and the call goes on with the other nodes (feedback names hc)");
	}
	is($node{hc}->safe_psql('postgres', q{SELECT count(*) FROM automl.federation_log WHERE suppressed ~ 'min_group_size \(400\)'}), '3',
		'... the suppression is in the node\'s log');
	$node{hc}->safe_psql('postgres', q{ALTER SYSTEM RESET automl.min_group_size; SELECT pg_reload_conf()});
}

# a node that is down
$node{hc}->stop;
for my $call ([ 'automl_correlation', $cols ], [ 'automl_pca', $cols ], [ 'automl_histogram', q{'lefthippocampus'} ],
	[ 'automl_histogram', q{'lefthippocampus', 10, '{gender}'} ])
{
	my ($fn, $args) = @$call;
	my ($rc, $out, $err) = $centre->psql('postgres', qq{SELECT count(*) > 0 FROM $fn('science.cde_features_a', $args, nodes => '$all')});
	is($out, 't', "$fn with a node down: the other nodes' result");
	like($err, qr/WARNING:.*node "hc"/, '... and a warning naming the node');
	($rc, $out, $err) = $centre->psql('postgres',
		qq{\\set VERBOSITY verbose\nSELECT count(*) FROM $fn('science.cde_features_a', $args, nodes => '$all', strict => true)});
	like($err, qr/ERROR:  08006: .*node "hc"/, '... with strict => true an error (08006)');
}

done_testing();
