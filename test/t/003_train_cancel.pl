# 003_train_cancel.pl — pg_cancel_backend stops automl_train promptly (the
# issue asks for within a second; the assertion here is looser so a loaded
# machine does not flake, the measured latency is printed), the session
# goes on working, nothing is stored and no automl memory is left behind.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

my $node = PostgreSQL::Test::Cluster->new('cancel');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'automl'\n");
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION automl;
	CREATE TABLE big AS
	SELECT g AS id, random() AS a, random() AS b, random() AS c, random() AS d, random() AS e,
	       (random() * 5)::int::text AS k, (g % 3)::text AS y
	FROM generate_series(1, 30000) g;
});

my $session = $node->background_psql('postgres', on_error_stop => 0);
my $pid = $session->query_safe('SELECT pg_backend_pid()');
$session->query_until(qr/start/, q{
	\echo start
	SELECT automl_train('big', 'y', features => '{a,b,c,d,e,k}', time_budget => '10 minutes');
});

# wait until the search is running, then cancel it
$node->poll_query_until('postgres',
	qq{SELECT state = 'active' AND now() - query_start > interval '2 seconds' FROM pg_stat_activity WHERE pid = $pid})
  or die 'the training never started';
my $asked = time();
$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
my $stopped;
for (my $i = 0; $i < 600; $i++)
{
	my $state = $node->safe_psql('postgres', "SELECT state FROM pg_stat_activity WHERE pid = $pid");
	if ($state ne 'active')
	{
		$stopped = time() - $asked;
		last;
	}
	usleep(10_000);
}
ok(defined $stopped, 'automl_train stops after pg_cancel_backend');
note(sprintf('cancel latency: %.3f s', $stopped // -1));
cmp_ok($stopped // 999, '<', 5, 'it stops within seconds (the benchmark machine: well under one)');

my ($out, $ret) = $session->query('SELECT 1');
is($out, '1', 'the session still works after the cancel');
like($session->{stderr} // '', qr/canceling statement due to user request/, 'the error is the usual cancel');
$session->{stderr} = '';
is($session->query_safe('SELECT count(*) FROM automl.runs'), '0', 'a cancelled search stores no run');
is($session->query_safe(q{SELECT count(*) FROM pg_backend_memory_contexts WHERE name LIKE 'automl%'}),
	'0', 'no automl memory context is left in the session');
$session->query_safe('SET client_min_messages = warning');
my $id = $session->query_safe(q{SELECT automl_fit('big', 'y', 'gaussian_nb', features => '{a,b}')});
like($id, qr/^\d+$/, 'training works again in the same session');
$session->quit;
$node->stop;
done_testing();
