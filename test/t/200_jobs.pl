# 200_jobs.pl — training jobs: automl_submit returns at once, LISTEN hears
# the job run and succeed, its model predicts; jobs queue behind
# automl.max_jobs; automl_cancel keeps the best so far (or nothing); a job
# runs with its submitter's privileges (table privileges and row-level
# security); jobs and searches in progress are visible to their owner, to
# automl_job_admin and to superusers only; automl.progress shows a
# colleague's synchronous automl_train.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use FindBin;
use lib $FindBin::RealBin;
require '200_jobs.pm';

my $node = JobsTest::new_node('jobs');
$node->safe_psql('postgres', q{
	CREATE ROLE alice LOGIN;
	CREATE ROLE bob LOGIN;
	CREATE ROLE carol LOGIN IN ROLE automl_job_admin;
});

ok(JobsTest::pid_of($node, 'automl job scheduler') =~ /^\d+$/, 'the job scheduler runs');

# ---------------------------------------------------------------- submit, LISTEN, predict
{
	my $listener = $node->background_psql('postgres');
	$listener->query_safe('LISTEN automl_jobs');
	my $t0 = time();
	my $job = $node->safe_psql('postgres',
		"SET ROLE alice; SELECT automl_submit('public.iris', 'species', search_space => 'light', max_evaluations => 20)");
	my $submit_s = time() - $t0;
	like($job, qr/^\d+$/, "automl_submit returns a job id ($job)");
	ok($submit_s < 5, sprintf('automl_submit returns at once (%.3f s)', $submit_s));
	# notifications arrive while waiting; psql prints them after the command's result
	my $all = $listener->query_safe("SELECT automl_wait($job, '120 s')");
	$listener->quit;
	like($all, qr/^succeeded\n/, 'automl_wait returns succeeded');
	like($all, qr/"state": "queued", "job_id": $job/, 'NOTIFY automl_jobs: queued');
	like($all, qr/"state": "running", "job_id": $job/, 'NOTIFY automl_jobs: running');
	like($all, qr/"state": "succeeded", "job_id": $job, "evaluated": 20/, 'NOTIFY automl_jobs: succeeded, with the evaluations');
	my ($state, $owner, $model, $run, $evaluated) = split /\|/, $node->safe_psql('postgres',
		"SELECT state, owner, model_id, run_id, evaluated FROM automl.jobs WHERE id = $job");
	is($state, 'succeeded', 'the job row says succeeded');
	is($owner, 'alice', 'owned by its submitter');
	is($node->safe_psql('postgres', "SELECT owner FROM automl.runs WHERE id = $run"), 'alice',
		'the run is the submitter\'s');
	is($evaluated, 20, 'max_evaluations was passed to automl_train');
	is($node->safe_psql('postgres', qq{SET ROLE alice;
		SELECT count(*) FILTER (WHERE automl_predict($model, i) = species) > 120 FROM iris i}), 't',
		'the model predicts (alice\'s model, for alice)');
}

# ---------------------------------------------------------------- queue behind max_jobs = 1
{
	$node->append_conf('postgresql.conf', "automl.max_jobs = 1\n");
	$node->reload;
	my ($a, $b, $c) = split /\n/, $node->safe_psql('postgres', q{
		SELECT automl_submit('iris', 'species', time_budget => '3 s', search_space => 'light');
		SELECT automl_submit('iris', 'species', time_budget => '3 s', search_space => 'light');
		SELECT automl_submit('iris', 'species', time_budget => '3 s', search_space => 'light');
	});
	JobsTest::wait_for($node, 'the first job to run', "SELECT state = 'running' FROM automl.jobs WHERE id = $a");
	is($node->safe_psql('postgres', "SELECT string_agg(state, ',' ORDER BY id) FROM automl.jobs WHERE id IN ($b, $c)"), 'queued,queued',
		'with automl.max_jobs = 1 the other jobs wait');
	is($node->safe_psql('postgres', "SELECT automl_cancel($c)"), 't', 'a queued job is cancelled');
	is($node->safe_psql('postgres', "SELECT state || ' ' || (started_at IS NULL) FROM automl.jobs WHERE id = $c"), 'cancelled true',
		'at once, and never starts');
	is($node->safe_psql('postgres', "SELECT automl_wait($b, '120 s')"), 'succeeded', 'then it runs');
	is($node->safe_psql('postgres', "SELECT b.started_at >= a.finished_at FROM automl.jobs a, automl.jobs b WHERE a.id = $a AND b.id = $b"),
		't', 'after the first one finished');
	$node->append_conf('postgresql.conf', "automl.max_jobs = 2\n");
	$node->reload;
}

