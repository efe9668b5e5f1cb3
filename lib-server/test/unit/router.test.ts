import { jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ApiError, invalidOptions } from '../../src/http/errors.js';
import { matchPath, MAX_BODY, nestingDepth, Router } from '../../src/http/router.js';

describe('matchPath', () => {
  const segments = (pattern: string) => pattern.split('/').slice(1);

  it('binds named segments, URI-decoded', () => {
    expect(matchPath(segments('/api/clusters/:id'), '/api/clusters/ab%20c')).toEqual({ id: 'ab c' });
    expect(matchPath(segments('/api/clusters/:id/scale'), '/api/clusters/x/scale')).toEqual({ id: 'x' });
  });

  it('needs every segment, and no more', () => {
    expect(matchPath(segments('/api/clusters/:id'), '/api/clusters')).toBeUndefined();
    expect(matchPath(segments('/api/clusters/:id'), '/api/clusters/')).toBeUndefined();
    expect(matchPath(segments('/api/clusters/:id'), '/api/clusters/x/log')).toBeUndefined();
    expect(matchPath(segments('/api/types'), '/api/typesx')).toBeUndefined();
  });

  it('gives a trailing * the rest of the path', () => {
    expect(matchPath(segments('/dashboard/:id/*'), '/dashboard/c1/individual-task-stream/ws')).toEqual({
      id: 'c1',
      rest: 'individual-task-stream/ws'
    });
    expect(matchPath(segments('/dashboard/:id/*'), '/dashboard/c1/')).toEqual({ id: 'c1', rest: '' });
  });

  it('refuses malformed escapes', () => {
    expect(matchPath(segments('/api/clusters/:id'), '/api/clusters/%E0%A4%A')).toBeUndefined();
  });
});

