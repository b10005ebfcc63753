# 411_federation_node_refresh.pl — automl_node_refresh(node) and last_seen.
#
# The three clusters: 400_federation.pm (centre = 'local', nodes hb and hc
# added with automl_node_add through postgres_fdw servers).
#
# Checked: refreshing every node fills version (the node's server_version)
# and tables; with hc stopped, the call does not fail: hb's row ok with its
# tables, hc's row ok = false with the connection error, hc's catalogue row
# unchanged (last_seen, version, tables), hb's last_seen moved; naming the
# stopped node alone is a row too, not an error; hc started again with a
# new table it exposes: refreshed, the table listed; a non-superuser with a
# password user mapping refreshes as well; a federated analysis (STABLE)
# leaves automl.nodes alone, in a read-only transaction too.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
require '400_federation.pm';

my ($nodes, $centre) = FedTest::setup();
my %node = %$nodes;
FedTest::set_min_group_size(1);

sub refresh
{
	my ($arg, $role) = @_;
	$arg //= '';
	my $set = $role ? "SET ROLE $role;" : '';
	return $centre->psql('postgres', qq{$set
		SELECT name || ' ' || ok || ' ' || coalesce(version, '-') || ' ' || coalesce((tables @> '["science.cde_features_a"]')::text, '-')
		       || ' ' || coalesce(error, '-')
		  FROM automl_node_refresh($arg)});
}

my $hb_version = $node{hb}->safe_psql('postgres', 'SHOW server_version');
my $hc_version = $node{hc}->safe_psql('postgres', 'SHOW server_version');

# ---------------------------------------------------------------- every node up
my ($rc, $out, $err) = refresh();
is($out, "hb true $hb_version true -\nhc true $hc_version true -",
	'every node refreshed: ok, version = the node\'s server_version, its tables');

# ---------------------------------------------------------------- hc stopped
$centre->safe_psql('postgres', q{UPDATE automl.nodes SET last_seen = '2000-01-01', version = 'old', tables = '["x.y"]'});
$node{hc}->stop;
($rc, $out, $err) = refresh();
is($rc, 0, 'hc stopped: automl_node_refresh() does not fail');
like($out, qr/^hb true \Q$hb_version\E true -\nhc false - - could not connect: connection to server at "127\.0\.0\.1", port \d+ failed: Connection refused/,
	'... hb refreshed, hc ok = false with the connection error');
like($err, qr/WARNING:.*node "hc": could not connect/, '... and a WARNING');
is($centre->safe_psql('postgres', q{SELECT string_agg(name || ' ' || (last_seen > '2000-01-01') || ' ' || version || ' ' || tables::text, ', ' ORDER BY name) FROM automl.nodes}),
	"hb true $hb_version [\"science.cde_features_a\"], hc false old [\"x.y\"]",
	'... automl.nodes: hb seen now with its version and tables, hc\'s row unchanged');
($rc, $out, $err) = refresh(q{'hc'});
is($rc, 0, 'refresh(\'hc\') alone: not an error');
like($out, qr/^hc false - - could not connect/, '... a row with ok = false and the error');

# ---------------------------------------------------------------- hc back, with a new table
$node{hc}->start;
$node{hc}->safe_psql('postgres', q{CREATE TABLE science.extra (x int); GRANT SELECT ON science.extra TO fed});
($rc, $out, $err) = refresh(q{'hc'});
is($out, "hc true $hc_version true -", 'hc started again: refreshed (version, tables)');
is($centre->safe_psql('postgres', q{SELECT tables FROM automl.nodes WHERE name = 'hc'}),
	'["science.cde_features_a", "science.extra"]', '... its new table is listed');

# ---------------------------------------------------------------- a non-superuser with a password mapping
$centre->safe_psql('postgres', q{CREATE USER MAPPING FOR analyst SERVER srv_hb OPTIONS (user 'fed', password 'fed-secret')});
($rc, $out, $err) = refresh('', 'analyst');
like($out, qr/^hb true \Q$hb_version\E true -\nhc false - - user mapping not found for "analyst"$/,
	'analyst (a mapping for hb only): hb refreshed, hc a row with the missing user mapping');
($rc, $out, $err) = refresh(q{'hc'}, 'analyst');
like($err, qr/ERROR:  user mapping not found for "analyst"/, '... naming hc: the error, as automl_node_add\'s');

# ---------------------------------------------------------------- analyses do not write the catalogue
# (they are STABLE: automl_node_refresh is what moves last_seen)
$centre->safe_psql('postgres', q{UPDATE automl.nodes SET last_seen = '2000-01-01'});
($rc, $out, $err) = $centre->psql('postgres', q{SET client_min_messages = warning;
	BEGIN READ ONLY; SELECT count(*) > 0 FROM automl_summary('science.cde_features_a', '{lefthippocampus}', nodes => '{local,hb}'); COMMIT;});
is("$rc $out", '0 t', 'a federated call in a read-only transaction succeeds');
is($centre->safe_psql('postgres', q{SELECT string_agg(name || ' ' || (last_seen > '2000-01-01'), ', ' ORDER BY name) FROM automl.nodes}),
	'hb false, hc false', 'a federated analysis leaves automl.nodes alone');

done_testing();
