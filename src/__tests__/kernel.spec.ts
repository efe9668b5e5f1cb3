import type { ISessionContext } from '@jupyterlab/apputils';
import type { Kernel } from '@jupyterlab/services';
import { nullTranslator } from '@jupyterlab/translation';
import { Signal } from '@lumino/signaling';
import type { IClusterModel, IPlot, IScaling } from '../../protocol';
import { actionCode, bootstrapCode, KERNEL_MODULE } from '../kernel/bootstrap';
import { KernelClusters } from '../kernel/model';
import type { IKernelPanel } from '../kernel/model';
import type { IKernelCluster } from '../kernel/report';
import { kernelClusterId, kernelSnippet, parseReport } from '../kernel/report';
import { ClusterManager } from '../manager';
import type { IClusterSource } from '../tokens';
import { FakeSocket, makeClient, makeCluster, makeStream } from './fixtures';

/** Let promise callbacks run. */
const flush = () => new Promise(resolve => setTimeout(resolve, 0));

const trans = nullTranslator.load('jupyterlab_dask_clusters');

function kernelCluster(overrides: Partial<IKernelCluster> = {}): IKernelCluster {
  return {
    key: 'tcp://127.0.0.1:40001',
    kind: 'cluster',
    cls: 'LocalCluster',
    variable: 'cluster',
    state: 'running',
    address: 'tcp://127.0.0.1:40001',
    dashboard: 'http://127.0.0.1:8787/status',
    workers: 1,
    cores: 2,
    memory: 2 ** 30,
    requested: 1,
    adaptive: null,
    tls: false,
    credentials: null,
    ...overrides
  };
}

describe('the code sent to kernels', () => {
  it('runs silently inside a function it deletes, with the module as a JSON string', () => {
    const code = bootstrapCode();
    expect(code).toContain(JSON.stringify(KERNEL_MODULE));
    expect(code).toMatch(/del _jupyterlab_dask_clusters_bootstrap$/);
    // bench/kernel_source.py reads the module text between backticks.
    expect(KERNEL_MODULE).not.toContain('`');
    expect(KERNEL_MODULE).not.toContain('import distributed');
  });

  it('passes action arguments as JSON data, never as code', () => {
    const code = actionCode('tcp://h:1"); import os; ("', { verb: 'scale', workers: 2 });
    expect(code).toBe(
      '__import__("sys").modules["_jupyterlab_dask_clusters"].act("tcp://h:1\\"); import os; (\\"", "scale", ' +
        '__import__("json").loads("{\\"workers\\":2}"))'
    );
  });
});

describe('kernel reports', () => {
  it('accepts only report messages', () => {
    expect(parseReport({ kind: 'report', clusters: [kernelCluster(), 3] })).toHaveLength(1);
    expect(parseReport({ kind: 'other' })).toBeNull();
    expect(parseReport(null)).toBeNull();
  });

  it('gives each kernel cluster a stable id of the form the companion accepts', () => {
    const id = kernelClusterId('kernel-1', 'tcp://127.0.0.1:40001');
    expect(id).toMatch(/^k-[a-z0-9]{14}$/);
    expect(kernelClusterId('kernel-1', 'tcp://127.0.0.1:40001')).toBe(id);
    expect(kernelClusterId('kernel-2', 'tcp://127.0.0.1:40001')).not.toBe(id);
  });
});

