/**
 * The LSF commands the `lsf` type runs: queues and their run limits
 * (`bqueues -l`), jobs (`bjobs -o ... -json`: every unfinished job of the
 * user), and cancelling (`bkill`). The parsers are jobqueue/lsf.ts's; this
 * is the only side effect.
 */

import { lsfJobsCommand, lsfQueuesCommand, parseBjobs, parseBqueuesLong } from '../jobqueue/lsf.js';
import { anyOutput, cancelJobs, missingCommand, output } from '../jobqueue/run.js';
import type { IBatchJob, IQueue } from '../jobqueue/types.js';

/** What the `lsf` type asks of LSF. */
export interface ILsfCommands {
  /** The first of bsub and bjobs that is not on PATH, or undefined when both are. */
  missing(): string | undefined;
  /** Every queue with its run limits. */
  queues(): Promise<IQueue[]>;
  /** The user's unfinished jobs, with state, pending reason and host. */
  jobs(): Promise<IBatchJob[]>;
  /** Kill jobs `ids` (ids already gone are no error). */
  cancel(ids: string[]): Promise<void>;
}

/** The real commands; bjobs lists the jobs of the user who runs it. */
export function realLsfCommands(which: (command: string) => string | undefined): ILsfCommands {
  return {
    missing: () => missingCommand(which, ['bsub', 'bjobs']),
    async queues() {
      return parseBqueuesLong(await output(lsfQueuesCommand()));
    },
    async jobs() {
      // With no job, bjobs says "No unfinished job found" on stderr and exits 255.
      const { stdout, stderr } = await anyOutput(lsfJobsCommand([]));
      return parseBjobs(stdout.trim() !== '' ? stdout : stderr);
    },
    cancel: ids => cancelJobs('bkill', ids)
  };
}
