/**
 * The companion's view of the configured Dask Gateway: where it is and how to
 * authenticate (the user's dask config, the extension's settings, the
 * environment), a client of it, and the gateway name of each cluster created
 * or adopted here. Shared by the type's hooks and its watcher.
 */

import type { IClusterModel } from '../../../../protocol/index.js';
import type { ListEnvironments } from '../../envs/probe.js';
import { ApiError } from '../../http/errors.js';
import type { JsonCommand } from '../../util/exec.js';
import type { IEndingLimits } from '../ending.js';
import { GatewayClient } from './client.js';
import { loadGatewayConfig, resolveConnection, type IGatewayConnection, type IGatewaySettings } from './connection.js';

/** What the gateway type needs from its surroundings. */
export interface IGatewayBackendOptions {
  environments: ListEnvironments;
  serverPython: string;
  runnerPath: string;
  run: JsonCommand;
  env: Record<string, string | undefined>;
  user: string;
  /** The extension's gateway settings, as the browser last sent them. */
  gatewaySettings?: () => IGatewaySettings;
  /** Per-user worker environment variables (extension settings). */
  workerEnvironment?: () => Record<string, string>;
  /** Between refreshes of the list of gateway clusters (default 10 s). */
  gatewayRefreshMs?: number;
  /** The site's defaults and caps of lifetimes and idle timeouts (every type's; ending.ts). */
  limits?: () => IEndingLimits;
}

/** The reason shown when no gateway is configured. */
export const NOT_CONFIGURED =
  'No Dask Gateway is configured: set gateway.address in your dask config (or DASK_GATEWAY__ADDRESS), or the Gateway address in the Dask Clusters settings.';

/** `gateway://host:port/<name>` -> `<name>`. */
export function nameFromSchedulerAddress(address: string | undefined): string | undefined {
  const match = address === undefined ? null : /^gateway:\/\/[^/]+\/([^/]+)$/.exec(address);
  return match ? match[1] : undefined;
}

/** A client of the gateway, or why there is none (`undefined`: not configured). */
export type GatewayFound = GatewayClient | { unavailable: string } | undefined;

/** The configured gateway, as the hooks and the watcher use it. */
export interface IGatewaySession {
  /** A client; `fresh` reads the user's dask config again instead of reusing the last read. */
  client(fresh?: boolean): Promise<GatewayFound>;
  /** A client of the configured gateway; a conflict (409) when there is none. */
  usableClient(): Promise<GatewayClient>;
  /** The last connection that resolved, for snippets. */
  lastConnection(): IGatewayConnection | undefined;
  /** The gateway names of the clusters created or adopted here, by cluster id. */
  names: Map<string, string>;
  /** The gateway name of a cluster this companion manages, when known. */
  gatewayName(model: IClusterModel): string | undefined;
}

/** The session of `options`' gateway. */
export function gatewaySession(options: IGatewayBackendOptions): IGatewaySession {
  const names = new Map<string, string>();
  let last: IGatewayConnection | undefined;

  // The user's dask config takes a Python process to read: read it when the
  // dialog opens, and reuse that read for the watcher's refreshes and for
  // requests. A failed read is not kept.
  let configRead: Promise<unknown> | undefined;
  const readConfig = (fresh: boolean): Promise<unknown> => {
    if (fresh || configRead === undefined) {
      configRead = loadGatewayConfig(options.run, options.serverPython, options.runnerPath);
      configRead.catch(() => {
        configRead = undefined;
      });
    }
    return configRead;
  };

  const connection = async (fresh: boolean): Promise<IGatewayConnection | { unavailable: string } | undefined> => {
    const settings = options.gatewaySettings?.() ?? {};
    let config: unknown;
    try {
      config = await readConfig(fresh);
    } catch (error) {
      // Without dask in the server's Python, the environment still says where the gateway is.
      const address = options.env.DASK_GATEWAY__ADDRESS;
      config = address === undefined ? {} : { address, proxy_address: options.env.DASK_GATEWAY__PROXY_ADDRESS };
      if (address === undefined && settings.address === undefined) {
        return {
          unavailable: `Could not read your dask config: ${error instanceof Error ? error.message : String(error)}`
        };
      }
    }
    const resolved = resolveConnection(config, settings, options.env, options.user);
    if (resolved !== undefined && !('unavailable' in resolved)) {
      last = resolved;
    }
    return resolved;
  };

  const client = async (fresh = false): Promise<GatewayFound> => {
    const resolved = await connection(fresh);
    return resolved === undefined || 'unavailable' in resolved ? resolved : new GatewayClient(resolved);
  };

  return {
    client,
    async usableClient() {
      const found = await client();
      if (found === undefined || 'unavailable' in found) {
        throw new ApiError(409, 'gateway_unavailable', found === undefined ? NOT_CONFIGURED : found.unavailable);
      }
      return found;
    },
    lastConnection: () => last,
    names,
    gatewayName: model => names.get(model.id) ?? model.spec.adopt ?? nameFromSchedulerAddress(model.schedulerAddress)
  };
}
