#!/usr/bin/env bash
# Audit query and report latency at 10^6 events for each queryable sink (issue 15's closing note): for each
# of the file sink, audit-jdbc on SQLite and audit-jdbc on PostgreSQL (a fresh schema of the server named by
# scripts/postgres.sh, dropped after), one JVM with the launcher's limits (-Xmx192m -XX:+UseSerialGC
# -XX:MaxDirectMemorySize=256m) runs AuditScaleMeasurement: a real vault in-process, N events written
# straight through the sink, then audit queries and JSON reports over HTTP (p50/p99, peak heap/RSS during the
# organization report), then secret reads over HTTP for READ_SECONDS (the sink's read-throughput cost, as a
# ratio against the file sink's run). Numbers are printed, never asserted; `uptime`'s load beside each.
#
#   bench/audit-scale-bench.sh               EVENTS=1000000 SINKS="file jdbc-sqlite jdbc-pg" READ_SECONDS=15
#                                            SKIP_BUILD=1 (reuse core/target from an earlier build)
set -euo pipefail
EVENTS=${EVENTS:-1000000}
SINKS=${SINKS:-file jdbc-sqlite jdbc-pg}
READ_SECONDS=${READ_SECONDS:-15}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=../scripts/java-env.sh
source "$ROOT/scripts/java-env.sh"
cd "$ROOT"
if [ -z "${SKIP_BUILD:-}" ]; then
  # package: the core tests load the plugins from the zips the reactor builds (core/target/test-plugins)
  mvn -B -ntp -q -o -DskipTests package -pl core -am >/dev/null
fi
CP_FILE=$ROOT/core/target/audit-scale-cp.txt
mvn -B -ntp -q -o dependency:build-classpath -pl core -Dmdep.includeScope=test -Dmdep.outputFile="$CP_FILE" >/dev/null
# this worktree's own modules, never a snapshot some other build left in ~/.m2
CP=$ROOT/core/target/test-classes:$ROOT/core/target/classes:$ROOT/spi/target/classes:$ROOT/spi-testkit/target/classes
for m in cli sdk/java; do [ -d "$ROOT/$m/target/classes" ] && CP=$CP:$ROOT/$m/target/classes; done
CP=$CP:$(tr ':' '\n' < "$CP_FILE" | grep -v '/dev/animavault/' | paste -sd:)
case " $SINKS " in *" jdbc-pg "*) eval "$("$ROOT/scripts/postgres.sh" env)" ;; esac
for sink in $SINKS; do
  echo "== $sink, $(uptime)"
  java --enable-native-access=ALL-UNNAMED -Xmx192m -XX:+UseSerialGC -XX:MaxDirectMemorySize=256m \
    -Danima.test.plugins="$ROOT/core/target/test-plugins" -cp "$CP" \
    dev.animavault.core.report.AuditScaleMeasurement "$EVENTS" "$sink" "$READ_SECONDS" 2>&1 \
    | grep -v '^WARNING\|^SLF4J\|^INFO\|^\s*at \|^[A-Z][a-z][a-z] [0-9][0-9], 20\| INFO '
done
echo "== done, $(uptime)"
