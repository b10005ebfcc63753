# 410_federation_kmeans_restart.pl — k-means over federation nodes when a
# node is lost in the middle of the analysis (after it answered round 1).
#
# The three clusters and their data: 400_federation.pm (hospitals h1 = the
# centre, also 'local', h2 = hb, h3 = hc; science.pooled = the union).
#
# How a node is made to fail after round 1, deterministically: a row-level
# security policy on the node's science.cde_features_a (the federation role
# "fed" is subject to it) whose condition is an uncorrelated sub-select of
# fedtest.gate(), evaluated once per read.  The gate counts the
# automl.node_kmeans answers the node logged in automl.federation_log since
# the trap was armed (fedtest.trap: the log id then, and how many calls to
# let through) and raises 58030 ("I/O error") on the read after them.  The
# log row of a call commits with that call, so the count is exact: calls = 1
# lets round 1 (init) through and fails Lloyd iteration 1.
#
# Checked: hc lost in Lloyd iteration 1 — the model from given centres
# equals Lloyd's algorithm (Perl, 406's rules) on the pooled complete rows
# of h1 and h2 within 1e-10 relative (centres, sizes, inertia, same
# iteration count); metrics.nodes ["local","hb"], metrics.restarts 1; the
# feedback has hc's failure (58030 message) and the entry naming hc, the
# round and "restarted on 2 nodes (local, hb)"; with the nodes'
# initialisation the model is identical to the federated fit naming local
# and hb only, and its inertia within 2% of automl_fit's k-means on the
# pooled rows of h1 and h2 (406's limit); hc lost in the last round (sizes
# and inertia); hc lost in iteration 1 and hb in the restarted run's
# iteration 1 (two restarts, each with a node fewer: the model of local
# alone); strict => true: the node's error 58030.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use List::Util qw(max sum);
use FindBin;
use lib $FindBin::RealBin;
require '400_federation.pm';
require 'kmeans_reference.pm';
KmeansRef->import;

my ($nodes, $centre) = FedTest::setup();
my %node = %$nodes;
my $all = '{local,hb,hc}';
my @f = qw(lefthippocampus righthippocampus subjectageyears);
my $flist = join(',', @f);
my $notnull = join(' AND ', map { "$_ IS NOT NULL" } @f);
my $filter = '{"rules": [' . join(', ', map { qq{{"field": "$_", "operator": "is_not_null"}} } @f) . ']}';
my $p = scalar @f;
FedTest::set_min_group_size(1);

# the trap on hb and hc
for my $name (qw(hb hc))
{
	$node{$name}->safe_psql('postgres', q{
		CREATE SCHEMA fedtest;
		CREATE TABLE fedtest.trap (armed_after bigint NOT NULL, calls int NOT NULL);
		CREATE FUNCTION fedtest.gate() RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER
		SET search_path = pg_catalog, pg_temp AS $$
		DECLARE t record; n bigint;
		BEGIN
		  FOR t IN SELECT * FROM fedtest.trap LOOP
		    SELECT count(*) INTO n FROM automl.federation_log
		     WHERE id > t.armed_after AND function = 'automl.node_kmeans';
		    IF n >= t.calls THEN
		      RAISE EXCEPTION 'the disk under science.cde_features_a failed (test trap, after % calls)', t.calls
		        USING ERRCODE = '58030';
		    END IF;
		  END LOOP;
		  RETURN true;
		END $$;
		GRANT USAGE ON SCHEMA fedtest TO PUBLIC;
		ALTER TABLE science.cde_features_a ENABLE ROW LEVEL SECURITY;
		CREATE POLICY trap ON science.cde_features_a FOR SELECT USING ((SELECT fedtest.gate()));
	});
}

sub arm
{
	my ($name, $calls) = @_;
	$node{$name}->safe_psql('postgres',
		"DELETE FROM fedtest.trap; INSERT INTO fedtest.trap SELECT coalesce(max(id), 0), $calls FROM automl.federation_log");
}
sub disarm { $node{$_}->safe_psql('postgres', 'DELETE FROM fedtest.trap') for qw(hb hc); }

# the complete rows of some hospitals, in subjectcode order
sub rows_of
{
	my ($datasets) = @_;
	return [ map { [split /\|/] } split /\n/, $centre->safe_psql('postgres',
		"SELECT $flist FROM science.pooled WHERE $notnull AND dataset IN ($datasets) ORDER BY subjectcode") ];
}


