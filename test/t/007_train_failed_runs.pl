# 007_train_failed_runs.pl — a plain (foreground) automl_train call that
# ends in an error after its run started leaves that run in automl.runs,
# although the caller's transaction rolls back: 'cancelled' with SQLSTATE
# 57014 on a statement timeout, 'failed' with the error's SQLSTATE on an
# error (the search's folds do not fit in automl.max_memory), each with its
# message, finished_at and elapsed, no candidates (automl.pipelines) and no
# model.  The error the caller sees is the original one (SQLSTATE, message,
# detail, hint).  A non-superuser's failed run is that role's (owner) and
# shown to it by row-level security, not to another role; a role without
# LOGIN reached by SET ROLE too.  A successful call whose transaction the
# caller rolls back leaves no run, and nothing 'running'.  Without a free
# background worker slot, a WARNING says the run could not be recorded and
# the error is unchanged; the recorder does not need the library preloaded.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('failed_runs');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'automl'\nautoml.max_parallel_workers = 1\n");
$node->start;
my $setup = q{
	CREATE EXTENSION automl;
	CREATE TABLE big AS
	SELECT g AS id, random() AS a, random() AS b, random() AS c, (g % 3)::text AS y
	FROM generate_series(1, 5000) g;
	-- 600 rows of 30 columns (no holdout below 1 000 rows): 5 folds of 600 rows need about 730 kB,
	-- more than what is left of a 1 MB budget
	SELECT format('CREATE TABLE wide AS SELECT %s, (g %% 2)::text AS y FROM generate_series(1, 600) g',
	              string_agg(format('random() AS c%s', i), ', ')) FROM generate_series(1, 30) i \gexec
	CREATE ROLE alice LOGIN;
	CREATE ROLE bob LOGIN;
	CREATE ROLE analysts NOLOGIN;
	GRANT analysts TO bob;
	GRANT SELECT ON big, wide TO alice, bob, analysts;
};
$node->safe_psql('postgres', $setup);

my $failing = q{\set VERBOSITY verbose
SET automl.max_memory = '1MB';
SELECT automl_train('wide', 'y', max_evaluations => 3);};
my $error_53200 = qr/ERROR:  53200: the cross-validation folds do not fit in the memory budget\n(?#
	)DETAIL:  5 folds of 600 rows and 30 columns need about \d+ kB\.\n(?#
	)HINT:  Raise automl\.max_memory, or train on fewer rows or columns\./;

sub runs_as
{
	my ($user, $sql) = @_;
	return scalar $node->safe_psql('postgres', $sql, extra_params => ['-U', $user]);
}

# a statement timeout: cancelled
my ($ret, $out, $err) = $node->psql('postgres', q{\set VERBOSITY verbose
SET statement_timeout = '2s';
SELECT automl_train('big', 'y', time_budget => '30 seconds');});
isnt($ret, 0, 'statement timeout: the call fails');
like($err, qr/ERROR:  57014: canceling statement due to statement timeout/,
	'statement timeout: the caller gets the usual error');
like($err, qr/NOTICE:  00000: automl: run (\d+) recorded as cancelled in automl\.runs/, 'statement timeout: a NOTICE names the run');
is($node->safe_psql('postgres', q{
	SELECT string_agg(concat_ws('|', status, sqlstate, error, finished_at IS NOT NULL,
	                            elapsed >= interval '1.9 seconds' AND elapsed < interval '10 seconds',
	                            train_rows, time_budget, model_id IS NULL, owner), ',')
	FROM automl.runs}),
	'cancelled|57014|canceling statement due to statement timeout|t|t|3750|00:00:30|t|postgres',
	'statement timeout: one cancelled run with the error, SQLSTATE 57014, its end and its arguments');
is($node->safe_psql('postgres', q{SELECT count(*) FROM automl.pipelines}), '0',
	'statement timeout: no candidates are kept');
is($node->safe_psql('postgres', q{SELECT count(*) FROM automl.models}), '0', 'statement timeout: no model');

# an error after the run started, as alice: failed, hers
($ret, $out, $err) = $node->psql('postgres', $failing, extra_params => ['-U', 'alice']);
isnt($ret, 0, 'error: the call fails');
like($err, $error_53200, 'error: the caller gets the original error, SQLSTATE, detail and hint');
is(runs_as('alice', q{SELECT string_agg(concat_ws('|', status, sqlstate, error, finished_at IS NOT NULL, owner), ',')
	FROM automl.runs}),
	'failed|53200|the cross-validation folds do not fit in the memory budget|t|alice',
	'error: alice sees her failed run (row-level security), with the error and its SQLSTATE');
is(runs_as('bob', q{SELECT count(*) FROM automl.runs}), '0', 'error: bob does not see it');
is($node->safe_psql('postgres', q{SELECT count(*) FROM automl.runs WHERE status = 'failed' AND owner = 'alice'::regrole}),
	'1', 'error: the run is owned by alice');

