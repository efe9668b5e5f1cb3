import type { ISessionContext } from '@jupyterlab/apputils';
import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import type { IDisposable } from '@lumino/disposable';
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';
import type { IClusterModel, IPlot, IScaling } from '../../protocol';
import type { ClusterClient } from '../api/client';
import type { IClusterSource } from '../tokens';
import { TRANSLATION_DOMAIN } from '../tokens';
import { KernelClusterConnection } from './connection';
import type { IKernelCluster } from './report';
import { baseName, kernelClusterId, kernelSnippet, toClusterModel } from './report';

/**
 * How long restored dashboard tabs wait for busy kernels to report, in ms.
 */
const READY_TIMEOUT = 10_000;

/**
 * A notebook or console panel, as far as the kernel clusters need it.
 */
export interface IKernelPanel {
  readonly sessionContext: ISessionContext;
  readonly disposed: ISignal<IKernelPanel, void>;
}

/**
 * The notebooks or consoles of the application.
 */
export interface IKernelPanelTracker<T extends IKernelPanel = IKernelPanel> {
  readonly widgetAdded: ISignal<unknown, T>;
  readonly currentWidget: T | null;
  readonly currentChanged: ISignal<unknown, T | null>;
  forEach(fn: (panel: T) => void): void;
}

/**
 * The clusters made in the code of every open notebook and console, as a cluster source.
 */
export class KernelClusters implements IClusterSource, IDisposable {
  /**
   * Follow the notebooks and consoles of the trackers.
   */
  constructor(options: KernelClusters.IOptions) {
    this._client = options.client;
    this._trans = options.translator.load(TRANSLATION_DOMAIN);
    for (const { tracker, kind } of options.trackers) {
      tracker.forEach(panel => this._follow(panel, kind));
      tracker.widgetAdded.connect((_, panel) => this._follow(panel, kind));
      this._active ??= tracker.currentWidget;
      // The notebook or console focused last: its clusters come first, marked.
      tracker.currentChanged.connect((_, panel) => {
        if (panel && panel !== this._active) {
          this._active = panel;
          this._rebuild();
        }
      });
    }
    void options.restored.then(() => {
      this._restored = true;
      this._changed.emit();
    });
    this._timer = setTimeout(() => {
      this._timedOut = true;
      this._changed.emit();
    }, READY_TIMEOUT);
  }

  /**
   * Emitted whenever the clusters change.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Every kernel's clusters, as the sidebar shows them.
   */
  get clusters(): ReadonlyArray<IClusterModel> {
    return this._models;
  }

  /**
   * Whether the kernels open at start-up have reported (or been waited for long enough).
   */
  get ready(): boolean {
    return this._timedOut || (this._restored && [...this._panels.values()].every(p => p.connection.settled));
  }

  /**
   * Whether this was disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Whether an id is a kernel cluster's.
   */
  has(id: string): boolean {
    return this._entries.has(id) || this._addresses.has(id);
  }

  /**
   * List the dashboard at an address the user entered, proxied by the companion; its id.
   */
  async addDashboard(address: string): Promise<string> {
    const url = dashboardAddress(address, this._trans);
    const id = kernelClusterId('entered', url);
    if (!this._addresses.has(id)) {
      await this._client.registerKernelDashboard(id, url);
      this._registered.set(id, url);
      this._addresses.set(id, { url, createdAt: new Date().toISOString() });
      this._rebuild();
    }
    return id;
  }

  /**
   * Scale or adapt the kernel's own object.
   */
  async scale(id: string, scaling: IScaling): Promise<void> {
    this._refuseAddress(
      id,
      this._trans.__('Only the dashboard of this address is known: there is no cluster object to scale.')
    );
    const entry = this._entry(id);
    await entry.connection.act(
      entry.cluster.key,
      scaling.mode === 'fixed'
        ? { verb: 'scale', workers: scaling.workers }
        : { verb: 'adapt', minimum: scaling.minimum, maximum: scaling.maximum }
    );
  }

  /**
   * Close the kernel's object; the kernel's next report removes it.
   */
  async stop(id: string): Promise<void> {
    if (this._addresses.delete(id)) {
      // An entered address: Stop only takes it off the list.
      this._rebuild();
      return;
    }
    const entry = this._entry(id);
    await entry.connection.act(entry.cluster.key, { verb: 'stop' });
  }

  /**
   * Code for another kernel, with the credentials the cluster uses, or the reason there is none.
   */
  async snippet(id: string): Promise<string> {
    this._refuseAddress(
      id,
      this._trans.__("Only this dashboard's address is known: connect with the scheduler's address.")
    );
    const entry = this._entry(id);
    return kernelSnippet(entry.cluster, entry.where, this._trans);
  }

  /**
   * The plots of the cluster's dashboard, through the companion.
   */
  async plots(id: string): Promise<IPlot[]> {
    return this._registered.has(id) ? this._client.kernelDashboardPlots(id) : [];
  }

