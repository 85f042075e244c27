/**
 * What the benchmarks read about a process from Linux's /proc: CPU time (the
 * `utime` + `stime` fields of /proc/PID/stat, all threads), resident memory
 * (VmRSS and its high-water mark VmHWM of /proc/PID/status) and the
 * open-files limit. Elsewhere (no /proc) every reader returns undefined and
 * the reports leave those figures out rather than guess.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** Clock ticks per second, the unit of utime/stime (`getconf CLK_TCK`; 100 on every common kernel). */
const CLOCK_TICKS_PER_SECOND = (() => {
  const probe = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const value = Number(probe.stdout?.trim());
  return Number.isInteger(value) && value > 0 ? value : 100;
})();

/** Whether /proc is there to read. */
export const HAS_PROC = existsSync('/proc/self/stat');

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * User + system CPU time of every thread of `pid`, in microseconds (resolution
 * one clock tick, 10 ms), or undefined when it cannot be read.
 */
export function cpuMicros(pid: number): number | undefined {
  const stat = readProc(pid, 'stat');
  if (stat === undefined) return undefined;
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of proc(5); `fields[0]` is field 3.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? (ticks * 1_000_000) / CLOCK_TICKS_PER_SECOND : undefined;
}

/** Resident set size now (`rss`) and its peak so far (`peak`) of `pid`, in bytes. */
export function memoryBytes(pid: number): { rss: number; peak: number } | undefined {
  const status = readProc(pid, 'status');
  if (status === undefined) return undefined;
  const kilobytes = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  const rss = kilobytes('VmRSS') * 1024;
  const peak = kilobytes('VmHWM') * 1024;
  return Number.isFinite(rss) && Number.isFinite(peak) ? { rss, peak } : undefined;
}

/** The soft limit on open files of this process (what its children inherit), or undefined. */
export function openFilesLimit(): number | undefined {
  const limits = readProc(process.pid, 'limits');
  const soft = limits === undefined ? undefined : /^Max open files\s+(\S+)/m.exec(limits)?.[1];
  if (soft === undefined) return undefined;
  return soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
}

/**
 * The machine-wide count of connections dropped because a listening socket's
 * accept queue was full (`TcpExt: ListenOverflows` of /proc/net/netstat), or
 * undefined. Every process's listeners count, so read it as a hint.
 */
export function listenOverflows(): number | undefined {
  let netstat: string;
  try {
    netstat = readFileSync('/proc/net/netstat', 'utf8');
  } catch {
    return undefined;
  }
  const [names, values] = netstat.split('\n').filter((line) => line.startsWith('TcpExt:'));
  const index = names?.split(' ').indexOf('ListenOverflows') ?? -1;
  const value = index === -1 ? Number.NaN : Number(values?.split(' ')[index]);
  return Number.isFinite(value) ? value : undefined;
}
