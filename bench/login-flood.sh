#!/usr/bin/env bash
# Secret-read p99 while 200 concurrent clients flood POST /v1/auth/login with wrong passwords (issue 13).
#
#   bench/login-flood.sh        (knobs below as environment variables; see bench/README.md)
#
# 1. starts the packaged server (SQLite + audit file, fresh data directory) with vault.admin's default
#    Argon2id parameters (OWASP: 19 MiB, t=2, p=1) and, unless THROTTLE=1, the per-address and
#    per-account login throttle raised out of the way, so every flood request reaches Argon2id (the worst
#    case for the CPU: only the verification limit protects the read path);
# 2. an identity with one secret and its token; warm-up;
# 3. ROUNDS alternating pairs: secret reads alone (wrk, CONNECTIONS connections, DURATION s, --latency),
#    then the same reads while wrk keeps FLOOD (200) connections posting wrong-password logins;
# 4. prints each run's reads/s, p99 and the server's CPU (ms per second), the median p99s and their ratio
#    (target <= 2x), what the logins got, and writes it to bench/results/login-flood-<timestamp>.txt.
set -euo pipefail

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-20}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
FLOOD=${FLOOD:-200}
THROTTLE=${THROTTLE:-0}           # 1 keeps the default throttle (most flood requests then end in a cheap 429)
CONTROL=${CONTROL:-0}             # 1 floods secret reads with an unknown bearer token instead (a baseline flood that
                                  # never reaches the admin code: the existing per-address 401/429 throttle)
BENCH_JAVA_OPTS=${BENCH_JAVA_OPTS:-}
HASH_NICE=${HASH_NICE:-0}         # 1 sets vault.admin.hash-threads-low-priority (Argon2id threads at nice 19, Linux)
BENCH_DIST=${BENCH_DIST:-}        # an unpacked distribution to run instead of distribution/target's (A/B of two builds)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
BENCH=$ROOT/bench
# shellcheck source=../scripts/java-env.sh
source "$ROOT/scripts/java-env.sh"
BENCH_NAME=login-flood
# shellcheck source=lib.sh
source "$BENCH/lib.sh"
for n in DURATION ROUNDS WARMUP THREADS CONNECTIONS FLOOD; do
  [[ ${!n} =~ ^[0-9]+$ ]] && [ "${!n}" -ge 1 ] || die "$n must be a positive integer, got '${!n}'"
done
command -v wrk >/dev/null || die "wrk not found: apt-get install -y wrk"
command -v curl >/dev/null || die "curl not found"

find_dist build

WORK=$(mktemp -d "${TMPDIR:-/tmp}/anima-login-flood.XXXXXX")
chmod 700 "$WORK"
VAULT_PID=""
cleanup() {
  if [ -n "$VAULT_PID" ] && kill -0 "$VAULT_PID" 2>/dev/null; then
    kill -TERM "$VAULT_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$VAULT_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$VAULT_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat >"$WORK/vault.yaml" <<YAML
vault:
  admin:
    $( [ "$THROTTLE" = 1 ] && echo "mfa-required: true" || echo "address-failures-before-delay: 1000000000" )
    $( [ "$THROTTLE" = 1 ] && echo "challenge-ttl: 5m" || echo "account-failures-before-delay: 1000000000" )
    $( [ "$HASH_NICE" = 1 ] && echo "hash-threads-low-priority: true" || true )
YAML

VAULT_PORT=$(free_port)
VAULT_URL="http://127.0.0.1:$VAULT_PORT"
ORG_KEY="avk_$(random_token)"
(umask 077 && printf 'Authorization: Bearer %s\n' "$ORG_KEY" >"$WORK/org.header")
log "starting $DIST/bin/anima-vault server on $VAULT_URL"
ANIMA_VAULT_CONFIG="$WORK/vault.yaml" ANIMA_VAULT_HTTP_HOST=127.0.0.1 ANIMA_VAULT_HTTP_PORT=$VAULT_PORT \
  ANIMA_VAULT_DATA_DIR="$WORK/data" ANIMA_VAULT_BOOTSTRAP_TOKEN="$ORG_KEY" \
  ANIMA_VAULT_JAVA_OPTS="$BENCH_JAVA_OPTS" "$DIST/bin/anima-vault" server >"$WORK/vault.log" 2>&1 &
VAULT_PID=$!
for i in $(seq 1 600); do
  kill -0 "$VAULT_PID" 2>/dev/null || { tail -n 40 "$WORK/vault.log" >&2; die "the server exited"; }
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$VAULT_URL/v1/sys/health" || true)" = 200 ] && break
  sleep 0.1
  [ "$i" = 600 ] && die "not healthy within 60 s"
