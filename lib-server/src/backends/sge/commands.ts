/**
 * The Grid Engine commands the `sge` type runs: queues and their limits
 * (`qconf -sql`, `qconf -sq`), parallel environments (`qconf -spl`), jobs
 * (`qstat -xml`, with the reasons of waiting jobs from `qstat -j`), how
 * jobs ended (`qacct -j`), and cancelling (`qdel`). The parsers are
 * jobqueue/sge.ts's; this is the only side effect.
 */

import { execa } from 'execa';
import {
  parseQacct,
  parseQconfSq,
  parseQstatJ,
  parseQstatXml,
  sgeAccountingCommand,
  sgeJobsCommand,
  sgeQueueCommand,
  sgeWhyCommand,
  type ISgeAccounting
} from '../jobqueue/sge.js';
import { withReasons } from '../jobqueue/parse.js';
import { output } from '../jobqueue/run.js';
import type { IBatchJob, IQueue } from '../jobqueue/types.js';

/** What the `sge` type asks of Grid Engine. */
export interface ISgeCommands {
  /** The path of qsub, or undefined when it is not on PATH. */
  qsub(): string | undefined;
  /** Every cluster queue with its limits. */
  queues(): Promise<IQueue[]>;
  /** The names of the parallel environments (none: an empty list). */
  parallelEnvironments(): Promise<string[]>;
  /** The user's jobs, waiting ones with the scheduler's reason. */
  jobs(): Promise<IBatchJob[]>;
  /** Delete jobs `ids` (ids already gone are no error). */
  cancel(ids: string[]): Promise<void>;
  /** How jobs `ids` ended, from the accounting; a job it does not know (yet) is left out. */
  ended(ids: string[]): Promise<Map<string, ISgeAccounting>>;
}

/** Names, one a line, of a `qconf -s*l` listing. */
function names(listing: string): string[] {
  return listing
    .split('\n')
    .map(line => line.trim())
    .filter(line => line !== '');
}

/** The real commands, for jobs of `user`. */
export function realSgeCommands(which: (command: string) => string | undefined, user: string): ISgeCommands {
  return {
    qsub: () => which('qsub'),
    async queues() {
      const listed = names(await output(['qconf', '-sql']));
      return Promise.all(listed.map(async name => parseQconfSq(await output(sgeQueueCommand(name)))));
    },
    async parallelEnvironments() {
      // With none defined, qconf -spl says so and exits 1.
      return output(['qconf', '-spl']).then(names, () => []);
    },
    async jobs() {
      const jobs = parseQstatXml(await output(sgeJobsCommand(user)));
      const waiting = jobs.filter(job => job.phase === 'pending').map(job => job.id);
      if (waiting.length === 0) {
        return jobs;
      }
      const reasons = await output(sgeWhyCommand(waiting)).then(parseQstatJ, () => new Map<string, string>());
      return withReasons(jobs, reasons);
    },
    async ended(ids: string[]) {
      // qacct exits 1 for an id it does not know (accounting off, or not yet written): no record.
      const outputs = await Promise.all(ids.map(id => output(sgeAccountingCommand(id)).catch(() => '')));
      return new Map(outputs.flatMap(text => [...parseQacct(text)]));
    },
    async cancel(ids: string[]) {
      if (ids.length === 0) {
        return;
      }
      // qdel exits 1 when some job is already gone; the others are deleted all the same.
      await execa('qdel', ids, { reject: false, timeout: 30_000, stdin: 'ignore' });
    }
  };
}
