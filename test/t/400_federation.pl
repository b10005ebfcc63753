# 400_federation.pl — one analysis over three hospitals' servers, no patient
# row leaving its hospital (issue 15).
#
# The three clusters and their data: 400_federation.pm.
#
# Checked: federated automl_lm / automl_lm_glance / automl_anova (types 1, 2,
# 3) equal the same functions on the pooled table within 1e-10 relative
# (factor levels unioned: a level present on one node only); a node that is
# down, one stopped in the middle of a call, one slower than
# automl.node_timeout (cancelled on the node), strict => true; a group under
# automl.min_group_size; a filter that isolates one patient; a role without
# automl_federation_member; a non-superuser without a password; the log on
# the nodes.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use FindBin;
use lib $FindBin::RealBin;
require '400_federation.pm';

my ($nodes, $centre) = FedTest::setup();
my %node = %$nodes;
*compare = \&FedTest::compare;


my @lm_cases = (
	[ 'automl_lm', q{'lefthippocampus ~ subjectageyears + gender'} ],
	[ 'automl_lm', q{'minimentalstate ~ subjectageyears * gender + lefthippocampus'} ],
	[ 'automl_lm', q{'lefthippocampus ~ agegroup + alzheimerbroadcategory + gender'} ],
	[ 'automl_lm', q{'righthippocampus ~ lefthippocampus + agegroup:gender'} ],
	[ 'automl_lm_glance', q{'lefthippocampus ~ subjectageyears + gender'} ],
	[ 'automl_lm_glance', q{'lefthippocampus ~ agegroup + alzheimerbroadcategory + gender'} ],
	[ 'automl_anova', q{'lefthippocampus ~ alzheimerbroadcategory * gender + subjectageyears', 1} ],
	[ 'automl_anova', q{'lefthippocampus ~ alzheimerbroadcategory * gender + subjectageyears', 2} ],
	[ 'automl_anova', q{'lefthippocampus ~ alzheimerbroadcategory * gender + subjectageyears', 3} ],
	[ 'automl_anova', q{'minimentalstate ~ agegroup + gender', 1} ],
);
# equality first with automl.min_group_size = 1 (the sample has small
# groups, e.g. agegroup levels and their cells with gender); the privacy
# tests below use the default, 10
for my $n (values %node)
{
	$n->safe_psql('postgres', q{LOAD 'automl'; ALTER SYSTEM SET automl.min_group_size = 1; SELECT pg_reload_conf()});
}
for my $case (@lm_cases)
{
	my ($fn, $args) = @$case;
	my ($d, $err) = compare($fn, $args, '{local,hb,hc}');
	ok($d ne 'Infinity' && $d <= 1e-10, "$fn($args) over 3 nodes equals the pooled fit (max rel. diff $d)")
	  or diag($err);
}
{
	my ($d, $err) = compare('automl_lm', q{'lefthippocampus ~ subjectageyears + gender'}, '{local}',
		'{"rules": [{"field": "dataset", "operator": "equal", "value": "h1"}]}');
	ok($d ne 'Infinity' && $d <= 1e-10, "nodes => '{local}' equals the local rows ($d)") or diag($err);
}
{
	my ($d, $err) = compare('automl_lm', q{'lefthippocampus ~ subjectageyears + gender', '{"rules": [{"field": "subjectageyears", "operator": "greater", "value": 70}]}'},
		'{local,hb,hc}');
	ok($d ne 'Infinity' && $d <= 1e-10, "a filter is applied on every node ($d)") or diag($err);
}

