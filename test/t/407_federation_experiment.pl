# 407_federation_experiment.pl — automl_experiment(query, strict, nodes):
# a Woken ExperimentQuery over three nodes equals the same experiment on the
# pooled union table.
#
# The clusters and data: 400_federation.pm (h1 = centre = 'local', hb, hc;
# science.pooled = the union).  The experiment: target
# alzheimerbroadcategory, covariables two hippocampus volumes, gender and
# agegroup (a level only hb has), algorithms naiveBayes (federated: fitted
# and 3-fold validated over the nodes), knn (no federated form: an error
# item) and statisticsSummary (federated), validation kfold k = 3.
#
# Checked:
# - the final naive Bayes model equals automl_fit on the pooled complete
#   rows (estimator state, 1e-10 relative);
# - the validation: the folds are assigned on every node by a hash of the
#   row's values (src/federation/fed_nb_cv.c), recomputed here in Perl on
#   the pooled rows; per fold a local automl_fit gaussian_nb on the pooled
#   rows of the other folds, its predictions on the fold's rows counted:
#   every fold's confusion matrix identical to the federated one, and the
#   scores (accuracy, weighted precision/recall/F1) equal to 1e-12;
# - the same experiment with nodes => '{local}' on science.pooled (one node
#   holding the union): validation and model identical;
# - knn: an error item (0A000) of its own, the other algorithms done;
#   strict => true: the experiment fails with 0A000;
# - the nodes' log (node_nb_folds, node_nb_validate with k);
# - min_group_size: with the default (10) a fold's confusion cell under 10
#   on a node suppresses that node's validation (feedback);
# - a role without automl_federation_member on hb: feedback, strict 42501;
# - hc down: feedback naming hc, the experiment done on the others; strict 08006.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use JSON::PP;
use FindBin;
use lib $FindBin::RealBin;
require '400_federation.pm';

my ($nodes, $centre) = FedTest::setup();
my %node = %$nodes;
my $all = '{local,hb,hc}';
my $k = 3;
my @features = qw(lefthippocampus righthippocampus gender agegroup);
my $target = 'alzheimerbroadcategory';

$centre->safe_psql('postgres', q{
	CREATE FUNCTION jrel(a jsonb, b jsonb) RETURNS float8 LANGUAGE plpgsql AS $$
	DECLARE m float8 := 0; k text;
	BEGIN
	  IF jsonb_typeof(a) IS DISTINCT FROM jsonb_typeof(b) THEN RAISE WARNING 'differ: % vs %', a, b; RETURN 'Infinity'; END IF;
	  IF jsonb_typeof(a) = 'number' THEN
	    IF a::float8 = b::float8 THEN RETURN 0; END IF;
	    RETURN abs(a::float8 - b::float8) / greatest(abs(a::float8), abs(b::float8));
	  ELSIF jsonb_typeof(a) = 'array' THEN
	    IF jsonb_array_length(a) <> jsonb_array_length(b) THEN RETURN 'Infinity'; END IF;
	    FOR i IN 0 .. jsonb_array_length(a) - 1 LOOP m := greatest(m, jrel(a->i, b->i)); END LOOP;
	    RETURN m;
	  ELSIF jsonb_typeof(a) = 'object' THEN
	    IF (SELECT array_agg(x ORDER BY x) FROM jsonb_object_keys(a) x) IS DISTINCT FROM
	       (SELECT array_agg(x ORDER BY x) FROM jsonb_object_keys(b) x) THEN RETURN 'Infinity'; END IF;
	    FOR k IN SELECT jsonb_object_keys(a) LOOP m := greatest(m, jrel(a->k, b->k)); END LOOP;
	    RETURN m;
	  END IF;
	  IF a = b THEN RETURN 0; END IF;
	  RAISE WARNING 'differ: % vs %', a, b;
	  RETURN 'Infinity';
	END $$;
});

sub query
{
	my ($table, $algos) = @_;
	$algos //= '{"code": "naiveBayes"}, {"code": "knn"}, {"code": "statisticsSummary"}';
	my $cov = join(', ', map { qq{{"code": "$_"}} } @features);
	return qq~'{"user": {"code": "u"}, "targetTable": {"dbSchema": "science", "name": "$table"}, ~
		. qq~"variables": [{"code": "$target"}], "covariables": [$cov], "algorithms": [$algos], ~
		. qq~"validations": [{"code": "kfold", "parameters": [{"code": "k", "value": "$k"}]}]}'::jsonb~;
}

# an experiment's QueryResult (decoded) and the stderr of the call
sub experiment
{
	my ($table, $nodes, %o) = @_;
	my $strict = $o{strict} ? 'true' : 'false';
	my ($rc, $out, $err) = $centre->psql('postgres', qq{SET client_min_messages = warning;
		SELECT automl_experiment(@{[query($table, $o{algos})]}, $strict, '$nodes')});
	return ($rc ? undef : decode_json($out), $err);
}

