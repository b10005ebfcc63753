# 415_federation_lm_one_round.pl — automl_lm / automl_lm_glance /
# automl_anova over nodes in one round (protocol 2, src/federation/fed_lm.c):
# each node codes its rows with its own levels and the centre maps them into
# the union's contrasts.  Three clusters (400_federation.pm); a synthetic
# table whose hospitals hold different levels:
#   factor a: h1 {a1, a2, a3}, h2 {a2, a3, a4} (no reference level a1),
#             h3 {a1, a3, a5} (a4, a5: levels present on one node only);
#   factor b: h1, h2 {p, q}, h3 {q, r} (no reference level p).
# Rows with a NULL x (every 50th) or a NaN y (one row) are left out as
# locally.  Checked: results equal the same function on the union of the rows within
# 1e-10 relative (factor + numeric, factor * numeric, two factors and their
# interaction, interactions without main effects, no intercept, a boolean, a
# filter, ANOVA types 1-3, glance); one call is one logged round per node; a cell under
# automl.min_group_size suppresses the node's part (feedback); a node of the
# previous version (no automl.node_lm(regclass, text, jsonb)) is reported as
# older, and with strict => true the call fails with 42883; the previous
# protocol's node function still answers (centres of the previous version).
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
my %hosp = (centre => 1, hb => 2, hc => 3);

# the same deterministic rows on every cluster; each keeps its hospital's
my $rows = q{
	SELECT i, h,
	       (CASE h WHEN 1 THEN ARRAY['a1','a2','a3'] WHEN 2 THEN ARRAY['a2','a3','a4'] ELSE ARRAY['a1','a3','a5'] END)[1 + (i / 3) % 3] AS a,
	       (CASE h WHEN 3 THEN ARRAY['q','r'] ELSE ARRAY['p','q'] END)[1 + (i / 9) % 2] AS b,
	       ((i * 37) % 101) / 10.0 AS x
	  FROM (SELECT i, 1 + i % 3 AS h FROM generate_series(1, 900) i) s
};
for my $name (keys %node)
{
	$node{$name}->safe_psql('postgres', qq{
		CREATE TABLE science.t415 AS
		SELECT i, h, a, b, CASE WHEN i % 50 <> 0 THEN x::float8 END AS x, i % 4 = 0 AS flag,
		       (1 + 0.5 * x + (CASE a WHEN 'a2' THEN 1 WHEN 'a3' THEN -0.5 WHEN 'a4' THEN 2 WHEN 'a5' THEN 0.3 ELSE 0 END)
		          + (CASE b WHEN 'q' THEN 0.7 WHEN 'r' THEN -1 ELSE 0 END) * (1 + 0.1 * x) + sin(i * 1.7) + CASE WHEN i = 77 THEN 'NaN'::float8 ELSE 0 END)::float8 AS y
		  FROM ($rows) s;
		CREATE TABLE science.t415_pool AS TABLE science.t415;
		DELETE FROM science.t415 WHERE h <> $hosp{$name};
		GRANT SELECT ON science.t415 TO fed;
	});
}
is($node{hb}->safe_psql('postgres', q{SELECT string_agg(DISTINCT a, ',') || ' ' || string_agg(DISTINCT b, ',') FROM science.t415}),
	'a2,a3,a4 p,q', 'hb lacks the reference level a1 and has a4, a level no other node has');
is($node{hc}->safe_psql('postgres', q{SELECT string_agg(DISTINCT a, ',') || ' ' || string_agg(DISTINCT b, ',') FROM science.t415}),
	'a1,a3,a5 q,r', 'hc lacks the reference level p of b and has a5 and r');

