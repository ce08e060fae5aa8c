# Helpers shared by the bench scripts (sourced, not run). Set BENCH_NAME (the prefix of error messages)
# and ROOT (the checkout) before sourcing; api() calls $VAULT_URL.

die() { echo "${BENCH_NAME:-bench}: $*" >&2; exit 1; }
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# require_uint NAME...: each named variable holds a non-negative integer
require_uint() {
  local n
  for n in "$@"; do
    [[ ${!n} =~ ^[0-9]+$ ]] || die "$n must be a non-negative integer, got '${!n}'"
  done
}

# find_dist [BUILD]: sets DIST to BENCH_DIST or the unpacked distribution under distribution/target; with
# BUILD=build, packages it when there is none, otherwise dies naming the command.
find_dist() {
  local d
  DIST=${BENCH_DIST:-}
  DIST=${DIST%/}
  if [ -n "$DIST" ]; then
    [ -x "$DIST/bin/anima-vault" ] || die "BENCH_DIST=$DIST has no bin/anima-vault"
    return 0
  fi
  for d in "$ROOT"/distribution/target/anima-vault-*/; do [ -x "$d/bin/anima-vault" ] && DIST=${d%/}; done
  [ -n "$DIST" ] && return 0
  [ "${1:-}" = build ] || die "no unpacked distribution: mvn -B -pl distribution,bench -am package -DskipTests"
  log "building the distribution (mvn -pl distribution -am package -DskipTests)"
  (cd "$ROOT" && mvn -B -q -pl distribution -am package -DskipTests) || die "building the distribution failed"
  for d in "$ROOT"/distribution/target/anima-vault-*/; do [ -x "$d/bin/anima-vault" ] && DIST=${d%/}; done
  [ -n "$DIST" ] || die "no distribution/target/anima-vault-*/bin/anima-vault"
}

# free_port: a loopback port nothing listens on, below the kernel's ephemeral range when it can (10000 up to
# the range's start): a port inside the range may be the local end of a client connection (wrk's, curl's, a
# JDBC pool's), which the connect() probe below takes for free and bind() then refuses ("Address already in
# use", seen once in a full run of http-bench.sh).
free_port() {
  local port i low=32768 span
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || low=32768
  span=$((low - 10000))
  for ((i = 0; i < 100; i++)); do
    if ((span >= 1000)); then port=$((10000 + RANDOM % span)); else port=$((20000 + RANDOM % 40000)); fi
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then printf '%s' "$port"; return 0; fi
  done
  die "no free loopback port found"
}

random_token() { head -c 32 /dev/urandom | base64 | tr -d '/+=\n' | head -c 43; }

# api METHOD PATH HEADER_FILE [JSON]: sets API_STATUS and API_BODY. The bearer token is read by curl from a
# 0600 header file so it never appears in a process listing.
api() {
  local out
  out=$(curl -sS --max-time 30 -X "$1" -H "@$3" -H 'Content-Type: application/json' \
    ${4:+--data-binary "$4"} -w '\n%{http_code}' "$VAULT_URL$2")
  API_STATUS=${out##*$'\n'}
  API_BODY=${out%$'\n'*}
}
expect() { [ "$API_STATUS" = "$1" ] || die "$2: expected HTTP $1, got $API_STATUS: $API_BODY"; }
json_field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" <<<"$2" | head -n1; }

# to_ms LATENCY: a wrk latency (850.00us, 1.20ms, 2.00s, 1.00m) in milliseconds
to_ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
    printf "%.2f", n }'
}
