#!/usr/bin/env bash
# Secret read latency while the keyring's re-encryption job runs, against the same reads without it, on
# loopback (issue 14: "10^5 secrets re-encrypted while reads run, read p99 within 2x").
#
#   bench/keyring-bench.sh        (knobs below as environment variables)
#
# 1. starts the packaged vault (SQLite + audit file) with vault.keyring.job.rate = JOB_RATE;
# 2. stores LOAD_SECRETS (100,000) secrets over IDENTITIES identities (bench SecretLoader);
# 3. reads one secret with an identity token for DURATION seconds (wrk): the baseline;
# 4. rotates the data key (POST /v1/sys/keyring/rotate), waits for the job to start, reads for DURATION
#    seconds again while it runs, and records how far the job got;
# 5. waits for the job to finish (unless WAIT_DONE=0) and prints the numbers and the ratio of the p99s.
set -euo pipefail

DURATION=${DURATION:-30}
WARMUP=${WARMUP:-30}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
LOAD_SECRETS=${LOAD_SECRETS:-100000}
LOAD_CLIENTS=${LOAD_CLIENTS:-32}
IDENTITIES=${IDENTITIES:-100}
JOB_RATE=${JOB_RATE:-500}          # versions re-encrypted per second (vault.keyring.job.rate, the default)
WAIT_DONE=${WAIT_DONE:-1}
BENCH_KEEP=${BENCH_KEEP:-0}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
BENCH=$ROOT/bench
# shellcheck source=../scripts/java-env.sh
source "$ROOT/scripts/java-env.sh"
BENCH_NAME=keyring-bench
# shellcheck source=lib.sh
source "$BENCH/lib.sh"
require_uint DURATION WARMUP THREADS CONNECTIONS LOAD_SECRETS LOAD_CLIENTS IDENTITIES JOB_RATE
command -v wrk >/dev/null || die "wrk not found: apt-get install -y wrk"

find_dist
[ -d "$BENCH/target/lib" ] || die "no bench module build: mvn -pl bench package"
BENCH_CP="$BENCH/target/classes:$BENCH/target/lib/*"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/anima-keyring-bench.XXXXXX")
chmod 700 "$WORK"
VAULT_PID=""
cleanup() {
  if [ -n "$VAULT_PID" ] && kill -0 "$VAULT_PID" 2>/dev/null; then
    kill -TERM "$VAULT_PID" 2>/dev/null || true
    wait "$VAULT_PID" 2>/dev/null || true
  fi
  if [ "$BENCH_KEEP" = 1 ]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

VAULT_PORT=$(free_port)
VAULT_URL="http://127.0.0.1:$VAULT_PORT"
ORG_KEY="avk_$(random_token)"
(umask 077 && printf 'Authorization: Bearer %s\n' "$ORG_KEY" >"$WORK/org.header")
cat >"$WORK/anima-vault.yaml" <<EOF
vault:
  keyring:
    job: {rate: $JOB_RATE}
EOF
log "starting the vault on $VAULT_URL (re-encryption rate $JOB_RATE/s)"
ANIMA_VAULT_CONFIG="$WORK/anima-vault.yaml" ANIMA_VAULT_HTTP_HOST=127.0.0.1 ANIMA_VAULT_HTTP_PORT=$VAULT_PORT \
  ANIMA_VAULT_DATA_DIR="$WORK/data" ANIMA_VAULT_BOOTSTRAP_TOKEN="$ORG_KEY" \
  "$DIST/bin/anima-vault" server >"$WORK/vault.log" 2>&1 &
VAULT_PID=$!
for ((i = 0; i < 600; i++)); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$VAULT_URL/v1/sys/health" || true)" = 200 ] && break
  kill -0 "$VAULT_PID" 2>/dev/null || { tail -n 40 "$WORK/vault.log" >&2; die "the vault exited"; }
  sleep 0.1
done

api POST /v1/identities "$WORK/org.header" '{"id":"bench_reader"}'
expect 201 "create identity"
api POST /v1/vault/secrets "$WORK/org.header" \
  "{\"identityId\":\"bench_reader\",\"key\":\"OPENAI_API_KEY\",\"value\":\"sk-proj-$(random_token)\",\"type\":\"api_key\"}"
expect 201 "store the read secret"
api POST /v1/identities/bench_reader/tokens "$WORK/org.header" '{}'
expect 201 "issue identity token"
AGENT_TOKEN=$(json_field token "$API_BODY")
READ_PATH=/v1/vault/secrets/bench_reader/OPENAI_API_KEY

