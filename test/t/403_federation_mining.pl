# 403_federation_mining.pl — automl_mining(query, strict, nodes): Woken's
# codes with a federated implementation run over the nodes and equal the same
# MiningQuery on the union of the nodes' rows (science.pooled at the centre).
#
# The three clusters and their data: 400_federation.pm (hospitals h1 = the
# centre, also 'local', h2 = hb, h3 = hc).
#
# Checked: statisticsSummary (counts, nulls, mean, std, EX^2, min, quartiles,
# max; a numeric column's unique is NULL over nodes), linearRegression, anova (factorial), histograms,
# correlationHeatmap and pca within 1e-10 relative (counts exact), with
# the user's filters and datasets applied on every node; the woken.job_result
# row (node = the centre's automl.node, parameters.nodes, executionPlan); a
# code without a federated implementation (knn) refused with 0A000
# (QueryResult error, and raised with strict); histograms with a grouping
# (exact counts);
# a node that is down: a feedback entry naming it and the other nodes'
# result, with strict => true an error 08006.
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

# largest relative difference between two JSON documents (numbers compared
# relatively, everything else equal; keys in skip ignored); Infinity if they differ
$centre->safe_psql('postgres', q{
	CREATE FUNCTION jmaxrel(a jsonb, b jsonb, skip text[] DEFAULT '{}') RETURNS float8 LANGUAGE plpgsql AS $$
	DECLARE m float8 := 0; k text;
	BEGIN
	  IF jsonb_typeof(a) = 'number' AND jsonb_typeof(b) = 'number' THEN
	    IF a::float8 = b::float8 THEN RETURN 0; END IF;
	    RETURN abs(a::float8 - b::float8) / greatest(abs(a::float8), abs(b::float8));
	  ELSIF jsonb_typeof(a) = 'object' AND jsonb_typeof(b) = 'object' THEN
	    IF (SELECT array_agg(x ORDER BY x) FROM jsonb_object_keys(a) x) IS DISTINCT FROM
	       (SELECT array_agg(x ORDER BY x) FROM jsonb_object_keys(b) x) THEN
	      RAISE NOTICE 'keys differ: % vs %', a, b; RETURN 'Infinity';
	    END IF;
	    FOR k IN SELECT jsonb_object_keys(a) LOOP
	      IF NOT k = ANY (skip) THEN m := greatest(m, jmaxrel(a->k, b->k, skip)); END IF;
	    END LOOP;
	    RETURN m;
	  ELSIF jsonb_typeof(a) = 'array' AND jsonb_typeof(b) = 'array' THEN
	    IF jsonb_array_length(a) <> jsonb_array_length(b) THEN RETURN 'Infinity'; END IF;
	    FOR i IN 0 .. jsonb_array_length(a) - 1 LOOP
	      m := greatest(m, jmaxrel(a->i, b->i, skip));
	    END LOOP;
	    RETURN m;
	  ELSIF a IS DISTINCT FROM b THEN
	    RAISE NOTICE 'differ: % vs %', a, b; RETURN 'Infinity';
	  END IF;
	  RETURN 0;
	END $$;
});

# a MiningQuery on table $table (science.cde_features_a or science.pooled)
sub query
{
	my ($table, $body) = @_;
	return qq{'{"user": {"code": "u"}, "targetTable": {"dbSchema": "science", "name": "$table"}, $body}'::jsonb};
}

# the QueryResult's data over the nodes against the same query on the pooled table
sub same
{
	my ($body, $name, $skip, $limit) = @_;
	$skip //= '{}';
	$limit //= 1e-10;
	my $fed = query('cde_features_a', $body);
	my $pooled = query('pooled', $body);
	my ($rc, $out, $err) = $centre->psql('postgres', qq{
		SET client_min_messages = warning;
		WITH f AS (SELECT automl_mining($fed, nodes => '$all') r),
		     p AS (SELECT automl_mining($pooled) r)
		SELECT CASE WHEN f.r->'data' IS NULL OR f.r->>'error' IS NOT NULL OR p.r->>'error' IS NOT NULL
		            OR f.r->'type' <> p.r->'type' THEN 'failed: ' || (f.r->>'error') || ' / ' || (p.r->>'error')
		            ELSE jmaxrel(f.r->'data', p.r->'data', '$skip')::text END
		  FROM f, p;
	});
	ok($out ne '' && $out !~ /failed|Infinity/ && $out <= $limit, "$name (max rel. diff $out)") or diag("$out $err");
}

# exactness first with automl.min_group_size = 1
FedTest::set_min_group_size(1);

same(q{"variables": [{"code": "lefthippocampus"}], "covariables": [{"code": "subjectageyears"}, {"code": "gender"}], "algorithm": {"code": "statisticsSummary"}},
	'statisticsSummary over 3 nodes = pooled (min, quartiles, max exact; a numeric column\'s unique is NULL over nodes)', '{unique}');
same(q{"variables": [{"code": "lefthippocampus"}], "covariables": [{"code": "subjectageyears"}, {"code": "gender"}, {"code": "minimentalstate"}], "algorithm": {"code": "linearRegression"}},
	'linearRegression over 3 nodes = pooled');
