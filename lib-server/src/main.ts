/**
 * The companion's entry point: `node main.mjs --socket <path> [--base-url /]`.
 * Started by jupyter-server-proxy; stops every cluster and exits 0 on
 * SIGTERM, SIGINT, SIGHUP, or when its parent process goes away.
 */

import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCompanion, type ICompanion } from './app.js';
import { resolveConfig, UsageError, type ICompanionConfig } from './config.js';

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

  const companion: ICompanion = await startCompanion(config);
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

void main();
