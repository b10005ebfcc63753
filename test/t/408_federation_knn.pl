# 408_federation_knn.pl — automl_fit(..., 'knn', nodes => ...): k-NN over
# federation nodes as Woken did it (the rows — its "codebooks" — gathered),
# allowed only by each node's own automl.federation_allow_rows.
#
# The clusters and data: 400_federation.pm (h1 = centre = 'local', hb, hc;
# science.pooled = the union).  Checked:
# - default (off everywhere): every node refuses (42501, the message and
#   hint), feedback names each node, the fit fails with "no node
#   contributed"; strict => true: 42501;
# - a non-superuser cannot turn the GUC on (it is the node's decision);
# - allowed on every node: the model equals automl_fit knn on the pooled
#   complete rows in the order the centre gathers them (k-NN breaks distance
#   ties by row order) — automl_predict labels identical on every complete
#   pooled row, automl_predict_proba within 1e-10, classes identical; labels
#   identical to the fit on science.pooled (another order) too; its metrics
#   name the nodes and say row_values; hb logged automl.node_rows with its
#   row count and "row_values": true;
# - allowed on the centre and hb only: feedback says hc refused, the model
#   equals the pooled fit of h1 and h2; strict => true: 42501 naming hc.
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
my $features = 'lefthippocampus,righthippocampus,gender,agegroup';
my @f = split /,/, $features;
my $target = 'alzheimerbroadcategory';
my $complete = join(', ', map { qq{{"field": "$_", "operator": "is_not_null"}} } ($target, @f));

sub allow
{
	my ($n, $on) = @_;
	$n->safe_psql('postgres', qq{LOAD 'automl'; ALTER SYSTEM SET automl.federation_allow_rows = $on; SELECT pg_reload_conf()});
}

# federated knn vs automl_fit knn on the pooled complete rows (extra pooled rules)
sub same
{
	my ($nodes, $pool_rules, $params, $pool) = @_;
	$pool //= 'science.pooled_u';
	$pool_rules //= '';
	$params //= '{}';
	my ($rc, $out, $err) = $centre->psql('postgres', qq{
		SET client_min_messages = warning;
		CREATE TEMP TABLE m AS SELECT
		  automl_fit('science.cde_features_a', '$target', 'knn', '$params', '{$features}', nodes => '$nodes') f,
		  automl_fit('$pool', '$target', 'knn', '$params', '{$features}',
		             filter => '{"condition": "AND", "rules": [$complete$pool_rules]}') p;
		CREATE TEMP VIEW rows AS SELECT * FROM science.pooled WHERE @{[join(' AND ', map { "$_ IS NOT NULL" } ($target, @f))]};
		SELECT (SELECT count(*) FROM rows t, m WHERE automl_predict(m.f, t) IS DISTINCT FROM automl_predict(m.p, t)) || ' ' ||
		       (SELECT max(abs(a.v - b.v)) FROM rows t, m,
		          LATERAL (SELECT row_number() OVER () i, v FROM unnest(ARRAY(SELECT (jsonb_each(automl_predict_proba(m.f, t))).value::float8)) v) a,
		          LATERAL (SELECT row_number() OVER () i, v FROM unnest(ARRAY(SELECT (jsonb_each(automl_predict_proba(m.p, t))).value::float8)) v) b
		         WHERE a.i = b.i) || ' ' ||
		       (SELECT (a.classes = b.classes)::text FROM automl.models a, automl.models b, m WHERE a.id = m.f AND b.id = m.p) || ' ' ||
		       (SELECT count(*) FROM rows)
		  FROM m;
	});
	diag($err) if $rc;
	return $out;
}

# The pooled rows in the order the centre gathers them (local, hb, hc, each
# node's scan order): k-NN breaks ties between equidistant neighbours by row
# order, so the exact comparison is with automl_fit on this table.
{
	my @ins;
	my $pos = 0;
	for my $n ($centre, $node{hb}, $node{hc})
	{
		push @ins, map { "('$_', " . $pos++ . ")" } split /\n/, $n->safe_psql('postgres', 'SELECT subjectcode FROM science.cde_features_a');
	}
	$centre->safe_psql('postgres', qq{
		CREATE TABLE science.ord (subjectcode text, pos int);
		INSERT INTO science.ord VALUES @{[join(', ', @ins)]};
		CREATE TABLE science.pooled_u AS SELECT p.* FROM science.pooled p JOIN science.ord o USING (subjectcode) ORDER BY o.pos;
		GRANT SELECT ON science.pooled_u TO analyst;
	});
}

