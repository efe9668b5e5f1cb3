/** Where local workers keep spilled data: a fast, job-local disk when there is one. */

import path from 'node:path';

/** The base directory for worker scratch space, and the variable it came from. */
export function scratchBase(env: Record<string, string | undefined>, tmpdir: string): { dir: string; source: string } {
  for (const name of ['PBS_JOBFS', 'SLURM_TMPDIR', 'TMPDIR']) {
    const dir = env[name];
    if (dir !== undefined && path.isAbsolute(dir)) {
      return { dir, source: `$${name}` };
    }
  }
  return { dir: tmpdir, source: 'the system temporary directory' };
}

/** The scratch directory of one cluster: <base>/dask-clusters-<uid>/<cluster id>. */
export function clusterScratchDir(base: string, uid: number, clusterId: string): string {
  return path.join(base, `dask-clusters-${uid}`, clusterId);
}
