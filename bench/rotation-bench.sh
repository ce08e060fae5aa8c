#!/usr/bin/env bash
# The rotation scheduler's cost on the secret read path: read throughput and p99 of a vault holding
# ROTATING_SECRETS (100,000) secrets with rotation policies against an identical vault without any, in
# one run, on loopback.
#
#   bench/rotation-bench.sh      (see bench/README.md; knobs below as environment variables)
#
# 1. starts two packaged servers (distribution/target/anima-vault-<version>/bin/anima-vault server), each on
#    a fresh SQLite data directory, with the rotation engine enabled and the default 5 s poll interval;
# 2. in both: identity bench_reader, one secret OPENAI_API_KEY and its identity token (what is read);
# 3. in "rotating" only: ROTATING_SECRETS secrets with a policy {interval: 30d, webhookUrl: a loopback
#    port nobody listens on (allow-listed), mode: notify}: the schedule holds 10^5 entries, none due, so
#    every poll reads the head of the schedule, as in steady state;
# 4. drives both alternately with wrk (ROUNDS x DURATION s, THREADS, CONNECTIONS) and prints requests/s,
#    p99 and server CPU per request per round, their means and the ratios rotating/plain.
# Run it on an otherwise idle machine: it loads both CPUs. Not part of the test suite.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-40}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
ROTATING_SECRETS=${ROTATING_SECRETS:-100000}
LOAD_CLIENTS=${LOAD_CLIENTS:-32}
IDENTITIES=${IDENTITIES:-100}
BENCH_JAVA_OPTS=${BENCH_JAVA_OPTS:-}
BENCH_KEEP=${BENCH_KEEP:-0}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
BENCH=$ROOT/bench
# shellcheck source=../scripts/java-env.sh
source "$ROOT/scripts/java-env.sh"
BENCH_NAME=rotation-bench
# shellcheck source=lib.sh
source "$BENCH/lib.sh"
require_uint ROUNDS DURATION WARMUP THREADS CONNECTIONS ROTATING_SECRETS LOAD_CLIENTS IDENTITIES
command -v wrk >/dev/null || die "wrk not found: apt-get install -y wrk"
command -v curl >/dev/null || die "curl not found"

find_dist
[ -d "$BENCH/target/lib" ] || die "bench module not built: mvn -B -pl distribution,bench -am package -DskipTests"
BENCH_CP="$BENCH/target/classes:$BENCH/target/lib/*"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/anima-rotation-bench.XXXXXX")
chmod 700 "$WORK"
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "$BENCH_KEEP" = 1 ]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ORG_KEY="avk_$(random_token)"
(umask 077 && printf 'Authorization: Bearer %s\n' "$ORG_KEY" >"$WORK/org.header")
DEAD_PORT=$(free_port)   # the webhook URL: nothing listens (nothing is due during the run anyway)

# start NAME -> sets URL_<NAME>, PID_<NAME>
start() {
  local name=$1 port url i
  port=$(free_port)
  url="http://127.0.0.1:$port"
  mkdir -p "$WORK/$name"
  cat >"$WORK/$name/anima-vault.yaml" <<YAML
vault:
  egress:
    allow: [127.0.0.1]
  rotation:
    enabled: true
YAML
  ANIMA_VAULT_CONFIG="$WORK/$name/anima-vault.yaml" ANIMA_VAULT_HTTP_HOST=127.0.0.1 ANIMA_VAULT_HTTP_PORT=$port \
    ANIMA_VAULT_DATA_DIR="$WORK/$name/data" ANIMA_VAULT_BOOTSTRAP_TOKEN="$ORG_KEY" \
    ANIMA_VAULT_JAVA_OPTS="$BENCH_JAVA_OPTS" "$DIST/bin/anima-vault" server >"$WORK/$name/vault.log" 2>&1 &
  PIDS+=($!)
  printf -v "PID_$name" '%s' $!
  printf -v "URL_$name" '%s' "$url"
  for ((i = 0; i < 600; i++)); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url/v1/sys/health" || true)" = 200 ] && return 0
    sleep 0.1
  done
  tail -n 40 "$WORK/$name/vault.log" >&2
  die "$name did not become healthy"
}

# prepare NAME: the reader identity, its secret and token (written to $WORK/NAME/agent.header)
prepare() {
  local url=$1 dir=$2 body token
  curl -fsS -H "@$WORK/org.header" -H 'Content-Type: application/json' -d '{"id":"bench_reader"}' \
    "$url/v1/identities" >/dev/null
  curl -fsS -H "@$WORK/org.header" -H 'Content-Type: application/json' \
    -d "{\"identityId\":\"bench_reader\",\"key\":\"OPENAI_API_KEY\",\"value\":\"sk-proj-$(random_token)\",\"type\":\"api_key\"}" \
    "$url/v1/vault/secrets" >/dev/null
  body=$(curl -fsS -X POST -H "@$WORK/org.header" -H 'Content-Type: application/json' -d '{}' \
    "$url/v1/identities/bench_reader/tokens")
  token=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' <<<"$body")
  [ -n "$token" ] || die "no identity token from $url"
  (umask 077 && printf '%s' "$token" >"$dir/agent.token")
}

