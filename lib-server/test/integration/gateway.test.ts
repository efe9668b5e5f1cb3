/**
 * The Gateway type against the real dask-gateway-server that `make test`
 * starts (scripts/gateway/gateway.sh up): options of every type, create,
 * scale, dashboard, snippet computing in a real Python, stop; a cluster made
 * from Python code listed, adopted, adapted and stopped; a rule only the
 * gateway's options handler knows, refused on its field when the cluster is
 * submitted; the environment choice and the worker environment variables
 * mapped onto gateway options (settings) and seen by the workers; a wrong password.
 */

import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type {
  IApiError,
  IClusterModel,
  IClusterType,
  IExternalCluster,
  IPlot,
  IServerEvent,
  ISnippet
} from '../../../protocol/index.js';
import { Companion, makeTestDirs, PYTHON, removeTestDirs, waitFor, type EventLog, type ITestDirs } from './harness.js';

const GATEWAY_DIR = process.env.JDC_GATEWAY_DIR ?? '/tmp/jdc-gateway';

/** The KEY=VALUE lines gateway.sh wrote; fails loudly when the gateway was not started. */
function gatewayEnv(): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path.join(GATEWAY_DIR, 'env'), 'utf8');
  } catch {
    throw new Error(
      `No ${GATEWAY_DIR}/env: start the test gateway with scripts/gateway/gateway.sh up (make gateway-up).`
    );
  }
  return Object.fromEntries(
    text
      .split('\n')
      .flatMap(line =>
        line.includes('=') ? [[line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]] : []
      )
  );
}

const gw = gatewayEnv();
const password = readFileSync(gw.JDC_GATEWAY_PASSWORD_FILE, 'utf8').trim();
const daskConfigDir = mkdtempSync(path.join(os.tmpdir(), 'gateway-dask-config-'));
/** What a user of this gateway has in their environment (the password as dask config would hold it). */
const userEnv: Record<string, string> = {
  DASK_CONFIG: daskConfigDir,
  DASK_GATEWAY__ADDRESS: gw.DASK_GATEWAY__ADDRESS,
  DASK_GATEWAY__PROXY_ADDRESS: gw.DASK_GATEWAY__PROXY_ADDRESS,
  DASK_GATEWAY__AUTH__TYPE: 'basic',
  DASK_GATEWAY__AUTH__KWARGS__PASSWORD: password
};

function python(code: string, extraEnv: Record<string, string> = {}): string {
  return execFileSync(PYTHON, ['-c', code], {
    env: { ...process.env, ...userEnv, ...extraEnv },
    encoding: 'utf8',
    timeout: 120_000
  });
}

/** Names of the user's live clusters, asked with the dask_gateway client. */
function liveOnGateway(): string[] {
  return JSON.parse(
    python(
      'import json\nfrom dask_gateway import Gateway\nprint(json.dumps([c.name for c in Gateway().list_clusters()]))'
    ).trim()
  ) as string[];
}

/** A cluster as the gateway reports it, in any status. */
interface IReport {
  name: string;
  status: string;
  options: Record<string, unknown>;
}

/** Every cluster of the user the gateway knows, live or ended, with its options. */
function reportsOnGateway(): IReport[] {
  return JSON.parse(
    python(
      'import json\nfrom dask_gateway import Gateway\n' +
        "reports = Gateway().list_clusters(status=['pending', 'running', 'stopping', 'stopped', 'failed'])\n" +
        "print(json.dumps([{'name': c.name, 'status': c.status.name, 'options': dict(c.options)} for c in reports]))"
    ).trim()
  ) as IReport[];
}

/** The gateway name of a cluster, from its scheduler address. */
function nameOf(model: IClusterModel): string | undefined {
  return /\/([^/]+)$/.exec(model.schedulerAddress ?? '')?.[1];
}

let dirs: ITestDirs;
let companion: Companion;
let events: EventLog;
const saved: Record<string, string | undefined> = {};

