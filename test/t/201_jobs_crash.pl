# 201_jobs_crash.pl — a job is never lost and never completes twice: SIGKILL
# of a job worker (the server restarts every process) requeues its job once,
# a second SIGKILL makes it fail saying why; SIGKILL of the scheduler and a
# server restart with running and queued jobs lose nothing.  No run is half
# written: every run belongs to exactly one finished job.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
require '200_jobs.pm';

my $node = JobsTest::new_node('jobs_crash', restart_after_crash => 'on');

# Wait until the job runs in a worker that has evaluated pipelines; its pid.
sub running_worker
{
	my ($job, $attempt) = @_;
	JobsTest::wait_for($node, "job $job to run (attempt $attempt)", qq{
		SELECT j.attempts = $attempt AND p.evaluated > 0
		FROM automl.jobs j JOIN automl.progress p ON p.job_id = j.id AND p.pid = j.worker_pid
		WHERE j.id = $job});
	return $node->safe_psql('postgres', "SELECT worker_pid FROM automl.jobs WHERE id = $job");
}

sub final_state
{
	my ($job) = @_;
	# errors while the server restarts are retried
	JobsTest::wait_for($node, "job $job to end",
		"SELECT automl_wait($job, '120 s') IN ('succeeded', 'failed', 'cancelled')");
	return $node->safe_psql('postgres', "SELECT state FROM automl.jobs WHERE id = $job");
}

# ---------------------------------------------------------------- SIGKILL of a job worker, once
my $a = $node->safe_psql('postgres', "SELECT automl_submit('iris', 'species', time_budget => '5 s', search_space => 'light')");
my $pid = running_worker($a, 1);
kill 'KILL', $pid;
is(final_state($a), 'succeeded', 'a job whose worker was killed is run again and succeeds');
is($node->safe_psql('postgres', "SELECT attempts FROM automl.jobs WHERE id = $a"), '2', 'on its second attempt');
like(slurp_file($node->logfile), qr/automl job scheduler: 1 job lost its worker/, 'the scheduler logs the recovery');

# ---------------------------------------------------------------- twice
my $b = $node->safe_psql('postgres', "SELECT automl_submit('iris', 'species', time_budget => '10 min', search_space => 'light')");
$pid = running_worker($b, 1);
kill 'KILL', $pid;
$pid = running_worker($b, 2);
kill 'KILL', $pid;
is(final_state($b), 'failed', 'killed twice, the job fails');
is($node->safe_psql('postgres', "SELECT sqlstate || ': ' || error FROM automl.jobs WHERE id = $b"),
	'57P01: its worker ended before the job finished (killed, or the server stopped), 2 times: not started again',
	'saying why');
is($node->safe_psql('postgres', "SELECT run_id IS NULL AND model_id IS NULL FROM automl.jobs WHERE id = $b"), 't',
	'with no run and no model');

# ---------------------------------------------------------------- SIGKILL of the scheduler
my $c = $node->safe_psql('postgres', "SELECT automl_submit('iris', 'species', time_budget => '5 s', search_space => 'light')");
running_worker($c, 1);
my $scheduler = JobsTest::pid_of($node, 'automl job scheduler');
kill 'KILL', $scheduler;
is(final_state($c), 'succeeded', 'after SIGKILL of the scheduler the job still completes');
JobsTest::wait_for($node, 'a new scheduler',
	"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'automl job scheduler' AND pid <> $scheduler");
pass('a new scheduler runs');

# ---------------------------------------------------------------- restart with running and queued jobs
$node->append_conf('postgresql.conf', "automl.max_jobs = 1\n");
$node->reload;
my @queued = split /\n/, $node->safe_psql('postgres', q{
	SELECT automl_submit('iris', 'species', time_budget => '3 s', search_space => 'light') FROM generate_series(1, 3);
});
running_worker($queued[0], 1);
$node->restart;
is(final_state($_), 'succeeded', "job $_, queued or running at the restart, succeeds") for @queued;

# ---------------------------------------------------------------- no run twice, none half written
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM automl.runs r
	WHERE (SELECT count(*) FROM automl.jobs j WHERE j.run_id = r.id AND j.state = 'succeeded') <> 1}), '0',
	'every run belongs to exactly one succeeded job');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM automl.pipelines p WHERE NOT EXISTS (SELECT 1 FROM automl.jobs j WHERE j.run_id = p.run_id)}), '0',
	'no candidate rows of runs that did not complete');
is($node->safe_psql('postgres', "SELECT count(*) FROM automl.jobs WHERE state IN ('queued', 'running')"), '0',
	'no job left behind');

$node->stop;
done_testing();
