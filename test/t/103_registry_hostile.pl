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
