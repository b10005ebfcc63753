# 301_http_events_crash.pl — /events (Server-Sent Events) pushes each change
# of state of a deployment within a second of its COMMIT, only to roles that
# may see it; 200 concurrent connections are all answered; the HTTP worker
# killed with SIGKILL mid-request is restarted and nothing is half-applied.
use strict;
use warnings;
use FindBin;
use IO::Select;
use IO::Socket::INET;
use MIME::Base64;
use POSIX ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

require "$FindBin::Bin/300_http_helpers.pm";

my $emu = RegistryTest::start_emulator(deploy_seconds => 0.3);
my ($node, $base) = HttpTest::new_node('http_events', $emu, restart_after_crash => 'on');
my $json = HttpTest::json();
my ($port) = $base =~ /:(\d+)$/;

sub req { return HttpTest::req($base, @_); }

sub auth { my ($u) = @_; my %pw = %HttpTest::PW; return encode_base64("$u:$pw{$u}", q{}); }

# ---------------------------------------------------------------- an SSE client
sub open_events
{
	my ($user) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
	  or die "connect: $!";
	print $s "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic " . auth($user)
	  . "\r\nAccept: text/event-stream\r\n\r\n";
	$s->blocking(0);
	return { sock => $s, buf => '', events => [] };
}

