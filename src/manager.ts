import type { IDisposable } from '@lumino/disposable';
import { DisposableDelegate } from '@lumino/disposable';
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';
import type { IClusterModel, ICreateRequest, IExternalCluster, IPlot, IScaling, IServerEvent } from '../protocol';
import { ClusterClient } from './api/client';
import { ClusterEventStream } from './api/events';
import { ExternalClusters } from './external';
import { isEnded } from './lifecycle';
import { ClusterStore } from './model';
import type { ConnectionStatus, IClusterSource, IDaskClusterManager } from './tokens';

/**
 * The cluster manager: REST client, live store and the caches of per-cluster data.
 */
export class ClusterManager implements IDaskClusterManager {
  /**
   * Create a manager; it connects to the event stream at once unless told not to.
   */
  constructor(options: ClusterManager.IOptions = {}) {
    this.client = options.client ?? new ClusterClient();
    this._stream =
      options.stream ??
      new ClusterEventStream({
        url: this.client.eventsUrl(),
        WebSocket: this.client.serverSettings.WebSocket
      });
    this._store.changed.connect(this._onStoreChanged, this);
    this._external.changed.connect(() => this._changed.emit());
    this._stream.received.connect((_, event) => {
      const ends = this._unaskedEnds(event);
      this._store.apply(event);
      this._external.apply(event);
      ends.forEach(cluster => this._ended.emit(cluster));
    });
    this._stream.statusChanged.connect(() => this._changed.emit());
    if (options.connect !== false) {
      this._stream.connect();
    }
  }

  /**
   * The REST client of the companion.
   */
  readonly client: ClusterClient;

  /**
   * Emitted whenever the list of clusters or the connection status changes.
   */
  get changed(): ISignal<IDaskClusterManager, void> {
    return this._changed;
  }

  /**
   * The known clusters, newest first.
   */
  get clusters(): ReadonlyArray<IClusterModel> {
    if (this._sources.length === 0) {
      return this._store.clusters;
    }
    // Clusters made in the notebooks first (their source puts the focused
    // notebook's first); a notebook's Client of a cluster listed here already
    // (the inserted code's) is that cluster, not another one.
    if (this._merged === null) {
      const ours = new Set(this._store.clusters.map(c => c.schedulerAddress).filter(Boolean));
      const fromSources = this._sources.flatMap(source => source.clusters);
      const isOurs = (c: IClusterModel) => c.schedulerAddress !== undefined && ours.has(c.schedulerAddress);
      // The focused notebook's Client of one of ours makes it that notebook's
      // cluster: marked, and what the palette's commands act on.
      const usedByFocused = new Map(
        fromSources.filter(c => isOurs(c) && c.origin?.active).map(c => [c.schedulerAddress, c.origin])
      );
      this._merged = [
        ...fromSources.filter(c => !isOurs(c)),
        ...this._store.clusters.map(c => {
          const origin = c.schedulerAddress === undefined ? undefined : usedByFocused.get(c.schedulerAddress);
          return origin === undefined ? c : { ...c, origin };
        })
      ];
    }
    return this._merged;
  }

  /**
   * Emitted once when a live cluster ends without a Stop from this page.
   */
  get ended(): ISignal<IDaskClusterManager, IClusterModel> {
    return this._ended;
  }

  /**
   * Clusters outside the companion that can be adopted.
   */
  get external(): ReadonlyArray<IExternalCluster> {
    // A gateway cluster a notebook holds is listed as that notebook's
    // (scheduler address gateway://proxy/<name>), not a second time here.
    const held = new Set(
      this._sources
        .flatMap(source => source.clusters)
        .map(c => c.schedulerAddress ?? '')
        .filter(address => address.startsWith('gateway://'))
        .map(address => address.slice(address.lastIndexOf('/') + 1))
    );
    return held.size === 0
      ? this._external.clusters
      : this._external.clusters.filter(c => !(c.type === 'gateway' && held.has(c.name)));
  }

  /**
   * Whether the list is complete (a snapshot arrived).
   */
  get hasSnapshot(): boolean {
    return this._store.hasSnapshot && this._sources.every(s => s.ready);
  }

  /**
   * The state of the event stream.
   */
  get status(): ConnectionStatus {
    return this._stream.status;
  }

  /**
   * Whether the manager was disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Find a cluster by id.
   */
  get(id: string): IClusterModel | undefined {
    return this._store.get(id) ?? this._sourceOf(id)?.clusters.find(cluster => cluster.id === id);
  }

  /**
   * Start a cluster; the answer enters the list at once as starting.
   */
  async create(request: ICreateRequest): Promise<IClusterModel> {
    const cluster = await this.client.create(request);
    this._store.upsert(cluster);
    return cluster;
  }

  /**
   * Adopt a cluster that runs outside the companion; it leaves the external list at once.
   */
  async adopt(external: IExternalCluster): Promise<IClusterModel> {
    const cluster = await this.create({
      type: external.type,
      options: {},
      adopt: external.name
    });
    this._external.remove(external.type, external.name);
    return cluster;
  }

  /**
   * Move here a cluster that keeps running from another JupyterLab server of this host.
   */
  async adoptElsewhere(id: string): Promise<IClusterModel> {
    const cluster = await this.client.adoptElsewhere(id);
    this._store.upsert(cluster);
    return cluster;
  }

