# 405_federation_nb.pl — automl_fit(..., 'gaussian_nb' | 'multinomial_nb' |
# 'bernoulli_nb', nodes => ...) equals automl_fit on the union of the nodes'
# complete rows.
#
# The three clusters and their data: 400_federation.pm (hospitals h1 = the
# centre, also 'local', h2 = hb, h3 = hc; science.pooled = the union; hb
# has 20 rows of an agegroup level 'only-h2' no other hospital has).
#
# Checked, against automl_fit on science.pooled restricted to the rows
# without NULL in the target and the features (the rows the nodes use):
# the model's parameters (class counts and priors, theta, var, epsilon, the
# classes and the categories of the schema) within 1e-10 relative, and the
# probabilities automl_predict_proba gives for every pooled row within
# 1e-10, the labels of automl_predict identical; a boolean and an integer
# target (classes by value); a filter applied on every node; var_smoothing
# passed through; the nodes' log; automl.min_group_size: a class under the
# minimum on hc suppresses hc's part (feedback), the model is then the
# pooled fit of h1 and h2; hc down: warning and the fit of the others,
# strict => true an error (08006); refusals (algorithm, features).
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

# boolean target ad on every hospital and the pool
for my $n ($centre, $node{hb}, $node{hc})
{
	$n->safe_psql('postgres', q{
		ALTER TABLE science.cde_features_a ADD COLUMN ad boolean;
		UPDATE science.cde_features_a SET ad = alzheimerbroadcategory = 'AD';
	});
}
$centre->safe_psql('postgres', q{
	ALTER TABLE science.pooled ADD COLUMN ad boolean;
	UPDATE science.pooled SET ad = alzheimerbroadcategory = 'AD';
	-- largest relative difference of the numbers of two JSON documents of the
	-- same shape; Infinity when shape, strings or booleans differ
	CREATE FUNCTION jrel(a jsonb, b jsonb) RETURNS float8 LANGUAGE plpgsql AS $$
	DECLARE m float8 := 0; k text;
	BEGIN
	  IF jsonb_typeof(a) IS DISTINCT FROM jsonb_typeof(b) THEN RAISE WARNING 'differ: % vs %', a, b; RETURN 'Infinity'; END IF;
	  IF jsonb_typeof(a) = 'number' THEN
	    IF a::float8 = b::float8 THEN RETURN 0; END IF;
	    RETURN abs(a::float8 - b::float8) / greatest(abs(a::float8), abs(b::float8));
	  ELSIF jsonb_typeof(a) = 'array' THEN
	    IF jsonb_array_length(a) <> jsonb_array_length(b) THEN RETURN 'Infinity'; END IF;
	    FOR i IN 0 .. jsonb_array_length(a) - 1 LOOP m := greatest(m, jrel(a->i, b->i)); END LOOP;
	    RETURN m;
	  ELSIF jsonb_typeof(a) = 'object' THEN
	    IF (SELECT array_agg(x ORDER BY x) FROM jsonb_object_keys(a) x) IS DISTINCT FROM
	       (SELECT array_agg(x ORDER BY x) FROM jsonb_object_keys(b) x) THEN RETURN 'Infinity'; END IF;
	    FOR k IN SELECT jsonb_object_keys(a) LOOP m := greatest(m, jrel(a->k, b->k)); END LOOP;
	    RETURN m;
	  END IF;
	  IF a = b THEN RETURN 0; END IF;
	  RAISE WARNING 'differ: % vs %', a, b;
	  RETURN 'Infinity';
	END $$;
	-- the pooled rows without NULL in any column the tests use (a NULL is
	-- imputed with the pooled mean over nodes, the median locally)
	CREATE VIEW science.complete AS SELECT * FROM science.pooled
	 WHERE lefthippocampus IS NOT NULL AND righthippocampus IS NOT NULL AND subjectageyears IS NOT NULL
	   AND gender IS NOT NULL AND agegroup IS NOT NULL AND minimentalstate IS NOT NULL AND leftamygdala IS NOT NULL;
	-- the same for two models: estimator state, classes, schema inputs; predictions on those rows
	CREATE FUNCTION model_rel(f bigint, p bigint) RETURNS float8 LANGUAGE sql AS $$
	  SELECT greatest(
	    jrel(a.pipeline->'estimator'->'state', b.pipeline->'estimator'->'state'),
	    jrel(a.pipeline->'schema', b.pipeline->'schema'),
	    jrel(a.classes, b.classes),
	    (SELECT max(jrel(automl_predict_proba(f, t), automl_predict_proba(p, t))) FROM science.complete t),
	    (SELECT CASE WHEN bool_and(automl_predict(f, t) = automl_predict(p, t)) THEN 0 ELSE 'Infinity'::float8 END
	       FROM science.complete t))
	  FROM automl.models a, automl.models b WHERE a.id = f AND b.id = p
	$$;
});

