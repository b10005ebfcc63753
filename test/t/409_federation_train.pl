# 409_federation_train.pl — cross-site AutoML: automl_train_federated(...,
# nodes => ...) trains on every hospital, scores every model on every
# hospital's rows, stores an ensemble weighted by the scores on the other
# hospitals' rows.
#
# The three clusters and their data: 400_federation.pm (h1 = the centre,
# also 'local', h2 = hb, h3 = hc); every cluster also holds science.pooled
# (the union, with the dataset column naming the hospital), so each node can
# evaluate directly any hospital's rows.
#
# Checked (classification by balanced accuracy, and regression by rmse,
# lower is better, weights 1 / mean / sum): the stored model (algorithm ensemble) predicts every row at the
# centre with automl_predict, probabilities summing to 1; the score table
# has K x K entries, each equal (1e-12) to automl_evaluate_metrics of that
# node's own stored model on that hospital's rows, computed directly on the
# node; the weights follow max(mean score on the other nodes, 0) / sum; the
# node models have no k-NN and no median/min-max step (row values); the
# nodes' log holds arguments, counts and sizes, no model and no row; explain
# and PFA export refuse the model, automl_evaluate scores it; a node
# whose role is not in automl_federation_member is left out with feedback
# (2 models); a node down: feedback, 2 models, strict => 08006; fewer than 2
# models: 22000.
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
my %hosp = (local => 'h1', hb => 'h2', hc => 'h3');
my %cluster = (local => $centre, hb => $node{hb}, hc => $node{hc});
my $cols = 'alzheimerbroadcategory, subjectageyears, gender, agegroup, lefthippocampus, righthippocampus, minimentalstate, leftamygdala';

for my $n ($centre, $node{hb}, $node{hc})
{
	$n->safe_psql('postgres', qq{
		CREATE TABLE science.t AS SELECT $cols FROM science.cde_features_a;
		GRANT SELECT ON science.t TO fed;
		CREATE VIEW science.t_h1 AS SELECT $cols FROM science.pooled WHERE dataset = 'h1';
		CREATE VIEW science.t_h2 AS SELECT $cols FROM science.pooled WHERE dataset = 'h2';
		CREATE VIEW science.t_h3 AS SELECT $cols FROM science.pooled WHERE dataset = 'h3';
		CREATE VIEW science.p_h1 AS SELECT subjectcode, $cols FROM science.pooled WHERE dataset = 'h1';
	});
}

my $call = q{SELECT automl_train_federated('science.t', 'alzheimerbroadcategory', nodes => '%s',
	time_budget => '3 seconds', name => '%s'%s)};
my ($rc, $id, $err) = $centre->psql('postgres', sprintf($call, '{local,hb,hc}', 'xsite', ''));
is($rc, 0, 'automl_train_federated over local, hb, hc') or diag($err);
like($err, qr/cross-site ensemble of 3 node models/, 'NOTICE names the ensemble of 3 models');

is($centre->safe_psql('postgres', "SELECT algorithm || ' ' || task FROM automl.models WHERE id = $id"),
	'ensemble classification', 'stored as an ensemble classifier');
is($centre->safe_psql('postgres', qq{
	SELECT count(*) FILTER (WHERE automl_predict($id, t) IS NOT NULL) || ' ' ||
	       bool_and(abs((SELECT sum(v::float8) FROM jsonb_each_text(automl_predict_proba($id, t)) x(k, v))::float8 - 1) < 1e-9)
	  FROM science.t t}), '334 true', 'automl_predict serves it on every centre row; probabilities sum to 1');
is($centre->safe_psql('postgres', qq{SELECT automl_predict('xsite', t) = automl_predict($id, t) FROM science.t t LIMIT 1}),
	't', 'served by name too');

# the score table: K x K, each entry = the node model evaluated directly on that hospital's rows
my $table = $centre->safe_psql('postgres', "SELECT model_node || ' ' || data_node || ' ' || score || ' ' || data_rows FROM automl_federated_scores($id)");
my @rows = split /\n/, $table;
is(scalar @rows, 9, 'score table: 3 x 3 entries');
my %ids = map { split / / } split /\n/, $centre->safe_psql('postgres', qq{
	SELECT n || ' ' || (metrics->'cross_site'->'node_model_id'->>(i::int - 1))
	  FROM automl.models, jsonb_array_elements_text(metrics->'cross_site'->'nodes') WITH ORDINALITY a(n, i) WHERE id = $id});
is($centre->safe_psql('postgres', "SELECT metrics->'cross_site'->>'metric' FROM automl.models WHERE id = $id"),
	'balanced_accuracy', 'metric auto = balanced_accuracy');
