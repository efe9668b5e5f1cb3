/** The gateway's REST answers as clear errors, its 422 on the field, and the form built from its options. */

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IClusterModel } from '../../../protocol/index.js';
import type { IGatewaySettings } from '../../src/backends/gateway/connection.js';
import { GatewayClient, type IGatewayOption } from '../../src/backends/gateway/client.js';
import { resolveConnection } from '../../src/backends/gateway/connection.js';
import { createGatewayBackend, gatewaySnippet } from '../../src/backends/gateway/index.js';
import { buildGatewayType } from '../../src/backends/gateway/form.js';
import { gatewayFieldErrors, offeredOptions } from '../../src/backends/gateway/schema.js';
import type { ILaunchPlan, PlanResult, SubmitResult } from '../../src/backends/backend.js';
import type { IEnvironmentInfo } from '../../src/envs/probe.js';

let server: Server;
let address: string;
let answer: { status: number; body: string; delayMs?: number } = { status: 200, body: '{}' };

beforeAll(async () => {
  server = createServer((_req, res) => {
    setTimeout(() => {
      res.writeHead(answer.status, { 'Content-Type': 'application/json' });
      res.end(answer.body);
    }, answer.delayMs ?? 0);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

function client(timeoutMs = 2_000): GatewayClient {
  return new GatewayClient(
    { address, auth: { type: 'basic', username: 'me', password: 'secret-pw' }, source: 'test' },
    timeoutMs
  );
}

describe('gateway errors', () => {
  it.each([
    [401, 'rejected the credentials (401)'],
    [403, 'refused this (403)'],
    [404, 'does not know it (404)'],
    [409, 'could not do it now (409)'],
    [422, 'refused the options (422)'],
    [500, 'answered 500: boom (a server-side error']
  ])('%i becomes a clear message', async (status, words) => {
    answer = { status, body: JSON.stringify({ error: 'boom' }) };
    await expect(client().cluster('abc')).rejects.toThrow(words);
    await expect(client().cluster('abc')).rejects.not.toThrow('secret-pw');
  });

  it('says when the gateway does not answer in time', async () => {
    answer = { status: 200, body: '{}', delayMs: 1_000 };
    await expect(client(200).options()).rejects.toThrow('did not answer within 0.2 s');
  });

  it('says when nothing listens', async () => {
    const gone = new GatewayClient({ address: 'http://127.0.0.1:9', auth: { type: 'none' }, source: 'test' });
    await expect(gone.options()).rejects.toThrow('cannot be reached');
  });
});

describe('the 422 on its field', () => {
  const fields = ['worker_cores', 'worker_memory', 'profile', 'environment'];
  it.each([
    ['worker_cores must be <= 4.000000, got 9', '/worker_cores'],
    ["'huge' is not a valid option for profile", '/profile'],
    ['environment must be a mapping, got 3', '/environment'],
    ['something else went wrong', '']
  ])('%s -> %s', (reason, path) => {
    expect(gatewayFieldErrors(reason, fields)).toEqual([
      { path, message: `The gateway refused this value: ${reason}` }
    ]);
  });
});

describe('connection', () => {
  it('reads address, proxy and basic auth from dask config; settings win for the address', () => {
    const config = {
      address: 'http://gw:8000/',
      'proxy-address': 'gateway://gw:8001',
      auth: { type: 'basic', kwargs: { password: 'p' } }
    };
    expect(resolveConnection(config, {}, {}, 'alice')).toMatchObject({
      address: 'http://gw:8000',
      proxyAddress: 'gateway://gw:8001',
      auth: { type: 'basic', username: 'alice', password: 'p' }
    });
    expect(resolveConnection(config, { address: 'https://other' }, {}, 'alice')).toMatchObject({
      address: 'https://other',
      source: 'the extension settings'
    });
    expect(resolveConnection({}, {}, {}, 'alice')).toBeUndefined();
    expect(resolveConnection({ address: 'http://gw', auth: { type: 'kerberos' } }, {}, {}, 'a')).toEqual({
      unavailable: 'gateway.auth.type "kerberos" is not supported here; use basic or jupyterhub.'
    });
  });

  it('writes no credentials into the snippet', () => {
    const code = gatewaySnippet('http://gw:8000', 'gateway://gw:8001', 'abc');
    expect(code).toContain('Gateway("http://gw:8000", proxy_address="gateway://gw:8001")');
    expect(code).toContain('gateway.connect("abc")');
    expect(code).toContain('cluster.get_client()');
  });
});

describe('option mapping', () => {
  const env = (python: string, label: string) => ({
    python,
    label,
    kernelspecs: [],
    usable: true,
    probe: { packages: { dask_gateway: '2026.3.0' }, config: {}, sitePaths: [] }
  });
  it('maps the environment onto a select and the worker variables onto a mapping', () => {
    const type = buildGatewayType({
      address: 'http://gw',
      options: [
        { field: 'conda_env', label: 'Conda env', default: 'base', spec: { type: 'select', options: ['base', 'geo'] } },
        { field: 'env_vars', label: 'Env', default: { A: '1' }, spec: { type: 'mapping' } }
      ],
      environments: [env('/opt/conda/envs/geo/bin/python', 'Geo'), env('/opt/conda/bin/python', 'base')],
      serverPython: '/opt/conda/envs/geo/bin/python',
      settings: { optionMapping: { environment: 'conda_env', envVars: 'env_vars' } },
      workerEnvironment: { B: '2' }
    });
    expect(type.defaults).toMatchObject({ conda_env: 'geo', env_vars: { A: '1', B: '2' } });
    expect(type.instance).toBe('http://gw');
    expect(type.linked).toEqual([
      {
        field: 'environment',
        values: {
          '/opt/conda/envs/geo/bin/python': { conda_env: 'geo' },
          '/opt/conda/bin/python': { conda_env: 'base' }
        }
      }
    ]);
  });
});

describe('reading the dask config', () => {
  /** A backend whose `runner.py config gateway` is counted, and fails when told to. */
  function counted(): { reads: () => number; failNext: () => void; backend: ReturnType<typeof createGatewayBackend> } {
    let reads = 0;
    let fail = false;
    const backend = createGatewayBackend({
      environments: async () => [],
      serverPython: '/usr/bin/python3',
      runnerPath: '/runner.py',
      run: async (_file, args) => {
        if (args.join(' ').endsWith('config gateway')) {
          reads += 1;
          if (fail) {
            fail = false;
            throw new Error('dask is not importable');
          }
        }
        return {};
      },
      env: {},
      user: 'alice'
    });
    return { reads: () => reads, failNext: () => (fail = true), backend };
  }

  it('reads it once for repeated refreshes, again when the dialog opens, and retries a failed read', async () => {
    const { reads, failNext, backend } = counted();
    await backend.client();
    await backend.client();
    await backend.client();
    expect(reads()).toBe(1);
    await backend.describe({});
    expect(reads()).toBe(2);
    failNext();
    await backend.client(true);
    expect(reads()).toBe(3);
    await backend.client();
    expect(reads()).toBe(4);
    await backend.client();
    expect(reads()).toBe(4);
  });
});

/** An environment with dask-gateway. */
function gatewayEnv(python: string, label: string): IEnvironmentInfo {
  return {
    python,
    label,
    kernelspecs: [],
    usable: true,
    probe: { packages: { dask_gateway: '2026.3.0' }, config: {}, sitePaths: [] }
  };
}

/** Options like the test gateway's (scripts/gateway/gateway_config.py): a mapping named `environment`. */
const OPTIONS: IGatewayOption[] = [
  { field: 'worker_cores', label: 'Worker cores', default: 1, spec: { type: 'int', min: 1, max: 4 } },
  { field: 'environment', label: 'Environment variables', default: { Z: '0' }, spec: { type: 'mapping' } }
];

describe('a gateway option named like one of our fields', () => {
  it('is offered as gateway_<name>, and the environment field is ours', () => {
    expect(offeredOptions(OPTIONS).map(o => [o.field, o.formField])).toEqual([
      ['worker_cores', 'worker_cores'],
      ['environment', 'gateway_environment']
    ]);
    // ...unless that name is a gateway option too.
    expect(
      offeredOptions([...OPTIONS, { field: 'gateway_environment', spec: { type: 'string' } }]).map(o => o.formField)
    ).toEqual(['worker_cores', 'gateway_environment']);
    const type = buildGatewayType({
      address: 'http://gw',
      options: OPTIONS,
      environments: [gatewayEnv('/usr/bin/python3', 'Python 3')],
      serverPython: '/usr/bin/python3',
      settings: {},
      workerEnvironment: {}
    });
    expect(type.schema.properties?.environment).toMatchObject({ type: 'string', enum: ['/usr/bin/python3'] });
    expect(type.schema.properties?.gateway_environment).toMatchObject({
      type: 'object',
      title: 'Environment variables'
    });
    expect(type.schema.required).toEqual(['environment']);
    expect(type.defaults).toMatchObject({ environment: '/usr/bin/python3', gateway_environment: { Z: '0' } });
    // Without a mapping of the worker variables there is nowhere to send them: no field.
    expect(type.schema.properties).not.toHaveProperty('worker_env');
  });
});

describe('worker environment variables', () => {
  it('are a field of the Advanced section when the settings map them onto a gateway option', () => {
    const type = buildGatewayType({
      address: 'http://gw',
      options: OPTIONS,
      environments: [gatewayEnv('/usr/bin/python3', 'Python 3')],
      serverPython: '/usr/bin/python3',
      settings: { optionMapping: { envVars: 'environment' } },
      workerEnvironment: { A: '1' }
    });
    expect(type.schema.properties?.worker_env).toMatchObject({
      type: 'string',
      title: 'Worker environment variables',
      default: '',
      description: expect.stringContaining('through the gateway option "Environment variables"')
    });
    expect(type.uiSchema.worker_env).toEqual({ 'ui:widget': 'textarea', 'ui:options': { rows: 3 } });
    expect(type.uiSchema['ui:groups']).toContainEqual({ title: 'Advanced', fields: ['worker_env'], collapsed: true });
    // Last of the gateway's fields; the shared lifetime fields follow in their own section.
    expect((type.uiSchema['ui:order'] as string[]).slice(-4)).toEqual([
      'worker_env',
      'lifetime',
      'idle_timeout',
      'keep_running'
    ]);
    // The settings' variables fill the mapped option.
    expect(type.defaults).toMatchObject({ gateway_environment: { Z: '0', A: '1' }, worker_env: '' });
  });
});

/**
 * A fake gateway that counts every request: options like the test gateway's,
 * a create that refuses more than 4 GiB per core as the test gateway's handler does.
 */
describe('plan and submit against a gateway', () => {
  let fake: Server;
  let fakeAddress: string;
  const requests: { method: string; path: string; body: unknown }[] = [];

  beforeAll(async () => {
    fake = createServer((req, res) => {
      let text = '';
      req.on('data', chunk => (text += chunk));
      req.on('end', () => {
        const body = text === '' ? undefined : (JSON.parse(text) as { cluster_options: Record<string, unknown> });
        requests.push({ method: req.method ?? '', path: req.url ?? '', body });
        res.setHeader('Content-Type', 'application/json');
        if (req.method === 'GET' && req.url === '/api/v1/options') {
          res.end(JSON.stringify({ cluster_options: OPTIONS }));
        } else if (req.method === 'POST' && req.url === '/api/v1/clusters/') {
          const environment = body?.cluster_options.environment as Record<string, string>;
          if (environment.REFUSE !== undefined) {
            res.writeHead(422);
            res.end(JSON.stringify({ error: 'environment may not hold REFUSE' }));
          } else {
            res.end(JSON.stringify({ name: 'c0ffee' }));
          }
        } else {
          res.writeHead(404);
          res.end('{}');
        }
      });
    });
    await new Promise<void>(resolve => fake.listen(0, '127.0.0.1', resolve));
    fakeAddress = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  });

  afterAll(() => {
    fake.closeAllConnections();
    fake.close();
  });

  beforeEach(() => {
    requests.length = 0;
  });

  function backend(settings: IGatewaySettings = {}, workerEnvironment: Record<string, string> = {}) {
    return createGatewayBackend({
      environments: async () => [gatewayEnv('/usr/bin/python3', 'Python 3')],
      serverPython: '/usr/bin/python3',
      runnerPath: '/runner.py',
      run: async () => ({}),
      env: {},
      user: 'alice',
      gatewaySettings: () => ({ address: fakeAddress, ...settings }),
      workerEnvironment: () => workerEnvironment
    });
  }

  function planOf(result: PlanResult): ILaunchPlan {
    if ('fields' in result) {
      throw new Error(`refused: ${JSON.stringify(result.fields)}`);
    }
    return result.plan;
  }

  const creates = () => requests.filter(r => r.method !== 'GET');

  it('plans by reading the options only; submit creates the cluster and names it in the start', async () => {
    const gateway = backend();
    const plan = planOf(
      await gateway.plan({ type: 'gateway', options: { worker_cores: 2, gateway_environment: { X: '1' } } }, 'id1')
    );
    expect(requests.map(r => `${r.method} ${r.path}`)).toEqual(['GET /api/v1/options']);
    expect(plan.spec.options).toMatchObject({ environment: '/usr/bin/python3', worker_cores: 2 });
    expect(plan.environment.python).toBe('/usr/bin/python3');
    expect(plan.start.kwargs.name).toBeNull();

    const submitted = (await gateway.submit!(plan)) as Extract<SubmitResult, { start: unknown }>;
    expect(creates()).toEqual([
      {
        method: 'POST',
        path: '/api/v1/clusters/',
        body: { cluster_options: { worker_cores: 2, environment: { X: '1' } } }
      }
    ]);
    expect(submitted.start.kwargs).toMatchObject({ name: 'c0ffee', address: fakeAddress });
    expect(gateway.gatewayName({ id: 'id1', spec: plan.spec } as IClusterModel)).toBe('c0ffee');
  });

  it('refuses a bad option in plan without any request that changes the gateway', async () => {
    const result = await backend().plan({ type: 'gateway', options: { worker_cores: 9 } }, 'id2');
    expect('fields' in result && result.fields.map(f => f.path)).toEqual(['/worker_cores']);
    expect(creates()).toEqual([]);
  });

  it("puts the gateway's own 422 from submit on the option's form field", async () => {
    const gateway = backend();
    const plan = planOf(
      await gateway.plan({ type: 'gateway', options: { gateway_environment: { REFUSE: 'x' } } }, 'id3')
    );
    expect(await gateway.submit!(plan)).toEqual({
      fields: [
        {
          path: '/gateway_environment',
          message: 'The gateway refused this value: environment may not hold REFUSE'
        }
      ]
    });
  });

  it("merges the form's worker variables over the settings' into the mapped option", async () => {
    const gateway = backend({ optionMapping: { envVars: 'environment' } }, { A: '1', B: '2' });
    const plan = planOf(
      await gateway.plan({ type: 'gateway', options: { worker_env: 'B=3\n# a comment\nC=4' } }, 'id4')
    );
    expect(creates()).toEqual([]);
    await gateway.submit!(plan);
    expect(creates()[0].body).toEqual({
      cluster_options: { worker_cores: 1, environment: { Z: '0', A: '1', B: '3', C: '4' } }
    });
    // The spec keeps what the form said.
    expect(plan.spec.options).toMatchObject({ worker_env: 'B=3\n# a comment\nC=4' });
  });

  it('refuses a worker variable line that is not NAME=value, on its field, creating nothing', async () => {
    const result = await backend({ optionMapping: { envVars: 'environment' } }).plan(
      { type: 'gateway', options: { worker_env: '1A=x' } },
      'id5'
    );
    expect('fields' in result && result.fields).toEqual([
      { path: '/worker_env', message: expect.stringMatching(/^Line 1 of Worker environment variables/) }
    ]);
    expect(creates()).toEqual([]);
  });

  it('refuses worker variables when no gateway option takes them', async () => {
    const result = await backend().plan({ type: 'gateway', options: { worker_env: 'A=1' } }, 'id6');
    expect('fields' in result && result.fields.map(f => f.path)).toEqual(['/worker_env']);
  });
});