# the fitted model's centres, sizes, inertia, n_iter
sub model
{
	my ($id) = @_;
	my $st = $centre->safe_psql('postgres', qq{SELECT pipeline->'estimator'->'state'->>'centers', pipeline->'estimator'->'state'->>'sizes',
		pipeline->'estimator'->'state'->>'inertia', pipeline->'estimator'->'state'->>'n_iter' FROM automl.models WHERE id = $id});
	my ($c, $s, $in, $it) = split /\|/, $st;
	my @cv = ($c =~ /(-?[\d.eE+-]+)/g);
	my @sv = ($s =~ /(-?[\d.eE+-]+)/g);
	my @centres = map { [@cv[$_ * $p .. $_ * $p + $p - 1]] } 0 .. $#sv;
	return (\@centres, \@sv, $in, $it);
}

# max relative difference between a model and the reference
sub diff
{
	my ($id, $ref) = @_;
	my ($fc, $fs, $fi, $fit) = model($id);
	my ($rc, $rs, $ri, $rit) = @$ref;
	my $d = rel($fi, $ri);
	for my $q (0 .. $#$rs)
	{
		$d = max($d, rel($fs->[$q], $rs->[$q]));
		$d = max($d, rel($fc->[$q][$_], $rc->[$q][$_])) for 0 .. $p - 1;
	}
	return ($d, $fit, $rit);
}

# a federated fit; returns (id, stderr, metrics.nodes, metrics.restarts, feedback)
sub fit
{
	my ($params, $nodes, $extra) = @_;
	$extra //= '';
	my ($rc, $out, $err) = $centre->psql('postgres', qq{
		SELECT automl_fit('science.cde_features_a', NULL, 'kmeans', '$params', '{$flist}', nodes => '$nodes'$extra) AS id \\gset
		SELECT :id || '|' || (metrics->'nodes')::text || '|' || coalesce(metrics->>'restarts', 'none') || '|' ||
		       automl_federation_feedback()::text FROM automl.models WHERE id = :id});
	my ($id, $n, $r, $fb) = split /\|/, $out, 4;
	return ($id, $err, $n // '', $r // '', $fb // '');
}

my $rows12 = rows_of(q{'h1', 'h2'});
my $rows1 = rows_of(q{'h1'});
my @all_rows = @{ rows_of(q{'h1', 'h2', 'h3'}) };
my @init = map { $all_rows[$_] } (0, 100, 200);
my $init_json = '[' . join(', ', map { '[' . join(', ', @$_) . ']' } @init) . ']';
my $given = qq({"n_clusters": 3, "init": $init_json});

# ---------------------------------------------------------------- the trap works as meant
arm('hc', 1);
{
	my ($rc, $out, $err) = $node{hc}->psql('postgres', q{SET ROLE fed; SELECT count(*) FROM science.cde_features_a});
	is($out, '333', 'the armed trap lets a read through before any k-means call');
}
disarm();

# ---------------------------------------------------------------- hc lost in Lloyd iteration 1
arm('hc', 1);
{
	my ($id, $err, $nodes_used, $restarts, $fb) = fit($given, $all);
	my ($d, $fit, $rit) = diff($id, [lloyd($rows12, \@init, 1e-4, 300)]);
	ok($d <= 1e-10 && $fit == $rit,
		"hc lost after round 1: the model equals pooled Lloyd on h1 + h2 from the same centres (max rel. diff $d, $fit iterations as pooled $rit)");
	is($nodes_used, '["local", "hb"]', '... metrics.nodes: local and hb');
	is($restarts, '1', '... metrics.restarts: 1');
	like($fb, qr/"node": "hc", "failure": true, "message": "the disk under science.cde_features_a failed/,
		'... feedback: hc\'s failure with its error');
	like($fb, qr/"node": "hc", "failure": false, "message": "lost in Lloyd iteration 1 \(round 2 of the call\): the k-means analysis restarted on 2 nodes \(local, hb\)"/,
		'... feedback: hc lost in Lloyd iteration 1, restarted on 2 nodes (local, hb)');
	like($err, qr/WARNING:.*node "hc": lost in Lloyd iteration 1/, '... also as a WARNING');
	is($node{hc}->safe_psql('postgres', q{SELECT string_agg(arguments->>'round', ',' ORDER BY id) FROM automl.federation_log
		WHERE function = 'automl.node_kmeans' AND id > (SELECT armed_after FROM fedtest.trap)}), 'init',
		'... hc answered round 1 only (its failed Lloyd call is not logged)');
}

# ---------------------------------------------------------------- the nodes' initialisation
{
	arm('hc', 1);
	my ($id, $err, $nodes_used, $restarts, $fb) = fit('{"n_clusters": 3}', $all);
	disarm();
	my ($id2) = fit('{"n_clusters": 3}', '{local,hb}');
	is($centre->safe_psql('postgres', qq{SELECT (a.pipeline->'estimator'->'state') = (b.pipeline->'estimator'->'state')
		FROM automl.models a, automl.models b WHERE a.id = $id AND b.id = $id2}), 't',
		"nodes' initialisation, hc lost: the model's centres, sizes, inertia and iterations are those of the fit over local and hb only");
	is($restarts, '1', '... after one restart');
	$centre->safe_psql('postgres', q{CREATE TABLE science.pooled12 AS SELECT * FROM science.pooled WHERE dataset IN ('h1', 'h2')});
	my $pid = $centre->safe_psql('postgres', qq{SET client_min_messages = warning;
		SELECT automl_fit('science.pooled12', NULL, 'kmeans', '{"n_clusters": 3}', '{$flist}', filter => '$filter')});
	my ($fi, $pi) = map { (model($_))[2] } ($id, $pid);
	my $ratio = $fi / $pi;
	ok($ratio <= 1.02, sprintf("... its inertia %.6g = %.5f x automl_fit's k-means on the pooled rows of h1 and h2 %.6g (limit 1.02)", $fi, $ratio, $pi));
}

# ---------------------------------------------------------------- hc lost in the last round
{
	my (undef, undef, undef, $rit3) = lloyd(\@all_rows, \@init, 1e-4, 300);
	arm('hc', 1 + $rit3);		# init and every Lloyd iteration pass, the sizes round fails
	my ($id, $err, $nodes_used, $restarts, $fb) = fit($given, $all);
	disarm();
	my ($d, $fit, $rit) = diff($id, [lloyd($rows12, \@init, 1e-4, 300)]);
	ok($d <= 1e-10 && $fit == $rit, "hc lost in the last round (after $rit3 iterations): the model of h1 + h2 (max rel. diff $d)");
	like($fb, qr/"node": "hc", "failure": false, "message": "lost in the last round \(cluster sizes and inertia, round ${\($rit3 + 2)} of the call\): the k-means analysis restarted on 2 nodes/,
		'... feedback names the last round');
}

# ---------------------------------------------------------------- two nodes lost one after the other
{
	arm('hc', 1);				# hc: lost in the first run's iteration 1
	arm('hb', 3);				# hb: init, iteration 1, init again, then lost in the second run's iteration 1
	my ($id, $err, $nodes_used, $restarts, $fb) = fit($given, $all);
	disarm();
	my ($d, $fit, $rit) = diff($id, [lloyd($rows1, \@init, 1e-4, 300)]);
	ok($d <= 1e-10 && $fit == $rit, "hc, then hb lost: the model is pooled Lloyd on h1's rows (max rel. diff $d)");
	is("$nodes_used $restarts", '["local"] 2', '... metrics.nodes ["local"], 2 restarts (each with a node fewer)');
	like($fb, qr/"node": "hb", "failure": false, "message": "lost in Lloyd iteration 1 \(round 2 of the call\): the k-means analysis restarted on 1 node \(local\)"/,
		'... feedback: restarted on 1 node (local)');
}

# ---------------------------------------------------------------- every remote node lost, no local part
{
	arm('hc', 1);
	arm('hb', 1);
	my ($rc, $out, $err) = $centre->psql('postgres', qq{\\set VERBOSITY verbose
		SELECT automl_fit('science.cde_features_a', NULL, 'kmeans', '$given', '{$flist}', nodes => '{hb,hc}')});
	disarm();
	like($err, qr/ERROR:  22000: automl_fit: no node contributed rows/, 'hb and hc both lost, no other node: 22000 no node contributed rows');
}

# ---------------------------------------------------------------- strict
{
	arm('hc', 1);
	my ($rc, $out, $err) = $centre->psql('postgres', qq{\\set VERBOSITY verbose
		SELECT automl_fit('science.cde_features_a', NULL, 'kmeans', '$given', '{$flist}', nodes => '$all', strict => true)});
	disarm();
	like($err, qr/ERROR:  58030: automl_fit: node "hc": the disk under/, 'strict => true: hc lost is an error with its SQLSTATE (58030)');
}

done_testing();
