#!/usr/bin/env bash
# A/B of the listing pages between two packaged builds, both running at once, measured alternately so that
# both see the same background load: server CPU per request (user + system time of each vault's process over
# the requests of a wrk run) for one secret read, a 100-item page of one identity's secrets and a 100-item
# page of identities; the median over ROUNDS. For a shared machine, where wall-clock latency is noise.
#
#   bench/pages-ab.sh DIST_A DIST_B     each an unpacked distribution (distribution/target/anima-vault-*/)
#   knobs: ROUNDS (5), SECONDS_PER_RUN (5), PAGE_SECRETS (1000), PAGE_IDENTITIES (2000),
#          KINDS ("read secrets identities"; also walk-secrets, walk-identities: pages nobody listed moments
#          before, like http-bench.sh's walks: the first secrets page of each of WALK_IDENTITIES identities
#          holding 100 secrets each, and the first WALK_PAGES identity pages in turn; these load more rows),
#          JAVA_OPTS_A, JAVA_OPTS_B (ANIMA_VAULT_JAVA_OPTS of each build, e.g. a JFR recording)
set -euo pipefail
KINDS=${KINDS:-read secrets identities}
WALK_IDENTITIES=${WALK_IDENTITIES:-100}
WALK_PAGES=${WALK_PAGES:-100}
ROUNDS=${ROUNDS:-5}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
PAGE_SECRETS=${PAGE_SECRETS:-1000}
PAGE_IDENTITIES=${PAGE_IDENTITIES:-2000}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
BENCH=$ROOT/bench
# shellcheck source=../scripts/java-env.sh
source "$ROOT/scripts/java-env.sh"
BENCH_NAME=pages-ab
# shellcheck source=lib.sh
source "$BENCH/lib.sh"  # die, log, free_port, random_token
[ $# = 2 ] && [ -x "$1/bin/anima-vault" ] && [ -x "$2/bin/anima-vault" ] || die "usage: pages-ab.sh DIST_A DIST_B"
[ -f "$BENCH/target/classes/dev/animavault/bench/SecretLoader.class" ] || die "build the bench module first (mvn -pl bench -am package -DskipTests)"
BENCH_CP="$BENCH/target/classes:$BENCH/target/lib/*"
CLK_TCK=$(getconf CLK_TCK)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/anima-pages-ab.XXXXXX")
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

declare -A URL PID KEY READER
for v in A B; do
  dist=$1; [ "$v" = B ] && dist=$2
  port=$(free_port)
  URL[$v]="http://127.0.0.1:$port"
  KEY[$v]="avk_$(random_token)"
  mkdir -p "$WORK/$v"
  opts=${JAVA_OPTS_A:-}; [ "$v" = B ] && opts=${JAVA_OPTS_B:-}
  ANIMA_VAULT_HTTP_HOST=127.0.0.1 ANIMA_VAULT_HTTP_PORT=$port ANIMA_VAULT_DATA_DIR="$WORK/$v/data" \
    ANIMA_VAULT_JAVA_OPTS="$opts" ANIMA_VAULT_BOOTSTRAP_TOKEN="${KEY[$v]}" "$dist/bin/anima-vault" server >"$WORK/$v/vault.log" 2>&1 &
  PID[$v]=$!
  PIDS+=("$!")
  log "$v: $dist on ${URL[$v]} (pid ${PID[$v]})"
done
for v in A B; do
  for _ in $(seq 600); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "${URL[$v]}/v1/sys/health")" = 200 ] && break
    kill -0 "${PID[$v]}" 2>/dev/null || { tail -n 20 "$WORK/$v/vault.log" >&2; die "$v exited"; }
    sleep 0.5
  done
  h=(-H "Authorization: Bearer ${KEY[$v]}" -H 'Content-Type: application/json')
  curl -sf "${h[@]}" -d '{"id":"bench_reader"}' "${URL[$v]}/v1/identities" >/dev/null || die "$v: identity"
  curl -sf "${h[@]}" -d '{"identityId":"bench_reader","key":"K","value":"sk-0123456789abcdef0123456789abcdef","type":"api_key"}' \
    "${URL[$v]}/v1/vault/secrets" >/dev/null || die "$v: secret"
  READER[$v]=$(curl -sf "${h[@]}" -d '{}' "${URL[$v]}/v1/identities/bench_reader/tokens" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
  [ -n "${READER[$v]}" ] || die "$v: no token"
  AV_TOKEN=${KEY[$v]} "$JAVA_HOME/bin/java" -cp "$BENCH_CP" dev.animavault.bench.SecretLoader \
    "${URL[$v]}" "$PAGE_IDENTITIES" pid_ 0 16 UNUSED >>"$WORK/loader.log" 2>&1 || die "$v: identities"
  AV_TOKEN=${KEY[$v]} "$JAVA_HOME/bin/java" -cp "$BENCH_CP" dev.animavault.bench.SecretLoader \
    "${URL[$v]}" 1 pages_big "$PAGE_SECRETS" 16 PG >>"$WORK/loader.log" 2>&1 || die "$v: secrets"
  log "$v: loaded $PAGE_IDENTITIES identities and $PAGE_SECRETS secrets of pages_big000"
  if [[ " $KINDS " == *" walk-"* ]]; then
    AV_TOKEN=${KEY[$v]} "$JAVA_HOME/bin/java" -cp "$BENCH_CP" dev.animavault.bench.SecretLoader \
      "${URL[$v]}" "$WALK_IDENTITIES" walk_ $((WALK_IDENTITIES * 100)) 16 W >>"$WORK/loader.log" 2>&1 || die "$v: walk secrets"
    for ((i = 0; i < WALK_IDENTITIES; i++)); do printf '/v1/vault/secrets/walk_%03d?limit=100\n' "$i"; done >"$WORK/$v/walk-secrets.txt"
    path=/v1/identities?limit=100
    for ((i = 0; i < WALK_PAGES; i++)); do
      echo "$path"
      c=$(curl -sf -H "Authorization: Bearer ${KEY[$v]}" "${URL[$v]}$path" | sed -n 's/.*"nextCursor":"\([^"]*\)".*/\1/p')
      [ -n "$c" ] || break
      path="/v1/identities?limit=100&cursor=$c"
    done >"$WORK/$v/walk-identities.txt"
    log "$v: walks of $(wc -l <"$WORK/$v/walk-secrets.txt") secrets pages and $(wc -l <"$WORK/$v/walk-identities.txt") identity pages"
  fi
done

# run V NAME -> "cpu_us_per_request p50"
run() {
  local v=$1 name=$2 path tok out before after n script=$BENCH/lua/auth-get.lua paths=""
  case $name in
    read) path=/v1/vault/secrets/bench_reader/K; tok=${READER[$v]} ;;
    secrets) path="/v1/vault/secrets/pages_big000?limit=100"; tok=${KEY[$v]} ;;
    identities) path="/v1/identities?limit=100"; tok=${KEY[$v]} ;;
    walk-secrets|walk-identities) path=/; tok=${KEY[$v]}; script=$BENCH/lua/auth-get-paths.lua; paths=$WORK/$v/$name.txt ;;
  esac
  before=$(cpu_ticks "${PID[$v]}")
  out=$(AV_TOKEN=$tok AV_PATHS=$paths wrk -t1 -c1 -d"${SECONDS_PER_RUN}s" --timeout 10s --latency -s "$script" "${URL[$v]}$path")
  after=$(cpu_ticks "${PID[$v]}")
  grep -q "Non-2xx" <<<"$out" && die "$v $name: non-2xx responses"
  n=$(awk '/ requests in / {print $1}' <<<"$out")
  awk -v t=$((after - before)) -v hz="$CLK_TCK" -v n="$n" -v p50="$(awk '$1 == "50%" {print $2}' <<<"$out")" \
    'BEGIN {printf "%.0f %s\n", t * 1e6 / hz / n, p50}'
}
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

