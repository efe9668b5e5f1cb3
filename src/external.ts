import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';
import type { IExternalCluster, IServerEvent } from '../protocol';

/**
 * The clusters that run outside the companion (e.g. made from notebook code
 * on a Dask Gateway) and can be adopted, as the event stream reports them.
 *
 * Each `external` message replaces the list of its type, so a cluster stopped
 * elsewhere leaves the list with the next message.
 */
export class ExternalClusters {
  /**
   * Emitted after every change of the list.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Every adoptable cluster, by type then start time.
   */
  get clusters(): ReadonlyArray<IExternalCluster> {
    if (!this._sorted) {
      this._sorted = [...this._byType.keys()].sort().flatMap(type => this._byType.get(type) ?? []);
    }
    return this._sorted;
  }

  /**
   * Find an adoptable cluster by type and name.
   */
  find(type: string, name: string): IExternalCluster | undefined {
    return this._byType.get(type)?.find(cluster => cluster.name === name);
  }

  /**
   * Apply a message of the event stream; anything but `external` is ignored.
   */
  apply(event: IServerEvent): void {
    if (event.kind !== 'external') {
      return;
    }
    const previous = this._byType.get(event.type) ?? [];
    if (Private.sameList(previous, event.clusters)) {
      return;
    }
    if (event.clusters.length === 0) {
      this._byType.delete(event.type);
    } else {
      this._byType.set(event.type, [...event.clusters]);
    }
    this._sorted = null;
    this._changed.emit();
  }

  /**
   * Drop one cluster at once (it was just adopted); the stream confirms later.
   */
  remove(type: string, name: string): void {
    const list = this._byType.get(type);
    if (!list?.some(cluster => cluster.name === name)) {
      return;
    }
    this.apply({
      kind: 'external',
      type,
      clusters: list.filter(cluster => cluster.name !== name)
    });
  }

  private _byType = new Map<string, IExternalCluster[]>();
  private _sorted: IExternalCluster[] | null = null;
  private _changed = new Signal<this, void>(this);
}

namespace Private {
  /**
   * Whether two lists say the same (the server repeats unchanged lists).
   */
  export function sameList(a: ReadonlyArray<IExternalCluster>, b: ReadonlyArray<IExternalCluster>): boolean {
    return (
      a.length === b.length &&
      a.every((cluster, index) => {
        const other = b[index];
        return (
          cluster.name === other.name &&
          cluster.status === other.status &&
          cluster.location === other.location &&
          cluster.startedAt === other.startedAt
        );
      })
    );
  }
}
