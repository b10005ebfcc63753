# 005_model_cache_churn.pl — the compiled-model cache stays correct while
# another session commits new models (each commit invalidates every
# backend's cache) in the middle of statements whose call sites compile
# models: with two call sites in one query, neither may use an entry freed
# by the other's flush.  Every prediction is compared with the answer of a
# backend nobody disturbed.
#
# First the exact sequence, forced with advisory locks: call site A finds
# its model cached; another session commits a model; call site B compiles
# its model, and B's read of automl.models (the first in the transaction)
# takes in the invalidation; on the next row A sees the new generation and
# empties the cache — B's entry with it.  B must notice (the flush advances
# the generation), not predict from freed memory.  Then a writer commits
# hundreds of models while queries with two call sites run.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $node = PostgreSQL::Test::Cluster->new('churn');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'automl'\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION automl');

# ------------------------------------------------- the cache under churn
$node->safe_psql('postgres', q{
	CREATE TABLE pts AS
	SELECT i AS id, (i % 7) + i / 10.0 AS x1, ((i * 37) % 11)::float8 AS x2, (i % 5)::float8 AS x3,
	       CASE i % 3 WHEN 0 THEN 'AD' WHEN 1 THEN 'MCI' ELSE 'CN' END AS dx
	FROM generate_series(1, 60) i;
	SET client_min_messages = warning;
	CREATE TABLE ms AS
	SELECT automl_fit('pts', 'dx', a, features => '{x1,x2,x3}') AS id, a AS algorithm
	FROM unnest(ARRAY['logistic_regression', 'gaussian_nb', 'decision_tree', 'random_forest',
	                  'knn', 'extra_trees', 'gradient_boosting', 'bernoulli_nb']) a;
});
# the answers of a backend nobody disturbed, each model in its own statement
$node->safe_psql('postgres', q{CREATE TABLE refs (model_id bigint, row_id int, label text)});
for my $id (split /\n/, $node->safe_psql('postgres', 'SELECT id FROM ms ORDER BY id'))
{
	$node->safe_psql('postgres',
		"INSERT INTO refs SELECT $id, id, automl_predict($id, p) FROM pts p");
}
my $first = $node->safe_psql('postgres', 'SELECT min(id) FROM ms');
my $second = $node->safe_psql('postgres', q{SELECT id FROM ms WHERE algorithm = 'random_forest'});

# ------------------------------------------------------- the exact sequence
# (model ids come from a table, so the planner compiles nothing)
$node->safe_psql('postgres', qq{CREATE TABLE pair AS SELECT ${first}::bigint AS a, ${second}::bigint AS b});
my $s = $node->background_psql('postgres', on_error_stop => 0);
my $w = $node->background_psql('postgres', on_error_stop => 0);
$s->query_safe(q{
	CREATE FUNCTION pg_temp.let_the_writer_commit() RETURNS boolean LANGUAGE plpgsql AS $$
	BEGIN
		IF current_setting('churn.done', true) IS NULL THEN
			PERFORM set_config('churn.done', 'yes', false);
			PERFORM pg_advisory_unlock(43);   -- the writer may go
			PERFORM pg_advisory_lock(42);     -- and has committed
		END IF;
		RETURN false;
	END $$});
# A's model compiled in an earlier statement; B's not yet
$s->query_safe("SELECT automl_predict($first, p) FROM pts p LIMIT 1");
$s->query_safe('SELECT pg_advisory_lock(43)');
$w->query_safe('SELECT pg_advisory_lock(42)');
$w->query_safe('SET client_min_messages = warning');
$w->query_until(qr/waiting/, q{
	\echo waiting
	SELECT pg_advisory_lock(43);
	SELECT automl_fit('pts', 'dx', 'gaussian_nb', features => '{x1}', name => 'churn');
	SELECT pg_advisory_unlock(42);
	SELECT pg_advisory_unlock(43);
	\echo done
});
my $stale = $s->query_safe(q{
	SELECT count(*) FILTER (WHERE automl_predict(v.a, p) IS DISTINCT FROM ra.label
	                           OR pg_temp.let_the_writer_commit()
	                           OR automl_predict(v.b, p) IS DISTINCT FROM rb.label)
	FROM pair v CROSS JOIN pts p
	JOIN refs ra ON ra.model_id = v.a AND ra.row_id = p.id
	JOIN refs rb ON rb.model_id = v.b AND rb.row_id = p.id
});
is($stale, 0, 'a call site whose entry was freed by another call site\'s flush compiles it again');
$w->query_safe('SELECT 1');
is($node->safe_psql('postgres', 'SELECT count(*) FROM automl.models'), 9,
	'the writer committed in the middle of that statement');
$s->quit;
$w->quit;

# ------------------------------------------------------- the churn

# a writer that commits a new model (an invalidation for every backend) again and again
my $writes = 1500;
my $writer = $node->background_psql('postgres', on_error_stop => 0);
$writer->query_safe('SET client_min_messages = warning');
$writer->query_until(qr/writing/, "\\echo writing\n"
	  . join('', map { "SELECT automl_fit('pts', 'dx', 'gaussian_nb', features => '{x1,x2}', name => 'churn');\n" } 1 .. $writes)
	  . "\\echo written\n");

# meanwhile: one call site with a fixed model, one that compiles the next
# model every 60 rows; every answer must be the quiet backend's
my $reader = $node->background_psql('postgres', on_error_stop => 0);
my $wrong = 0;
my $rounds = 0;
my $deadline = time() + 600;	# a safety net only: the loop ends when the writer is done
while (1)
{
	$wrong += $reader->query_safe(qq{
		SELECT count(*) FILTER (WHERE automl_predict($first, p) IS DISTINCT FROM a.label
		                           OR automl_predict(m.id, p) IS DISTINCT FROM r.label)
		FROM ms m CROSS JOIN pts p
		JOIN refs r ON r.model_id = m.id AND r.row_id = p.id
		JOIN refs a ON a.model_id = $first AND a.row_id = p.id
	});
	$rounds++;
	last if $rounds >= 5
	  && $reader->query_safe('SELECT count(*) FROM automl.models') >= 9 + $writes;
	die "the writer did not finish" if time() > $deadline;
}
is($wrong, 0, "every prediction is right during $rounds rounds against $writes concurrent commits");
is($node->safe_psql('postgres', q{SELECT count(*) FROM automl.models}), 9 + $writes,
	'the writer committed all its models');
$writer->quit;
$reader->quit;
ok(slurp_file($node->logfile) !~ /terminated by signal/, "no backend crashed");

$node->stop;
done_testing();