async function startWith(env: Record<string, string>): Promise<Companion> {
  for (const [key, value] of Object.entries(env)) {
    saved[key] ??= process.env[key];
    process.env[key] = value;
  }
  return Companion.start(dirs);
}

function externalLists(): IExternalCluster[][] {
  return events.events.flatMap((event: IServerEvent) =>
    event.kind === 'external' && event.type === 'gateway' ? [event.clusters] : []
  );
}

beforeAll(async () => {
  dirs = makeTestDirs('gateway');
  companion = await startWith(userEnv);
  events = await companion.events();
}, 60_000);

afterAll(async () => {
  events?.close();
  await companion?.stop();
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) {
      delete process.env[key];
    } else {
      process.env[key] = value;
    }
  }
  removeTestDirs(dirs);
  rmSync(daskConfigDir, { recursive: true, force: true });
}, 90_000);

async function gatewayType(on: Companion): Promise<IClusterType> {
  const answer = await on.request('GET', '/api/types');
  const type = (answer.json as IClusterType[]).find(t => t.id === 'gateway');
  if (type === undefined) {
    throw new Error(`no gateway type in ${answer.body}`);
  }
  return type;
}

describe('the form from the gateway options', () => {
  it('is available, with every option type, its label, default and bounds', async () => {
    const type = await gatewayType(companion);
    expect(type).toMatchObject({ available: true, title: 'Dask Gateway' });
    const p = type.schema.properties ?? {};
    expect(p.worker_cores).toMatchObject({
      type: 'integer',
      title: 'Worker cores',
      minimum: 1,
      maximum: 4,
      default: 1
    });
    expect(p.worker_memory).toMatchObject({
      type: 'number',
      title: 'Worker memory (GiB)',
      minimum: 0.5,
      maximum: 8,
      default: 1
    });
    expect(p.label).toMatchObject({ type: 'string', title: 'Cluster label', default: '' });
    expect(p.verbose).toMatchObject({ type: 'boolean', title: 'Verbose worker logs', default: false });
    expect(p.profile).toMatchObject({
      type: 'string',
      title: 'Profile',
      enum: ['standard', 'short-lived'],
      default: 'standard'
    });
    // The gateway's `environment` mapping is offered under another name: `environment` is the Python environment.
    expect(p.gateway_environment).toMatchObject({
      type: 'object',
      title: 'Environment variables',
      additionalProperties: { type: 'string' }
    });
    expect(p.environment).toMatchObject({ type: 'string', title: 'Environment' });
    expect(p).toHaveProperty('workers');
    expect(p).toHaveProperty('adaptive_maximum');
    expect(type.defaults).toMatchObject({ worker_cores: 1, profile: 'standard', environment: PYTHON });
  });

  it('refuses an out-of-bounds option on its field and creates nothing', async () => {
    const before = liveOnGateway();
    const answer = await companion.request('POST', '/api/clusters', { type: 'gateway', options: { worker_cores: 9 } });
    expect(answer.status).toBe(422);
    expect((answer.json as IApiError).fields?.map(f => f.path)).toEqual(['/worker_cores']);
    expect(liveOnGateway()).toEqual(before);
  });

  it("puts the gateway's own 422 (a rule of its options handler) on the option's field and creates nothing", async () => {
    // 6 GiB is within the bounds the gateway publishes (and our schema mirrors), but the
    // test gateway's handler allows at most 4 GiB per worker core.
    const type = await gatewayType(companion);
    expect(type.schema.properties?.worker_memory).toMatchObject({ maximum: 8 });
    const label = `refused-by-handler-${Date.now()}`;
    const before = ((await companion.request('GET', '/api/clusters')).json as IClusterModel[]).length;
    const answer = await companion.request('POST', '/api/clusters', {
      type: 'gateway',
      options: { worker_cores: 1, worker_memory: 6, label }
    });
    expect(answer.status).toBe(422);
    const error = answer.json as IApiError;
    expect(error.fields).toEqual([
      {
        path: '/worker_memory',
        message:
          'The gateway refused this value: worker_memory may be at most 4 GiB per worker core: 6 GiB asked with 1 core(s)'
      }
    ]);
    // Nothing on the gateway (in any status) and nothing here.
    expect(reportsOnGateway().filter(report => report.options.label === label)).toEqual([]);
    expect(((await companion.request('GET', '/api/clusters')).json as IClusterModel[]).length).toBe(before);
  }, 60_000);
});

