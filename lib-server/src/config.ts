/** Command line and environment of the companion, resolved once. Pure. */

import path from 'node:path';
import { parseArgs } from 'node:util';

/** Everything the companion is configured with. */
export interface ICompanionConfig {
  /** Unix socket to listen on (the only listener: never TCP). */
  socket: string;
  /**
   * Jupyter's base URL, e.g. `/` or `/user/alice/`. Nothing depends on it
   * yet: the companion's answers (redirects included) are relative to its
   * own root, which jupyter-server-proxy maps to `{baseUrl}dask-clusters/`.
   */
  baseUrl: string;
  /** Interpreter of the Jupyter server: lists kernelspecs; fallback environment. */
  serverPython: string;
  /** Registry and runner logs. */
  stateDir: string;
  runnerPath: string;
  /** Default memory kept for the system, e.g. "2GiB" or "10%". */
  memoryReserve?: string;
  /**
   * Whether local clusters use TLS (the default). A site turns it off with
   * JUPYTERLAB_DASK_CLUSTERS_LOCAL_TLS=off; then any user on the host can
   * connect to a local scheduler and run code as its owner.
   */
  localTls: boolean;
}

/** A command line the companion cannot run with. */
export class UsageError extends Error {}

/** Usage text for UsageError messages. */
export const USAGE = 'usage: node main.mjs --socket <path> [--base-url /]';

/**
 * Resolve the configuration from `argv` (without node and script), the
 * environment, the home directory, and the directory of the bundle.
 */
export function resolveConfig(
  argv: string[],
  env: Record<string, string | undefined>,
  home: string,
  bundleDir: string
): ICompanionConfig {
  let values: { socket?: string; 'base-url'?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { socket: { type: 'string' }, 'base-url': { type: 'string' } },
      strict: true,
      allowPositionals: false
    }));
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
  if (values.socket === undefined || values.socket === '') {
    throw new UsageError(`--socket is required\n${USAGE}`);
  }
  let baseUrl = values['base-url'] ?? '/';
  if (!baseUrl.startsWith('/')) {
    baseUrl = `/${baseUrl}`;
  }
  if (!baseUrl.endsWith('/')) {
    baseUrl = `${baseUrl}/`;
  }
  const stateHome =
    env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : path.join(home, '.local', 'state');
  return {
    socket: path.resolve(values.socket),
    baseUrl,
    serverPython: env.JUPYTERLAB_DASK_CLUSTERS_PYTHON || 'python3',
    stateDir: path.resolve(env.JUPYTERLAB_DASK_CLUSTERS_STATE_DIR || path.join(stateHome, 'jupyterlab-dask-clusters')),
    runnerPath: path.resolve(env.JUPYTERLAB_DASK_CLUSTERS_RUNNER || path.join(bundleDir, '..', 'runner.py')),
    ...(env.JUPYTERLAB_DASK_CLUSTERS_MEMORY_RESERVE
      ? { memoryReserve: env.JUPYTERLAB_DASK_CLUSTERS_MEMORY_RESERVE }
      : {}),
    localTls: !['off', '0', 'false', 'no'].includes((env.JUPYTERLAB_DASK_CLUSTERS_LOCAL_TLS ?? '').trim().toLowerCase())
  };
}
