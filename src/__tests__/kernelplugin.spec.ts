import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { INotebookTracker } from '@jupyterlab/notebook';
import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { PromiseDelegate } from '@lumino/coreutils';
import { Signal } from '@lumino/signaling';
import { CommandIDs, OPEN_DASHBOARD_URL } from '../commands';
import { addKernelClusters } from '../kernel/plugin';
import { ClusterManager } from '../manager';
import { FakeSocket, makeClient, makeStream } from './fixtures';

/** Let promise callbacks (and the loading of the kernel side) run. */
const flush = () => new Promise(resolve => setTimeout(resolve, 0));

/** A notebook whose kernel has not started: it never reports. */
function fakePanel() {
  return {
    sessionContext: {
      kernelChanged: new Signal({}),
      statusChanged: new Signal({}),
      session: null,
      kernelDisplayName: 'Python 3'
    },
    disposed: new Signal({})
  };
}

/** The plugin's wiring with a manager whose companion list is complete (an empty snapshot). */
function setUp() {
  FakeSocket.sockets = [];
  const client = makeClient();
  const manager = new ClusterManager({ client, stream: makeStream() });
  FakeSocket.sockets[0].open();
  FakeSocket.sockets[0].send({ kind: 'snapshot', clusters: [] });
  const restored = new PromiseDelegate<void>();
  const panels: unknown[] = [];
  const widgetAdded = new Signal<unknown, unknown>({});
  const notebooks = {
    widgetAdded,
    currentChanged: new Signal({}),
    currentWidget: null,
    forEach: (fn: (panel: unknown) => void) => panels.forEach(fn)
  } as unknown as INotebookTracker;
  const commands = new CommandRegistry();
  const app = { restored: restored.promise, commands } as unknown as JupyterFrontEnd;
  addKernelClusters(app, { manager, translator: nullTranslator, notebooks, consoles: null });
  const open = (panel: unknown) => {
    panels.push(panel);
    widgetAdded.emit(panel);
  };
  return { manager, client, commands, restored, open };
}

describe('addKernelClusters', () => {
  it('leaves the list incomplete until the page is restored, and complete after when no notebook is open', async () => {
    const { manager, restored } = setUp();
    expect(manager.hasSnapshot).toBe(false);
    restored.resolve();
    await flush();
    expect(manager.hasSnapshot).toBe(true);
    manager.dispose();
  });

  it('loads the kernel side for a notebook opened during the restore, whose kernel the list then waits for', async () => {
    const { manager, restored, open } = setUp();
    open(fakePanel());
    restored.resolve();
    await flush();
    await flush();
    // The loaded code follows the notebook: its kernel has not reported, so restored tabs still wait.
    expect(manager.hasSnapshot).toBe(false);
    manager.dispose();
  });

  it('loads the kernel side for a dashboard address entered before any notebook opened', async () => {
    const { manager, client, commands, restored } = setUp();
    restored.resolve();
    const register = jest
      .spyOn(client, 'registerKernelDashboard')
      .mockImplementation(async (id: string, url: string) => ({ id, url }));
    const opened: unknown[] = [];
    commands.addCommand(CommandIDs.openDashboard, { execute: args => void opened.push(args) });
    await commands.execute(OPEN_DASHBOARD_URL, { url: 'http://127.0.0.1:8787/status' });
    expect(register).toHaveBeenCalledTimes(1);
    expect(opened).toEqual([{ id: register.mock.calls[0][0], path: 'status', title: 'Status' }]);
    expect(manager.get(register.mock.calls[0][0])).toBeDefined();
    manager.dispose();
  });
});