sub item
{
	my ($res, $code) = @_;
	for my $i (@{ $res->{data} })
	{
		return $i if $i->{algorithmSpec}{code} eq $code;
	}
	return undef;
}

FedTest::set_min_group_size(1);

# ---------------------------------------------------------------- over the three nodes
my ($fed, $err) = experiment('cde_features_a', $all);
ok(defined $fed, 'the experiment over three nodes runs') or diag($err);
my $nb = item($fed, 'naiveBayes');
is($nb->{error}, undef, 'naiveBayes: no error') or diag(explain($nb));
is($nb->{type}, 'application/pfa+json', 'naiveBayes: a PFA model');
my $kfold = $nb->{validations}[0]{data};
is($kfold->{type}, 'KFoldCrossValidationScore', 'naiveBayes: k-fold validated');
is(scalar(keys %{ $kfold->{folds} }), $k, "... $k folds scored");
my $knn = item($fed, 'knn');
like($knn->{error} // '', qr/algorithm knn is not supported over federation nodes/,
	'knn (no federated form): an error item of its own');
is(item($fed, 'statisticsSummary')->{error}, undef, 'statisticsSummary over the nodes: done');

# the final model vs automl_fit on the pooled complete rows
{
	my $complete = join(', ', map { qq{{"field": "$_", "operator": "is_not_null"}} } ($target, @features));
	my $d = $centre->safe_psql('postgres', qq{SET client_min_messages = warning;
		CREATE TEMP TABLE fm AS SELECT max(id) id FROM automl.models WHERE algorithm = 'gaussian_nb';
		CREATE TEMP TABLE pm AS SELECT automl_fit('science.pooled', '$target', 'gaussian_nb', '{}', '{@{[join(',', @features)]}}',
		                         filter => '{"condition": "AND", "rules": [$complete]}') id;
		SELECT jrel(f.pipeline->'estimator'->'state', p.pipeline->'estimator'->'state')
		  FROM automl.models f, automl.models p
		 WHERE f.id = (SELECT id FROM fm) AND p.id = (SELECT id FROM pm)});
	ok($d ne '' && $d <= 1e-10, "final model = automl_fit on the pooled complete rows (max rel. diff $d)");
}