# automl_summary: counts exact, moments within 1e-10, categories unioned
{
	my $cols = q{'{subjectageyears,gender,lefthippocampus,minimentalstate,agegroup,alzheimerbroadcategory,dataset}'};
	my $pick = 'column_name, kind, count, null_count, mean, std, CASE WHEN kind <> $$numeric$$ THEN distinct_count END AS distinct_count, top, top_count';
	my ($rc, $out, $err) = $centre->psql('postgres', qq{
		SET client_min_messages = warning;
		SELECT maxrel((SELECT jsonb_agg(to_jsonb(t)) FROM (SELECT $pick FROM automl_summary('science.cde_features_a', $cols, nodes => '{local,hb,hc}')) t),
		              (SELECT jsonb_agg(to_jsonb(t)) FROM (SELECT $pick FROM automl_summary('science.pooled', $cols)) t));
	});
	ok($out ne '' && $out ne 'Infinity' && $out <= 1e-10, "automl_summary over 3 nodes: counts, NULLs, categories equal, mean and std within 1e-10 ($out)") or diag($err);
	# min, quartiles, max: exact from rounds of counts (fed_quantile.c; more in 404_federation_summary.pl)
	is($centre->safe_psql('postgres', qq{SELECT count(*) FROM automl_summary('science.cde_features_a', $cols, nodes => '{local,hb,hc}') f
		JOIN automl_summary('science.pooled', $cols) p USING (column_name)
		WHERE (f.min, f.q1, f.median, f.q3, f.max) IS DISTINCT FROM (p.min, p.q1, p.median, p.q3, p.max)}), '0',
		'automl_summary over nodes: min, quartiles, max identical to the pooled table\'s');
}

for my $n (values %node)
{
	$n->safe_psql('postgres', q{LOAD 'automl'; ALTER SYSTEM RESET automl.min_group_size; SELECT pg_reload_conf()});
}
{
	# hb's 20 rows of level 'only-h2' under its minimum of 25: that category is not sent
	$node{hb}->safe_psql('postgres', q{LOAD 'automl'; ALTER SYSTEM SET automl.min_group_size = 25; SELECT pg_reload_conf()});
	my ($rc, $out, $err) = $centre->psql('postgres', q{SELECT column_name, count, distinct_count, top FROM automl_summary('science.cde_features_a', '{agegroup}', nodes => '{local,hb,hc}')});
	like($out, qr/^agegroup\|\d+\|\|$/, 'a column with a category under automl.min_group_size on a node has no distinct count and no top value (they would be wrong)');
	unlike($node{hb}->safe_psql('postgres', q{SET ROLE fed; SELECT automl.node_summary('science.cde_features_a', '{agegroup}', NULL)}), qr/only-h2/,
		'... and the rare category\'s label does not leave the node');
	$node{hb}->safe_psql('postgres', q{LOAD 'automl'; ALTER SYSTEM RESET automl.min_group_size; SELECT pg_reload_conf()});
}
{
	my ($rc, $out, $err) = $centre->psql('postgres', q{SELECT count(*) FROM automl_lm('science.cde_features_a',
		'righthippocampus ~ lefthippocampus + agegroup:gender', nodes => '{local,hb,hc}')});
	like($err, qr/node "hb": suppressed its part: .* has fewer than automl.min_group_size \(10\) rows/,
		'with the default automl.min_group_size, small groups of the sample are suppressed');
}

# the log on a node: caller, function, arguments, rows
is($node{hb}->safe_psql('postgres', q{SELECT caller, function, rows_aggregated FROM automl.federation_log
	WHERE function = 'automl.node_lm' AND arguments->>'formula' = 'lefthippocampus ~ subjectageyears + gender'
	ORDER BY id LIMIT 1}),
	'fed|automl.node_lm|' . $node{hb}->safe_psql('postgres',
		'SELECT count(*) FROM science.cde_features_a WHERE lefthippocampus IS NOT NULL AND subjectageyears IS NOT NULL AND gender IS NOT NULL'),
	'hb logged the call: caller, function, rows aggregated');
# one round since protocol 2 (fed_lm.c): no levels round any more
is($node{hb}->safe_psql('postgres', q{SELECT count(*) FROM automl.federation_log WHERE function = 'automl.node_lm_levels'}),
	'0', 'a linear model over nodes takes one round (no levels round is logged)');

my $two_nodes = '{"rules": [{"field": "dataset", "operator": "in", "value": ["h1", "h2"]}]}';
my $lm = q{'lefthippocampus ~ subjectageyears + gender'};

