# 204_jobs_experiment.pl — Woken experiments as jobs: automl_submit_experiment
# returns a job id at once, the job runs automl_experiment's work with its
# submitter's privileges, ends succeeded with the woken.job_result row of the
# experiment (job_id = the job id) — the same result as the synchronous
# call —, or failed with the SQLSTATE of the experiment's error and a
# text/plain+error row; a cancelled one leaves its error row too; another
# role sees neither the job nor its result.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use FindBin;
use lib $FindBin::RealBin;
require '200_jobs.pm';

my $node = JobsTest::new_node('jobs_experiment');
my $csv = "$ENV{TESTDIR}/data/linreg_sample.csv";
$node->safe_psql('postgres', qq{
	CREATE ROLE alice LOGIN;
	CREATE ROLE bob LOGIN;
	CREATE TABLE sample_data (id integer, stress_before_test1 float8, score_test1 float8, iq float8,
	    cognitive_task2 float8, practice_task2 float8, response_time_task2 float8, college_math float8,
	    score_math_course1 float8, score_math_course2 float8);
	COPY sample_data FROM '$csv' CSV HEADER;
	GRANT SELECT ON sample_data TO alice;
});

# Woken's knn experiment (k = 5, 2 folds on sample_data) with a linear regression beside it
my $query = q{'{"user": {"code": "user1"}, "variables": [{"code": "cognitive_task2"}],
	"covariables": [{"code": "score_test1"}, {"code": "college_math"}], "covariablesMustExist": true,
	"targetTable": {"name": "sample_data"},
	"algorithms": [{"code": "knn", "parameters": [{"code": "k", "value": "5"}]}, {"code": "linearRegression"}],
	"validations": [{"code": "kfold", "parameters": [{"code": "k", "value": "2"}]}]}'};

# ---------------------------------------------------------------- submit, LISTEN, succeeded
my $job;
{
	my $listener = $node->background_psql('postgres');
	$listener->query_safe('LISTEN automl_jobs');
	my $t0 = time();
	$job = $node->safe_psql('postgres', "SET ROLE alice; SELECT automl_submit_experiment($query)");
	my $submit_s = time() - $t0;
	like($job, qr/^\d+$/, "automl_submit_experiment returns a job id ($job)");
	ok($submit_s < 5, sprintf('at once (%.3f s)', $submit_s));
	my $all = $listener->query_safe("SELECT automl_wait($job, '120 s')");
	$listener->quit;
	like($all, qr/^succeeded\n/, 'automl_wait returns succeeded');
	like($all, qr/"state": "running", "job_id": $job/, 'NOTIFY automl_jobs: running');
	like($all, qr/"state": "succeeded", "job_id": $job/, 'NOTIFY automl_jobs: succeeded');
	is($node->safe_psql('postgres',
		"SELECT kind || ' ' || owner || ' ' || (sqlstate IS NULL) || ' ' || (error IS NULL) FROM automl.jobs WHERE id = $job"),
		'experiment alice true true', 'the job row: an experiment of alice, no error');
}

