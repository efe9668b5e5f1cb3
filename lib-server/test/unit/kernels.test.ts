import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  KernelDashboards,
  kernelDashboardRoutes,
  MAX_KERNEL_DASHBOARDS,
  normalizeDashboardUrl
} from '../../src/api/kernels.js';
import { Router } from '../../src/http/router.js';
import { DashboardProxy } from '../../src/proxy/dashboard.js';

describe('normalizeDashboardUrl', () => {
  it('keeps the root of an http(s) dashboard link', () => {
    expect(normalizeDashboardUrl('http://127.0.0.1:8787/status')).toEqual({ url: 'http://127.0.0.1:8787/' });
    expect(normalizeDashboardUrl('https://hub.example/user/a/proxy/8787/status?x=1#y')).toEqual({
      url: 'https://hub.example/user/a/proxy/8787/'
    });
    expect(normalizeDashboardUrl('http://[::1]:9000')).toEqual({ url: 'http://[::1]:9000/' });
  });

  it('refuses other schemes, credentials, relative and oversized addresses', () => {
    for (const value of ['file:///etc/passwd', 'ftp://h/', 'javascript:alert(1)', 'gopher://h:70/', 'ws://h:1/']) {
      expect(normalizeDashboardUrl(value)).toEqual({ error: expect.stringContaining('http or https') });
    }
    expect(normalizeDashboardUrl('http://me:secret@h:1/')).toEqual({ error: expect.stringContaining('password') });
    expect(normalizeDashboardUrl('/proxy/8787/status')).toEqual({ error: expect.stringContaining('absolute') });
    expect(normalizeDashboardUrl(42)).toEqual({ error: expect.stringContaining('URL') });
    expect(normalizeDashboardUrl(`http://h/${'a'.repeat(3000)}`)).toEqual({ error: expect.stringContaining('2048') });
  });
});

describe('KernelDashboards', () => {
  it('forgets the oldest entry beyond the cap', () => {
    const dashboards = new KernelDashboards();
    for (let i = 0; i <= MAX_KERNEL_DASHBOARDS; i++) {
      dashboards.set(`k-${i}`, `http://h:${i}/`);
    }
    expect(dashboards.get('k-0')).toBeUndefined();
    expect(dashboards.get(`k-${MAX_KERNEL_DASHBOARDS}`)).toBe(`http://h:${MAX_KERNEL_DASHBOARDS}/`);
  });
});

describe('api/kernel-dashboards with the dashboard proxy', () => {
  let dir: string;
  let companion: Server;
  let dashboard: Server;
  const seen: string[] = [];
  const socketPath = () => path.join(dir, 'kernels.sock');

  function call(
    method: string,
    urlPath: string,
    body?: unknown
  ): Promise<{ status: number; json: unknown; text: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        { socketPath: socketPath(), method, path: urlPath, headers: { 'Content-Type': 'application/json' } },
        res => {
          let text = '';
          res.on('data', chunk => (text += chunk));
          res.on('end', () => {
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, json, text });
          });
        }
      );
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kernels-'));
    dashboard = createServer((req, res) => {
      seen.push(req.url ?? '');
      if (req.url === '/individual-plots.json') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({
            'Individual Task Stream': '/individual-task-stream',
            'Individual Progress': '/individual-progress'
          })
        );
      } else {
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end(`page ${req.url}`);
      }
    });
    await new Promise<void>(resolve => dashboard.listen(0, '127.0.0.1', resolve));
    const dashboards = new KernelDashboards();
    const proxy = new DashboardProxy(id => dashboards.get(id));
    const router = new Router();
    kernelDashboardRoutes(router, dashboards);
    router.add('*', '/dashboard/:id/*', ({ req, res }) => {
      proxy.web(req, res);
      return undefined;
    });
    companion = createServer((req, res) => void router.handle(req, res));
    await new Promise<void>(resolve => companion.listen(socketPath(), resolve));
  });

  afterAll(async () => {
    await new Promise(resolve => companion.close(resolve));
    await new Promise(resolve => dashboard.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const dashboardLink = () => `http://127.0.0.1:${(dashboard.address() as AddressInfo).port}/status`;

  it('proxies only after registration, and lists the plots', async () => {
    expect((await call('GET', '/dashboard/k-abc/individual-task-stream')).status).toBe(404);
    const put = await call('PUT', '/api/kernel-dashboards/k-abc', { url: dashboardLink() });
    expect(put).toMatchObject({ status: 200, json: { id: 'k-abc', url: dashboardLink().replace(/status$/, '') } });
    const page = await call('GET', '/dashboard/k-abc/individual-task-stream?x=1');
    expect(page).toMatchObject({ status: 200, text: 'page /individual-task-stream?x=1' });
    expect(await call('GET', '/api/kernel-dashboards/k-abc/plots')).toMatchObject({
      status: 200,
      json: [
        { title: 'Task Stream', path: 'individual-task-stream' },
        { title: 'Progress', path: 'individual-progress' }
      ]
    });
  });

  it('refuses unknown fields, other schemes and ids that are not kernel ids', async () => {
    const unknown = await call('PUT', '/api/kernel-dashboards/k-abc', { url: dashboardLink(), host: 'evil' });
    expect(unknown).toMatchObject({ status: 422, json: { fields: [{ path: '/host' }] } });
    const scheme = await call('PUT', '/api/kernel-dashboards/k-abc', { url: 'file:///etc/passwd' });
    expect(scheme).toMatchObject({ status: 422, json: { fields: [{ path: '/url' }] } });
    // A companion cluster id (8 hex digits) can never be taken over.
    expect((await call('PUT', '/api/kernel-dashboards/0123abcd', { url: dashboardLink() })).status).toBe(404);
    // The earlier registration still stands.
    expect((await call('GET', '/dashboard/k-abc/individual-progress')).status).toBe(200);
  });

  it('stops proxying once the registration is deleted', async () => {
    expect((await call('DELETE', '/api/kernel-dashboards/k-abc')).status).toBe(204);
    expect((await call('GET', '/dashboard/k-abc/individual-task-stream')).status).toBe(404);
    expect((await call('DELETE', '/api/kernel-dashboards/k-abc')).status).toBe(404);
  });
});
