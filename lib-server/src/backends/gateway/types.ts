/**
 * The gateway backend's interface, apart from its implementation (index.ts) so that the
 * watcher (watch.ts), which index.ts starts, can name it without importing index.ts.
 */

import type { IClusterModel } from '../../../../protocol/index.js';
import type { IBackend } from '../backend.js';
import type { GatewayClient } from './client.js';

/** The gateway backend, with what its watcher needs. */
export interface IGatewayBackend extends IBackend {
  /**
   * A client of the configured gateway, or why there is none (`undefined`: not configured).
   * `fresh` reads the user's dask config again instead of reusing the last read.
   */
  client(fresh?: boolean): Promise<GatewayClient | { unavailable: string } | undefined>;
  /** The gateway name of a cluster this companion manages, when known. */
  gatewayName(model: IClusterModel): string | undefined;
}
