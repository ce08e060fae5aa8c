#!/usr/bin/env bash
# Scheduler trace of the 32-client write run: why the CPUs idle (docs/performance.md, fifteenth pass).
#
#   bench/sched-capture.sh OUTDIR      (BENCH_DIST, BENCH_VAULT_CONFIG as for http-bench.sh; root, perf)
#
# Runs `PARTS=writes BENCH_THREAD_CPU=1 DURATION=10 WARMUP=5 WRITE_WARMUP=20 bench/http-bench.sh`; 2 s after the
# 32-client wrk starts, records sched_switch/sched_wakeup (kernel call chains) and the fsync system calls of the
# whole machine for 4 s into OUTDIR/sched.data, with the vault's and wrk's pids in OUTDIR/{vault,wrk}.pid. Then:
#   bench/sched-idle.py OUTDIR
# On a shared machine, run it in an autogroup of its own with a high weight, e.g.
#   setsid bash -c 'echo -20 > /proc/self/autogroup; exec bench/sched-capture.sh OUTDIR'
set -u
OUT=${1:?usage: bench/sched-capture.sh OUTDIR}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd -P)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
command -v perf >/dev/null || { echo "perf not found" >&2; exit 2; }
cd "$ROOT"
( PARTS=writes BENCH_THREAD_CPU=1 DURATION=10 WARMUP=5 WRITE_WARMUP=20 bench/http-bench.sh >"$OUT/bench.log" 2>&1 ) &
BP=$!
while kill -0 $BP 2>/dev/null; do
  if grep -q 'writes, 1 client:' "$OUT/bench.log"; then
    PORT=$(sed -n "s|.*server on http://127.0.0.1:\([0-9]*\).*|\1|p" "$OUT/bench.log")
    W=""
    while [ -z "$W" ] && kill -0 $BP 2>/dev/null; do
      for p in $(pgrep -x wrk); do
        grep -q "127.0.0.1:$PORT/" /proc/"$p"/cmdline 2>/dev/null && grep -q -- "-c32" /proc/"$p"/cmdline && W=$p
      done
      sleep 0.05
    done
    echo "$W" >"$OUT/wrk.pid"
    sed -n "s|.*(pid \([0-9]*\),.*|\1|p" "$OUT/bench.log" >"$OUT/vault.pid"
    sleep 2
    cut -d' ' -f1-3 /proc/loadavg >"$OUT/load.txt"
    perf record -o "$OUT/sched.data" -a -e sched:sched_switch -e sched:sched_wakeup -e sched:sched_wakeup_new \
      -e syscalls:sys_enter_fsync -e syscalls:sys_exit_fsync -m 4096 -g --kernel-callchains -- sleep 4 >"$OUT/perf.log" 2>&1
    break
  fi
  sleep 0.2
done
wait $BP
cut -d' ' -f1-3 /proc/loadavg >>"$OUT/load.txt"
grep 'writes,' "$OUT/bench.log"
