/** A dask-jobqueue section (`jobqueue.slurm`, `jobqueue.sge` ...) of the user's dask config. */

import { isObject } from '../../util/objects.js';
import type { IHookContext } from '../definition.js';

/**
 * jobqueue.<system> of a dask config with every key spelt one way. Dask treats
 * `_` and `-` in keys alike (DASK_JOBQUEUE__SLURM__JOB_EXTRA_DIRECTIVES gives
 * `job_extra_directives`, dask-jobqueue's own YAML `job-extra-directives`):
 * here each `_` becomes `-`, and a value set wins over a null one.
 */
export function jobqueueConfig(config: unknown): Record<string, unknown> {
  const normalized: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(isObject(config) ? config : {})) {
    const name = key.replace(/_/g, '-');
    if (normalized[name] === undefined || normalized[name] === null) {
      normalized[name] = value;
    }
  }
  return normalized;
}

/**
 * The user's `jobqueue.<system>` dask config as jobqueueConfig spells it,
 * read with the server's interpreter; empty without dask there, so
 * dask-jobqueue's defaults, then the type's, apply.
 */
export async function readJobqueueConfig(context: IHookContext, system: string): Promise<Record<string, unknown>> {
  try {
    const answer = await context.runRunner(context.serverPython, ['config', `jobqueue.${system}`], {});
    return jobqueueConfig(isObject(answer) ? answer.config : undefined);
  } catch {
    return {};
  }
}
