# 103_registry_hostile.pl — Marathon's answers are untrusted input.  The
# Marathon emulator answers like a hostile (or broken) Marathon: nulls and
# wrong types inside documents, trailing garbage, deployment ids that are
# paths, error bodies that PostgreSQL's jsonb refuses, endless messages.  The
# deploy worker must never crash or wedge: the request concerned fails (or is
# retried) with a clear last_error, the other requests of the same round
# complete.  Also: a request's deadline survives a restart of the worker, and
# a worker whose automl.database does not exist waits quietly for it.
#
# Every wait is on an event (a row's state, automl_deployment_wait, a log
# line, the server's own clock), never a fixed sleep.  AML_TEST_ONLY=REGEX
# runs only the matching scenarios (debugging).
use strict;
use warnings;
use FindBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use JSON::PP;

require "$FindBin::Bin/100_registry_helpers.pm";

my $emu = RegistryTest::start_emulator(deploy_seconds => 0.2);
my $node = RegistryTest::new_node('registry_hostile', $emu, 'automl.deploy_timeout' => "'20s'");

$node->safe_psql('postgres', q{
	INSERT INTO automl.apps (name, image, ports)
	SELECT 'h' || i, 'hbpmip/viz:' || i, '{80}' FROM generate_series(1, 20) i;
	INSERT INTO automl.app_configs (app_id, mem) SELECT id, 64 FROM automl.apps;
});

my $worker = RegistryTest::worker_pid($node);
ok($worker, "the deploy worker runs ($worker)");

sub scenario
{
	my ($name, $code) = @_;
	return if $ENV{AML_TEST_ONLY} && $name !~ /$ENV{AML_TEST_ONLY}/;
	subtest $name => sub {
		$code->();
		RegistryTest::emu($emu, 'DELETE', '/_emulator/faults');
	};
}

# ids of requests queued in one transaction (the worker claims them in one round)
sub request_all
{
	my ($fn, @apps) = @_;
	my $list = join(', ', map { "$fn('$_')" } @apps);
	return split(/\|/, $node->safe_psql('postgres', "SELECT $list"));
}

sub row { return RegistryTest::row($node, $_[0]); }

# fault rules with characters beyond ASCII (sent as \u escapes)
sub faults_ascii
{
	my (@rules) = @_;
	my $res = $emu->{http}->request('POST', "$emu->{base}/_emulator/faults",
		{ headers => { 'Content-Type' => 'application/json' }, content => JSON::PP->new->ascii->encode(\@rules) });
	die "emulator faults: $res->{status} $res->{content}" unless $res->{success};
}

sub final_states
{
	my (@ids) = @_;
	return [ map { RegistryTest::wait_final($node, $_, 30) } @ids ];
}

sub same_worker
{
	my ($what) = @_;
	is(RegistryTest::worker_pid($node), $worker, "$what: the same deploy worker runs (no crash, no restart)");
}

