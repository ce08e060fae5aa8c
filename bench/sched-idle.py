#!/usr/bin/env python3
"""bench/sched-idle.py OUTDIR: why the CPUs idle in a 32-client write run (docs/performance.md, fifteenth pass).

Reads OUTDIR/sched.data, OUTDIR/vault.pid and OUTDIR/wrk.pid written by bench/sched-capture.sh. The "bench threads"
are the vault's threads and wrk's; their state over time (running, runnable = woken or preempted and waiting for a
core, sleeping and in which kernel path, from the switch's call chain) gives: the time with fewer than two of them
active (on an idle machine, a core idles then), what the writer ("sqlite-group-commit"), the carriers
("ForkJoinPool-1-worker-*") and wrk do meanwhile, the writer's time split, its fsyncs by file descriptor, wake-up
latencies and who wakes whom, and the gaps with every bench thread asleep (what ends them). Virtual threads (the
requests, the audit flusher) are not visible to the kernel: they show as their carriers.
"""
import sys, subprocess, re, collections
D = sys.argv[1]
vault = open(D + '/vault.pid').read().split()[0]
wrkpids = set(open(D + '/wrk.pid').read().split())
out = subprocess.run(['perf', 'script', '-i', D + '/sched.data', '-F', 'comm,tid,pid,cpu,time,event,trace,ip,sym'],
                     capture_output=True, text=True).stdout
hdr = re.compile(r'^\s*(.+?)\s+(\d+)/(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)$')
events = []
cur = None
for line in out.split('\n'):
    if not line.strip():
        continue
    if line.startswith('\t'):
        if cur is not None:
            cur[-1].append(line.split()[-1])
        continue
    m = hdr.match(line)
    if not m:
        continue
    comm, pid, tid, cpu, t, ev, trace = m.groups()
    cur = [float(t), int(cpu), comm, int(pid), int(tid), ev.rstrip(':'), trace, []]
    events.append(cur)
events.sort(key=lambda e: e[0])
tgid = {0: 0}
comms = {}
for e in events:
    tgid[e[4]] = e[3]; comms[e[4]] = e[2]
for e in events:
    if e[5] == 'sched:sched_switch':
        m = re.search(r'next_comm=(.*?) next_pid=(\d+)', e[6]); comms.setdefault(int(m.group(2)), m.group(1))
def group(tid):
    p = tgid.get(tid)
    c = comms.get(tid, '')
    if str(p) == vault:
        if c.startswith('ForkJoinPool-1'): return 'carrier'
        if c.startswith('sqlite-group'): return 'writer'
        return 'vault-other:' + c
    if str(p) in wrkpids or str(tid) in wrkpids: return 'wrk'
    if tid == 0: return 'idle'
    return 'other'
def reason(stack, state):
    s = ' '.join(stack)
    if state.startswith('R'): return 'preempted'
    for key, name in (('fsync', 'fsync'), ('file_write_and_wait', 'fsync'), ('folio_wait', 'pagewait'),
                      ('futex', 'futex'), ('epoll', 'epoll'), ('tcp_recvmsg', 'tcp_recv'), ('sock_', 'sock'),
                      ('poll', 'poll'), ('nanosleep', 'sleep'), ('io_schedule', 'io'), ('pwrite', 'pwrite'), ('pread', 'pread'),
                      ('do_exit', 'exit'), ('mutex', 'mutex'), ('rwsem', 'rwsem')):
        if key in s: return name
    return 'other:' + (stack[2] if len(stack) > 2 else '?')
# thread states
state = {}   # tid -> ('run', t) | ('wait', t) | ('sleep', t, reason)
t0 = events[0][0]; t1 = events[-1][0]
oncpu = {}
gtime = collections.defaultdict(float)        # (group, state-or-reason) -> seconds
wakelat = collections.defaultdict(list)       # group -> [latency]
wakers = collections.defaultdict(collections.Counter)  # group woken -> waker group (+idle target)
wake_idle_target = collections.Counter()
# concurrency: bench threads runnable or running
bench_groups = ('carrier', 'writer', 'wrk')
def isbench(tid):
    g = group(tid); return g in bench_groups or g.startswith('vault-other')
