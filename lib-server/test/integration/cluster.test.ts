/**
 * One real local cluster through its whole life: create, watch, scale,
 * adapt, dashboard through the proxy, snippet, stop. Plus the requests that
 * must launch nothing.
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { IApiError, IClusterModel, IClusterType, IEnvironment, IPlot, ISnippet } from '../../../protocol/index.js';
import {
  Companion,
  groupMembers,
  isRunning,
  makeTestDirs,
  PYTHON,
  removeTestDirs,
  waitFor,
  type EventLog,
  type ITestDirs
} from './harness.js';

const GiB = 2 ** 30;

let dirs: ITestDirs;
let companion: Companion;
let events: EventLog;
let cluster: IClusterModel;
let runnerPid: number;

beforeAll(async () => {
  dirs = makeTestDirs('cluster');
  companion = await Companion.start(dirs);
  events = await companion.events();
  expect(await events.snapshot()).toEqual([]);
}, 30_000);

afterAll(async () => {
  events?.close();
  await companion?.stop();
  removeTestDirs(dirs);
}, 60_000);

describe('environments and types', () => {
  it('lists the virtualenv as usable and an interpreter without distributed as unusable', async () => {
    const answer = await companion.request('GET', '/api/environments');
    expect(answer.status).toBe(200);
    const environments = answer.json as IEnvironment[];
    expect(environments.find(env => env.python === PYTHON)).toMatchObject({ usable: true, kernelspecs: ['python3'] });
    expect(environments.find(env => env.python === dirs.plainPython)).toMatchObject({
      usable: false,
      label: 'Plain',
      reason: 'distributed is not installed in this environment (pip install distributed)'
    });
  });

  it('describes the local type with the unusable environment disabled', async () => {
    const answer = await companion.request('GET', '/api/types?memoryReserve=2GiB');
    const [local] = answer.json as IClusterType[];
    expect(local).toMatchObject({ id: 'local', available: true, defaults: { environment: PYTHON } });
    expect((local.uiSchema.environment as Record<string, unknown>)['ui:enumDisabled']).toEqual([dirs.plainPython]);
    const bad = await companion.request('GET', '/api/types?memoryReserve=lots');
    expect(bad.status).toBe(400);
  });
});

describe('requests that launch nothing', () => {
  it.each([
    ['malformed JSON', () => '{"type": "local", ', 400, 'malformed_json'],
    ['an unknown type', () => ({ type: 'kubernetes', options: {} }), 400, 'unknown_type'],
    ['zero workers', () => ({ type: 'local', options: { workers: 0 } }), 422, 'invalid_options'],
    ['an unknown option', () => ({ type: 'local', options: { wrokers: 2 } }), 422, 'invalid_options'],
    [
      'an environment without distributed',
      () => ({ type: 'local', options: { environment: dirs.plainPython } }),
      422,
      'invalid_options'
    ],
    ['a misspelt top-level field', () => ({ type: 'local', option: { workers: 2 } }), 422, 'invalid_options'],
    ['negative workers', () => ({ type: 'local', options: { workers: -1 } }), 422, 'invalid_options'],
    ['options that are not an object', () => ({ type: 'local', options: [2] }), 422, 'invalid_options'],
    ['options with adopt', () => ({ type: 'local', adopt: 'x', options: { wokers: 2 } }), 422, 'invalid_options'],
    [
      'absurdly nested JSON',
      () => `{"type": "local", "options": {"x": ${'['.repeat(10_000)}${']'.repeat(10_000)}}}`,
      400,
      'too_deep'
    ]
  ])('%s', async (_what, body, status, code) => {
    const answer = await companion.request('POST', '/api/clusters', body());
    expect(answer.status).toBe(status);
    expect((answer.json as IApiError).error).toBe(code);
    if (status === 422) {
      expect((answer.json as IApiError).fields?.length).toBeGreaterThan(0);
    }
    expect((await companion.request('GET', '/api/clusters')).json).toEqual([]);
    expect(existsSync(path.join(dirs.state, 'logs'))).toBe(false);
  });

  it('names the unknown field and the accepted ones', async () => {
    const answer = await companion.request('POST', '/api/clusters', { type: 'local', option: {} });
    expect((answer.json as IApiError).fields).toEqual([
      {
        path: '/option',
        message: 'Unknown field "option"; remove it or fix its spelling (accepted: type, name, options, adopt).'
      }
    ]);
  });
});

describe('a local cluster', () => {
  it('starts: starting, then running with 2 workers, their cores and memory', async () => {
    const answer = await companion.request('POST', '/api/clusters', {
      type: 'local',
      name: 'integration',
      options: { workers: 2, threads_per_worker: 1, memory_per_worker: '1 GiB', worker_env: 'JDC_VAR=hello' }
    });
    expect(answer.status).toBe(201);
    cluster = answer.json as IClusterModel;
    expect(cluster).toMatchObject({ name: 'integration', state: 'starting', environment: { python: PYTHON } });

    const running = await events.waitForCluster(
      cluster.id,
      'running with 2 workers',
      m => m.state === 'running' && m.workers === 2
    );
    expect(running).toMatchObject({ cores: 2, memory: 2 * GiB, hasDashboard: true });
    expect(running.schedulerAddress).toMatch(/^tls:\/\/127\.0\.0\.1:\d+$/);
    expect(running.tunnelCommand).toMatch(/^ssh -N -L 8787:127\.0\.0\.1:\d+ \S+@\S+$/);
    expect(events.states(cluster.id).slice(0, 2)).toEqual(['starting', 'running']);

    runnerPid = companion.runnerPid(cluster.id)!;
    expect(groupMembers(runnerPid).length).toBeGreaterThanOrEqual(3); // runner + 2 worker processes
    expect(readdirSync(path.join(dirs.tmp, `dask-clusters-${process.getuid!()}`))).toEqual([cluster.id]);
    // Its TLS credentials: owner-only files in an owner-only directory.
    const security = path.join(dirs.state, 'security', cluster.id);
    expect(statSync(security).mode & 0o777).toBe(0o700);
    expect(readdirSync(security).sort()).toEqual(['ca.pem', 'cert.pem', 'key.pem']);
    for (const file of readdirSync(security)) {
      expect(statSync(path.join(security, file)).mode & 0o777).toBe(0o600);
    }
  }, 90_000);

  it('holds the per-user caps a site sets: clusters at once, workers per cluster', async () => {
    const limits = (values: Record<string, number>) =>
      companion.request('PUT', '/api/settings', { gateway: {}, workerEnvironment: {}, limits: values });
    expect((await limits({ maxClusters: 1, maxWorkersPerCluster: 2 })).status).toBe(200);
    try {
      const second = await companion.request('POST', '/api/clusters', { type: 'local', options: { workers: 1 } });
      expect(second.status).toBe(409);
      expect((second.json as IApiError).message).toContain(
        'You already run 1 clusters ("integration"), the most allowed here (limits.maxClusters = 1'
      );
      const scale = await companion.request('POST', `/api/clusters/${cluster.id}/scale`, { mode: 'fixed', workers: 3 });
      expect(scale.status).toBe(422);
      expect((scale.json as IApiError).fields).toEqual([
        { path: '/workers', message: expect.stringContaining('more than the 2 one cluster may have here') }
      ]);
      expect((await companion.request('GET', '/api/clusters')).json).toHaveLength(1);
    } finally {
      await limits({});
    }
  });

  it('gives a snippet that connects a client', async () => {
    const snippet = (await companion.request('GET', `/api/clusters/${cluster.id}/snippet`)).json as ISnippet;
    const current = (await companion.request('GET', `/api/clusters/${cluster.id}`)).json as IClusterModel;
    expect(snippet.code).toContain(`client = Client("${current.schedulerAddress}", security=security)`);
    expect(snippet.code).toContain(path.join(dirs.state, 'security', cluster.id, 'key.pem'));
    expect(snippet.code).not.toContain('BEGIN');
    // Without the credentials the scheduler refuses the client.
    const refused = spawnSync(
      PYTHON,
      ['-c', `from dask.distributed import Client\nClient("${current.schedulerAddress}", timeout=5)`],
      { encoding: 'utf8', timeout: 60_000 }
    );
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/TLS|ssl|security/i);
    const code = `${snippet.code}\nprint(client.submit(sum, [1, 2, 3]).result(), len(client.nthreads()), client.dashboard_link)`;
    const out = execFileSync(PYTHON, ['-c', code], { encoding: 'utf8', timeout: 60_000 });
    // The link goes through JupyterLab's proxy, not to 127.0.0.1.
    expect(out.trim()).toBe(`6 2 /user/test/dask-clusters/dashboard/${cluster.id}/status`);
  }, 60_000);

  it("gives every worker the form's environment variables", async () => {
    const snippet = (await companion.request('GET', `/api/clusters/${cluster.id}/snippet`)).json as ISnippet;
    const code = [
      snippet.code,
      'import os',
      "print(sorted(client.run(lambda: os.environ.get('JDC_VAR')).values()))"
    ].join('\n');
    const out = execFileSync(PYTHON, ['-c', code], { encoding: 'utf8', timeout: 60_000 });
    expect(out.trim()).toBe("['hello', 'hello']");
  }, 60_000);

  it('scales to 3 workers', async () => {
    const answer = await companion.request('POST', `/api/clusters/${cluster.id}/scale`, { mode: 'fixed', workers: 3 });
    expect(answer.status).toBe(200);
    expect((answer.json as IClusterModel).scaling).toEqual({ mode: 'fixed', workers: 3 });
    await events.waitForCluster(cluster.id, '3 workers', m => m.workers === 3 && m.cores === 3 && m.memory === 3 * GiB);
  }, 60_000);

  it('refuses scaling it cannot do', async () => {
    const tooMany = await companion.request('POST', `/api/clusters/${cluster.id}/scale`, {
      mode: 'fixed',
      workers: 100_000
    });
    expect(tooMany.status).toBe(422);
    expect((tooMany.json as IApiError).fields?.[0].path).toBe('/workers');
    const inverted = await companion.request('POST', `/api/clusters/${cluster.id}/scale`, {
      mode: 'adaptive',
      minimum: 3,
      maximum: 1
    });
    expect(inverted.status).toBe(422);
    expect((await companion.request('POST', '/api/clusters/nope/scale', { mode: 'fixed', workers: 1 })).status).toBe(
      404
    );
  });

  it('adapts between 1 and 2 workers', async () => {
    const answer = await companion.request('POST', `/api/clusters/${cluster.id}/scale`, {
      mode: 'adaptive',
      minimum: 1,
      maximum: 2
    });
    expect(answer.status).toBe(200);
    expect((answer.json as IClusterModel).scaling).toEqual({ mode: 'adaptive', minimum: 1, maximum: 2 });
    // Idle: adaptive scaling retires workers down to the range.
    await events.waitForCluster(
      cluster.id,
      'at most 2 workers after adapt',
      m => m.scaling.mode === 'adaptive' && m.workers >= 1 && m.workers <= 2
    );
  }, 60_000);

  it('lists the dashboard plots, relative to the dashboard root', async () => {
    const answer = await companion.request('GET', `/api/clusters/${cluster.id}/plots`);
    expect(answer.status).toBe(200);
    const plots = answer.json as IPlot[];
    expect(plots.length).toBeGreaterThan(5);
    expect(plots.slice(0, 4).map(plot => plot.title)).toEqual([
      'Task Stream',
      'Progress',
      'Workers Memory',
      'Task Graph'
    ]);
    expect(plots[0]).toEqual({ title: 'Task Stream', path: 'individual-task-stream', common: true });
    expect(plots.every(plot => !plot.path.startsWith('/'))).toBe(true);
    // The test host has no GPU: its plots are left out.
    expect(plots.some(plot => /gpu|rmm/i.test(plot.path))).toBe(false);
  });

  it('proxies a plot page and its Bokeh websocket', async () => {
    const page = await companion.request('GET', `/dashboard/${cluster.id}/individual-task-stream`);
    expect(page.status).toBe(200);
    // Bokeh's resources are relative, so they resolve below dashboard/<id>/.
    const script = /<script src="(static\/js\/bokeh\.min\.js[^"]*)"/.exec(page.body)?.[1];
    expect(script).toBeDefined();
    expect((await companion.request('GET', `/dashboard/${cluster.id}/${script!}`)).status).toBe(200);

    const token = /"token":"([^"]+)"/.exec(page.body)?.[1];
    expect(token).toBeDefined();
    const socket = companion.websocket(`/dashboard/${cluster.id}/individual-task-stream/ws`, ['bokeh', token!]);
    const status = new Promise<number>((resolve, reject) => {
      socket.once('upgrade', response => resolve(response.statusCode ?? 0));
      socket.once('error', reject);
    });
    const first = new Promise<string>(resolve => socket.once('message', data => resolve(String(data))));
    expect(await status).toBe(101);
    expect(JSON.parse(await first)).toMatchObject({ msgtype: 'ACK' });
    socket.close();
  }, 30_000);

  it('keeps the dashboard root redirect below the proxied path', async () => {
    const root = await companion.request('GET', `/dashboard/${cluster.id}/`);
    expect(root.status).toBe(301);
    // Relative: jupyter-server-proxy adds its own prefix to absolute paths only.
    expect(root.headers.location).toBe('./status');
    const info = await companion.request('GET', `/dashboard/${cluster.id}/info`);
    expect([info.status, info.headers.location]).toEqual([302, 'info/main/workers.html']);
    const bare = await companion.request('GET', `/dashboard/${cluster.id}`);
    expect([bare.status, bare.headers.location]).toEqual([301, `${cluster.id}/`]);
  });

  it('proxies nothing for unknown ids', async () => {
    const answer = await companion.request('GET', '/dashboard/unknown/individual-task-stream');
    expect(answer.status).toBe(404);
    expect((answer.json as IApiError).error).toBe('not_found');
    const socket = companion.websocket('/dashboard/unknown/individual-task-stream/ws');
    const status = await new Promise<number>(resolve => {
      socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.once('upgrade', () => resolve(101));
      socket.once('error', () => resolve(-1));
    });
    expect(status).toBe(404);
  });

  it('serves the runner log', async () => {
    const answer = await companion.request('GET', `/api/clusters/${cluster.id}/log`);
    expect(answer.status).toBe(200);
    expect((answer.json as { lines: string[] }).lines.join('\n')).toContain('distributed.scheduler');
  });

  it('stops: runner and workers gone, scratch removed, then forgotten', async () => {
    const workers = groupMembers(runnerPid).filter(pid => pid !== runnerPid);
    expect(workers.length).toBeGreaterThanOrEqual(1);
    const answer = await companion.request('DELETE', `/api/clusters/${cluster.id}`);
    expect(answer.status).toBe(202);
    expect((answer.json as IClusterModel).state).toBe('stopping');
    const stopped = await events.waitForCluster(cluster.id, 'stopped', m => m.state === 'stopped');
    expect(stopped).toMatchObject({ workers: 0, hasDashboard: false });
    expect(stopped.error).toBeUndefined();
    expect(events.states(cluster.id).slice(-2)).toEqual(['stopping', 'stopped']);
    // Its workers are gone when it says stopped; the runner host it ran in ends after its last cluster.
    expect(workers.filter(isRunning)).toEqual([]);
    await waitFor('the runner host to exit', () => groupMembers(runnerPid).length === 0);
    expect(existsSync(path.join(dirs.tmp, `dask-clusters-${process.getuid!()}`, cluster.id))).toBe(false);
    expect(existsSync(path.join(dirs.state, 'security', cluster.id))).toBe(false);
    expect((await companion.request('GET', `/dashboard/${cluster.id}/individual-task-stream`)).status).toBe(404);

    expect((await companion.request('DELETE', `/api/clusters/${cluster.id}`)).status).toBe(204);
    await waitFor('the removed event', () => events.events.some(e => e.kind === 'removed' && e.id === cluster.id));
    expect((await companion.request('GET', `/api/clusters/${cluster.id}`)).status).toBe(404);
  }, 60_000);
});
