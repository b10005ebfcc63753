# 102_registry_crash.pl — the deploy worker dies (SIGKILL) while its calls
# to Marathon are in flight, the server restarts, and every request still
# ends in exactly one correct final state, each change applied on Marathon
# exactly once (a request may be sent again: Marathon then answers 409 or 404,
# and the worker recognises its own work).  SIGTERM stops the worker even
# mid-request.  The emulator holds the calls in flight until the test
# releases them ("hold" faults), so nothing depends on how fast the machine is.
use strict;
use warnings;
use FindBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use JSON::PP;
use Time::HiRes qw(time);

require "$FindBin::Bin/100_registry_helpers.pm";

my $emu = RegistryTest::start_emulator(deploy_seconds => 0.2);
# a call waits for Marathon's answer up to 10 minutes, far longer than any
# wait of this test: only SIGTERM can end the one held below
my $node = RegistryTest::new_node('registry_crash', $emu, 'automl.http_timeout' => "'600s'");

$node->safe_psql('postgres', q{
	INSERT INTO automl.apps (name, image, ports)
	SELECT 'viz' || i, 'hbpmip/viz:' || i, '{80}' FROM generate_series(1, 6) i;
	INSERT INTO automl.app_configs (app_id, mem) SELECT id, 64 FROM automl.apps;
});

# how many of a request's calls Marathon carried out (2xx)
sub applied
{
	my ($id, $method) = @_;
	return scalar grep { defined $_->{status} && $_->{status} >= 200 && $_->{status} < 300 }
	  RegistryTest::requests_for($emu, $id, $method);
}

sub kill_worker_when_in_flight
{
	my ($ids, $method) = @_;
	# wait until the emulator holds every write (a "hold" fault)
	RegistryTest::wait_until("the ${method}s to arrive", sub {
		my $n = 0;
		for my $id (@$ids)
		{
			$n++ if grep { !defined $_->{status} } RegistryTest::requests_for($emu, $id, $method);
		}
		return $n == scalar @$ids;
	});
	my $pid = RegistryTest::worker_pid($node);
	ok(kill('KILL', $pid), "SIGKILL to the deploy worker ($pid) with ${method}s in flight");
	# the emulator carries the writes out, as Marathon would
	is(RegistryTest::release($emu), scalar @$ids, "the ${method}s were held until now");
	RegistryTest::wait_until("the ${method}s to be processed", sub {
		my $n = 0;
		for my $id (@$ids)
		{
			$n++ if grep { defined $_->{status} } RegistryTest::requests_for($emu, $id, $method);
		}
		return $n == scalar @$ids;
	});
	$node->restart;
}

