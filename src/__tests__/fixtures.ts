import type {
  IClusterModel,
  IClusterType,
  ICreateRequest,
  IEnvironment,
  IExternalCluster,
  IPlot,
  IScaling,
  IServerEvent
} from '../../protocol';
import { ServerConnection } from '@jupyterlab/services';
import { DisposableDelegate } from '@lumino/disposable';
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';
import { ClusterClient } from '../api/client';
import { ClusterEventStream } from '../api/events';
import { ExternalClusters } from '../external';
import { ClusterStore } from '../model';
import type { ConnectionStatus, IDaskClusterManager } from '../tokens';

/**
 * A cluster model with sensible values, changed by `overrides`.
 */
export function makeCluster(overrides: Partial<IClusterModel> = {}): IClusterModel {
  return {
    id: 'c1',
    name: 'analysis',
    type: 'local',
    state: 'running',
    createdAt: '2026-11-20T10:00:00Z',
    spec: { type: 'local', options: { workers: 2 } },
    scaling: { mode: 'fixed', workers: 2 },
    workers: 2,
    cores: 4,
    memory: 8 * 1024 ** 3,
    environment: { python: '/envs/science/bin/python', label: 'science' },
    hasDashboard: true,
    jobs: [],
    ...overrides
  };
}

/**
 * A cluster type with a small schema: profile, workers, threads, memory, environment.
 */
export function makeType(overrides: Partial<IClusterType> = {}): IClusterType {
  return {
    id: 'local',
    title: 'Local',
    description: 'Workers on this machine',
    available: true,
    schema: {
      type: 'object',
      properties: {
        profile: { type: 'string', enum: ['small', 'large'] },
        workers: { type: 'integer', minimum: 0, description: 'Worker processes.' },
        threads: { type: 'integer', minimum: 1 },
        memory: { type: 'string' },
        environment: { type: 'string' }
      }
    },
    uiSchema: {},
    defaults: { profile: 'small', workers: 2, threads: 2, memory: '4GiB' },
    sources: [],
    linked: [
      {
        field: 'profile',
        values: {
          small: { workers: 2, threads: 2, memory: '4GiB' },
          large: { workers: 8, threads: 4, memory: '16GiB' }
        }
      }
    ],
    ...overrides
  };
}

/**
 * Environments: one usable with the `science` kernel, one broken with the `old` kernel.
 */
export function makeEnvironments(): IEnvironment[] {
  return [
    {
      python: '/envs/old/bin/python',
      label: 'old',
      kernelspecs: ['old'],
      usable: false,
      reason: 'distributed is missing'
    },
    {
      python: '/envs/science/bin/python',
      label: 'science',
      kernelspecs: ['science', 'science-gpu'],
      distributed: '2026.8.0',
      usable: true
    }
  ];
}

/**
 * A REST client for a lab at http://lab.example/; tests replace its calls with spies.
 */
export function makeClient(): ClusterClient {
  return new ClusterClient({
    serverSettings: ServerConnection.makeSettings({ baseUrl: 'http://lab.example/' })
  });
}

/**
 * A WebSocket stand-in: records every socket, lets the test open, message and close it.
 */
export class FakeSocket {
  static sockets: FakeSocket[] = [];
  constructor(readonly url: string) {
    FakeSocket.sockets.push(this);
  }
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;
  close(): void {
    this.closed = true;
  }
  open(): void {
    this.onopen?.();
  }
  send(message: unknown): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  drop(): void {
    this.onerror?.();
    this.onclose?.();
  }
}

/**
 * An event stream over `FakeSocket`, reconnecting after 100 ms at first.
 */
export function makeStream(): ClusterEventStream {
  return new ClusterEventStream({
    url: 'ws://lab.example/dask-clusters/api/events',
    WebSocket: FakeSocket as unknown as typeof WebSocket,
    initialDelay: 100,
    maximumDelay: 1000
  });
}

/**
 * A manager without a server: the test feeds events and sets the answers.
 */
export class FakeManager implements IDaskClusterManager {
  constructor() {
    this._store.changed.connect(() => this._changed.emit(), this);
    this._external.changed.connect(() => this._changed.emit(), this);
  }
  readonly client = makeClient();
  plotsAnswer: IPlot[] = [];
  snippetAnswer = 'from dask.distributed import Client\nclient = Client("tcp://x:1")';
  calls: string[] = [];
  status: ConnectionStatus = 'open';
  isDisposed = false;
  get changed(): ISignal<IDaskClusterManager, void> {
    return this._changed;
  }
  get clusters() {
    return this._store.clusters;
  }
  get hasSnapshot() {
    return this._store.hasSnapshot;
  }
  get external() {
    return this._external.clusters;
  }
  emit(event: IServerEvent): void {
    this._store.apply(event);
    this._external.apply(event);
  }
  setStatus(status: ConnectionStatus): void {
    this.status = status;
    this._changed.emit();
  }
  get(id: string) {
    return this._store.get(id);
  }
  async create(request: ICreateRequest) {
    this.calls.push('create');
    const cluster = makeCluster({ id: 'new', state: 'starting', spec: request });
    this._store.upsert(cluster);
    return cluster;
  }
  async adopt(external: IExternalCluster) {
    this.calls.push(`adopt ${external.type} ${external.name}`);
    this._external.remove(external.type, external.name);
    return makeCluster({ id: 'adopted', type: external.type });
  }
  async scale(id: string, scaling: IScaling) {
    this.calls.push(`scale ${id}`);
    return makeCluster({ id, scaling });
  }
  async stop(id: string) {
    this.calls.push(`stop ${id}`);
  }
  async adoptElsewhere(id: string) {
    this.calls.push(`adopt here ${id}`);
    return makeCluster({ id });
  }
  clearAnswer: string[] = [];
  async clearEnded() {
    this.calls.push('clear ended');
    this.clearAnswer.forEach(id => this._store.remove(id));
    return this.clearAnswer;
  }
  get ended(): ISignal<IDaskClusterManager, IClusterModel> {
    return this._ended;
  }
  /** Announce an end as the real manager does for ends this page did not ask for. */
  end(cluster: IClusterModel): void {
    this.emit({ kind: 'cluster', cluster });
    this._ended.emit(cluster);
  }
  async plots(id: string) {
    this.calls.push(`plots ${id}`);
    return this.plotsAnswer;
  }
  async snippet(id: string) {
    this.calls.push(`snippet ${id}`);
    return this.snippetAnswer;
  }
  cachedSnippet() {
    return this.snippetAnswer;
  }
  dashboardUrl(id: string, path: string) {
    return `http://lab.example/dask-clusters/dashboard/${id}/${path}`;
  }
  addSource() {
    return new DisposableDelegate(() => undefined);
  }
  dispose(): void {
    this.isDisposed = true;
  }
  private _store = new ClusterStore();
  private _external = new ExternalClusters();
  private _changed: Signal<IDaskClusterManager, void> = new Signal(this);
  private _ended = new Signal<IDaskClusterManager, IClusterModel>(this);
}
