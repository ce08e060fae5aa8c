#!/usr/bin/env bash
# Issue 17 closing numbers: secret reads/s and writes/s on SQLite (one node) vs PostgreSQL (one node,
# then two nodes on one database), measured in one run on this machine. Needs wrk and curl; starts a
# throwaway PostgreSQL (scripts/postgres.sh with its own directory and port) and the packaged server;
# everything on 127.0.0.1. About 3-4 minutes. Environment: DURATION (8 s per wrk run), WARMUP (3 s),
# CONNECTIONS (16 in total, split over the nodes). Prints a table; nothing is kept.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
source scripts/java-env.sh
DURATION=${DURATION:-8}
WARMUP=${WARMUP:-3}
CONNECTIONS=${CONNECTIONS:-16}
command -v wrk >/dev/null || { echo "wrk not found (apt-get install -y wrk)" >&2; exit 1; }
BENCH_NAME=cluster-bench
# shellcheck source=lib.sh
source bench/lib.sh  # free_port, log, die

DIST=""
for d in distribution/target/anima-vault-*/; do [ -x "$d/bin/anima-vault" ] && DIST=${d%/}; done
if [ -z "$DIST" ]; then
  mvn -B -q -pl distribution -am package -DskipTests
  for d in distribution/target/anima-vault-*/; do [ -x "$d/bin/anima-vault" ] && DIST=${d%/}; done
fi

WORK=$(mktemp -d /tmp/anima-cluster-bench.XXXXXX)
chmod 755 "$WORK"
export ANIMA_PG_DIR="$WORK/pg"
export ANIMA_PG_PORT=$(free_port)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  scripts/postgres.sh destroy >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

export ANIMA_VAULT_ROOT_KEY=$(head -c 32 /dev/urandom | base64)
OWNER=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export ANIMA_VAULT_BOOTSTRAP_TOKEN=$OWNER

