/**
 * How the companion looks at processes it did not start (runners and
 * companions of earlier or other JupyterLab servers): real ones from signal 0
 * and /proc, fakes in tests.
 */

import { readFileSync } from 'node:fs';

/** What reconciliation and ownership need to know about a process. */
export interface IProcessInspector {
  isAlive(pid: number): boolean;
  /** The process's argv, or undefined when it cannot be read. */
  cmdline(pid: number): string[] | undefined;
  /**
   * When the process started, in a form that differs between two processes
   * that had the same pid (clock ticks since boot); undefined when unknown.
   */
  startTime(pid: number): string | undefined;
}

/** Field 22 of /proc/PID/stat, read after the command name (which may hold spaces and parentheses). */
function statStartTime(stat: string): string | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field 22 is fields[19].
  return fields[19];
}

/** The real inspector. */
export const procInspector: IProcessInspector = {
  isAlive(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      // EPERM: alive, but someone else's (pid reused): still alive.
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
  cmdline(pid) {
    try {
      const text = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return text.split('\0').filter(arg => arg !== '');
    } catch {
      return undefined;
    }
  },
  startTime(pid) {
    try {
      return statStartTime(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return undefined;
    }
  }
};