done

api POST /v1/identities "$WORK/org.header" '{"id":"bench_reader"}'
expect 201 "create identity"
api POST /v1/vault/secrets "$WORK/org.header" \
  "{\"identityId\":\"bench_reader\",\"key\":\"OPENAI_API_KEY\",\"value\":\"sk-proj-$(random_token)\",\"type\":\"api_key\"}"
expect 201 "store a secret"
api POST /v1/identities/bench_reader/tokens "$WORK/org.header" '{}'
expect 201 "issue identity token"
AGENT_TOKEN=$(json_field token "$API_BODY")
API_BODY=""
READ_URL="$VAULT_URL/v1/vault/secrets/bench_reader/OPENAI_API_KEY"
api POST /v1/admins "$WORK/org.header" '{"username":"real-admin","password":"a long enough passphrase","role":"owner"}'
expect 201 "create an admin"

CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime of the server process

reads() {  # reads SECONDS -> "rps p99_ms non2xx server_cpu_ms_per_s"
  local out before after
  before=$(cpu_ticks "$VAULT_PID")
  out=$(AV_TOKEN=$AGENT_TOKEN wrk -t"$THREADS" -c"$CONNECTIONS" -d"$1s" --timeout 10s --latency \
    -s "$BENCH/lua/auth-get.lua" "$READ_URL")
  after=$(cpu_ticks "$VAULT_PID")
  printf '### reads %ss\n%s\n\n' "$1" "$out" >>"$WORK/wrk.txt"
  echo "$(awk '/^Requests\/sec:/ {print $2}' <<<"$out") $(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")") \
$(awk '/Non-2xx or 3xx responses:/ {n = $5} END {print n + 0}' <<<"$out") \
$(awk -v t=$((after - before)) -v hz="$CLK_TCK" -v s="$1" 'BEGIN {printf "%.0f", t * 1000 / hz / s}')"
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

log "warm-up: ${WARMUP}s of reads and a short login flood"
reads "$WARMUP" >/dev/null
wrk -t"$THREADS" -c"$FLOOD" -d5s --timeout 10s -s "$BENCH/lua/login-flood.lua" "$VAULT_URL" >/dev/null 2>&1 || true
sleep 3

# Alternating rounds: the machine's own load drifts, so each loaded run sits next to an unloaded one.
U_P99S=""; L_P99S=""; U_RPSS=""; L_RPSS=""; U_CPUS=""; L_CPUS=""; ROWS=""
: >"$WORK/flood.txt"
for r in $(seq 1 "$ROUNDS"); do
  log "round $r/$ROUNDS: reads alone, ${DURATION}s"
  read -r rps p99 non cpu <<<"$(reads "$DURATION")"
  U_P99S+="$p99 "; U_RPSS+="$rps "; U_CPUS+="$cpu "
  ROWS+=$(printf '%-5s %-10s %12s %10s %8s %14s' "$r" "unloaded" "$rps" "$p99" "${non:-0}" "$cpu")$'\n'
  log "round $r/$ROUNDS: reads during $FLOOD concurrent wrong-password logins, ${DURATION}s"
  if [ "$CONTROL" = 1 ]; then
    AV_TOKEN="avt_0000000000000000_$(random_token)" wrk -t"$THREADS" -c"$FLOOD" -d"$((DURATION + 4))s" --timeout 10s \
      --latency -s "$BENCH/lua/auth-get.lua" "$READ_URL" >>"$WORK/flood.txt" 2>&1 &
  else
    wrk -t"$THREADS" -c"$FLOOD" -d"$((DURATION + 4))s" --timeout 10s --latency -s "$BENCH/lua/login-flood.lua" \
      "$VAULT_URL" >>"$WORK/flood.txt" 2>&1 &
  fi
  FLOOD_PID=$!
  sleep 2
  read -r rps p99 non cpu <<<"$(reads "$DURATION")"
  wait "$FLOOD_PID" || true
  L_P99S+="$p99 "; L_RPSS+="$rps "; L_CPUS+="$cpu "
  ROWS+=$(printf '%-5s %-10s %12s %10s %8s %14s' "$r" "flood" "$rps" "$p99" "${non:-0}" "$cpu")$'\n'
  sleep 3