# ---------------------------------------------------------------- the job_result row
{
	my ($rows, $shape, $function, $node_name, $error, $items) = split /\|/, $node->safe_psql('postgres', qq{
		SELECT count(*) OVER (), shape, function, node, error IS NULL,
		       (SELECT string_agg(i->'algorithmSpec'->>'code' || ':' || (i->>'type'), ',' ORDER BY o)
		        FROM jsonb_array_elements(data::jsonb) WITH ORDINALITY x(i, o))
		FROM woken.job_result WHERE job_id = '$job'});
	is($rows, 1, 'one woken.job_result row under the job id');
	is($shape, 'application/vnd.hbp.mip.experiment.pfa+json', 'with the experiment shape');
	is($function, 'automl_experiment', 'function automl_experiment');
	is($node_name, $node->safe_psql('postgres', 'SHOW cluster_name'), 'node: automl.node, else cluster_name');
	is($error, 't', 'no error');
	is($items, 'knn:application/pfa+json,linearRegression:application/json', 'one result per algorithm, in order');
	is($node->safe_psql('postgres', qq{
		SELECT (data::jsonb->0->'validations'->0->'data'->'average'->>'type') || ' ' ||
		       (data::jsonb->0->'data'->'cells'->'validations'->'init'->0->>'code')
		FROM woken.job_result WHERE job_id = '$job'}),
		'RegressionScore kfold', 'knn was k-fold validated (the score in its item and in its PFA validations cell)');
	is($node->safe_psql('postgres', "SELECT string_agg(owner::text, ',') FROM automl.models WHERE job_id = '$job'"),
		'alice', 'the final knn model is the submitter\'s and carries the job id (fold models are gone)');
	# the same work as the synchronous call: Woken's folds (setseed 0.67) give the same scores
	my $sync = $node->safe_psql('postgres', "SET ROLE alice; SELECT automl_experiment($query)->'data'->0->'validations'->0->'data'->'average'->>'MSE'");
	my $async = $node->safe_psql('postgres', "SELECT data::jsonb->0->'validations'->0->'data'->'average'->>'MSE' FROM woken.job_result WHERE job_id = '$job'");
	ok($async > 0, "the job's knn pooled MSE ($async)");
	is($async, $sync, 'equals the synchronous automl_experiment\'s');
}

