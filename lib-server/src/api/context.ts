/** What the API routes work with. */

import type { IBackend } from '../backends/backend.js';
import type { ClusterManager } from '../clusters/lifecycle.js';
import type { Registry } from '../clusters/registry.js';
import type { EnvironmentDiscovery } from '../envs/discovery.js';
import type { DashboardProxy } from '../proxy/dashboard.js';
import type { SpareRunners } from '../runner/spares.js';

/** Shared by every route module. */
export interface IApiContext {
  registry: Registry;
  manager: ClusterManager;
  backends: ReadonlyMap<string, IBackend>;
  discovery: EnvironmentDiscovery;
  proxy: DashboardProxy;
  spares: SpareRunners;
}
