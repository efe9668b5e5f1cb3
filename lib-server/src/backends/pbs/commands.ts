/**
 * The PBS commands the `pbs` type runs: queues and their limits (`qstat -Q
 * -f -F json`), jobs (`qstat -f -F json <id>`, one id a call, openpbs#2672),
 * the jobs of a name (`qselect -N`), and cancelling (`qdel`). The parsers
 * are jobqueue/pbs.ts's; this is the only side effect.
 */

import {
  PBS_QUEUES_COMMAND,
  parsePbsJobs,
  parsePbsQueues,
  pbsJobCommand,
  pbsJobId,
  type IPbsJob
} from '../jobqueue/pbs.js';
import { anyOutput, cancelJobs, missingCommand, output } from '../jobqueue/run.js';
import type { IQueue } from '../jobqueue/types.js';

/** What the `pbs` type asks of PBS. */
export interface IPbsCommands {
  /** The first of qsub and qstat that is not on PATH, or undefined when both are. */
  missing(): string | undefined;
  /** Why the qsub and qstat on PATH are not PBS's, when another system's are found. */
  foreign(): string | undefined;
  /** Every queue with its limits. */
  queues(): Promise<IQueue[]>;
  /** Jobs `ids` that PBS still knows, with state, the scheduler's comment, host and log files. */
  jobs(ids: string[]): Promise<IPbsJob[]>;
  /** The ids of this user's jobs named `name`. */
  named(name: string): Promise<string[]>;
  /** Delete jobs `ids` (ids already gone are no error). */
  cancel(ids: string[]): Promise<void>;
}

/** Most qstat calls at once. */
const AT_ONCE = 4;

/** Job `id` as qstat shows it; none when PBS no longer knows it (qstat then exits non-zero, "Unknown Job Id"). */
async function job(id: string): Promise<IPbsJob[]> {
  const { stdout } = await anyOutput(pbsJobCommand(id));
  return stdout.trim() === '' ? [] : parsePbsJobs(stdout);
}

/** The real commands, for jobs of `user`. */
export function realPbsCommands(which: (command: string) => string | undefined, user: string): IPbsCommands {
  return {
    missing: () => missingCommand(which, ['qsub', 'qstat']),
    // Grid Engine has a qsub and a qstat too, and qconf, which PBS has not.
    foreign: () =>
      which('qconf') !== undefined
        ? "The qsub and qstat on PATH are Grid Engine's (qconf is there too): the pbs type needs those of " +
          'PBS Professional or OpenPBS; use the Grid Engine type here, or put the PBS commands first on PATH and reload.'
        : undefined,
    async queues() {
      return parsePbsQueues(await output(PBS_QUEUES_COMMAND));
    },
    async jobs(ids: string[]) {
      const found: IPbsJob[] = [];
      for (let i = 0; i < ids.length; i += AT_ONCE) {
        found.push(...(await Promise.all(ids.slice(i, i + AT_ONCE).map(job))).flat());
      }
      return found;
    },
    async named(name: string) {
      const listed = await output(['qselect', '-u', user, '-N', name]);
      return textIds(listed);
    },
    cancel: ids => cancelJobs('qdel', ids)
  };
}

/** The ids dask-jobqueue keeps of qselect's full ids, one a line. */
function textIds(listing: string): string[] {
  return listing
    .split('\n')
    .map(line => line.trim())
    .filter(line => line !== '')
    .map(pbsJobId);
}