# rows without NULL in these columns, as a query-builder filter
sub complete
{
	my (@cols) = @_;
	my @rules = map { qq{{"field": "$_", "operator": "is_not_null"}} } @cols;
	return '[' . join(', ', @rules) . ']';
}

# federated fit vs the pooled fit on the same rows; returns the max rel. diff
sub same
{
	my ($target, $features, %o) = @_;
	my @f = split /,/, $features;
	my $extra_rules = $o{rules} // '';
	my $pool_rules = $extra_rules . ($o{pool_rules} // '');
	my $rules = complete($target, @f);
	$rules =~ s/\]$/$pool_rules]/;
	my $nodes = $o{nodes} // $all;
	my $params = $o{params} // '{}';
	my $fed_filter = $o{rules} ? ", filter => '{\"rules\": [" . substr($extra_rules, 2) . "]}'" : '';
	my $task = $o{task} ? ", task => '$o{task}'" : '';
	my $algo = $o{algo} // 'gaussian_nb';
	my ($rc, $out, $err) = $centre->psql('postgres', qq{
		SET client_min_messages = warning;
		SELECT model_rel(
		  automl_fit('science.cde_features_a', '$target', '$algo', '$params', '{$features}'$task,
		             nodes => '$nodes'$fed_filter),
		  automl_fit('science.pooled', '$target', '$algo', '$params', '{$features}'$task,
		             filter => '{"condition": "AND", "rules": $rules}'));
	});
	diag($err) if $rc;
	return $out eq '' ? 'Infinity' : $out;
}

FedTest::set_min_group_size(1);
my $d;
$d = same('alzheimerbroadcategory', 'lefthippocampus,righthippocampus,subjectageyears');
ok($d <= 1e-10, "3 classes, numeric features: parameters and predictions equal the pooled fit (max rel. diff $d)");
$d = same('alzheimerbroadcategory', 'lefthippocampus,righthippocampus,gender,agegroup,subjectageyears');
ok($d <= 1e-10, "with categorical features, a level only on hb: levels unioned, one-hot as pooled (max rel. diff $d)");
$d = same('ad', 'lefthippocampus,gender,minimentalstate');
ok($d <= 1e-10, "boolean target: classes false < true as pooled (max rel. diff $d)");
$d = same('alzheimerbroadcategory', 'lefthippocampus,leftamygdala', params => '{"var_smoothing": 0.01}');
ok($d <= 1e-10, "var_smoothing 0.01: epsilon from the pooled variances (max rel. diff $d)");
$d = same('alzheimerbroadcategory', 'lefthippocampus,agegroup',
	rules => q{, {"field": "gender", "operator": "equal", "value": "F"}});
ok($d <= 1e-10, "a filter applied on every node (max rel. diff $d)");
$d = same('alzheimerbroadcategory', 'righthippocampus,subjectageyears', nodes => '{hb,hc}',
	rules => q{, {"field": "dataset", "operator": "in", "value": ["h2", "h3"]}});
ok($d <= 1e-10, "two remote nodes only = the pooled rows of h2 and h3 (max rel. diff $d)");

