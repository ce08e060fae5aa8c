#!/usr/bin/env bash
# HTTP benchmark of the packaged Anima Vault against a bare Helidon SE handler, on loopback.
#
#   bench/http-bench.sh            (see bench/README.md; knobs below as environment variables)
#
# 1. starts distribution/target/anima-vault-<version>/bin/anima-vault server on the embedded default
#    (SQLite + audit to a file) with a fresh data directory, and the bare server (bench module);
# 2. secret reads with an identity token vs the bare handler, alternately, ROUNDS x DURATION with wrk;
# 3. secret writes/s with 1 and with 32 concurrent clients (wrk + lua/write-secrets.lua), WRITE_ROUNDS alternating rounds,
#    beside the same runs against the bare writer (bench module: Helidon + SQLite synchronous=FULL + group commit);
# 4. stores LOAD_SECRETS (100,000) secrets and reports the server's RSS (/proc/<pid>/status VmRSS);
# 5. prints a summary table and writes it to bench/results/<timestamp>.txt.
set -euo pipefail

ROUNDS=${ROUNDS:-3}                 # alternating read rounds (each: vault once, bare once)
DURATION=${DURATION:-10}            # seconds per wrk run
WARMUP=${WARMUP:-60}                # seconds of discarded warm-up per server (on 2 CPUs the vault reaches steady state after ~40 s of load)
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
WRITE_CLIENTS_MANY=${WRITE_CLIENTS_MANY:-32}
WRITE_WARMUP=${WRITE_WARMUP:-10}    # seconds of discarded writes (WRITE_CLIENTS_MANY clients) before the write runs
WRITE_WARMUP_ONE=${WRITE_WARMUP_ONE:-10}  # then seconds of discarded writes with 1 client (the lone writer's own paths)
WRITE_ROUNDS=${WRITE_ROUNDS:-2}     # alternating write rounds (each: 1 client once, WRITE_CLIENTS_MANY once); the ratio is of the means
BENCH_BARE_WRITES=${BENCH_BARE_WRITES:-1}  # 1: each write run is followed by the same run against the bare writer (its own warm-up first)
LOAD_SECRETS=${LOAD_SECRETS:-100000}
LOAD_CLIENTS=${LOAD_CLIENTS:-32}
IDENTITIES=${IDENTITIES:-100}       # identities the written secrets are spread over
BENCH_JAVA_OPTS=${BENCH_JAVA_OPTS:-}  # JVM options for both servers (e.g. -Xmx512m); default: JVM defaults
BENCH_KEEP=${BENCH_KEEP:-0}         # 1 keeps the work directory (data, logs) for inspection
BENCH_VAULT_CONFIG=${BENCH_VAULT_CONFIG:-}  # a configuration file for the vault (ANIMA_VAULT_CONFIG); default: the distribution's
BENCH_THREAD_CPU=${BENCH_THREAD_CPU:-0}  # 1: the write runs' server CPU per write by thread, and wrk's, in the result file
BENCH_NMT=${BENCH_NMT:-0}           # 1: the vault runs with -XX:NativeMemoryTracking=summary; `jcmd VM.native_memory summary`, GC.heap_info and the resident mappings after the reads and the load go to the result file
BENCH_MEM_HOOK=${BENCH_MEM_HOOK:-}  # with BENCH_NMT=1: a command run with the vault's pid at those readings, its output appended too
PARTS=${PARTS:-reads writes memory pages startup}  # which parts to run (the vault always starts once)
STARTUP_RUNS=${STARTUP_RUNS:-5}     # restarts per variant (with/without the AOT cache) for the startup median
PAGE_IDENTITIES=${PAGE_IDENTITIES:-100000}  # pages part: identities created for the identity listing
PAGE_SECRETS=${PAGE_SECRETS:-1000}  # pages part: secrets of the one identity whose listing is paged
PAGE_DURATION=${PAGE_DURATION:-10}  # pages part: seconds per measured wrk run (each after as many seconds of warm-up)
PAGE_CONNECTIONS=${PAGE_CONNECTIONS:-1}  # pages part: kept-alive connections of those runs (1: latency, no queueing)
PAGE_WALK=${PAGE_WALK:-100}  # pages part: identity pages of 100 in the walk (paths taken in turn)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
BENCH=$ROOT/bench
# shellcheck source=../scripts/java-env.sh
source "$ROOT/scripts/java-env.sh"
BENCH_NAME=http-bench
# shellcheck source=lib.sh
source "$BENCH/lib.sh"

require_uint ROUNDS DURATION WARMUP WRITE_WARMUP WRITE_WARMUP_ONE THREADS CONNECTIONS WRITE_CLIENTS_MANY LOAD_SECRETS LOAD_CLIENTS IDENTITIES STARTUP_RUNS \
  PAGE_IDENTITIES PAGE_SECRETS PAGE_DURATION PAGE_CONNECTIONS PAGE_WALK WRITE_ROUNDS
[ "$DURATION" -ge 1 ] && [ "$DURATION" -le 300 ] || die "DURATION must be 1..300 seconds"
[ "$WRITE_ROUNDS" -ge 1 ] || die "WRITE_ROUNDS must be at least 1"
[ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 20 ] || die "ROUNDS must be 1..20"
[ "$IDENTITIES" -ge 1 ] && [ "$IDENTITIES" -le 1000 ] || die "IDENTITIES must be 1..1000"
for p in $PARTS; do
  case $p in reads|writes|memory|startup|pages) ;; *) die "PARTS: unknown part '$p' (reads writes memory startup pages)" ;; esac
done
has() { [[ " $PARTS " == *" $1 "* ]]; }
command -v wrk >/dev/null || die "wrk not found: apt-get install -y wrk (or build it from https://github.com/wg/wrk)"
command -v curl >/dev/null || die "curl not found"

# --- artifacts -------------------------------------------------------------------------------------
find_dist build   # BENCH_DIST, else distribution/target (built when missing)
if [ ! -f "$BENCH/target/classes/dev/animavault/bench/BareServer.class" ] || [ ! -d "$BENCH/target/lib" ]; then
  log "building the bench module (mvn -pl bench -am package -DskipTests: the modules it uses from this tree, not stale snapshots in ~/.m2)"
  (cd "$ROOT" && mvn -B -q -pl bench -am package -DskipTests) || die "building the bench module failed"
fi
BENCH_CP="$BENCH/target/classes:$BENCH/target/lib/*"

