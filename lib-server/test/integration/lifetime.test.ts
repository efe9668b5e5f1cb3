/**
 * Lifetime and idle timeout on real local clusters: the site's cap is refused
 * next to the field; a cluster without tasks for its idle timeout stops by
 * itself (distributed's own idle timeout) and a cluster at the end of its
 * lifetime is stopped; both end stopped, with their reason, and leave no
 * process behind.
 */

import type { IApiError, IClusterModel, IClusterType } from '../../../protocol/index.js';
import {
  Companion,
  groupMembers,
  isRunning,
  makeTestDirs,
  removeTestDirs,
  waitFor,
  type EventLog,
  type ITestDirs
} from './harness.js';

let dirs: ITestDirs;
let companion: Companion;
let events: EventLog;

beforeAll(async () => {
  dirs = makeTestDirs('lifetime');
  companion = await Companion.start(dirs);
  events = await companion.events();
  await events.snapshot();
}, 30_000);

afterAll(async () => {
  events?.close();
  await companion?.stop();
  removeTestDirs(dirs);
}, 60_000);

const SMALL = { workers: 1, threads_per_worker: 1, memory_per_worker: '1 GiB' };

function limits(values: Record<string, number>) {
  return companion.request('PUT', '/api/settings', { gateway: {}, workerEnvironment: {}, limits: values });
}

/** Start a small local cluster with `options`, and wait until it runs: its model and its runner's pid. */
async function started(options: Record<string, unknown>): Promise<{ model: IClusterModel; pid: number }> {
  const answer = await companion.request('POST', '/api/clusters', { type: 'local', options: { ...SMALL, ...options } });
  expect(answer.status).toBe(201);
  const model = answer.json as IClusterModel;
  await events.waitForCluster(model.id, 'running', m => m.state === 'running');
  return { model, pid: companion.runnerPid(model.id)! };
}

/** Wait until cluster `id` has ended, and until no process of its runner's group is left. */
async function ended(id: string, pid: number, timeoutMs: number): Promise<IClusterModel> {
  const model = await events.waitForCluster(
    id,
    'ended',
    m => ['stopped', 'failed', 'lost'].includes(m.state),
    timeoutMs
  );
  await waitFor('no process of the runner left', () => !isRunning(pid) && groupMembers(pid).length === 0, 10_000);
  return model;
}

describe('site defaults and caps', () => {
  afterEach(async () => {
    expect((await limits({})).status).toBe(200);
  });

  it('shows the site default with its source, and refuses a lifetime over the cap next to its field', async () => {
    expect((await limits({ maxLifetimeMinutes: 60, defaultIdleTimeoutMinutes: 20 })).status).toBe(200);
    const [local] = (await companion.request('GET', '/api/types')).json as IClusterType[];
    expect(local.defaults).toMatchObject({ lifetime: '1 h', idle_timeout: 20 });
    expect(local.sources.find(source => source.field === 'idle_timeout')?.source).toContain(
      'limits.defaultIdleTimeoutMinutes'
    );
    const answer = await companion.request('POST', '/api/clusters', {
      type: 'local',
      options: { ...SMALL, lifetime: '2h' }
    });
    expect(answer.status).toBe(422);
    expect((answer.json as IApiError).fields).toEqual([
      {
        path: '/lifetime',
        message:
          'A lifetime of 2 h is more than the 1 h a cluster may run here (limits.maxLifetimeMinutes = 60, set by your site or in Settings > Dask Clusters > Limits); ask for 1 h or less.'
      }
    ]);
    expect((await companion.request('GET', '/api/clusters')).json).toEqual([]);
  });
});

describe('a cluster that ends by itself', () => {
  it('stops after 1 minute without tasks, says so, and leaves no process', async () => {
    const { model, pid } = await started({ idle_timeout: 1 });
    expect(model.idleTimeout).toBe(1);
    const since = Date.now();
    const end = await ended(model.id, pid, 120_000);
    const seconds = (Date.now() - since) / 1000;
    expect(end).toMatchObject({ state: 'stopped', endReason: 'Stopped after 1 minute without tasks.' });
    expect(events.states(model.id)).not.toContain('failed');
    // The scheduler counts its minute from its own start, a little before running.
    expect(seconds).toBeGreaterThan(50);
    process.stdout.write(`idle timeout of 1 min: stopped ${seconds.toFixed(1)} s after running\n`);
  }, 150_000);

  it('is stopped at the end of its lifetime, says so, and leaves no process', async () => {
    const { model, pid } = await started({ lifetime: '0.1' });
    expect(model.endsWhy).toBe('its lifetime of 6 s ends');
    const since = Date.now();
    const end = await ended(model.id, pid, 60_000);
    expect(end).toMatchObject({ state: 'stopped', endReason: 'Lifetime of 6 s reached.' });
    process.stdout.write(`lifetime of 6 s: stopped ${((Date.now() - since) / 1000).toFixed(1)} s after running\n`);
  }, 90_000);
});