# ---------------------------------------------------------------- the folds, recomputed in Perl
sub fnv
{
	my ($h, $bytes) = @_;
	for my $c (unpack('C*', $bytes))
	{
		$h ^= $c;
		$h = ($h * 16777619) & 0xffffffff;
	}
	return $h;
}
{
	my @cols = map { /hippocampus/ ? "encode(float8send(${_}::float8), 'hex')" : $_ } ($target, @features);
	my $notnull = join(' AND ', map { "$_ IS NOT NULL" } ($target, @features));
	my $rows = $centre->safe_psql('postgres', qq{SELECT subjectcode, @{[join(', ', @cols)]} FROM science.pooled WHERE $notnull});
	my @ins;
	for my $line (split /\n/, $rows)
	{
		my ($code, @v) = split /\|/, $line, -1;
		my $h = 2166136261;
		for my $i (0 .. $#v)
		{
			my $name = ($target, @features)[$i];
			$h = fnv($h, $name =~ /hippocampus/ ? scalar reverse(pack('H*', $v[$i])) : $v[$i] . "\0");
		}
		push @ins, "('$code', " . ($h % $k + 1) . ")";
	}
	$centre->safe_psql('postgres', qq{
		CREATE TABLE science.folds (subjectcode text PRIMARY KEY, fold int);
		INSERT INTO science.folds VALUES @{[join(', ', @ins)]};
		CREATE TABLE science.pooled_f AS SELECT p.*, f.fold FROM science.pooled p JOIN science.folds f USING (subjectcode);
	});
	my $n = scalar @ins;
	is($kfold->{average}{'Confusion matrix'} ? do { my $s = 0; $s += $_ for map { @$_ } @{ $kfold->{average}{'Confusion matrix'}{values} }; $s } : -1,
		$n, "the validation counted every complete pooled row once ($n)");

	my $maxd = 0;
	my $same = 1;
	for my $f (1 .. $k)
	{
		my $cells = $centre->safe_psql('postgres', qq{SET client_min_messages = warning;
			CREATE TEMP TABLE m AS SELECT automl_fit('science.pooled_f', '$target', 'gaussian_nb', '{}',
			  '{@{[join(',', @features)]}}', filter => '{"field": "fold", "operator": "not_equal", "value": $f}') id;
			SELECT string_agg(t || '>' || p || ':' || n, ' ' ORDER BY t, p) FROM (
			  SELECT $target t, automl_predict((SELECT id FROM m), r) p, count(*) n
			    FROM science.pooled_f r WHERE fold = $f GROUP BY 1, 2) s});
		my $cm = $kfold->{folds}{$f}{'Confusion matrix'};
		my @mine;
		for my $a (0 .. $#{ $cm->{labels} })
		{
			for my $b (0 .. $#{ $cm->{labels} })
			{
				my $c = $cm->{values}[$a][$b];
				push @mine, "$cm->{labels}[$a]>$cm->{labels}[$b]:$c" if $c;
			}
		}
		my $fedcells = join(' ', sort @mine);
		my $poolcells = join(' ', sort split / /, $cells);
		$same &&= $fedcells eq $poolcells;
		diag("fold $f: federated $fedcells\npooled    $poolcells") if $fedcells ne $poolcells;
	}
	ok($same, "every fold's confusion matrix = the pooled fold model's predictions on the fold's pooled rows (Perl-hashed folds)");
}

# ---------------------------------------------------------------- one node holding the union
{
	my ($pool, $e) = experiment('pooled', '{local}');
	ok(defined $pool, "the experiment over '{local}' on science.pooled runs") or diag($e);
	my $pk = item($pool, 'naiveBayes')->{validations}[0]{data};
	my $json = JSON::PP->new->canonical;
	is($json->encode($pk), $json->encode($kfold), 'validation over three nodes identical to the one over the pooled rows');
	for my $m ('Accuracy', 'Weighted precision', 'Weighted recall', 'Weighted F1-score')
	{
		ok(abs($pk->{average}{$m} - $kfold->{average}{$m}) <= 1e-12, "average $m equal ($kfold->{average}{$m})");
	}
}

# the nodes' log
like($node{hb}->safe_psql('postgres', q{SELECT string_agg(function || ' ' || (arguments->>'k'), ', ' ORDER BY id)
	FROM automl.federation_log WHERE function LIKE 'automl.node_nb_%'}),
	qr/^automl.node_nb_folds 3, automl.node_nb_validate 3$/, 'hb logged the folds and validation rounds with k');

# strict: knn's refusal is the experiment's error
{
	my ($res, $e) = experiment('cde_features_a', $all, strict => 1);
	ok(!defined $res, 'strict => true: knn fails the experiment');
	like($e, qr/algorithm knn is not supported over federation nodes/, '... with its message (0A000)');
}

# ---------------------------------------------------------------- min_group_size
FedTest::set_min_group_size(undef);
{
	my ($res, $e) = experiment('cde_features_a', $all, algos => '{"code": "naiveBayes"}');
	diag($e) unless $res;
	my $i = item($res, 'naiveBayes');
	my $fb = join(' | ', map { "$_->{node}: $_->{message}" } @{ $i->{feedback} });
	# feedback entries, or (every node suppressed: the item's error) the WARNINGs
	like("$fb $e", qr/suppressed its part: (fold \d+: )?a (cell of a fold's confusion matrix|class|level)/,
		'default min_group_size (10): small groups suppress a node\'s validation (feedback / warning)') or diag("$fb $e");
	ok(!$i->{error} || $i->{error} =~ /no node contributed/, '... the experiment does not fail for it') or diag($i->{error});
}
FedTest::set_min_group_size(1);

# ---------------------------------------------------------------- a role without membership on hb
$node{hb}->safe_psql('postgres', 'REVOKE automl_federation_member FROM fed');
{
	my ($res, $e) = experiment('cde_features_a', $all, algos => '{"code": "naiveBayes"}');
	my $i = item($res, 'naiveBayes');
	my $fb = join(' | ', map { "$_->{node}: $_->{message}" } @{ $i->{feedback} });
	like($fb, qr/hb: permission denied for federation function automl.node_nb/, 'hb refuses a non-member: feedback') or diag($fb);
	is($i->{error}, undef, '... the experiment runs on the other nodes');
	($res, $e) = experiment('cde_features_a', $all, algos => '{"code": "naiveBayes"}', strict => 1);
	like($e, qr/permission denied for federation function automl.node_nb/, 'strict => true: the refusal is an error');
}
$node{hb}->safe_psql('postgres', 'GRANT automl_federation_member TO fed');

# ---------------------------------------------------------------- hc down
$node{hc}->stop;
{
	my ($res, $e) = experiment('cde_features_a', $all, algos => '{"code": "naiveBayes"}');
	my $i = item($res, 'naiveBayes');
	my $fb = join(' | ', map { "$_->{node}: $_->{message}" } @{ $i->{feedback} });
	like($fb, qr/hc: /, 'hc down: feedback names hc') or diag($fb);
	is($i->{error}, undef, '... the experiment is done on local and hb');
	ok($i->{validations}[0]{data}{average}{Accuracy} > 0, '... validated on their rows');
	my ($rc, $out, $err) = $centre->psql('postgres', qq{SELECT automl_experiment(@{[query('cde_features_a', '{"code": "naiveBayes"}')]}, true, '$all')});
	like($err, qr/hc/, 'strict => true: hc down is an error');
}
$node{hc}->start;

done_testing();
