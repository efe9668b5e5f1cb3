/** The gateway's REST answers as clear errors, its 422 on the field, and the form built from its options. */

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GatewayClient } from '../../src/backends/gateway/client.js';
import { resolveConnection } from '../../src/backends/gateway/connection.js';
import { createGatewayBackend, gatewaySnippet } from '../../src/backends/gateway/index.js';
import { buildGatewayType, gatewayFieldErrors } from '../../src/backends/gateway/schema.js';

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
        field: 'python_environment',
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