describe('client code for another kernel', () => {
  it('connects by address to a plain tcp scheduler', () => {
    expect(kernelSnippet(kernelCluster(), 'a.ipynb', trans)).toContain('client = Client("tcp://127.0.0.1:40001")');
  });

  it('loads the TLS credential files the cluster really uses', () => {
    const code = kernelSnippet(
      kernelCluster({
        address: 'tls://127.0.0.1:40001',
        tls: true,
        credentials: {
          tls_ca_file: '/c/ca.pem',
          tls_client_cert: '/c/cert.pem',
          tls_client_key: '/c/key.pem'
        }
      }),
      'a.ipynb',
      trans
    );
    expect(code).toContain('tls_client_key="/c/key.pem"');
    expect(code).toContain('Client("tls://127.0.0.1:40001", security=security)');
  });

  it('says why when the credentials exist only in the kernel, or the cluster is in-process', () => {
    const memory = kernelCluster({ address: 'tls://127.0.0.1:1', tls: true });
    expect(() => kernelSnippet(memory, 'a.ipynb', trans)).toThrow(/exist only in the memory of the kernel of a\.ipynb/);
    const inproc = kernelCluster({ address: 'inproc://10.0.0.1/1/2' });
    expect(() => kernelSnippet(inproc, 'a.ipynb', trans)).toThrow(/processes=False/);
  });

  it('connects to a gateway cluster through its gateway', () => {
    const code = kernelSnippet(
      kernelCluster({
        kind: 'gateway',
        gateway: { address: 'http://gw:8000', proxy: 'gateway://gw:8001', name: 'ns.abc' }
      }),
      'a.ipynb',
      trans
    );
    expect(code).toContain('Gateway("http://gw:8000", proxy_address="gateway://gw:8001")');
    expect(code).toContain('gateway.connect("ns.abc")');
  });
});

/**
 * A kernel that answers executes at once and records what it was sent.
 */
class FakeKernel {
  constructor(
    readonly id: string,
    language = 'python'
  ) {
    this.info = Promise.resolve({ language_info: { name: language } });
  }
  status: Kernel.Status = 'idle';
  info: Promise<{ language_info: { name: string } }>;
  executes: { code: string; silent: boolean; store_history: boolean }[] = [];
  comms: FakeComm[] = [];
  infoRequests = 0;
  answer: 'ok' | 'error' = 'ok';
  async requestKernelInfo() {
    this.infoRequests++;
  }
  requestExecute(content: { code: string; silent: boolean; store_history: boolean }) {
    this.executes.push(content);
    const status = this.answer;
    return {
      done: Promise.resolve({
        content: status === 'ok' ? { status } : { status, evalue: 'no such cluster' }
      })
    };
  }
  createComm(target: string) {
    const comm = new FakeComm(target);
    this.comms.push(comm);
    return comm;
  }
}

class FakeComm {
  constructor(readonly target: string) {}
  opened: unknown = undefined;
  isDisposed = false;
  onMsg: (msg: { content: { data: unknown } }) => void = () => undefined;
  onClose: () => void = () => undefined;
  open(data: unknown) {
    this.opened = data;
  }
  close() {
    this.isDisposed = true;
  }
  report(clusters: IKernelCluster[]) {
    this.onMsg({ content: { data: { kind: 'report', clusters } } });
  }
}

class FakePanel {
  constructor(kernel: FakeKernel | null, path = 'work/analysis.ipynb') {
    this.context = {
      session: kernel ? { kernel } : null,
      path,
      kernelDisplayName: 'Python 3',
      kernelChanged: new Signal(this),
      statusChanged: new Signal(this)
    };
  }
  context: {
    session: { kernel: FakeKernel } | null;
    path: string;
    kernelDisplayName: string;
    kernelChanged: Signal<unknown, { newValue: FakeKernel | null }>;
    statusChanged: Signal<unknown, Kernel.Status>;
  };
  get sessionContext(): ISessionContext {
    return this.context as unknown as ISessionContext;
  }
  disposed = new Signal<IKernelPanel, void>(this as unknown as IKernelPanel);
  status(status: Kernel.Status) {
    const kernel = this.context.session?.kernel;
    if (kernel) {
      kernel.status = status;
    }
    this.context.statusChanged.emit(status);
  }
}