# ---------------------------------------------------------------- cancel keeps the best
{
	my $job = $node->safe_psql('postgres', "SET ROLE alice; SELECT automl_submit('iris', 'species', time_budget => '10 min')");
	JobsTest::wait_for($node, 'the search to evaluate pipelines',
		"SELECT evaluated > 5 FROM automl.progress WHERE job_id = $job");
	my $t0 = time();
	is($node->safe_psql('postgres', "SET ROLE alice; SELECT automl_cancel($job)"), 't', 'automl_cancel returns true');
	is($node->safe_psql('postgres', "SELECT automl_wait($job, '60 s')"), 'cancelled', 'the job ends cancelled');
	my $took = time() - $t0;
	note(sprintf('cancel to final state (refit and storing included): %.3f s', $took));
	ok($took < 5, sprintf('a 10-minute search stopped at once (%.2f s to the final state)', $took));
	my ($model, $run, $status) = split /\|/, $node->safe_psql('postgres',
		"SELECT j.model_id, j.run_id, r.status FROM automl.jobs j JOIN automl.runs r ON r.id = j.run_id WHERE j.id = $job");
	ok($model, "the best pipeline so far was refitted and stored (model $model)");
	is($status, 'cancelled', 'the run says cancelled');
	is($node->safe_psql('postgres', "SELECT count(*) > 100 FROM iris i WHERE automl_predict($model, i) = species"), 't',
		'and its model predicts');
	is($node->safe_psql('postgres', "SELECT automl_cancel($job)"), 'f', 'cancelling an ended job returns false');

	$job = $node->safe_psql('postgres', "SELECT automl_submit('iris', 'species', time_budget => '10 min')");
	JobsTest::wait_for($node, 'the search to start', "SELECT evaluated > 0 FROM automl.progress WHERE job_id = $job");
	my $runs = $node->safe_psql('postgres', 'SELECT count(*) FROM automl.runs');
	$node->safe_psql('postgres', "SELECT automl_cancel($job, keep_best => false)");
	is($node->safe_psql('postgres', "SELECT automl_wait($job, '60 s')"), 'cancelled', 'keep_best => false: cancelled');
	is($node->safe_psql('postgres', "SELECT model_id IS NULL AND sqlstate = '57014' FROM automl.jobs WHERE id = $job"),
		't', 'with no model');
	# the run the job had started is recorded ended, in the transaction that records the job's end
	is($node->safe_psql('postgres', 'SELECT count(*) FROM automl.runs'), $runs + 1, 'its run is recorded');
	is($node->safe_psql('postgres',
		"SELECT r.status || ' ' || r.sqlstate || ' ' || (r.finished_at IS NOT NULL) || ' '"
		. " || (SELECT count(*) FROM automl.pipelines p WHERE p.run_id = r.id)"
		. " FROM automl.jobs j JOIN automl.runs r ON r.id = j.run_id WHERE j.id = $job"),
		'cancelled 57014 true 0', 'as cancelled, with its SQLSTATE and end, no candidates, and the job points to it');
}

# ---------------------------------------------------------------- the submitter's privileges
{
	$node->safe_psql('postgres', q{
		CREATE TABLE secret AS SELECT * FROM iris;
		CREATE TABLE partial AS SELECT * FROM iris;
		GRANT SELECT ON partial TO alice;
		ALTER TABLE partial ENABLE ROW LEVEL SECURITY;
		CREATE POLICY no_virginica ON partial USING (species <> 'Iris-virginica');
	});
	my ($ret, $out, $err) = $node->psql('postgres',
		"SET ROLE alice; SELECT automl_submit('secret', 'species')");
	like($err, qr/permission denied for table secret/, 'a table the submitter cannot read is refused at submit');

	# the privilege disappears before the job runs: the job, run as alice, cannot read it
	$node->safe_psql('postgres', 'GRANT SELECT ON secret TO alice');
	my $job = $node->safe_psql('postgres', q{
		BEGIN;
		SET ROLE alice;
		SELECT automl_submit('secret', 'species', max_evaluations => 5);
		RESET ROLE;
		REVOKE SELECT ON secret FROM alice;
		COMMIT;});
	is($node->safe_psql('postgres', "SELECT automl_wait($job, '60 s')"), 'failed', 'the job fails');
	like($node->safe_psql('postgres', "SELECT sqlstate || ': ' || error FROM automl.jobs WHERE id = $job"),
		qr/^42501: permission denied for table secret/, 'with the permission error of its submitter');

	# row-level security applies as for the submitter
	$job = $node->safe_psql('postgres',
		"SET ROLE alice; SELECT automl_submit('partial', 'species', search_space => 'light', max_evaluations => 5)");
	is($node->safe_psql('postgres', "SELECT automl_wait($job, '60 s')"), 'succeeded', 'a job on a table with row-level security');
	is($node->safe_psql('postgres', qq{SELECT m.classes::text FROM automl.models m JOIN automl.jobs j ON j.model_id = m.id WHERE j.id = $job}),
		'["Iris-setosa", "Iris-versicolor"]', 'saw only the rows its submitter may see');
}