nrun = 0  # bench threads running or runnable
lastt = None
conc = collections.defaultdict(float)
# snapshot accumulation when nrun<2: what are writer/carriers/wrk doing
snap = collections.defaultdict(float)
def snapshot_key():
    w = [st for tid, st in state.items() if group(tid) == 'writer']
    ws = ('writer:' + (w[0][0] if w[0][0] != 'sleep' else 'sleep-' + w[0][2])) if w else 'writer:?'
    cr = sum(1 for tid, st in state.items() if group(tid) == 'carrier' and st[0] in ('run', 'wait'))
    wr = sum(1 for tid, st in state.items() if group(tid) == 'wrk' and st[0] in ('run', 'wait'))
    ot = sum(1 for tid, st in state.items() if group(tid).startswith('vault-other') and st[0] in ('run', 'wait'))
    return '%s carriers-active=%d wrk-active=%d vault-other-active=%d' % (ws, cr, wr, ot)
def advance(t):
    global lastt
    if lastt is not None and t > lastt:
        dt = t - lastt
        n = min(nrun, 3)
        conc[n] += dt
        if nrun < 2:
            snap[snapshot_key()] += dt
        w = wstate[0]
        if w == 'wait':
            occ = sorted(('idle' if cur[0] == 0 else (group(cur[0]).split(':')[0] if group(cur[0]) != 'other' else 'other:' + re.sub(r'[/#-]?[0-9:]+[A-Za-z]*$', '', comms.get(cur[0], '?')))) for cur in cpu_cur.values())
            wwait[' + '.join(occ)] += dt
        if w is not None:
            active = nrun
            ph = w
            phase[ph] += dt
            cact = sum(1 for tid2, st2 in state.items() if group(tid2) == 'carrier' and st2[0] in ('run', 'wait'))
            phase_c[ph] += dt * cact
            phase_free[ph] += dt * max(0, 2 - nrun)
            if cact == 0: phase_c0[ph] += dt
            wact = sum(1 for tid2, st2 in state.items() if group(tid2) == 'wrk' and st2[0] in ('run', 'wait'))
            if cact == 0 and wact == 0: phase_cw0[ph] += dt
        if nrun == 1:
            r = [group(tid).split(':')[0] + ':' + st[0] for tid, st in state.items() if isbench(tid) and st[0] in ('run', 'wait')]
            single[r[0] if r else '?'] += dt
    lastt = t
gap_start = [None]
infsync = set(); wsplit = collections.defaultdict(float); wwait = collections.defaultdict(float)
wstate = [None]
phase_c0 = collections.defaultdict(float); phase_cw0 = collections.defaultdict(float)
phase = collections.defaultdict(float); phase_c = collections.defaultdict(float); phase_free = collections.defaultdict(float)
gaps = collections.defaultdict(float); gapn = collections.Counter()
single = collections.defaultdict(float)
cur_waker = [None]
def setstate(tid, st):
    global nrun
    old = state.get(tid)
    before = nrun
    if isbench(tid):
        was = old is not None and old[0] in ('run', 'wait')
        now = st[0] in ('run', 'wait')
        nrun += (1 if now else 0) - (1 if was else 0)
    if isbench(tid) and lastt is not None:
        if before == 0 and nrun > 0 and gap_start[0] is not None:
            key = '%s woke from %s, by %s' % (group(tid).split(':')[0], old[2] if old and old[0] == 'sleep' else '?', cur_waker[0])
            gaps[key] += st[1] - gap_start[0]; gapn[key] += 1
        if nrun == 0:
            gap_start[0] = st[1]
    if group(tid) == 'writer':
        wstate[0] = st[0] if st[0] != 'sleep' else 'sleep-' + st[2]
    if old is not None:
        g = group(tid)
        key = old[0] if old[0] != 'sleep' else 'sleep-' + old[2]
        gtime[(g, key)] += st[1] - old[1]
        if g == 'writer':
            wsplit[('in fsync: ' if tid in infsync else 'outside: ') + key] += st[1] - old[1]
    state[tid] = st
# first pass: initial states unknown -> treat first seen switch
fsync_n = collections.Counter(); fsync_t = collections.defaultdict(float); fsync_start = {}
batchlog = []
idle_cpu_time = collections.defaultdict(float); cpu_cur = {}
first = {}
for t, cpu, comm, pid, tid, ev, trace, stack in events:
    if ev == 'sched:sched_switch':
        m = re.search(r'prev_pid=(\d+) .*? next_pid=(\d+)', trace)
        first.setdefault(int(m.group(1)), 'run'); first.setdefault(int(m.group(2)), 'wait')
    elif ev.startswith('sched:sched_wakeup'):
        first.setdefault(int(re.search(r' pid=(\d+)', trace).group(1)), 'sleep')