# ---------------------------------------------------------------- default: refused
{
	my ($rc, $out, $err) = $centre->psql('postgres', qq{
		SELECT automl_fit('science.cde_features_a', '$target', 'knn', features => '{$features}', nodes => '$all')});
	isnt($rc, 0, 'default (automl.federation_allow_rows off on every node): the fit fails');
	like($err, qr/node "hb".*this node does not let row values leave it/s, 'hb refuses: its message in the feedback') or diag($err);
	like($err, qr/node "hc".*this node does not let row values leave it/s, 'hc refuses too');
	like($err, qr/node "local": suppressed its part: this node does not let row values leave it/,
		"the centre as node 'local' follows its own setting (feedback)");
	like($err, qr/no node contributed/, '... no node contributed rows');
	($rc, $out, $err) = $centre->psql('postgres', qq{
		SELECT automl_fit('science.cde_features_a', '$target', 'knn', features => '{$features}', nodes => '{hb}', strict => true)});
	like($err, qr/ERROR:  .*this node does not let row values leave it/, 'strict => true: the refusal is the error');
	($rc, $out, $err) = $node{hb}->psql('postgres', q{LOAD 'automl'; SET ROLE fed; SET automl.federation_allow_rows = on});
	like($err, qr/permission denied to set parameter "automl.federation_allow_rows"/,
		'a non-superuser (the federation role) cannot turn it on: the node decides');
	($rc, $out, $err) = $node{hb}->psql('postgres', q{SET ROLE fed; SELECT automl.node_rows('science.cde_features_a', 'alzheimerbroadcategory', '{lefthippocampus}', NULL)});
	like($err, qr/ERROR:  this node does not let row values leave it.*HINT:  A superuser of this node can allow it with ALTER SYSTEM SET automl.federation_allow_rows = on/s,
		'the node function refuses with a hint') or diag($err);
	is($node{hb}->safe_psql('postgres', q{SELECT count(*) FROM automl.federation_log WHERE function = 'automl.node_rows'}), '0',
		'nothing logged as sent by a refusing node');
}

# ---------------------------------------------------------------- allowed everywhere
allow($_, 'on') for values %node;
{
	my $out = same($all);
	my ($diff, $maxp, $cls, $n) = split / /, $out;
	is($diff, '0', "allowed on every node: automl_predict labels identical to the pooled fit on all $n complete rows");
	ok(defined $maxp && $maxp <= 1e-10, "... automl_predict_proba within 1e-10 (max abs. diff $maxp)");
	is($cls, 'true', '... same classes');
	($diff, $maxp) = split / /, same($all, '', '{}', 'science.pooled');
	is($diff, '0', "... labels identical to automl_fit on science.pooled too (rows in another order; probabilities differ by at most $maxp where equidistant neighbours are chosen by row order)");
	is($centre->safe_psql('postgres', q{SELECT relation || ' ' || (metrics->'nodes')::text || ' ' || (metrics->>'row_values')
		FROM automl.models WHERE algorithm = 'knn' ORDER BY id DESC OFFSET 1 LIMIT 1}),
		'science.cde_features_a ["local", "hb", "hc"] true', 'the model names its relation, nodes and row_values');
	my $hbrows = $node{hb}->safe_psql('postgres', qq{SELECT count(*) FROM science.cde_features_a
		WHERE @{[join(' AND ', map { "$_ IS NOT NULL" } ($target, @f))]}});
	is($node{hb}->safe_psql('postgres', q{SELECT rows_aggregated || ' ' || (arguments->>'row_values')
		FROM automl.federation_log WHERE function = 'automl.node_rows' ORDER BY id DESC LIMIT 1}),
		"$hbrows true", "hb logged automl.node_rows: $hbrows rows, row_values true");
	$out = same($all, '', '{"n_neighbors": 3, "weights": "distance"}');
	($diff, $maxp) = split / /, $out;
	is($diff, '0', 'n_neighbors 3, distance weights: labels identical');
}

# ---------------------------------------------------------------- hc does not allow it
allow($node{hc}, 'off');
{
	my ($rc, $out, $err) = $centre->psql('postgres', qq{SET client_min_messages = warning;
		SELECT automl_fit('science.cde_features_a', '$target', 'knn', features => '{$features}', nodes => '$all') > 0;
		SELECT automl_federation_feedback()::text});
	like($out, qr/^t\n.*"node": "hc".*this node does not let row values leave it/s,
		'allowed on the centre and hb only: feedback says hc refused') or diag($out, $err);
	my ($diff) = split / /, same($all, q{, {"field": "dataset", "operator": "in", "value": ["h1", "h2"]}});
	is($diff, '0', '... the model is the pooled fit of h1 and h2 (labels identical)');
	($rc, $out, $err) = $centre->psql('postgres', qq{
		SELECT automl_fit('science.cde_features_a', '$target', 'knn', features => '{$features}', nodes => '$all', strict => true)});
	like($err, qr/ERROR:  .*hc.*this node does not let row values leave it|ERROR:  this node does not let row values leave it/s,
		'strict => true: an error') or diag($err);
}

done_testing();
