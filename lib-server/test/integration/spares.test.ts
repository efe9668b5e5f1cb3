/**
 * Spare runners with the real companion and runner.py: the dialog asks for
 * one, the create of that environment takes it, and none outlives the
 * companion. Plus the requests that start nothing.
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { IApiError, IClusterModel, ISpareRunner } from '../../../protocol/index.js';
import {
  childrenOf,
  Companion,
  isRunning,
  makeTestDirs,
  PYTHON,
  removeTestDirs,
  waitFor,
  type EventLog,
  type ITestDirs
} from './harness.js';

let dirs: ITestDirs;
let companion: Companion;
let events: EventLog;

beforeAll(async () => {
  dirs = makeTestDirs('spares');
  companion = await Companion.start(dirs);
  events = await companion.events();
}, 30_000);

afterAll(async () => {
  events?.close();
  await companion?.stop();
  removeTestDirs(dirs);
}, 60_000);

/** The companion's children that are spare runners. */
function spareRunners(): number[] {
  return childrenOf(companion.child.pid!).filter(pid => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('--spare');
    } catch {
      return false;
    }
  });
}

describe('requests that start no spare', () => {
  it.each([
    [{}, '/environment', 'Name the environment by its Python'],
    [{ environment: '/usr/bin/no-such-python' }, '/environment', 'is not among the environments'],
    [{ environment: PYTHON, workers: 2 }, '/workers', 'workers']
  ])('refuses %j, saying what to change at %s', async (body, field, words) => {
    const answer = await companion.request('POST', '/api/environments/spare', body);
    expect(answer.status).toBe(422);
    const fields = (answer.json as IApiError).fields ?? [];
    expect(fields.find(f => f.path === field)?.message).toContain(words);
    expect(spareRunners()).toEqual([]);
  });

  it('answers 409 when the limits allow no spare, saying which limit, and starts none', async () => {
    const limits = (values: object) =>
      companion.request('PUT', '/api/settings', { gateway: {}, workerEnvironment: {}, limits: values });
    expect((await limits({ spareRunners: 0 })).status).toBe(200);
    try {
      const answer = await companion.request('POST', '/api/environments/spare', { environment: PYTHON });
      expect(answer.status).toBe(409);
      expect((answer.json as IApiError).message).toContain(
        'Spare runners are turned off here (limits.spareRunners = 0'
      );
      expect(spareRunners()).toEqual([]);
    } finally {
      expect((await limits({})).status).toBe(200);
    }
  });

  it('refuses an environment without distributed, naming why', async () => {
    const answer = await companion.request('POST', '/api/environments/spare', { environment: dirs.plainPython });
    expect(answer.status).toBe(422);
    expect((answer.json as IApiError).fields?.[0].message).toContain('distributed is not installed');
    expect(spareRunners()).toEqual([]);
  });
});

describe('a spare runner', () => {
  let sparePid: number;

  it('starts when asked, one per environment however often the dialog asks', async () => {
    const answer = await companion.request('POST', '/api/environments/spare', { environment: PYTHON });
    expect(answer.status).toBe(202);
    const spare = answer.json as ISpareRunner;
    expect(spare.environment).toBe(PYTHON);
    expect(Date.parse(spare.endsAt)).toBeGreaterThan(Date.now() + 60_000);
    expect((await companion.request('POST', '/api/environments/spare', { environment: PYTHON })).status).toBe(202);
    [sparePid] = await waitFor('the spare runner', () => (spareRunners().length > 0 ? spareRunners() : undefined));
    expect(spareRunners()).toEqual([sparePid]);
  });

  it('runs the next local cluster of its environment, logging to that cluster’s log', async () => {
    // The dialog opened a moment before Start: the spare has imported distributed by now.
    await new Promise(resolve => setTimeout(resolve, 3_000));
    const answer = await companion.request('POST', '/api/clusters', {
      type: 'local',
      options: { workers: 1, threads_per_worker: 1, memory_per_worker: '1 GiB', environment: PYTHON }
    });
    expect(answer.status).toBe(201);
    const cluster = answer.json as IClusterModel;
    expect(companion.runnerPid(cluster.id)).toBe(sparePid);
    await events.waitForCluster(cluster.id, 'running with 1 worker', m => m.state === 'running' && m.workers === 1);
    // The spare is now the cluster's runner; no other was started.
    expect(spareRunners()).toEqual([sparePid]);

    const log = readFileSync(path.join(dirs.state, 'logs', `${cluster.id}.log`), 'utf8');
    expect(log).toMatch(new RegExp(`spare runner ${sparePid} \\(started .*\\) takes this cluster`));
    expect(log).toContain('distributed.scheduler');
    expect(readFileSync(path.join(dirs.state, 'logs', 'spares.log'), 'utf8')).not.toContain('distributed.scheduler');

    // The cluster is the runner's own: its stop ends the spare turned runner.
    expect((await companion.request('DELETE', `/api/clusters/${cluster.id}`)).status).toBe(202);
    await events.waitForCluster(cluster.id, 'stopped', m => m.state === 'stopped');
    await waitFor('the runner to exit', () => !isRunning(sparePid));
  }, 90_000);

  it('ends with the companion', async () => {
    await companion.request('POST', '/api/environments/spare', { environment: PYTHON });
    const [pid] = await waitFor('a new spare', () => (spareRunners().length > 0 ? spareRunners() : undefined));
    await companion.stop();
    await waitFor('the spare to exit', () => !isRunning(pid), 20_000);
  }, 60_000);
});
