# 002_not_preloaded.pl — without shared_preload_libraries the extension still
# describes data, trains and predicts (only the background workers need the
# library preloaded, and say so).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('plain');
$node->init;
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION automl;
	CREATE TABLE t AS SELECT g::float8 AS x, (g % 3)::text AS c, 2 * g + 1.0 AS y FROM generate_series(1, 200) g;
});
is($node->safe_psql('postgres', q{SELECT count FROM automl_summary('t') WHERE column_name = 'x'}),
	'200', 'automl_summary works in a backend that loaded the library on demand');
my $id = $node->safe_psql('postgres', q{SELECT automl_fit('t', 'y', 'linear_regression', features => '{x}')});
like($id, qr/^\d+$/, 'automl_fit works');
is($node->safe_psql('postgres', qq{SELECT round(automl_predict_value($id, t)::numeric, 6) FROM t WHERE x = 10}),
	'21.000000', 'automl_predict_value returns the fitted line');
my ($ret, $out, $err) = $node->psql('postgres', q{SHOW automl.database});
isnt($ret, 0, 'postmaster-level settings exist only when preloaded');
$node->stop;
done_testing();
