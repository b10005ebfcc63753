# 200_jobs.pm — shared by the training jobs' TAP tests (20x_jobs*.pl): a
# preloaded server whose job scheduler serves "postgres", with the iris data
# and a few roles.
#
# Waits are for events: automl_wait (woken by the workers), a NOTIFY, a row
# of automl.progress; the time limits are PostgreSQL::Test::Utils'
# timeout_default safety nets.
package JobsTest;

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

sub new_node
{
	my ($name, %conf) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	my %settings = (
		shared_preload_libraries => "'automl'",
		'automl.database' => "'postgres'",
		max_worker_processes => 16,
		%conf);
	$node->append_conf('postgresql.conf',
		join('', map { "$_ = $settings{$_}\n" } sort keys %settings));
	$node->start;
	my $iris = "$ENV{TESTDIR}/data/iris.csv";
	$node->safe_psql('postgres', qq{
		CREATE EXTENSION automl;
		CREATE TABLE iris (sepal_length float8, sepal_width float8, petal_length float8,
		                   petal_width float8, species text);
		COPY iris FROM '$iris' CSV HEADER;
		GRANT SELECT ON iris TO PUBLIC;
	});
	return $node;
}

# The pid of a background worker of that type (empty when none).
sub pid_of
{
	my ($node, $type) = @_;
	return $node->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = '$type'");
}

# Wait for a query to return 't' (a safety-net poll for events that have no
# wait of their own); errors, e.g. while the server restarts, are retried.
sub wait_for
{
	my ($node, $what, $query) = @_;
	my $deadline = time() + $PostgreSQL::Test::Utils::timeout_default;
	while (time() < $deadline)
	{
		my $out = eval { $node->safe_psql('postgres', $query) };
		return if defined $out && $out eq 't';
		usleep(100_000);
	}
	die "timed out waiting for $what";
}

1;