same(q{"variables": [{"code": "lefthippocampus"}], "covariables": [{"code": "subjectageyears"}], "datasets": [{"code": "h1"}, {"code": "h3"}], "filters": {"condition": "AND", "rules": [{"field": "subjectageyears", "operator": "greater", "value": 60}]}, "algorithm": {"code": "linearRegression"}},
	'linearRegression with filters and datasets on every node = pooled');
same(q{"variables": [{"code": "righthippocampus"}], "covariables": [{"code": "gender"}, {"code": "agegroup"}], "algorithm": {"code": "anova", "parameters": [{"code": "design", "value": "factorial"}]}},
	'anova (factorial, a level on one node only) over 3 nodes = pooled');
same(q{"variables": [{"code": "subjectageyears"}], "algorithm": {"code": "histograms", "parameters": [{"code": "bins", "value": "15"}]}},
	'histograms over 3 nodes = pooled (counts exact)', '{}', 0);
same(q{"variables": [{"code": "lefthippocampus"}], "covariables": [{"code": "righthippocampus"}, {"code": "subjectageyears"}, {"code": "minimentalstate"}], "algorithm": {"code": "correlationHeatmap"}},
	'correlationHeatmap over 3 nodes = pooled');
same(q{"variables": [{"code": "lefthippocampus"}], "covariables": [{"code": "righthippocampus"}, {"code": "subjectageyears"}, {"code": "minimentalstate"}], "algorithm": {"code": "pca"}},
	'pca over 3 nodes = pooled');

# the job_result row of a distributed query
my $q = query('cde_features_a', q{"variables": [{"code": "lefthippocampus"}], "covariables": [{"code": "subjectageyears"}], "algorithm": {"code": "linearRegression"}});
is($centre->safe_psql('postgres', qq{
	SET client_min_messages = warning;
	CREATE TEMP TABLE res AS SELECT automl_mining($q, nodes => '$all') r;
	SELECT (res.r->>'node' = j.node)::text || ' ' || j.node || ' ' || j.shape || ' ' || j.function || ' ' ||
	       (j.parameters->'nodes')::text || ' ' || (j.parameters->>'executionPlan') || ' ' || (j.parameters->>'formula')
	  FROM res JOIN woken.job_result j ON j.job_id = res.r->>'jobId'}),
	'true centre application/json automl_lm ["local", "hb", "hc"] map-reduce lefthippocampus ~ subjectageyears',
	'job_result row: node = the centre (cluster_name), as the QueryResult says; parameters name the nodes and the plan');

# codes without a federated implementation
for my $code (qw(knn))
{
	my $kq = query('cde_features_a', qq{"variables": [{"code": "lefthippocampus"}], "covariables": [{"code": "subjectageyears"}], "algorithm": {"code": "$code"}});
	is($centre->safe_psql('postgres', qq{SET client_min_messages = warning;
		SELECT (r->>'error') || ' ' || (r->>'type') FROM automl_mining($kq, nodes => '$all') r}),
		"algorithm $code is not supported over federation nodes text/plain+error", "$code with nodes: QueryResult error naming the code");
	my ($rc, $out, $err) = $centre->psql('postgres', qq{\\set VERBOSITY verbose
		SELECT automl_mining($kq, true, '$all')});
	like($err, qr/0A000: algorithm $code is not supported over federation nodes/, "$code with nodes, strict: 0A000");
}
same(q{"variables": [{"code": "subjectageyears"}], "grouping": [{"code": "gender"}, {"code": "agegroup"}], "algorithm": {"code": "histograms", "parameters": [{"code": "bins", "value": "12"}]}},
	'histograms with a grouping (a level of agegroup only on hb) over 3 nodes = pooled (counts exact)', '{}', 0);
same(q{"variables": [{"code": "agegroup"}], "grouping": [{"code": "gender"}], "algorithm": {"code": "histograms"}},
	'histograms of a categorical variable with a grouping over 3 nodes = pooled (counts exact)', '{}', 0);
my ($rc, $out, $err);

# a node that is down: feedback naming it, the other nodes' result; strict: 08006
$node{hc}->stop;
my $hq = query('cde_features_a', q{"variables": [{"code": "subjectageyears"}], "algorithm": {"code": "histograms", "parameters": [{"code": "bins", "value": "10"}]}});
my $pq = query('pooled', q{"variables": [{"code": "subjectageyears"}], "datasets": [{"code": "h1"}, {"code": "h2"}], "algorithm": {"code": "histograms", "parameters": [{"code": "bins", "value": "10"}]}});
is($centre->safe_psql('postgres', qq{
	SET client_min_messages = error;
	WITH f AS (SELECT automl_mining($hq, nodes => '$all') r), p AS (SELECT automl_mining($pq) r)
	SELECT (f.r->>'error' IS NULL)::text || ' ' ||
	       (SELECT string_agg(e->>'node' || ':' || (e->>'failure'), ',') FROM jsonb_array_elements(f.r->'feedback') e) || ' ' ||
	       jmaxrel(f.r->'data', p.r->'data')::text
	  FROM f, p}),
	'true hc:true 0', 'hc down: a feedback entry naming hc (failure), the result of local and hb (= pooled h1, h2)');
($rc, $out, $err) = $centre->psql('postgres', qq{\\set VERBOSITY verbose
	SELECT automl_mining($hq, true, '$all')});
like($err, qr/08006/, 'hc down, strict: error 08006');
$node{hc}->start;

FedTest::set_min_group_size(undef);
done_testing();
