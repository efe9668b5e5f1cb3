import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { ServerConnection } from '@jupyterlab/services';
import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';
import type { IClusterModel } from '../../protocol';
import { ClusterClient } from '../api/client';
import { addClusterCommands, CommandIDs } from '../commands';
import { ClusterManager } from '../manager';
import { notifyClusterEnds } from '../notifications';
import { ClusterSettings } from '../settings';
import { ClusterSidebar } from '../sidebar/sidebar';
import { LastFocused } from '../target';
import { FakeManager, FakeSocket, makeCluster, makeStream } from './fixtures';
import { notices, waitFor } from './wait';

afterEach(() => {
  Notification.dismiss();
  document.body.innerHTML = '';
  jest.restoreAllMocks();
});

/** The sidebar with the real cluster commands over `manager`. */
function sidebarWithCommands(manager: FakeManager) {
  const commands = new CommandRegistry();
  // No item under a context menu: commands act on their `id` argument.
  const app = { commands, contextMenuHitTest: () => undefined } as unknown as JupyterFrontEnd;
  addClusterCommands(app, {
    manager,
    settings: new ClusterSettings(null),
    translator: nullTranslator,
    target: new LastFocused(null, null)
  });
  const sidebar = new ClusterSidebar({ manager, commands, translator: nullTranslator });
  Widget.attach(sidebar, document.body);
  return { sidebar, commands };
}

const items = (root: Widget) =>
  [...root.node.querySelectorAll<HTMLElement>('.jp-DaskClusters-item')].map(node => node.dataset.clusterId);

describe('Clear: one ended cluster, or all of them', () => {
  it('offers Clear on an ended item only, and Clear ended in the toolbar forgets every ended one', async () => {
    const manager = new FakeManager();
    const { sidebar, commands } = sidebarWithCommands(manager);
    manager.emit({
      kind: 'snapshot',
      clusters: [
        makeCluster({ id: 'live', createdAt: '2026-11-20T10:03:00Z' }),
        makeCluster({ id: 'done', state: 'stopped', createdAt: '2026-11-20T10:02:00Z' }),
        makeCluster({ id: 'broke', state: 'failed', createdAt: '2026-11-20T10:01:00Z' })
      ]
    });
    await waitFor(() => items(sidebar).length === 3);
    const clearOf = (id: string) =>
      sidebar.node.querySelector<HTMLElement>(`[data-cluster-id="${id}"] .jp-DaskClusters-dismiss`);
    expect(clearOf('live')).toBeNull();
    expect(clearOf('done')?.textContent).toBe('Clear');
    expect(clearOf('broke')?.textContent).toBe('Clear');

    const clearEnded = () => sidebar.node.querySelector<HTMLElement>('.jp-DaskClusters-clearEnded jp-button');
    await waitFor(() => clearEnded() !== null);
    const button = clearEnded();
    expect(button?.textContent).toContain('Clear ended');
    expect(button?.getAttribute('aria-disabled')).toBe('false');
    expect(commands.isEnabled(CommandIDs.clearEnded)).toBe(true);
    expect(commands.label(CommandIDs.clearEnded)).toBe('Clear Ended Dask Clusters');
    manager.clearAnswer = ['done', 'broke'];
    button?.click();
    await waitFor(() => items(sidebar).join() === 'live');
    expect(manager.calls.filter(call => call.startsWith('clear'))).toEqual(['clear ended']);
    expect(notices()).toEqual(['success: Cleared 2 ended clusters']);
    // Nothing ended is left: the button says so.
    expect(commands.isEnabled(CommandIDs.clearEnded)).toBe(false);
    await waitFor(() => clearEnded()?.getAttribute('aria-disabled') === 'true');
  });

  it('asks the companion for the ended ones only and drops what it forgot from the list', async () => {
    const requests: string[] = [];
    const serverSettings = ServerConnection.makeSettings({
      baseUrl: 'http://lab.example/',
      fetch: (input: RequestInfo) => {
        const request = input as Request;
        requests.push(`${request.method} ${request.url}`);
        return Promise.resolve(new Response(JSON.stringify({ forgotten: ['done'] }), { status: 200 }));
      }
    });
    const manager = new ClusterManager({ client: new ClusterClient({ serverSettings }), stream: makeStream() });
    FakeSocket.sockets.at(-1)?.open();
    FakeSocket.sockets.at(-1)?.send({
      kind: 'snapshot',
      clusters: [makeCluster({ id: 'live' }), makeCluster({ id: 'done', state: 'stopped' })]
    });
    expect(await manager.clearEnded()).toEqual(['done']);
    expect(requests).toHaveLength(1);
    // (ServerConnection adds a cache-busting number.)
    expect(requests[0]).toMatch(/^DELETE http:\/\/lab\.example\/dask-clusters\/api\/clusters\?ended=true(&\d+)?$/);
    expect(manager.clusters.map(c => c.id)).toEqual(['live']);
    manager.dispose();
  });
});

