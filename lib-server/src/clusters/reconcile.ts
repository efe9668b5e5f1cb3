/**
 * Startup reconciliation: clusters whose runner belonged to a previous
 * companion cannot be re-adopted (a runner exits when its stdin closes), so
 * they become `lost`, and a runner that is somehow still alive is stopped.
 */

import type { IProcessInspector } from './processes.js';
import { ACTIVE_STATES, type IClusterRecord } from './registry.js';

/** What to do with one record. */
export interface IReconcileAction {
  id: string;
  error: string;
  /** A live runner of ours whose process group must be stopped. */
  killGroup?: number;
  /** A live runner of ours with a control socket: re-adopt it there (and stop its group only if that fails). */
  readopt?: { control: string; pid: number };
}

/** Whether `argv` is `<python> <runner.py> run` for our runner file. */
export function isOurRunner(argv: string[], runnerPath: string): boolean {
  const index = argv.findIndex(arg => arg === runnerPath || arg.endsWith('/runner.py'));
  return index >= 0 && argv[index + 1] === 'run';
}

/** Decide, without side effects, what becomes of each record that had a runner. */
export function planReconciliation(
  records: IClusterRecord[],
  inspector: IProcessInspector,
  runnerPath: string
): IReconcileAction[] {
  const actions: IReconcileAction[] = [];
  for (const record of records) {
    if (!ACTIVE_STATES.has(record.model.state)) {
      continue;
    }
    const pid = record.runnerPid;
    if (pid === undefined || !inspector.isAlive(pid)) {
      actions.push({
        id: record.model.id,
        error: `The companion restarted while this cluster was ${record.model.state}, and its runner${
          pid === undefined ? '' : ` (pid ${pid})`
        } is gone.`
      });
      continue;
    }
    const argv = inspector.cmdline(pid);
    if (argv !== undefined && isOurRunner(argv, runnerPath)) {
      const { control } = record;
      const why = control === undefined ? 'cannot be re-adopted' : 'did not answer on its control socket';
      actions.push({
        id: record.model.id,
        error: `The companion restarted while this cluster was ${record.model.state}; its runner (pid ${pid}) ${why} and was stopped.`,
        killGroup: pid,
        ...(control !== undefined ? { readopt: { control, pid } } : {})
      });
    } else {
      // The pid now belongs to some other process: leave it alone.
      actions.push({
        id: record.model.id,
        error: `The companion restarted while this cluster was ${record.model.state}, and its runner (pid ${pid}) is gone.`
      });
    }
  }
  return actions;
}
