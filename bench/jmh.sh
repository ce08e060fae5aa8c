#!/usr/bin/env bash
# JMH microbenchmarks of core against JDK baselines, and of the storage-jdbc plugin's readSecret against
# raw JDBC, measured in the same run (see bench/README.md).
#
#   bench/jmh.sh [JMH options]     e.g. bench/jmh.sh -f 1 -wi 2 -i 3      (default: the annotations)
#   JMH_FILTER=StorageRead bench/jmh.sh     only the benchmarks matching this regex (default: all)
#
# Prints JMH's table, then the barrier/JDK ratios, and writes both to bench/results/jmh-<timestamp>.txt.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
BENCH=$ROOT/bench
# shellcheck source=../scripts/java-env.sh
source "$ROOT/scripts/java-env.sh"

if [ ! -f "$BENCH/target/classes/META-INF/BenchmarkList" ] || [ ! -d "$BENCH/target/bench-plugins" ]; then
  echo "jmh: building the bench module (mvn -pl bench -am install -DskipTests)" >&2
  (cd "$ROOT" && mvn -B -q -pl bench -am install -DskipTests) || { echo "jmh: build failed" >&2; exit 1; }
fi

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$BENCH/results"
RESULT="$BENCH/results/jmh-$STAMP.txt"
CSV=$(mktemp)
LOG=$(mktemp)
trap 'rm -f "$CSV" "$LOG"' EXIT

"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$BENCH/target/classes:$BENCH/target/lib/*" \
  org.openjdk.jmh.Main -rf csv -rff "$CSV" "$@" "${JMH_FILTER:-dev\.animavault\.bench\.jmh\..*}" | tee "$LOG" >&2

{
  echo "Anima Vault JMH, $STAMP, git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) CPUs, $("$JAVA_HOME/bin/java" -version 2>&1 | head -n1)"
  # JMH's own summary table: from its last header line to the end of its output.
  awk '/^Benchmark +(\(|Mode)/ {table = ""; on = 1} on && /^$/ {on = 0} on {table = table $0 "\n"} END {printf "%s", table}' "$LOG"
  echo
  echo "Ratios (core or plugin / baseline, average time per operation; 1.00 = no overhead):"
  # CSV: "Benchmark","Mode","Threads","Samples","Score","Score Error (99.9%)","Unit"[,"Param: valueBytes"]
  awk -F, 'NR > 1 {
         gsub(/"|\r/, "")
         n = split($1, parts, "."); name = parts[n]
         param = (NF >= 8 && $8 != "") ? $8 : "-"
         t[name "/" param] = $5; if (param != "-") params[param] = 1
       }
       END {
         for (p in params)
           printf "  value %5s bytes: seal %.2fx, open %.2fx\n", p, t["barrierSeal/" p] / t["jdkSeal/" p], t["barrierOpen/" p] / t["jdkOpen/" p]
         if (("barrierTokenMac/-" in t) && ("jdkHmac/-" in t))
           printf "  token HMAC: %.2fx\n", t["barrierTokenMac/-"] / t["jdkHmac/-"]
         for (n = 1; n <= 4; n *= 4)
           if ((("pluginReadSecret" n "/-") in t) && (("jdbcReadSecret" n "/-") in t))
             printf "  storage readSecret, %d thread(s): %.2fx raw JDBC (same query), %.2fx lean raw JDBC\n", n,
               t["pluginReadSecret" n "/-"] / t["jdbcReadSecret" n "/-"], t["pluginReadSecret" n "/-"] / t["leanReadSecret" n "/-"]
         for (n = 1; n <= 256; n *= 16)
           if ((("sinkWrite" n "/-") in t) && (("jacksonWrite" n "/-") in t) && (("rawWrite" n "/-") in t))
             printf "  audit file sink write, batch %3d: %.0f ns/event, %.2fx the old Jackson write path, %.2fx a raw write of the lines\n", n,
               t["sinkWrite" n "/-"], t["sinkWrite" n "/-"] / t["jacksonWrite" n "/-"], t["sinkWrite" n "/-"] / t["rawWrite" n "/-"]
       }' "$CSV"
} | tee "$RESULT"
echo "written to ${RESULT#"$ROOT"/}" >&2
