import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { PromiseDelegate } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';
import type { IClusterModel, IScaling } from '../../protocol';
import { showScaleDialog } from '../dialogs/scale';
import { ClusterManager } from '../manager';
import { ClusterSidebar } from '../sidebar/sidebar';
import { FakeSocket, makeClient, makeCluster, makeStream } from './fixtures';
import { query, waitFor } from './wait';

/**
 * Type into an input the way a user does, so React's change handler sees it.
 */
function type(selector: string, value: string): void {
  const input = query<HTMLInputElement>(selector);
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set;
  setter?.call(input, value);
  input?.dispatchEvent(new Event('input', { bubbles: true }));
}

describe('the Scale dialog against the event stream', () => {
  afterEach(() => {
    document.body.innerHTML = '';
    FakeSocket.sockets = [];
  });

  it('leaves the workers the stream pushed before the scale answer arrived', async () => {
    const manager = new ClusterManager({ client: makeClient(), stream: makeStream() });
    const sidebar = new ClusterSidebar({
      manager,
      commands: new CommandRegistry(),
      translator: nullTranslator
    });
    Widget.attach(sidebar, document.body);
    const socket = FakeSocket.sockets[0];
    socket.open();
    const before = makeCluster({ workers: 2 });
    socket.send({ kind: 'snapshot', clusters: [before] });
    const workers = () => query('.jp-DaskClusters-item .jp-DaskClusters-workers')?.textContent;
    await waitFor(() => workers() === '2');

    const answer = new PromiseDelegate<IClusterModel>();
    const sent: IScaling[] = [];
    jest.spyOn(manager.client, 'scale').mockImplementation((_, scaling) => {
      sent.push(scaling);
      return answer.promise;
    });
    const result = showScaleDialog({ cluster: before, manager, translator: nullTranslator });
    await waitFor(() => query('.jp-Dialog #root_workers') !== null);
    type('.jp-Dialog #root_workers', '1');
    await waitFor(() => query<HTMLInputElement>('.jp-Dialog #root_workers')?.value === '1');
    query<HTMLButtonElement>('.jp-Dialog-button.jp-mod-accept')?.click();
    await waitFor(() => sent.length === 1);
    expect(sent[0]).toEqual({ mode: 'fixed', workers: 1 });

    // The worker retires and the stream says so before the HTTP answer,
    // which holds the model as it was right after the command.
    const scaling: IScaling = { mode: 'fixed', workers: 1 };
    socket.send({ kind: 'cluster', cluster: makeCluster({ scaling, workers: 1 }) });
    answer.resolve(makeCluster({ scaling, workers: 2 }));
    expect((await result)?.workers).toBe(2);
    await new Promise(resolve => setTimeout(resolve, 50));

    expect(manager.get('c1')?.workers).toBe(1);
    expect(workers()).toBe('1');
    sidebar.dispose();
    manager.dispose();
  });
});
