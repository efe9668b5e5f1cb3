import { JupyterLab } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { RunningSessionManagers } from '@jupyterlab/running';
import { ServerConnection } from '@jupyterlab/services';
import { acceptDialog, dismissDialog, waitForDialog } from '@jupyterlab/testutils';
import { nullTranslator } from '@jupyterlab/translation';
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import schema from '../../schema/plugin.json';
import type { IClusterModel } from '../../protocol';
import { ClusterClient } from '../api/client';
import { addClusterCommands, CommandIDs } from '../commands';
import { addDashboardCommand } from '../dashboards/commands';
import { addLayoutCommands } from '../dashboards/layouts';
import { addInsertCodeCommand } from '../insertcode';
import { addJobLogCommand } from '../jobs/commands';
import { ClusterManager } from '../manager';
import { addRunningClusters } from '../running';
import { DEFAULT_SETTINGS } from '../settings';
import type { IDaskSettings } from '../settings';
import { ClusterSidebar } from '../sidebar/sidebar';
import { LastFocused } from '../target';
import type { IDaskClusterManager, IDaskClusterSettings } from '../tokens';
import { FakeManager, FakeSocket, makeCluster, makeStream } from './fixtures';
import { notices, query, waitFor } from './wait';

/** Settings that never ask before a stop: a dialog then comes from the cluster being elsewhere. */
class NoConfirmSettings implements IDaskClusterSettings {
  readonly changed: Signal<IDaskClusterSettings, void> = new Signal(this);
  readonly current: IDaskSettings = { ...DEFAULT_SETTINGS, confirmStop: false };
  async setLastOptions(): Promise<void> {}
  async savePreset(): Promise<void> {}
  async deletePreset(): Promise<void> {}
  async saveLayout(): Promise<void> {}
}

const OWNER = { host: 'login2', sameHost: true, pid: 4242, since: new Date().toISOString() };

/** A running SLURM cluster with a job, a dashboard and a tunnel: every action would apply to it here. */
function rich(overrides: Partial<IClusterModel>): IClusterModel {
  return makeCluster({
    type: 'slurm',
    tunnelCommand: 'ssh -L 8787:node7:8787 login1',
    jobs: [{ id: '41', state: 'RUNNING', node: 'node7' }],
    ...overrides
  });
}

/** A real JupyterLab with every command of the extension over `manager`, and the sidebar. */
function setup(manager: IDaskClusterManager) {
  const app = new JupyterLab();
  const settings = new NoConfirmSettings();
  const translator = nullTranslator;
  addClusterCommands(app, { manager, settings, translator, target: new LastFocused(null, null) });
  addInsertCodeCommand(app, { manager, translator, target: new LastFocused(null, null) });
  const opener = addDashboardCommand(app, { manager, translator, restorer: null });
  addLayoutCommands(app, { manager, settings, translator, opener });
  addJobLogCommand(app, { manager, translator });
  // The context menu as the settings schema declares it.
  for (const entry of schema['jupyter.lab.menus'].context) {
    if ('command' in entry) {
      app.contextMenu.addItem({ command: entry.command, selector: entry.selector, rank: entry.rank });
    }
  }
  const sidebar = new ClusterSidebar({ manager, commands: app.commands, translator, settings });
  Widget.attach(sidebar, document.body);
  return { app, sidebar };
}

/** The item of a cluster, once rendered. */
const itemOrNull = (sidebar: Widget, id: string) =>
  sidebar.node.querySelector<HTMLElement>(`.jp-DaskClusters-item[data-cluster-id="${id}"]`);

function item(sidebar: Widget, id: string): HTMLElement {
  const node = itemOrNull(sidebar, id);
  if (!node) {
    throw new Error(`no item ${id}`);
  }
  return node;
}

/** The classes of an item's action buttons, without the shared prefix. */
const actions = (node: HTMLElement) =>
  [...node.querySelectorAll('.jp-DaskClusters-action')].map(b =>
    [...b.classList].filter(c => c.startsWith('jp-DaskClusters-') && c !== 'jp-DaskClusters-action').join()
  );

/** The entries of the context menu opened on `node`, each with whether it is enabled. */
function contextMenu(app: JupyterLab, node: HTMLElement): string[] {
  node.addEventListener('contextmenu', event => app.handleEvent(event), { once: true });
  node.dispatchEvent(new MouseEvent('contextmenu', { bubbles: true, clientX: 5, clientY: 5 }));
  const entries = app.contextMenu.menu.items
    .filter(entry => entry.type === 'command' && entry.isVisible)
    .map(entry => `${entry.label}${entry.isEnabled ? '' : ' (disabled)'}`);
  app.contextMenu.menu.close();
  return entries;
}

