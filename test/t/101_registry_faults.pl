# 101_registry_faults.pl — the deploy worker when Marathon misbehaves: 500s
# then success (backoff), 422 recorded as failed without retry, 401, Marathon
# down then up again, answers lost after the change was made (no duplicate
# writes), 409 locked, 403 too many deployments, garbage bodies, failing
# deployment polls, and a stuck deployment that hits its deadline.
use strict;
use warnings;
use FindBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use JSON::PP;

require "$FindBin::Bin/100_registry_helpers.pm";

my $emu = RegistryTest::start_emulator(deploy_seconds => 0.2);
my $node = RegistryTest::new_node('registry_faults', $emu);

$node->safe_psql('postgres', q{
	INSERT INTO automl.apps (name, image, ports)
	SELECT 'app' || i, 'hbpmip/viz:' || i, '{80}' FROM generate_series(1, 12) i;
	INSERT INTO automl.app_configs (app_id, mem) SELECT id, 64 FROM automl.apps;
});

sub deploy_and_wait
{
	my ($app, $seconds) = @_;
	my $id = RegistryTest::deploy($node, $app);
	return ($id, RegistryTest::wait_final($node, $id, $seconds));
}

sub statuses
{
	my ($id, $method) = @_;
	return [ map { defined $_->{status} ? $_->{status} : 'none' } RegistryTest::requests_for($emu, $id, $method) ];
}

# ---------------------------------------------------------------- 500s, then success
RegistryTest::faults($emu, { status => 500, count => 3, method => 'POST', path => '/v2/apps' });
my ($id, $state) = deploy_and_wait('app1');
is($state, 'running', '500, 500, 500, then success: running');
is_deeply(statuses($id, 'POST'), [ 500, 500, 500, 201 ], 'four POSTs');
my $row = RegistryTest::row($node, $id);
is($row->{attempts}, 4, 'four attempts');
like($row->{last_error}, qr/Marathon answered 500 Internal Server Error/, 'the last error is kept');
# exponential backoff: retry k waits about 100 ms * 2^(k-1), "equal jitter"
# keeping at least half of it, so the POSTs are at least 50, 100 and 200 ms
# apart.  Only these floors are asserted (the emulator's arrival times; a busy
# machine can only stretch the gaps, never shrink them below the worker's own
# plan); the gaps themselves are printed.
my @t = map { $_->{ts} } RegistryTest::requests_for($emu, $id, 'POST');
my @gap = map { $t[ $_ + 1 ] - $t[$_] } 0 .. 2;
note(sprintf('gaps between the POSTs: %.3f, %.3f, %.3f s', @gap));
# (0.5 ms of slack for the two processes' clock readings)
ok($gap[$_] >= 0.1 * 2**$_ / 2 - 0.0005, sprintf('retry %d waited at least %d ms', $_ + 1, 50 * 2**$_))
  for 0 .. 2;
# a 500 may come after the change was made: each retry first asks Marathon
is(scalar(grep { $_->{path} =~ m{^/v2/apps/} } RegistryTest::requests_for($emu, $id, 'GET')) >= 3, 1,
	'the app was checked before each new POST');

# ---------------------------------------------------------------- 422: failed, no retry
RegistryTest::faults($emu, {
	status => 422, method => 'POST',
	body => { message => 'Invalid JSON',
		details => [ { path => '/labels/traefik.port', errors => ['error.expected.jsstring'] } ] } });
($id, $state) = deploy_and_wait('app2');
is($state, 'failed', '422 fails the deployment');
is_deeply(statuses($id, 'POST'), [422], 'no retry after 422');
$row = RegistryTest::row($node, $id);
is($row->{attempts}, 1, 'one attempt');
is($row->{last_http_status}, 422, 'the status is recorded');
like($row->{last_error}, qr{422 Unprocessable Entity: Invalid JSON \(/labels/traefik.port: error.expected.jsstring\)},
	"Marathon's message and details are recorded");
is($row->{error_details}{details}[0]{path}, '/labels/traefik.port', "Marathon's error document is kept");

# ---------------------------------------------------------------- 401: failed, no retry
RegistryTest::emu($emu, 'POST', '/_emulator/config', { auth => 'token:other' });
($id, $state) = deploy_and_wait('app3');
is($state, 'failed', '401 fails the deployment');
is_deeply(statuses($id, 'POST'), [401], 'no retry after 401');
like(RegistryTest::row($node, $id)->{last_error}, qr/401 Unauthorized: check automl.marathon_credentials/,
	'the error says what to check');
RegistryTest::emu($emu, 'POST', '/_emulator/config', { auth => undef });

