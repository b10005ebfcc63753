# 203_parallel.pl — a search's candidates evaluated in helper processes
# (automl.max_parallel_workers): the same result with 1, 2 and 3 processes
# (max_evaluations); helpers exist during the search only; a cancel stops
# them; with no background worker slot free the search runs in the calling
# process, saying so.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use FindBin;
use lib $FindBin::RealBin;
require '200_jobs.pm';

my $node = JobsTest::new_node('parallel');
$node->safe_psql('postgres', q{
	CREATE TABLE wide AS
	SELECT g AS id, random() AS a, random() AS b, random() AS c, random() AS d,
	       (random() * 4)::int::text AS k, (g % 3)::text AS y
	FROM generate_series(1, 3000) g;
});

# ---------------------------------------------------------------- same result, any number of processes
my %digest;
for my $w (1, 2, 3)
{
	$digest{$w} = $node->safe_psql('postgres', qq{
		SET client_min_messages = warning;
		SET automl.max_parallel_workers = $w;
		SELECT t.pipeline || ' ' || t.cv_score || ' ' ||
		       (SELECT md5(string_agg(p.number || ':' || p.status || ':' || coalesce(p.mean_score::text, '') || ':' ||
		                              coalesce(p.fold_scores::text, ''), ',' ORDER BY p.number))
		        FROM automl.pipelines p WHERE p.run_id = t.run_id)
		FROM automl_train('iris', 'species', max_evaluations => 40, time_budget => '10 min') t});
}
is($digest{2}, $digest{1}, 'max_evaluations: 2 processes find the same winner, scores and leaderboard as 1');
is($digest{3}, $digest{1}, 'and so do 3');

# ---------------------------------------------------------------- helpers during the search only, and a cancel
{
	my $session = $node->background_psql('postgres', on_error_stop => 0);
	my $pid = $session->query_safe('SELECT pg_backend_pid()');
	$session->query_safe('SET automl.max_parallel_workers = 3');
	$session->query_until(qr/start/, "\\echo start\nSELECT evaluated FROM automl_train('wide', 'y', time_budget => '10 min');\n");
	JobsTest::wait_for($node, 'the helpers',
		"SELECT count(*) = 3 FROM pg_stat_activity WHERE backend_type = 'automl evaluation helper'");
	pass('three helpers evaluate for a search with automl.max_parallel_workers = 3');
	JobsTest::wait_for($node, 'the search to evaluate', "SELECT evaluated > 4 FROM automl.progress WHERE pid = $pid");
	my $t0 = time();
	$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
	JobsTest::wait_for($node, 'the helpers to exit',
		"SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'automl evaluation helper'");
	my $took = time() - $t0;
	note(sprintf('helpers gone %.3f s after the cancel', $took));
	ok($took < 5, sprintf('a cancel stops every helper (%.2f s)', $took));
	is($session->query('SELECT 1'), '1', 'the session goes on');
	$session->quit;
}

# ---------------------------------------------------------------- a search that ends normally leaves no helper
$node->safe_psql('postgres', q{SET client_min_messages = warning; SET automl.max_parallel_workers = 2;
	SELECT evaluated FROM automl_train('iris', 'species', max_evaluations => 10)});
JobsTest::wait_for($node, 'the helper to exit',
	"SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'automl evaluation helper'");
pass('after the search its helpers exit');

# ---------------------------------------------------------------- no free slot
$node->append_conf('postgresql.conf', "max_worker_processes = 2\n");	# the deploy worker and the scheduler
$node->restart;
my ($ret, $out, $err) = $node->psql('postgres', q{SET automl.max_parallel_workers = 2;
	SELECT evaluated FROM automl_train('iris', 'species', max_evaluations => 6)});
is($out, '6', 'with no background worker slot free the search still runs');
like($err, qr/NOTICE:  automl: no background worker slot is free for parallel evaluation: candidates are evaluated in this process/,
	'in the calling process, with a NOTICE');

$node->stop;
done_testing();
