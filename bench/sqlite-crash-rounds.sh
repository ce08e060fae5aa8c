#!/usr/bin/env bash
# kill -9 durability of group-committed SQLite writes, many rounds:
#
#   bench/sqlite-crash-rounds.sh            (ROUNDS=100 by default)
#
# Runs storage-jdbc's JdbcCrashDurabilityTest with anima.crash.rounds=$ROUNDS: per round a child JVM
# writes records from 16 concurrent threads (so writes share group commits) and prints each
# acknowledgement; it is killed with SIGKILL after a random number (50..399) of them, and a fresh
# backend on the same file must return every acknowledged record. Both sqlite-synchronous settings
# (FULL, NORMAL), $ROUNDS rounds each, on one database file per setting. CI runs the same test with 2
# rounds. Prints the test's summary lines. Don't rebuild the module while it runs: the children load its
# classes from target/.
set -euo pipefail
ROUNDS=${ROUNDS:-100}
SYNC=${SYNC:-}          # FULL or NORMAL: only that sqlite-synchronous setting (default: both)
[[ $ROUNDS =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 1 ] || { echo "ROUNDS must be a positive integer" >&2; exit 2; }
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=../scripts/java-env.sh
source "$ROOT/scripts/java-env.sh"
LOG=$(mktemp "${TMPDIR:-/tmp}/anima-crash-rounds.XXXXXX")
cd "$ROOT"
start=$(date +%s)
if mvn -B -ntp -pl plugins/storage-jdbc -am verify -Dit.test=none -Dtest=JdbcCrashDurabilityTest \
    -Dsurefire.failIfNoSpecifiedTests=false -Danima.crash.rounds="$ROUNDS" -Danima.crash.sync="$SYNC" >"$LOG" 2>&1; then
  # the test's summary lines (the surefire output files exist only when the test printed to them)
  { grep -h 'kill -9 durability' "$LOG" plugins/storage-jdbc/target/surefire-reports/*-output.txt 2>/dev/null || true; } | sort -u
  echo "PASS: $ROUNDS rounds per setting in $(($(date +%s) - start)) s, no acknowledged write lost (log: $LOG)"
else
  grep -E 'AssertionError|lost|FAIL|ERROR' "$LOG" | head -n 20 >&2
  echo "FAIL (log: $LOG)" >&2
  exit 1
fi
