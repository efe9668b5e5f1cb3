import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';
import type { IClusterModel, IServerEvent } from '../protocol';
import { stateRank } from './lifecycle';

/**
 * The list of clusters as the companion reports it, kept by id.
 *
 * The event stream is the authority; answers to REST calls only fill in
 * a cluster the stream has not delivered yet, or move one on in its
 * lifecycle, so the sidebar reacts at once without ever showing an older
 * state over a newer one.
 */
export class ClusterStore {
  /**
   * Emitted after every change of the list.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Whether a snapshot has been applied, i.e. the list is complete.
   */
  get hasSnapshot(): boolean {
    return this._hasSnapshot;
  }

  /**
   * The clusters, newest first.
   */
  get clusters(): ReadonlyArray<IClusterModel> {
    if (!this._sorted) {
      this._sorted = [...this._byId.values()].sort(Private.newestFirst);
    }
    return this._sorted;
  }

  /**
   * Find a cluster by id.
   */
  get(id: string): IClusterModel | undefined {
    return this._byId.get(id);
  }

  /**
   * Apply a message of the event stream.
   */
  apply(event: IServerEvent): void {
    switch (event.kind) {
      case 'snapshot':
        this._byId = new Map(event.clusters.map(c => [c.id, c]));
        for (const id of this._byId.keys()) {
          this._removed.delete(id);
        }
        this._hasSnapshot = true;
        break;
      case 'cluster':
        this._byId.set(event.cluster.id, event.cluster);
        this._removed.delete(event.cluster.id);
        break;
      case 'removed':
        // Remember it, so a late REST answer cannot bring it back.
        this._removed.add(event.id);
        if (!this._byId.delete(event.id)) {
          return;
        }
        break;
      default:
        // Clusters outside the companion are kept by `ExternalClusters`.
        return;
    }
    this._emit();
  }

  /**
   * Take a cluster from a REST answer when the store lacks it or the answer moves it on in its lifecycle.
   */
  upsert(cluster: IClusterModel): void {
    if (this._removed.has(cluster.id)) {
      return;
    }
    // An answer in the same state carries no ordering against the stream: a
    // scale answer taken right after the command would overwrite the workers
    // the stream pushed since, and nothing newer may follow to correct it.
    // Only a later state proves the answer newer (a stop answer's `stopping`).
    const known = this._byId.get(cluster.id);
    if (known && stateRank(cluster.state) <= stateRank(known.state)) {
      return;
    }
    this._byId.set(cluster.id, cluster);
    this._emit();
  }

  /**
   * Forget a cluster after the companion removed it.
   */
  remove(id: string): void {
    this._removed.add(id);
    if (this._byId.delete(id)) {
      this._emit();
    }
  }

  private _emit(): void {
    this._sorted = null;
    this._changed.emit();
  }

  private _byId = new Map<string, IClusterModel>();
  private _removed = new Set<string>();
  private _sorted: IClusterModel[] | null = null;
  private _hasSnapshot = false;
  private _changed = new Signal<this, void>(this);
}

namespace Private {
  /**
   * Order by creation time, newest first; ties by id so the order is stable.
   */
  export function newestFirst(a: IClusterModel, b: IClusterModel): number {
    const byTime = Date.parse(b.createdAt) - Date.parse(a.createdAt);
    if (byTime && !Number.isNaN(byTime)) {
      return byTime;
    }
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  }
}
