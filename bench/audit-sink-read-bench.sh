#!/usr/bin/env bash
# Read throughput cost of each queryable audit sink (issue 15): bench/http-bench.sh's secret reads (wrk on
# loopback against the packaged server, alternating with the bare Helidon handler) with the vault's only
# audit sink being, in turn, the file sink, audit-jdbc on SQLite and audit-jdbc on PostgreSQL (a fresh
# schema of the server named by scripts/postgres.sh, dropped after). Prints each sink's requests/s, its
# ratio to the bare handler measured in the same run, and both as ratios against the file sink.
#
#   bench/audit-sink-read-bench.sh     SINKS="file jdbc-sqlite jdbc-pg" ROUNDS=1 WARMUP=30 DURATION=10
set -euo pipefail
SINKS=${SINKS:-file jdbc-sqlite jdbc-pg}
export ROUNDS=${ROUNDS:-1} WARMUP=${WARMUP:-30} DURATION=${DURATION:-10} PARTS=reads
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
WORK=$(mktemp -d /tmp/audit-sink-read-bench.XXXXXX)
SCHEMA=i15_readbench_$(date +%s)_$$
pgsql() {
  PGPASSWORD=$ANIMA_TEST_PG_PASSWORD PGOPTIONS="-c client_min_messages=warning" psql "${ANIMA_TEST_PG_URL#jdbc:}" -U "$ANIMA_TEST_PG_USER" -qAtc "$1"
}
cleanup() {
  if [ -n "${ANIMA_TEST_PG_URL:-}" ]; then pgsql "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
case " $SINKS " in *" jdbc-pg "*) eval "$("$ROOT/scripts/postgres.sh" env)"; pgsql "CREATE SCHEMA $SCHEMA" ;; esac
declare -A RPS BARE
for sink in $SINKS; do
  case $sink in
    file) audit='{type: file, config: {path: audit/audit.jsonl}}' ;;
    jdbc-sqlite) audit='{type: jdbc, config: {}}' ;;
    jdbc-pg) audit="{type: jdbc, config: {url: \"$ANIMA_TEST_PG_URL?currentSchema=$SCHEMA\", username: \"$ANIMA_TEST_PG_USER\", password: \"\${env:ANIMA_TEST_PG_PASSWORD}\"}}" ;;
    *) echo "unknown sink $sink" >&2; exit 2 ;;
  esac
  printf 'vault:\n  audit:\n    - %s\n' "$audit" >"$WORK/$sink.yaml"
  echo "== $sink: $(uptime)"
  BENCH_VAULT_CONFIG="$WORK/$sink.yaml" "$ROOT/bench/http-bench.sh" >"$WORK/$sink.out" 2>"$WORK/$sink.log" \
    || { tail -20 "$WORK/$sink.log" >&2; exit 1; }
  grep -E '^load average|^  mean|^  1 ' "$WORK/$sink.out" | sed 's/^/   /'
  read -r _ RPS[$sink] _ _ _ _ BARE[$sink] _ < <(grep -E '^  mean' "$WORK/$sink.out")
done
echo "== ratios against the file sink (req/s; req/s divided by the bare handler's in the same run)"
for sink in $SINKS; do
  awk -v s="$sink" -v r="${RPS[$sink]}" -v b="${BARE[$sink]}" -v fr="${RPS[file]:-0}" -v fb="${BARE[file]:-0}" \
    'BEGIN { n = r / b; f = (fb > 0 ? fr / fb : 0);
             printf "   %-12s %8.0f req/s (bare %8.0f, vault/bare %.2f)  vs file: %s, normalized %s\n", s, r, b, n,
                    (fr > 0 ? sprintf("%.2fx", r / fr) : "-"), (f > 0 ? sprintf("%.2fx", n / f) : "-") }'
done
echo "== done: $(uptime)"
