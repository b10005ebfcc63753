# 001_preload.pl — the library preloaded into the postmaster (as the
# background workers need) does not load OpenBLAS there: it is loaded lazily
# by the backend that first needs it, with automl.blas_threads threads.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('preload');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'automl'\n");
$node->start;

sub maps_of
{
	my ($pid) = @_;
	open(my $fh, '<', "/proc/$pid/maps") or return '';
	local $/;
	my $maps = <$fh>;
	close $fh;
	return $maps;
}

sub threads_of
{
	my ($pid) = @_;
	opendir(my $dh, "/proc/$pid/task") or return -1;
	my @tasks = grep { !/^\./ } readdir($dh);
	closedir $dh;
	return scalar @tasks;
}

# the postmaster's pid is the first line of postmaster.pid
open(my $pidfile, '<', $node->data_dir . '/postmaster.pid') or die "no postmaster.pid";
my $pm_pid = <$pidfile>;
chomp $pm_pid;
close $pidfile;

like(maps_of($pm_pid), qr/automl\.so/, 'automl is loaded in the postmaster');
unlike(maps_of($pm_pid), qr/libopenblas/, 'OpenBLAS is not loaded in the postmaster');
is(threads_of($pm_pid), 1, 'the postmaster has a single thread');

$node->safe_psql('postgres', 'CREATE EXTENSION automl');
$node->safe_psql('postgres', 'CREATE TABLE t AS SELECT g::float8 AS x FROM generate_series(1, 100) g');

# a backend that summarises data loads OpenBLAS with the configured thread count
my ($pid_and_mean) = $node->safe_psql('postgres', q{
	SET automl.blas_threads = 1;
	SELECT pg_backend_pid() || ' ' || (SELECT mean FROM automl_summary('t'));
});
my ($backend, $mean) = split / /, $pid_and_mean;
is($mean, '50.5', 'summary works in a backend of a preloaded server');

# new connections still work after the first backend used OpenBLAS, and the
# postmaster is still thread-free
is($node->safe_psql('postgres', q{SELECT count FROM automl_summary('t')}), '100',
	'a second backend works too');
unlike(maps_of($pm_pid), qr/libopenblas/, 'OpenBLAS still not loaded in the postmaster');
is(threads_of($pm_pid), 1, 'the postmaster still has a single thread');

$node->stop;
done_testing();
