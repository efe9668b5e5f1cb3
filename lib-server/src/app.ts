/** Assembles the companion: registry, backends, API, event stream, proxy, on one Unix socket. */

import { chmodSync, existsSync, lstatSync, readFileSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { clusterRoutes } from './api/clusters.js';
import type { IApiContext } from './api/context.js';
import { environmentRoutes } from './api/environments.js';
import { EventStream } from './api/events.js';
import { kernelDashboardRoutes, KernelDashboards } from './api/kernels.js';
import { settingsRoutes } from './api/settings.js';
import { typeRoutes } from './api/types.js';
import { BUILT_IN_TYPES, createBackends } from './backends/index.js';
import { loadSiteDefinitions } from './backends/site.js';
import { detectHostResources } from './backends/local/resources.js';
import { scratchBase } from './backends/local/scratch.js';
import { Housekeeping } from './clusters/housekeeping.js';
import { ClusterManager } from './clusters/lifecycle.js';
import { procInspector } from './clusters/processes.js';
import { currentOwner } from './clusters/owner.js';
import { Registry } from './clusters/registry.js';
import type { ICompanionConfig } from './config.js';
import { EnvironmentDiscovery, which } from './envs/discovery.js';
import { crossSiteUpgradeRefusal } from './http/guard.js';
import { Router } from './http/router.js';
import { DashboardProxy } from './proxy/dashboard.js';
import { SettingsStore } from './settings.js';
import { RunnerHosts } from './runner/hosts.js';
import { SpareRunners, SPARE_WAIT_MS } from './runner/spares.js';
import { runJson } from './util/exec.js';

/** A running companion. */
export interface ICompanion {
  server: Server;
  manager: ClusterManager;
  /** Stop every cluster (bounded), then stop serving. */
  close(): Promise<void>;
}

function readFileOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Remove a socket file left by a previous run; refuse to remove anything else. */
function removeStaleSocket(socket: string): void {
  let info;
  try {
    info = lstatSync(socket);
  } catch {
    return;
  }
  if (!info.isSocket()) {
    throw new Error(`${socket} exists and is not a socket; refusing to replace it`);
  }
  unlinkSync(socket);
}

function refuseUpgrade(socket: Duplex, status = '404 Not Found', message = ''): void {
  socket.end(
    `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`
  );
}

/** Build the companion and listen on `config.socket`. */
// eslint-disable-next-line max-lines-per-function -- wires the companion in order (stores, backends, routes, server, close); each step is one call into its own module
export async function startCompanion(config: ICompanionConfig): Promise<ICompanion> {
  const serverPython = path.isAbsolute(config.serverPython)
    ? config.serverPython
    : (which(config.serverPython) ?? config.serverPython);
  // The site's own types: read while the rest starts (a Python process reads the dask config).
  const siteTypes = loadSiteDefinitions(runJson, serverPython, config.runnerPath, BUILT_IN_TYPES);
  const registry = Registry.open(config.stateDir, {
    owner: currentOwner(procInspector, config.socket),
    inspector: procInspector
  });
  const discovery = new EnvironmentDiscovery({ serverPython, runnerPath: config.runnerPath, run: runJson });
  const settings = new SettingsStore();
  const backends = createBackends({
    environments: including => discovery.list(including),
    run: runJson,
    gatewaySettings: () => settings.current.gateway,
    workerEnvironment: () => settings.current.workerEnvironment,
    limits: () => settings.limits(),
    serverPython,
    host: () =>
      detectHostResources({
        env: process.env,
        readFile: readFileOrUndefined,
        cpus: os.availableParallelism(),
        totalmem: os.totalmem()
      }),
    memoryReserve: config.memoryReserve,
    scratchBase: () => scratchBase(process.env, os.tmpdir()).dir,
    uid: process.getuid?.() ?? 0,
    exists: existsSync,
    user: os.userInfo().username,
    hostname: os.hostname(),
    runnerPath: config.runnerPath,
    home: os.homedir(),
    env: process.env,
    localSecurityBase: config.localTls ? path.join(config.stateDir, 'security') : undefined,
    // Clusters of your other JupyterLab servers on this host hold memory here too.
    clusters: () =>
      registry.models().filter(model => model.elsewhere === undefined || model.elsewhere.host === os.hostname()),
    siteTypes: await siteTypes,
    siteSecurityBase: path.join(config.stateDir, 'security')
  });
  const spares = new SpareRunners({
    runnerPath: config.runnerPath,
    logFile: path.join(config.stateDir, 'logs', 'spares.log'),
    idleMs: SPARE_WAIT_MS,
    maximum: () => settings.limits().spareRunners
  });
  const hosts = new RunnerHosts({ runnerPath: config.runnerPath, stateDir: config.stateDir, spares });
  const manager = new ClusterManager({
    registry,
    backends,
    runnerPath: config.runnerPath,
    stateDir: config.stateDir,
    baseUrl: `${config.baseUrl}dask-clusters/`,
    limits: () => settings.limits(),
    spares,
    hosts
  });
  manager.reconcile(procInspector);
  const housekeeping = new Housekeeping({ registry, manager, keepEnded: () => settings.keepEnded() });
  registry.watch();
  // After reconciliation: backends see which clusters ended and clean up after them.
  const detach = [...backends.values()].flatMap(backend => (backend.attach ? [backend.attach(registry)] : []));

  const kernelDashboards = new KernelDashboards();
  const proxy = new DashboardProxy(id => {
    const record = registry.get(id);
    return record?.model.state === 'running' ? record.dashboardUrl : kernelDashboards.get(id);
  });
  const externals = new Map(
    [...backends.values()].flatMap(backend =>
      backend.watchExternal ? [[backend.id, backend.watchExternal({ registry, manager })] as const] : []
    )
  );
  const events = new EventStream(registry, externals);
  const context: IApiContext = { registry, manager, backends, discovery, proxy, spares };
  const router = new Router();
  // jupyter-server-proxy polls this until the companion answers.
  router.add('GET', '/', () => ({ status: 200, body: { name: 'jupyterlab-dask-clusters companion', ok: true } }));
  typeRoutes(router, context);
  environmentRoutes(router, context);
  clusterRoutes(router, context, housekeeping);
  settingsRoutes(router, settings, () => {
    externals.forEach(feed => void feed.refresh());
    housekeeping.schedule();
  });
  kernelDashboardRoutes(router, kernelDashboards);
  router.add('GET', '/api/external', () => ({
    status: 200,
    body: [...externals.values()].flatMap(feed => feed.list())
  }));
  // Relative URLs in dashboard pages need the trailing slash.
  router.add('GET', '/dashboard/:id', ({ params, res }) => {
    res.writeHead(301, { Location: `${encodeURIComponent(params.id)}/` });
    res.end();
    return undefined;
  });
  router.add('*', '/dashboard/:id/*', ({ req, res }) => {
    proxy.web(req, res);
    return undefined;
  });

  const server = createServer((req, res) => void router.handle(req, res));
  // Keep idle connections open longer than clients keep theirs (Node's agent: 5 s), so that
  // the client always closes first: a server closing at the moment a client reuses the
  // connection makes that request fail with EPIPE.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const refusal = crossSiteUpgradeRefusal(req.headers);
    if (refusal !== undefined) {
      refuseUpgrade(socket, '403 Forbidden', refusal);
      return;
    }
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://companion').pathname;
    } catch {
      refuseUpgrade(socket, '400 Bad Request');
      return;
    }
    if (pathname === '/api/events') {
      events.handleUpgrade(req, socket, head);
    } else if (!proxy.ws(req, socket, head)) {
      refuseUpgrade(socket);
    }
  });

  removeStaleSocket(config.socket);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Owner-only from the first moment: listen() binds the socket file
    // synchronously, under this umask.
    const umask = process.umask(0o077);
    try {
      server.listen(config.socket, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      process.umask(umask);
    }
  });
  chmodSync(config.socket, 0o600);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      server.close();
      registry.unwatch();
      // The ends of a shutdown stay listed for the next start to show.
      housekeeping.stop();
      // Hosts end with their last cluster; what is left of them goes after the clusters.
      await Promise.all([manager.shutdown().then(() => hosts.dispose()), spares.dispose()]);
      // Let the backends see the final states (e.g. cancel batch jobs) before detaching.
      await new Promise(resolve => setTimeout(resolve, 0));
      await Promise.all(detach.map(stop => stop()));
      externals.forEach(feed => feed.stop());
      events.close();
      proxy.close();
      server.closeAllConnections();
      try {
        unlinkSync(config.socket);
      } catch {
        // already gone
      }
    })();
    return closing;
  };
  return { server, manager, close };
}
