/**
 * Keeps the list of the user's gateway clusters that this companion does not
 * manage (made from notebook code, or by another session), refreshed slowly
 * on the server while a gateway is configured; the browser gets changes on
 * the event stream and never polls. Also forgets a managed gateway cluster
 * once it has stopped, here or elsewhere: it no longer exists anywhere.
 */

import type { IExternalCluster } from '../../../../protocol/index.js';
import type { IClusterRemover } from '../backend.js';
import { ACTIVE_STATES, type Registry } from '../../clusters/registry.js';
import { Emitter } from '../../util/emitter.js';
import { LIVE_STATUSES, type IGatewayCluster } from './client.js';
import type { IGatewayBackend } from './types.js';

/** Options of GatewayWatcher. */
export interface IGatewayWatcherOptions {
  backend: IGatewayBackend;
  registry: Registry;
  manager: IClusterRemover;
  /** Between refreshes. */
  intervalMs: number;
}

function startedAt(cluster: IGatewayCluster): string | undefined {
  const time = cluster.start_time;
  if (typeof time !== 'number' || !Number.isFinite(time)) {
    return undefined;
  }
  // dask-gateway reports milliseconds; older versions seconds.
  return new Date(time > 1e11 ? time : time * 1000).toISOString();
}

/** Gateway clusters `listed` minus those `managed` names. Pure. */
export function externalClusters(
  listed: IGatewayCluster[],
  managed: ReadonlySet<string>,
  location: string
): IExternalCluster[] {
  return listed
    .filter(cluster => !managed.has(cluster.name))
    .map(cluster => {
      const when = startedAt(cluster);
      return {
        type: 'gateway',
        name: cluster.name,
        location,
        status: cluster.status,
        ...(when ? { startedAt: when } : {})
      };
    })
    .sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? '') || a.name.localeCompare(b.name));
}

/** The watcher. */
export class GatewayWatcher {
  /** The new list, whenever it changes. */
  readonly changed = new Emitter<IExternalCluster[]>();
  private current: IExternalCluster[] = [];
  private listed: { clusters: IGatewayCluster[]; location: string } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private readonly disconnect: () => void;

  constructor(private readonly options: IGatewayWatcherOptions) {
    this.disconnect = options.registry.changed.connect(change => {
      const { cluster } = change.kind === 'cluster' ? change : { cluster: undefined };
      if (cluster?.type === 'gateway' && cluster.state === 'stopped' && cluster.elsewhere === undefined) {
        // Stopped gateway clusters are gone for good: drop them from the list (another server drops its own).
        setImmediate(() => {
          try {
            options.manager.remove(cluster.id);
          } catch {
            // already forgotten
          }
        });
      }
      this.recompute();
    });
  }

  /** Refresh now and then every `intervalMs`. */
  start(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.disconnect();
  }

  /** The list now. */
  list(): IExternalCluster[] {
    return this.current;
  }

  /** Ask the gateway again (one request at a time). */
  refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<void> {
    try {
      const client = await this.options.backend.client();
      if (client === undefined || 'unavailable' in client) {
        this.listed = undefined;
      } else {
        this.listed = { clusters: await client.clusters(LIVE_STATUSES), location: client.connection.address };
      }
    } catch {
      // Unreachable for now: keep the last list rather than flicker.
    }
    this.recompute();
  }

  private managedNames(): Set<string> {
    const names = new Set<string>();
    // Those of your other JupyterLab servers too: they are managed, there.
    for (const model of this.options.registry.models()) {
      if (model.type === 'gateway' && ACTIVE_STATES.has(model.state)) {
        const name = this.options.backend.gatewayName(model);
        if (name !== undefined) {
          names.add(name);
        }
      }
    }
    return names;
  }

  private recompute(): void {
    const next =
      this.listed === undefined
        ? []
        : externalClusters(this.listed.clusters, this.managedNames(), this.listed.location);
    if (JSON.stringify(next) !== JSON.stringify(this.current)) {
      this.current = next;
      this.changed.emit(next);
    }
  }
}