for tid0, st0 in first.items():
    if tid0 != 0:
        setstate(tid0, (st0, t0) if st0 != 'sleep' else ('sleep', t0, 'unknown'))
lastt = t0
for t, cpu, comm, pid, tid, ev, trace, stack in events:
    advance(t)
    if ev == 'sched:sched_switch':
        m = re.search(r'prev_pid=(\d+) prev_prio=\d+ prev_state=(\S+) ==> next_comm=.*? next_pid=(\d+)', trace)
        prev, pst, nxt = int(m.group(1)), m.group(2), int(m.group(3))
        if cpu in cpu_cur:
            idle_cpu_time[(cpu, cpu_cur[cpu][0] == 0)] += t - cpu_cur[cpu][1]
        cpu_cur[cpu] = (nxt, t)
        if prev != 0:
            if pst.startswith('R'):
                setstate(prev, ('wait', t))
            else:
                setstate(prev, ('sleep', t, reason(stack, pst) + ('/D' if pst.startswith('D') else '')))
        if nxt != 0:
            old = state.get(nxt)
            if old is not None and old[0] == 'wait' and len(old) > 2:
                wakelat[group(nxt)].append(t - old[1])
                if old[2] == 'woken-idle': wakelat[group(nxt) + '(idle cpu)'].append(t - old[1])
            setstate(nxt, ('run', t))
    elif ev in ('sched:sched_wakeup', 'sched:sched_wakeup_new'):
        m = re.search(r'pid=(\d+) prio=\d+ target_cpu=(\d+)', trace)
        w, tc = int(m.group(1)), int(m.group(2))
        old = state.get(w)
        cur_waker[0] = group(tid) if tid != 0 else 'irq-in-idle'
        if tid != 0 and stack and any('irq' in f or 'softirq' in f or 'hrtimer' in f for f in stack):
            cur_waker[0] += '(%s)' % ('timer' if any('hrtimer' in f for f in stack) else 'irq')
        if old is None or old[0] == 'sleep':
            tgt0 = cpu_cur.get(tc)
            st = ('wait', t, 'woken-idle' if (tgt0 is not None and tgt0[0] == 0) else 'woken')
            setstate(w, st)
            gw = group(w)
            wakers[gw][group(tid) if tid != 0 else 'irq/idle'] += 1
            tgt = cpu_cur.get(tc)
            wake_idle_target[(gw, tgt is not None and tgt[0] == 0)] += 1
    elif ev == 'syscalls:sys_enter_fsync':
        fsync_n[group(tid)] += 1; fsync_start[tid] = t
        if group(tid) == 'writer' and tid in state:
            setstate(tid, (state[tid][0], t) + tuple(state[tid][2:])); infsync.add(tid)
    elif ev == 'syscalls:sys_exit_fsync':
        if group(tid) == 'writer' and tid in state:
            setstate(tid, (state[tid][0], t) + tuple(state[tid][2:])); infsync.discard(tid)
        if tid in fsync_start:
            fsync_t[group(tid)] += t - fsync_start.pop(tid)
T = t1 - t0
print('trace %.3f s' % T)
print('CPU idle (swapper):', {k[0]: '%.1f%%' % (100 * v / T) for k, v in idle_cpu_time.items() if k[1]})
print('\nbench threads (vault + wrk) running or runnable, share of time:')
for n in sorted(conc): print('  %s%d: %.1f%%' % ('>=' if n == 3 else '  ', n, 100 * conc[n] / T))
print('\nwhen fewer than 2 bench threads are running/runnable (a core would idle on an idle machine), %.1f%% of time:' % (100 * (conc[0] + conc[1]) / T))
tot = sum(snap.values())
for k, v in sorted(snap.items(), key=lambda x: -x[1])[:25]: print('  %5.1f%%  %s' % (100 * v / tot, k))
print('\nthread time by group and state (s over the trace; per-thread sum):')
bygroup = collections.defaultdict(dict)
for (g, k), v in gtime.items(): bygroup[g][k] = v
for g in ('writer', 'carrier', 'wrk'):
    tt = sum(bygroup[g].values())
    print(' ', g, ' '.join('%s=%.3f(%.0f%%)' % (k, v, 100 * v / tt) for k, v in sorted(bygroup[g].items(), key=lambda x: -x[1])[:10]))