describe('an ended item says why', () => {
  it('shows the end reason of a stopped, failed or lost cluster', async () => {
    const manager = new FakeManager();
    const { sidebar } = sidebarWithCommands(manager);
    manager.emit({
      kind: 'snapshot',
      clusters: [
        makeCluster({ id: 's', state: 'stopped', endReason: 'Idle for 30 minutes.' }),
        makeCluster({ id: 'l', state: 'lost', endReason: 'JupyterLab stopped.' }),
        makeCluster({
          id: 'f',
          state: 'failed',
          error: 'Runner exited with status 1.',
          endReason: 'Its jobs were cancelled.'
        })
      ]
    });
    await waitFor(() => items(sidebar).length === 3);
    const text = (id: string) => sidebar.node.querySelector(`[data-cluster-id="${id}"]`)?.textContent ?? '';
    expect(text('s')).toContain('Idle for 30 minutes.');
    expect(text('l')).toContain('JupyterLab stopped.');
    expect(text('l')).not.toContain('The cluster process vanished.');
    expect(text('f')).toContain('Runner exited with status 1.');
    expect(text('f')).toContain('Its jobs were cancelled.');
  });
});

describe('a notification when a cluster ends', () => {
  function setup(answer: IClusterModel | null = null) {
    const client = new ClusterClient({
      serverSettings: ServerConnection.makeSettings({ baseUrl: 'http://lab.example/' })
    });
    jest.spyOn(client, 'stop').mockResolvedValue(answer);
    const manager = new ClusterManager({ client, stream: makeStream() });
    const socket = FakeSocket.sockets[FakeSocket.sockets.length - 1];
    socket.open();
    const shown = jest.fn();
    notifyClusterEnds(manager, { translator: nullTranslator, show: shown });
    return { manager, socket, shown };
  }

  it('says the name and the reason once, in the kind of its end, with a way to the list', () => {
    const { manager, socket, shown } = setup();
    socket.send({
      kind: 'snapshot',
      clusters: [makeCluster({ id: 'a', name: 'etl' }), makeCluster({ id: 'b', name: 'big', state: 'starting' })]
    });
    const stopped = makeCluster({ id: 'a', name: 'etl', state: 'stopped', endReason: 'Idle for 30 minutes.' });
    socket.send({ kind: 'cluster', cluster: stopped });
    // The same end again (a later update, a reconnection): said once.
    socket.send({ kind: 'cluster', cluster: stopped });
    socket.send({ kind: 'snapshot', clusters: [stopped, makeCluster({ id: 'b', name: 'big', state: 'starting' })] });
    socket.send({
      kind: 'cluster',
      cluster: makeCluster({ id: 'b', name: 'big', state: 'failed', error: 'sbatch: invalid partition' })
    });
    expect(notices()).toEqual([
      'info: Cluster etl stopped: Idle for 30 minutes.',
      'error: Cluster big failed: sbatch: invalid partition'
    ]);
    const failure = Notification.manager.notifications.find(n => n.type === 'error');
    expect(failure?.options.autoClose).toBe(false);
    const action = failure?.options.actions?.[0];
    expect(action?.label).toBe('Show clusters');
    action?.callback(new MouseEvent('click'));
    expect(shown).toHaveBeenCalled();
    manager.dispose();
  });

  it('stays quiet for old ends at page load, for a Stop asked here, and for an end without a reason', async () => {
    const { manager, socket } = setup(makeCluster({ id: 'mine', state: 'stopping' }));
    socket.send({
      kind: 'snapshot',
      clusters: [
        makeCluster({ id: 'old', state: 'lost', endReason: 'JupyterLab stopped.' }),
        makeCluster({ id: 'mine' }),
        makeCluster({ id: 'plain' })
      ]
    });
    await manager.stop('mine');
    socket.send({
      kind: 'cluster',
      cluster: makeCluster({ id: 'mine', state: 'stopped', endReason: 'Stopped by you.' })
    });
    socket.send({ kind: 'cluster', cluster: makeCluster({ id: 'plain', state: 'stopped' }) });
    expect(notices()).toEqual([]);
    manager.dispose();
  });

  it('says a lost cluster as a warning', () => {
    const { manager, socket } = setup();
    socket.send({ kind: 'snapshot', clusters: [makeCluster({ id: 'a', name: 'etl' })] });
    socket.send({
      kind: 'cluster',
      cluster: makeCluster({ id: 'a', name: 'etl', state: 'lost', endReason: 'The runner vanished.' })
    });
    expect(notices()).toEqual(['warning: Cluster etl was lost: The runner vanished.']);
    manager.dispose();
  });
});
