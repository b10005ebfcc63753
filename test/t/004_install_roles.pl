# 004_install_roles.pl — CREATE EXTENSION does not silently adopt an existing
# role named like automl's (automl_registry_user, automl_registry_admin)
# that carries attributes or memberships every registry member would get;
# a clean one is used (with a WARNING unless an earlier install made it).
# automl_job_admin goes through the same check.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('roles');
$node->init;
$node->start;

# ------------------------------------------------------------------ roles
$node->safe_psql('postgres', 'CREATE ROLE automl_registry_admin LOGIN');
my ($ret, $out, $err) = $node->psql('postgres', 'CREATE EXTENSION automl',
	extra_params => ['-v', 'VERBOSITY=verbose']);
isnt($ret, 0, 'CREATE EXTENSION fails when automl_registry_admin exists with LOGIN');
like($err, qr/42710: role "automl_registry_admin" already exists and is not one automl can use/,
	'with SQLSTATE 42710 and the role named');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_extension WHERE extname = 'automl'}),
	'0', 'and nothing is installed');

$node->safe_psql('postgres', 'ALTER ROLE automl_registry_admin NOLOGIN');
$node->safe_psql('postgres', 'GRANT pg_read_server_files TO automl_registry_admin');
($ret, $out, $err) = $node->psql('postgres', 'CREATE EXTENSION automl');
isnt($ret, 0, 'CREATE EXTENSION fails when that role is a member of another role');
like($err, qr/memberships \(.*pg_read_server_files.*\)/, 'the detail names the membership');

$node->safe_psql('postgres', 'REVOKE pg_read_server_files FROM automl_registry_admin');
($ret, $out, $err) = $node->psql('postgres', 'CREATE EXTENSION automl');
is($ret, 0, 'a role without attributes or memberships is used');
like($err, qr/WARNING:  using the existing role "automl_registry_admin", which automl did not create/,
	'and the install says so');
is($node->safe_psql('postgres',
		q{SELECT pg_has_role('automl_registry_admin', 'automl_registry_user', 'MEMBER')}),
	't', 'admins are registry users');

# the jobs' role goes through the same check (automl.install_role)
$node->safe_psql('postgres', 'DROP EXTENSION automl');
$node->safe_psql('postgres', 'ALTER ROLE automl_job_admin LOGIN');
($ret, $out, $err) = $node->psql('postgres', 'CREATE EXTENSION automl',
	extra_params => ['-v', 'VERBOSITY=verbose']);
isnt($ret, 0, 'CREATE EXTENSION fails when automl_job_admin has LOGIN');
like($err, qr/42710: role "automl_job_admin" already exists and is not one automl can use/,
	'with SQLSTATE 42710 and the role named');
like($err, qr/every job administrator would get/, 'the detail says who would get it');
$node->safe_psql('postgres', 'ALTER ROLE automl_job_admin NOLOGIN');
($ret, $out, $err) = $node->psql('postgres', 'CREATE EXTENSION automl');
is($ret, 0, 'and installs once it has no attributes');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM pg_proc WHERE proname = 'install_role'}),
	'0', 'the install helper is gone after the install');

# a second database of the cluster: both roles exist, made by automl
$node->safe_psql('postgres', 'CREATE DATABASE second');
($ret, $out, $err) = $node->psql('second', 'CREATE EXTENSION automl');
is($ret, 0, 'the extension installs in a second database');
is($err, '', 'reusing the roles made by the first install quietly');

$node->stop;
done_testing();