# s21-fedml: multinomial and Bernoulli naive Bayes over the nodes (src/federation/fed_nb_discrete.c)
$d = same('alzheimerbroadcategory', 'lefthippocampus,righthippocampus,subjectageyears', algo => 'multinomial_nb');
ok($d <= 1e-10, "multinomial_nb, numeric features (pooled min-max scaling): parameters and predictions equal the pooled fit (max rel. diff $d)");
$d = same('alzheimerbroadcategory', 'lefthippocampus,righthippocampus,gender,agegroup,subjectageyears', algo => 'multinomial_nb');
ok($d <= 1e-10, "multinomial_nb with categorical features, a level only on hb (max rel. diff $d)");
$d = same('ad', 'lefthippocampus,gender,minimentalstate', algo => 'multinomial_nb', params => '{"alpha": 0.5, "fit_prior": false}');
ok($d <= 1e-10, "multinomial_nb, boolean target, alpha 0.5, uniform priors (max rel. diff $d)");
$d = same('alzheimerbroadcategory', 'lefthippocampus,agegroup', algo => 'multinomial_nb',
	rules => q{, {"field": "gender", "operator": "equal", "value": "F"}});
ok($d <= 1e-10, "multinomial_nb with a filter on every node (max rel. diff $d)");
$d = same('alzheimerbroadcategory', 'lefthippocampus,righthippocampus,subjectageyears', algo => 'bernoulli_nb');
ok($d <= 1e-10, "bernoulli_nb, numeric features (rows above the pooled mean counted on the nodes): equal to the pooled fit (max rel. diff $d)");
$d = same('alzheimerbroadcategory', 'lefthippocampus,righthippocampus,gender,agegroup,subjectageyears', algo => 'bernoulli_nb');
ok($d <= 1e-10, "bernoulli_nb with categorical features (max rel. diff $d)");
$d = same('alzheimerbroadcategory', 'lefthippocampus,gender,minimentalstate', algo => 'bernoulli_nb', params => '{"binarize": 0.5, "alpha": 2}');
ok($d <= 1e-10, "bernoulli_nb, binarize 0.5 and alpha 2 (max rel. diff $d)");
$d = same('ad', 'lefthippocampus,leftamygdala', algo => 'bernoulli_nb', params => '{"binarize": -0.25}');
ok($d <= 1e-10, "bernoulli_nb, binarize -0.25, boolean target (max rel. diff $d)");
$d = same('alzheimerbroadcategory', 'righthippocampus,subjectageyears', nodes => '{hb,hc}', algo => 'bernoulli_nb',
	rules => q{, {"field": "dataset", "operator": "in", "value": ["h2", "h3"]}});
