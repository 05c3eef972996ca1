/**
 * CPU time of another process (a cluster node child) from Linux's /proc/<pid>/stat: utime + stime,
 * all of its threads, in clock ticks. The parsing is pure; reading and tick length are not.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CaxtonError } from '@caxton/core';

export class ProcStatUnreadable extends CaxtonError {
  constructor(message: string, context: Record<string, unknown>) {
    super('bench.proc-stat', message, {
      kind: 'failed-precondition',
      context,
      hint: 'CPU per message of child processes needs Linux /proc',
    });
  }
}

/**
 * utime + stime ticks from the text of /proc/<pid>/stat. The second field (the command name) is in
 * parentheses and may itself hold spaces or parentheses, so fields are counted after the LAST ')':
 * there field 3 (state) comes first, utime is field 14 and stime field 15 (proc(5)).
 */
export function cpuTicksFromStat(text: string): number {
  const close = text.lastIndexOf(')');
  const fields =
    close < 0
      ? []
      : text
          .slice(close + 1)
          .trim()
          .split(/\s+/);
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (!Number.isInteger(utime) || !Number.isInteger(stime))
    throw new ProcStatUnreadable('unexpected /proc/<pid>/stat format', { text: text.slice(0, 200) });
  return utime + stime;
}

let ticksPerSecond: number | undefined;

/** USER_HZ (almost always 100); `getconf CLK_TCK` since Node has no sysconf. */
function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    const out = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    ticksPerSecond = Number.isInteger(out) && out > 0 ? out : 100;
  }
  return ticksPerSecond;
}

/** CPU seconds (user + system, all threads) `pid` has used so far. */
export function processCpuSeconds(pid: number): number {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (cause) {
    throw new ProcStatUnreadable(`cannot read /proc/${pid}/stat: ${(cause as Error).message}`, { pid });
  }
  return cpuTicksFromStat(text) / clockTicksPerSecond();
}

/** Host CPU time stolen by the hypervisor, from the aggregate `cpu` line of /proc/stat (proc(5)). */
export interface HostCpuTicks {
  /** All ticks of all CPUs (user … steal). */
  total: number;
  steal: number;
}

/** Parses the first line of /proc/stat: `cpu user nice system idle iowait irq softirq steal …`. */
export function hostCpuTicksFromStat(text: string): HostCpuTicks {
  const line = text.split('\n', 1)[0] ?? '';
  const fields = line.trim().split(/\s+/);
  if (fields[0] !== 'cpu' || fields.length < 9) throw new ProcStatUnreadable('unexpected /proc/stat format', { line: line.slice(0, 200) });
  const values = fields.slice(1, 9).map(Number);
  if (values.some((v) => !Number.isInteger(v))) throw new ProcStatUnreadable('unexpected /proc/stat format', { line: line.slice(0, 200) });
  return { total: values.reduce((a, b) => a + b, 0), steal: values[7]! };
}

export function readHostCpuTicks(): HostCpuTicks {
  return hostCpuTicksFromStat(readFileSync('/proc/stat', 'utf8'));
}

/** Percent of all CPU time between two readings the hypervisor gave to someone else. */
export function stealPercent(before: HostCpuTicks, after: HostCpuTicks): number {
  const total = after.total - before.total;
  return total > 0 ? (100 * (after.steal - before.steal)) / total : 0;
}

/** One thread's scheduler times from /proc/<pid>/task/<tid>/schedstat (ns): on a CPU, and runnable but waiting for one. */
export interface ThreadSchedTimes {
  runNs: number;
  waitNs: number;
}

/** Parses schedstat's `<on-cpu ns> <run-queue wait ns> <timeslices>` (sched-stats.rst). */
export function threadSchedFromSchedstat(text: string): ThreadSchedTimes {
  const [run, wait] = text.trim().split(/\s+/).map(Number);
  if (!Number.isSafeInteger(run) || !Number.isSafeInteger(wait))
    throw new ProcStatUnreadable('unexpected schedstat format', { text: text.slice(0, 200) });
  return { runNs: run!, waitNs: wait! };
}

/**
 * This process's main thread (its tid is the pid): the bus thread of an in-process node. Undefined
 * where there is no schedstat (not Linux, or a kernel without schedstats).
 */
export function readMainThreadSched(): ThreadSchedTimes | undefined {
  try {
    return threadSchedFromSchedstat(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8'));
  } catch {
    return undefined;
  }
}