# ---------------------------------------------------------------- deploys in flight
RegistryTest::faults($emu, { hold => JSON::PP::true, method => 'POST', count => 3 });
my @ids = map { RegistryTest::deploy($node, "viz$_") } 1 .. 3;
kill_worker_when_in_flight(\@ids, 'POST');
for my $id (@ids)
{
	is(RegistryTest::wait_final($node, $id), 'running', "deployment $id is running after the crash");
	is(applied($id, 'POST'), 1, "deployment $id: created exactly once");
	is(scalar(RegistryTest::requests_for($emu, $id, 'PUT')), 0, "deployment $id: never updated");
	# after the restart the worker asks Marathon (GET) before writing; or, when
	# the crash lost its claim (its commits do not wait for the WAL flush), it
	# posts again, gets 409 "already exists" and finds its own label
	my @calls = RegistryTest::requests_for($emu, $id);
	my @after = map { "$_->{method} " . ($_->{status} // 'none') } @calls[ 1 .. $#calls ];
	push @after, '', '';
	ok($after[0] eq 'GET 200' || ($after[0] eq 'POST 409' && $after[1] eq 'GET 200'),
		"deployment $id: resumed without a second creation ($after[0], $after[1])");
}
my $apps = RegistryTest::state($emu)->{apps};
is(scalar(keys %$apps), 3, 'Marathon runs three apps');
is($apps->{"/automl/viz$_/default"}{labels}{'automl.deployment'}, $ids[ $_ - 1 ], "viz$_ runs its deployment")
  for 1 .. 3;

# ---------------------------------------------------------------- undeploys in flight
RegistryTest::faults($emu, { hold => JSON::PP::true, method => 'DELETE', count => 2 });
my @undeploys = map { RegistryTest::undeploy($node, "viz$_") } 1 .. 2;
kill_worker_when_in_flight(\@undeploys, 'DELETE');
for my $id (@undeploys)
{
	is(RegistryTest::wait_final($node, $id), 'deleted', "undeploy $id is deleted after the crash");
	is(applied($id, 'DELETE'), 1, "undeploy $id: deleted once (a DELETE sent again gets 404)");
}
$apps = RegistryTest::state($emu)->{apps};
is_deeply([ sort keys %$apps ], ['/automl/viz3/default'], 'Marathon runs what the registry says');
is($node->safe_psql('postgres', q{
	SELECT string_agg(app || ':' || action || ':' || state, ' ' ORDER BY id) FROM automl.deployments}),
	'viz1:deploy:deleted viz2:deploy:deleted viz3:deploy:running viz1:undeploy:deleted viz2:undeploy:deleted',
	'every request is in exactly one correct final state');

# ---------------------------------------------------------------- requests queued while the worker is away
# requests committed while no worker runs are claimed when it is back
RegistryTest::faults($emu, { hold => JSON::PP::true, method => 'POST' });
my $slow = RegistryTest::deploy($node, 'viz4');
kill_worker_when_in_flight([$slow], 'POST');
my @queued = map { RegistryTest::deploy($node, "viz$_") } 5 .. 6;
is(RegistryTest::wait_final($node, $_), 'running', "request $_ made during the restart is running")
  for ($slow, @queued);
is(applied($_, 'POST'), 1, "request $_ created its app once") for ($slow, @queued);

# ---------------------------------------------------------------- SIGTERM mid-request
# Marathon holds the DELETE until the end of this test, and the call's own
# timeout is 10 minutes: the worker can only be gone because SIGTERM stopped it
RegistryTest::faults($emu, { hold => JSON::PP::true, method => 'DELETE' });
my $id = RegistryTest::undeploy($node, 'viz5');
RegistryTest::wait_until('the DELETE to arrive', sub {
	grep { !defined $_->{status} } RegistryTest::requests_for($emu, $id, 'DELETE');
});
my $pid = RegistryTest::worker_pid($node);
my $asked = time();
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
ok(RegistryTest::wait_until('the worker to exit', sub { !kill(0, $pid) }),
	"SIGTERM stops the worker ($pid) mid-request");
note(sprintf('the worker exited %.3f s after SIGTERM (printed, not asserted)', time() - $asked));
is(scalar(grep { !defined $_->{status} } RegistryTest::requests_for($emu, $id, 'DELETE')), 1,
	'... while Marathon still held its DELETE');
# it is started again (bgw_restart_time) and finishes the request: the app is
# still there, so it sends another DELETE, which deletes it; the first one,
# let go now, finds it gone (404)
is(RegistryTest::wait_final($node, $id), 'deleted', 'the undeploy completes after the restart');
is(RegistryTest::release($emu), 1, 'the first DELETE was held until now');
RegistryTest::wait_until('the first DELETE to be answered', sub {
	!grep { !defined $_->{status} } RegistryTest::requests_for($emu, $id, 'DELETE');
});
is(applied($id, 'DELETE'), 1, 'the app was deleted once');
ok(!exists RegistryTest::state($emu)->{apps}{'/automl/viz5/default'}, 'and is gone');

like(slurp_file($node->logfile), qr/automl deploy worker started in database "postgres"/, 'the worker logs its start');

$node->stop;
done_testing();
