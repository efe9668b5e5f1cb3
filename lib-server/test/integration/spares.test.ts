/**
 * Spare runners with the real companion and runner.py: the dialog asks for
 * one, the create of that environment takes it, and none outlives the
 * companion. Plus the requests that start nothing.
 */

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { IApiError, IClusterModel, ISpareRunner } from '../../../protocol/index.js';
import { childrenOf, companionPerFile, isRunning, PYTHON, waitFor } from './harness.js';

const file = companionPerFile('spares');

/** The companion's children that are spare runners. */
function spareRunners(): number[] {
  return childrenOf(file.companion.child.pid!).filter(pid => {
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
    const answer = await file.companion.request('POST', '/api/environments/spare', body);
    expect(answer.status).toBe(422);
    const fields = (answer.json as IApiError).fields ?? [];
    expect(fields.find(f => f.path === field)?.message).toContain(words);
    expect(spareRunners()).toEqual([]);
  });

  it('answers 409 when the limits allow no spare, saying which limit, and starts none', async () => {
    const limits = (values: object) =>
      file.companion.request('PUT', '/api/settings', { gateway: {}, workerEnvironment: {}, limits: values });
    expect((await limits({ spareRunners: 0 })).status).toBe(200);
    try {
      const answer = await file.companion.request('POST', '/api/environments/spare', { environment: PYTHON });
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
    const answer = await file.companion.request('POST', '/api/environments/spare', {
      environment: file.dirs.plainPython
    });
    expect(answer.status).toBe(422);
    expect((answer.json as IApiError).fields?.[0].message).toContain('distributed is not installed');
    expect(spareRunners()).toEqual([]);
  });
});

describe('a spare runner', () => {
  let sparePid: number;

  it('starts when asked, one per environment however often the dialog asks', async () => {
    const answer = await file.companion.request('POST', '/api/environments/spare', { environment: PYTHON });
    expect(answer.status).toBe(202);
    const spare = answer.json as ISpareRunner;
    expect(spare.environment).toBe(PYTHON);
    expect(Date.parse(spare.endsAt)).toBeGreaterThan(Date.now() + 60_000);
    expect((await file.companion.request('POST', '/api/environments/spare', { environment: PYTHON })).status).toBe(202);
    [sparePid] = await waitFor('the spare runner', () => (spareRunners().length > 0 ? spareRunners() : undefined));
    expect(spareRunners()).toEqual([sparePid]);
  });

  it('becomes the runner host of the next local cluster of its environment, which logs to its own log', async () => {
    // The dialog opened a moment before Start: the spare has imported distributed by now.
    await new Promise(resolve => setTimeout(resolve, 3_000));
    const answer = await file.companion.request('POST', '/api/clusters', {
      type: 'local',
      options: { workers: 1, threads_per_worker: 1, memory_per_worker: '1 GiB', environment: PYTHON }
    });
    expect(answer.status).toBe(201);
    const cluster = answer.json as IClusterModel;
    expect(file.companion.runnerPid(cluster.id)).toBe(sparePid);
    await file.events.waitForCluster(
      cluster.id,
      'running with 1 worker',
      m => m.state === 'running' && m.workers === 1
    );
    // The spare is now the runner host of the cluster's environment; no other was started.
    expect(spareRunners()).toEqual([sparePid]);

    const log = readFileSync(path.join(file.dirs.state, 'logs', `${cluster.id}.log`), 'utf8');
    expect(log).toContain(`runs in the runner host ${sparePid} of ${PYTHON}, a spare runner until its first cluster`);
    expect(log).toContain('distributed.scheduler');
    const [hostLog] = readdirSync(path.join(file.dirs.state, 'hosts')).filter(name => name.endsWith('.log'));
    const host = readFileSync(path.join(file.dirs.state, 'hosts', hostLog), 'utf8');
    expect(host).toMatch(new RegExp(`spare runner ${sparePid} \\(started .*\\) takes this runner host`));
    expect(readFileSync(path.join(file.dirs.state, 'logs', 'spares.log'), 'utf8')).not.toContain(
      'distributed.scheduler'
    );

    // Its only cluster: the cluster's stop ends the spare turned host.
    expect((await file.companion.request('DELETE', `/api/clusters/${cluster.id}`)).status).toBe(202);
    await file.events.waitForCluster(cluster.id, 'stopped', m => m.state === 'stopped');
    await waitFor('the runner to exit', () => !isRunning(sparePid));
  }, 90_000);

  it('ends with the companion', async () => {
    await file.companion.request('POST', '/api/environments/spare', { environment: PYTHON });
    const [pid] = await waitFor('a new spare', () => (spareRunners().length > 0 ? spareRunners() : undefined));
    await file.companion.stop();
    await waitFor('the spare to exit', () => !isRunning(pid), 20_000);
  }, 60_000);
});
