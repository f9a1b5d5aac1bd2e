/**
 * CPU accounting for row b: how much processor time a measured span took, in this process and on
 * the whole machine (the run's process plus PostgreSQL, on a machine the bench has to itself).
 * From that, the shortest the span could have been on this machine's cores however the work were
 * spread over them — the figure that tells a slow design from a machine too small for the target.
 */
import { readFileSync } from 'node:fs';

/** Busy (non-idle, non-iowait) CPU milliseconds of the whole machine since boot; undefined off Linux. */
export function machineBusyMs(): number | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
    // /proc/stat counts in USER_HZ, 100 per second on every Linux this runs on.
    return (user + nice + system + irq + softirq + steal) * 10;
  } catch {
    return undefined;
  }
}

export interface CpuSpan {
  /** CPU of this process (every thread: main, GC helpers, workers). */
  processCpuMs: number;
  /** CPU of the whole machine over the span, when /proc/stat can be read. */
  machineCpuMs: number | undefined;
}

/** Starts measuring; the returned function ends the span and reports it. */
export function startCpuSpan(): () => CpuSpan {
  const process0 = process.cpuUsage();
  const machine0 = machineBusyMs();
  return () => {
    const used = process.cpuUsage(process0);
    const machine1 = machineBusyMs();
    return {
      processCpuMs: Math.round((used.user + used.system) / 1000),
      machineCpuMs: machine0 === undefined || machine1 === undefined ? undefined : machine1 - machine0,
    };
  };
}
