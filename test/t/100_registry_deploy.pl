# 100_registry_deploy.pl — the deploy worker against the Marathon emulator,
# behind a DC/OS-style path prefix with token auth: a deployment reaches
# running with exactly the JSON Marathon should receive; an update is a PUT;
# undeploy is a DELETE; "already exists" becomes an update; an app deleted
# behind our back counts as undeployed; basic auth; NOTIFY on every state.
use strict;
use warnings;
use FindBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use JSON::PP;

require "$FindBin::Bin/100_registry_helpers.pm";

my $emu = RegistryTest::start_emulator(
	prefix => '/service/marathon',
	auth => 'token:s3cret-token',
	deploy_seconds => 0.3);
my $node = RegistryTest::new_node('registry_deploy', $emu,
	'automl.marathon_credentials' => "'token:s3cret-token'",
	'automl.traefik_domain' => "'apps.example.com'");
my $json = RegistryTest::json();

ok(RegistryTest::worker_pid($node) =~ /^\d+$/, 'the deploy worker runs');

$node->safe_psql('postgres', q{
	INSERT INTO automl.apps (name, image, ports, metadata) VALUES
	  ('sales-dashboard', 'registry.local/viz/dash:1.2.3', '{8050,9090}',
	   '{"org.label-schema.memory-hint": "512", "org.label-schema.description": "Sales"}');
	INSERT INTO automl.app_configs (app_id, cpus, instances, env, labels, health_check)
	SELECT id, 0.5, 2, '{"DATASET_ID": "42"}', '{"team": "viz"}',
	       '{"protocol": "MESOS_HTTP", "path": "/health", "portIndex": 0, "gracePeriodSeconds": 120}'
	FROM automl.apps WHERE name = 'sales-dashboard';
});

# a listener hears every state change
my $listener = $node->background_psql('postgres');
$listener->query_safe('LISTEN automl_deployments');

# ---------------------------------------------------------------- deploy
my $id = RegistryTest::deploy($node, 'sales-dashboard');
is(RegistryTest::wait_final($node, $id), 'running', 'deploy reaches running');

my @posts = RegistryTest::requests_for($emu, $id, 'POST');
is(scalar @posts, 1, 'one POST');
my $post = $posts[0];
is($post->{raw_path}, '/service/marathon/v2/apps', 'POST under the path prefix');
is($post->{status}, 201, 'Marathon created the app');
is($post->{headers}{Authorization}, 'token=s3cret-token', 'DC/OS token auth header');
like($post->{headers}{'Content-Type'}, qr{^application/json}, 'JSON content type');
like($post->{headers}{'User-Agent'}, qr{^automl/0\.1 libcurl/}, 'User-Agent names the extension and its version');
is_deeply(
	$post->{body},
	{
		id => '/automl/sales-dashboard/default',
		cpus => 0.5,
		mem => 512,
		disk => 0,
		instances => 2,
		container => {
			type => 'DOCKER',
			docker => { image => 'registry.local/viz/dash:1.2.3', forcePullImage => JSON::PP::false },
			portMappings => [
				{ containerPort => 8050, hostPort => 0, protocol => 'tcp' },
				{ containerPort => 9090, hostPort => 0, protocol => 'tcp' }
			]
		},
		networks => [ { mode => 'container/bridge' } ],
		env => { DATASET_ID => '42' },
		labels => {
			'automl.managed' => 'true',
			'automl.app' => 'sales-dashboard',
			'automl.config' => 'default',
			'automl.deployment' => "$id",
			'traefik.enable' => 'true',
			'traefik.frontend.rule' => 'Host:sales-dashboard.apps.example.com',
			'traefik.backend' => 'sales-dashboard',
			'traefik.portIndex' => '0',
			team => 'viz'
		},
		healthChecks => [
			{ protocol => 'MESOS_HTTP', path => '/health', portIndex => 0, gracePeriodSeconds => 120 }
		]
	},
	'Marathon received exactly the expected app definition');

my $row = RegistryTest::row($node, $id);
my $app = RegistryTest::state($emu)->{apps}{'/automl/sales-dashboard/default'};
is($row->{state}, 'running', 'state running');
is($row->{marathon_deployment_id}, $post->{deployment_id}, 'the Marathon deployment id is recorded');
is($row->{marathon_version}, $app->{version}, 'the app version is recorded');
is($row->{tasks_running}, 2, 'two tasks running');
is($row->{tasks_healthy}, 2, 'two tasks healthy');
is($row->{attempts}, 1, 'one attempt');
is($app->{tasksRunning}, 2, 'Marathon runs two tasks');
ok(scalar(grep { $_->{path} eq '/v2/deployments' } RegistryTest::requests($emu, 'GET')) >= 1,
	'the worker followed the deployment');