start plain
start rotating
prepare "$URL_plain" "$WORK/plain"
prepare "$URL_rotating" "$WORK/rotating"
log "plain on $URL_plain (pid $PID_plain), rotating on $URL_rotating (pid $PID_rotating)"

log "storing $ROTATING_SECRETS secrets with rotation policies in 'rotating' ($LOAD_CLIENTS clients)"
AV_TOKEN=$ORG_KEY "$JAVA_HOME/bin/java" -cp "$BENCH_CP" dev.animavault.bench.SecretLoader \
  "$URL_rotating" "$IDENTITIES" bench_ 0 4 UNUSED >>"$WORK/loader.log" 2>&1 \
  || { cat "$WORK/loader.log" >&2; die "creating identities failed"; }
AV_TOKEN=$ORG_KEY AV_ROTATION="{\"interval\":\"30d\",\"mode\":\"notify\",\"webhookUrl\":\"http://127.0.0.1:$DEAD_PORT/hook\"}" \
  "$JAVA_HOME/bin/java" -cp "$BENCH_CP" dev.animavault.bench.SecretLoader \
  "$URL_rotating" "$IDENTITIES" bench_ "$ROTATING_SECRETS" "$LOAD_CLIENTS" ROT >>"$WORK/loader.log" 2>&1 \
  || { tail -n 20 "$WORK/loader.log" >&2; die "loading rotating secrets failed"; }
grep '^stored=' "$WORK/loader.log" | tail -n1 >&2
SCHEDULED=$(curl -fsS -H "@$WORK/org.header" "$URL_rotating/v1/vault/secrets/bench_000?limit=1" \
  | grep -c '"nextRotationAt"' || true)
[ "$SCHEDULED" -ge 1 ] || die "the loaded secrets carry no rotation policy"

CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# read NAME SECONDS -> "rps p99_ms cpu_us_per_request"
read_run() {
  local name=$1 seconds=$2 url pid out before after requests
  url=URL_$name; pid=PID_$name
  before=$(cpu_ticks "${!pid}")
  out=$(AV_TOKEN=$(cat "$WORK/$name/agent.token") wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" --timeout 10s \
    --latency -s "$BENCH/lua/auth-get.lua" "${!url}/v1/vault/secrets/bench_reader/OPENAI_API_KEY")
  after=$(cpu_ticks "${!pid}")
  printf '### %s, %ss\n%s\n\n' "$name" "$seconds" "$out" >>"$WORK/wrk.txt"
  grep -q 'Non-2xx' <<<"$out" && die "$name answered non-2xx: $out"
  requests=$(awk '/ requests in / {print $1}' <<<"$out")
  echo "$(awk '/^Requests\/sec:/ {print $2}' <<<"$out") $(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")" \
    "$(awk -v t=$((after - before)) -v hz="$CLK_TCK" -v n="${requests:-0}" 'BEGIN {printf "%.1f", (n > 0 ? t * 1e6 / hz / n : 0)}')"
}

log "warming up both for ${WARMUP}s each"
read_run plain "$WARMUP" >/dev/null
read_run rotating "$WARMUP" >/dev/null
declare -a P_RPS P_P99 P_CPU R_RPS R_P99 R_CPU
for ((r = 1; r <= ROUNDS; r++)); do
  read -r a b c <<<"$(read_run plain "$DURATION")"; P_RPS+=("$a"); P_P99+=("$b"); P_CPU+=("$c")
  read -r a b c <<<"$(read_run rotating "$DURATION")"; R_RPS+=("$a"); R_P99+=("$b"); R_CPU+=("$c")
  log "round $r: plain ${P_RPS[-1]} req/s p99 ${P_P99[-1]} ms ${P_CPU[-1]} us CPU/req | rotating ${R_RPS[-1]} req/s p99 ${R_P99[-1]} ms ${R_CPU[-1]} us CPU/req"
done
mean() { printf '%s\n' "$@" | awk '{s += $1} END {printf "%.2f", s / NR}'; }
# parenthesized: awk reads an unparenthesized "printf ..., b > 0 ..." as output redirected to a file named 0
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", (b > 0 ? a / b : 0)}'; }
MP=$(mean "${P_RPS[@]}"); MR=$(mean "${R_RPS[@]}")
PP=$(mean "${P_P99[@]}"); PR=$(mean "${R_P99[@]}")
CP=$(mean "${P_CPU[@]}"); CR=$(mean "${R_CPU[@]}")
mkdir -p "$BENCH/results"
OUT="$BENCH/results/rotation-$(date +%Y%m%d-%H%M%S).txt"
{
  echo "rotation scheduler cost on reads ($ROUNDS x ${DURATION}s, $THREADS threads, $CONNECTIONS connections, load at end $(cut -d' ' -f1-3 /proc/loadavg))"
  echo "                 plain (0 policies)   rotating ($ROTATING_SECRETS policies)   rotating/plain"
  echo "requests/s       $MP                  $MR                  $(ratio "$MR" "$MP")"
  echo "p99 ms           $PP                  $PR                  $(ratio "$PR" "$PP")"
  echo "CPU us/request   $CP                  $CR                  $(ratio "$CR" "$CP")"
} | tee "$OUT"
