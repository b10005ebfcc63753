# 202_jobs_not_preloaded.pl — without shared_preload_libraries the job
# functions say clearly what is missing (SQLSTATE 55000), automl.progress is
# empty and automl_train still works.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('jobs_not_preloaded');
$node->init;
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION automl;
	CREATE TABLE t AS SELECT g AS x, (g % 2)::text AS y FROM generate_series(1, 60) g;
});

for my $call ("automl_submit('t', 'y')", "automl_submit_experiment('{}')", 'automl_wait(1)', 'automl_cancel(1)')
{
	my ($ret, $out, $err) = $node->psql('postgres', "\\set VERBOSITY verbose\nSELECT $call");
	(my $fn = $call) =~ s/\(.*//;
	like($err, qr/ERROR:  55000: $fn needs the automl job scheduler/, "$fn: a clear error");
	like($err, qr/DETAIL:  The automl job scheduler runs only when automl is loaded through shared_preload_libraries/,
		"$fn: saying why");
	like($err, qr/HINT:  Add automl to shared_preload_libraries/, "$fn: and what to do");
}
is($node->safe_psql('postgres', 'SELECT count(*) FROM automl.progress'), '0', 'automl.progress is empty');
is($node->safe_psql('postgres', "SELECT evaluated FROM automl_train('t', 'y', search_space => 'light', max_evaluations => 3)"),
	'3', 'automl_train works without shared memory for its progress');

$node->stop;
done_testing();