ok($d <= 1e-10, "bernoulli_nb over two remote nodes = the pooled rows of h2 and h3 (max rel. diff $d)");
like($node{hb}->safe_psql('postgres', q{SELECT string_agg(arguments->>'request', ' ' ORDER BY id)
	FROM automl.federation_log WHERE function = 'automl.node_nb_counts'}),
	qr/"minmax": true.*"above": \[.*"binarize": 0/, 'hb logged node_nb_counts: the min-max round and the threshold round');

# bernoulli_nb: hc passes round 1 but suppresses round 2 (a class's count
# above the pooled mean under its minimum): both rounds again without hc
{
	my $mean = $centre->safe_psql('postgres', q{SELECT avg(lefthippocampus) FROM science.pooled
		WHERE lefthippocampus IS NOT NULL AND alzheimerbroadcategory IS NOT NULL});
	my ($small, $classes) = split /\|/, $node{hc}->safe_psql('postgres', qq{
		SELECT least(min(a), min(n - a)), min(n) FROM (SELECT count(*) n, count(*) FILTER (WHERE lefthippocampus > $mean) a
		  FROM science.cde_features_a WHERE lefthippocampus IS NOT NULL AND alzheimerbroadcategory IS NOT NULL
		 GROUP BY alzheimerbroadcategory) s});
	SKIP:
	{
		skip "no count above/below the mean on hc is smaller than its smallest class ($small, $classes)", 3
			unless $small > 0 && $small + 1 <= $classes;
		$node{hc}->safe_psql('postgres', qq{ALTER SYSTEM SET automl.min_group_size = @{[$small + 1]}; SELECT pg_reload_conf()});
		my ($rc, $out, $err) = $centre->psql('postgres', qq{SET client_min_messages = warning;
			SELECT automl_fit('science.cde_features_a', 'alzheimerbroadcategory', 'bernoulli_nb', features => '{lefthippocampus}', nodes => '$all') > 0;
			SELECT automl_federation_feedback()::text});
		like($err, qr/node "hc": suppressed its part: a class's rows (above|below) a threshold/,
			"bernoulli_nb: hc suppresses round 2 (min_group_size @{[$small + 1]}): warned") or diag($err);
		like($out, qr/^t\n/, '... the fit runs again without hc') or diag($out, $err);
		$d = same('alzheimerbroadcategory', 'lefthippocampus', algo => 'bernoulli_nb',
			pool_rules => q{, {"field": "dataset", "operator": "in", "value": ["h1", "h2"]}});
		ok($d <= 1e-10, "... the model is the pooled bernoulli_nb fit of h1 and h2 (max rel. diff $d)");
		FedTest::set_min_group_size(1);
	}
}

# the stored model: a normal model (automl_predict by id, description, metrics)
{
	my $id = $centre->safe_psql('postgres', qq{
		SET client_min_messages = warning;
		SELECT automl_fit('science.cde_features_a', 'alzheimerbroadcategory', 'gaussian_nb',
		                  features => '{lefthippocampus,gender}', name => 'fed_nb', nodes => '$all')});
	my $out = $centre->safe_psql('postgres', qq{
		SELECT a.algorithm, a.task, a.metrics->>'rows', a.metrics->'nodes', a.description
		  FROM automl.models a WHERE a.id = $id});
	like($out, qr/^gaussian_nb\|classification\|\d+\|\["local", "hb", "hc"\]\|one-hot encoding → imputation \(add_indicator=true\) → Gaussian naive Bayes$/,
		'stored as a gaussian_nb classification model: rows and contributing nodes in metrics, mean imputation')
		or diag($out);
	is($centre->safe_psql('postgres', q{SELECT count(*) FROM science.pooled p WHERE automl_predict('fed_nb', p) IS NULL}),
		'0', 'automl_predict serves it by name (deployed), NULL values imputed');
}

# the log on hb
like($node{hb}->safe_psql('postgres', q{SELECT arguments->>'target' || ' ' || (rows_aggregated > 0)::text
	FROM automl.federation_log WHERE function = 'automl.node_nb' ORDER BY id DESC LIMIT 1}),
	qr/^alzheimerbroadcategory true$/, 'hb logged automl.node_nb with the target and its rows');

# automl_mining's naiveBayes over the nodes: automl_fit over the nodes with the query's rows
{
	my $q = q{'{"user": {"code": "u"}, "targetTable": {"dbSchema": "science", "name": "cde_features_a"}, "variables": [{"code": "alzheimerbroadcategory"}], "covariables": [{"code": "lefthippocampus"}, {"code": "righthippocampus"}], "algorithm": {"code": "naiveBayes"}}'::jsonb};
	my $out = $centre->safe_psql('postgres', qq{SET client_min_messages = warning;
		CREATE TEMP TABLE res AS SELECT automl_mining($q, nodes => '$all') r;
		SELECT coalesce(r->>'error', 'no error') || ' ' || (r->>'type') FROM res;
		SELECT j.function || ' ' || (j.parameters->'nodes')::text FROM res JOIN woken.job_result j ON j.job_id = res.r->>'jobId';
		SELECT (m.metrics->'nodes')::text || ' ' || m.algorithm FROM automl.models m ORDER BY id DESC LIMIT 1});
	is($out, qq{no error application/pfa+json\nautoml_fit:gaussian_nb ["local", "hb", "hc"]\n["local", "hb", "hc"] gaussian_nb},
		'automl_mining naiveBayes with nodes: a PFA model fitted over the three nodes');
}

# refusals
my ($rc, $out, $err) = $centre->psql('postgres', qq{SELECT automl_fit('science.cde_features_a', 'alzheimerbroadcategory', 'random_forest', features => '{lefthippocampus}', nodes => '$all')});
like($err, qr/algorithm "random_forest" is not supported over federation nodes/, 'other algorithms refused over nodes');
($rc, $out, $err) = $centre->psql('postgres', qq{SELECT automl_fit('science.cde_features_a', 'alzheimerbroadcategory', 'gaussian_nb', nodes => '$all')});
like($err, qr/needs the features named/, 'features must be named over nodes');
($rc, $out, $err) = $centre->psql('postgres', qq{SELECT automl_fit('science.cde_features_a', 'lefthippocampus', 'gaussian_nb', features => '{righthippocampus}', nodes => '$all')});
like($err, qr/does not do regression/, 'a float target is regression: refused as locally');

# a class under automl.min_group_size on hc: hc sends only the fact
{
	my $smallest = $node{hc}->safe_psql('postgres', q{SELECT min(n) FROM (SELECT count(*) n FROM science.cde_features_a
		WHERE lefthippocampus IS NOT NULL AND alzheimerbroadcategory IS NOT NULL GROUP BY alzheimerbroadcategory) s});
	FedTest::set_min_group_size(1);
	$node{hc}->safe_psql('postgres', qq{ALTER SYSTEM SET automl.min_group_size = @{[$smallest + 1]}; SELECT pg_reload_conf()});
	($rc, $out, $err) = $centre->psql('postgres', qq{
		SELECT automl_fit('science.cde_features_a', 'alzheimerbroadcategory', 'gaussian_nb', features => '{lefthippocampus}', nodes => '$all') > 0;
		SELECT automl_federation_feedback()::text});
	like($err, qr/hc.*suppressed its part: a class of the target has fewer than automl.min_group_size/,
		"hc's smallest class ($smallest rows) under the minimum: suppressed, warned") or diag($err);
	like($out, qr/^t\n.*"node": "hc"/s, '... the fit goes on, feedback names hc');
	like($node{hc}->safe_psql('postgres', q{SELECT suppressed FROM automl.federation_log WHERE function = 'automl.node_nb' ORDER BY id DESC LIMIT 1}),
		qr/a class of the target/, '... hc logged the suppression');
	unlike($node{hc}->safe_psql('postgres', qq{SET automl.min_group_size = @{[$smallest + 1]};
		SELECT automl.node_nb('science.cde_features_a', 'alzheimerbroadcategory', '{lefthippocampus}', NULL)}),
		qr/"n"|mean|classes/, '... its answer holds no count or moment');
	$d = same('alzheimerbroadcategory', 'lefthippocampus',
		pool_rules => q{, {"field": "dataset", "operator": "in", "value": ["h1", "h2"]}});
	ok($d <= 1e-10, "... the model is the pooled fit of h1 and h2 (max rel. diff $d)");
	FedTest::set_min_group_size(1);
}

# hc down
$node{hc}->stop;
($rc, $out, $err) = $centre->psql('postgres', qq{
	SELECT automl_fit('science.cde_features_a', 'alzheimerbroadcategory', 'gaussian_nb', features => '{lefthippocampus}', nodes => '$all') > 0});
is($out, 't', 'hc down: the model of the others is fitted');
like($err, qr/WARNING:.*hc/, '... with a warning naming hc');
$d = same('alzheimerbroadcategory', 'righthippocampus,gender',
	pool_rules => q{, {"field": "dataset", "operator": "in", "value": ["h1", "h2"]}});
ok($d <= 1e-10, "... equal to the pooled fit of h1 and h2 (max rel. diff $d)");
($rc, $out, $err) = $centre->psql('postgres', qq{
	SELECT automl_fit('science.cde_features_a', 'alzheimerbroadcategory', 'gaussian_nb', features => '{lefthippocampus}', nodes => '$all', strict => true)});
like($err, qr/ERROR:.*hc/, 'strict => true: an error naming hc');
($rc, $out, $err) = $centre->psql('postgres', qq{\\set VERBOSITY verbose
	SELECT automl_fit('science.cde_features_a', 'alzheimerbroadcategory', 'gaussian_nb', features => '{lefthippocampus}', nodes => '$all', strict => true)});
like($err, qr/ERROR:  08006/, '... SQLSTATE 08006');
$node{hc}->start;

done_testing();