describe('Router over HTTP', () => {
  let dir: string;
  let server: Server;
  const socketPath = () => path.join(dir, 'router.sock');

  function call(
    method: string,
    urlPath: string,
    body?: string | Buffer,
    headers: Record<string, string> = { 'Content-Type': 'application/json' }
  ): Promise<{ status: number; json: unknown; headers: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const req = request({ socketPath: socketPath(), method, path: urlPath, headers }, res => {
        let text = '';
        res.on('data', chunk => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined, headers: res.headers })
        );
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  let tcp: Server;
  function overTcp(urlPath: string, body: Buffer): Promise<number> {
    const { port } = tcp.address() as AddressInfo;
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: urlPath,
          headers: { 'Content-Type': 'application/json', 'Content-Length': body.length }
        },
        res => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        }
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'router-'));
    const router = new Router()
      .add('GET', '/items/:id', ({ params }) => ({ status: 200, body: { id: params.id } }))
      .add('POST', '/items', async ({ json }) => ({ status: 201, body: { got: await json() } }))
      .add('GET', '/fail', () => {
        throw invalidOptions([{ path: '/workers', message: 'Workers must be at least 1 (got 0).' }]);
      })
      .add('GET', '/crash', () => {
        throw new Error('boom');
      })
      .add('DELETE', '/items/:id', () => ({ status: 204 }));
    server = createServer((req, res) => void router.handle(req, res));
    await new Promise<void>(resolve => server.listen(socketPath(), resolve));
    tcp = createServer((req, res) => void router.handle(req, res));
    await new Promise<void>(resolve => tcp.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise(resolve => tcp.close(resolve));
    await new Promise(resolve => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('routes by method and path', async () => {
    expect(await call('GET', '/items/7')).toMatchObject({ status: 200, json: { id: '7' } });
    expect(await call('POST', '/items', '{"a":1}')).toMatchObject({ status: 201, json: { got: { a: 1 } } });
    expect(await call('DELETE', '/items/7')).toMatchObject({ status: 204, json: undefined });
  });

  it('answers 400 for malformed or missing JSON', async () => {
    const bad = await call('POST', '/items', '{"a":');
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: 'malformed_json', message: expect.stringContaining('not valid JSON') });
    expect((await call('POST', '/items', '')).json).toMatchObject({
      error: 'malformed_json',
      message: expect.stringContaining('empty')
    });
  });

  it('answers 404 and 405 as IApiError', async () => {
    expect(await call('GET', '/nothing/here')).toMatchObject({
      status: 404,
      json: { error: 'not_found', message: 'Nothing at /nothing/here.' }
    });
    const wrong = await call('PUT', '/items/7');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('GET, DELETE');
  });

  it('turns ApiError into its status and fields, anything else into 500', async () => {
    expect(await call('GET', '/fail')).toEqual({
      status: 422,
      headers: expect.anything(),
      json: {
        error: 'invalid_options',
        message: 'Workers must be at least 1 (got 0).',
        fields: [{ path: '/workers', message: 'Workers must be at least 1 (got 0).' }]
      }
    });
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await call('GET', '/crash')).toMatchObject({
      status: 500,
      json: { error: 'internal', message: 'The companion failed: boom' }
    });
    spy.mockRestore();
  });

  it('refuses a cross-site POST with only the cookie: 403, and the handler never runs', async () => {
    const refused = await call('POST', '/items', '{"a":1}', {
      'Content-Type': 'text/plain',
      Cookie: '_xsrf=2|aa|bb|1; username-x=secret',
      Origin: 'https://evil.example',
      Host: 'lab.example:8888'
    });
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({
      error: 'cross_site',
      message: expect.stringContaining('another site (https://evil.example)')
    });
  });

  it('takes the same origin, the XSRF token, or a script with neither cookie nor Origin', async () => {
    const json = { 'Content-Type': 'application/json' };
    expect(
      (
        await call('POST', '/items', '{}', {
          ...json,
          Origin: 'http://lab.example:8888',
          Host: 'lab.example:8888',
          Cookie: 'a=b'
        })
      ).status
    ).toBe(201);
    expect(
      (
        await call('POST', '/items', '{}', {
          ...json,
          Cookie: '_xsrf=tok123',
          'X-XSRFToken': 'tok123',
          Origin: 'https://evil.example'
        })
      ).status
    ).toBe(201);
    expect((await call('POST', '/items', '{}', json)).status).toBe(201);
    expect(
      (await call('POST', '/items', '{}', { ...json, Cookie: '_xsrf=tok123', 'X-XSRFToken': 'other' })).status
    ).toBe(403);
  });

  it('answers 415 for a body that is not JSON', async () => {
    const answer = await call('POST', '/items', 'a=1', { 'Content-Type': 'application/x-www-form-urlencoded' });
    expect(answer).toMatchObject({
      status: 415,
      json: { error: 'not_json', message: expect.stringContaining('Content-Type: application/json') }
    });
  });

  it('answers 400 for absurdly nested JSON, 413 for a body over the limit', async () => {
    expect(await call('POST', '/items', '['.repeat(10_000) + ']'.repeat(10_000))).toMatchObject({
      status: 400,
      json: { error: 'too_deep' }
    });
    expect(await overTcp('/items', Buffer.alloc(MAX_BODY + 10, 0x20))).toBe(413);
  });

  // Over TCP: a Node client on a Unix socket reported EPIPE here even after
  // the server had read the whole body; jupyter-server-proxy's own client is
  // tested through a real Jupyter server in pytest.
  it('reads the whole body before an early answer, so a sending client never sees a broken pipe', async () => {
    for (let i = 0; i < 5; i++) {
      expect(await overTcp('/nothing/here', Buffer.alloc(3 * MAX_BODY, 0x20))).toBe(404);
    }
  });

  it('keeps ApiError bodies minimal', () => {
    expect(new ApiError(409, 'not_running', 'x').toJSON()).toEqual({ error: 'not_running', message: 'x' });
  });
});

describe('nestingDepth', () => {
  it('counts brackets outside strings only', () => {
    expect(nestingDepth('{"a": [1, {"b": 2}]}')).toBe(3);
    expect(nestingDepth('"[[[[\\"[["')).toBe(0);
    expect(nestingDepth('[]')).toBe(1);
  });
});
