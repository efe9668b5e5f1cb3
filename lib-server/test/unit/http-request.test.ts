/** httpRequest, fetch's stand-in under --lite-mode, against a real server: answers, redirects, timeouts, refusals. */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpRequest } from '../../src/util/http-request.js';
import { fetchPlots } from '../../src/proxy/dashboard.js';
import { GatewayClient } from '../../src/backends/gateway/client.js';

let server: Server;
let base: string;
let seen: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string }[] = [];

const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  '/json': (_req, res) => {
    res.writeHead(201, { 'Content-Type': 'application/json', 'X-Answer': 'yes' });
    res.end('{"ok":true}');
  },
  '/missing': (_req, res) => {
    res.writeHead(404);
    res.end('not here');
  },
  // A multi-byte character split across chunks, after a byte order mark.
  '/chunks': (_req, res) => {
    const bytes = Buffer.from('\uFEFFgrüße', 'utf8');
    res.write(bytes.subarray(0, 7));
    setTimeout(() => res.end(bytes.subarray(7)), 20);
  },
  '/slow': (_req, res) => {
    setTimeout(() => res.end('late'), 1_000);
  },
  '/stalls': (_req, res) => {
    res.writeHead(200, { 'Content-Length': '100' });
    res.write('part');
  },
  '/moved': (_req, res) => {
    res.writeHead(302, { Location: '/json' });
    res.end();
  },
  '/see-other': (_req, res) => {
    res.writeHead(303, { Location: `${base}/echo` });
    res.end();
  },
  '/no-location': (_req, res) => {
    res.writeHead(301);
    res.end('stay');
  },
  '/echo': (_req, res) => {
    res.end('echo');
  },
  '/loop': (_req, res) => {
    res.writeHead(307, { Location: '/loop' });
    res.end();
  },
  '/individual-plots.json': (_req, res) => {
    res.end(
      JSON.stringify({
        'Individual Task Stream': '/individual-task-stream',
        'Individual Gpu Memory': '/individual-gpu-memory'
      })
    );
  },
  '/json/identity.json': (_req, res) => {
    res.end(JSON.stringify({ workers: { w: { metrics: { cpu: 1 } } } }));
  }
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() });
      const route = routes[(req.url ?? '').split('?')[0]];
      if (route !== undefined) {
        route(req, res);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

beforeEach(() => {
  seen = [];
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('httpRequest', () => {
  it('answers status, headers and text, and sends method, headers and body', async () => {
    const response = await httpRequest(`${base}/json`, {
      method: 'POST',
      headers: { Authorization: 'Basic abc', 'Content-Type': 'application/json' },
      body: '{"n":"é"}'
    });
    expect(response).toMatchObject({ status: 201, ok: true, text: '{"ok":true}' });
    expect(response.headers['x-answer']).toBe('yes');
    expect(seen).toEqual([
      expect.objectContaining({
        method: 'POST',
        body: '{"n":"é"}',
        headers: expect.objectContaining({
          authorization: 'Basic abc',
          'content-type': 'application/json',
          'content-length': '10'
        })
      })
    ]);
  });

  it('answers a failure status instead of rejecting', async () => {
    await expect(httpRequest(`${base}/missing`)).resolves.toMatchObject({ status: 404, ok: false, text: 'not here' });
  });

  it('decodes UTF-8 across chunks and drops the byte order mark, as fetch does', async () => {
    expect((await httpRequest(`${base}/chunks`)).text).toBe('grüße');
  });

  it('rejects with the signal reason when the answer or its body is late', async () => {
    const late = httpRequest(`${base}/slow`, { signal: AbortSignal.timeout(100) });
    await expect(late).rejects.toMatchObject({ name: 'TimeoutError' });
    const stalled = httpRequest(`${base}/stalls`, { signal: AbortSignal.timeout(100) });
    await expect(stalled).rejects.toMatchObject({ name: 'TimeoutError' });
    const aborted = new AbortController();
    aborted.abort();
    await expect(httpRequest(`${base}/json`, { signal: aborted.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('rejects with the connection error when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>(resolve => closed.close(() => resolve()));
    await expect(httpRequest(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({
      code: 'ECONNREFUSED',
      message: `connect ECONNREFUSED 127.0.0.1:${port}`
    });
  });

  it('rejects what is not an http(s) URL', async () => {
    await expect(httpRequest('not a url')).rejects.toThrow('Invalid URL');
    await expect(httpRequest('ftp://127.0.0.1/')).rejects.toThrow('URL scheme must be a HTTP(S) scheme');
  });

  it('follows redirects as fetch does: 303 turns a POST into a GET without body', async () => {
    expect(await httpRequest(`${base}/moved`)).toMatchObject({ status: 201, headers: { 'x-answer': 'yes' } });
    const answer = await httpRequest(`${base}/see-other`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}'
    });
    expect(answer).toMatchObject({ status: 200, text: 'echo' });
    const redirected = seen.find(request => request.url === '/echo');
    expect(redirected).toMatchObject({ method: 'GET', body: '' });
    expect(redirected?.headers['content-type']).toBeUndefined();
    expect(await httpRequest(`${base}/no-location`)).toMatchObject({ status: 301, text: 'stay' });
    await expect(httpRequest(`${base}/loop`)).rejects.toThrow('redirect count exceeded');
    expect(seen.filter(request => request.url === '/loop')).toHaveLength(21);
  });

  it("rejects any redirect status with redirect: 'error'", async () => {
    await expect(httpRequest(`${base}/moved`, { redirect: 'error' })).rejects.toThrow('unexpected redirect');
    await expect(httpRequest(`${base}/no-location`, { redirect: 'error' })).rejects.toThrow('unexpected redirect');
  });
});

describe('fetchPlots through httpRequest', () => {
  it('lists the plots of the hardware the workers have', async () => {
    expect(await fetchPlots(`${base}/`)).toEqual([
      { title: 'Task Stream', path: 'individual-task-stream', common: true }
    ]);
  });

  it('says why the dashboard answered no plots', async () => {
    await expect(fetchPlots(`${base}/elsewhere/`)).rejects.toThrow('The dashboard answered 404');
    await expect(fetchPlots('http://127.0.0.1:9/', 1_000)).rejects.toThrow(
      // Node's errors are of another realm under jest, so not instanceof Error here.
      /^The dashboard did not answer: (Error: )?connect ECONNREFUSED 127\.0\.0\.1:9$/
    );
  });
});

describe('GatewayClient through httpRequest', () => {
  it('refuses a redirect, as it did with fetch', async () => {
    // The '#' keeps the API path out of the request: it asks /moved.
    const gateway = new GatewayClient({ address: `${base}/moved#`, auth: { type: 'none' }, source: 'test' });
    await expect(gateway.options()).rejects.toThrow(
      `The gateway at ${base}/moved# cannot be reached (unexpected redirect).`
    );
  });
});
