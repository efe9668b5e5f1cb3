/**
 * The companion's entry point: `node main.mjs --socket <path> [--base-url /]`.
 * Started by jupyter-server-proxy; stops every cluster and exits 0 on
 * SIGTERM, SIGINT, SIGHUP, or when its parent process goes away.
 */

import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCompanion, type ICompanion } from './app.js';
import { resolveConfig, UsageError, type ICompanionConfig } from './config.js';
import { UnsafeDirectoryError } from './util/files.js';

/** How often the parent process is checked. */
const PARENT_CHECK_MS = 1_000;

async function main(): Promise<void> {
  let config: ICompanionConfig;
  try {
    const bundleDir = path.dirname(fileURLToPath(import.meta.url));
    config = resolveConfig(process.argv.slice(2), process.env, os.homedir(), bundleDir);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }

  let companion: ICompanion;
  try {
    companion = await startCompanion(config);
  } catch (error) {
    if (error instanceof UnsafeDirectoryError) {
      refuseEveryRequest(config.socket, error.message);
      return;
    }
    throw error;
  }
  console.error(`jupyterlab-dask-clusters companion listening on ${config.socket} (state in ${config.stateDir})`);

  let exiting = false;
  const exit = (why: string, code = 0): void => {
    if (exiting) {
      return;
    }
    exiting = true;
    console.error(`companion stopping (${why}): closing every cluster`);
    void companion.close().finally(() => process.exit(code));
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => exit(signal));
  }
  // jupyter-server-proxy may not forward signals: when the Jupyter server
  // dies, this process is re-parented, and that is the cue to stop.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) {
      exit('parent process gone');
    }
  }, PARENT_CHECK_MS).unref();
  process.on('uncaughtException', error => {
    console.error('companion failed:', error);
    exit('uncaught exception', 1);
  });
  process.on('unhandledRejection', reason => {
    console.error('unhandled rejection in the companion:', reason);
  });
}

/**
 * Serve only the reason the companion did not start, so the sidebar can say
 * what to fix (an exit would only make jupyter-server-proxy try again).
 */
function refuseEveryRequest(socket: string, message: string): void {
  console.error(`jupyterlab-dask-clusters companion refuses to start: ${message}`);
  const body = JSON.stringify({ error: 'unsafe_state_directory', message });
  const server = createServer((req, res) => {
    // Readiness probe of jupyter-server-proxy: any answer will do.
    res.writeHead(req.url === '/' ? 200 : 503, {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store'
    });
    res.end(body);
  });
  const umask = process.umask(0o077);
  server.listen(socket, () => process.umask(umask));
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => process.exit(0));
  }
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && process.exit(0), PARENT_CHECK_MS).unref();
}

void main();