describe('a cluster created from the sidebar', () => {
  let cluster: IClusterModel;

  it('starts with the chosen options and reports its workers', async () => {
    const answer = await companion.request('POST', '/api/clusters', {
      type: 'gateway',
      name: 'gw test',
      options: { worker_cores: 2, worker_memory: 1.5, gateway_environment: { JDC_TEST_VAR: 'hello' }, workers: 1 }
    });
    expect(answer.status).toBe(201);
    cluster = answer.json as IClusterModel;
    const running = await events.waitForCluster(
      cluster.id,
      'one worker',
      m => m.state === 'running' && m.workers === 1,
      120_000
    );
    expect(running.cores).toBe(2);
    expect(running.memory).toBe(1.5 * 2 ** 30);
    expect(running.schedulerAddress).toMatch(/^gateway:\/\//);
    expect(running.hasDashboard).toBe(true);
  }, 150_000);

  it('is not listed as external while it is ours', async () => {
    await new Promise(resolve => setTimeout(resolve, 500));
    const name = /\/([^/]+)$/.exec(events.models(cluster.id).at(-1)?.schedulerAddress ?? '')?.[1];
    expect(name).toBeDefined();
    expect((await companion.request('GET', '/api/external')).json).not.toContainEqual(
      expect.objectContaining({ name })
    );
  });

  it('gives a snippet without secrets that computes in a real Python', async () => {
    const { code } = (await companion.request('GET', `/api/clusters/${cluster.id}/snippet`)).json as ISnippet;
    expect(code).toContain(`Gateway(${JSON.stringify(gw.DASK_GATEWAY__ADDRESS)}`);
    expect(code).toMatch(/gateway\.connect\("[0-9a-f]+"\)/);
    expect(code).toContain('get_client()');
    expect(code).not.toContain(password);
    const out = python(
      `${code}\nimport os\nprint(client.submit(lambda: 41 + 1).result(), client.run(lambda: os.environ['JDC_TEST_VAR']).popitem()[1])\nclient.close()`
    );
    expect(out.trim().split('\n').at(-1)).toBe('42 hello');
  }, 120_000);

  it('opens its dashboard plots through the proxy', async () => {
    const plots = (await companion.request('GET', `/api/clusters/${cluster.id}/plots`)).json as IPlot[];
    const stream = plots.find(p => p.title === 'Task Stream');
    expect(stream).toBeDefined();
    const page = await companion.request('GET', `/dashboard/${cluster.id}/${stream?.path ?? ''}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('bokeh');
  });

  it('scales, and stops leaving nothing on the gateway', async () => {
    const scaled = await companion.request('POST', `/api/clusters/${cluster.id}/scale`, { mode: 'fixed', workers: 2 });
    expect(scaled.status).toBe(200);
    await events.waitForCluster(cluster.id, 'two workers', m => m.workers === 2, 120_000);
    const name = /\/([^/]+)$/.exec(
      cluster.schedulerAddress ?? (events.models(cluster.id).at(-1)?.schedulerAddress as string)
    )?.[1];
    expect(liveOnGateway()).toContain(name);
    expect((await companion.request('DELETE', `/api/clusters/${cluster.id}`)).status).toBe(202);
    await waitFor(
      'the cluster to be forgotten',
      () => events.events.some(e => e.kind === 'removed' && e.id === cluster.id),
      60_000
    );
    await waitFor('the gateway to stop it', () => !liveOnGateway().includes(name ?? ''), 60_000);
  }, 240_000);
});

describe('a cluster made from notebook code', () => {
  let name: string;
  let adopted: IClusterModel;

  it('is listed, live on the event stream', async () => {
    name =
      python('from dask_gateway import Gateway\nprint(Gateway().new_cluster(shutdown_on_close=False).name)')
        .trim()
        .split('\n')
        .at(-1) ?? '';
    expect(name).toMatch(/^[0-9a-f]+$/);
    const list = await waitFor(
      'the external list to hold it',
      () => externalLists().find(l => l.some(c => c.name === name)),
      30_000
    );
    const listed = list.find(c => c.name === name);
    expect(listed).toMatchObject({ type: 'gateway', location: gw.DASK_GATEWAY__ADDRESS });
    expect(['PENDING', 'RUNNING']).toContain(listed?.status);
  }, 120_000);

  it('is adopted: running, scaled, then stopped through our API', async () => {
    const answer = await companion.request('POST', '/api/clusters', { type: 'gateway', options: {}, adopt: name });
    expect(answer.status).toBe(201);
    adopted = answer.json as IClusterModel;
    await events.waitForCluster(adopted.id, 'running', m => m.state === 'running', 60_000);
    await waitFor(
      'it to leave the external list',
      () =>
        externalLists()
          .at(-1)
          ?.every(c => c.name !== name),
      30_000
    );
    expect(
      (await companion.request('POST', `/api/clusters/${adopted.id}/scale`, { mode: 'fixed', workers: 1 })).status
    ).toBe(200);
    await events.waitForCluster(adopted.id, 'a worker', m => m.workers === 1, 120_000);
    expect((await companion.request('DELETE', `/api/clusters/${adopted.id}`)).status).toBe(202);
    await waitFor('the gateway to stop it', () => !liveOnGateway().includes(name), 60_000);
  }, 240_000);

  it('is adopted, then adapts between 1 and 2 workers on the gateway, then stopped', async () => {
    const other =
      python('from dask_gateway import Gateway\nprint(Gateway().new_cluster(shutdown_on_close=False).name)')
        .trim()
        .split('\n')
        .at(-1) ?? '';
    expect(other).toMatch(/^[0-9a-f]+$/);
    const answer = await companion.request('POST', '/api/clusters', { type: 'gateway', options: {}, adopt: other });
    expect(answer.status).toBe(201);
    const model = answer.json as IClusterModel;
    try {
      await events.waitForCluster(model.id, 'running', m => m.state === 'running', 60_000);
      const scaled = await companion.request('POST', `/api/clusters/${model.id}/scale`, {
        mode: 'adaptive',
        minimum: 1,
        maximum: 2
      });
      expect(scaled.status).toBe(200);
      expect((scaled.json as IClusterModel).scaling).toEqual({ mode: 'adaptive', minimum: 1, maximum: 2 });
      // The adopted cluster had no worker: the gateway's adaptive loop starts the minimum.
      await events.waitForCluster(model.id, 'the adaptive minimum of one worker', m => m.workers === 1, 120_000);
      // The gateway's scheduler service says it adapts with our bounds; under load it grows to
      // the maximum, and no further.
      const { code } = (await companion.request('GET', `/api/clusters/${model.id}/snippet`)).json as ISnippet;
      const out = python(
        [
          code,
          'import json, time',
          'def adaptive(dask_scheduler):',
          "    service = dask_scheduler.services['gateway']",
          '    return [service.adapt_task is not None, service.minimum, service.maximum]',
          'state = client.run_on_scheduler(adaptive)',
          'futures = client.map(lambda i: time.sleep(2) or i, range(40))',
          'deadline = time.time() + 120',
          "while len(client.scheduler_info()['workers']) < 2 and time.time() < deadline:",
          '    time.sleep(0.5)',
          "grown = len(client.scheduler_info()['workers'])",
          'total = sum(client.gather(futures))',
          "print(json.dumps({'adaptive': state, 'grown': grown, 'total': total}))",
          'client.close()',
          'gateway.close()'
        ].join('\n')
      );
      expect(JSON.parse(out.trim().split('\n').at(-1) ?? '')).toEqual({ adaptive: [true, 1, 2], grown: 2, total: 780 });
      await events.waitForCluster(model.id, 'two workers', m => m.workers === 2, 30_000);
      expect(Math.max(...events.models(model.id).map(m => m.workers))).toBe(2);
    } finally {
      expect((await companion.request('DELETE', `/api/clusters/${model.id}`)).status).toBe(202);
      await waitFor('the gateway to stop it', () => !liveOnGateway().includes(other), 60_000);
    }
  }, 360_000);

  it('disappears when stopped elsewhere', async () => {
    const other =
      python('from dask_gateway import Gateway\nprint(Gateway().new_cluster(shutdown_on_close=False).name)')
        .trim()
        .split('\n')
        .at(-1) ?? '';
    const answer = await companion.request('POST', '/api/clusters', { type: 'gateway', options: {}, adopt: other });
    const model = answer.json as IClusterModel;
    await events.waitForCluster(model.id, 'running', m => m.state === 'running', 60_000);
    python(`from dask_gateway import Gateway\nGateway().stop_cluster(${JSON.stringify(other)})`);
    await waitFor(
      'it to be forgotten',
      () => events.events.some(e => e.kind === 'removed' && e.id === model.id),
      60_000
    );
    // Before it goes, its item says why (and the browser's notification with it).
    const last = events.events.filter(e => e.kind === 'cluster' && e.cluster.id === model.id).at(-1);
    expect(last?.kind === 'cluster' ? [last.cluster.state, last.cluster.endReason] : []).toEqual([
      'stopped',
      'Stopped outside JupyterLab (the gateway says it was shut down, e.g. from a notebook).'
    ]);
  }, 180_000);

  it('rejects adopting a cluster the gateway does not know', async () => {
    const answer = await companion.request('POST', '/api/clusters', {
      type: 'gateway',
      options: {},
      adopt: 'ffffffffffffffff'
    });
    expect(answer.status).toBe(404);
    expect((answer.json as IApiError).message).toContain('404');
  });
});

/**
 * Run `check` against a second companion started with `env` on top of the
 * user's, after `prepare` set up its directories.
 */
async function withCompanion(
  label: string,
  env: Record<string, string>,
  check: (other: Companion) => Promise<void>,
  prepare: (otherDirs: ITestDirs) => void = () => undefined
): Promise<void> {
  const otherDirs = makeTestDirs(label);
  prepare(otherDirs);
  const saveDirs = dirs;
  dirs = otherDirs;
  const other = await startWith(env);
  try {
    await check(other);
  } finally {
    await other.stop();
    Object.assign(process.env, userEnv);
    dirs = saveDirs;
    removeTestDirs(otherDirs);
  }
}

describe('the environment choice mapped onto a gateway option', () => {
  it('sets the options named in the settings from the chosen environment and the worker variables, and the workers see them', async () => {
    let analysis = '';
    const prepare = (otherDirs: ITestDirs): void => {
      // A second environment with dask-gateway, named "analysis" like a site's conda environment.
      analysis = path.join(otherDirs.root, 'envs', 'analysis', 'bin', 'python');
      mkdirSync(path.dirname(analysis), { recursive: true });
      writeFileSync(analysis, `#!/bin/sh\nexec ${PYTHON} "$@"\n`);
      chmodSync(analysis, 0o755);
      const kernel = path.join(otherDirs.jupyterData, 'kernels', 'analysis');
      mkdirSync(kernel, { recursive: true });
      writeFileSync(
        path.join(kernel, 'kernel.json'),
        JSON.stringify({
          argv: [analysis, '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
          display_name: 'Analysis',
          language: 'python'
        })
      );
    };
    await withCompanion(
      'gateway-mapping',
      {},
      async other => {
        const put = await other.request('PUT', '/api/settings', {
          gateway: { optionMapping: { environment: 'python_env', envVars: 'environment' } },
          workerEnvironment: { JDC_FROM_SETTINGS: 'settings', JDC_BOTH: 'settings' }
        });
        expect(put.status).toBe(200);
        const type = await gatewayType(other);
        expect(type.schema.properties?.python_env).toMatchObject({
          type: 'string',
          title: 'Software environment',
          enum: ['default', 'analysis']
        });
        expect(type.linked).toEqual([{ field: 'environment', values: { [analysis]: { python_env: 'analysis' } } }]);
        // The server's environment is the default one and names no choice: the gateway's default stays.
        expect(type.defaults).toMatchObject({ environment: PYTHON, python_env: 'default' });
        // The worker variables: the settings' fill the mapped option, the form's field adds its own.
        expect(type.defaults).toMatchObject({
          gateway_environment: { JDC_FROM_SETTINGS: 'settings', JDC_BOTH: 'settings' },
          worker_env: ''
        });
        expect(type.schema.properties?.worker_env).toMatchObject({
          type: 'string',
          title: 'Worker environment variables'
        });

        // The request names only the environment; the option follows from the mapping.
        const otherEvents = await other.events();
        const answer = await other.request('POST', '/api/clusters', {
          type: 'gateway',
          options: { environment: analysis, workers: 1, worker_env: 'JDC_BOTH=form\nJDC_FROM_FORM=form' }
        });
        expect(answer.status).toBe(201);
        const cluster = answer.json as IClusterModel;
        let name: string | undefined;
        try {
          expect(cluster.environment.python).toBe(analysis);
          const running = await otherEvents.waitForCluster(
            cluster.id,
            'one worker',
            m => m.state === 'running' && m.workers === 1,
            120_000
          );
          name = nameOf(running);
          expect(reportsOnGateway().find(report => report.name === name)?.options).toMatchObject({
            python_env: 'analysis',
            // The form's variables win over the settings'.
            environment: { JDC_FROM_SETTINGS: 'settings', JDC_BOTH: 'form', JDC_FROM_FORM: 'form' }
          });
          const { code } = (await other.request('GET', `/api/clusters/${cluster.id}/snippet`)).json as ISnippet;
          const out = python(
            `${code}\nimport os\nprint(list(client.run(lambda: [os.environ[k] for k in ('JDC_PYTHON_ENV', 'JDC_BOTH', 'JDC_FROM_SETTINGS')]).values()))\nclient.close()\ngateway.close()`
          );
          expect(out.trim().split('\n').at(-1)).toBe("[['analysis', 'form', 'settings']]");
        } finally {
          expect((await other.request('DELETE', `/api/clusters/${cluster.id}`)).status).toBe(202);
          await waitFor('the gateway to stop it', () => name === undefined || !liveOnGateway().includes(name), 60_000);
          otherEvents.close();
        }
      },
      prepare
    );
  }, 240_000);
});

describe('an unusable gateway', () => {
  it('is unavailable with the reason when the password is wrong; local still works', async () => {
    await withCompanion('gateway-wrong', { DASK_GATEWAY__AUTH__KWARGS__PASSWORD: 'not-the-password' }, async other => {
      const type = await gatewayType(other);
      expect(type.available).toBe(false);
      expect(type.reason).toContain('401');
      expect(type.reason).not.toContain('not-the-password');
      const local = ((await other.request('GET', '/api/types')).json as IClusterType[]).find(t => t.id === 'local');
      expect(local?.available).toBe(true);
    });
  }, 60_000);

  it('is unavailable when nothing answers at the address', async () => {
    await withCompanion('gateway-down', { DASK_GATEWAY__ADDRESS: 'http://127.0.0.1:9' }, async other => {
      const type = await gatewayType(other);
      expect(type.available).toBe(false);
      expect(type.reason).toContain('cannot be reached');
    });
  }, 60_000);
});
