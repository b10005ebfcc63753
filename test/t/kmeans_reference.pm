# kmeans_reference.pm — the reference k-means of the federation TAP tests
# (406, 410): Lloyd's iterations in Perl, as src/ml/kmeans.c runs one start
# from given centres (squared Euclidean distances, ties to the lower
# cluster, stop when no label changes or the squared centre shift is at
# most tol x the mean feature variance), and a relative difference.
package KmeansRef;
use strict;
use warnings;
use List::Util qw(max sum);
use Exporter 'import';
our @EXPORT = qw(sqd nearest lloyd rel);

sub sqd { my ($x, $c) = @_; my $d = 0; $d += ($x->[$_] - $c->[$_]) ** 2 for 0 .. $#$x; return $d; }
sub nearest
{
	my ($x, $centres) = @_;
	my ($best, $bd) = (0, sqd($x, $centres->[0]));
	for my $c (1 .. $#$centres) { my $d = sqd($x, $centres->[$c]); ($best, $bd) = ($c, $d) if $d < $bd; }
	return ($best, $bd);
}

# Lloyd as src/ml/kmeans.c runs one start, from given centres
sub lloyd
{
	my ($rows, $centres, $tol, $max_iter) = @_;
	my $n = scalar @$rows;
	my $p = scalar @{ $rows->[0] };
	my @c = map { [@$_] } @$centres;
	my $k = scalar @c;
	my $tol_abs = 0;
	for my $j (0 .. $p - 1)
	{
		my $mean = sum(map { $_->[$j] } @$rows) / $n;
		$tol_abs += sum(map { ($_->[$j] - $mean) ** 2 } @$rows) / $n;
	}
	$tol_abs = $tol_abs / $p * $tol;
	my @prev = (-1) x $n;
	my $it;
	for ($it = 0; $it < $max_iter; $it++)
	{
		my @lab = map { (nearest($_, \@c))[0] } @$rows;
		my @cnt = (0) x $k;
		my @s = map { [(0) x $p] } 1 .. $k;
		for my $i (0 .. $n - 1)
		{
			$cnt[$lab[$i]]++;
			$s[$lab[$i]][$_] += $rows->[$i][$_] for 0 .. $p - 1;
		}
		my $shift = 0;
		for my $q (0 .. $k - 1)
		{
			die "empty cluster" unless $cnt[$q];
			for my $j (0 .. $p - 1) { my $v = $s[$q][$j] / $cnt[$q]; $shift += ($v - $c[$q][$j]) ** 2; $c[$q][$j] = $v; }
		}
		my $same = 1;
		for my $i (0 .. $n - 1) { $same = 0 if $lab[$i] != $prev[$i]; $prev[$i] = $lab[$i]; }
		if ($same || $shift <= $tol_abs) { $it++; last; }
	}
	my @size = (0) x $k;
	my $inertia = 0;
	for my $x (@$rows) { my ($b, $d) = nearest($x, \@c); $size[$b]++; $inertia += $d; }
	return (\@c, \@size, $inertia, $it);
}

sub rel { my ($a, $b) = @_; return 0 if $a == $b; return abs($a - $b) / max(abs($a), abs($b)); }

1;
