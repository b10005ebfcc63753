# 400_federation.pm — the federation TAP tests' setup (400_federation.pl,
# 401_federation_stats.pl): three clusters on 127.0.0.1, "centre" (hospital
# h1, also the node 'local'), "hb" (h2) and "hc" (h3), each with its third of
# the MIP sample patients (test/data/load_mip.sql, rows in subjectcode order
# dealt round-robin, the dataset column set to the hospital; hb has a level
# 'only-h2' of agegroup no other hospital has); the centre also holds the
# union in science.pooled.  The centre reaches hb and hc through postgres_fdw
# servers and user mappings (nodes added with automl_node_add); the nodes let
# role "fed" in with a password (scram) and grant it automl_federation_member.
#
# FedTest::setup() returns (\%node, $centre); FedTest::compare() is the
# largest relative difference between a federated call and the same call on
# the pooled table; FedTest::set_min_group_size() sets the GUC on every node.
package FedTest;

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

our %node;
our $centre;

sub setup
{
	my $load = slurp_file("$ENV{TESTDIR}/data/load_mip.sql");
	# the server reads the CSV itself (the script's \copy is psql's)
	$load =~ s{^\\copy (\S+) FROM '[^']*'}{COPY $1 FROM '$ENV{TESTDIR}/data/desd-synthdata.csv' WITH (FORMAT csv, HEADER true);\n--}m;

	my %hospital = (centre => 'h1', hb => 'h2', hc => 'h3');
	for my $name (qw(centre hb hc))
	{
		my $n = PostgreSQL::Test::Cluster->new($name);
		$n->init;
		$n->append_conf('postgresql.conf', "listen_addresses = '127.0.0.1'\n");
		open(my $hba, '>', $n->data_dir . '/pg_hba.conf') or die;
		print $hba "local all all trust\n";
		print $hba "host all fed 127.0.0.1/32 scram-sha-256\n";
		print $hba "host all all 127.0.0.1/32 trust\n";
		close $hba;
		$n->start;
		$n->safe_psql('postgres', 'CREATE EXTENSION automl');
		$n->safe_psql('postgres', $load);
		$n->safe_psql('postgres', qq{
			CREATE TABLE science.pooled AS TABLE science.cde_features_a;
			UPDATE science.pooled p SET dataset = 'h' || (1 + (r.rn - 1) % 3)
			  FROM (SELECT subjectcode, row_number() OVER (ORDER BY subjectcode) rn FROM science.pooled) r
			 WHERE r.subjectcode = p.subjectcode;
			DELETE FROM science.cde_features_a;
			INSERT INTO science.cde_features_a SELECT * FROM science.pooled WHERE dataset = '$hospital{$name}';
			-- a level only this hospital has (factor levels are unioned)
			UPDATE science.cde_features_a SET agegroup = 'only-h2'
			 WHERE '$name' = 'hb' AND subjectcode IN (SELECT subjectcode FROM science.cde_features_a ORDER BY 1 LIMIT 20);
			UPDATE science.pooled SET agegroup = 'only-h2'
			 WHERE subjectcode IN (SELECT subjectcode FROM science.pooled WHERE dataset = 'h2' ORDER BY 1 LIMIT 20);
			CREATE ROLE fed LOGIN PASSWORD 'fed-secret' IN ROLE automl_federation_member;
			CREATE ROLE nopass LOGIN IN ROLE automl_federation_member;
			GRANT USAGE ON SCHEMA science TO fed, nopass;
			GRANT SELECT ON science.cde_features_a TO fed, nopass;
		});
		$node{$name} = $n;
	}
	$centre = $node{centre};
	is($centre->safe_psql('postgres', 'SELECT count(*) FROM science.pooled'), '1000', 'the pooled table has the 1000 patients');
	is($centre->safe_psql('postgres', 'SELECT count(*) FROM science.cde_features_a'), '334', 'the centre has its third');

	# the centre knows hb and hc as postgres_fdw servers
	$centre->safe_psql('postgres', q{
		CREATE EXTENSION postgres_fdw;
		CREATE ROLE analyst LOGIN;
		GRANT USAGE ON SCHEMA science TO analyst;
		GRANT SELECT ON science.cde_features_a, science.pooled TO analyst;
	});
	for my $name (qw(hb hc))
	{
		my $port = $node{$name}->port;
		$centre->safe_psql('postgres', qq{
			CREATE SERVER srv_$name FOREIGN DATA WRAPPER postgres_fdw
			  OPTIONS (host '127.0.0.1', port '$port', dbname 'postgres');
			CREATE USER MAPPING FOR CURRENT_USER SERVER srv_$name OPTIONS (user 'fed', password 'fed-secret');
			GRANT USAGE ON FOREIGN SERVER srv_$name TO analyst;
			SELECT automl_node_add('$name', 'srv_$name');
		});
	}
	is($centre->safe_psql('postgres', q{SELECT string_agg(name || ' ' || server || ' ' || (version IS NOT NULL)::text || ' ' ||
		(tables @> '["science.cde_features_a"]')::text, ', ' ORDER BY name) FROM automl.nodes}),
		'hb srv_hb true true, hc srv_hc true true', 'automl.nodes: server, version and exposed tables of each node');
	is($centre->safe_psql('postgres', q{SELECT count(*) FROM pg_catalog.pg_user_mappings WHERE umoptions::text ~ 'password'}), '2',
		'the credentials are in the user mappings (no table of automl holds them)');

	# largest relative difference between two result sets (jsonb arrays of rows);
	# Infinity when they differ in shape, text or integer columns
	$centre->safe_psql('postgres', q{
		CREATE FUNCTION maxrel(a jsonb, b jsonb) RETURNS float8 LANGUAGE plpgsql AS $$
		DECLARE m float8 := 0; k text; x jsonb; y jsonb;
		BEGIN
		  IF jsonb_array_length(a) <> jsonb_array_length(b) THEN RETURN 'Infinity'; END IF;
		  FOR i IN 0 .. jsonb_array_length(a) - 1 LOOP
		    FOR k IN SELECT jsonb_object_keys(a->i) LOOP
		      x := a->i->k; y := b->i->k;
		      IF jsonb_typeof(x) = 'number' AND jsonb_typeof(y) = 'number' AND x::float8 <> y::float8 THEN
		        m := greatest(m, abs(x::float8 - y::float8) / greatest(abs(x::float8), abs(y::float8)));
		      ELSIF x IS DISTINCT FROM y AND NOT (jsonb_typeof(x) = 'number' AND jsonb_typeof(y) = 'number') THEN
		        RAISE NOTICE 'differ: % % vs %', k, x, y;
		        RETURN 'Infinity';
		      END IF;
		    END LOOP;
		  END LOOP;
		  RETURN m;
		END $$;
	});
	return (\%node, $centre);
}

# federated call on the hospitals' tables against the same call on the pooled rows
sub compare
{
	my ($fn, $args, $nodes, $pooled_filter, $extra) = @_;
	$extra //= '';
	my $fed_args = "'science.cde_features_a', $args, nodes => '$nodes'$extra";
	my $pool_args = "'science.pooled', $args" . ($pooled_filter ? ", filter => '$pooled_filter'" : '');
	my ($rc, $out, $err) = $centre->psql('postgres', qq{
		SET client_min_messages = warning;
		SELECT maxrel((SELECT jsonb_agg(to_jsonb(t)) FROM $fn($fed_args) t),
		              (SELECT jsonb_agg(to_jsonb(t)) FROM $fn($pool_args) t));
	});
	return ($out eq '' ? 'Infinity' : $out, $err);
}

sub set_min_group_size
{
	my ($value) = @_;
	for my $n (values %node)
	{
		$n->safe_psql('postgres', defined $value
			? qq{LOAD 'automl'; ALTER SYSTEM SET automl.min_group_size = $value; SELECT pg_reload_conf()}
			: q{LOAD 'automl'; ALTER SYSTEM RESET automl.min_group_size; SELECT pg_reload_conf()});
	}
}

1;