# read what has arrived; parse complete events (with their arrival time)
sub pump_events
{
	my ($c, $wait) = @_;
	my $sel = IO::Select->new($c->{sock});
	while ($sel->can_read($wait))
	{
		my $n = sysread($c->{sock}, my $chunk, 65536);
		last unless $n;
		$c->{buf} .= $chunk;
		$wait = 0;
	}
	while ($c->{buf} =~ s/(?:^|\n)id: \d+\nevent: (\w+)\ndata: (.*?)\n\n//s)
	{
		push @{ $c->{events} }, { at => time(), kind => $1, data => $json->decode($2) };
	}
	return;
}

sub wait_event
{
	my ($c, $id, $state, $seconds, $kind) = @_;
	my $deadline = time() + ($seconds // 30);
	$kind //= 'deployment';
	while (time() < $deadline)
	{
		pump_events($c, 0.02);
		for my $e (@{ $c->{events} })
		{
			return $e if $e->{kind} eq $kind && $e->{data}{id} == $id && $e->{data}{state} eq $state;
		}
	}
	return undef;
}

my $alice = open_events('alice');
my $bob = open_events('bob');
my $carol = open_events('carol');
pump_events($_, 0.5) for ($alice, $bob, $carol);
like($alice->{buf}, qr{^HTTP/1\.1 200}, '/events answers 200');
like($alice->{buf}, qr{Content-Type: text/event-stream}i, 'as text/event-stream');
my $anon = req('GET', '/events', undef);
is($anon->{status}, 401, '/events without credentials: 401');

is(req('POST', '/apps', 'alice', { name => 'viz', image => 'hbpmip/viz' })->{status}, 201, 'app');
is(req('POST', '/apps/viz/configs', 'alice', { mem => 64 })->{status}, 201, 'configuration');

# through the API: the request itself is an event, then the worker's states
my $t0 = time();
my $r = req('POST', '/apps/viz/configs/default/deploy', 'alice');
my $committed = time();
my $id = $r->{json}{id};
my $e = wait_event($alice, $id, 'requested');
ok($e, 'alice hears of her request (requested)');
# (deploying may be over before the HTTP worker looks again: see web_events.c)
my $e3 = wait_event($alice, $id, 'running');
ok($e3, 'then running');
my @states = map { $_->{data}{state} } grep { $_->{kind} eq 'deployment' && $_->{data}{id} == $id } @{ $alice->{events} };
like(join(' ', @states), qr/^requested (deploying )?running$/, "in order, once each: @states");
ok(wait_event($carol, $id, 'running'), 'the admin hears it too');
pump_events($bob, 0.3);
is(scalar(grep { $_->{kind} eq 'deployment' && $_->{data}{id} == $id } @{ $bob->{events} }), 0, 'bob, who may not see it, hears nothing');
my $lat = $e->{at} - $committed;
cmp_ok($lat, '<', 1.0, sprintf('requested pushed %.0f ms after the API answered', 1000 * $lat));

# from SQL: COMMIT of automl_deploy in psql -> the worker claims it and commits
# (deploying) -> its broadcast wakes the HTTP worker.  Latency from our COMMIT.
my @lat;
for my $i (1 .. 5)
{
	my $before = time();
	my $sid = $node->safe_psql('postgres', "SET ROLE alice; SELECT automl_deploy('viz')");
	my $after = time();
	my $ev = wait_event($alice, $sid, 'deploying', 10);
	ok($ev, "SQL request $sid: deploying pushed");
	push @lat, $ev->{at} - $after if $ev;
	RegistryTest::wait_final($node, $sid);
}
@lat = sort { $a <=> $b } @lat;
cmp_ok($lat[-1], '<', 1.0, sprintf('COMMIT -> event at most %.0f ms (median %.0f ms)', 1000 * $lat[-1], 1000 * $lat[2]));
note(sprintf('COMMIT -> SSE latencies (ms): %s', join(' ', map { sprintf('%.1f', 1000 * $_) } @lat)));

# Requests made over HTTP: "requested" is told even when the deploy worker
# has taken the request up before the HTTP worker looked (it was lost in
# about one run of this test in five when the event came from the scan
# after the commit alone)
for my $i (1 .. 8)
{
	my $rid = req('POST', '/apps/viz/configs/default/deploy', 'alice')->{json}{id};
	my $running = wait_event($alice, $rid, 'running', 10);
	my @seen = map { $_->{data}{state} } grep { $_->{kind} eq 'deployment' && $_->{data}{id} == $rid } @{ $alice->{events} };
	ok($running && "@seen" =~ /^requested (deploying )?running$/, "HTTP request $rid: @seen");
	RegistryTest::wait_final($node, $rid);
}

# ---------------------------------------------------------------- job events
# A job submitted over HTTP: its states reach the owner and the job admin
# (row-level security), not bob; pushed when the job worker's COMMIT is
# announced (no polling of automl.jobs).
$node->safe_psql('postgres', qq{
	CREATE TABLE iris (sepal_length float8, sepal_width float8, petal_length float8,
	                   petal_width float8, species text);
	COPY iris FROM '$ENV{TESTDIR}/data/iris.csv' CSV HEADER;
	GRANT SELECT ON iris TO PUBLIC;
	GRANT automl_job_admin TO carol;
});
$r = req('POST', '/jobs', 'alice', { relation => 'public.iris', target => 'species', search_space => 'light',
	max_evaluations => 6 });
is($r->{status}, 201, 'job submitted over HTTP');
my $job = $r->{json}{id};
ok(wait_event($alice, $job, 'queued', 10, 'job'), 'alice hears her job queued');
my $je = wait_event($alice, $job, 'running', 60, 'job');
ok($je, 'alice hears her job running');
my $js = wait_event($alice, $job, 'succeeded', 300, 'job');
ok($js, 'then succeeded');
ok(wait_event($carol, $job, 'succeeded', 10, 'job'), 'the job admin hears it too');
pump_events($bob, 0.3);
is(scalar(grep { $_->{kind} eq 'job' && $_->{data}{id} == $job } @{ $bob->{events} }), 0,
	'bob, who may not see the job, hears nothing of it');
SKIP:
{
	skip 'no succeeded event', 4 unless $js;
	like($js->{data}{run_id} // '', qr/^\d+$/, 'the event carries the run id');
	ok(defined $js->{data}{best_score} && $js->{data}{evaluated} >= 1, 'and evaluated, best_score');
	my $fin = $node->safe_psql('postgres', "SELECT extract(epoch FROM finished_at) FROM automl.jobs WHERE id = $job");
	my $lat = $js->{at} - $fin;
	cmp_ok($lat, '<', 1.0, sprintf('succeeded pushed %.0f ms after the job worker stamped it (before its COMMIT)', 1000 * $lat));
	note(sprintf('job COMMIT -> SSE latency (upper bound): %.1f ms', 1000 * $lat));
	my @progress = grep { $_->{kind} eq 'job' && $_->{data}{id} == $job } @{ $alice->{events} };
	ok(scalar(@progress) >= 2, 'states came as separate events: ' . join(' ', map { $_->{data}{state} } @progress));
}
my $g = req('GET', "/jobs/$job", 'alice');
is($g->{json}{state}, 'succeeded', 'GET /jobs/{id}: succeeded');
like($g->{json}{model_id} // '', qr/^\d+$/, 'with the model id');
is(req('GET', "/jobs/$job", 'bob')->{status}, 404, 'bob: 404 for that job');
is(req('POST', "/jobs/$job/cancel", 'bob')->{status}, 404, 'bob cannot cancel it');
# cancel through the API: the cancelled state is pushed too
$r = req('POST', '/jobs', 'alice', { relation => 'public.iris', target => 'species', time_budget => '10 min' });
my $long = $r->{json}{id};
ok(wait_event($alice, $long, 'running', 60, 'job'), 'a long job runs');
RegistryTest::wait_until('the job worker to take the job', sub {
	return $node->safe_psql('postgres', "SELECT count(*) FROM automl.progress WHERE job_id = $long") eq '1';
});
is(req('POST', "/jobs/$long/cancel", 'bob')->{status}, 404, 'bob cannot cancel the running job');
is(req('POST', "/jobs/$long/cancel", 'alice', { keep_best => JSON::PP::false() })->{status}, 200, 'alice cancels it');
ok(wait_event($alice, $long, 'cancelled', 60, 'job'), 'cancelled is pushed');

# ---------------------------------------------------------------- 200 concurrent connections
{
	my $n = 200;
	my @socks;
	for (1 .. $n)
	{
		my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
		  or die "connect: $!";
		push @socks, $s;
	}
	my $start = time();
	for my $s (@socks)
	{
		print $s "GET /apps HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Basic " . auth('alice') . "\r\n\r\n";
		$s->blocking(0);
	}
	my %buf;
	my $sel = IO::Select->new(@socks);
	my $deadline = time() + 60;
	while ($sel->count && time() < $deadline)
	{
		for my $s ($sel->can_read(1))
		{
			my $got = sysread($s, my $chunk, 65536);
			if ($got) { $buf{ fileno($s) } .= $chunk; }
			else { $sel->remove($s); close $s; }
		}
	}
	my $ok = grep { m{^HTTP/1\.1 200} && /"total"/ } values %buf;
	is($ok, $n, "$n concurrent connections, each answered 200");
	cmp_ok(time() - $start, '<', 60, sprintf('within %.2f s', time() - $start));
}

# ---------------------------------------------------------------- SIGKILL mid-request
my $worker = RegistryTest::wait_until('the HTTP worker', sub {
	my $p = $node->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'automl http worker'");
	return $p =~ /^\d+$/ ? $p : undef;
});
# a session locks the app; a PATCH through the API waits for the lock
my ($in, $out) = ('', '');
my $psql = IPC::Run::start([ 'psql', '-XAtq', '-d', $node->connstr('postgres') ], '<', \$in, '>', \$out, '2>', \$out);
$in .= "BEGIN; SELECT 'locked' FROM automl.apps WHERE name = 'viz' FOR UPDATE;\n";
RegistryTest::wait_until('the lock', sub { $psql->pump_nb; return $out =~ /locked/; });
my $child = fork();
if ($child == 0)
{
	HttpTest::req($base, 'PATCH', '/apps/viz', 'alice', { description => 'half', image => 'other' });
	# no END blocks in the child: they would stop the test's servers
	POSIX::_exit(0);
}
RegistryTest::wait_until('the PATCH to wait for the lock', sub {
	return $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'automl http worker' AND wait_event_type = 'Lock'") eq '1';
});
ok(kill('KILL', $worker), "SIGKILL to the HTTP worker ($worker) waiting inside its transaction");
waitpid($child, 0);
$psql->kill_kill;
# the postmaster restarts the server (a process attached to shared memory died) and the worker
RegistryTest::wait_until('the HTTP worker to answer again', sub {
	my $res = eval { req('GET', '/apps/viz', 'alice') };
	return $res && $res->{status} == 200;
});
my $new = $node->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'automl http worker'");
isnt($new, $worker, "a new HTTP worker ($new) serves");
my $app = req('GET', '/apps/viz', 'alice')->{json};
is($app->{image}, 'hbpmip/viz', 'the killed PATCH changed nothing (image)');
is($app->{description}, undef, 'nor the description');
is(req('PATCH', '/apps/viz', 'alice', { description => 'after' })->{status}, 200, 'a new PATCH works');

$node->stop;
done_testing();