# ---------------------------------------------------------------- who sees, waits on, cancels
{
	my $job = $node->safe_psql('postgres', "SET ROLE alice; SELECT automl_submit('iris', 'species', time_budget => '10 min')");
	JobsTest::wait_for($node, 'the job to run', "SELECT count(*) = 1 FROM automl.progress WHERE job_id = $job");
	is($node->safe_psql('postgres', "SET ROLE bob; SELECT count(*) FROM automl.jobs WHERE id = $job"), '0',
		'another role does not see the job');
	is($node->safe_psql('postgres', "SET ROLE bob; SELECT count(*) FROM automl.progress"), '0',
		'nor its progress');
	my ($ret, $out, $err) = $node->psql('postgres', "SET ROLE bob; SELECT automl_wait($job, '1 s')");
	like($err, qr/job $job does not exist/, 'cannot wait on it');
	($ret, $out, $err) = $node->psql('postgres', "SET ROLE bob; SELECT automl_cancel($job)");
	like($err, qr/job $job does not exist/, 'cannot cancel it');
	is($node->safe_psql('postgres', "SELECT state FROM automl.jobs WHERE id = $job"), 'running', 'it still runs');
	is($node->safe_psql('postgres', "SET ROLE carol; SELECT count(*) FROM automl.jobs WHERE id = $job"), '1',
		'automl_job_admin sees it');
	is($node->safe_psql('postgres', "SET ROLE carol; SELECT phase IN ('loading', 'searching', 'ensemble', 'refit') FROM automl.progress WHERE job_id = $job"), 't',
		'and its progress');
	is($node->safe_psql('postgres', "SET ROLE carol; SELECT automl_cancel($job, keep_best => false)"), 't', 'and may cancel it');
	is($node->safe_psql('postgres', "SET ROLE alice; SELECT automl_wait($job, '60 s')"), 'cancelled', 'the owner waits for it');
}

# ---------------------------------------------------------------- a colleague's synchronous automl_train
{
	my $session = $node->background_psql('postgres', on_error_stop => 0);
	$session->query_safe('SET ROLE alice');
	my $pid = $session->query_safe('SELECT pg_backend_pid()');
	$session->query_until(qr/start/, "\\echo start\nSELECT evaluated FROM automl_train('iris', 'species', time_budget => '60 s');\n");
	JobsTest::wait_for($node, 'the synchronous search to show',
		"SELECT phase = 'searching' AND evaluated > 0 FROM automl.progress WHERE pid = $pid");
	is($node->safe_psql('postgres', "SET ROLE alice; SELECT job_id IS NULL AND relation = 'iris' AND best_score > 0.5 AND seconds_left > 0 FROM automl.progress WHERE pid = $pid"),
		't', 'automl.progress shows a synchronous automl_train to another session of its owner');
	is($node->safe_psql('postgres', "SET ROLE carol; SELECT count(*) FROM automl.progress WHERE pid = $pid"), '1',
		'and to automl_job_admin');
	is($node->safe_psql('postgres', "SET ROLE bob; SELECT count(*) FROM automl.progress WHERE pid = $pid"), '0',
		'not to another role');
	$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
	JobsTest::wait_for($node, 'the entry to go', "SELECT count(*) = 0 FROM automl.progress WHERE pid = $pid");
	pass('a cancelled search leaves automl.progress');
	$session->quit;
}

$node->stop;
done_testing();