others = collections.Counter()
for g in bygroup:
    if g.startswith('vault-other'): others[g] += bygroup[g].get('run', 0)
print('  vault-other running:', ', '.join('%s %.3f' % (g[12:], v) for g, v in others.most_common(8)))
print('\nthe writer, inside and outside its fsync calls (s; per WAL fsync = per batch with FULL):')
nb = max(1, fsync_n['writer'])
for k, v in sorted(wsplit.items(), key=lambda x: -x[1]): print('  %-34s %.3f s  %.3f ms per writer fsync' % (k, v, 1e3 * v / nb))
print('\nwhile the writer is runnable (waiting for a core), what the CPUs run:')
tw = sum(wwait.values()) or 1
for k, v in sorted(wwait.items(), key=lambda x: -x[1])[:8]: print('  %5.1f%%  %s' % (100 * v / tw, k))
print('\nfsync: ', dict(fsync_n), {g: '%.3f s' % v for g, v in fsync_t.items()})
print('\nwake-up latency (woken -> on CPU), ms:')
import statistics
for g in ('writer', 'carrier', 'wrk', 'writer(idle cpu)', 'carrier(idle cpu)', 'wrk(idle cpu)', 'vault-other:MasterPoller'):
    L = sorted(wakelat[g])
    if L: print('  %-8s n=%d mean=%.3f p50=%.3f p90=%.3f p99=%.3f' % (g, len(L), 1e3 * sum(L) / len(L), 1e3 * L[len(L) // 2], 1e3 * L[int(len(L) * .9)], 1e3 * L[int(len(L) * .99)]))
print('\nwho wakes whom:')
for g in ('writer', 'carrier', 'wrk'):
    print('  %-8s by %s; to an idle CPU: %d of %d' % (g, dict(wakers[g].most_common(6)), wake_idle_target[(g, True)], wake_idle_target[(g, True)] + wake_idle_target[(g, False)]))

print('\nall bench threads asleep (gaps), ended by (%d gaps, %.1f%% of time):' % (sum(gapn.values()), 100 * sum(gaps.values()) / T))
for k, v in sorted(gaps.items(), key=lambda x: -x[1])[:15]: print('  %5.1f%% of time, n=%5d, mean %.3f ms  %s' % (100 * v / T, gapn[k], 1e3 * v / gapn[k], k))
print('\nexactly one bench thread active, which (share of time):')
for k, v in sorted(single.items(), key=lambda x: -x[1])[:8]: print('  %5.1f%%  %s' % (100 * v / T, k))
# writer per fsync cycle

print('\nby the writer\'s state: share of time, mean active carriers, mean free cores (2 - active bench threads):')
for k, v in sorted(phase.items(), key=lambda x: -x[1]):
    print('  %-22s %5.1f%%  carriers %.2f (none active %3.0f%%, none and wrk idle %3.0f%%)  free cores %.2f  (free core-time %.1f%% of 2 cores)' % (k, 100 * v / T, phase_c[k] / v, 100 * phase_c0[k] / v, 100 * phase_cw0[k] / v, phase_free[k] / v, 100 * phase_free[k] / (2 * T)))

print('\nthe writer\'s fsyncs by file descriptor (the WAL: one per batch with synchronous=FULL; the database: checkpoints):')
fs_start = {}; fs_by_fd = collections.defaultdict(list)
for t, cpu, comm, pid, tid, ev, trace, stack in events:
    if group(tid) != 'writer': continue
    if ev == 'syscalls:sys_enter_fsync':
        m = re.search(r'fd: (\S+)', trace); fs_start[tid] = (t, m.group(1) if m else '?')
    elif ev == 'syscalls:sys_exit_fsync' and tid in fs_start:
        ts, fd = fs_start.pop(tid); fs_by_fd[fd].append(t - ts)
for fd, L in sorted(fs_by_fd.items(), key=lambda x: -len(x[1])):
    L.sort()
    print('  fd %s: n=%d, %.3f s, mean %.3f ms, p50 %.3f, p90 %.3f, max %.3f ms' % (fd, len(L), sum(L), 1e3 * sum(L) / len(L), 1e3 * L[len(L) // 2], 1e3 * L[int(len(L) * .9)], 1e3 * L[-1]))
