import type { TranslationBundle } from '@jupyterlab/translation';
import type { IClusterModel, IClusterOrigin, IScaling } from '../../protocol';

/**
 * The comm target the kernel module registers.
 */
export const COMM_TARGET = 'jupyterlab-dask-clusters';

/**
 * One live cluster as the kernel reports it (see `KERNEL_MODULE`).
 */
export interface IKernelCluster {
  /** The scheduler address: the cluster's key in its kernel. */
  key: string;
  /** A distributed cluster object, a gateway cluster, or a client connected by address. */
  kind: 'cluster' | 'gateway' | 'client';
  /** Its Python class, e.g. `LocalCluster`. */
  cls: string;
  /** The user's variable that holds it, when there is one. */
  variable: string | null;
  state: 'starting' | 'running';
  address: string;
  /** The dashboard link, absolute, when the scheduler serves a dashboard. */
  dashboard: string | null;
  workers: number;
  cores: number;
  memory: number;
  /** Workers asked for (SpecCluster's worker spec), when known. */
  requested: number | null;
  /** Adaptive bounds while adaptive scaling runs. */
  adaptive: [number, number | null] | null;
  tls: boolean;
  /** Credential files of a TLS cluster, when it has files (not in-memory certificates). */
  credentials: {
    tls_ca_file: string;
    tls_client_cert: string;
    tls_client_key: string;
  } | null;
  gateway?: { address: string | null; proxy: string | null; name: string | null };
}

/**
 * A message of the kernel module.
 */
export interface IKernelReport {
  kind: 'report';
  clusters: IKernelCluster[];
}

/**
 * The report in a comm message, or null when it is not one.
 */
export function parseReport(data: unknown): IKernelCluster[] | null {
  if (
    typeof data !== 'object' ||
    data === null ||
    (data as Partial<IKernelReport>).kind !== 'report' ||
    !Array.isArray((data as Partial<IKernelReport>).clusters)
  ) {
    return null;
  }
  return (data as IKernelReport).clusters.filter(c => typeof c === 'object' && c !== null && typeof c.key === 'string');
}

/**
 * A stable id for a kernel's cluster, the same after a page reload: `k-` and 13 base-36 digits.
 */
export function kernelClusterId(kernelId: string, key: string): string {
  const text = `${kernelId}\n${key}`;
  // Two 32-bit FNV-1a hashes with different offsets: 64 bits, no crypto needed.
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x01000193) >>> 0;
  }
  return `k-${a.toString(36).padStart(7, '0')}${b.toString(36).padStart(7, '0')}`;
}

/**
 * The last part of a document path, for a short label.
 */
export function baseName(path: string): string {
  return path.split('/').pop() || path;
}

/**
 * A kernel's cluster as the sidebar shows any cluster.
 */
export function toClusterModel(
  cluster: IKernelCluster,
  options: {
    id: string;
    origin: IClusterOrigin;
    createdAt: string;
    hasDashboard: boolean;
    kernelName: string;
    trans: TranslationBundle;
  }
): IClusterModel {
  const where = baseName(options.origin.path);
  const scaling: IScaling = cluster.adaptive
    ? {
        mode: 'adaptive',
        minimum: cluster.adaptive[0],
        maximum: cluster.adaptive[1] ?? cluster.workers
      }
    : { mode: 'fixed', workers: cluster.requested ?? cluster.workers };
  return {
    id: options.id,
    name: cluster.variable ?? cluster.cls,
    type: cluster.cls,
    state: cluster.state,
    createdAt: options.createdAt,
    spec: { type: 'kernel', options: {} },
    scaling,
    workers: cluster.workers,
    cores: cluster.cores,
    memory: cluster.memory,
    environment: {
      python: `${options.kernelName} — ${options.origin.path}`,
      label: !options.origin.active
        ? where
        : options.origin.kind === 'console'
          ? options.trans.__('%1 (this console)', where)
          : options.trans.__('%1 (this notebook)', where)
    },
    schedulerAddress: cluster.address,
    hasDashboard: options.hasDashboard,
    jobs: [],
    origin: options.origin
  };
}

/**
 * Code that connects another kernel to the cluster with the credentials it really uses.
 *
 * Throws, with a message that says why, when no other kernel can connect:
 * an in-process cluster, or TLS credentials that exist only in the memory
 * of the kernel that made them.
 */
export function kernelSnippet(cluster: IKernelCluster, where: string, trans: TranslationBundle): string {
  const q = (value: string) => JSON.stringify(value);
  if (cluster.kind === 'gateway' && cluster.gateway?.address && cluster.gateway.name) {
    const proxy = cluster.gateway.proxy ? `, proxy_address=${q(cluster.gateway.proxy)}` : '';
    return [
      'from dask_gateway import Gateway',
      '',
      `gateway = Gateway(${q(cluster.gateway.address)}${proxy})`,
      `cluster = gateway.connect(${q(cluster.gateway.name)})`,
      'client = cluster.get_client()',
      'client'
    ].join('\n');
  }
  if (cluster.address.startsWith('inproc://')) {
    throw new Error(
      trans.__(
        '%1 runs inside the kernel of %2 (processes=False): only code in %2 can use it.',
        cluster.variable ?? cluster.cls,
        where
      )
    );
  }
  if (cluster.tls) {
    const files = cluster.credentials;
    if (!files) {
      throw new Error(
        trans.__(
          'The TLS credentials of %1 exist only in the memory of the kernel of %2 (e.g. made by security=True), so no other kernel can connect. Use it from %2, or create it with credential files: Security(tls_ca_file=..., tls_client_cert=..., tls_client_key=...).',
          cluster.variable ?? cluster.cls,
          where
        )
      );
    }
    return [
      'from dask.distributed import Client',
      'from distributed.security import Security',
      '',
      'security = Security(',
      `    tls_ca_file=${q(files.tls_ca_file)},`,
      `    tls_client_cert=${q(files.tls_client_cert)},`,
      `    tls_client_key=${q(files.tls_client_key)},`,
      '    require_encryption=True,',
      ')',
      `client = Client(${q(cluster.address)}, security=security)`,
      'client'
    ].join('\n');
  }
  return ['from dask.distributed import Client', '', `client = Client(${q(cluster.address)})`, 'client'].join('\n');
}