# group under the minimum size: hc suppresses its part (and says so)
$node{hc}->safe_psql('postgres', q{LOAD 'automl'; ALTER SYSTEM SET automl.min_group_size = 400; SELECT pg_reload_conf();});
{
	my ($rc, $out, $err) = $centre->psql('postgres', "SELECT count(*) FROM automl_lm('science.cde_features_a', $lm, nodes => '{local,hb,hc}')");
	like($err, qr/node "hc": suppressed its part: the set of complete rows has fewer than automl.min_group_size \(400\) rows/,
		'a node with fewer rows than its automl.min_group_size suppresses its part, in the feedback');
	my ($d) = compare('automl_lm', $lm, '{local,hb,hc}', $two_nodes);
	ok($d ne 'Infinity' && $d <= 1e-10, "the result is the other nodes' pooled fit ($d)");
	is($node{hc}->safe_psql('postgres', q{SELECT suppressed IS NOT NULL FROM automl.federation_log ORDER BY id DESC LIMIT 1}), 't',
		'the node logs what it suppressed');
	is($centre->safe_psql('postgres', "SELECT count(*) FROM automl_lm('science.cde_features_a', $lm, nodes => '{local,hb,hc}');
		SELECT f->>'node' || ' ' || (f->>'failure') FROM jsonb_array_elements(automl_federation_feedback()) f"),
		"3\nhc false", 'automl_federation_feedback() lists the suppression');
}
$node{hc}->safe_psql('postgres', q{LOAD 'automl'; ALTER SYSTEM RESET automl.min_group_size; SELECT pg_reload_conf();});

# an attempt to read one patient's values through a federated call
{
	my $complete = 'WHERE lefthippocampus IS NOT NULL AND subjectageyears IS NOT NULL ORDER BY 1 LIMIT 1';
	my $code_b = $node{hb}->safe_psql('postgres', "SELECT subjectcode FROM science.cde_features_a $complete");
	my $code_c = $node{hc}->safe_psql('postgres', "SELECT subjectcode FROM science.cde_features_a $complete");
	my ($rc, $out, $err) = $centre->psql('postgres', qq{SELECT * FROM automl_lm('science.cde_features_a',
		'lefthippocampus ~ subjectageyears', '{"rules": [{"field": "subjectcode", "operator": "in", "value": ["$code_b", "$code_c"]}]}',
		nodes => '{hb,hc}')});
	isnt($rc, 0, 'a filter that isolates a patient gets no model');
	like($err, qr/no node contributed rows/, '... because every node suppressed its part');
	unlike($out, qr/\d/, '... and no number came back');
	my $code = $code_b;
	($rc, $out, $err) = $centre->psql('postgres', qq{SELECT * FROM automl_lm('science.cde_features_a',
		'lefthippocampus ~ subjectageyears', '{"rules": [{"field": "subjectcode", "operator": "equal", "value": "$code"}]}',
		nodes => '{hb}')});
	like($err, qr/node "hb": suppressed its part/, 'one patient on one node: suppressed');
	is($node{hb}->safe_psql('postgres', q{SELECT rows_aggregated || ' ' || (suppressed IS NOT NULL) FROM automl.federation_log ORDER BY id DESC LIMIT 1}),
		'1 true', 'the node logged the attempt');
}

# a role without automl_federation_member
$node{hb}->safe_psql('postgres', 'REVOKE automl_federation_member FROM fed');
{
	my ($rc, $out, $err) = $centre->psql('postgres', "SELECT count(*) FROM automl_lm('science.cde_features_a', $lm, nodes => '{local,hb,hc}')");
	like($err, qr/node "hb": permission denied for federation function automl.node_lm/, 'a node refuses a caller without automl_federation_member (feedback)');
	($rc, $out, $err) = $centre->psql('postgres', "SELECT count(*) FROM automl_lm('science.cde_features_a', $lm, nodes => '{local,hb,hc}', strict => true)");
	like($err, qr/ERROR:  automl_lm: node "hb": permission denied/, '... an error with strict => true');
	($rc, $out, $err) = $node{hb}->psql('postgres', "SET ROLE fed; SELECT automl.node_lm('science.cde_features_a', 'lefthippocampus ~ gender', NULL, '[[\"F\",\"M\"]]', 'treatment')");
	like($err, qr/permission denied for federation function/, 'the node function refuses a direct call too');
}
$node{hb}->safe_psql('postgres', 'GRANT automl_federation_member TO fed');

# a non-superuser: needs a user mapping with a password the node asks for
{
	my ($rc, $out, $err) = $centre->psql('postgres', "SET ROLE analyst; SELECT count(*) FROM automl_lm('science.cde_features_a', $lm, nodes => '{local,hb}')");
	like($err, qr/user mapping not found/, 'a non-superuser without a user mapping cannot use the node');
	$centre->safe_psql('postgres', q{CREATE USER MAPPING FOR analyst SERVER srv_hb OPTIONS (user 'nopass')});
	($rc, $out, $err) = $centre->psql('postgres', "SET ROLE analyst; SELECT count(*) FROM automl_lm('science.cde_features_a', $lm, nodes => '{local,hb}')");
	like($err, qr/password is required to use federation node "hb"/, '... nor one without a password in it');
	$centre->safe_psql('postgres', q{ALTER USER MAPPING FOR analyst SERVER srv_hb OPTIONS (ADD password 'anything')});
	($rc, $out, $err) = $centre->psql('postgres', "SET ROLE analyst; SELECT count(*) FROM automl_lm('science.cde_features_a', $lm, nodes => '{local,hb}')");
	like($err, qr/did not ask for the password/, '... nor one whose node does not check the password (trust)');
	$centre->safe_psql('postgres', q{ALTER USER MAPPING FOR analyst SERVER srv_hb OPTIONS (SET user 'fed', SET password 'fed-secret')});
	($rc, $out, $err) = $centre->psql('postgres', "SET ROLE analyst; SELECT count(*) FROM automl_lm('science.cde_features_a', $lm, nodes => '{local,hb}')");
	is($out, '3', 'with the password, a non-superuser runs federated calls') or diag($err);
	($rc, $out, $err) = $centre->psql('postgres', "SET ROLE analyst; SELECT automl_node_remove('hb')");
	like($err, qr/only the owner of node "hb" or a superuser/, 'only its owner removes a node');
}

# bad node lists
for my $bad ([q{'{nosuch}'}, qr/federation node "nosuch" does not exist/],
	[q{'{hb,hb}'}, qr/node "hb" is named twice/],
	[q{'{}'}, qr/nodes is empty/],
	[q{'{NULL}'}, qr/a node name is NULL/])
{
	my ($rc, $out, $err) = $centre->psql('postgres', "SELECT count(*) FROM automl_lm('science.cde_features_a', $lm, nodes => $bad->[0])");
	like($err, $bad->[1], "nodes => $bad->[0] is refused");
}

# a node slower than automl.node_timeout: cancelled there, left out here
my $locker = $node{hc}->background_psql('postgres');
$locker->query_safe('BEGIN; LOCK TABLE science.cde_features_a IN ACCESS EXCLUSIVE MODE');
{
	my $t0 = time();
	# 3 s: on a loaded machine (a sanitized server) hb answers well within it, hc never does
	my ($rc, $out, $err) = $centre->psql('postgres', "SET automl.node_timeout = '3s'; SELECT count(*) FROM automl_lm('science.cde_features_a', $lm, nodes => '{local,hb,hc}')");
	my $took = time() - $t0;
	is($out, '3', 'a slow node does not fail the analysis');
	like($err, qr/node "hc": did not answer within automl.node_timeout \(3000 ms\): cancelled and left out/, '... it is reported');
	ok($took < 15, sprintf('... and the call took %.1f s, not the node\'s time', $took));
	my ($d) = compare('automl_lm', $lm, '{local,hb,hc}', $two_nodes, ", strict => false");
	($rc, $out, $err) = $centre->psql('postgres', "SET automl.node_timeout = '3s'; SELECT count(*) FROM automl_lm('science.cde_features_a', $lm, nodes => '{local,hb,hc}', strict => true)");
	like($err, qr/ERROR:  automl_lm: node "hc": did not answer within/, 'strict => true: a slow node is an error');
	ok($node{hc}->poll_query_until('postgres', q{SELECT count(*) = 0 FROM pg_stat_activity WHERE query LIKE '%automl.node_lm%' AND pid <> pg_backend_pid()}),
		'the node\'s query was cancelled (none left running on hc)');
}

# cancelling the centre's query cancels the nodes' queries
{
	my $session = $centre->background_psql('postgres', on_error_stop => 0);
	my $pid = $session->query_safe('SELECT pg_backend_pid()');
	$session->query_until(qr/start/, "\\echo start\nSELECT count(*) FROM automl_lm('science.cde_features_a', $lm, nodes => '{local,hb,hc}');\n");
	ok($node{hc}->poll_query_until('postgres', q{SELECT count(*) = 1 FROM pg_stat_activity WHERE query LIKE '%automl.node_lm%' AND wait_event_type = 'Lock'}),
		'the node is working on (waiting in) the federated call');
	$centre->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
	ok($node{hc}->poll_query_until('postgres', q{SELECT count(*) = 0 FROM pg_stat_activity WHERE query LIKE '%automl.node_lm%' AND pid <> pg_backend_pid()}),
		'pg_cancel_backend at the centre cancels the query on the node');
	$session->quit;
}

# a node stopped in the middle of an analysis
{
	my $session = $centre->background_psql('postgres', on_error_stop => 0);
	$session->query_until(qr/start/, "\\echo start\nSELECT 'rows=' || count(*) FROM automl_lm('science.cde_features_a', $lm, nodes => '{local,hb,hc}');\n");
	ok($node{hc}->poll_query_until('postgres', q{SELECT count(*) = 1 FROM pg_stat_activity WHERE query LIKE '%automl.node_lm%' AND wait_event_type = 'Lock'}),
		'the call reached hc');
	# stop the node first: releasing its lock would let it answer
	$node{hc}->stop('immediate');
	$locker->{run}->kill_kill;
	ok(pump_until($session->{run}, $session->{timeout}, \$session->{stdout}, qr/rows=3/), 'the analysis finishes without the stopped node');
	ok(pump_until($session->{run}, $session->{timeout}, \$session->{stderr}, qr/WARNING:  automl_lm: node "hc": /),
		'the stopped node is reported');
	note("stopped node: $session->{stderr}");
	$session->quit;
}

# a node that is down
{
	my ($rc, $out, $err) = $centre->psql('postgres', "SELECT count(*) FROM automl_lm('science.cde_features_a', $lm, nodes => '{local,hb,hc}')");
	is($out, '3', 'a node that is down does not fail the analysis');
	like($err, qr/node "hc": could not connect/, '... it is reported');
	my ($d) = compare('automl_lm', $lm, '{local,hb,hc}', $two_nodes);
	ok($d ne 'Infinity' && $d <= 1e-10, "... and the result is the other nodes' pooled fit ($d)");
	($rc, $out, $err) = $centre->psql('postgres', "SELECT count(*) FROM automl_lm('science.cde_features_a', $lm, nodes => '{local,hb,hc}', strict => true)");
	like($err, qr/ERROR:  automl_lm: node "hc": could not connect/, 'strict => true: a node that is down is an error');
	($rc, $out, $err) = $centre->psql('postgres', "SELECT count(*) FROM automl_lm('science.cde_features_a', $lm, nodes => '{hc}')");
	like($err, qr/no node contributed rows/, 'no node answering is an error');
}

is($centre->safe_psql('postgres', "SELECT automl_node_remove('hc')"), 't', 'automl_node_remove');
$_->stop for grep { $_->name ne 'hc' } values %node;
done_testing();
