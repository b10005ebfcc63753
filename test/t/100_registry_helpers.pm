# 100_registry_helpers.pm — shared by the app registry's TAP tests
# (100_registry_*.pl): a Marathon emulator on a free port and its control API
# (HTTP::Tiny, JSON::PP: core modules only), and a server with the deploy
# worker pointed at it.
#
# Every wait here is for an event (a row's final state, through the
# latch-woken automl_deployment_wait; a request in the emulator's log; a
# process gone); the time limits are only safety nets, by default
# PostgreSQL::Test::Utils' timeout_default (180 s), so that a busy machine
# makes the tests slower, never wrong.
package RegistryTest;

use strict;
use warnings;
use Carp;
use HTTP::Tiny;
use JSON::PP;
use Time::HiRes qw(usleep time);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my @emulators;
my $json = JSON::PP->new->canonical(1)->allow_nonref(1);

sub json { return $json; }

# Start the emulator: RegistryTest::start_emulator(prefix => '/service/marathon',
# auth => 'token:T', deploy_seconds => 0.2).  Returns a hash with pid, port, base
# (the control API's root) and url (what automl.marathon_url should be).
sub start_emulator
{
	my (%opt) = @_;
	my $dir = PostgreSQL::Test::Utils::tempdir();
	my $port_file = "$dir/marathon.port";
	my @cmd = ('python3', "$ENV{TESTDIR}/marathon/marathon_emulator.py",
		'--port', '0', '--port-file', $port_file,
		'--deploy-seconds', $opt{deploy_seconds} // 0.2);
	push @cmd, '--prefix', $opt{prefix} if $opt{prefix};
	push @cmd, '--auth', $opt{auth} if $opt{auth};
	push @cmd, '--max-running-deployments', $opt{max_running} if $opt{max_running};
	my $pid = fork();
	croak "fork failed: $!" unless defined $pid;
	if ($pid == 0)
	{
		open(STDOUT, '>', "$dir/emulator.out");
		open(STDERR, '>&', \*STDOUT);
		exec(@cmd) or exit 1;
	}
	my $deadline = time() + $PostgreSQL::Test::Utils::timeout_default;
	while (!-s $port_file)
	{
		croak "the Marathon emulator did not start" if time() > $deadline;
		usleep(20_000);
	}
	open(my $fh, '<', $port_file) or croak "cannot read $port_file: $!";
	my $port = <$fh>;
	close $fh;
	chomp $port;
	my $emu = {
		pid => $pid,
		port => $port,
		base => "http://127.0.0.1:$port",
		url => "http://127.0.0.1:$port" . ($opt{prefix} // ''),
		http => HTTP::Tiny->new(timeout => 30),
	};
	push @emulators, $emu;
	return $emu;
}

sub stop_emulator
{
	my ($emu) = @_;
	return unless $emu->{pid};
	kill 'TERM', $emu->{pid};
	waitpid($emu->{pid}, 0);
	$emu->{pid} = undef;
}

END
{
	stop_emulator($_) for @emulators;
}

# Control API: emu(GET|POST|DELETE, path[, body]) -> decoded JSON answer
sub emu
{
	my ($emu, $method, $path, $body) = @_;
	my %args = (headers => { 'Content-Type' => 'application/json' });
	$args{content} = $json->encode($body) if defined $body;
	my $res = $emu->{http}->request($method, $emu->{base} . $path, \%args);
	croak "emulator $method $path: $res->{status} $res->{content}"
	  unless $res->{success};
	return length($res->{content}) ? $json->decode($res->{content}) : undef;
}

# The requests Marathon received (optionally only METHOD and path prefix).
sub requests
{
	my ($emu, $method, $path) = @_;
	my $q = '';
	$q .= "&method=$method" if $method;
	$q .= "&path=$path" if $path;
	return @{ emu($emu, 'GET', "/_emulator/requests?since=0$q")->{requests} };
}

# Requests the worker sent for one deployment request (X-Automl-Request-Id).
sub requests_for
{
	my ($emu, $id, $method) = @_;
	return grep {
		($_->{headers}{'X-Automl-Request-Id'} // '') eq $id
		  && (!$method || $_->{method} eq $method)
	} requests($emu);
}

sub faults
{
	my ($emu, @rules) = @_;
	return emu($emu, 'POST', '/_emulator/faults', \@rules);
}

# Let the requests a {hold => true} fault keeps go on; returns how many were held.
sub release
{
	my ($emu) = @_;
	return emu($emu, 'POST', '/_emulator/release')->{released};
}

sub state
{
	my ($emu) = @_;
	return emu($emu, 'GET', '/_emulator/state');
}

# Wait until code returns true; the time limit is a safety net.  Returns its
# last value.
sub wait_until
{
	my ($what, $code, $seconds) = @_;
	my $deadline = time() + ($seconds // $PostgreSQL::Test::Utils::timeout_default);
	while (1)
	{
		my $v = $code->();
		return $v if $v;
		if (time() > $deadline)
		{
			fail("timed out waiting for $what");
			return $v;
		}
		usleep(20_000);
	}
}

# A server preloading automl, its deploy worker pointed at the emulator.
sub new_node
{
	my ($name, $emu, %conf) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	my %settings = (
		shared_preload_libraries => "'automl'",
		'automl.database' => "'postgres'",
		'automl.marathon_url' => "'$emu->{url}'",
		'automl.deploy_poll_interval' => "'50ms'",
		'automl.deploy_max_backoff' => "'400ms'",
		'automl.deploy_timeout' => "'20s'",
		'automl.http_timeout' => "'5s'",
		%conf);
	$node->append_conf('postgresql.conf',
		join('', map { "$_ = $settings{$_}\n" } sort keys %settings));
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION automl');
	return $node;
}

# The deploy worker's pid, once it is running (it may still be starting).
sub worker_pid
{
	my ($node) = @_;
	return wait_until('the deploy worker to run', sub {
		my $pid = $node->safe_psql('postgres',
			"SELECT pid FROM pg_stat_activity WHERE backend_type = 'automl deploy worker'");
		return $pid =~ /^\d+$/ ? $pid : undef;
	});
}

# Change server settings and return once the deploy worker works with them.
# pg_reload_conf() only signals: the worker reads the file at the top of its
# next round, so a request it claims in the round it is in would still see
# the old settings.  So after the postmaster has reloaded (a new backend
# shows the new load time) a barrier request goes through the worker: its
# final state is recorded at the earliest one round after the round that
# claimed it, and every round from then on started after the reload.  The
# barrier may succeed or fail, whichever settings it met.
sub reload_worker
{
	my ($node, %settings) = @_;
	my $before = $node->safe_psql('postgres', 'SELECT pg_conf_load_time()');
	$node->safe_psql('postgres',
		join('', map { "ALTER SYSTEM SET $_ = $settings{$_};\n" } sort keys %settings)
		  . 'SELECT pg_reload_conf();');
	wait_until('the postmaster to reload its configuration', sub {
		$node->safe_psql('postgres', "SELECT pg_conf_load_time() > '$before'") eq 't';
	});
	$node->safe_psql('postgres', q{
		INSERT INTO automl.apps (name, image) VALUES ('reload-barrier', 'nginx') ON CONFLICT (name) DO NOTHING;
		INSERT INTO automl.app_configs (app_id, mem) SELECT id, 32 FROM automl.apps WHERE name = 'reload-barrier'
		ON CONFLICT (app_id, name) DO NOTHING});
	my $barrier = $node->safe_psql('postgres', "SELECT automl_deploy('reload-barrier')");
	my $state = wait_final($node, $barrier);
	die "the reload barrier $barrier did not finish ($state)" unless $state =~ /^(running|failed)$/;
	return;
}

sub deploy
{
	my ($node, $app, $config) = @_;
	$config //= 'default';
	return $node->safe_psql('postgres', "SELECT automl_deploy('$app', '$config')");
}

sub undeploy
{
	my ($node, $app, $config) = @_;
	$config //= 'default';
	return $node->safe_psql('postgres', "SELECT automl_undeploy('$app', '$config')");
}

sub wait_final
{
	my ($node, $id, $seconds) = @_;
	$seconds //= $PostgreSQL::Test::Utils::timeout_default;
	return $node->safe_psql('postgres', "SELECT automl_deployment_wait($id, '$seconds s')");
}

# One row of automl.deployments as a hash.
sub row
{
	my ($node, $id) = @_;
	my $j = $node->safe_psql('postgres',
		"SELECT row_to_json(d) FROM automl.deployments d WHERE id = $id");
	return $json->decode($j);
}

1;