function setUp(panels: FakePanel[]) {
  const client = makeClient();
  const registered: string[] = [];
  jest.spyOn(client, 'registerKernelDashboard').mockImplementation(async (id: string, url: string) => {
    registered.push(`${id} ${url}`);
    return { id, url };
  });
  jest.spyOn(client, 'forgetKernelDashboard').mockImplementation(async (id: string) => {
    registered.push(`forget ${id}`);
  });
  const widgetAdded = new Signal<unknown, IKernelPanel>({});
  const currentChanged = new Signal<unknown, IKernelPanel | null>({});
  const clusters = new KernelClusters({
    client,
    translator: nullTranslator,
    trackers: [
      {
        tracker: {
          widgetAdded,
          currentChanged,
          currentWidget: (panels[0] ?? null) as unknown as IKernelPanel | null,
          forEach: fn => panels.forEach(p => fn(p as unknown as IKernelPanel))
        },
        kind: 'notebook'
      }
    ],
    restored: Promise.resolve()
  });
  return { clusters, registered, widgetAdded, currentChanged };
}

describe('KernelClusters', () => {
  afterEach(() => jest.restoreAllMocks());

  it('bootstraps silently, opens the comm after the reply and lists what the kernel reports', async () => {
    const kernel = new FakeKernel('kernel-1');
    const panel = new FakePanel(kernel);
    const { clusters, registered } = setUp([panel]);
    await flush();
    expect(kernel.executes).toHaveLength(1);
    expect(kernel.executes[0]).toMatchObject({ silent: true, store_history: false });
    expect(kernel.comms[0].target).toBe('jupyterlab-dask-clusters');
    expect(clusters.ready).toBe(false);
    kernel.comms[0].report([]);
    expect(clusters.ready).toBe(true);

    kernel.comms[0].report([kernelCluster()]);
    await flush();
    const [model] = clusters.clusters;
    expect(model).toMatchObject({
      name: 'cluster',
      type: 'LocalCluster',
      workers: 1,
      environment: { label: 'analysis.ipynb (this notebook)' },
      origin: { kind: 'notebook', path: 'work/analysis.ipynb', kernelId: 'kernel-1' },
      hasDashboard: true
    });
    expect(registered).toEqual([`${model.id} http://127.0.0.1:8787/status`]);

    // Scaling is a silent execute of the kernel's own object.
    await clusters.scale(model.id, { mode: 'fixed', workers: 2 });
    expect(kernel.executes[1].code).toContain('"scale"');
    expect(kernel.executes[1].silent).toBe(true);
    kernel.answer = 'error';
    await expect(clusters.stop(model.id)).rejects.toThrow('no such cluster');

    // Closed in code: the next report drops it and its dashboard.
    kernel.comms[0].report([]);
    expect(clusters.clusters).toHaveLength(0);
    expect(registered).toContain(`forget ${model.id}`);
    clusters.dispose();
  });

  it('drops the clusters on a restart and bootstraps again at the next idle', async () => {
    const kernel = new FakeKernel('kernel-1');
    const panel = new FakePanel(kernel);
    const { clusters } = setUp([panel]);
    await flush();
    kernel.comms[0].report([kernelCluster()]);
    expect(clusters.clusters).toHaveLength(1);
    panel.status('restarting');
    expect(clusters.clusters).toHaveLength(0);
    panel.status('starting');
    panel.status('idle');
    await flush();
    expect(kernel.executes).toHaveLength(2);
    expect(kernel.comms).toHaveLength(2);
    panel.status('busy');
    panel.status('idle');
    await flush();
    expect(kernel.executes).toHaveLength(2);

    // Restarted by another client: the kernel says only "starting".
    kernel.comms[1].report([kernelCluster()]);
    expect(clusters.clusters).toHaveLength(1);
    panel.status('starting');
    expect(clusters.clusters).toHaveLength(0);
    // It is asked for its info, so that it goes idle and can be bootstrapped.
    expect(kernel.infoRequests).toBe(1);
    panel.status('idle');
    await flush();
    expect(kernel.executes).toHaveLength(3);
    clusters.dispose();
  });

  it('sends nothing to a non-Python kernel and lists nothing, without error', async () => {
    const kernel = new FakeKernel('kernel-r', 'R');
    const { clusters } = setUp([new FakePanel(kernel)]);
    await flush();
    expect(kernel.executes).toHaveLength(0);
    expect(clusters.ready).toBe(true);
    expect(clusters.clusters).toHaveLength(0);
    clusters.dispose();
  });

  it("lists the focused notebook's clusters first, marked as this notebook's", async () => {
    const first = new FakeKernel('kernel-1');
    const second = new FakeKernel('kernel-2');
    const panels = [new FakePanel(first, 'a.ipynb'), new FakePanel(second, 'b.ipynb')];
    const { clusters, currentChanged } = setUp(panels);
    await flush();
    first.comms[0].report([kernelCluster()]);
    second.comms[0].report([kernelCluster({ variable: 'other' })]);
    expect(clusters.clusters.map(c => c.environment.label)).toEqual(['a.ipynb (this notebook)', 'b.ipynb']);
    currentChanged.emit(panels[1] as unknown as IKernelPanel);
    expect(clusters.clusters.map(c => c.name)).toEqual(['other', 'cluster']);
    expect(clusters.clusters[0].origin?.active).toBe(true);
    clusters.dispose();
  });

  it('forgets the clusters of a kernel that shut down or was replaced', async () => {
    const kernel = new FakeKernel('kernel-1');
    const panel = new FakePanel(kernel);
    const { clusters } = setUp([panel]);
    await flush();
    kernel.comms[0].report([kernelCluster()]);
    expect(clusters.clusters).toHaveLength(1);
    panel.context.kernelChanged.emit({ newValue: null });
    expect(clusters.clusters).toHaveLength(0);
    expect(kernel.comms[0].isDisposed).toBe(true);
    clusters.dispose();
  });

  it('forgets a notebook closed with its kernel', async () => {
    const kernel = new FakeKernel('kernel-1');
    const panel = new FakePanel(kernel);
    const { clusters } = setUp([panel]);
    await flush();
    kernel.comms[0].report([kernelCluster()]);
    panel.disposed.emit();
    expect(clusters.clusters).toHaveLength(0);
    clusters.dispose();
  });
});

