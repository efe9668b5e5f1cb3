import type { IDisposable } from '@lumino/disposable';
import type { ISignal } from '@lumino/signaling';
import { Token } from '@lumino/coreutils';
import type { IClusterModel, ICreateRequest, IExternalCluster, IPlot, IScaling } from '../protocol';
import type { ClusterClient } from './api/client';
import type { IDashboardLayout, IDaskSettings, IPreset } from './types';

/**
 * The state of the live connection to the companion's event stream.
 */
export type ConnectionStatus = 'connecting' | 'open' | 'closed';

/**
 * The clusters of this user, live, and the verbs that act on them.
 */
export interface IDaskClusterManager extends IDisposable {
  /**
   * Emitted whenever the list of clusters or the connection status changes.
   */
  readonly changed: ISignal<IDaskClusterManager, void>;

  /**
   * The known clusters, newest first.
   */
  readonly clusters: ReadonlyArray<IClusterModel>;

  /**
   * Clusters that run outside the companion and can be adopted (e.g. made from notebook code).
   */
  readonly external: ReadonlyArray<IExternalCluster>;

  /**
   * Whether a snapshot from the event stream has arrived since start-up.
   */
  readonly hasSnapshot: boolean;

  /**
   * The state of the event stream.
   */
  readonly status: ConnectionStatus;

  /**
   * The REST client of the companion.
   */
  readonly client: ClusterClient;

  /**
   * Find a cluster by id.
   */
  get(id: string): IClusterModel | undefined;

  /**
   * Start a cluster; the answer enters the list at once.
   */
  create(request: ICreateRequest): Promise<IClusterModel>;

  /**
   * Take over a cluster that runs outside the companion; it then is a cluster like any other.
   */
  adopt(cluster: IExternalCluster): Promise<IClusterModel>;

  /**
   * Change the workers of a cluster.
   */
  scale(id: string, scaling: IScaling): Promise<IClusterModel>;

  /**
   * Stop a live cluster, or remove an ended one from the list.
   */
  stop(id: string): Promise<void>;

  /**
   * Move here a cluster that keeps running from another JupyterLab server of this host.
   */
  adoptElsewhere(id: string): Promise<IClusterModel>;

  /**
   * Forget every ended cluster of the companion (never a live one); resolves with their ids.
   */
  clearEnded(): Promise<string[]>;

  /**
   * Emitted once when a cluster the list showed live ends without a Stop from this page
   * (an idle timeout, its jobs ended, its runner crashed...), with its ended model.
   */
  readonly ended: ISignal<IDaskClusterManager, IClusterModel>;

  /**
   * The dashboard plots of a running cluster (cached while it runs).
   */
  plots(id: string): Promise<IPlot[]>;

  /**
   * The client code of a running cluster (cached while it runs).
   */
  snippet(id: string): Promise<string>;

  /**
   * The client code if it was fetched already, for synchronous callers.
   */
  cachedSnippet(id: string): string | undefined;

  /**
   * The address of a dashboard page of a cluster, through the companion's proxy.
   */
  dashboardUrl(id: string, path: string): string;

  /**
   * List the clusters of another source (e.g. those made in notebook code) with the others;
   * the verbs on their ids go to that source. Dispose the result to remove it.
   */
  addSource(source: IClusterSource): IDisposable;
}

/**
 * Clusters that do not come from the companion, listed and acted on like the others.
 */
export interface IClusterSource {
  /**
   * Emitted whenever its clusters change.
   */
  readonly changed: ISignal<IClusterSource, void>;

  /**
   * Its clusters now.
   */
  readonly clusters: ReadonlyArray<IClusterModel>;

  /**
   * Whether it has listed what existed at start-up (restored dashboard tabs wait for it).
   */
  readonly ready: boolean;

  /**
   * Whether a cluster id is one of its own.
   */
  has(id: string): boolean;

  /**
   * Change the workers of one of its clusters.
   */
  scale(id: string, scaling: IScaling): Promise<void>;

  /**
   * Stop one of its clusters.
   */
  stop(id: string): Promise<void>;

  /**
   * Code that connects another kernel to one of its clusters; rejects saying why when none can.
   */
  snippet(id: string): Promise<string>;

  /**
   * The dashboard plots of one of its clusters.
   */
  plots(id: string): Promise<IPlot[]>;
}

/**
 * The token of the cluster manager.
 */
export const IDaskClusterManager = new Token<IDaskClusterManager>(
  'jupyterlab-dask-clusters:IDaskClusterManager',
  'The Dask clusters of this user, live from the companion server.'
);

/**
 * The per-user settings of the extension, typed, with writers for what the UI remembers.
 */
export interface IDaskClusterSettings {
  /**
   * Emitted when the composite settings change.
   */
  readonly changed: ISignal<IDaskClusterSettings, void>;

  /**
   * The current values (user settings over admin overrides over defaults).
   */
  readonly current: IDaskSettings;

  /**
   * Remember the options last used to start a cluster of a type.
   */
  setLastOptions(type: string, options: Record<string, unknown>): Promise<void>;

  /**
   * Add a preset, replacing one of the same name and type.
   */
  savePreset(preset: IPreset): Promise<void>;

  /**
   * Remove a preset by name and type.
   */
  deletePreset(name: string, type: string): Promise<void>;

  /**
   * Save a dashboard layout, replacing one of the same name.
   */
  saveLayout(layout: IDashboardLayout): Promise<void>;
}

/**
 * The token of the extension's settings.
 */
export const IDaskClusterSettings = new Token<IDaskClusterSettings>(
  'jupyterlab-dask-clusters:IDaskClusterSettings',
  'The per-user settings of the Dask clusters extension.'
);

/**
 * The translation domain of the extension's strings.
 */
export const TRANSLATION_DOMAIN = 'jupyterlab_dask_clusters';

/**
 * The id of the sidebar in the left area (its tab's `data-id`, the layout restorer's key).
 */
export const SIDEBAR_ID = 'dask-clusters-sidebar';