my $maxdiff = 0;
my $rows_ok = 1;
for my $r (@rows)
{
	my ($mn, $dn, $score, $n) = split / /, $r;
	my $direct = $cluster{$mn}->safe_psql('postgres', qq{
		SELECT value FROM automl_evaluate_metrics($ids{$mn}, 'science.t_$hosp{$dn}') WHERE metric = 'balanced_accuracy'});
	my $d = abs($direct - $score);
	$maxdiff = $d if $d > $maxdiff;
	$rows_ok = 0 unless $n eq $cluster{$dn}->safe_psql('postgres', 'SELECT count(*) FROM science.t WHERE alzheimerbroadcategory IS NOT NULL');
}
cmp_ok($maxdiff, '<=', 1e-12, "each score = automl_evaluate_metrics of the node's model on that hospital's rows (max diff $maxdiff)");
ok($rows_ok, 'data_rows = the hospital\'s rows with a target');

# weights: max(mean of the scores on the other nodes, 0) / sum
is($centre->safe_psql('postgres', qq{
	WITH m AS (SELECT model_node, avg(score) FILTER (WHERE model_node <> data_node) mo, max(weight) w, max(mean_other) mean_other
	             FROM automl_federated_scores($id) GROUP BY model_node)
	SELECT bool_and(abs(mo - mean_other) < 1e-12 AND abs(w - greatest(mo, 0) / (SELECT sum(greatest(mo, 0)) FROM m)) < 1e-12)
	       AND abs(sum(w) - 1) < 1e-12 FROM m}), 't', 'weights = max(mean score on the other nodes, 0) / sum');
# the served probabilities = sum of weight x each node's own model's probabilities,
# the node models evaluated on their own cluster (same rows: the centre's hospital)
my %w = map { split / / } split /\n/, $centre->safe_psql('postgres',
	"SELECT DISTINCT model_node || ' ' || weight FROM automl_federated_scores($id)");