# ---------------------------------------------------------------- null inside affectedApps
scenario 'null inside affectedApps of /v2/deployments' => sub {
	my @ids = request_all('automl_deploy', 'h1', 'h2');
	is_deeply(final_states(@ids), [ 'running', 'running' ], 'h1 and h2 run');
	# a deployment that stays listed, touching an app of someone else
	RegistryTest::emu($emu, 'POST', '/_emulator/config', { stuck_ids => ['^/other/'] });
	RegistryTest::emu($emu, 'POST', '/v2/apps', { id => '/other/blocker', cmd => 'sleep 1000', mem => 16 });
	RegistryTest::faults($emu, {
		method => 'GET', path => '/v2/deployments', count => -1,
		mutate => [ [ [ '*', 'affectedApps', '*' ], undef ] ] });
	# h1 vanished behind the registry's back: its DELETE gets 404, and the
	# worker looks for a stop deployment of h1 among affectedApps
	RegistryTest::emu($emu, 'DELETE', '/_emulator/apps/automl/h1/default');
	my @undeploys = request_all('automl_undeploy', 'h1', 'h2');
	is_deeply(final_states(@undeploys), [ 'deleted', 'deleted' ], 'both undeploys complete');
	my @polls = RegistryTest::requests($emu, 'GET', '/v2/deployments');
	ok(scalar(grep { ($_->{fault} // '') eq 'mutate' } @polls) > 0, 'the worker read the hostile list');
	same_worker('null in affectedApps');
	RegistryTest::emu($emu, 'POST', '/_emulator/config', { stuck_ids => [] });
	RegistryTest::emu($emu, 'POST', '/_emulator/deployments/complete');
};

# ---------------------------------------------------------------- deployment ids that are paths
scenario 'deployment ids that are not deployment ids' => sub {
	my $odd = '../../v2/apps?x';
	RegistryTest::faults($emu, {
		method => 'POST', body_regex => '"id": ?"/automl/h3/',
		headers => { 'Marathon-Deployment-Id' => $odd },
		mutate => [ [ [ 'deployments', 0, 'id' ], $odd ] ] });
	my ($bad, $good) = request_all('automl_deploy', 'h3', 'h4');
	is_deeply(final_states($bad, $good), [ 'failed', 'running' ], 'the request with the odd id fails, the other runs');
	my $r = row($bad);
	like($r->{last_error}, qr{^POST /v2/apps: Marathon returned "\.\./\.\./v2/apps\?x" as a deployment id, which is not one},
		'the error names the odd id');
	is($r->{marathon_deployment_id}, undef, 'the odd id is not stored');

	# the same id inside the app document (GET /v2/apps/{id} while verifying)
	RegistryTest::faults($emu, {
		method => 'GET', path => '/v2/apps/automl/h5/default', count => -1,
		mutate => [ [ [ 'app', 'deployments' ], [ { id => '../x' } ] ] ] });
	my ($bad2, $good2) = request_all('automl_deploy', 'h5', 'h6');
	is_deeply(final_states($bad2, $good2), [ 'failed', 'running' ], 'an odd id in the app document fails that request');
	like(row($bad2)->{last_error}, qr{GET /v2/apps/automl/h5/default: Marathon returned "\.\./x" as a deployment id},
		'with a clear error');
	my @bad_paths = grep { $_->{path} =~ /\.\.|%2e/i || ($_->{query_string} // '') eq 'x' || $_->{path} eq '/x' }
	  RegistryTest::requests($emu);
	is(scalar(@bad_paths), 0, 'no odd id was ever put into a URL');
	same_worker('odd deployment ids');
};

# ---------------------------------------------------------------- error bodies jsonb refuses
scenario 'error bodies that are not valid jsonb' => sub {
	faults_ascii(
		{ status => 422, method => 'POST', body_regex => '"id": ?"/automl/h7/', count => -1, content_type => 'application/json',
		  body => '{"message":"bad\u0000 input","details":[{"path":"/id","errors":["error.pattern"]}]}' },
		{ status => 422, method => 'POST', body_regex => '"id": ?"/automl/h8/', count => -1, content_type => 'application/json',
		  body => '{"message":"too big","details":[{"path":"/mem","errors":[1e999999]}]}' },
		{ status => 422, method => 'POST', body_regex => '"id": ?"/automl/h9/', count => -1,
		  body_bytes => "{\"message\":\"caf\x{e9} \x{ff}\x{fe} broken\"}" });
	my @ids = request_all('automl_deploy', 'h7', 'h8', 'h9', 'h10');
	is_deeply(final_states(@ids), [ 'failed', 'failed', 'failed', 'running' ],
		'each bad body fails its own request only; the other request of the round runs');
	my ($nul, $huge, $latin) = map { row($_) } @ids[ 0 .. 2 ];
	is($nul->{last_http_status}, 422, 'the status is recorded');
	like($nul->{last_error}, qr{^POST /v2/apps: Marathon answered 422 Unprocessable Entity: bad}, 'the message is kept');
	like($huge->{last_error}, qr{422 Unprocessable Entity, with a body that is not valid JSON \(a number is out of range\)},
		'a number beyond a double: the body is not read');
	like($latin->{last_error}, qr{422 Unprocessable Entity}, 'a body that is not UTF-8: failed with the status');
	is($node->safe_psql('postgres', "SELECT string_agg(jsonb_typeof(error_details), ',' ORDER BY id)
		FROM automl.deployments WHERE id IN ($ids[0], $ids[1], $ids[2])"), 'string,string,string',
		'bodies jsonb refuses are kept as JSON strings');
	like($nul->{error_details}, qr/bad\\u0000 input/, '... holding the body as Marathon sent it');
	is($node->safe_psql('postgres', "SELECT bool_and(convert_from(convert_to(last_error || error_details::text,
		'UTF8'), 'UTF8') IS NOT NULL) FROM automl.deployments WHERE id IN ($ids[0], $ids[1], $ids[2])"), 't',
		'what is stored is valid UTF-8');
	same_worker('bodies jsonb refuses');
};

# ---------------------------------------------------------------- strict JSON, wrong types
scenario 'trailing garbage, wrong types and huge numbers' => sub {
	RegistryTest::faults($emu,
		{ method => 'POST', body_regex => '"id": ?"/automl/h11/', append => '}{"trailing":"garbage"}' },
		{ method => 'GET', path => '/v2/apps/automl/h12/default', count => 1,
		  mutate => [ [ [ 'app', 'tasksRunning' ], { '$raw' => '1e999999' } ] ] },
		{ method => 'GET', path => '/v2/apps/automl/h12/default', count => 1,
		  mutate => [ [ [ 'app', 'deployments' ], [undef] ] ] },
		{ method => 'GET', path => '/v2/apps/automl/h12/default', count => 1,
		  mutate => [ [ [ 'app', 'labels' ], undef ], [ [ 'app', 'tasksRunning' ], '1' ] ] });
	my ($garbage, $types) = request_all('automl_deploy', 'h11', 'h12');
	is_deeply(final_states($garbage, $types), [ 'running', 'running' ], 'both run in the end');
	like(row($garbage)->{last_error}, qr{^POST /v2/apps: Marathon answered 201 with a body that is not valid JSON},
		'trailing garbage makes an answer unreadable');
	my @calls = map { "$_->{method} $_->{path}" } RegistryTest::requests_for($emu, $garbage);
	is_deeply([ @calls[ 0 .. 1 ] ], [ 'POST /v2/apps', 'GET /v2/apps/automl/h11/default' ],
		'... so the worker asked Marathon what happened');
	like(row($types)->{last_error},
		qr{^GET /v2/apps/automl/h12/default: Marathon answered 200 with an app document that is not valid: "labels" is not an object \(a null\)},
		'wrong types in the app document are retried with a clear error');
	is(scalar(grep { ($_->{fault} // '') eq 'mutate' } RegistryTest::requests_for($emu, $types, 'GET')), 3,
		'the three hostile documents were read');

	# a list of deployments with trailing garbage
	RegistryTest::faults($emu, { method => 'GET', path => '/v2/deployments', count => 2, append => ' x' });
	my ($poll) = request_all('automl_deploy', 'h13');
	is_deeply(final_states($poll), ['running'], 'an unreadable list of deployments is polled again');
	like(row($poll)->{last_error}, qr{^GET /v2/deployments: Marathon answered 200 with a body that is not valid JSON},
		'with a clear error');

	# an endless message
	RegistryTest::faults($emu,
		{ status => 422, method => 'POST', body_regex => '"id": ?"/automl/h14/', body => { message => 'x' x 200000 } });
	my ($long) = request_all('automl_deploy', 'h14');
	is_deeply(final_states($long), ['failed'], 'a 422 with an endless message fails');
	my $r = row($long);
	ok(length($r->{last_error}) < 1200, 'last_error is kept short (' . length($r->{last_error}) . ' characters)');
	is($r->{error_details}, undef, 'a body too large to keep is not kept');
	same_worker('strict JSON');
};

# ---------------------------------------------------------------- no crash
unlike(slurp_file($node->logfile), qr/terminated by signal|server process .* exited with exit code/,
	'the postmaster log shows no crash');

# ---------------------------------------------------------------- deadlines kept in the row
scenario 'a deadline survives a restart of the worker' => sub {
	$node->safe_psql('postgres', q{
		ALTER SYSTEM SET automl.deploy_timeout = '4s';
		SELECT pg_reload_conf()});
	$node->poll_query_until('postgres', "SELECT current_setting('automl.deploy_timeout') = '4s'")
	  or die 'configuration not reloaded';
	RegistryTest::emu($emu, 'POST', '/_emulator/config', { stuck_ids => ['^/automl/h15/'] });
	my ($id) = request_all('automl_deploy', 'h15');
	$node->poll_query_until('postgres',
		"SELECT marathon_deployment_id IS NOT NULL FROM automl.deployments WHERE id = $id")
	  or die 'the deployment did not start';
	my $before = row($id);
	ok($before->{deadline}, "the deadline is in the row ($before->{deadline})") or diag explain $before;
	# half-way to the deadline (the server's clock), restart the worker
	$node->poll_query_until('postgres',
		"SELECT clock_timestamp() > started_at + interval '2 s' FROM automl.deployments WHERE id = $id")
	  or die 'time stands still';
	my $old = RegistryTest::worker_pid($node);
	$node->safe_psql('postgres', "SELECT pg_terminate_backend($old)");
	RegistryTest::wait_until('a new deploy worker', sub {
		my $pid = RegistryTest::worker_pid($node);
		return $pid && $pid ne $old;
	});
	is(RegistryTest::wait_final($node, $id), 'failed', 'the stuck deployment fails');
	my $after = row($id);
	like($after->{last_error}, qr/did not finish within automl.deploy_timeout \(4 s\)/, 'at its deadline');
	is($after->{deadline}, $before->{deadline}, 'the deadline did not move');
	# a worker that recomputed the deadline at its start would fail it 3 s or more later
	is($node->safe_psql('postgres',
		"SELECT finished_at < started_at + interval '6 s' FROM automl.deployments WHERE id = $id"), 't',
		'the request ended at the deadline set when it started, not one set by the new worker');
	RegistryTest::emu($emu, 'POST', '/_emulator/config', { stuck_ids => [] });
	RegistryTest::emu($emu, 'POST', '/_emulator/deployments/complete');
};

$node->stop;

# ---------------------------------------------------------------- automl.database does not exist
scenario 'automl.database does not exist' => sub {
	my $lost = RegistryTest::new_node('registry_no_database', $emu, 'automl.database' => "'hostile_missing'");
	my $warning = qr/automl\.database names database "hostile_missing", which does not exist/;
	RegistryTest::wait_until('the worker to say so', sub { slurp_file($lost->logfile) =~ $warning });
	my $pid = RegistryTest::worker_pid($lost);
	ok($pid, "the worker waits for the database ($pid)");
	# a worker restarted every second would have tried (and logged) three times more
	$lost->poll_query_until('postgres',
		"SELECT clock_timestamp() > pg_postmaster_start_time() + interval '4 s'")
	  or die 'time stands still';
	my $log = slurp_file($lost->logfile);
	is(scalar(() = $log =~ /$warning/g), 1, 'the problem is logged once');
	like($log, qr/HINT:  Create the database/, 'with a hint');
	ok(scalar(() = $log =~ /FATAL:  database "hostile_missing" does not exist/g) <= 1,
		'the worker does not try to connect over and over');
	is(RegistryTest::worker_pid($lost), $pid, 'the same process keeps waiting');

	$lost->safe_psql('postgres', 'CREATE DATABASE hostile_missing');
	$lost->safe_psql('hostile_missing', 'CREATE EXTENSION automl');
	# a reload makes it look again at once (otherwise it looks at least once a minute)
	$lost->safe_psql('postgres', 'SELECT pg_reload_conf()');
	$lost->poll_query_until('postgres', q{
		SELECT EXISTS (SELECT 1 FROM pg_stat_activity
		                WHERE backend_type = 'automl deploy worker' AND datname = 'hostile_missing')})
	  or die 'the worker did not connect';
	like(slurp_file($lost->logfile), qr/automl deploy worker started in database "hostile_missing"/,
		'the worker connects once the database exists');
	$lost->stop;
};

done_testing();