done
U_P99=$(median <<<"$U_P99S"); L_P99=$(median <<<"$L_P99S")
U_RPS=$(median <<<"$U_RPSS"); L_RPS=$(median <<<"$L_RPSS")
FLOOD_RPS=$(awk '/^Requests\/sec:/ {s += $2; n++} END {printf "%.1f", n ? s / n : 0}' "$WORK/flood.txt")
FLOOD_NON=$(awk '/Non-2xx or 3xx responses:/ {s += $5} END {print s + 0}' "$WORK/flood.txt")
AUDITED=$(grep -c '"action":"admin.login"' "$WORK/data/audit/audit.jsonl" 2>/dev/null || echo 0)
HASHED=$(grep '"action":"admin.login"' "$WORK/data/audit/audit.jsonl" 2>/dev/null | grep -c '"errorCode":"unauthenticated"' || true)
BUSY=$(grep '"action":"admin.login"' "$WORK/data/audit/audit.jsonl" 2>/dev/null | grep -c '"errorCode":"unavailable"' || true)

RATIO=$(awk -v a="$L_P99" -v b="$U_P99" 'BEGIN {printf "%.2f", (b > 0) ? a / b : 0}')
mkdir -p "$BENCH/results"
RESULT="$BENCH/results/login-flood-$(date -u +%Y%m%dT%H%M%SZ).txt"
{
  echo "server: $DIST$([ -n "$BENCH_JAVA_OPTS" ] && echo "; BENCH_JAVA_OPTS: $BENCH_JAVA_OPTS"); HASH_NICE=$HASH_NICE"
  echo "login flood vs secret reads ($(nproc) CPUs, load at end $(cut -d' ' -f1-3 /proc/loadavg)); throttle: $([ "$THROTTLE" = 1 ] && echo default || echo 'raised out of the way')$([ "$CONTROL" = 1 ] && echo '; CONTROL: the flood is unknown-token secret reads, not logins')"
  echo "reads: wrk $THREADS threads, $CONNECTIONS connections, ${DURATION}s; flood: $FLOOD connections of wrong-password logins (unknown usernames)"
  printf '%-5s %-10s %12s %10s %8s %14s\n' "round" "reads" "reads/s" "p99 ms" "non-2xx" "server cpu ms/s"
  printf '%s' "$ROWS"
  echo "median p99: unloaded $U_P99 ms, during the flood $L_P99 ms: ${RATIO}x (target <= 2x); median reads/s $U_RPS -> $L_RPS"
  echo "flood: ${FLOOD_RPS} logins/s answered per run on average, non-2xx $FLOOD_NON; Argon2id verifications (401): $HASHED, refused for a busy limit (503): $BUSY; admin.login audit events: $AUDITED"
  echo "---- raw wrk output ----"
  cat "$WORK/wrk.txt" "$WORK/flood.txt"
} >"$RESULT"
sed -n "1,/^flood:/p" "$RESULT"
log "written to $RESULT"