my @verify = RegistryTest::requests_for($emu, $id, 'GET');
is($verify[-1]{path}, '/v2/apps/automl/sales-dashboard/default', 'and then checked the app');

# ---------------------------------------------------------------- update
$node->safe_psql('postgres', q{
	UPDATE automl.app_configs SET instances = 1, env = '{"DATASET_ID": "43"}'
	WHERE app_id = (SELECT id FROM automl.apps WHERE name = 'sales-dashboard')});
my $id2 = RegistryTest::deploy($node, 'sales-dashboard');
is(RegistryTest::wait_final($node, $id2), 'running', 'an update reaches running');
my @puts = RegistryTest::requests_for($emu, $id2, 'PUT');
is(scalar @puts, 1, 'the update is one PUT');
is($puts[0]{path}, '/v2/apps/automl/sales-dashboard/default', 'PUT on the app');
is($puts[0]{query_string}, 'partialUpdate=false', 'the PUT replaces the whole definition');
is($puts[0]{body}{env}{DATASET_ID}, '43', 'with the new environment');
is(scalar(RegistryTest::requests_for($emu, $id2, 'POST')), 0, 'no POST for an update');
$app = RegistryTest::state($emu)->{apps}{'/automl/sales-dashboard/default'};
is($app->{labels}{'automl.deployment'}, $id2, 'Marathon runs the new definition');
is($app->{instances}, 1, 'scaled to one instance');
$row = RegistryTest::row($node, $id);
is($row->{state}, 'deleted', 'the replaced deployment is deleted');
is($row->{superseded_by}, $id2, '... superseded by the update');

# ---------------------------------------------------------------- undeploy
my $id3 = RegistryTest::undeploy($node, 'sales-dashboard');
is(RegistryTest::wait_final($node, $id3), 'deleted', 'undeploy reaches deleted');
my @deletes = RegistryTest::requests_for($emu, $id3, 'DELETE');
is(scalar @deletes, 1, 'one DELETE');
is($deletes[0]{query_string}, 'force=true', 'DELETE with force=true');
ok(!exists RegistryTest::state($emu)->{apps}{'/automl/sales-dashboard/default'}, 'the app is gone from Marathon');
is(RegistryTest::row($node, $id2)->{state}, 'deleted', 'the running deployment is deleted');
is(RegistryTest::row($node, $id2)->{superseded_by}, $id3, '... by the undeploy');
my ($ret, $out, $err) = $node->psql('postgres', "SELECT automl_undeploy('sales-dashboard')");
like($err, qr/is not deployed/, 'undeploying again is refused');

# every state change was announced
my @payloads;
RegistryTest::wait_until('the notifications', sub {
	my $o = $listener->query_safe('SELECT 1');
	push @payloads, map { $json->decode($_) } ($o =~ /with payload "(.*)" received/g);
	return grep { $_->{id} == $id3 && $_->{state} eq 'deleted' } @payloads;
});
is_deeply([ map { $_->{state} } grep { $_->{id} == $id } @payloads ],
	[ 'deploying', 'running', 'deleted' ], 'NOTIFY for every change of state of a deployment');
my ($running) = grep { $_->{id} == $id && $_->{state} eq 'running' } @payloads;
is_deeply($running, { id => $id, app => 'sales-dashboard', config => 'default', action => 'deploy',
	state => 'running', marathon_app_id => '/automl/sales-dashboard/default', attempts => 1 },
	'the payload describes the deployment');
$listener->quit;

# ---------------------------------------------------------------- already exists
# the app exists on Marathon (not deployed by us): POST gets 409, which becomes a PUT
RegistryTest::emu($emu, 'POST', '/_emulator/apps', {
	id => '/automl/sales-dashboard/default', cmd => 'sleep 1000', cpus => 0.1, mem => 32 });
my $id4 = RegistryTest::deploy($node, 'sales-dashboard');
is(RegistryTest::wait_final($node, $id4), 'running', 'deploying over an existing app works');
my @calls = map { "$_->{method} $_->{status}" }
  grep { $_->{path} =~ m{^/v2/apps} } RegistryTest::requests_for($emu, $id4);
is_deeply([ @calls[0 .. 2] ], [ 'POST 409', 'GET 200', 'PUT 200' ],
	'409 "already exists" is followed by a check and a PUT');
is(RegistryTest::row($node, $id4)->{attempts}, 2, 'two attempts');
is(RegistryTest::state($emu)->{apps}{'/automl/sales-dashboard/default'}{labels}{'automl.deployment'},
	$id4, 'Marathon runs our definition');