describe('ClusterManager with another source', () => {
  class FakeSource implements IClusterSource {
    changed: Signal<IClusterSource, void> = new Signal<IClusterSource, void>(this);
    clusters = [makeCluster({ id: 'k-1', name: 'cluster' })];
    ready = false;
    calls: string[] = [];
    has(id: string) {
      return id.startsWith('k-');
    }
    async scale(id: string, scaling: IScaling) {
      this.calls.push(`scale ${id} ${scaling.mode}`);
    }
    async stop(id: string) {
      this.calls.push(`stop ${id}`);
    }
    async snippet(id: string) {
      return `code for ${id}`;
    }
    async plots(): Promise<IPlot[]> {
      return [{ title: 'Task Stream', path: 'individual-task-stream' }];
    }
  }

  it('lists its clusters with the others and sends their verbs to it', async () => {
    const client = makeClient();
    const manager = new ClusterManager({ client, stream: makeStream(), connect: false });
    const scale = jest.spyOn(client, 'scale');
    const source = new FakeSource();
    const registration = manager.addSource(source);
    expect(manager.clusters.map(c => c.id)).toEqual(['k-1']);
    expect(manager.get('k-1')?.name).toBe('cluster');
    // The list is complete only once the source is ready too.
    expect(manager.hasSnapshot).toBe(false);

    await manager.scale('k-1', { mode: 'fixed', workers: 2 });
    await manager.stop('k-1');
    expect(source.calls).toEqual(['scale k-1 fixed', 'stop k-1']);
    expect(scale).not.toHaveBeenCalled();
    expect(await manager.snippet('k-1')).toBe('code for k-1');
    expect(await manager.plots('k-1')).toHaveLength(1);

    registration.dispose();
    expect(manager.clusters).toHaveLength(0);
    manager.dispose();
  });

  /** A manager listing companion cluster c1 at tls://127.0.0.1:4000, and `fromKernels`. */
  function withCompanionCluster(fromKernels: IClusterModel[]): ClusterManager {
    FakeSocket.sockets = [];
    const manager = new ClusterManager({ client: makeClient(), stream: makeStream() });
    FakeSocket.sockets[0].open();
    FakeSocket.sockets[0].send({
      kind: 'snapshot',
      clusters: [makeCluster({ id: 'c1', schedulerAddress: 'tls://127.0.0.1:4000' })]
    });
    const source = new FakeSource();
    source.clusters = fromKernels;
    manager.addSource(source);
    return manager;
  }

  it('leaves out a notebook Client of a cluster it lists already (the inserted code connected it)', () => {
    const manager = withCompanionCluster([
      makeCluster({ id: 'k-client', name: 'client', schedulerAddress: 'tls://127.0.0.1:4000' }),
      makeCluster({ id: 'k-own', name: 'cluster', schedulerAddress: 'tcp://127.0.0.1:5000' })
    ]);
    expect(manager.clusters.map(c => c.id)).toEqual(['k-own', 'c1']);
    expect(manager.clusters[1].origin).toBeUndefined();
    manager.dispose();
  });

  it('does not list a gateway cluster a notebook holds a second time, among those not managed here', () => {
    const manager = withCompanionCluster([
      makeCluster({
        id: 'k-gw',
        name: 'mine',
        type: 'GatewayCluster',
        schedulerAddress: 'gateway://127.0.0.1:8786/abc123'
      })
    ]);
    const external = (name: string) => ({
      type: 'gateway',
      name,
      location: 'http://127.0.0.1:8000',
      status: 'RUNNING'
    });
    FakeSocket.sockets[0].send({
      kind: 'external',
      type: 'gateway',
      clusters: [external('abc123'), external('other')]
    });
    expect(manager.external.map(c => c.name)).toEqual(['other']);
    manager.dispose();
  });

  it("marks the cluster the focused notebook's Client uses as that notebook's", () => {
    const origin = { kind: 'notebook' as const, path: 'a.ipynb', kernelId: 'k', active: true };
    const manager = withCompanionCluster([
      makeCluster({ id: 'k-client', name: 'client', schedulerAddress: 'tls://127.0.0.1:4000', origin })
    ]);
    expect(manager.clusters.map(c => [c.id, c.origin?.active])).toEqual([['c1', true]]);
    manager.dispose();
  });
});