  /**
   * Change the workers of a cluster; the list follows the event stream, not the answer.
   */
  async scale(id: string, scaling: IScaling): Promise<IClusterModel> {
    const source = this._sourceOf(id);
    if (source) {
      await source.scale(id, scaling);
      const cluster = this.get(id);
      if (!cluster) {
        throw new Error(`Cluster ${id} is gone.`);
      }
      return cluster;
    }
    // The answer is the model right after the command, the stream carries the
    // new scaling and every worker that comes or goes since: applying it could
    // put back a count the stream had already moved past.
    return this.client.scale(id, scaling);
  }

  /**
   * Stop a live cluster, or remove an ended one.
   */
  async stop(id: string): Promise<void> {
    const source = this._sourceOf(id);
    if (source) {
      return source.stop(id);
    }
    this._stopAsked.add(id);
    // A cluster of a JupyterLab on another host is stopped from here only on its user's explicit choice (the stop command asks).
    const force = this._store.get(id)?.elsewhere?.sameHost === false;
    let cluster: IClusterModel | null;
    try {
      cluster = await this.client.stop(id, force);
    } catch (error) {
      this._stopAsked.delete(id);
      throw error;
    }
    if (cluster) {
      this._store.upsert(cluster);
    } else {
      this._store.remove(id);
    }
  }

  /**
   * Forget every ended cluster of the companion; the list drops them at once.
   */
  async clearEnded(): Promise<string[]> {
    const forgotten = await this.client.clearEnded();
    forgotten.forEach(id => this._store.remove(id));
    return forgotten;
  }

  /**
   * The dashboard plots of a running cluster, fetched once per run.
   */
  plots(id: string): Promise<IPlot[]> {
    let plots = this._plots.get(id);
    if (!plots) {
      plots = (this._sourceOf(id) ?? this.client).plots(id).then(list => {
        // The dashboard may still be coming up: an empty list is asked again later.
        if (list.length === 0) {
          this._plots.delete(id);
        }
        return list;
      });
      this._plots.set(id, plots);
      // A failure is not cached either.
      plots.catch(() => this._plots.delete(id));
    }
    return plots;
  }

  /**
   * The client code of a running cluster, fetched once per run.
   */
  snippet(id: string): Promise<string> {
    let snippet = this._snippets.get(id);
    if (!snippet) {
      const source = this._sourceOf(id);
      snippet = (source ? source.snippet(id) : this.client.snippet(id).then(a => a.code)).then(code => {
        this._snippetText.set(id, code);
        return code;
      });
      this._snippets.set(id, snippet);
      snippet.catch(() => this._snippets.delete(id));
    }
    return snippet;
  }

  /**
   * The client code if it was fetched already.
   */
  cachedSnippet(id: string): string | undefined {
    return this._snippetText.get(id);
  }

  /**
   * The proxied address of a dashboard page.
   */
  dashboardUrl(id: string, path: string): string {
    return this.client.dashboardUrl(id, path);
  }

  /**
   * List the clusters of another source with the companion's; the verbs on their ids go to it.
   */
  addSource(source: IClusterSource): IDisposable {
    this._sources.push(source);
    source.changed.connect(this._onStoreChanged, this);
    this._onStoreChanged();
    return new DisposableDelegate(() => {
      source.changed.disconnect(this._onStoreChanged, this);
      this._sources = this._sources.filter(s => s !== source);
      this._onStoreChanged();
    });
  }

  /**
   * Close the event stream and drop every listener.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._stream.dispose();
    Signal.clearData(this);
  }

  /**
   * The clusters an event ends that the list showed live and this page did
   * not stop. Nothing before the first snapshot: ends from before the page
   * loaded are old news.
   */
  private _unaskedEnds(event: IServerEvent): IClusterModel[] {
    if (!this._store.hasSnapshot) {
      return [];
    }
    const next = event.kind === 'snapshot' ? event.clusters : event.kind === 'cluster' ? [event.cluster] : [];
    return next.filter(cluster => {
      const before = this._store.get(cluster.id);
      if (!before || isEnded(before.state) || !isEnded(cluster.state)) {
        return false;
      }
      // Asked for here: the user knows. Either way it has ended once.
      return !this._stopAsked.delete(cluster.id);
    });
  }

  private _sourceOf(id: string): IClusterSource | undefined {
    return this._sources.find(source => source.has(id));
  }

  private _onStoreChanged(): void {
    this._merged = null;
    // Plots and snippets belong to one run: forget them once it is over.
    for (const id of [...this._plots.keys(), ...this._snippets.keys()]) {
      if (this.get(id)?.state !== 'running') {
        this._plots.delete(id);
        this._snippets.delete(id);
        this._snippetText.delete(id);
      }
    }
    this._changed.emit();
  }

  private _store = new ClusterStore();
  private _sources: IClusterSource[] = [];
  private _merged: IClusterModel[] | null = null;
  private _external = new ExternalClusters();
  private _stream: ClusterEventStream;
  private _plots = new Map<string, Promise<IPlot[]>>();
  private _snippets = new Map<string, Promise<string>>();
  private _snippetText = new Map<string, string>();
  private _isDisposed = false;
  private _changed = new Signal<IDaskClusterManager, void>(this);
  private _ended = new Signal<IDaskClusterManager, IClusterModel>(this);
  private _stopAsked = new Set<string>();
}

/**
 * The namespace of `ClusterManager` statics.
 */
export namespace ClusterManager {
  /**
   * Options of a manager.
   */
  export interface IOptions {
    /**
     * The REST client; one with the page's server settings when absent.
     */
    client?: ClusterClient;

    /**
     * The event stream; one at the client's events address when absent.
     */
    stream?: ClusterEventStream;

    /**
     * Whether to connect the stream in the constructor (default true).
     */
    connect?: boolean;
  }
}
