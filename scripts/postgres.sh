#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server for tests, on 127.0.0.1 only.
#
#   scripts/postgres.sh start   initialise (first time) and start; a no-op when already running
#   scripts/postgres.sh stop    stop it (the data stays; start again reuses it)
#   scripts/postgres.sh status  exit 0 when running
#   scripts/postgres.sh url     print the JDBC URL (fails when not running)
#   scripts/postgres.sh env     print export lines for ANIMA_TEST_PG_URL/_USER/_PASSWORD
#   scripts/postgres.sh destroy stop and delete the data directory
#
# Environment: ANIMA_PG_DIR (data root, default /tmp/anima-vault-pg), ANIMA_PG_PORT (default 55432;
# the next free port is taken when it is busy). Database "animavault", owned by user "animavault"
# whose password is "animavault-test": this server is for tests only and never listens beyond loopback.
#
# initdb refuses to run as root, so as root the server runs as the "postgres" OS user (runuser).
# When pg_config/initdb are missing and we are root, the Debian "postgresql" package is installed.
set -euo pipefail

PG_ROOT=${ANIMA_PG_DIR:-/tmp/anima-vault-pg}
PG_DATA=$PG_ROOT/data
PG_SOCK=$PG_ROOT/sock
PG_LOG=$PG_ROOT/server.log
PORT_FILE=$PG_ROOT/port
DB_NAME=animavault
DB_USER=animavault
DB_PASSWORD=animavault-test

die() { echo "postgres.sh: $*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

find_bindir() {
  local dir=""
  if command -v pg_config >/dev/null 2>&1; then
    dir=$(pg_config --bindir 2>/dev/null || true)
  fi
  if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
    # Debian's pg_config (from libpq-dev) may point at /usr/bin, where initdb is not
    for candidate in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
      if [ -x "$candidate/initdb" ]; then dir=$candidate; break; fi
    done
  fi
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  return 1
}

install_server() {
  is_root || die "PostgreSQL server binaries (initdb) not found; install the 'postgresql' package (version 15) or run as root"
  echo "postgres.sh: installing the PostgreSQL server (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  if ! apt-cache policy postgresql | grep -q 'Candidate: [0-9]'; then
    die "apt has no 'postgresql' package candidate; install PostgreSQL 15 by hand"
  fi
  apt-get install -y -qq postgresql >&2
}

BINDIR=$(find_bindir || true)

# Runs a PostgreSQL binary as the user owning the data directory.
as_pg() {
  if is_root; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port() {
  [ -f "$PORT_FILE" ] && cat "$PORT_FILE"
}

running() {
  [ -n "$BINDIR" ] && [ -f "$PG_DATA/PG_VERSION" ] && as_pg "$BINDIR/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

port_free() {
  # bash's /dev/tcp connect fails when nothing listens
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

choose_port() {
  local p=${ANIMA_PG_PORT:-55432} tries=0
  while ! port_free "$p"; do
    p=$((p + 1)); tries=$((tries + 1))
    [ "$tries" -lt 50 ] || die "no free port from ${ANIMA_PG_PORT:-55432} on"
  done
  echo "$p"
}

url() {
  echo "jdbc:postgresql://127.0.0.1:$(port)/$DB_NAME"
}

psql_super() {
  as_pg "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$(port)" -U postgres -d postgres "$@"
}

start() {
  if [ -z "$BINDIR" ]; then
    install_server
    BINDIR=$(find_bindir) || die "initdb still not found after installing postgresql"
  fi
  if running; then
    return 0
  fi
  mkdir -p "$PG_ROOT"
  if is_root; then
    id postgres >/dev/null 2>&1 || die "the 'postgres' OS user does not exist (install the postgresql package)"
    chown postgres: "$PG_ROOT"
  fi
  chmod 700 "$PG_ROOT"
  as_pg mkdir -p "$PG_SOCK"
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    rm -rf "$PG_DATA"
    as_pg "$BINDIR/initdb" -D "$PG_DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >"$PG_ROOT/initdb.log" 2>&1 \
      || { cat "$PG_ROOT/initdb.log" >&2; die "initdb failed"; }
  fi
  local p
  p=$(choose_port)
  echo "$p" >"$PORT_FILE"
  # fsync stays on: the storage plugin's durability tests rely on real commits.
  as_pg "$BINDIR/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $p -k $PG_SOCK -c max_connections=200" start >/dev/null \
    || { tail -n 30 "$PG_LOG" >&2 || true; die "pg_ctl start failed (log: $PG_LOG)"; }
  psql_super <<SQL
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', '$DB_USER', '$DB_PASSWORD')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', '$DB_NAME', '$DB_USER')
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$DB_NAME') \gexec
SQL
  echo "postgres.sh: PostgreSQL running at $(url) (user $DB_USER)" >&2
}

stop() {
  if running; then
    as_pg "$BINDIR/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) running ;;
  url) running || die "not running (run scripts/postgres.sh start)"; url ;;
  env)
    running || die "not running (run scripts/postgres.sh start)"
    echo "export ANIMA_TEST_PG_URL='$(url)'"
    echo "export ANIMA_TEST_PG_USER='$DB_USER'"
    echo "export ANIMA_TEST_PG_PASSWORD='$DB_PASSWORD'"
    ;;
  destroy) stop; rm -rf "$PG_ROOT" ;;
  *) echo "usage: $0 start|stop|status|url|env|destroy" >&2; exit 2 ;;
esac