describe('a dashboard address the user entered', () => {
  afterEach(() => jest.restoreAllMocks());

  it('is registered with the companion, listed with its plots, and Stop takes it off the list', async () => {
    const { clusters, registered } = setUp([]);
    const id = await clusters.addDashboard('http://10.1.2.3:8787/status?x#y');
    expect(id).toMatch(/^k-/);
    expect(registered).toEqual([`${id} http://10.1.2.3:8787/status`]);
    expect(clusters.clusters).toMatchObject([
      { id, name: '10.1.2.3:8787', hasDashboard: true, environment: { label: 'entered address' } }
    ]);
    await expect(clusters.scale(id, { mode: 'fixed', workers: 2 })).rejects.toThrow(/no cluster object/);
    await expect(clusters.snippet(id)).rejects.toThrow(/scheduler's address/);
    await clusters.stop(id);
    expect(clusters.clusters).toHaveLength(0);
    expect(registered).toContain(`forget ${id}`);
    clusters.dispose();
  });

  it('must be an http(s) address without credentials', async () => {
    const { clusters, registered } = setUp([]);
    await expect(clusters.addDashboard('file:///etc/passwd')).rejects.toThrow(/http/);
    await expect(clusters.addDashboard('http://me:pw@h:1/')).rejects.toThrow(/user name/);
    await expect(clusters.addDashboard('host:8787')).rejects.toThrow();
    expect(registered).toEqual([]);
    clusters.dispose();
  });
});