log "storing $LOAD_SECRETS secrets"
AV_TOKEN=$ORG_KEY "$JAVA_HOME/bin/java" -cp "$BENCH_CP" dev.animavault.bench.SecretLoader \
  "$VAULT_URL" "$IDENTITIES" bench_ "$LOAD_SECRETS" "$LOAD_CLIENTS" LOAD >>"$WORK/loader.log" 2>&1 \
  || { tail -n 20 "$WORK/loader.log" >&2; die "loading secrets failed"; }
log "$(grep '^stored=' "$WORK/loader.log" | tail -n1)"

run_read() {  # run_read SECONDS -> "req_per_s p50_ms p99_ms non2xx"
  local out
  out=$(AV_TOKEN=$AGENT_TOKEN wrk -t"$THREADS" -c"$CONNECTIONS" -d"${1}s" --timeout 10s --latency \
    -s "$BENCH/lua/auth-get.lua" "$VAULT_URL$READ_PATH")
  printf '%s\n\n' "$out" >>"$WORK/wrk.txt"
  echo "$(awk '/^Requests\/sec:/ {print $2}' <<<"$out") $(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")") \
$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")") $(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")"
}

log "warm-up ${WARMUP}s"
run_read "$WARMUP" >/dev/null
read -r BASE_RPS BASE_P50 BASE_P99 BASE_BAD <<<"$(run_read "$DURATION")"
log "baseline: $BASE_RPS req/s, p50 $BASE_P50 ms, p99 $BASE_P99 ms"

api POST /v1/sys/keyring/rotate "$WORK/org.header" '{"key":"data"}'
expect 200 "rotate the keyring"
for ((i = 0; i < 600; i++)); do
  api GET /v1/sys/keyring "$WORK/org.header"
  grep -q '"state":"running"' <<<"$API_BODY" && break
  sleep 0.1
done
grep -q '"state":"running"' <<<"$API_BODY" || die "the job did not start: $API_BODY"
START_DONE=$(sed -n 's/.*"reencryption":{[^}]*"done":\([0-9]*\).*/\1/p' <<<"$API_BODY")
read -r JOB_RPS JOB_P50 JOB_P99 JOB_BAD <<<"$(run_read "$DURATION")"
api GET /v1/sys/keyring "$WORK/org.header"
END_DONE=$(sed -n 's/.*"reencryption":{[^}]*"done":\([0-9]*\).*/\1/p' <<<"$API_BODY")
END_STATE=$(sed -n 's/.*"reencryption":{"state":"\([a-z]*\)".*/\1/p' <<<"$API_BODY")
log "during re-encryption: $JOB_RPS req/s, p50 $JOB_P50 ms, p99 $JOB_P99 ms; job $START_DONE -> $END_DONE secrets ($END_STATE)"

JOB_SECONDS="-"
if [ "$WAIT_DONE" = 1 ]; then
  start=$(date +%s)
  while ! grep -q '"state":"done"' <<<"$API_BODY"; do
    sleep 2
    api GET /v1/sys/keyring "$WORK/org.header"
  done
  JOB_SECONDS=$(($(date +%s) - start))
  log "job done $JOB_SECONDS s after the measured window: $(sed -n 's/.*"reencryption":\({[^}]*}\).*/\1/p' <<<"$API_BODY")"
fi

mkdir -p "$BENCH/results"
RATIO=$(awk -v a="$JOB_P99" -v b="$BASE_P99" 'BEGIN {printf "%.2f", (b > 0) ? a / b : 0}')
{
  echo "keyring re-encryption vs reads ($(date -u +%FT%TZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
  echo "  secrets stored: $((LOAD_SECRETS + 1)); job rate limit: $JOB_RATE versions/s; wrk -t$THREADS -c$CONNECTIONS ${DURATION}s"
  echo "  reads without the job: $BASE_RPS req/s, p50 $BASE_P50 ms, p99 $BASE_P99 ms (non-2xx: ${BASE_BAD:-0})"
  echo "  reads during the job:  $JOB_RPS req/s, p50 $JOB_P50 ms, p99 $JOB_P99 ms (non-2xx: ${JOB_BAD:-0})"
  echo "  job progress in the window: $START_DONE -> $END_DONE secrets; finished ${JOB_SECONDS}s after it"
  echo "  p99 during / without: ${RATIO}x (target <= 2x)"
} | tee -a "$BENCH/results/keyring-$(date -u +%Y%m%dT%H%M%SZ).txt"