# ---------------------------------------------------------------- deleted behind our back
RegistryTest::emu($emu, 'DELETE', '/_emulator/apps/automl/sales-dashboard/default');
my $id5 = RegistryTest::undeploy($node, 'sales-dashboard');
is(RegistryTest::wait_final($node, $id5), 'deleted', 'undeploying an app Marathon no longer has works');
is_deeply([ map { $_->{status} } RegistryTest::requests_for($emu, $id5, 'DELETE') ], [404],
	'the DELETE got 404, which counts as deleted');

# ---------------------------------------------------------------- a command app
$node->safe_psql('postgres', q{
	INSERT INTO automl.apps (name, command, ports) VALUES ('notebook', 'python3 -m http.server $PORT0', '{8888}');
	INSERT INTO automl.app_configs (app_id, name, mem, args)
	SELECT id, 'small', 64, '{--bind,0.0.0.0,it''s}' FROM automl.apps WHERE name = 'notebook';
});
my $id6 = RegistryTest::deploy($node, 'notebook', 'small');
is(RegistryTest::wait_final($node, $id6), 'running', 'a command app reaches running');
($post) = RegistryTest::requests_for($emu, $id6, 'POST');
is($post->{body}{cmd}, q{python3 -m http.server $PORT0 --bind 0.0.0.0 'it'\''s'}, 'cmd with quoted args');
ok(!exists $post->{body}{args} && !exists $post->{body}{container}, 'no args, no container');
is_deeply($post->{body}{portDefinitions}, [ { port => 0, protocol => 'tcp' } ], 'a dynamic host port');
is($post->{body}{labels}{'traefik.frontend.rule'}, 'Host:small.notebook.apps.example.com',
	'a named configuration has its own host name');

# ---------------------------------------------------------------- basic auth
RegistryTest::emu($emu, 'POST', '/_emulator/config', { auth => 'basic:marathon:pa:ss' });
RegistryTest::reload_worker($node, 'automl.marathon_credentials' => "'basic:marathon:pa:ss'");
my $id7 = RegistryTest::undeploy($node, 'notebook', 'small');
is(RegistryTest::wait_final($node, $id7), 'deleted', 'basic auth works');
my ($del) = RegistryTest::requests_for($emu, $id7, 'DELETE');
is($del->{headers}{Authorization}, 'Basic bWFyYXRob246cGE6c3M=', 'HTTP basic authorization header');
like($node->safe_psql('postgres', 'SHOW automl.marathon_credentials'), qr/^\*+$/,
	'the credentials are never shown');

# ---------------------------------------------------------------- only in automl.database
$node->safe_psql('postgres', 'CREATE DATABASE other');
$node->safe_psql('other', q{
	CREATE EXTENSION automl;
	INSERT INTO automl.apps (name, image) VALUES ('elsewhere', 'nginx');
	INSERT INTO automl.app_configs (app_id) SELECT id FROM automl.apps});
($ret, $out, $err) = $node->psql('other', "SELECT automl_deploy('elsewhere')");
like($err, qr/automl_deploy works only in database "postgres"/, 'deploying from another database is refused');

# ---------------------------------------------------------------- extension dropped and created again
$node->safe_psql('postgres', 'DROP EXTENSION automl');
$node->safe_psql('postgres', q{
	CREATE EXTENSION automl;
	INSERT INTO automl.apps (name, image) VALUES ('again', 'nginx');
	INSERT INTO automl.app_configs (app_id, mem) SELECT id, 64 FROM automl.apps});
my $id8 = RegistryTest::deploy($node, 'again');
is(RegistryTest::wait_final($node, $id8), 'running', 'the worker serves an extension dropped and created again');
unlike(slurp_file($node->logfile), qr/terminated by signal/, 'no crash');
$node->stop;

# ---------------------------------------------------------------- without shared_preload_libraries
my $plain = PostgreSQL::Test::Cluster->new('registry_no_preload');
$plain->init;
$plain->start;
$plain->safe_psql('postgres', q{
	CREATE EXTENSION automl;
	INSERT INTO automl.apps (name, image) VALUES ('lonely', 'nginx');
	INSERT INTO automl.app_configs (app_id) SELECT id FROM automl.apps});
for my $call ("automl_deploy('lonely')", "automl_undeploy('lonely')", 'automl_deployment_wait(1)')
{
	($ret, $out, $err) = $plain->psql('postgres', "SELECT $call");
	like($err, qr/needs the automl deploy worker.*\n.*shared_preload_libraries/s,
		"$call says it needs the worker (shared_preload_libraries)");
}
like($plain->safe_psql('postgres', "SELECT automl_marathon_app('lonely')->>'id'"), qr{^/automl/lonely/default$},
	'the definition preview works without the worker');
$plain->stop;

done_testing();
