/**
 * The HTCondor commands the `htcondor` type runs: jobs (`condor_q -json`:
 * every job of the user in the schedd's queue), the reason an idle job does
 * not match (`condor_q -better-analyze`, at most once a minute a job), and
 * removing (`condor_rm`). HTCondor has no queues. The parsers are
 * jobqueue/htcondor.ts's; this is the only side effect.
 */

import { htcondorJobsCommand, parseBetterAnalyze, parseCondorQ } from '../jobqueue/htcondor.js';
import { withReasons } from '../jobqueue/parse.js';
import { cancelJobs, missingCommand, output } from '../jobqueue/run.js';
import type { IBatchJob } from '../jobqueue/types.js';

/** What the `htcondor` type asks of HTCondor. */
export interface IHtcondorCommands {
  /** The first of condor_submit and condor_q that is not on PATH, or undefined when both are. */
  missing(): string | undefined;
  /** The user's jobs, idle ones with the reason they do not match. */
  jobs(): Promise<IBatchJob[]>;
  /** Remove jobs `ids` (ids already gone are no error). */
  cancel(ids: string[]): Promise<void>;
}

/** How long a -better-analyze answer is kept: the analysis is costly for the schedd. */
const ANALYSIS_MS = 60_000;

/** The real commands; condor_q lists the jobs of the user who runs it. */
export function realHtcondorCommands(which: (command: string) => string | undefined): IHtcondorCommands {
  const analyses = new Map<string, { at: number; reason: string | undefined }>();
  const why = async (id: string): Promise<[string, string | undefined]> => {
    const kept = analyses.get(id);
    if (kept !== undefined && Date.now() - kept.at < ANALYSIS_MS) {
      return [id, kept.reason];
    }
    const reason = await output(['condor_q', '-better-analyze', id]).then(parseBetterAnalyze, () => undefined);
    analyses.set(id, { at: Date.now(), reason });
    return [id, reason];
  };
  return {
    missing: () => missingCommand(which, ['condor_submit', 'condor_q']),
    async jobs() {
      const jobs = parseCondorQ(await output(htcondorJobsCommand([])));
      const idle = jobs.filter(job => job.phase === 'pending' && job.reason === undefined).map(job => job.id);
      const reasons = await Promise.all(idle.map(why));
      return withReasons(jobs, new Map(reasons.filter((entry): entry is [string, string] => entry[1] !== undefined)));
    },
    cancel: ids => cancelJobs('condor_rm', ids)
  };
}
