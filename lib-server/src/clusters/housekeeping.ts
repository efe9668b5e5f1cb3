/**
 * Housekeeping of the cluster list: ended clusters are forgotten beyond the
 * number the user keeps (those that ended first go first), all of them on
 * request, and a new cluster may not take the name of a live one. Only this
 * companion's ended records are ever forgotten; live ones are never touched.
 */

import type { ClusterState, IClusterModel, ICreateRequest, IFieldError } from '../../../protocol/index.js';
import { invalidRequest } from './errors.js';
import type { ClusterManager } from './lifecycle.js';
import { ACTIVE_STATES, type Registry } from './registry.js';

/** States in which nothing of a cluster runs any more. */
export const ENDED_STATES: ReadonlySet<ClusterState> = new Set(['stopped', 'failed', 'lost']);

/** Whether `model` has ended. */
export function hasEnded(model: IClusterModel): boolean {
  return ENDED_STATES.has(model.state);
}

/**
 * The field error for a requested name that a live cluster (or one being
 * created) already has; undefined when the name is free or none was asked for. Pure.
 */
export function duplicateName(
  name: string | undefined,
  clusters: ReadonlyArray<IClusterModel>,
  pending: ReadonlySet<string> = new Set()
): IFieldError | undefined {
  if (name === undefined) {
    return undefined;
  }
  const live = clusters.some(model => ACTIVE_STATES.has(model.state) && model.name === name);
  if (!live && !pending.has(name)) {
    return undefined;
  }
  return {
    path: '/name',
    message: `A live cluster is already called "${name}": choose another name, or leave it empty and one is chosen for you.`
  };
}

/** Options of Housekeeping. */
export interface IHousekeepingOptions {
  registry: Registry;
  manager: ClusterManager;
  /** How many ended clusters to keep (0 keeps none). */
  keepEnded: () => number;
}

/** Keeps the ended part of the list short and live names unique. */
export class Housekeeping {
  /** When each ended cluster was seen ending here, so the earliest ends go first. */
  private readonly endOrder = new Map<string, number>();
  private nextEnd = 0;
  private scheduled: NodeJS.Immediate | undefined;
  private readonly disconnect: () => void;
  /** Names of clusters whose create request is under way. */
  private readonly pendingNames = new Set<string>();

  constructor(private readonly options: IHousekeepingOptions) {
    // Records that had ended before this start count as the oldest ends, by creation.
    for (const record of options.registry.list()) {
      if (hasEnded(record.model)) {
        this.endOrder.set(record.model.id, this.nextEnd++);
      }
    }
    this.disconnect = options.registry.changed.connect(change => {
      if (change.kind === 'removed') {
        this.endOrder.delete(change.id);
        return;
      }
      const { id } = change.cluster;
      if (!hasEnded(change.cluster)) {
        this.endOrder.delete(id); // re-adopted: it may end again later
      } else if (!this.endOrder.has(id) && options.registry.get(id) !== undefined) {
        this.endOrder.set(id, this.nextEnd++);
        this.schedule();
      }
    });
    this.schedule();
  }

  /**
   * Forget the ended clusters beyond the number kept, soon: never inside a
   * registry change, so every listener sees a cluster end before it goes.
   */
  schedule(): void {
    this.scheduled ??= setImmediate(() => {
      this.scheduled = undefined;
      this.prune();
    });
  }

  /** Forget the ended clusters beyond the number kept, earliest end first; returns their ids. */
  prune(): string[] {
    const keep = Math.max(0, this.options.keepEnded());
    const ended = this.ended().sort((a, b) => this.order(a) - this.order(b));
    return this.forget(ended.slice(0, Math.max(0, ended.length - keep)));
  }

  /** Forget every ended cluster; returns their ids. */
  clearEnded(): string[] {
    return this.forget(this.ended());
  }

  /**
   * Run `create` for `request` unless its name is a live cluster's (a 422 on
   * `/name`); the name counts as taken until `create` settles, so two requests
   * at once cannot both get it.
   */
  async create(request: ICreateRequest, create: () => Promise<IClusterModel>): Promise<IClusterModel> {
    const { name } = request;
    // Every live cluster the user sees counts, those of their other JupyterLab servers too.
    const problem = duplicateName(name, this.options.registry.models(), this.pendingNames);
    if (problem !== undefined) {
      throw invalidRequest([problem]);
    }
    if (name === undefined) {
      return create();
    }
    this.pendingNames.add(name);
    try {
      return await create();
    } finally {
      this.pendingNames.delete(name);
    }
  }

  /** Stop following the registry. */
  stop(): void {
    this.disconnect();
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
  }

  private ended(): string[] {
    return this.options.registry
      .list()
      .filter(record => hasEnded(record.model))
      .map(record => record.model.id);
  }

  private order(id: string): number {
    return this.endOrder.get(id) ?? -1;
  }

  private forget(ids: string[]): string[] {
    const forgotten: string[] = [];
    for (const id of ids) {
      // Looked at again right before: only a record that is still ended goes.
      const record = this.options.registry.get(id);
      if (record !== undefined && hasEnded(record.model)) {
        this.options.manager.remove(id);
        forgotten.push(id);
      }
    }
    return forgotten;
  }
}