# ---------------------------------------------------------------- an experiment that fails
{
	my $bad = $node->safe_psql('postgres', q{SET ROLE alice; SET automl.node = 'hospital-a';
		SELECT automl_submit_experiment('{"variables": [{"code": "nope"}], "covariables": [{"code": "iq"}],
		    "targetTable": {"name": "sample_data"}, "algorithms": [{"code": "knn"}, {"code": "linearRegression"}],
		    "validations": [{"code": "kfold", "parameters": [{"code": "k", "value": "2"}]}]}')});
	is($node->safe_psql('postgres', "SELECT automl_wait($bad, '60 s')"), 'failed', 'an unknown variable: the job fails');
	is($node->safe_psql('postgres', "SELECT sqlstate || ': ' || error FROM automl.jobs WHERE id = $bad"),
		'42703: Variable(s) nope do not exist in node hospital-a and table sample_data',
		'with Woken\'s message and its SQLSTATE');
	is($node->safe_psql('postgres', qq{SELECT shape || ' | ' || error || ' | ' || (data IS NULL) || ' | ' || node || ' | ' || (parameters->>'sqlstate')
		FROM woken.job_result WHERE job_id = '$bad'}),
		'text/plain+error | Variable(s) nope do not exist in node hospital-a and table sample_data | true | hospital-a | 42703',
		'and one text/plain+error row on the submitter\'s node');

	# not strict: an algorithm's failure is its item, the job succeeds (as Woken reports it)
	my $partial = $node->safe_psql('postgres', q{SET ROLE alice;
		SELECT automl_submit_experiment('{"variables": [{"code": "cognitive_task2"}], "covariables": [{"code": "iq"}],
		    "targetTable": {"name": "sample_data"}, "algorithms": [{"code": "knn", "parameters": [{"code": "k", "value": "x"}]}, {"code": "linearRegression"}]}')});
	is($node->safe_psql('postgres', "SELECT automl_wait($partial, '60 s')"), 'succeeded', 'an algorithm that fails: the job succeeds');
	is($node->safe_psql('postgres', qq{SELECT string_agg(coalesce(i->>'error', 'ok'), ' / ' ORDER BY o)
		FROM woken.job_result, jsonb_array_elements(data::jsonb) WITH ORDINALITY x(i, o) WHERE job_id = '$partial'}),
		'parameter "k" of algorithm knn must be an integer / ok', 'the failure is that algorithm\'s item');
	# strict: the same fails the job
	my $strict = $node->safe_psql('postgres', q{SET ROLE alice;
		SELECT automl_submit_experiment('{"variables": [{"code": "cognitive_task2"}], "covariables": [{"code": "iq"}],
		    "targetTable": {"name": "sample_data"}, "algorithms": [{"code": "knn", "parameters": [{"code": "k", "value": "x"}]}, {"code": "linearRegression"}]}', strict => true)});
	is($node->safe_psql('postgres', "SELECT automl_wait($strict, '60 s')"), 'failed', 'strict => true: the job fails');
	is($node->safe_psql('postgres', "SELECT sqlstate FROM automl.jobs WHERE id = $strict"), '22023', 'with the algorithm\'s SQLSTATE');
}

# ---------------------------------------------------------------- cancelled before it started
{
	my $cancelled = $node->safe_psql('postgres', qq{
		BEGIN;
		SELECT automl_submit_experiment($query) AS id \\gset
		SELECT automl_cancel(:id);
		COMMIT;
		SELECT :id;});
	($cancelled) = $cancelled =~ /(\d+)$/;
	is($node->safe_psql('postgres', "SELECT state FROM automl.jobs WHERE id = $cancelled"), 'cancelled', 'a queued experiment is cancelled');
	is($node->safe_psql('postgres', "SELECT shape || ' | ' || error || ' | ' || (parameters->>'state') FROM woken.job_result WHERE job_id = '$cancelled'"),
		'text/plain+error | cancelled before it started | cancelled', 'and leaves its text/plain+error row');
}

# ---------------------------------------------------------------- the submitter's privileges, and nobody else's view
{
	my ($ret, $out, $err) = $node->psql('postgres', "SET ROLE bob; SELECT automl_submit_experiment($query)");
	like($err, qr/permission denied for table sample_data/, 'a table the submitter cannot read is refused at submit');

	# the privilege disappears before the job runs: the job, run as alice, cannot read it
	my $revoked = $node->safe_psql('postgres', qq{
		BEGIN;
		SET ROLE alice;
		SELECT automl_submit_experiment($query, strict => true);
		RESET ROLE;
		REVOKE SELECT ON sample_data FROM alice;
		COMMIT;});
	is($node->safe_psql('postgres', "SELECT automl_wait($revoked, '60 s')"), 'failed', 'the job fails');
	like($node->safe_psql('postgres', "SELECT sqlstate || ': ' || error FROM automl.jobs WHERE id = $revoked"),
		qr/^42501: permission denied for table sample_data/, 'with the permission error of its submitter');
	$node->safe_psql('postgres', 'GRANT SELECT ON sample_data TO alice');

	is($node->safe_psql('postgres', "SET ROLE bob; SELECT count(*) FROM automl.jobs WHERE id = $job"), '0',
		'another role does not see the job');
	($ret, $out, $err) = $node->psql('postgres', "SET ROLE bob; SELECT automl_wait($job, '1 s')");
	like($err, qr/job $job does not exist/, 'cannot wait on it');
	($ret, $out, $err) = $node->psql('postgres', "SET ROLE bob; SELECT data FROM woken.job_result WHERE job_id = '$job'");
	like($err, qr/permission denied for table job_result/, 'nor read its result (woken.job_result is granted to no one)');

	# automl_job_result / automl.job_results: the job's rows for whoever sees the job in automl.jobs
	is($node->safe_psql('postgres', "SET ROLE alice; SELECT count(*) || ' ' || min(shape) || ' ' || bool_and(job_id = '$job') FROM automl_job_result($job)"),
		'1 application/vnd.hbp.mip.experiment.pfa+json true', 'the submitter reads her own result with automl_job_result');
	is($node->safe_psql('postgres', "SET ROLE alice; SELECT data FROM automl_job_result($job)"),
		$node->safe_psql('postgres', "SELECT data FROM woken.job_result WHERE job_id = '$job'"),
		'the same data as woken.job_result');
	is($node->safe_psql('postgres', "SET ROLE alice; SELECT count(*) FROM automl.job_results WHERE job = $job"), '1',
		'and through the view automl.job_results');
	is($node->safe_psql('postgres', "SET ROLE bob; SELECT count(*) FROM automl_job_result($job)"), '0',
		'another role gets no rows from automl_job_result');
	is($node->safe_psql('postgres', "SET ROLE bob; SELECT count(*) FROM automl.job_results"), '0',
		'nor from the view');
	# a leaky function in the caller's condition never sees a row it may not see (security_barrier)
	$node->safe_psql('postgres', q{
		CREATE FUNCTION public.leak(t text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001 AS
		$$BEGIN RAISE NOTICE 'leaked %', left(t, 20); RETURN true; END$$;
		GRANT EXECUTE ON FUNCTION public.leak(text) TO bob;});
	($ret, $out, $err) = $node->psql('postgres', "SET ROLE bob; SELECT count(*) FROM automl.job_results WHERE public.leak(data)");
	is($out, '0', 'a leaky condition of bob gets no rows');
	unlike($err // '', qr/leaked/, 'and is not run on the rows of another owner (security_barrier)');
	$node->safe_psql('postgres', 'CREATE ROLE carol LOGIN IN ROLE automl_job_admin');
	is($node->safe_psql('postgres', "SET ROLE carol; SELECT count(*) FROM automl_job_result($job)"), '1',
		'a member of automl_job_admin reads it');
	is($node->safe_psql('postgres', "SELECT count(*) FROM automl_job_result(-1)") . ' '
		. $node->safe_psql('postgres', "SELECT count(*) FROM automl_job_result(NULL)"), '0 0',
		'an unknown job or NULL: no rows');
}

# ---------------------------------------------------------------- the owner's deferred work runs as the owner
{
	# alice's view calls her function, which queues a deferred trigger: it must fire as alice,
	# not at COMMIT as the job worker's superuser
	$node->safe_psql('postgres', q{
		CREATE SCHEMA alice AUTHORIZATION alice;
		SET ROLE alice;
		CREATE TABLE alice.calls (n int);
		CREATE TABLE alice.trips (who name);
		CREATE FUNCTION alice.record() RETURNS trigger LANGUAGE plpgsql AS
		  $$ BEGIN INSERT INTO alice.trips VALUES (current_user); RETURN NULL; END $$;
		CREATE CONSTRAINT TRIGGER later AFTER INSERT ON alice.calls DEFERRABLE INITIALLY DEFERRED
		  FOR EACH ROW EXECUTE FUNCTION alice.record();
		CREATE FUNCTION alice.touch() RETURNS boolean LANGUAGE plpgsql AS
		  $$ BEGIN INSERT INTO alice.calls VALUES (1); RETURN true; END $$;
		CREATE VIEW alice.sample AS SELECT * FROM public.sample_data WHERE alice.touch();
	});
	my $deferred = $node->safe_psql('postgres', q{SET ROLE alice;
		SELECT automl_submit_experiment('{"variables": [{"code": "cognitive_task2"}], "covariables": [{"code": "iq"}],
		    "targetTable": {"dbSchema": "alice", "name": "sample"}, "algorithms": [{"code": "linearRegression"}]}')});
	is($node->safe_psql('postgres', "SELECT automl_wait($deferred, '60 s')"), 'succeeded', 'an experiment on a view of the owner\'s');
	is($node->safe_psql('postgres', 'SELECT count(*) > 0, count(*) FILTER (WHERE who <> \'alice\') FROM alice.trips'), 't|0',
		'its deferred triggers fired, all as the owner');
	# a training job on the same view: its deferred work may not fire as the worker either
	$node->safe_psql('postgres', 'TRUNCATE alice.trips');
	my $train = $node->safe_psql('postgres', q{SET ROLE alice;
		SELECT automl_submit('alice.sample', 'cognitive_task2', search_space => 'light', max_evaluations => 2)});
	is($node->safe_psql('postgres', "SELECT automl_wait($train, '120 s')"), 'failed', 'a training job on that view fails');
	like($node->safe_psql('postgres', "SELECT sqlstate || ': ' || error FROM automl.jobs WHERE id = $train"),
		qr/^42501: cannot fire deferred trigger within security-restricted operation/,
		'refusing to fire its deferred triggers in its restricted context');
	is($node->safe_psql('postgres', 'SELECT count(*) FROM alice.trips'), '0', 'none fired as anyone');
}

$node->stop;
done_testing();
