/**
 * The `gateway` cluster type as data: clusters on a Dask Gateway, held by the
 * runner's gateway adapter (dask_gateway: connect by name, scale, adapt,
 * shut down). The gateway offers its own options at run time, so the form's
 * fields beyond the environment and scaling come from the form hook
 * (form.ts); creating the cluster over REST, adopting one and the list of
 * clusters made elsewhere are hooks too (hooks.ts).
 */

import type { ITypeDefinition } from '../definition.js';
import { needsPackage } from '../fields.js';

/** The gateway type, without its hooks (they need the companion's gateway session). */
export const GATEWAY_DEFINITION: Omit<ITypeDefinition, 'hooks'> = {
  id: 'gateway',
  title: 'Dask Gateway',
  description: 'A cluster on a Dask Gateway.',
  clusterClass: 'dask_gateway.GatewayCluster',
  adapter: 'gateway',
  options: {},
  required: [],
  ui: {},
  scaling: { workers: 1, adaptive: false, adaptive_minimum: 0, adaptive_maximum: 4 },
  scalingWords: {
    workers: 'Workers to start.',
    maximum: 'Most workers adaptive scaling may start; the gateway may set its own limit.'
  },
  environmentDescription:
    'Python environment (from your kernelspecs) that connects to the gateway cluster; it needs dask-gateway. ' +
    "Pick your notebook kernel's, so client and cluster versions match.",
  // The adapter's arguments; the connection and the cluster's name come from the hooks' values.
  kwargs: {
    address: '{gateway_address}',
    proxy_address: '{proxy_address}',
    public_address: '{public_address}',
    // Sent on the runner's stdin only; never stored or logged.
    auth: '{auth}',
    // Null until `submit` creates the cluster and the gateway names it.
    name: null,
    initial_scaling: '{scaling}'
  },
  // The gateway gives its clusters their own TLS credentials.
  tls: false,
  environmentCheck: needsPackage('dask-gateway', 'dask_gateway'),
  origin: 'the gateway type'
};