# a role without LOGIN (SET ROLE): its failed run is recorded too, and is its own
($ret, $out, $err) = $node->psql('postgres', "SET ROLE analysts;\n$failing", extra_params => ['-U', 'bob']);
like($err, $error_53200, 'SET ROLE: the original error');
is(runs_as('bob', q{SET ROLE analysts; SELECT string_agg(status || '|' || owner, ',') FROM automl.runs}),
	'failed|analysts', 'SET ROLE: the failed run is the NOLOGIN role\'s and visible to it');

# a plpgsql block that catches the error: the run is recorded, the caller goes on
is($node->safe_psql('postgres', q{
	SET automl.max_memory = '1MB';
	SET client_min_messages = warning;
	DO $$BEGIN PERFORM automl_train('wide', 'y', max_evaluations => 3);
	EXCEPTION WHEN out_of_memory THEN NULL; END$$;
	SELECT count(*) FROM automl.runs WHERE status = 'failed' AND owner = 'postgres'::regrole}),
	'1', 'an error caught by the caller: the run is recorded as failed');

# the caller holds a lock on automl.runs in its transaction (LOCK needs only
# DELETE, granted to every role): the recorder gives up before the call
# stops waiting for it; a WARNING says why, the error is the original one,
# and nothing is written after the caller was told so
my $runs = $node->safe_psql('postgres', q{SELECT count(*) FROM automl.runs});
($ret, $out, $err) = $node->psql('postgres',
	"BEGIN;\nLOCK TABLE automl.runs IN ACCESS EXCLUSIVE MODE;\n$failing\nROLLBACK;", extra_params => ['-U', 'alice'],
	on_error_stop => 0);
like($err, qr/WARNING:  01000: automl: run \d+ ended with an error that could not be recorded in automl\.runs: canceling statement due to lock timeout/,
	'a lock on automl.runs: a WARNING says the run could not be recorded, and why');
like($err, $error_53200, 'a lock on automl.runs: the original error');
sleep(1);
is($node->safe_psql('postgres', q{SELECT count(*) FROM automl.runs}), $runs, 'a lock on automl.runs: no run written later');

# a success rolled back by the caller: no run, nothing running
my $before = $node->safe_psql('postgres', q{SELECT count(*) FROM automl.runs});
is($node->safe_psql('postgres', q{
	SET client_min_messages = warning;
	BEGIN;
	SELECT run_id > 0 FROM automl_train('wide', 'y', max_evaluations => 2);
	ROLLBACK;
	SELECT count(*) FROM automl.runs}), "t\n$before", 'a success rolled back by the caller leaves no run');
is($node->safe_psql('postgres', q{SELECT count(*) FROM automl.runs WHERE status = 'running'}), '0',
	'no run is left running');
is($node->safe_psql('postgres', q{SELECT count(*) FROM automl.pipelines p
	WHERE NOT EXISTS (SELECT 1 FROM automl.runs r WHERE r.id = p.run_id)
	   OR p.run_id IN (SELECT id FROM automl.runs WHERE status <> 'succeeded')}),
	'0', 'no candidates without a run, none of a failed or cancelled run');
# ids: every recorded run keeps the id the sequence gave it at start
is($node->safe_psql('postgres', q{SELECT count(DISTINCT id) = count(*) AND max(id) <= (SELECT last_value FROM automl.runs_id_seq)
	FROM automl.runs}), 't', 'run ids come from the sequence');
$node->stop;

# Not preloaded: the recorder still works (a dynamic worker); with no worker
# slot at all, a WARNING and the original error.
my $plain = PostgreSQL::Test::Cluster->new('failed_runs_plain');
$plain->init;
$plain->start;
$plain->safe_psql('postgres', $setup);
($ret, $out, $err) = $plain->psql('postgres', $failing);
like($err, qr/NOTICE:  00000: automl: run \d+ recorded as failed/, 'not preloaded: the failed run is recorded');
is($plain->safe_psql('postgres', q{SELECT string_agg(status || '|' || sqlstate, ',') FROM automl.runs}),
	'failed|53200', 'not preloaded: one failed run');
$plain->append_conf('postgresql.conf', "max_worker_processes = 0\n");
# stop and start, not restart: pg_ctl restart runs the binary postmaster.opts
# names, which in the sanitizer stage is the real postgres behind the
# wrapper that preloads ASan (test/check.sh), and this cluster loads
# automl.so only in the backend
$plain->stop;
$plain->start;
($ret, $out, $err) = $plain->psql('postgres', $failing);
like($err, qr/WARNING:  01000: automl: run (\d+) ended with an error that could not be recorded in automl\.runs: no background worker slot is free/,
	'no worker slot: a WARNING says the run could not be recorded');
like($err, $error_53200, 'no worker slot: the original error, unchanged');
is($plain->safe_psql('postgres', q{SELECT count(*) FROM automl.runs}), '1', 'no worker slot: nothing more is stored');
$plain->stop;
done_testing();