log "warm-up: every run once on both, discarded"
for name in $KINDS; do for v in A B; do run "$v" "$name" >/dev/null; run "$v" "$name" >/dev/null; done; done
declare -A CPU
for r in $(seq "$ROUNDS"); do
  for name in $KINDS; do
    for v in A B; do
      read -r c p <<<"$(run "$v" "$name")"
      CPU[$v.$name]="${CPU[$v.$name]:-} $c"
      log "round $r $v $name: server CPU $c us/request, p50 $p"
    done
  done
done
echo "Server CPU per request (median of $ROUNDS alternating ${SECONDS_PER_RUN}s runs, 1 connection), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  A = $1"
echo "  B = $2"
printf '  %-34s %10s %10s %8s\n' request "A us" "B us" "B/A"
for name in $KINDS; do
  # shellcheck disable=SC2086  # the lists are space separated
  a=$(median ${CPU[A.$name]}); b=$(median ${CPU[B.$name]})
  label=$name; [ "$name" = secrets ] && label="page of 100 secrets"; [ "$name" = identities ] && label="page of 100 identities"
  [ "$name" = walk-secrets ] && label="walk: secrets pages of $WALK_IDENTITIES ids"
  [ "$name" = walk-identities ] && label="walk: $WALK_PAGES identity pages"
  printf '  %-34s %10s %10s %8s   (A:%s; B:%s)\n' "$label" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", b / a}')" "${CPU[A.$name]}" "${CPU[B.$name]}"
done
