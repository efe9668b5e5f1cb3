/**
 * JupyterLab inside a real SLURM job (one node's allocation, as on a login
 * node's `salloc` or an HPC centre's Jupyter job): the local type says so, and
 * a local cluster there stops by itself before the job's walltime ends.
 */

import { execFileSync } from 'node:child_process';
import type { IClusterModel, IClusterType } from '../../../protocol/index.js';
import {
  Companion,
  isRunning,
  makeTestDirs,
  removeTestDirs,
  serviceEnv,
  waitFor,
  type EventLog,
  type ITestDirs
} from './harness.js';

let dirs: ITestDirs;
let companion: Companion;
let events: EventLog;
let job: string;
const saved = { ...process.env };

/** The state of SLURM job `id` as squeue prints it (%T), or '' once it has gone. */
function jobState(id: string): string {
  try {
    return execFileSync('squeue', ['--noheader', '--jobs', id, '--format', '%T'], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

beforeAll(async () => {
  Object.assign(process.env, serviceEnv('/tmp/jdc-slurm/env', 'start SLURM first (make slurm-up)'));
  // The job JupyterLab would run in: one minute of walltime, SLURM's smallest.
  job = execFileSync(
    'sbatch',
    ['--parsable', '--time=1', '--job-name=jdc-allocation', '--output=/dev/null', '--wrap', 'sleep 120'],
    {
      encoding: 'utf8'
    }
  ).trim();
  await waitFor(`job ${job} to run`, () => jobState(job) === 'RUNNING' || undefined, 30_000);
  dirs = makeTestDirs('allocation');
  companion = await Companion.start(dirs, { env: { SLURM_JOB_ID: job, SLURM_CPUS_ON_NODE: '1' } });
  events = await companion.events();
}, 60_000);

afterAll(async () => {
  events?.close();
  await companion?.stop();
  execFileSync('scancel', [job]);
  process.env = saved;
  removeTestDirs(dirs);
}, 60_000);

describe('a local cluster inside a SLURM job', () => {
  it('is described as running in the job, with the time its walltime leaves', async () => {
    const types = (await companion.request('GET', '/api/types')).json as IClusterType[];
    const local = types.find(type => type.id === 'local');
    expect(local?.description).toMatch(
      new RegExp(
        `^Scheduler and workers inside SLURM job ${job} on this node \\(.+\\); ` +
          "the cluster stops before the job's walltime ends, in [01] min\\.$"
      )
    );
  });

  it("ends by itself before the job's walltime does, saying why, and leaves no process", async () => {
    const before = Date.now();
    const answer = await companion.request('POST', '/api/clusters', { type: 'local', options: { workers: 1 } });
    expect(answer.status).toBe(201);
    const model = answer.json as IClusterModel;
    expect(model.endsWhy).toBe(`the walltime of SLURM job ${job} ends`);
    // A minute of walltime: the cluster keeps a quarter of what is left for closing.
    const ends = Date.parse(model.endsAt ?? '');
    expect(ends - before).toBeGreaterThan(20_000);
    expect(ends - before).toBeLessThan(60_000);
    await events.waitForCluster(model.id, 'running', m => m.state === 'running', 60_000);
    const pid = companion.runnerPid(model.id);
    const stopped = await events.waitForCluster(model.id, 'stopped', m => m.state === 'stopped', 90_000);
    expect(stopped.endReason).toBe(`Stopped before the walltime of SLURM job ${job} ends.`);
    expect(Date.now()).toBeGreaterThanOrEqual(ends);
    expect(pid !== undefined && isRunning(pid)).toBe(false);
    // The job itself is still there: the cluster ended first.
    expect(jobState(job)).toBe('RUNNING');
  }, 150_000);
});
