# 003_train_cancel.pl — pg_cancel_backend stops a running automl_train: the
# search, started with a 10-minute budget, ends on the cancel with the usual
# error instead of a result; the session goes on working, nothing is stored
# and no automl memory is left behind.
#
# Every wait is for an event in the session's own output (the search's first
# progress NOTICE, then the cancel error), with the session's timeout
# (timeout_default) only as a safety net.  How long the cancel took is
# printed, not asserted: README promises a fraction of a second, which
# test/bench can time on a quiet machine and a shared test machine cannot.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

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

# the search is under way once it reports on its first pipelines
ok(pump_until($session->{run}, $session->{timeout}, \$session->{stderr},
		qr/NOTICE:  automl: (new best|portfolio|generation)/),
	'the search reports its progress');
is($node->safe_psql('postgres', "SELECT state FROM pg_stat_activity WHERE pid = $pid"), 'active',
	'the search is running');

my $asked = time();
$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
ok(pump_until($session->{run}, $session->{timeout}, \$session->{stderr},
		qr/ERROR:  canceling statement due to user request/),
	'automl_train ends on pg_cancel_backend with the usual error, not at its budget');
note(sprintf('cancel latency: %.3f s (printed, not asserted)', time() - $asked));
unlike($session->{stdout}, qr/\(\d+,\d+,/, 'no result row came back');
$session->{stderr} = '';

my ($out, $ret) = $session->query('SELECT 1');
is($out, '1', 'the session still works after the cancel');
is($session->query_safe('SELECT count(*) FROM automl.runs'), '0', 'a cancelled search stores no run');
is($session->query_safe('SELECT count(*) FROM automl.models'), '0', 'and no model');
is($session->query_safe(q{SELECT count(*) FROM pg_backend_memory_contexts WHERE name LIKE 'automl%'}),
	'0', 'no automl memory context is left in the session');
$session->query_safe('SET client_min_messages = warning');
my $id = $session->query_safe(q{SELECT automl_fit('big', 'y', 'gaussian_nb', features => '{a,b}')});
like($id, qr/^\d+$/, 'training works again in the same session');
$session->quit;
$node->stop;
done_testing();
