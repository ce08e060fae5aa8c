#!/usr/bin/env bash
# File audit sink at 10^6 events (issue 19): reopen cost and peak RSS against an empty trail, and the
# audit query for 100 events of one identity. Events are written straight through the sink (no HTTP),
# one JVM per phase (launcher limits: -Xmx192m -XX:MaxDirectMemorySize=256m), so each peak RSS is the phase's.
#
#   bench/audit-file-bench.sh            EVENTS=1000000 ROUNDS=5 BENCH_DIR=/tmp/...
set -euo pipefail
EVENTS=${EVENTS:-1000000}
ROUNDS=${ROUNDS:-5}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=../scripts/java-env.sh
source "$ROOT/scripts/java-env.sh"
WORK=${BENCH_DIR:-$(mktemp -d /tmp/audit-file-bench.XXXXXX)}
cd "$ROOT"
mvn -B -ntp -q -o test-compile -pl plugins/audit-file -am >/dev/null
CP_FILE=$WORK/cp.txt
mvn -B -ntp -q -o dependency:build-classpath -pl plugins/audit-file -Dmdep.outputFile="$CP_FILE" >/dev/null
CP=$ROOT/plugins/audit-file/target/test-classes:$ROOT/plugins/audit-file/target/classes:$ROOT/spi/target/classes:$(cat "$CP_FILE")
JAVA_OPTS="-Xmx192m -XX:MaxDirectMemorySize=256m -XX:+UseSerialGC"
run() { java $JAVA_OPTS -cp "$CP" dev.animavault.plugin.audit.file.AuditFileBench "$@"; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
mkdir -p "$WORK/empty" "$WORK/full"
[ -e "$WORK/full/audit.jsonl" ] || run gen "$WORK/full" "$EVENTS"
du -sh "$WORK/full" | sed 's/^/trail size: /'
ls "$WORK/full" | grep -c '\.jsonl$' | sed 's/^/segments: /'
for i in $(seq "$ROUNDS"); do
  run open "$WORK/empty"
  run open "$WORK/full"
done
rm -f "$WORK/full/audit.jsonl.idx"
echo "without the open segment's index (as after a crash):"
run open "$WORK/full"
run query "$WORK/full"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
[ -n "${BENCH_DIR:-}" ] || rm -rf "$WORK"