  /**
   * Stop following the kernels.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    clearTimeout(this._timer);
    for (const { connection } of this._panels.values()) {
      connection.dispose();
    }
    this._panels.clear();
    this._rebuild();
    Signal.clearData(this);
  }

  private _follow(panel: IKernelPanel, kind: 'notebook' | 'console'): void {
    if (this._panels.has(panel) || this._isDisposed) {
      return;
    }
    const connection = new KernelClusterConnection({
      sessionContext: panel.sessionContext
    });
    this._panels.set(panel, { connection, kind });
    connection.changed.connect(this._rebuild, this);
    panel.disposed.connect(() => {
      connection.dispose();
      this._panels.delete(panel);
      this._rebuild();
    });
  }

  private _refuseAddress(id: string, message: string): void {
    if (this._addresses.has(id)) {
      throw new Error(message);
    }
  }

  private _entry(id: string): Private.IEntry {
    const entry = this._entries.get(id);
    if (!entry) {
      throw new Error(this._trans.__('This cluster is no longer in its kernel.'));
    }
    return entry;
  }

  private _rebuild(): void {
    const entries = new Map<string, Private.IEntry>();
    for (const [panel, { connection, kind }] of this._panels) {
      const kernelId = connection.kernelId;
      if (!kernelId) {
        continue;
      }
      const path = panel.sessionContext.path;
      for (const cluster of connection.clusters) {
        const id = kernelClusterId(kernelId, cluster.key);
        // A kernel shared by a notebook and a console reports twice: list it once.
        if (!entries.has(id)) {
          entries.set(id, {
            cluster,
            connection,
            origin: { kind, path, kernelId, active: panel === this._active },
            where: baseName(path)
          });
        }
      }
    }
    this._entries = entries;
    this._syncDashboards();
    this._models = [...entries].map(([id, entry]) => {
      if (!this._firstSeen.has(id)) {
        this._firstSeen.set(id, new Date().toISOString());
      }
      return toClusterModel(entry.cluster, {
        id,
        origin: entry.origin,
        createdAt: this._firstSeen.get(id) ?? '',
        hasDashboard: this._registered.get(id) === entry.cluster.dashboard,
        kernelName: entry.connection.kernelName,
        trans: this._trans
      });
    });
    this._models.sort((a, b) => Number(!!b.origin?.active) - Number(!!a.origin?.active));
    for (const [id, { url, createdAt }] of this._addresses) {
      this._models.push(addressModel(id, url, createdAt, this._trans));
    }
    for (const id of this._firstSeen.keys()) {
      if (!entries.has(id)) {
        this._firstSeen.delete(id);
      }
    }
    this._changed.emit();
  }

  /**
   * Register the dashboard of each new cluster with the companion, and forget those of clusters gone.
   */
  private _syncDashboards(): void {
    for (const [id, entry] of this._entries) {
      const url = entry.cluster.dashboard;
      if (!url || this._registered.get(id) === url || this._pending.get(id) === url) {
        continue;
      }
      this._pending.set(id, url);
      this._client.registerKernelDashboard(id, url).then(
        () => {
          if (this._pending.get(id) === url) {
            this._pending.delete(id);
            this._registered.set(id, url);
            this._rebuild();
          }
        },
        reason => {
          // Listed without plots; tried again only if the kernel reports another address.
          console.warn(`Dask clusters: the dashboard ${url} was not registered`, reason);
        }
      );
    }
    for (const id of new Set([...this._registered.keys(), ...this._pending.keys()])) {
      if (!this._entries.has(id) && !this._addresses.has(id)) {
        const registered = this._registered.has(id);
        this._registered.delete(id);
        this._pending.delete(id);
        if (registered) {
          this._client.forgetKernelDashboard(id).catch(() => undefined);
        }
      }
    }
  }

  private _client: ClusterClient;
  private _trans: TranslationBundle;
  private _panels = new Map<IKernelPanel, { connection: KernelClusterConnection; kind: 'notebook' | 'console' }>();
  private _entries = new Map<string, Private.IEntry>();
  private _addresses = new Map<string, { url: string; createdAt: string }>();
  private _models: IClusterModel[] = [];
  private _firstSeen = new Map<string, string>();
  private _registered = new Map<string, string>();
  private _pending = new Map<string, string>();
  private _active: IKernelPanel | null = null;
  private _restored = false;
  private _timedOut = false;
  private _timer: ReturnType<typeof setTimeout>;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

/**
 * The namespace of `KernelClusters` statics.
 */
export namespace KernelClusters {
  /**
   * Options of the kernel clusters.
   */
  export interface IOptions {
    client: ClusterClient;
    translator: ITranslator;
    /**
     * The notebook and console trackers that exist in this application.
     */
    trackers: ReadonlyArray<{
      tracker: IKernelPanelTracker;
      kind: 'notebook' | 'console';
    }>;
    /**
     * Resolves once the application restored its layout (its notebooks are then open).
     */
    restored: Promise<void>;
  }
}

/**
 * An absolute http(s) address without credentials, or an error that says what to enter.
 */
export function dashboardAddress(address: string, trans: TranslationBundle): string {
  let url: URL;
  try {
    url = new URL(address.trim());
  } catch {
    throw new Error(trans.__('"%1" is not an address like http://host:8787/status.', address));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(trans.__('A dashboard address starts with http:// or https://.'));
  }
  if (url.username || url.password) {
    throw new Error(trans.__('Enter the address without a user name or password.'));
  }
  url.hash = '';
  url.search = '';
  return url.href;
}

/**
 * A dashboard the user entered, listed like a cluster whose counts are unknown.
 */
function addressModel(id: string, url: string, createdAt: string, trans: TranslationBundle): IClusterModel {
  return {
    id,
    name: new URL(url).host,
    type: trans.__('dashboard'),
    state: 'running',
    createdAt,
    spec: { type: 'dashboard', options: {} },
    scaling: { mode: 'fixed', workers: 0 },
    workers: 0,
    cores: 0,
    memory: 0,
    environment: { python: url, label: trans.__('entered address') },
    hasDashboard: true,
    jobs: []
  };
}

namespace Private {
  /**
   * A listed cluster and the kernel it lives in.
   */
  export interface IEntry {
    cluster: IKernelCluster;
    connection: KernelClusterConnection;
    origin: IClusterModel['origin'] & object;
    where: string;
  }
}