# ---------------------------------------------------------------- Marathon down, then up
# Marathon stays down (up to 10 minutes) until the worker has recorded a
# failed attempt; SIGUSR1 then makes the emulator listen again
RegistryTest::faults($emu, { refuse => JSON::PP::true, seconds => 600 });
$id = RegistryTest::deploy($node, 'app3');
RegistryTest::wait_until('an attempt that could not reach Marathon', sub {
	(RegistryTest::row($node, $id)->{last_error} // '') =~ /could not reach Marathon/;
});
ok(kill('USR1', $emu->{pid}), 'Marathon is back');
$state = RegistryTest::wait_final($node, $id);
is($state, 'running', 'Marathon down, then up again: running');
$row = RegistryTest::row($node, $id);
ok($row->{attempts} > 1, "retried ($row->{attempts} attempts)");
like($row->{last_error}, qr/could not reach Marathon/, 'the connection error is recorded');
is_deeply(statuses($id, 'POST'), [201], 'exactly one POST reached Marathon');

# ---------------------------------------------------------------- answers lost after the change
RegistryTest::faults($emu, { drop => JSON::PP::true, method => 'POST', process => JSON::PP::true });
($id, $state) = deploy_and_wait('app4');
is($state, 'running', 'a POST whose answer was lost: running');
# (libcurl may send it again at once on a new connection: Marathon says 409)
like(join(',', @{ statuses($id, 'POST') }), qr/^none(,409)?$/, 'the app was created once');
is(scalar(RegistryTest::requests_for($emu, $id, 'PUT')), 0, 'and not updated');
is(RegistryTest::state($emu)->{apps}{'/automl/app4/default'}{labels}{'automl.deployment'}, $id,
	'the check found our own app');

RegistryTest::faults($emu, { status => 503, method => 'DELETE', process => JSON::PP::true });
$id = RegistryTest::undeploy($node, 'app4');
is(RegistryTest::wait_final($node, $id), 'deleted', 'a DELETE answered 503 after it was done: deleted');
is_deeply(statuses($id, 'DELETE'), [503], 'the DELETE was not sent again');

RegistryTest::faults($emu, { garbage => JSON::PP::true, status => 201, method => 'POST', process => JSON::PP::true });
($id, $state) = deploy_and_wait('app5');
is($state, 'running', 'an unreadable answer to a POST: running');
is_deeply(statuses($id, 'POST'), [201], 'one POST');

# ---------------------------------------------------------------- locked, too many
RegistryTest::faults($emu, {
	status => 409, count => 2, method => 'POST',
	body => { message => "App is locked by one or more deployments. Override with the option '?force=true'.",
		deployments => [ { id => '97c136bf-5a28-4821-9d94-480d9fbb01c8' } ] } });
($id, $state) = deploy_and_wait('app6');
is($state, 'running', '409 locked is retried');
is_deeply(statuses($id, 'POST'), [ 409, 409, 201 ], 'two locked answers, then created');

RegistryTest::faults($emu, {
	status => 403, method => 'POST',
	body => { message => 'Max number (100) of running deployments is achieved.' } });
($id, $state) = deploy_and_wait('app7');
is($state, 'running', '403 "too many deployments" is retried');
is_deeply(statuses($id, 'POST'), [ 403, 201 ], 'then created');

# ---------------------------------------------------------------- polls failing
RegistryTest::faults($emu,
	{ status => 502, count => 3, method => 'GET', path => '/v2/deployments',
	  body => 'Could not determine the current leader' },
	{ reset => JSON::PP::true, method => 'GET', path => '/v2/deployments' });
($id, $state) = deploy_and_wait('app8');
is($state, 'running', 'failing deployment polls delay, but do not fail, a deployment');

# ---------------------------------------------------------------- stuck deployment
RegistryTest::reload_worker($node, 'automl.deploy_timeout' => "'2s'");
RegistryTest::emu($emu, 'POST', '/_emulator/config', { stuck_ids => ['app9'] });
($id, $state) = deploy_and_wait('app9');
is($state, 'failed', 'a stuck deployment fails at its deadline');
$row = RegistryTest::row($node, $id);
like($row->{last_error}, qr/did not finish within automl.deploy_timeout \(2 s\); it was cancelled and rolled back/,
	'the error says so');
my @cancel = grep { $_->{path} =~ m{^/v2/deployments/} } RegistryTest::requests_for($emu, $id, 'DELETE');
is(scalar @cancel, 1, 'the worker cancelled the deployment');
is($cancel[0]{path}, "/v2/deployments/$row->{marathon_deployment_id}", '... the one it created');
ok(!exists RegistryTest::state($emu)->{apps}{'/automl/app9/default'}, 'the rollback removed the new app');
RegistryTest::emu($emu, 'POST', '/_emulator/config', { stuck_ids => [] });
RegistryTest::emu($emu, 'POST', '/_emulator/deployments/complete');

# an unreachable Marathon fails a request at the deadline, with the last error
RegistryTest::faults($emu, { status => 503, count => -1, method => 'POST' });
($id, $state) = deploy_and_wait('app10');
is($state, 'failed', 'a request that never succeeds fails at the deadline');
like(RegistryTest::row($node, $id)->{last_error},
	qr/no success within automl.deploy_timeout \(2 s\): POST \/v2\/apps: Marathon answered 503/,
	'with the last error');
RegistryTest::emu($emu, 'DELETE', '/_emulator/faults');

# ---------------------------------------------------------------- no Marathon configured
RegistryTest::reload_worker($node, 'automl.marathon_url' => "''");
my ($ret, $out, $err) = $node->psql('postgres', "SELECT automl_deploy('app11')");
like($err, qr/WARNING:  automl.marathon_url is not set/, 'deploying without a Marathon URL warns');
is(RegistryTest::wait_final($node, $out), 'failed', '... and the request fails');

# the worker's log shows no crash
unlike(slurp_file($node->logfile), qr/terminated by signal|TRAP|server process .* exited with exit code/,
	'no crash');

$node->stop;
done_testing();