# start_node NAME CONFIG: starts a node and sets NODE_PORT to its port. Runs in this shell, not in a command
# substitution: a $(start_node ...) subshell kept the node's pid out of PIDS, so the nodes outlived the bench.
start_node() {
  local dir="$WORK/$1" port
  port=$(free_port)
  mkdir -p "$dir/plugins"
  cp "$DIST"/plugins/*.zip "$dir/plugins/"
  ANIMA_VAULT_CONFIG="$2" ANIMA_VAULT_DATA_DIR="$dir/data" ANIMA_VAULT_PLUGINS_DIR="$dir/plugins" \
    ANIMA_VAULT_HTTP_PORT="$port" "$DIST/bin/anima-vault" server >"$dir/server.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 240); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/v1/sys/health" 2>/dev/null && { NODE_PORT=$port; return 0; }
    sleep 0.5
  done
  tail -n 30 "$dir/server.log" >&2
  exit 1
}
stop_nodes() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
}

api() { curl -sS -X "$1" -H "Authorization: Bearer $OWNER" -H 'Content-Type: application/json' \
  ${3:+--data-binary "$3"} "http://127.0.0.1:$PORT1$2"; }

# prepare: 10 identities, a secret to read, an identity token for it (on the first node)
prepare() {
  for i in $(seq -w 0 9); do api POST /v1/identities "{\"id\":\"bench_00$i\"}" >/dev/null; done
  api POST /v1/vault/secrets '{"identityId":"bench_000","key":"READ_KEY","value":"sk-bench-0123456789abcdef0123456789abcdef"}' >/dev/null
  READER=$(api POST /v1/identities/bench_000/tokens '{}' | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
  [ -n "$READER" ] || { echo "no reader token" >&2; exit 1; }
}

# rate KIND PORT... : requests/s summed over the nodes, wrk on all of them at once
rate() {
  local kind=$1; shift
  local n=$# c=$((CONNECTIONS / $#)) outs=() i=0 total=0 port
  [ "$c" -ge 1 ] || c=1
  for phase in warm measure; do
    local secs=$([ "$phase" = warm ] && echo "$WARMUP" || echo "$DURATION")
    outs=(); i=0
    for port in "$@"; do
      i=$((i + 1))
      if [ "$kind" = read ]; then
        AV_TOKEN=$READER wrk -t1 -c"$c" -d"${secs}s" --timeout 10s -s bench/lua/auth-get.lua \
          "http://127.0.0.1:$port/v1/vault/secrets/bench_000/READ_KEY" >"$WORK/wrk-$i.txt" 2>&1 &
      else
        AV_TOKEN=$OWNER AV_KEY_PREFIX="${phase}_${RANDOM}_$i" AV_IDENTITY_PREFIX=bench_ AV_IDENTITIES=10 \
          wrk -t1 -c"$c" -d"${secs}s" --timeout 10s -s bench/lua/write-secrets.lua \
          "http://127.0.0.1:$port" >"$WORK/wrk-$i.txt" 2>&1 &
      fi
      outs+=($!)
    done
    for p in "${outs[@]}"; do wait "$p"; done
  done
  for i in $(seq 1 "$n"); do
    total=$(awk -v t="$total" '/^Requests\/sec:/ {printf "%.0f", t + $2}' "$WORK/wrk-$i.txt")
    grep -q "Non-2xx" "$WORK/wrk-$i.txt" && log "non-2xx answers in a $kind run: $(grep Non-2xx "$WORK/wrk-$i.txt")"
  done
  echo "$total"
}

cat >"$WORK/sqlite.yaml" <<YAML
server: {host: 127.0.0.1, port: 8200}
vault:
  storage: {type: jdbc, config: {}}
  audit: [{type: file, config: {path: audit/audit.jsonl}}]
  credential-types: [api_key]
YAML
log "SQLite, one node"
start_node sqlite "$WORK/sqlite.yaml"; PORT1=$NODE_PORT
prepare
SQ_R=$(rate read "$PORT1"); SQ_W=$(rate write "$PORT1")
stop_nodes

scripts/postgres.sh start >/dev/null 2>&1
eval "$(scripts/postgres.sh env)"
cat >"$WORK/pg.yaml" <<YAML
server: {host: 127.0.0.1, port: 8200}
vault:
  storage:
    type: jdbc
    config: {url: "$ANIMA_TEST_PG_URL", username: "$ANIMA_TEST_PG_USER", password: "$ANIMA_TEST_PG_PASSWORD",
             max-pool-size: 16, connection-timeout: 2s}
  audit: [{type: file, config: {path: audit/audit.jsonl}}]
  credential-types: [api_key]
YAML
log "PostgreSQL, one node"
start_node pg-a "$WORK/pg.yaml"; PORT1=$NODE_PORT
prepare
PG1_R=$(rate read "$PORT1"); PG1_W=$(rate write "$PORT1")
log "PostgreSQL, two nodes"
start_node pg-b "$WORK/pg.yaml"; PORT2=$NODE_PORT
PG2_R=$(rate read "$PORT1" "$PORT2"); PG2_W=$(rate write "$PORT1" "$PORT2")
stop_nodes

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
echo
echo "Secret reads/s and writes/s, $CONNECTIONS connections in total, ${DURATION}s per run after ${WARMUP}s warm-up,"
echo "$(nproc) cores, load at the end $(cut -d' ' -f1-3 /proc/loadavg) (everything on this one machine)"
printf '%-26s %10s %10s %12s %12s\n' setup "reads/s" "writes/s" "reads vs SQ" "writes vs SQ"
printf '%-26s %10s %10s %12s %12s\n' "SQLite, 1 node" "$SQ_R" "$SQ_W" 1.00 1.00
printf '%-26s %10s %10s %12s %12s\n' "PostgreSQL, 1 node" "$PG1_R" "$PG1_W" "$(ratio "$PG1_R" "$SQ_R")" "$(ratio "$PG1_W" "$SQ_W")"
printf '%-26s %10s %10s %12s %12s\n' "PostgreSQL, 2 nodes" "$PG2_R" "$PG2_W" "$(ratio "$PG2_R" "$SQ_R")" "$(ratio "$PG2_W" "$SQ_W")"
