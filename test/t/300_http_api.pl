# 300_http_api.pl — the HTTP API: authentication against pg_authid (SCRAM
# and md5 verifiers, NOLOGIN, VALID UNTIL, superusers), every route as the
# owner, another role and an admin, the SQLSTATE -> status mapping, hostile
# path segments, bodies over automl.http_max_body, /openapi.json against the
# route table, and the failed-login rate limit.
use strict;
use warnings;
use FindBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

require "$FindBin::Bin/300_http_helpers.pm";

my $emu = RegistryTest::start_emulator(deploy_seconds => 0.2);
# failed sign-ins below stay under this limit until the rate-limit section lowers it
my ($node, $base) = HttpTest::new_node('http_api', $emu, 'automl.http_auth_max_failures' => 50);
my $json = HttpTest::json();

sub req { return HttpTest::req($base, @_); }

sub is_status
{
	my ($r, $status, $what) = @_;
	is($r->{status}, $status, $what)
	  or diag("body: " . ($r->{content} // ''));
}

# ---------------------------------------------------------------- authentication
my $r = req('GET', '/apps', undef);
is_status($r, 401, 'no credentials: 401');
like($r->{headers}{'www-authenticate'} // '', qr/^Basic realm="automl"/, '401 carries WWW-Authenticate: Basic');
is($r->{json}{error}, 'authentication required', 'JSON error body');
$r = req('GET', '/apps', 'alice', undef, password => 'wrong-secret-1');
is_status($r, 401, 'wrong password (SCRAM verifier): 401');
ok($r->{headers}{'www-authenticate'}, 'with WWW-Authenticate');
is_status(req('GET', '/apps', 'bob', undef, password => 'wrong-secret-2'), 401, 'wrong password (md5 verifier): 401');
is_status(req('GET', '/apps', 'nobody', undef, password => 'wrong-secret-3'), 401, 'unknown role: 401');
is_status(req('GET', '/apps', 'alice'), 200, 'SCRAM-SHA-256 verifier: signed in');
is_status(req('GET', '/apps', 'bob'), 200, 'md5 verifier: signed in');
$node->safe_psql('postgres', q{
	CREATE ROLE erin NOLOGIN PASSWORD 'erin-pw';
	CREATE ROLE frank LOGIN PASSWORD 'frank-pw' VALID UNTIL '2001-01-01';
	CREATE ROLE root_like SUPERUSER LOGIN PASSWORD 'root-pw';
	CREATE ROLE gina LOGIN PASSWORD 'gina-pw';
	REVOKE CONNECT ON DATABASE postgres FROM PUBLIC;
	GRANT CONNECT ON DATABASE postgres TO alice, bob, carol, dave, erin, frank, root_like;
});
is_status(req('GET', '/apps', 'erin', undef, password => 'erin-pw'), 401, 'NOLOGIN role: 401');
is_status(req('GET', '/apps', 'frank', undef, password => 'frank-pw'), 401, 'password past VALID UNTIL: 401');
is_status(req('GET', '/apps', 'gina', undef, password => 'gina-pw'), 401, 'no CONNECT on the database: 401');
is_status(req('GET', '/apps', 'root_like', undef, password => 'root-pw'), 403, 'superuser: 403 (automl.http_allow_superuser is off)');
# a password change is seen at once (the verification cache is keyed by the verifier)
$node->safe_psql('postgres', "ALTER ROLE dave PASSWORD 'dave-new'");
is_status(req('GET', '/apps', 'dave'), 401, 'old password after ALTER ROLE PASSWORD: 401');
is_status(req('GET', '/apps', 'dave', undef, password => 'dave-new'), 200, 'new password: 200');
$HttpTest::PW{dave} = 'dave-new';
$HttpTest::PW{dave} = 'dave-new';
my $log = slurp_file($node->logfile);
like($log, qr/authentication failed for user "alice" from 127\.0\.0\.1/, 'failed sign-in logged with user and address');
unlike($log, qr/wrong-secret/, 'no password in the log');

# ---------------------------------------------------------------- apps
$r = req('POST', '/apps', 'alice', { name => 'viz', image => 'hbpmip/viz:1', ports => [80] });
is_status($r, 201, 'POST /apps as a registry user: 201');
is($r->{headers}{location}, '/apps/viz', 'Location of the new app');
is($r->{json}{owner}, 'alice', 'owned by the caller');
is_status(req('POST', '/apps', 'alice', { name => 'viz', image => 'x' }), 409, 'duplicate name: 409 (23505)');
$r = req('POST', '/apps', 'alice', { name => 'Bad_Name', image => 'x' });
is_status($r, 422, 'invalid name: 422 (check violation)');
ok($r->{json}{error}, "PostgreSQL's message: $r->{json}{error}");
is_status(req('POST', '/apps', 'alice', { name => 'x1', image => 'x', colour => 'red' }), 422, 'unknown field: 422');
is_status(req('POST', '/apps', 'alice', { name => 'x1', ports => 'eighty', image => 'x' }), 422, 'wrong type: 422 (22P02)');
is_status(req('POST', '/apps', 'alice', '{"name": '), 400, 'malformed JSON: 400');
is_status(req('POST', '/apps', 'alice', '[1,2]'), 400, 'not an object: 400');
is_status(req('POST', '/apps', 'alice', "{\"name\": \"a\x00b\"}"), 400, 'NUL byte in the body: 400');
is_status(req('POST', '/apps', 'dave', { name => 'dave-app', image => 'x' }), 403, 'POST /apps without automl_registry_user: 403');
is_status(req('POST', '/apps', 'bob', { name => 'bobs', image => 'nginx' }), 201, 'bob registers his own app');

for my $u (qw(alice bob carol dave))
{
	$r = req('GET', '/apps', $u);
	is_status($r, 200, "GET /apps as $u");
	is($r->{json}{total}, 2, "$u sees every app (apps are public)");
}
$r = req('GET', '/apps?limit=1&offset=1', 'alice');
is(scalar @{ $r->{json}{items} }, 1, 'limit');
is($r->{json}{items}[0]{name}, 'viz', 'offset (ordered by name)');
is(req('GET', '/apps?q=vi', 'alice')->{json}{total}, 1, 'q filters by name');
is_status(req('GET', '/apps?limit=5000', 'alice'), 400, 'limit over 1000: 400');
is_status(req('GET', '/apps?limit=-1', 'alice'), 400, 'negative limit: 400');
$r = req('GET', '/apps/viz', 'bob');
is_status($r, 200, 'GET /apps/{name} as another role');
ok(!$r->{json}{may_change}, 'may_change is false for another role');
ok(req('GET', '/apps/viz', 'carol')->{json}{may_change}, 'and true for an admin');
is_status(req('GET', '/apps/nope', 'alice'), 404, 'GET of a missing app: 404');
is_status(req('PATCH', '/apps/viz', 'bob', { description => 'mine now' }), 403, 'PATCH as another role: 403');
is_status(req('PUT', '/apps/viz', 'bob', { image => 'evil' }), 403, 'PUT as another role: 403');
is_status(req('DELETE', '/apps/viz', 'bob'), 403, 'DELETE as another role: 403');
is_status(req('DELETE', '/apps/viz', 'dave'), 403, 'DELETE as a role outside the registry: 403');
$r = req('PATCH', '/apps/viz', 'alice', { description => 'Visualisations' });
is_status($r, 200, 'PATCH as the owner');
is($r->{json}{description}, 'Visualisations', 'field changed');
is($r->{json}{image}, 'hbpmip/viz:1', 'other fields kept');
$r = req('PATCH', '/apps/viz', 'carol', { description => 'by the admin' });
is_status($r, 200, 'PATCH as an admin');
$r = req('PUT', '/apps/viz', 'alice', { image => 'hbpmip/viz:2', ports => [8080] });
is_status($r, 200, 'PUT as the owner');
is($r->{json}{description}, undef, 'PUT resets omitted fields');
is_status(req('PATCH', '/apps/viz', 'alice', {}), 422, 'PATCH with nothing to change: 422');
is_status(req('PATCH', '/apps/nope', 'alice', { description => 'x' }), 404, 'PATCH of a missing app: 404');
is($node->safe_psql('postgres', "SELECT description IS NULL AND image = 'hbpmip/viz:2' FROM automl.apps WHERE name = 'viz'"),
	't', 'the table holds what the API answered');

# ---------------------------------------------------------------- configs
$r = req('POST', '/apps/viz/configs', 'alice', { mem => 64, env => { MODE => 'prod' } });
is_status($r, 201, 'POST a configuration as the owner');
is($r->{headers}{location}, '/apps/viz/configs/default', 'its Location');
is_status(req('POST', '/apps/viz/configs', 'bob', { name => 'bobs', mem => 64 }), 403, 'as another role: 403');
is_status(req('POST', '/apps/viz/configs', 'carol', { name => 'big', mem => 1024 }), 201, 'as an admin: 201');
$r = req('POST', '/apps/viz/configs', 'alice', { name => 'neg', cpus => -1 });
is_status($r, 422, 'invalid cpus: 422');
like($r->{json}{error}, qr/cpus/, "the trigger's message: $r->{json}{error}");
is_status(req('POST', '/apps/nope/configs', 'alice', { mem => 64 }), 404, 'configuration of a missing app: 404');
is(scalar @{ req('GET', '/apps/viz/configs', 'alice')->{json}{items} }, 2, 'the owner sees both configurations');
is(scalar @{ req('GET', '/apps/viz/configs', 'bob')->{json}{items} }, 0, 'another role sees none (row-level security)');
is(scalar @{ req('GET', '/apps/viz/configs', 'carol')->{json}{items} }, 2, 'an admin sees both');
is_status(req('GET', '/apps/viz/configs/default', 'alice'), 200, 'GET a configuration as the owner');
is_status(req('GET', '/apps/viz/configs/default', 'bob'), 404, 'as another role: 404 (hidden)');
is_status(req('PATCH', '/apps/viz/configs/default', 'alice', { instances => 2 }), 200, 'PATCH a configuration');
is_status(req('PATCH', '/apps/viz/configs/default', 'bob', { instances => 9 }), 403, 'PATCH as another role: 403');
is_status(req('PUT', '/apps/viz/configs/big', 'carol', { mem => 512 }), 200, 'PUT as an admin');
is_status(req('PATCH', '/apps/viz/configs/nope', 'alice', { mem => 64 }), 404, 'PATCH a missing configuration: 404');
is_status(req('DELETE', '/apps/viz/configs/big', 'bob'), 403, 'DELETE a configuration as another role: 403');
is_status(req('DELETE', '/apps/viz/configs/big', 'alice'), 200, 'DELETE a configuration as the owner');
is_status(req('DELETE', '/apps/viz/configs/big', 'alice'), 404, 'again: 404');

# ---------------------------------------------------------------- deploy
is_status(req('POST', '/apps/viz/configs/default/deploy', 'bob'), 403, 'deploy as another role: 403');
$r = req('POST', '/apps/viz/configs/default/deploy', 'alice');
is_status($r, 202, 'deploy as the owner: 202');
my $dep = $r->{json}{id};
like($r->{headers}{location}, qr{^/deployments/\d+$}, 'Location of the request');
is(RegistryTest::wait_final($node, $dep), 'running', 'the deploy worker carried it out');
is_status(req('DELETE', '/apps/viz', 'alice'), 409, 'deleting a deployed app: 409');
is_status(req('GET', "/deployments/$dep", 'alice'), 200, 'GET /deployments/{id} as the requester');
is_status(req('GET', "/deployments/$dep", 'bob'), 404, 'as another role: 404 (row-level security)');
is_status(req('GET', "/deployments/$dep", 'carol'), 200, 'as an admin');
is(req('GET', '/deployments?state=running', 'alice')->{json}{total}, 1, '?state= filters');
is(req('GET', '/deployments', 'bob')->{json}{total}, 0, 'another role sees no deployment of alice');
is_status(req('GET', '/deployments/abc', 'alice'), 404, 'non-numeric id: 404');
is_status(req('GET', '/deployments/99999999999999999999', 'alice'), 404, 'huge id: 404');
$r = req('DELETE', '/apps/viz/configs/default/deploy', 'carol');
is_status($r, 202, 'undeploy as an admin: 202');
is(RegistryTest::wait_final($node, $r->{json}{id}), 'deleted', 'undeployed');

# ---------------------------------------------------------------- runs and models
$node->safe_psql('postgres', q{
	INSERT INTO automl.models (task, algorithm, relation, target, features, pipeline, owner)
	VALUES ('regression', 'linear', 't', 'y', '["x"]', '{"steps": []}', 'alice'::regrole);
	INSERT INTO automl.runs (relation, target, task, metric, greater_is_better, cv_folds, test_size, seed,
	                         search_space, status, started_at, owner, model_id, cv_score)
	SELECT 't', 'y', 'regression', 'r2', true, 5, 0.2, 1, 'default', 'succeeded', now(), 'alice'::regrole,
	       (SELECT max(id) FROM automl.models), 0.9;
	INSERT INTO automl.pipelines (run_id, number, phase, estimator, spec, mean_score, status, fit_seconds)
	SELECT (SELECT max(id) FROM automl.runs), i, 'random', 'linear', '{}', 0.5 + i / 100.0, 'ok', 0.01
	FROM generate_series(1, 20) i;
});
my $run = $node->safe_psql('postgres', 'SELECT max(id) FROM automl.runs');
my $model = $node->safe_psql('postgres', 'SELECT max(id) FROM automl.models');
is(req('GET', '/runs', 'alice')->{json}{total}, 1, 'GET /runs as the owner');
is(req('GET', '/runs', 'bob')->{json}{total}, 0, 'another role sees no run');
$r = req('GET', "/runs/$run", 'alice');
is_status($r, 200, 'GET /runs/{id}');
is($r->{json}{leaderboard}[0]{pipeline}, 20, 'with its leaderboard, best first');
is(scalar @{ $r->{json}{pipelines} }, 20, 'and every pipeline (for the chart)');
is_status(req('GET', "/runs/$run", 'bob'), 404, 'GET /runs/{id} as another role: 404');
is(req('GET', '/models', 'alice')->{json}{total}, 1, 'GET /models as the owner');
$r = req('GET', "/models/$model", 'alice');
is_status($r, 200, 'GET /models/{id}');
ok(!exists $r->{json}{pipeline}, 'without the fitted pipeline');
is_status(req('GET', "/models/$model", 'bob'), 404, 'as another role: 404');

# ---------------------------------------------------------------- jobs
# the real automl.jobs (issue 10): submit, list by row-level security, get,
# cancel; another role gets 404 for the job and cannot cancel it
$node->safe_psql('postgres', qq{
	CREATE TABLE iris (sepal_length float8, sepal_width float8, petal_length float8,
	                   petal_width float8, species text);
	COPY iris FROM '$ENV{TESTDIR}/data/iris.csv' CSV HEADER;
	GRANT SELECT ON iris TO PUBLIC;
	GRANT automl_job_admin TO carol;
});
$r = req('POST', '/jobs', 'alice', { relation => 'public.iris', target => 'species', search_space => 'light',
	max_evaluations => 4, features => [ 'sepal_length', 'petal_length', 'petal_width' ] });
is_status($r, 201, 'POST /jobs as a user: 201');
my $job = $r->{json}{id};
like($job // '', qr/^\d+$/, "a job id ($job)");
is($r->{headers}{location}, "/jobs/$job", 'Location of the job');
is($r->{json}{owner}, 'alice', 'owned by the caller');
is($r->{json}{arguments}{relation}, 'public.iris', 'arguments stored by name (relation)');
is($r->{json}{arguments}{max_evaluations}, '4', 'and the optional ones (max_evaluations)');
like($r->{json}{arguments}{features} // '', qr/petal_width/, 'an array argument from a JSON array');
is_status(req('POST', '/jobs', 'alice', { relation => 'public.iris', target => 'species', colour => 'red' }), 422,
	'unknown argument: 422');
is_status(req('POST', '/jobs', 'alice', { relation => 'public.nope', target => 'species' }), 422,
	'missing relation: 422');
is_status(req('POST', '/jobs', 'alice', { relation => 'public.iris', target => 'species', max_evaluations => 'many' }),
	422, 'bad value: 422');
is_status(req('POST', '/jobs', 'alice'), 400, 'no body: 400');
is_status(req('POST', '/jobs', 'alice', { relation => 'public.iris' }), 422, 'no target: 422');
is($node->safe_psql('postgres', 'SELECT count(*) FROM automl.jobs'), '1', 'the refused submissions stored nothing');
$r = req('GET', '/jobs', 'alice');
is_status($r, 200, 'GET /jobs');
is_deeply([ map { $_->{id} } @{ $r->{json}{items} } ], [$job], 'alice sees her job');
is(req('GET', '/jobs', 'bob')->{json}{total}, 0, 'bob sees no job (row-level security)');
is(req('GET', '/jobs', 'carol')->{json}{total}, 1, 'automl_job_admin sees every job');
is_status(req('GET', "/jobs/$job", 'bob'), 404, "GET /jobs/$job as another role: 404");
is_status(req('POST', "/jobs/$job/cancel", 'bob'), 404, 'another role cannot cancel it: 404');
is_status(req('GET', '/jobs/x1', 'alice'), 404, 'not an id: 404');
is($node->safe_psql('postgres', "SELECT automl_wait($job, '300 s')"), 'succeeded', 'the job ran to the end');
$r = req('GET', "/jobs/$job", 'alice');
is_status($r, 200, "GET /jobs/$job");
is($r->{json}{state}, 'succeeded', 'state succeeded');
like($r->{json}{run_id} // '', qr/^\d+$/, 'with its run id');
like($r->{json}{model_id} // '', qr/^\d+$/, 'and its model id');
ok(defined $r->{json}{best_score} && $r->{json}{evaluated} >= 1, 'evaluated and best_score filled');
is_status(req('GET', "/runs/$r->{json}{run_id}", 'alice'), 200, 'its run is served');
is_status(req('POST', "/jobs/$job/cancel", 'alice'), 409, 'cancel of an ended job: 409');
is_status(req('GET', '/jobs?state=succeeded', 'alice'), 200, 'filter by state');
is(req('GET', '/jobs?state=queued', 'alice')->{json}{total}, 0, 'no queued job');
# cancel: a long job, cancelled without keeping the best
$r = req('POST', '/jobs', 'alice', { relation => 'public.iris', target => 'species', time_budget => '10 min' });
is_status($r, 201, 'a long job');
my $long = $r->{json}{id};
# cancelled at once, while its worker may be starting and taking it (a
# SIGINT there used to be taken for a lost worker: the job ran again)
is_status(req('POST', "/jobs/$long/cancel", 'alice', { keep_best => 'maybe' }), 422, 'keep_best not a boolean: 422');
is_status(req('POST', "/jobs/$long/cancel", 'alice', { keep => 1 }), 422, 'unknown field: 422');
$r = req('POST', "/jobs/$long/cancel", 'alice', { keep_best => JSON::PP::false() });
is_status($r, 200, 'POST /jobs/{id}/cancel as the owner: 200');
is($node->safe_psql('postgres', "SELECT automl_wait($long, '120 s')"), 'cancelled', 'the job is cancelled');
is(req('GET', "/jobs/$long", 'alice')->{json}{state}, 'cancelled', 'GET shows it cancelled');

# ---------------------------------------------------------------- hostile paths
for my $seg ("it's", 'a%2Fb', '%27%3B%20DROP%20TABLE%20automl.apps%3B--', 'x%22y', '..', '%2e%2e', 'a%20b', 'x' x 5000)
{
	$r = req('GET', "/apps/$seg", 'alice');
	is_status($r, 404, "GET /apps/$seg: 404") if length($seg) < 100;
	is_status($r, 404, 'a 5000-byte segment: 404') if length($seg) >= 100;
}
is($node->safe_psql('postgres', 'SELECT count(*) FROM automl.apps'), '2', 'the apps are all there');
is_status(req('GET', '/apps/a%00b', 'alice'), 400, 'an escaped NUL byte: 400');
is_status(req('GET', '/apps/a%zzb', 'alice'), 400, 'a bad escape: 400');
is_status(req('GET', '/apps/%ff%fe', 'alice'), 400, 'invalid UTF-8: 400');
is_status(req('GET', '/apps/viz/configs/a%2Fb', 'alice'), 404, 'an escaped slash stays in its segment');
is_status(req('POST', '/apps/viz/configs/a%2Fb/deploy', 'alice'), 404, 'deploy of a configuration named a/b: 404');
is_status(req('GET', '/apps//configs', 'alice'), 404, 'empty segment: 404');
is_status(req('GET', '/nothing', 'alice'), 404, 'unknown route: 404');
is_status(req('GET', '/openapi%2Ejson', 'alice'), 200, 'an escaped /openapi.json is served');
is_status(req('POST', '/openapi%2Ejson', 'alice'), 405, 'POST to it: 405');
is_status(req('GET', '/apps', "evil\nname", undef, password => 'x'), 401, 'a user name with a newline: 401');
is_status(req('GET', '/apps', "\xff\xfe", undef, password => 'x'), 401, 'a user name in bad UTF-8: 401');
unlike(slurp_file($node->logfile), qr/evil\n/, 'the newline does not reach the log');
is_status(req('GET', '/apps?q=%ff', 'alice'), 400, 'invalid UTF-8 in the query: 400');
is_status(req('TRACE', '/apps', 'alice'), 405, 'unknown method: 405');
is_status(req('DELETE', '/apps', 'alice'), 405, 'DELETE /apps: 405');

# ---------------------------------------------------------------- bodies
my $big = '{"name": "big", "image": "' . ('x' x (10 * 1024 * 1024)) . '"}';
$r = req('POST', '/apps', 'alice', $big);
is_status($r, 413, 'a 10 MB body (Content-Length): 413');
like($r->{json}{detail} // '', qr/automl.http_max_body/, 'names the setting');
my $sent = 0;
my @chunks = map { 'x' x (1024 * 1024) } 1 .. 10;
$r = HTTP::Tiny->new(timeout => 60)->request('POST', "$base/apps", {
	headers => { Authorization => 'Basic ' . MIME::Base64::encode_base64("alice:alice-pw", ''),
		'Content-Type' => 'application/json' },
	content => sub { return shift @chunks } });
is($r->{status}, 413, 'a 10 MB chunked body: 413');
is($node->safe_psql('postgres', "SELECT count(*) FROM automl.apps WHERE name = 'big'"), '0', 'nothing stored');
is_status(req('GET', '/apps', 'alice'), 200, 'the worker still answers');

# ---------------------------------------------------------------- OpenAPI
$r = req('GET', '/openapi.json', undef);
is_status($r, 200, '/openapi.json without credentials');
is($r->{json}{openapi}, '3.0.3', 'OpenAPI 3');
my %documented;
for my $path (keys %{ $r->{json}{paths} })
{
	$documented{ uc($_) . " $path" } = 1 for keys %{ $r->{json}{paths}{$path} };
}
my @issue_routes = (
	'GET /apps', 'POST /apps', 'GET /apps/{name}', 'PUT /apps/{name}', 'PATCH /apps/{name}', 'DELETE /apps/{name}',
	'GET /apps/{name}/configs', 'POST /apps/{name}/configs', 'GET /apps/{name}/configs/{config}',
	'PUT /apps/{name}/configs/{config}', 'PATCH /apps/{name}/configs/{config}',
	'DELETE /apps/{name}/configs/{config}', 'POST /apps/{name}/configs/{config}/deploy',
	'DELETE /apps/{name}/configs/{config}/deploy', 'GET /deployments', 'GET /deployments/{id}', 'GET /runs',
	'GET /runs/{id}', 'GET /models', 'GET /models/{id}', 'GET /jobs', 'POST /jobs', 'GET /jobs/{id}', 'POST /jobs/{id}/cancel',
	'GET /events', 'GET /openapi.json');
is_deeply([ sort keys %documented ], [ sort @issue_routes ], 'the document lists exactly the routes');
# every documented route is served (not 404 "no route" nor 405) and every
# undocumented method of a documented path is 405
my %sample = (name => 'viz', config => 'default', id => '1');
for my $route (sort keys %documented)
{
	my ($method, $path) = split / /, $route;
	next if $path eq '/events';
	(my $concrete = $path) =~ s/\{(\w+)\}/$sample{$1}/g;
	$r = req($method, $concrete, 'dave', $method =~ /^(POST|PUT|PATCH)$/ ? {} : undef);
	my $err = $r->{json}{error} // '';
	ok($r->{status} != 405 && !($r->{status} == 404 && ($r->{json}{detail} // '') =~ /No route/),
		"$route is served ($r->{status})");
	for my $other (qw(GET POST PUT PATCH DELETE))
	{
		next if $documented{"$other $path"};
		is(req($other, $concrete, 'dave')->{status}, 405, "$other $path: 405");
	}
}

# ---------------------------------------------------------------- rate limit
$node->safe_psql('postgres', "ALTER SYSTEM SET automl.http_auth_max_failures = 3; SELECT pg_reload_conf()");
RegistryTest::wait_until('the HTTP worker to reload', sub {
	my @s = map { req('GET', '/apps', 'alice', undef, password => "bad-$_")->{status} } 1 .. 4;
	return $s[3] == 429;
});
$r = req('GET', '/apps', 'alice');
is_status($r, 429, 'right password from a throttled address: 429');
ok(($r->{headers}{'retry-after'} // 0) > 0, 'with Retry-After');
$node->safe_psql('postgres', "ALTER SYSTEM RESET automl.http_auth_max_failures; SELECT pg_reload_conf()");
RegistryTest::wait_until('the throttle to be reset by the reload', sub {
	return req('GET', '/apps', 'alice')->{status} == 200;
});

$node->stop;
done_testing();
