#!/usr/bin/env bash
# Per-thread server CPU of one-connection listing runs (issue 19's walk): starts DIST on a fresh data directory,
# loads 100 identities (walk_000..walk_099) with 100 secrets each, then runs wrk with 1 thread and 1 kept-alive
# connection (SECONDS of warm-up, then SECONDS measured) for: a secret read, the same secrets page over and over
# (auth-get.lua), the same page through auth-get-paths.lua (the walk's wrk script, to rule it out), and the walk
# (the first secrets page of each walk_ identity in turn), twice each. Prints per run the p50, the server's CPU
# per request and the threads that used it (utime+stime from /proc/<pid>/task/*/stat, grouped by thread name).
#
#   bench/walk-threads.sh DIST [SECONDS]      DIST: an unpacked distribution; JOPTS: the server's JVM options
set -euo pipefail
DIST=${1:?usage: walk-threads.sh DIST [SECONDS]}; SECS=${2:-5}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=../scripts/java-env.sh
source "$ROOT/scripts/java-env.sh"
[ -f "$ROOT/bench/target/classes/dev/animavault/bench/SecretLoader.class" ] \
  || { echo "build the bench module first (mvn -pl bench -am package -DskipTests)" >&2; exit 1; }
BENCH_CP="$ROOT/bench/target/classes:$ROOT/bench/target/lib/*"
L=$ROOT/bench/lua
BENCH_NAME=walk-threads
# shellcheck source=lib.sh
source "$ROOT/bench/lib.sh"  # free_port, random_token
W=$(mktemp -d "${TMPDIR:-/tmp}/anima-walk-threads.XXXXXX")
port=$(free_port)
KEY="avk_$(random_token)"
ANIMA_VAULT_HTTP_HOST=127.0.0.1 ANIMA_VAULT_HTTP_PORT=$port ANIMA_VAULT_DATA_DIR="$W/data" ANIMA_VAULT_JAVA_OPTS="${JOPTS:-}" \
  ANIMA_VAULT_BOOTSTRAP_TOKEN="$KEY" "$DIST/bin/anima-vault" server >"$W/vault.log" 2>&1 &
VP=$!
trap 'kill -TERM $VP 2>/dev/null; wait $VP 2>/dev/null || true; rm -rf "$W"' EXIT
URL=http://127.0.0.1:$port
for _ in $(seq 600); do [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/v1/sys/health")" = 200 ] && break; sleep 0.5; done
JPID=$(pgrep -P $VP java || echo $VP)
h=(-H "Authorization: Bearer $KEY" -H 'Content-Type: application/json')
curl -sf "${h[@]}" -d '{"id":"bench_reader"}' "$URL/v1/identities" >/dev/null
curl -sf "${h[@]}" -d '{"identityId":"bench_reader","key":"K","value":"sk-0123456789abcdef0123456789abcdef","type":"api_key"}' \
  "$URL/v1/vault/secrets" >/dev/null
RT=$(curl -sf "${h[@]}" -d '{}' "$URL/v1/identities/bench_reader/tokens" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
AV_TOKEN=$KEY "$JAVA_HOME/bin/java" -cp "$BENCH_CP" dev.animavault.bench.SecretLoader "$URL" 100 walk_ 10000 16 W >"$W/loader.log" 2>&1
for ((i = 0; i < 100; i++)); do printf '/v1/vault/secrets/walk_%03d?limit=100\n' "$i"; done >"$W/walk.txt"
echo /v1/vault/secrets/walk_001?limit=100 >"$W/one.txt"
snap() {
  for t in /proc/"$JPID"/task/*; do echo "$(tr ' ' '_' <"$t/comm") $(awk '{print $14 + $15}' "$t/stat")"; done \
    | awk '{a[$1] += $2} END {for (k in a) print k, a[k]}' | sort
}
run() {  # run NAME SCRIPT PATH TOKEN [PATHS_FILE]
  AV_TOKEN=$4 AV_PATHS=${5:-} wrk -t1 -c1 -d"${SECS}s" -s "$2" "$URL$3" >/dev/null
  snap >"$W/before"; t0=$(awk '{print $14 + $15}' "/proc/$JPID/stat")
  out=$(AV_TOKEN=$4 AV_PATHS=${5:-} wrk -t1 -c1 -d"${SECS}s" --latency -s "$2" "$URL$3")
  t1=$(awk '{print $14 + $15}' "/proc/$JPID/stat"); snap >"$W/after"
  n=$(awk '/ requests in / {print $1}' <<<"$out"); p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  hz=$(getconf CLK_TCK)
  awk -v n="$n" -v t=$((t1 - t0)) -v hz="$hz" -v name="$1" -v p="$p50" \
    'BEGIN {printf "== %s: %d requests, p50 %s, server CPU %.1f us/request\n", name, n, p, t * 1e6 / hz / n}'
  join "$W/before" "$W/after" | awk -v n="$n" -v hz="$hz" '{d = $3 - $2; if (d > 0) printf "   %-20s %8.1f us/request\n", $1, d * 1e6 / hz / n}' \
    | sort -k2 -nr | head -5
}
for _ in 1 2; do
  run read "$L/auth-get.lua" /v1/vault/secrets/bench_reader/K "$RT"
  run "page (same page)" "$L/auth-get.lua" "/v1/vault/secrets/walk_001?limit=100" "$KEY"
  run "page via auth-get-paths.lua" "$L/auth-get-paths.lua" / "$KEY" "$W/one.txt"
  run "walk (100 identities' first pages)" "$L/auth-get-paths.lua" / "$KEY" "$W/walk.txt"
done