sub compare
{
	my ($fn, $args, $extra) = @_;
	$extra //= '';
	my ($rc, $out, $err) = $centre->psql('postgres', qq{
		SET client_min_messages = warning;
		SELECT maxrel((SELECT jsonb_agg(to_jsonb(t)) FROM $fn('science.t415', $args, nodes => '{local,hb,hc}'$extra) t),
		              (SELECT jsonb_agg(to_jsonb(t)) FROM $fn('science.t415_pool', $args) t)),
		       (SELECT count(*) FROM $fn('science.t415_pool', $args) t);
	});
	my ($d, $n) = split /\|/, ($out // '');
	return ((defined $d && $d ne '') ? $d : 'Infinity', $n // 0, $err);
}

my @cases = (
	[ 'automl_lm', q{'y ~ x + a'}, 'a level on one node only, a node without the reference level' ],
	[ 'automl_lm', q{'y ~ x * a'}, 'factor * numeric' ],
	[ 'automl_lm', q{'y ~ a * b'}, 'two factors and their interaction (empty cells aliased)' ],
	[ 'automl_lm', q{'y ~ a * b + x:b'}, 'two factors, factor:numeric' ],
	[ 'automl_lm', q{'y ~ a:b + x'}, 'interaction of two factors without main effects' ],
	[ 'automl_lm', q{'y ~ a:x'}, 'factor:numeric without main effects' ],
	[ 'automl_lm', q{'y ~ 0 + a + x'}, 'no intercept' ],
	[ 'automl_lm', q{'y ~ x * a + flag'}, 'a boolean factor' ],
	[ 'automl_lm', q{'y ~ x * a', '{"rules": [{"field": "x", "operator": "less", "value": 7}, {"field": "b", "operator": "not_equal", "value": "r"}]}'}, 'a filter' ],
	[ 'automl_lm_glance', q{'y ~ x * a + b'}, 'glance' ],
	[ 'automl_anova', q{'y ~ a * b + x', 1}, 'ANOVA type 1' ],
	[ 'automl_anova', q{'y ~ a * b + x', 2}, 'ANOVA type 2' ],
	[ 'automl_anova', q{'y ~ a + b * x', 3}, 'ANOVA type 3 (sum contrasts), two factors' ],
	[ 'automl_anova', q{'y ~ x * a', 3}, 'ANOVA type 3, factor * numeric' ],
);
FedTest::set_min_group_size(1);
for my $case (@cases)
{
	my ($fn, $args, $what) = @$case;
	my ($d, $n, $err) = compare($fn, $args);
	ok($n > 0 && $d ne 'Infinity' && $d <= 1e-10, "$fn($args) over 3 nodes equals the pooled rows: $what (max rel. diff $d, $n rows)")
	  or diag($err);
}

# one round: one logged call per node and fit, no levels round
{
	my $before = $node{hb}->safe_psql('postgres', q{SELECT count(*) FROM automl.federation_log});
	$centre->safe_psql('postgres', q{SELECT count(*) FROM automl_lm('science.t415', 'y ~ a * b', nodes => '{local,hb,hc}')});
	is($node{hb}->safe_psql('postgres', qq{SELECT string_agg(function, ',') FROM automl.federation_log WHERE id > (SELECT max(id) - 1 FROM automl.federation_log) }),
		'automl.node_lm', 'hb answered one automl.node_lm for a formula with factors');
	is($node{hb}->safe_psql('postgres', q{SELECT count(*) FROM automl.federation_log}) - $before, 1, '... and nothing else (one round)');
}

# privacy: hc's a:b cells hold 50 rows each; with its minimum at 60 it suppresses
$node{hc}->safe_psql('postgres', q{ALTER SYSTEM SET automl.min_group_size = 60; SELECT pg_reload_conf()});
{
	my ($rc, $out, $err) = $centre->psql('postgres', q{SELECT count(*) FROM automl_lm('science.t415', 'y ~ a * b', nodes => '{local,hb,hc}')});
	like($err, qr/node "hc": suppressed its part: the group of column "a\w+:b\w+" has fewer than automl.min_group_size \(60\) rows/,
		'a cell of two factors under the node\'s minimum suppresses its part, in the feedback');
	$centre->safe_psql('postgres', q{CREATE TABLE science.t415_h12 AS SELECT * FROM science.t415_pool WHERE h < 3});
	is($centre->safe_psql('postgres', q{SET client_min_messages = error;
		SELECT maxrel((SELECT jsonb_agg(to_jsonb(t)) FROM automl_lm('science.t415', 'y ~ a * b', nodes => '{local,hb,hc}') t),
		              (SELECT jsonb_agg(to_jsonb(t)) FROM automl_lm('science.t415_h12', 'y ~ a * b') t)) <= 1e-10}), 't',
		'... and the others\' rows are fitted (equal to the pooled rows of h1 and h2)');
	($rc, $out, $err) = $centre->psql('postgres', q{SELECT count(*) FROM automl_lm('science.t415', 'y ~ a + b', nodes => '{local,hb,hc}')});
	unlike($err, qr/WARNING/, 'levels of about 100 and 150 rows pass the minimum of 60 (no feedback)');
	like($err, qr/NOTICE:  automl_lm: 1 row with NULL values left out/, '... the NaN response of hc is left out, as locally');
}
$node{hc}->safe_psql('postgres', q{ALTER SYSTEM SET automl.min_group_size = 1; SELECT pg_reload_conf()});

# the previous protocol still answers (a centre of the previous version)
like($node{hb}->safe_psql('postgres', q{SET ROLE fed; SELECT automl.node_lm('science.t415', 'y ~ a', NULL, '[["a1", "a2", "a3", "a4", "a5"]]', 'treatment')}),
	qr/"names": \["\(Intercept\)", "aa2", "aa3", "aa4", "aa5"\]/, 'the protocol 1 node function (centre\'s levels) still answers');

# a node of the previous version: no automl.node_lm(regclass, text, jsonb)
$node{hc}->safe_psql('postgres', q{ALTER EXTENSION automl DROP FUNCTION automl.node_lm(regclass, text, jsonb); DROP FUNCTION automl.node_lm(regclass, text, jsonb)});
{
	my ($rc, $out, $err) = $centre->psql('postgres', q{SELECT count(*) FROM automl_lm('science.t415', 'y ~ x + a', nodes => '{local,hb,hc}')});
	like($err, qr/node "hc": function automl.node_lm\(regclass, text, jsonb\) does not exist \(the node's automl is older than this server's: upgrade it\)/,
		'a node of the previous version is reported as older, in the feedback');
	is($out, '5', '... and the call goes on with the others (levels a1-a4: 5 terms)');
	($rc, $out, $err) = $centre->psql('postgres', q{SELECT count(*) FROM automl_lm('science.t415', 'y ~ x + a', nodes => '{local,hb,hc}', strict => true)});
	like($err, qr/ERROR:  automl_lm: node "hc": function .* does not exist \(the node's automl is older/, '... with strict => true, an error');
	($rc, $out, $err) = $centre->psql('postgres', q{\set VERBOSITY verbose
		SELECT count(*) FROM automl_lm('science.t415', 'y ~ x + a', nodes => '{local,hb,hc}', strict => true)});
	like($err, qr/ERROR:  42883/, '... SQLSTATE 42883');
}

done_testing();
