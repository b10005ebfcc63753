#!/usr/bin/env bash
# federation_bench.sh — federated automl_lm over 3 nodes x ROWS rows against
# (a) the slowest node's local automl_lm on its own rows and (b) pulling the
# rows to the centre through postgres_fdw (a UNION ALL view of the nodes'
# foreign tables) and fitting there.  Four throwaway clusters on 127.0.0.1
# (a centre holding an empty table of the same shape, and three nodes).
#
# lm: two formulas, numerics only and with a factor; also the node side
# alone (automl.node_lm on node 1, as the centre calls it: one round since
# protocol 2; on an older build the two rounds node_lm_levels + node_lm).
#
# WHAT (third argument): lm (default), summary — federated automl_summary
# (moments, then the exact quartile rounds) against the slowest node's local
# automl_summary and against pulling the rows — or all.
#
# Run as the postgres user with the staged server on PATH, from the tree:
#   runuser -u postgres -- env PATH="$(dirname $PGC):$PATH" test/bench/federation_bench.sh [ROWS] [REPEAT] [WHAT]
# (PGC is the staged pg_config; automl must be installed there.)
# Prints one line per measurement: what, milliseconds (best of REPEAT).
set -euo pipefail
ROWS=${1:-1000000}
REPEAT=${2:-3}
WHAT=${3:-lm}
. "$(dirname "$0")/lib/federation_setup.sh"
fed_clusters fedbench "${FEDBENCH_PORT:-56430}"
fed_tables "y float8, x1 float8, x2 float8, x3 float8, x4 float8, x5 float8, g text"
for i in 1 2 3; do
  q $i "SELECT setseed(0.$i); INSERT INTO t SELECT 1 + x1 - 2 * x2 + 0.5 * x3 + x5 * 0.1 + (CASE g WHEN 'a' THEN 0 WHEN 'b' THEN 1 ELSE 2 END) + random(), x1, x2, x3, x4, x5, g
        FROM (SELECT random() x1, random() x2, random() x3, random() x4, random() x5,
                     (ARRAY['a','b','c'])[1 + floor(random() * 3)::int] g FROM generate_series(1, $ROWS)) s"
  q $i "VACUUM ANALYZE t"
done
fed_centre "y float8, x1 float8, x2 float8, x3 float8, x4 float8, x5 float8, g text"

if [ "$WHAT" = lm ] || [ "$WHAT" = all ]; then
  # one formula of numerics only, one with a factor (g: 3 levels)
  for FORMULA in "y ~ x1 + x2 + x3 + x4 + x5" "y ~ x1 + x2 + x3 + x4 + x5 + g"; do
    echo "== $FORMULA"
    slowest=0
    slowest2=0
    for i in 1 2 3; do
      ms=$(best $i "SELECT count(*) FROM automl_lm('t', '$FORMULA')")
      echo "local automl_lm on node $i ($ROWS rows): $ms ms"
      [ "$ms" -gt "$slowest" ] && slowest=$ms
      [ "$i" -lt 3 ] && [ "$ms" -gt "$slowest2" ] && slowest2=$ms
    done
    # the node side alone, called on node 1 as the centre calls it
    if [ "$(q 1 "SELECT count(*) FROM pg_proc WHERE proname = 'node_lm' AND pronargs = 3")" = 1 ]; then
      node=$(best 1 "SELECT length(automl.node_lm('t', '$FORMULA', NULL))")
      echo "node side on node 1 (automl.node_lm, one round): $node ms"
    else
      lv=$(q 1 "SELECT (automl.node_lm_levels('t', '$FORMULA', NULL)::jsonb)->'levels'")
      node=$(best 1 "SELECT length(automl.node_lm_levels('t', '$FORMULA', NULL)), length(automl.node_lm('t', '$FORMULA', NULL, '$lv', 'treatment'))")
      echo "node side on node 1 (automl.node_lm_levels + automl.node_lm, two rounds): $node ms"
    fi
    fed=$(best 0 "SELECT count(*) FROM automl_lm('t', '$FORMULA', nodes => '{n1,n2,n3}')")
    echo "federated automl_lm over 3 nodes x $ROWS rows: $fed ms"
    # two nodes: as many node processes as a 2-core machine has cores (each
    # hospital on a server of its own, which three nodes on two cores cannot show)
    fed2=$(best 0 "SELECT count(*) FROM automl_lm('t', '$FORMULA', nodes => '{n1,n2}')")
    echo "federated automl_lm over 2 nodes x $ROWS rows: $fed2 ms"
    awk -v f="$fed2" -v s="$slowest2" 'BEGIN { printf "2 nodes: federated / slower local of nodes 1-2: %.2fx\n", f / s }'
    pull=$(best 0 "SELECT count(*) FROM automl_lm('pulled', '$FORMULA')")
    echo "rows pulled through postgres_fdw, automl_lm at the centre: $pull ms"
    echo "equal: $(q 0 "SET client_min_messages = warning; SELECT max(abs(f.estimate - p.estimate) / abs(p.estimate)) FROM automl_lm('t', '$FORMULA', nodes => '{n1,n2,n3}') f JOIN automl_lm('pulled', '$FORMULA') p USING (term)") (max relative difference of the estimates)"
    awk -v f="$fed" -v s="$slowest" -v p="$pull" -v n="$node" 'BEGIN { printf "federated / slowest local: %.2fx; pulled / federated: %.2fx; node side / slowest local: %.2fx\n", f / s, p / f, n / s }'
  done
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
fi