afterEach(() => {
  Notification.dismiss();
  document.body.innerHTML = '';
  jest.restoreAllMocks();
});

describe('a cluster of another JupyterLab server', () => {
  it('says where and since when it runs, is marked apart, and offers Stop only', async () => {
    const manager = new FakeManager();
    manager.plotsAnswer = [{ path: 'individual-task-stream', title: 'Task Stream', common: true }];
    const { sidebar } = setup(manager);
    const earlier = '2026-11-19T08:30:00Z';
    manager.emit({
      kind: 'snapshot',
      clusters: [
        rich({ id: 'mine', name: 'mine', createdAt: '2026-11-20T10:02:00Z' }),
        rich({ id: 'theirs', name: 'theirs', createdAt: '2026-11-20T10:01:00Z', elsewhere: OWNER }),
        rich({
          id: 'old',
          name: 'old',
          createdAt: '2026-11-20T10:00:00Z',
          elsewhere: { host: 'login3', sameHost: false, pid: 7, since: earlier }
        })
      ]
    });
    // This server's own item shows everything, so what the other one lacks is not the fixture's doing.
    await waitFor(() => itemOrNull(sidebar, 'mine')?.querySelector('.jp-DaskClusters-plot') != null);
    const mine = item(sidebar, 'mine');
    expect(actions(mine)).toEqual([
      'jp-DaskClusters-insert',
      'jp-DaskClusters-scale',
      'jp-DaskClusters-tunnel',
      'jp-DaskClusters-stop'
    ]);
    expect(mine.title).toBe('Drag onto a notebook to insert the client code');
    expect(mine.querySelector('.jp-DaskClusters-jobLog')).not.toBeNull();
    expect(mine.classList.contains('jp-mod-elsewhere')).toBe(false);
    expect(mine.querySelector('.jp-DaskClusters-elsewhere')).toBeNull();

    const theirs = item(sidebar, 'theirs');
    expect(theirs.classList.contains('jp-mod-elsewhere')).toBe(true);
    expect(theirs.querySelector('.jp-DaskClusters-elsewhereBadge')?.textContent).toBe('elsewhere');
    // Started today: the time alone, as the reader's locale writes it.
    expect(theirs.querySelector('.jp-DaskClusters-elsewhere')?.textContent).toBe(
      `Running in another JupyterLab (login2, since ${new Date(OWNER.since).toLocaleTimeString()})`
    );
    expect(theirs.querySelector('.jp-DaskClusters-elsewhere')?.getAttribute('title')).toContain('pid 4242');
    // Started on an earlier day: the date too.
    expect(item(sidebar, 'old').querySelector('.jp-DaskClusters-elsewhere')?.textContent).toBe(
      `Running in another JupyterLab (login3, since ${new Date(earlier).toLocaleString()})`
    );
    // What works from here: Stop. No code, scale, tunnel, plots, layouts, job logs, nor a drag.
    expect(actions(theirs)).toEqual(['jp-DaskClusters-stop']);
    expect(theirs.querySelector('.jp-DaskClusters-plots')).toBeNull();
    expect(theirs.querySelector('.jp-DaskClusters-jobLog')).toBeNull();
    expect(theirs.querySelector('.jp-DaskClusters-jobNode')?.textContent).toBe('node7');
    expect(theirs.hasAttribute('title')).toBe(false);
    // Nor is its code or its plot list asked for (the companion would answer 409).
    expect(manager.calls.filter(call => call.endsWith(' theirs') || call.endsWith(' old'))).toEqual([]);
    expect(manager.calls).toContain('snippet mine');

    // An ended one was not started here either, and says so without "running".
    manager.emit({ kind: 'cluster', cluster: rich({ id: 'old', name: 'old', state: 'stopped', elsewhere: OWNER }) });
    await waitFor(() => item(sidebar, 'old').dataset.state === 'stopped');
    expect(item(sidebar, 'old').querySelector('.jp-DaskClusters-elsewhere')?.textContent).toMatch(
      /^Managed by another JupyterLab \(login2, since /
    );
    // Clearing it is for its own JupyterLab: no Clear button, and "Clear ended" has nothing here to clear.
    expect(actions(item(sidebar, 'old'))).toEqual([]);
    sidebar.dispose();
  });

  it('disables every command that acts on it, from a button, the palette or the context menu', async () => {
    const manager = new FakeManager();
    const { app, sidebar } = setup(manager);
    manager.emit({
      kind: 'snapshot',
      clusters: [
        rich({ id: 'mine', name: 'mine', createdAt: '2026-11-20T10:02:00Z' }),
        rich({ id: 'theirs', name: 'theirs', createdAt: '2026-11-20T10:01:00Z', elsewhere: OWNER }),
        rich({ id: 'theirsEnded', name: 'gone', state: 'stopped', elsewhere: OWNER })
      ]
    });
    await waitFor(() => sidebar.node.querySelectorAll('.jp-DaskClusters-item').length === 3);
    const { commands } = app;
    const acting = [
      CommandIDs.insertCode,
      CommandIDs.openDashboard,
      CommandIDs.openLayout,
      CommandIDs.editLayout,
      CommandIDs.scale,
      CommandIDs.copyTunnel
    ];
    for (const command of acting) {
      expect([command, commands.isEnabled(command, { id: 'mine' })]).toEqual([command, true]);
      expect([command, commands.isEnabled(command, { id: 'theirs' })]).toEqual([command, false]);
    }
    expect(commands.isEnabled(CommandIDs.jobLog, { id: 'mine', job: '41' })).toBe(true);
    expect(commands.isEnabled(CommandIDs.jobLog, { id: 'theirs', job: '41' })).toBe(false);
    expect(commands.isEnabled(CommandIDs.stop, { id: 'theirs' })).toBe(true);
    expect(commands.isEnabled(CommandIDs.dismiss, { id: 'theirsEnded' })).toBe(false);
    expect(commands.isEnabled(CommandIDs.clearEnded)).toBe(false);

    // From the palette (no id): the only cluster it applies to is this server's own.
    manager.emit({ kind: 'removed', id: 'mine' });
    await waitFor(() => sidebar.node.querySelectorAll('.jp-DaskClusters-item').length === 2);
    for (const command of acting) {
      expect([command, commands.isEnabled(command)]).toEqual([command, false]);
    }

    // The context menu of the item: Stop alone.
    expect(contextMenu(app, item(sidebar, 'theirs'))).toEqual(['Stop Dask Cluster']);
    expect(contextMenu(app, item(sidebar, 'theirsEnded'))).toEqual([]);
    manager.emit({ kind: 'cluster', cluster: rich({ id: 'mine', name: 'mine' }) });
    await waitFor(() => sidebar.node.querySelectorAll('.jp-DaskClusters-item').length === 3);
    expect(contextMenu(app, item(sidebar, 'mine'))).toEqual([
      'Insert Dask Client Code',
      'Open Dask Dashboard',
      'Scale Dask Cluster…',
      'Copy SSH Tunnel Command',
      'Stop Dask Cluster'
    ]);
    sidebar.dispose();
  });

  it('is stopped in its own JupyterLab after a confirmation, and a 409 from the companion is shown', async () => {
    const requests: string[] = [];
    const queries: string[] = [];
    const answers: Response[] = [];
    const serverSettings = ServerConnection.makeSettings({
      baseUrl: 'http://lab.example/',
      fetch: (input: RequestInfo | URL) => {
        if (input instanceof Request) {
          // (ServerConnection adds a cache-busting number.)
          requests.push(`${input.method} ${input.url.replace(/\?.*$/, '')}`);
          queries.push(new URL(input.url).searchParams.get('force') ?? '');
        }
        return Promise.resolve(answers.shift() ?? new Response('[]', { status: 200 }));
      }
    });
    const manager = new ClusterManager({ client: new ClusterClient({ serverSettings }), stream: makeStream() });
    FakeSocket.sockets.at(-1)?.open();
    const here = rich({ id: 'c1', name: 'analysis', elsewhere: OWNER });
    const there = rich({
      id: 'c2',
      name: 'far',
      elsewhere: { host: 'login9', sameHost: false, pid: 77, since: OWNER.since }
    });
    FakeSocket.sockets.at(-1)?.send({ kind: 'snapshot', clusters: [here, there] });
    const { sidebar } = setup(manager);
    const stopOf = (id: string) => itemOrNull(sidebar, id)?.querySelector<HTMLButtonElement>('.jp-DaskClusters-stop');
    await waitFor(() => stopOf('c2') != null);

    // Cancelled: nothing is asked.
    stopOf('c1')?.click();
    await waitForDialog();
    expect(query('.jp-Dialog-header')?.textContent).toBe('Stop cluster analysis in another JupyterLab?');
    expect(query('.jp-Dialog-body')?.textContent).toContain(
      'It runs in the JupyterLab on login2 (companion pid 4242), which stops it'
    );
    await dismissDialog();
    expect(requests).toEqual([]);

    // Confirmed, its owner on this host: 202, and it is stopping.
    answers.push(new Response(JSON.stringify({ ...here, state: 'stopping' }), { status: 202 }));
    stopOf('c1')?.click();
    await waitForDialog();
    await acceptDialog();
    await waitFor(() => item(sidebar, 'c1').dataset.state === 'stopping');
    expect(requests).toEqual(['DELETE http://lab.example/dask-clusters/api/clusters/c1']);
    expect(notices()).toEqual(['success: Asked the JupyterLab on login2 to stop cluster analysis']);

    // Its owner on another host: the dialog says what stopping it from here does; the companion's 409 in its own words.
    const message = 'Cluster "far" is already stopping';
    answers.push(new Response(JSON.stringify({ error: 'not_running', message }), { status: 409 }));
    stopOf('c2')?.click();
    await waitForDialog();
    expect(query('.jp-Dialog-body')?.textContent).toBe(
      'It runs in the JupyterLab on login9 (companion pid 77), which cannot be reached from here. Stopping it here cancels its batch jobs; processes it runs on login9 are not stopped. Stop it there if you can.'
    );
    await acceptDialog();
    await waitFor(() => notices().length === 2);
    expect(requests.at(-1)).toBe('DELETE http://lab.example/dask-clusters/api/clusters/c2');
    // Only the other host's cluster is stopped from here (force); this host's is asked of its owner.
    expect(queries).toEqual(['', 'true']);
    expect(notices()[1]).toBe(`error: Could not stop far: ${message}`);
    expect(item(sidebar, 'c2').dataset.state).toBe('running');
    sidebar.dispose();
    manager.dispose();
  });

  it('is left out of Stop All in the Running panel', async () => {
    const manager = new FakeManager();
    const managers = new RunningSessionManagers();
    addRunningClusters(managers, { manager, commands: new JupyterLab().commands, translator: nullTranslator });
    manager.emit({
      kind: 'snapshot',
      clusters: [makeCluster({ id: 'mine' }), makeCluster({ id: 'theirs', elsewhere: OWNER })]
    });
    const [section] = managers.items();
    expect(section.running({ mode: 'list' }).length).toBe(2);
    const text = section.shutdownAllConfirmationText;
    expect(typeof text === 'function' ? text() : text).toContain('Stop all 1 Dask clusters?');
    section.shutdownAll();
    await waitFor(() => manager.calls.some(call => call.startsWith('stop')));
    expect(manager.calls.filter(call => call.startsWith('stop'))).toEqual(['stop mine']);
  });
});

describe('adopting a cluster of another JupyterLab of this host', () => {
  it('is offered for one that keeps running there, and not for one that stops with it or runs on another host', async () => {
    const manager = new FakeManager();
    const { sidebar } = setup(manager);
    manager.emit({
      kind: 'snapshot',
      clusters: [
        rich({ id: 'kept', name: 'kept', elsewhere: OWNER, keepRunning: true }),
        rich({ id: 'plain', name: 'plain', elsewhere: OWNER }),
        rich({ id: 'far', name: 'far', keepRunning: true, elsewhere: { ...OWNER, host: 'login9', sameHost: false } })
      ]
    });
    const adoptOf = (id: string) =>
      itemOrNull(sidebar, id)?.querySelector<HTMLButtonElement>('.jp-DaskClusters-adoptElsewhere');
    await waitFor(() => adoptOf('kept') != null);
    expect(adoptOf('kept')?.textContent).toBe('Adopt');
    expect(adoptOf('plain')).toBeNull();
    expect(adoptOf('far')).toBeNull();
    adoptOf('kept')?.click();
    await waitFor(() => manager.calls.includes('adopt here kept'));
    await waitFor(() => notices().length === 1);
    expect(notices()).toEqual(['success: Cluster kept is managed here now']);
    sidebar.dispose();
  });
});

describe('a cluster that keeps running after JupyterLab stops', () => {
  it('carries a label whose tooltip says so', async () => {
    const manager = new FakeManager();
    const { sidebar } = setup(manager);
    manager.emit({
      kind: 'snapshot',
      clusters: [makeCluster({ id: 'kept', keepRunning: true }), makeCluster({ id: 'plain', name: 'plain' })]
    });
    await waitFor(() => sidebar.node.querySelectorAll('.jp-DaskClusters-item').length === 2);
    const label = item(sidebar, 'kept').querySelector('.jp-DaskClusters-keepRunning');
    expect(label?.textContent).toBe('keeps running');
    expect(label?.getAttribute('title')).toBe('Keeps running after JupyterLab stops; the next JupyterLab re-adopts it');
    expect(item(sidebar, 'plain').querySelector('.jp-DaskClusters-keepRunning')).toBeNull();
    sidebar.dispose();
  });
});
