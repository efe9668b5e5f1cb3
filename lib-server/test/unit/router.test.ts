import { jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ApiError, invalidOptions } from '../../src/http/errors.js';
import { matchPath, Router } from '../../src/http/router.js';

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

  function call(method: string, urlPath: string, body?: string): Promise<{ status: number; json: unknown; headers: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const req = request({ socketPath: socketPath(), method, path: urlPath, headers: { 'Content-Type': 'application/json' } }, res => {
        let text = '';
        res.on('data', chunk => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined, headers: res.headers }));
      });
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
  });

  afterAll(async () => {
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
    expect((await call('POST', '/items', '')).json).toMatchObject({ error: 'malformed_json', message: expect.stringContaining('empty') });
  });

  it('answers 404 and 405 as IApiError', async () => {
    expect(await call('GET', '/nothing/here')).toMatchObject({ status: 404, json: { error: 'not_found', message: 'Nothing at /nothing/here.' } });
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
        message: 'The request has 1 problem(s): /workers: Workers must be at least 1 (got 0).',
        fields: [{ path: '/workers', message: 'Workers must be at least 1 (got 0).' }]
      }
    });
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await call('GET', '/crash')).toMatchObject({ status: 500, json: { error: 'internal', message: 'The companion failed: boom' } });
    spy.mockRestore();
  });

  it('keeps ApiError bodies minimal', () => {
    expect(new ApiError(409, 'not_running', 'x').toJSON()).toEqual({ error: 'not_running', message: 'x' });
  });
});