if [ "$WHAT" = summary ] || [ "$WHAT" = all ]; then
  slowest=0
  for i in 1 2 3; do
    ms=$(best $i "SELECT count(*) FROM automl_summary('t')")
    echo "local automl_summary on node $i ($ROWS rows): $ms ms"
    [ "$ms" -gt "$slowest" ] && slowest=$ms
  done
  fed=$(best 0 "SELECT count(*) FROM automl_summary('t', nodes => '{n1,n2,n3}')")
  echo "federated automl_summary over 3 nodes x $ROWS rows (quartiles exact): $fed ms"
  echo "quartile rounds per call: $(q 1 "SELECT count(*) / $REPEAT FROM automl.federation_log WHERE function = 'automl.node_quantile'")"
  pull=$(best 0 "SELECT count(*) FROM automl_summary('pulled')")
  echo "rows pulled through postgres_fdw, automl_summary at the centre: $pull ms"
  echo "identical columns (min, q1, median, q3, max): $(q 0 "SELECT count(*) FILTER (WHERE (f.min, f.q1, f.median, f.q3, f.max) IS NOT DISTINCT FROM (p.min, p.q1, p.median, p.q3, p.max)) || ' of ' || count(*) FROM automl_summary('t', nodes => '{n1,n2,n3}') f JOIN automl_summary('pulled') p USING (column_name)")"
  awk -v f="$fed" -v s="$slowest" -v p="$pull" 'BEGIN { printf "federated summary / slowest local: %.2fx; pulled / federated: %.2fx\n", f / s, p / f }'
  # the same with the values rounded to 4 decimals (as measured data are): fewer quartile rounds
  for i in 0 1 2 3; do
    q $i "CREATE TABLE t4 AS SELECT round(y::numeric, 4)::float8 y, round(x1::numeric, 4)::float8 x1, round(x2::numeric, 4)::float8 x2,
            round(x3::numeric, 4)::float8 x3, round(x4::numeric, 4)::float8 x4, round(x5::numeric, 4)::float8 x5, g FROM t;
          GRANT SELECT ON t4 TO fed; ANALYZE t4; DELETE FROM automl.federation_log"
  done
  slowest=0
  for i in 1 2 3; do
    ms=$(best $i "SELECT count(*) FROM automl_summary('t4')")
    [ "$ms" -gt "$slowest" ] && slowest=$ms
  done
  fed=$(best 0 "SELECT count(*) FROM automl_summary('t4', nodes => '{n1,n2,n3}')")
  echo "4 decimals: slowest local automl_summary $slowest ms, federated $fed ms, quartile rounds per call: $(q 1 "SELECT count(*) / $REPEAT FROM automl.federation_log WHERE function = 'automl.node_quantile'")"
  awk -v f="$fed" -v s="$slowest" 'BEGIN { printf "4 decimals: federated summary / slowest local: %.2fx\n", f / s }'
fi