my %mix;
for my $mn (keys %w)
{
	for my $line (split /\n/, $cluster{$mn}->safe_psql('postgres', qq{
		SELECT v.subjectcode || ' ' || p.key || ' ' || p.value FROM science.p_h1 v,
		       jsonb_each_text(automl_predict_proba($ids{$mn}, v)) p}))
	{
		my ($subject, $class, $prob) = split / /, $line;
		$mix{"$subject $class"} += $w{$mn} * $prob;
	}
}
my ($served_n, $mix_diff) = (0, 0);
for my $line (split /\n/, $centre->safe_psql('postgres', qq{
	SELECT v.subjectcode || ' ' || p.key || ' ' || p.value FROM science.p_h1 v,
	       jsonb_each_text(automl_predict_proba($id, v)) p}))
{
	my ($subject, $class, $prob) = split / /, $line;
	my $d = abs($prob - ($mix{"$subject $class"} // 99));
	$mix_diff = $d if $d > $mix_diff;
	$served_n++;
}
ok($served_n == scalar(keys %mix) && $served_n > 334 && $mix_diff <= 1e-12,
	"served probabilities = sum of weight x node model probabilities ($served_n values, max diff $mix_diff)");
is($centre->safe_psql('postgres', qq{SELECT jsonb_array_length(pipeline->'members') >= 3 AND pipeline ? 'schema'
	FROM automl.models WHERE id = $id}), 't', 'the stored ensemble has the nodes\' pipelines and its own schema');

# explanations and PFA export refuse an ensemble whose members have different inputs
($rc, undef, $err) = $centre->psql('postgres', "\\set VERBOSITY verbose\nSELECT count(*) FROM science.t t, automl_explain($id, t) LIMIT 1");
like($err, qr/22023.*different inputs/s, 'automl_explain refuses it (22023)');
($rc, undef, $err) = $centre->psql('postgres', "\\set VERBOSITY verbose\nSELECT automl_export_pfa($id)");
like($err, qr/different inputs.*no PFA export/s, 'automl_export_pfa refuses it');
is($centre->safe_psql('postgres', qq{SELECT round((value)::numeric, 6) > 0 FROM automl_evaluate_metrics($id, 'science.t') WHERE metric = 'balanced_accuracy'}),
	't', 'automl_evaluate scores it');

# privacy: no row-storing estimator or row-value step in a node's model; the log has no model
for my $nn (qw(hb hc))
{
	is($node{$nn}->safe_psql('postgres', q{
		SELECT count(*) FROM automl.models WHERE pipeline::text ~ '"(knn|minmax_scaler|maxabs_scaler|robust_scaler|median|most_frequent)"'}),
		'0', "$nn: its model has no k-NN and no step that keeps row values");
	is($node{$nn}->safe_psql('postgres', q{
		SELECT string_agg(DISTINCT function || ':' || caller, ',') || ' ' ||
		       bool_and((SELECT array_agg(k) FROM jsonb_object_keys(arguments) k) <@
		                ARRAY['relation','columns','filter','target','time_budget_seconds','metric','sent','bytes','models'])
		  FROM automl.federation_log WHERE function IN ('automl.node_train', 'automl.node_score')}),
		'automl.node_score:fed,automl.node_train:fed true', "$nn: federation_log has node_train/node_score with arguments only");
}

# regression by rmse (lower is better): w_i = (1 / mean_other_i) / sum
($rc, my $rid, $err) = $centre->psql('postgres', q{SELECT automl_train_federated('science.t', 'minimentalstate',
	nodes => '{local,hb,hc}', time_budget => '2 seconds', metric => 'rmse')});
is($rc, 0, 'regression over local, hb, hc (metric rmse)') or diag($err);
my %rids = map { split / / } split /\n/, $centre->safe_psql('postgres', qq{
	SELECT n || ' ' || (metrics->'cross_site'->'node_model_id'->>(i::int - 1))
	  FROM automl.models, jsonb_array_elements_text(metrics->'cross_site'->'nodes') WITH ORDINALITY a(n, i) WHERE id = $rid});
my ($rcount, $rdiff) = (0, 0);
for my $r (split /\n/, $centre->safe_psql('postgres', "SELECT model_node || ' ' || data_node || ' ' || score FROM automl_federated_scores($rid)"))
{
	my ($mn, $dn, $score) = split / /, $r;
	my $direct = $cluster{$mn}->safe_psql('postgres', qq{
		SELECT value FROM automl_evaluate_metrics($rids{$mn}, 'science.t_$hosp{$dn}') WHERE metric = 'rmse'});
	$rdiff = abs($direct - $score) if abs($direct - $score) > $rdiff;
	$rcount++;
}
ok($rcount == 9 && $rdiff <= 1e-12, "regression: 3 x 3 rmse scores = automl_evaluate_metrics on the nodes (max diff $rdiff)");
is($centre->safe_psql('postgres', qq{
	WITH m AS (SELECT model_node, max(weight) w, max(mean_other) mo FROM automl_federated_scores($rid) GROUP BY model_node)
	SELECT bool_and(abs(w - (1 / mo) / (SELECT sum(1 / mo) FROM m)) < 1e-12) FROM m}), 't', 'regression: weights = (1 / mean rmse on the other nodes) / sum');
my %rw = map { split / / } split /\n/, $centre->safe_psql('postgres',
	"SELECT DISTINCT model_node || ' ' || weight FROM automl_federated_scores($rid)");
my %rmix;
for my $mn (keys %rw)
{
	for my $line (split /\n/, $cluster{$mn}->safe_psql('postgres',
		"SELECT subjectcode || ' ' || automl_predict_value($rids{$mn}, v) FROM science.p_h1 v"))
	{
		my ($subject, $value) = split / /, $line;
		$rmix{$subject} += $rw{$mn} * $value;
	}
}
my ($rn, $rmax) = (0, 0);
for my $line (split /\n/, $centre->safe_psql('postgres',
	"SELECT subjectcode || ' ' || automl_predict_value($rid, v) FROM science.p_h1 v"))
{
	my ($subject, $value) = split / /, $line;
	my $d = abs($value - $rmix{$subject}) / (1 + abs($value));
	$rmax = $d if $d > $rmax;
	$rn++;
}
ok($rn == 334 && $rmax <= 1e-12, "regression: served values = sum of weight x node model values ($rn rows, max rel diff $rmax)");

# a node whose role is not a member is left out (feedback); 2 models
$node{hb}->safe_psql('postgres', 'REVOKE automl_federation_member FROM fed');
($rc, my $id2, $err) = $centre->psql('postgres', sprintf($call, '{local,hb,hc}', 'xsite', ''));
is($rc, 0, 'with hb refusing the role: the call succeeds') or diag($err);
like($err, qr/WARNING:  automl_train_federated: node "hb": permission denied for federation function automl.node_train/, 'feedback: hb refused the role');
is($centre->safe_psql('postgres', "SELECT string_agg(DISTINCT model_node, ',') FROM automl_federated_scores($id2)"),
	'hc,local', 'ensemble of local and hc');
$node{hb}->safe_psql('postgres', 'GRANT automl_federation_member TO fed');

# hc down: feedback and 2 models; strict: 08006; {local,hc}: fewer than 2 models
$node{hc}->stop;
($rc, my $id3, $err) = $centre->psql('postgres', sprintf($call, '{local,hb,hc}', 'down', ''));
is($rc, 0, 'hc down: the call succeeds') or diag($err);
like($err, qr/WARNING:.*hc/, 'hc down: a warning names hc');
is($centre->safe_psql('postgres', "SELECT count(*) || ' ' || string_agg(DISTINCT model_node, ',') FROM automl_federated_scores($id3)"),
	'4 hb,local', 'hc down: 2 x 2 score table of local and hb');
($rc, undef, $err) = $centre->psql('postgres', "SET client_min_messages = error;\n\\set VERBOSITY verbose\n"
	. sprintf($call, '{local,hb,hc}', 'down', ', strict => true'));
like($err, qr/08006/, 'hc down, strict => true: 08006');
($rc, undef, $err) = $centre->psql('postgres', "\\set VERBOSITY verbose\n" . sprintf($call, '{local,hc}', 'down', ''));
like($err, qr/22000.*at least 2 nodes/s, 'one model only: 22000, at least 2 nodes');
$node{hc}->start;

done_testing();