# --- work area and cleanup ---------------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/anima-bench.XXXXXX")
chmod 700 "$WORK"
VAULT_PID=""
BARE_PID=""
BARE_W_PID=""
stop_pid() {
  local pid=$1 i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
  stop_pid "$VAULT_PID"
  stop_pid "$BARE_PID"
  stop_pid "$BARE_W_PID"
  if [ "$BENCH_KEEP" = 1 ]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM





# wait_http URL PID LOGFILE TIMEOUT_S [START_US]: polls every 10 ms until URL (http://HOST:PORT/PATH) answers 200;
# prints the ms from START_US (${EPOCHREALTIME/./} taken just before the launch; default: now). The poll is one HTTP/1.1 GET
# over bash's /dev/tcp: no process per poll, so the polling costs the starting server (2 cores) next to nothing
# and the figure is within ~10 ms of its first answer. (Before 2026-12-06: curl every 100 ms, started after the
# launch: figures 0-100 ms late, ~50 ms on average, and a curl process per poll beside the starting JVM.)
wait_http() {
  local url=$1 pid=$2 logfile=$3 timeout=$4 start=${5:-} hostport path code fd sfd
  [ -n "$start" ] || start=${EPOCHREALTIME/./}
  hostport=${url#http://}; path=/${hostport#*/}; hostport=${hostport%%/*}
  exec {sfd}<> <(:)   # a pipe nobody writes: `read -t` on it is a sleep without a process
  while (( ${EPOCHREALTIME/./} - start < timeout * 1000000 )); do
    if ! kill -0 "$pid" 2>/dev/null; then
      exec {sfd}>&-
      tail -n 40 "$logfile" >&2; die "process $pid exited before $url answered"
    fi
    code=""
    if { exec {fd}<>"/dev/tcp/${hostport%:*}/${hostport##*:}"; } 2>/dev/null; then
      printf 'GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$hostport" >&"$fd" 2>/dev/null || true
      IFS=' ' read -r -t 2 _ code _ <&"$fd" || code=""
      exec {fd}>&-
    fi
    if [ "$code" = 200 ]; then
      exec {sfd}>&-
      echo $(( (${EPOCHREALTIME/./} - start) / 1000 )); return 0
    fi
    read -r -t 0.01 -u "$sfd" _ || true
  done
  exec {sfd}>&-
  tail -n 40 "$logfile" >&2
  die "$url not healthy within ${timeout}s"
}


rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN {printf "%.0f MiB", k / 1024}'; }
# smaps_dump PID: the resident memory by mapping: each file (RssFile: the JVM, the AOT cache, jars, the audit
# file's mapped indexes) summed, and every anonymous mapping with >= 1 MiB resident (the Java heap, the code
# cache, glibc's malloc arenas, which hold SQLite's page caches among the rest), largest first
smaps_dump() {
  echo "# resident mappings (/proc/$1/smaps, kB)"
  awk '/^[0-9a-f]+-[0-9a-f]+ / {name = NF >= 6 ? $6 : "anon " $1}
       /^Rss:/ {rss[name] += $2} /^Anonymous:/ {anon[name] += $2}
       END {for (n in rss) if (rss[n] >= 1024) printf "  Rss %7d  Anonymous %7d  %s\n", rss[n], anon[n], n}' \
    "/proc/$1/smaps" 2>/dev/null | sort -k2,2nr || true
}
# nmt_dump LABEL [histogram]: with BENCH_NMT=1, the vault's native memory summary, RSS and heap histogram appended to $WORK/nmt.txt
nmt_dump() {
  [ "$BENCH_NMT" = 1 ] || return 0
  { echo "### $1: VmRSS $(mib "$(rss_kib "$VAULT_PID")")"
    "$JAVA_HOME/bin/jcmd" "$VAULT_PID" VM.native_memory summary 2>&1 | sed -n '/^Total:/,$p'
    "$JAVA_HOME/bin/jcmd" "$VAULT_PID" GC.heap_info 2>&1 | sed -n '2,$p'
    smaps_dump "$VAULT_PID"
    if [ -n "$BENCH_MEM_HOOK" ]; then $BENCH_MEM_HOOK "$VAULT_PID" 2>&1; fi
    # last (its full collection would shrink the heap the next part measures)
    if [ "${2:-}" = histogram ]; then
      "$JAVA_HOME/bin/jcmd" "$VAULT_PID" GC.class_histogram 2>&1 | head -n 33
      # what the full collection of the histogram freed: off-heap memory held only by dead objects (direct
      # buffers wait for a collection of the old generation to be freed) shows as a smaller "Other"
      echo "# after that full collection: VmRSS $(mib "$(rss_kib "$VAULT_PID")")"
      "$JAVA_HOME/bin/jcmd" "$VAULT_PID" VM.native_memory summary 2>&1 | grep -E '^Total:|^-  *(Java Heap|GC|Other|Code|Thread|Class|Shared)' -A1
    fi
    echo; } >>"$WORK/nmt.txt" || true
}
VAULT_JAVA_OPTS=$BENCH_JAVA_OPTS
[ "$BENCH_NMT" != 1 ] || VAULT_JAVA_OPTS="-XX:NativeMemoryTracking=summary $BENCH_JAVA_OPTS"

LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)

# --- start the vault ------------------------------------------------------------------------------------
VAULT_PORT=$(free_port)
VAULT_URL="http://127.0.0.1:$VAULT_PORT"
ORG_KEY="avk_$(random_token)"
(umask 077 && printf 'Authorization: Bearer %s\n' "$ORG_KEY" >"$WORK/org.header")

log "starting $DIST/bin/anima-vault server on $VAULT_URL (data: $WORK/data)"
[ -z "$BENCH_VAULT_CONFIG" ] || export ANIMA_VAULT_CONFIG="$BENCH_VAULT_CONFIG"
T0=${EPOCHREALTIME/./}
ANIMA_VAULT_HTTP_HOST=127.0.0.1 ANIMA_VAULT_HTTP_PORT=$VAULT_PORT ANIMA_VAULT_DATA_DIR="$WORK/data" \
  ANIMA_VAULT_BOOTSTRAP_TOKEN="$ORG_KEY" ANIMA_VAULT_JAVA_OPTS="$VAULT_JAVA_OPTS" \
  "$DIST/bin/anima-vault" server >"$WORK/vault.log" 2>&1 &
VAULT_PID=$!
STARTUP_MS=$(wait_http "$VAULT_URL/v1/sys/health" "$VAULT_PID" "$WORK/vault.log" 300 "$T0")
RSS_IDLE=$(rss_kib "$VAULT_PID")
log "vault healthy after $STARTUP_MS ms (pid $VAULT_PID, RSS $(mib "$RSS_IDLE"))"

# One identity with one secret and its own token: what an agent reads at runtime.
api POST /v1/identities "$WORK/org.header" '{"id":"bench_reader","name":"bench reader"}'
expect 201 "create identity bench_reader"
api POST /v1/vault/secrets "$WORK/org.header" \
  "{\"identityId\":\"bench_reader\",\"key\":\"OPENAI_API_KEY\",\"value\":\"sk-proj-$(random_token)$(random_token)\",\"type\":\"api_key\"}"
expect 201 "store OPENAI_API_KEY"
api POST /v1/identities/bench_reader/tokens "$WORK/org.header" '{}'
expect 201 "issue identity token"
AGENT_TOKEN=$(json_field token "$API_BODY")
[ -n "$AGENT_TOKEN" ] || die "no token in the token response"
(umask 077 && printf 'Authorization: Bearer %s\n' "$AGENT_TOKEN" >"$WORK/agent.header")
READ_PATH=/v1/vault/secrets/bench_reader/OPENAI_API_KEY
api GET "$READ_PATH" "$WORK/agent.header"
expect 200 "read OPENAI_API_KEY with the identity token"
BODY_BYTES=$(printf '%s' "$API_BODY" | wc -c)
API_BODY=""

# --- helpers ------------------------------------------------------------------------------------------------
# run_read NAME URL SECONDS -> "req_per_s p99_ms non2xx errors"; raw output appended to the work log.
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime of the whole process

verdict() { awk -v x="$1" -v op="$2" -v t="$3" 'BEGIN {ok = (op == ">=") ? x >= t : x <= t; print ok ? "PASS" : "FAIL"}'; }
if has reads; then
# --- start the bare baseline ------------------------------------------------------------------------------
BARE_PORT=$(free_port)
BARE_URL="http://127.0.0.1:$BARE_PORT"
# shellcheck disable=SC2086  # BENCH_JAVA_OPTS holds several options
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED $BENCH_JAVA_OPTS -cp "$BENCH_CP" \
  dev.animavault.bench.BareServer "$BARE_PORT" "$BODY_BYTES" >"$WORK/bare.log" 2>&1 &
BARE_PID=$!
wait_http "$BARE_URL/v1/sys/health" "$BARE_PID" "$WORK/bare.log" 180 >/dev/null
BARE_BYTES=$(curl -s --max-time 5 "$BARE_URL$READ_PATH" | wc -c)
[ "$BARE_BYTES" = "$BODY_BYTES" ] || die "bare body is $BARE_BYTES bytes, vault's is $BODY_BYTES"
log "bare server on $BARE_URL (pid $BARE_PID), body $BODY_BYTES bytes like the vault's"

# run_read NAME URL SECONDS PID -> "req_per_s p99_ms non2xx errors cpu_us_per_request"; raw output appended
# to the work log. CPU per request (the server's user+system time over the requests it answered) does not
# depend on what else runs on the machine, unlike requests/s.
run_read() {
  local name=$1 url=$2 seconds=$3 pid=$4 out rps p99 non2xx errors before after requests cpu
  before=$(cpu_ticks "$pid")
  out=$(AV_TOKEN=$AGENT_TOKEN wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" --timeout 10s --latency \
    -s "$BENCH/lua/auth-get.lua" "$url$READ_PATH")
  after=$(cpu_ticks "$pid")
  printf '### %s read, %ss\n%s\n\n' "$name" "$seconds" "$out" >>"$WORK/wrk.txt"
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")
  errors=$(awk '/Socket errors:/ {gsub(",", ""); print $4 + $6 + $8 + $10}' <<<"$out")
  requests=$(awk '/ requests in / {print $1}' <<<"$out")
  cpu=$(awk -v t=$((after - before)) -v hz="$CLK_TCK" -v n="${requests:-0}" 'BEGIN {printf "%.1f", (n > 0) ? t * 1e6 / hz / n : 0}')
  echo "${rps:-0} ${p99:-0} ${non2xx:-0} ${errors:-0} $cpu"
}

# Warm-up in runs as long as the measured ones: the end of a wrk run closes its connections, a path the
# JIT has not compiled after one long run, and the deoptimization it triggers in the connection loop
# (Http1Connection.handle, Continuation.run, SocketChannelImpl.implRead: "uncommon trap") made the first
# measured round recompile the hot path (C2 busy for seconds; the vault, with more code, paid more).
warm_up() {  # warm_up NAME URL PID
  local left=$WARMUP piece i=0 res
  while [ "$left" -gt 0 ]; do
    piece=$((left < DURATION ? left : DURATION))
    i=$((i + 1))
    res=$(run_read "$1-warmup-$i" "$2" "$piece" "$3")
    log "  warm-up $1 $i: $(awk '{print $1 " req/s, server CPU " $5 " us/request"}' <<<"$res")"
    left=$((left - piece))
  done
}
log "warm-up: ${WARMUP}s each, in runs of ${DURATION}s"
warm_up vault "$VAULT_URL" "$VAULT_PID"
warm_up bare "$BARE_URL" "$BARE_PID"

declare -a V_RPS V_P99 V_CPU B_RPS B_P99 B_CPU
READ_ERRORS=0
for ((r = 1; r <= ROUNDS; r++)); do
  # Alternate which server goes first, so neither always gets the warmer machine.
  if ((r % 2 == 1)); then order="vault bare"; else order="bare vault"; fi
  for who in $order; do
    if [ "$who" = vault ]; then url=$VAULT_URL; pid=$VAULT_PID; else url=$BARE_URL; pid=$BARE_PID; fi
    result=$(run_read "$who-round$r" "$url" "$DURATION" "$pid")
    read -r rps p99 non2xx errors cpu <<<"$result"
    log "round $r $who: $rps req/s, p99 $p99 ms, server CPU $cpu us/request, non-2xx $non2xx, socket errors $errors"
    READ_ERRORS=$((READ_ERRORS + non2xx + errors))
    if [ "$who" = vault ]; then
      V_RPS[r]=$rps; V_P99[r]=$p99; V_CPU[r]=$cpu
    else
      B_RPS[r]=$rps; B_P99[r]=$p99; B_CPU[r]=$cpu
    fi
  done
done
RSS_AFTER_READS=$(rss_kib "$VAULT_PID")
nmt_dump "after the read runs"

mean() { awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i; printf "%.2f", s / NF }' <<<"$*"; }
V_RPS_MEAN=$(mean "${V_RPS[@]}"); B_RPS_MEAN=$(mean "${B_RPS[@]}")
V_P99_MEAN=$(mean "${V_P99[@]}"); B_P99_MEAN=$(mean "${B_P99[@]}")
V_CPU_MEAN=$(mean "${V_CPU[@]}"); B_CPU_MEAN=$(mean "${B_CPU[@]}")
CPU_RATIO=$(awk -v a="$V_CPU_MEAN" -v b="$B_CPU_MEAN" 'BEGIN {printf "%.1f", a / b}')
RPS_RATIO=$(awk -v a="$V_RPS_MEAN" -v b="$B_RPS_MEAN" 'BEGIN {printf "%.2f", a / b}')
P99_RATIO=$(awk -v a="$V_P99_MEAN" -v b="$B_P99_MEAN" 'BEGIN {printf "%.2f", a / b}')
RPS_VERDICT=$(verdict "$RPS_RATIO" ">=" 0.6)
P99_VERDICT=$(verdict "$P99_RATIO" "<=" 1.5)
stop_pid "$BARE_PID"; BARE_PID=""
fi  # reads

# --- writes -----------------------------------------------------------------------------------------------
W1_CREATED=0; WN_CREATED=0; WARM_CREATED=0
if has writes || has memory; then
log "creating $IDENTITIES identities for the writes"
AV_TOKEN=$ORG_KEY "$JAVA_HOME/bin/java" -cp "$BENCH_CP" dev.animavault.bench.SecretLoader \
  "$VAULT_URL" "$IDENTITIES" bench_ 0 4 UNUSED >>"$WORK/loader.log" 2>&1 \
  || { cat "$WORK/loader.log" >&2; die "creating identities failed"; }

# thread_ticks PID: "tid|name|utime+stime" for every thread of the process (names may hold spaces)
thread_ticks() {
  local s line name rest
  for s in /proc/"$1"/task/*/stat; do
    line=$(cat "$s" 2>/dev/null) || continue
    name=${line#*(}; name=${name%)*}; rest=${line##*) }
    awk -v t="${s%/stat}" -v n="$name" '{sub(".*/", "", t); print t "|" n "|" $12 + $13}' <<<"$rest"
  done
}
# thread_table BEFORE AFTER OPERATIONS WRK_US: the server's CPU per operation by thread (names with their
# trailing number folded: the virtual threads' carriers are one line), and wrk's own CPU per operation
thread_table() {
  awk -F'|' -v n="$3" -v hz="$CLK_TCK" -v wrk="$4" '
    NR == FNR {b[$1] = $3; next}
    {d = $3 - (($1 in b) ? b[$1] : 0); g = $2; sub(/[-#]?[0-9]+$/, "#", g); t[g] += d; all += d}
    END {
      if (n <= 0) exit
      for (g in t) if (t[g] > 0) printf "%d\t    %-30s %9.1f us %5.1f%%\n", t[g], g, t[g] * 1e6 / hz / n, 100 * t[g] / all
      printf "-1\t    %-30s %9.1f us\n", "(server total)", all * 1e6 / hz / n
      printf "-2\t    %-30s %9.1f us\n", "(wrk, the load generator)", wrk / n
    }' "$1" "$2" | sort -t$'\t' -k1,1 -rn | cut -f2-
}

# run_writes CLIENTS THREADS PREFIX [SECONDS] -> "writes_per_s p99_ms created failed cpu_us" against the server
# W_URL (pid W_PID: the vault, or the bare writer); with BENCH_THREAD_CPU=1 the server's CPU per write by thread
# (and wrk's) goes to $WORK/threads.txt and the result file
# on_vault / on_bare: which server run_writes sends its load to (the vault unless told otherwise)
on_vault() { W_URL=$VAULT_URL; W_PID=$VAULT_PID; W_LABEL=writes; W_TAG=""; }
on_bare() { W_URL=$BARE_W_URL; W_PID=$BARE_W_PID; W_LABEL="bare writes"; W_TAG="bare "; }
on_vault
run_writes() {
  local clients=$1 threads=$2 prefix=$3 seconds=${4:-$DURATION} out p99 summary created failed duration_us before after cpu wrk_us
  [ "$BENCH_THREAD_CPU" != 1 ] || thread_ticks "$W_PID" >"$WORK/tt.before"
  before=$(cpu_ticks "$W_PID")
  # `times` in the substitution's subshell prints its children's (wrk's) user and system time last
  out=$(AV_TOKEN=$ORG_KEY AV_KEY_PREFIX=$prefix AV_IDENTITY_PREFIX=bench_ AV_IDENTITIES=$IDENTITIES \
    wrk -t"$threads" -c"$clients" -d"${seconds}s" --timeout 10s --latency \
    -s "$BENCH/lua/write-secrets.lua" "$W_URL/v1/vault/secrets" 2>>"$WORK/wrk-errors.txt"; times)
  [ "$BENCH_THREAD_CPU" != 1 ] || thread_ticks "$W_PID" >"$WORK/tt.after"
  wrk_us=$(tail -n 1 <<<"$out" | awk '{s = 0; for (i = 1; i <= 2; i++) {split($i, a, /[ms]/); s += a[1] * 60 + a[2]} printf "%.0f", s * 1e6}')
  out=$(head -n -2 <<<"$out")
  printf '### %s, %s clients, %ss\n%s\n\n' "$W_LABEL" "$clients" "$seconds" "$out" >>"$WORK/wrk.txt"
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  summary=$(grep '^created=' <<<"$out" || true)
  [ -n "$summary" ] || die "write run printed no summary: $out"
  created=$(sed -n 's/.*created=\([0-9]*\).*/\1/p' <<<"$summary")
  failed=$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$summary")
  duration_us=$(sed -n 's/.*duration_us=\([0-9]*\).*/\1/p' <<<"$summary")
  after=$(cpu_ticks "$W_PID")
  cpu=$(awk -v t=$((after - before)) -v hz="$CLK_TCK" -v n="${created:-0}" 'BEGIN {printf "%.0f", (n > 0) ? t * 1e6 / hz / n : 0}')
  if [ "$BENCH_THREAD_CPU" = 1 ]; then
    { echo "### ${W_TAG}$prefix: $clients client(s), ${seconds}s, $created writes, CPU per write by thread"
      thread_table "$WORK/tt.before" "$WORK/tt.after" "${created:-0}" "$wrk_us"; echo; } >>"$WORK/threads.txt"
  fi
  echo "$(awk -v c="$created" -v d="$duration_us" 'BEGIN {printf "%.1f", c / (d / 1e6)}') $p99 $created $failed $cpu"
}
fi
if has writes; then
WMANY_THREADS=$((WRITE_CLIENTS_MANY < THREADS ? WRITE_CLIENTS_MANY : THREADS))
if [ "$BENCH_BARE_WRITES" = 1 ]; then
  # The baseline of the writes, as the bare handler is the reads': Helidon SE and SQLite with the vault's
  # connection settings (synchronous=FULL) and a group commit, inserting rows shaped like the vault's, with
  # no authentication, encryption, MACs, audit or savepoints (BareWriteServer). Its own 32 / 1 ratio is what
  # this machine gives that stack; the vault's ratio is read beside it.
  BARE_W_PORT=$(free_port)
  BARE_W_URL="http://127.0.0.1:$BARE_W_PORT"
  # shellcheck disable=SC2086  # BENCH_JAVA_OPTS holds several options
  "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED $BENCH_JAVA_OPTS -cp "$BENCH_CP" \
    dev.animavault.bench.BareWriteServer "$BARE_W_PORT" "$WORK/bare-writes.db" bench_ "$IDENTITIES" \
    >"$WORK/bare-writes.log" 2>&1 &
  BARE_W_PID=$!
  wait_http "$BARE_W_URL/v1/sys/health" "$BARE_W_PID" "$WORK/bare-writes.log" 180 >/dev/null
  log "bare writer on $BARE_W_URL (pid $BARE_W_PID)"
fi
if [ "$WRITE_WARMUP" -gt 0 ]; then
  # the first writes after startup run partly interpreted (~3,000 us of server CPU per write against
  # ~650 us warm): without this the 1-client rate, measured first, is depressed and the ratio flattered
  log "write warm-up: ${WRITE_WARMUP}s with $WRITE_CLIENTS_MANY clients (discarded)"
  read -r _ _ created _ _ <<<"$(run_writes "$WRITE_CLIENTS_MANY" "$WMANY_THREADS" WW "$WRITE_WARMUP")"
  WARM_CREATED=$((WARM_CREATED + created))
  if [ "$BENCH_BARE_WRITES" = 1 ]; then
    on_bare; run_writes "$WRITE_CLIENTS_MANY" "$WMANY_THREADS" WW "$WRITE_WARMUP" >/dev/null; on_vault
  fi
fi
if [ "$WRITE_WARMUP_ONE" -gt 0 ]; then
  # the lone writer's paths (a batch of one, the committer waiting for work and woken for each write) warm up
  # more slowly than the concurrent ones: the bare writer's 1-client rate still rose by ~10% a round over three
  # rounds after the concurrent warm-up alone (the vault's by 1-4%), which depressed the first round's rate
  log "write warm-up: ${WRITE_WARMUP_ONE}s with 1 client (discarded)"
  read -r _ _ created _ _ <<<"$(run_writes 1 1 WO "$WRITE_WARMUP_ONE")"
  WARM_CREATED=$((WARM_CREATED + created))
  if [ "$BENCH_BARE_WRITES" = 1 ]; then
    on_bare; run_writes 1 1 WO "$WRITE_WARMUP_ONE" >/dev/null; on_vault
  fi
fi
# Alternating rounds, as for the reads: this machine's speed drifts (the lone writer's rate by ~20% within an hour),
# and one 1-client run followed by one 32-client run put all of a drift into the ratio. Each round's figures go to
# W_ROWS; the rates, p99s and CPU figures reported are the rounds' means, the counts their sums.
W_ROWS=""; BW_ROWS=""
for ((wr = 1; wr <= WRITE_ROUNDS; wr++)); do
  for clients in 1 "$WRITE_CLIENTS_MANY"; do
    if [ "$clients" = 1 ]; then tag=W1; threads=1; else tag=WN; threads=$WMANY_THREADS; fi
    # key prefixes stay those of earlier versions in a single round (W1, WN), else W1r2, WNr2, ...
    prefix=$tag; [ "$WRITE_ROUNDS" = 1 ] || prefix="${tag}r$wr"
    result=$(run_writes "$clients" "$threads" "$prefix")
    read -r rate p99 created failed cpu <<<"$result"
    log "writes round $wr, $clients client(s): $rate/s, p99 $p99 ms ($created created, $failed failed), server CPU $cpu us/write, load $(cut -d' ' -f1 /proc/loadavg)"
    W_ROWS+="$wr $clients $rate $p99 $created $failed $cpu"$'\n'
    if [ "$BENCH_BARE_WRITES" = 1 ]; then
      on_bare; result=$(run_writes "$clients" "$threads" "$prefix"); on_vault
      read -r rate p99 created failed cpu <<<"$result"
      log "bare writer, round $wr, $clients client(s): $rate/s, p99 $p99 ms ($created created, $failed failed), server CPU $cpu us/write"
      BW_ROWS+="$wr $clients $rate $p99 $created $failed $cpu"$'\n'
    fi
  done
done
# w_mean CLIENTS [ROWS]: the runs of W_ROWS (or ROWS) with that many clients: means of rate, p99, CPU; sums of
# created, failed
w_mean() {
  awk -v k="$1" '$2 == k {r += $3; p += $4; c += $5; f += $6; u += $7; n++}
    END {printf "%.1f %.2f %d %d %.0f", r / n, p / n, c, f, u / n}' <<<"${2:-$W_ROWS}"
}
# w_table ROWS: the summary's lines for the write runs of ROWS: each run, then the means for 1 and for
# WRITE_CLIENTS_MANY clients
w_table() {
  local wr clients rate p99 created failed cpu
  while read -r wr clients rate p99 created failed cpu; do
    [ -n "$wr" ] || continue
    printf '  %-22s %12s %9s ms %10s %8s %11s us\n' "round $wr, $clients" "$rate" "$p99" "$created" "$failed" "$cpu"
  done <<<"$1"
  for clients in 1 "$WRITE_CLIENTS_MANY"; do
    read -r rate p99 created failed cpu <<<"$(w_mean "$clients" "$1")"
    printf '  %-22s %12s %9s ms %10s %8s %11s us\n' "mean, $clients" "$rate" "$p99" "$created" "$failed" "$cpu"
  done
}
read -r W1_RATE W1_P99 W1_CREATED W1_FAILED W1_CPU <<<"$(w_mean 1)"
read -r WN_RATE WN_P99 WN_CREATED WN_FAILED WN_CPU <<<"$(w_mean "$WRITE_CLIENTS_MANY")"
log "writes, 1 client: $W1_RATE/s, p99 $W1_P99 ms ($W1_CREATED created, $W1_FAILED failed), server CPU $W1_CPU us/write (mean of $WRITE_ROUNDS rounds)"
log "writes, $WRITE_CLIENTS_MANY clients: $WN_RATE/s, p99 $WN_P99 ms ($WN_CREATED created, $WN_FAILED failed), server CPU $WN_CPU us/write (mean of $WRITE_ROUNDS rounds)"
W_RATIO=$(awk -v a="$WN_RATE" -v b="$W1_RATE" 'BEGIN {printf "%.1f", (b > 0) ? a / b : 0}')
W_VERDICT=$(verdict "$W_RATIO" ">=" 8)
if [ "$BENCH_BARE_WRITES" = 1 ]; then
  stop_pid "$BARE_W_PID"; BARE_W_PID=""
  read -r BW1_RATE _ <<<"$(w_mean 1 "$BW_ROWS")"
  read -r BWN_RATE _ <<<"$(w_mean "$WRITE_CLIENTS_MANY" "$BW_ROWS")"
  BW_RATIO=$(awk -v a="$BWN_RATE" -v b="$BW1_RATE" 'BEGIN {printf "%.1f", (b > 0) ? a / b : 0}')
  log "bare writer: 1 client $BW1_RATE/s, $WRITE_CLIENTS_MANY clients $BWN_RATE/s: ${BW_RATIO}x (the vault: ${W_RATIO}x)"
fi
fi  # writes

# --- memory after many secrets -------------------------------------------------------------------------------
if has memory; then
log "storing $LOAD_SECRETS secrets with $LOAD_CLIENTS concurrent clients"
AV_TOKEN=$ORG_KEY "$JAVA_HOME/bin/java" -cp "$BENCH_CP" dev.animavault.bench.SecretLoader \
  "$VAULT_URL" "$IDENTITIES" bench_ "$LOAD_SECRETS" "$LOAD_CLIENTS" LOAD >>"$WORK/loader.log" 2>&1 \
  || { tail -n 20 "$WORK/loader.log" >&2; die "loading secrets failed"; }
LOAD_LINE=$(grep '^stored=' "$WORK/loader.log" | tail -n1)
LOAD_STORED=$(sed -n 's/.*stored=\([0-9]*\).*/\1/p' <<<"$LOAD_LINE")
LOAD_SECONDS=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$LOAD_LINE")
LOAD_RATE=$(sed -n 's/.*rate=\([0-9.]*\).*/\1/p' <<<"$LOAD_LINE")
TOTAL_SECRETS=$((1 + WARM_CREATED + W1_CREATED + WN_CREATED + LOAD_STORED))
# A read still works at that size (and the server is alive to be measured).
api GET "$READ_PATH" "$WORK/agent.header"
expect 200 "read OPENAI_API_KEY after the load"
API_BODY=""
RSS_LOADED=$(rss_kib "$VAULT_PID")
nmt_dump "after storing $LOAD_STORED secrets" histogram
HWM_LOADED=$(hwm_kib "$VAULT_PID")
DATA_SIZE=$(du -sh "$WORK/data" | cut -f1)
RSS_SPLIT=$(awk '/^RssAnon:|^RssFile:|^RssShmem:/ {printf "%s%s %.0f MiB", sep, $1, $2 / 1024; sep = ", "}' "/proc/$VAULT_PID/status")
log "stored $LOAD_STORED in ${LOAD_SECONDS}s; RSS $(mib "$RSS_LOADED") (peak $(mib "$HWM_LOADED"); $RSS_SPLIT), data dir $DATA_SIZE"
# in KiB: an integer MiB (RSS_LOADED / 1024) let up to 256.99 MiB pass, while the summary printed it as 257
RSS_VERDICT=$(verdict "$RSS_LOADED" "<=" $((256 * 1024)))
fi  # memory

# --- pages: keyset listings vs one read -----------------------------------------------------------------------
# After the memory part's LOAD_SECRETS secrets (loaded here when that part is not run): PAGE_IDENTITIES more
# identities and one identity (pages_big000) with PAGE_SECRETS secrets. Then, with wrk on PAGE_CONNECTIONS
# kept-alive connection(s), the p50 of a 100-item page of that identity's secrets and of the organization's
# identities, first page and deep (a cursor from the middle, found by paging with curl), beside the p50 of
# one secret read measured the same way before and after them (their mean). Target: each page <= 5x the read.
if has pages; then
if ! has memory; then
  log "pages: storing $LOAD_SECRETS secrets over $IDENTITIES identities first"
  AV_TOKEN=$ORG_KEY "$JAVA_HOME/bin/java" -cp "$BENCH_CP" dev.animavault.bench.SecretLoader \
    "$VAULT_URL" "$IDENTITIES" bench_ "$LOAD_SECRETS" "$LOAD_CLIENTS" PLOAD >>"$WORK/loader.log" 2>&1 \
    || { tail -n 20 "$WORK/loader.log" >&2; die "loading secrets failed"; }
fi
log "pages: creating $PAGE_IDENTITIES identities and $PAGE_SECRETS secrets of identity pages_big000"
AV_TOKEN=$ORG_KEY "$JAVA_HOME/bin/java" -cp "$BENCH_CP" dev.animavault.bench.SecretLoader \
  "$VAULT_URL" "$PAGE_IDENTITIES" pid_ 0 "$LOAD_CLIENTS" UNUSED >>"$WORK/loader.log" 2>&1 \
  || { tail -n 20 "$WORK/loader.log" >&2; die "creating identities failed"; }
AV_TOKEN=$ORG_KEY "$JAVA_HOME/bin/java" -cp "$BENCH_CP" dev.animavault.bench.SecretLoader \
  "$VAULT_URL" 1 pages_big "$PAGE_SECRETS" "$LOAD_CLIENTS" PG >>"$WORK/loader.log" 2>&1 \
  || { tail -n 20 "$WORK/loader.log" >&2; die "loading secrets failed"; }
# page_cursor PATH ITEMS: the cursor after the first ITEMS items of the listing at PATH, paging 1,000 at a time
page_cursor() {
  local path=$1 left=$2 cursor="" n
  while [ "$left" -gt 0 ]; do
    n=$((left < 1000 ? left : 1000))
    api GET "$path?limit=$n${cursor:+&cursor=$cursor}" "$WORK/org.header"
    expect 200 "page of $path"
    cursor=$(json_field nextCursor "$API_BODY")
    [ -n "$cursor" ] || die "$path has fewer than $2 items"
    left=$((left - n))
  done
  API_BODY=""
  echo "$cursor"
}
PAGE_ID_TOTAL=$(sqlite3 -readonly "$WORK/data/anima-vault.db" 'SELECT COUNT(*) FROM identities' 2>/dev/null || echo "")
[ -n "$PAGE_ID_TOTAL" ] || PAGE_ID_TOTAL=$((PAGE_IDENTITIES + IDENTITIES + 2))
PAGE_SECRET_TOTAL=$(sqlite3 -readonly "$WORK/data/anima-vault.db" 'SELECT COUNT(*) FROM secrets' 2>/dev/null || echo "?")
SECRETS_CURSOR=$(page_cursor /v1/vault/secrets/pages_big000 $((PAGE_SECRETS / 2)))
IDS_CURSOR=$(page_cursor /v1/identities $((PAGE_ID_TOTAL / 2)))
# run_p50 NAME PATH TOKEN -> "p50_us req_per_s non2xx+errors cpu_us_per_request"; PAGE_DURATION s discarded, then
# PAGE_DURATION s measured. CPU per request: the server's user+system time over the measured run's requests
# (unlike the latency, it hardly depends on what else runs on the machine).
# A PATH of the form @FILE: each path of FILE in turn (a walk over many pages, bench/lua/auth-get-paths.lua).
run_p50() {
  local name=$1 path=$2 token=$3 out p50 rps bad before after requests cpu script=$BENCH/lua/auth-get.lua paths=""
  if [ "${path#@}" != "$path" ]; then paths=${path#@}; path=/; script=$BENCH/lua/auth-get-paths.lua; fi
  AV_TOKEN=$token AV_PATHS=$paths wrk -t1 -c"$PAGE_CONNECTIONS" -d"${PAGE_DURATION}s" --timeout 10s -s "$script" \
    "$VAULT_URL$path" >/dev/null
  before=$(cpu_ticks "$VAULT_PID")
  out=$(AV_TOKEN=$token AV_PATHS=$paths wrk -t1 -c"$PAGE_CONNECTIONS" -d"${PAGE_DURATION}s" --timeout 10s --latency \
    -s "$script" "$VAULT_URL$path")
  after=$(cpu_ticks "$VAULT_PID")
  requests=$(awk '/ requests in / {print $1}' <<<"$out")
  cpu=$(awk -v t=$((after - before)) -v hz="$CLK_TCK" -v n="${requests:-0}" 'BEGIN {printf "%.0f", (n > 0) ? t * 1e6 / hz / n : 0}')
  printf '### pages: %s, %ss, %s connection(s)\n%s\n\n' "$name" "$PAGE_DURATION" "$PAGE_CONNECTIONS" "$out" >>"$WORK/wrk.txt"
  p50=$(awk '$1 == "50%" {v = $2; n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "ms") n *= 1000; else if (u == "s") n *= 1e6; printf "%.0f", n}' <<<"$out")  # microseconds
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  bad=$(awk '/Non-2xx or 3xx responses:/ {n += $5} /Socket errors:/ {gsub(",", ""); n += $4 + $6 + $8 + $10} END {print n + 0}' <<<"$out")
  log "  $name: p50 $p50 us, $rps req/s, server CPU $cpu us/request, non-2xx + socket errors $bad"
  echo "$p50 $rps $bad $cpu"
}
read -r PG_READ1 _ PG_BAD_R1 PG_READ1_CPU <<<"$(run_p50 "secret read" "$READ_PATH" "$AGENT_TOKEN")"
read -r PG_S1 PG_S1_RPS PG_BAD_S1 PG_S1_CPU <<<"$(run_p50 "secrets page 1" "/v1/vault/secrets/pages_big000?limit=100" "$ORG_KEY")"
read -r PG_SD PG_SD_RPS PG_BAD_SD PG_SD_CPU <<<"$(run_p50 "secrets page deep" "/v1/vault/secrets/pages_big000?limit=100&cursor=$SECRETS_CURSOR" "$ORG_KEY")"
# Walks: the first pages of every bench_ identity's secrets (IDENTITIES pages of 100 of their LOAD_SECRETS
# secrets) and the organization's first PAGE_WALK identity pages, each path in turn: far more rows than any
# cache of recently listed rows holds, so these show a page's cost when it was not listed moments before.
for ((i = 0; i < IDENTITIES; i++)); do printf '/v1/vault/secrets/bench_%03d?limit=100\n' "$i"; done >"$WORK/walk-secrets.txt"
page_walk() {  # page_walk PATH PAGES: the paths of the first PAGES pages of 100 of the listing at PATH
  local path=$1 cursor="" i
  for ((i = 0; i < $2; i++)); do
    echo "$path?limit=100${cursor:+&cursor=$cursor}"
    api GET "$path?limit=100${cursor:+&cursor=$cursor}" "$WORK/org.header"
    expect 200 "page of $path"
    cursor=$(json_field nextCursor "$API_BODY")
    [ -n "$cursor" ] || break
  done
  API_BODY=""
}
page_walk /v1/identities "$PAGE_WALK" >"$WORK/walk-identities.txt"
read -r PG_SW PG_SW_RPS PG_BAD_SW PG_SW_CPU <<<"$(run_p50 "secrets pages, walk over $IDENTITIES identities" "@$WORK/walk-secrets.txt" "$ORG_KEY")"
read -r PG_IW PG_IW_RPS PG_BAD_IW PG_IW_CPU <<<"$(run_p50 "identities pages, walk over $(wc -l <"$WORK/walk-identities.txt") pages" "@$WORK/walk-identities.txt" "$ORG_KEY")"
read -r PG_I1 PG_I1_RPS PG_BAD_I1 PG_I1_CPU <<<"$(run_p50 "identities page 1" "/v1/identities?limit=100" "$ORG_KEY")"
read -r PG_ID PG_ID_RPS PG_BAD_ID PG_ID_CPU <<<"$(run_p50 "identities page deep" "/v1/identities?limit=100&cursor=$IDS_CURSOR" "$ORG_KEY")"
# issue 19's audit query: the newest 100 events of one identity whose events (its secrets' writes) lie
# scattered among everything the parts before recorded (>= 10^6 events after the default read part)
AUDIT_IDENTITY=bench_$(printf '%03d' $((IDENTITIES / 2)))
AUDIT_EVENTS_NOW=$(find "$WORK/data" -name '*.jsonl' -exec cat {} + 2>/dev/null | wc -l)
api GET "/v1/vault/audit/logs?identityId=$AUDIT_IDENTITY&limit=100" "$WORK/org.header"
expect 200 "audit query for $AUDIT_IDENTITY"
grep -q "\"identityId\":\"$AUDIT_IDENTITY\"" <<<"$API_BODY" || die "the audit query found no event of $AUDIT_IDENTITY"
API_BODY=""
read -r PG_AQ PG_AQ_RPS PG_BAD_AQ PG_AQ_CPU <<<"$(run_p50 "audit query, 100 events of $AUDIT_IDENTITY" \
  "/v1/vault/audit/logs?identityId=$AUDIT_IDENTITY&limit=100" "$ORG_KEY")"
PG_AQ_MS=$(awk -v u="$PG_AQ" 'BEGIN {printf "%.1f", u / 1000}')
read -r PG_READ2 _ PG_BAD_R2 PG_READ2_CPU <<<"$(run_p50 "secret read again" "$READ_PATH" "$AGENT_TOKEN")"
PG_READ=$(awk -v a="$PG_READ1" -v b="$PG_READ2" 'BEGIN {printf "%.0f", (a + b) / 2}')
PG_READ_CPU=$(awk -v a="$PG_READ1_CPU" -v b="$PG_READ2_CPU" 'BEGIN {printf "%.0f", (a + b) / 2}')
PG_BAD=$((PG_BAD_R1 + PG_BAD_S1 + PG_BAD_SD + PG_BAD_SW + PG_BAD_I1 + PG_BAD_ID + PG_BAD_IW + PG_BAD_AQ + PG_BAD_R2))
page_ratio() { awk -v a="$1" -v b="$PG_READ" 'BEGIN {printf "%.1f", (b > 0) ? a / b : 0}'; }
PG_S1_X=$(page_ratio "$PG_S1"); PG_SD_X=$(page_ratio "$PG_SD"); PG_I1_X=$(page_ratio "$PG_I1"); PG_ID_X=$(page_ratio "$PG_ID")
PG_SW_X=$(page_ratio "$PG_SW"); PG_IW_X=$(page_ratio "$PG_IW")
fi  # pages

# --- restarts -------------------------------------------------------------------------------------------------
# The vault is stopped and started STARTUP_RUNS times on the data directory it has now, timed from launch to the
# first 200 of /v1/sys/health: with the JDK's AOT cache when the distribution has one (lib/anima-vault.aot,
# made by `anima-vault aot-cache`), and without (ANIMA_VAULT_AOT=off). Median of each.
median() { tr ' ' '\n' <<<"$*" | grep -v '^$' | sort -n | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print int((a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }
# restart_times AOT_SETTING: sets RESTART_MS and RESTART_CPU_MS (space separated, one per run). Not in a
# subshell: VAULT_PID must stay current for the cleanup. CPU time (user + system of the JVM until healthy)
# depends far less on what else the machine runs than the wall time does.
restart_times() {  # restart_times AOT [DATA_DIR]: STARTUP_RUNS restarts; sets RESTART_MS, RESTART_CPU_MS, RESTART_HWM_KIB
  local aot=$1 data=${2:-$WORK/data} i ms ticks t0
  RESTART_MS=""; RESTART_CPU_MS=""; RESTART_HWM_KIB=0
  for ((i = 1; i <= STARTUP_RUNS; i++)); do
    stop_pid "$VAULT_PID"
    t0=${EPOCHREALTIME/./}
    ANIMA_VAULT_AOT=$aot ANIMA_VAULT_HTTP_HOST=127.0.0.1 ANIMA_VAULT_HTTP_PORT=$VAULT_PORT ANIMA_VAULT_DATA_DIR="$data" \
      ANIMA_VAULT_BOOTSTRAP_TOKEN="$ORG_KEY" ANIMA_VAULT_JAVA_OPTS="$BENCH_JAVA_OPTS" \
      "$DIST/bin/anima-vault" server >>"$WORK/vault-restarts.log" 2>&1 &
    VAULT_PID=$!
    ms=$(wait_http "$VAULT_URL/v1/sys/health" "$VAULT_PID" "$WORK/vault-restarts.log" 300 "$t0")
    ticks=$(cpu_ticks "$VAULT_PID")
    RESTART_MS="$RESTART_MS $ms"
    RESTART_CPU_MS="$RESTART_CPU_MS $((ticks * 1000 / CLK_TCK))"
    ms=$(hwm_kib "$VAULT_PID"); [ "$ms" -le "$RESTART_HWM_KIB" ] || RESTART_HWM_KIB=$ms
  done
}
AOT_CACHE_FILE="$DIST/lib/anima-vault.aot"
if has startup; then
  log "restarting the vault $STARTUP_RUNS times without the AOT cache"
  restart_times off
  START_PLAIN=$RESTART_MS; START_PLAIN_MEDIAN=$(median "$START_PLAIN"); CPU_PLAIN_MEDIAN=$(median "$RESTART_CPU_MS")
  log "  startup without AOT cache (ms):$START_PLAIN, median $START_PLAIN_MEDIAN; CPU until healthy (ms):$RESTART_CPU_MS, median $CPU_PLAIN_MEDIAN"
  if [ -f "$AOT_CACHE_FILE" ] && [ -n "$(find "$DIST/lib" -name '*.jar' -newer "$AOT_CACHE_FILE" | head -n1)" ]; then
    # the launcher ignores a cache older than a jar (a rebuilt distribution): measuring with it would be a
    # second start without the cache
    log "the AOT cache $AOT_CACHE_FILE is older than a jar of $DIST/lib: removing it to make a fresh one"
    rm -f "$AOT_CACHE_FILE"
  fi
  if [ ! -f "$AOT_CACHE_FILE" ] && [ "${BENCH_AOT_TRAIN:-1}" = 1 ]; then
    log "no AOT cache at $AOT_CACHE_FILE: making one ($DIST/bin/anima-vault aot-cache)"
    "$DIST/bin/anima-vault" aot-cache >>"$WORK/aot-cache.log" 2>&1 || log "  aot-cache failed (see $WORK/aot-cache.log)"
  fi
  if [ -f "$AOT_CACHE_FILE" ]; then
    log "restarting the vault $STARTUP_RUNS times with the AOT cache $AOT_CACHE_FILE"
    restart_times auto
    START_AOT=$RESTART_MS; START_AOT_MEDIAN=$(median "$START_AOT"); CPU_AOT_MEDIAN=$(median "$RESTART_CPU_MS")
    log "  startup with AOT cache (ms):$START_AOT, median $START_AOT_MEDIAN; CPU until healthy (ms):$RESTART_CPU_MS, median $CPU_AOT_MEDIAN"
  else
    START_AOT=""; START_AOT_MEDIAN="-"; CPU_AOT_MEDIAN="-"
    log "  no AOT cache at $AOT_CACHE_FILE (make one with: $DIST/bin/anima-vault aot-cache)"
  fi
  START_BEST=$START_PLAIN_MEDIAN
  [ "$START_AOT_MEDIAN" != "-" ] && [ "$START_AOT_MEDIAN" -lt "$START_BEST" ] && START_BEST=$START_AOT_MEDIAN
  START_VERDICT=$(verdict "$START_BEST" "<=" 1000)
  RSS_RESTARTED=$(rss_kib "$VAULT_PID")
  # the same restarts on the data dir above (its audit trail holds every event of the parts before) and on
  # an empty one (initialized by one untimed start): issue 19's "restart with a 10^6-event audit file
  # <= 1.5x the empty start, peak RSS during it <= 256 MB"
  AUDIT_EVENTS=$(find "$WORK/data" -name '*.jsonl' -exec cat {} + 2>/dev/null | wc -l)
  REOPEN_AOT=off; [ "$START_AOT_MEDIAN" = "-" ] || REOPEN_AOT=auto
  START_FULL_MEDIAN=$START_PLAIN_MEDIAN; [ "$REOPEN_AOT" = off ] || START_FULL_MEDIAN=$START_AOT_MEDIAN
  START_FULL_HWM=$RESTART_HWM_KIB
  log "restarting the vault $STARTUP_RUNS times on an empty data dir (AOT cache: $REOPEN_AOT); the full one holds $AUDIT_EVENTS audit events"
  mkdir -p "$WORK/empty-data"
  STARTUP_RUNS_SAVED=$STARTUP_RUNS; STARTUP_RUNS=1; restart_times "$REOPEN_AOT" "$WORK/empty-data"; STARTUP_RUNS=$STARTUP_RUNS_SAVED
  restart_times "$REOPEN_AOT" "$WORK/empty-data"
  START_EMPTY=$RESTART_MS; START_EMPTY_MEDIAN=$(median "$START_EMPTY")
  REOPEN_RATIO=$(awk -v f="$START_FULL_MEDIAN" -v e="$START_EMPTY_MEDIAN" 'BEGIN {printf "%.2f", f / e}')
  REOPEN_VERDICT=$(awk -v r="$REOPEN_RATIO" -v h="$START_FULL_HWM" 'BEGIN {print (r <= 1.5 && h <= 256 * 1024) ? "PASS" : "FAIL"}')
  log "  empty data dir (ms):$START_EMPTY, median $START_EMPTY_MEDIAN; full/empty $REOPEN_RATIO, peak RSS restarting the full one $(mib "$START_FULL_HWM")"
fi

# --- summary --------------------------------------------------------------------------------------------------
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$BENCH/results"
RESULT="$BENCH/results/$STAMP.txt"
{
  echo "Anima Vault HTTP benchmark, $STAMP"
  echo "git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'); $(nproc) CPUs ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo));" \
    "$("$JAVA_HOME/bin/java" -version 2>&1 | head -n1); $(wrk --version 2>&1 | head -n1 | cut -d' ' -f1-2)"
  echo "server: $DIST (${BENCH_VAULT_CONFIG:-embedded default: SQLite storage, audit to file}), JVM options: ${BENCH_JAVA_OPTS:-<defaults>}"
  echo "load average (1/5/15 min) at start: $LOAD_AT_START, at end: $(cut -d' ' -f1-3 /proc/loadavg) (anything else running competes for the same CPUs)"
  echo "wrk on 127.0.0.1: $THREADS threads, $CONNECTIONS connections, $ROUNDS alternating rounds x ${DURATION}s after ${WARMUP}s warm-up each"
  echo
  echo "Startup to healthy (fresh data dir): $STARTUP_MS ms"
  if has startup; then
    echo "  restarts on the data dir above ($STARTUP_RUNS each), median: without AOT cache $START_PLAIN_MEDIAN ms (runs:$START_PLAIN),"
    echo "  with AOT cache ${START_AOT_MEDIAN} ms (runs:${START_AOT:- none: no cache}); target <= 1000 ms: $START_VERDICT"
    echo "  restart with $AUDIT_EVENTS audit events (median $START_FULL_MEDIAN ms, AOT $REOPEN_AOT) vs an empty data dir (median $START_EMPTY_MEDIAN ms, runs:$START_EMPTY):"
    echo "  $REOPEN_RATIO x, peak RSS $(mib "$START_FULL_HWM"); target <= 1.5x and <= 256 MiB: $REOPEN_VERDICT"
    echo "  JVM CPU time until healthy, median: without AOT cache $CPU_PLAIN_MEDIAN ms, with $CPU_AOT_MEDIAN ms"
    echo "  RSS after the last restart: $(mib "$RSS_RESTARTED")"
  fi
  echo
  if has reads; then
  echo "Secret read with an identity token (GET $READ_PATH, $BODY_BYTES-byte body) vs bare Helidon handler, same body size"
  printf '  %-6s %12s %12s %14s %12s %12s %14s\n' round "vault req/s" "vault p99" "vault CPU/req" "bare req/s" "bare p99" "bare CPU/req"
  for ((r = 1; r <= ROUNDS; r++)); do
    printf '  %-6s %12s %9s ms %11s us %12s %9s ms %11s us\n' "$r" "${V_RPS[r]}" "${V_P99[r]}" "${V_CPU[r]}" "${B_RPS[r]}" "${B_P99[r]}" "${B_CPU[r]}"
  done
  printf '  %-6s %12s %9s ms %11s us %12s %9s ms %11s us\n' mean "$V_RPS_MEAN" "$V_P99_MEAN" "$V_CPU_MEAN" "$B_RPS_MEAN" "$B_P99_MEAN" "$B_CPU_MEAN"
  echo "  ratio vault/bare: requests/s ${RPS_RATIO}x (target >= 0.6x: $RPS_VERDICT), p99 ${P99_RATIO}x (target <= 1.5x: $P99_VERDICT)"
  echo "  server CPU time per request: vault ${CPU_RATIO}x the bare handler's (independent of other load on the machine)"
  echo "  non-2xx responses + socket errors during measured reads: $READ_ERRORS"
  echo
  fi
  if has writes; then
  echo "Secret writes (POST /v1/vault/secrets, a new key each, ${DURATION}s per run, org API key; $WRITE_ROUNDS alternating rounds)"
  printf '  %-22s %12s %12s %10s %8s %14s\n' clients "writes/s" "p99" created failed "server CPU"
  w_table "$W_ROWS"
  echo "  $WRITE_CLIENTS_MANY clients / 1 client: ${W_RATIO}x, of the rounds' mean rates (target >= 8x: $W_VERDICT)"
  if [ "$BENCH_BARE_WRITES" = 1 ]; then
  echo "  the bare writer, each run right after the vault's (Helidon + SQLite synchronous=FULL + group commit, rows like"
  echo "  the vault's; no auth, encryption, MACs, audit or savepoints: what this machine gives the stack):"
  w_table "$BW_ROWS"
  echo "  bare writer $WRITE_CLIENTS_MANY clients / 1 client: ${BW_RATIO}x; vault/bare writes/s: 1 client" \
    "$(awk -v a="$W1_RATE" -v b="$BW1_RATE" 'BEGIN {printf "%.2f", a / b}')x, $WRITE_CLIENTS_MANY clients" \
    "$(awk -v a="$WN_RATE" -v b="$BWN_RATE" 'BEGIN {printf "%.2f", a / b}')x"
  fi
  echo
  fi
  echo "Memory (server process VmRSS)"
  echo "  after startup:                  $(mib "$RSS_IDLE")"
  if has reads; then echo "  after the read runs:            $(mib "$RSS_AFTER_READS")"; fi
  if has memory; then
  echo "  after storing $LOAD_STORED more secrets ($TOTAL_SECRETS in total, $IDENTITIES identities): $(mib "$RSS_LOADED") (peak VmHWM $(mib "$HWM_LOADED"); $RSS_SPLIT)"
  echo "  load: $LOAD_STORED secrets in ${LOAD_SECONDS}s = ${LOAD_RATE}/s with $LOAD_CLIENTS clients; data directory $DATA_SIZE"
  echo "  target after the load <= 256 MiB: $RSS_VERDICT"
  fi
  if has pages; then
  echo
  echo "Pages of 100 (keyset, org API key) vs one secret read (identity token), p50 on $PAGE_CONNECTIONS kept-alive connection(s), ${PAGE_DURATION}s each after as long a warm-up"
  echo "  rows: $PAGE_SECRET_TOTAL secrets, $PAGE_ID_TOTAL identities; the paged identity has $PAGE_SECRETS secrets"
  printf '  %-44s %10s %10s %8s %22s %12s\n' listing p50 req/s "x read" target "server CPU"
  printf '  %-44s %7s us %10s %8s %22s %7s us/req\n' "secret read (mean of before/after: $PG_READ1, $PG_READ2)" "$PG_READ" "" 1.0 "" "$PG_READ_CPU"
  printf '  %-44s %7s us %10s %8s %22s %7s us/req\n' "secrets of pages_big000, first page" "$PG_S1" "$PG_S1_RPS" "$PG_S1_X" "<= 5x: $(verdict "$PG_S1_X" "<=" 5)" "$PG_S1_CPU"
  printf '  %-44s %7s us %10s %8s %22s %7s us/req\n' "secrets of pages_big000, page after #$((PAGE_SECRETS / 2))" "$PG_SD" "$PG_SD_RPS" "$PG_SD_X" "<= 5x: $(verdict "$PG_SD_X" "<=" 5)" "$PG_SD_CPU"
  printf '  %-44s %7s us %10s %8s %22s %7s us/req\n' "secrets, walk: first pages of $IDENTITIES identities" "$PG_SW" "$PG_SW_RPS" "$PG_SW_X" "<= 5x: $(verdict "$PG_SW_X" "<=" 5)" "$PG_SW_CPU"
  printf '  %-44s %7s us %10s %8s %22s %7s us/req\n' "identities, first page" "$PG_I1" "$PG_I1_RPS" "$PG_I1_X" "<= 5x: $(verdict "$PG_I1_X" "<=" 5)" "$PG_I1_CPU"
  printf '  %-44s %7s us %10s %8s %22s %7s us/req\n' "identities, page after #$((PAGE_ID_TOTAL / 2))" "$PG_ID" "$PG_ID_RPS" "$PG_ID_X" "<= 5x: $(verdict "$PG_ID_X" "<=" 5)" "$PG_ID_CPU"
  printf '  %-44s %7s us %10s %8s %22s %7s us/req\n' "identities, walk: first $(wc -l <"$WORK/walk-identities.txt") pages in turn" "$PG_IW" "$PG_IW_RPS" "$PG_IW_X" "<= 5x: $(verdict "$PG_IW_X" "<=" 5)" "$PG_IW_CPU"
  printf '  %-44s %7s us %10s %8s %22s %7s us/req\n' "audit query, newest 100 of $AUDIT_IDENTITY" "$PG_AQ" "$PG_AQ_RPS" "" "<= 20 ms: $(verdict "$PG_AQ_MS" "<=" 20)" "$PG_AQ_CPU"
  AQ_NOTE=""; [ "$AUDIT_EVENTS_NOW" -ge 1000000 ] || AQ_NOTE=" (fewer than the target's 10^6: not a verdict at its size)"
  echo "  the audit trail held $AUDIT_EVENTS_NOW events at the audit query$AQ_NOTE"
  echo "  non-2xx responses + socket errors during these runs: $PG_BAD"
  fi
} | tee "$RESULT"
{
  echo
  if [ -s "$WORK/nmt.txt" ]; then echo "---- native memory (BENCH_NMT=1) ----"; cat "$WORK/nmt.txt"; echo; fi
  if [ -s "$WORK/threads.txt" ]; then echo "---- write runs: CPU per write by thread (BENCH_THREAD_CPU=1) ----"; cat "$WORK/threads.txt"; echo; fi
  echo "---- raw wrk output ----"
  cat "$WORK/wrk.txt" 2>/dev/null || echo "(no wrk run in PARTS=$PARTS)"
} >>"$RESULT"
log "summary written to ${RESULT#"$ROOT"/}"
