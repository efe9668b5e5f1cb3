import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';
import type { IExternalCluster } from '../../protocol';
import { resolveExternal } from '../adopt';
import { ClusterEventStream, parseServerEvent } from '../api/events';
import { CommandIDs } from '../commands';
import { ExternalClusters } from '../external';
import { ClusterManager } from '../manager';
import { ClusterStore } from '../model';
import { ExternalClusterListView } from '../sidebar/external';
import { FakeManager, makeCluster } from './fixtures';

function external(name: string, overrides: Partial<IExternalCluster> = {}): IExternalCluster {
  return {
    type: 'gateway',
    name,
    location: 'http://gw.example',
    status: 'RUNNING',
    startedAt: '2026-11-20T10:00:00Z',
    ...overrides
  };
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) {
    await new Promise(resolve => setTimeout(resolve, 10));
  }
  expect(condition()).toBe(true);
}

describe('parseServerEvent', () => {
  it('accepts external lists and refuses malformed ones', () => {
    const event = { kind: 'external', type: 'gateway', clusters: [external('a')] };
    expect(parseServerEvent(JSON.stringify(event))).toEqual(event);
    expect(parseServerEvent({ kind: 'external', clusters: [] })).toBeNull();
    expect(parseServerEvent({ kind: 'external', type: 'gateway' })).toBeNull();
  });
});

describe('ExternalClusters', () => {
  it('keeps one list per type, replaced by each message', () => {
    const list = new ExternalClusters();
    let changes = 0;
    list.changed.connect(() => changes++);
    list.apply({ kind: 'external', type: 'gateway', clusters: [external('a'), external('b')] });
    list.apply({ kind: 'external', type: 'other', clusters: [external('x', { type: 'other' })] });
    expect(list.clusters.map(c => `${c.type}/${c.name}`)).toEqual(['gateway/a', 'gateway/b', 'other/x']);
    // Stopped elsewhere: the next message no longer has it.
    list.apply({ kind: 'external', type: 'gateway', clusters: [external('b')] });
    expect(list.clusters.map(c => c.name)).toEqual(['b', 'x']);
    expect(list.find('gateway', 'a')).toBeUndefined();
    expect(changes).toBe(3);
  });

  it('ignores repeated lists and other events, and drops an adopted cluster at once', () => {
    const list = new ExternalClusters();
    let changes = 0;
    list.changed.connect(() => changes++);
    list.apply({ kind: 'external', type: 'gateway', clusters: [external('a')] });
    list.apply({ kind: 'external', type: 'gateway', clusters: [external('a')] });
    list.apply({ kind: 'removed', id: 'a' });
    expect(changes).toBe(1);
    list.remove('gateway', 'a');
    list.remove('gateway', 'a');
    expect(list.clusters).toEqual([]);
    expect(changes).toBe(2);
  });

  it('leaves the cluster store alone', () => {
    const store = new ClusterStore();
    let changes = 0;
    store.changed.connect(() => changes++);
    store.apply({ kind: 'external', type: 'gateway', clusters: [external('a')] });
    expect(changes).toBe(0);
  });
});

describe('resolveExternal', () => {
  const clusters = [external('a'), external('b')];
  it('takes the arguments, then the entry under the menu, then the only one', () => {
    expect(resolveExternal(clusters, { type: 'gateway', name: 'b' })?.name).toBe('b');
    expect(resolveExternal(clusters, {}, { type: 'gateway', name: 'a' })?.name).toBe('a');
    expect(resolveExternal(clusters, { name: 'c' })).toBeUndefined();
    expect(resolveExternal(clusters, {})).toBeUndefined();
    expect(resolveExternal([external('a')], {})?.name).toBe('a');
  });
});

/**
 * The one socket a manager's stream opens, so the test can send it messages.
 */
class OneSocket {
  static last: OneSocket | null = null;
  constructor(readonly url: string) {
    OneSocket.last = this;
  }
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  close(): void {
    // nothing to close
  }
  send(message: unknown): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
}

describe('ClusterManager.adopt', () => {
  it('posts a create request with adopt, and the cluster leaves the external list', async () => {
    const stream = new ClusterEventStream({
      url: 'ws://lab.example/dask-clusters/api/events',
      WebSocket: OneSocket as unknown as typeof WebSocket
    });
    const manager = new ClusterManager({ stream });
    const requests: unknown[] = [];
    jest.spyOn(manager.client, 'create').mockImplementation(async request => {
      requests.push(request);
      return makeCluster({ id: 'g1', type: 'gateway', spec: request });
    });
    OneSocket.last?.send({ kind: 'external', type: 'gateway', clusters: [external('abc')] });
    expect(manager.external.map(c => c.name)).toEqual(['abc']);
    const cluster = await manager.adopt(external('abc'));
    expect(requests).toEqual([{ type: 'gateway', options: {}, adopt: 'abc' }]);
    expect(cluster.id).toBe('g1');
    expect(manager.get('g1')).toBeDefined();
    expect(manager.external).toEqual([]);
    manager.dispose();
  });
});

describe('ExternalClusterListView', () => {
  function setup() {
    const manager = new FakeManager();
    const commands = new CommandRegistry();
    const executed: string[] = [];
    commands.addCommand(CommandIDs.adopt, {
      execute: args => {
        executed.push(JSON.stringify(args));
      }
    });
    const view = new ExternalClusterListView({ manager, commands, translator: nullTranslator });
    Widget.attach(view, document.body);
    return { manager, executed, view };
  }

  it('shows nothing while there is nothing to adopt', async () => {
    const { view } = setup();
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(view.node.querySelector('section')).toBeNull();
    view.dispose();
  });

  it('lists each cluster with its status and an Adopt button that runs the command', async () => {
    const { manager, executed, view } = setup();
    manager.emit({
      kind: 'external',
      type: 'gateway',
      clusters: [external('abc'), external('def', { status: 'PENDING' })]
    });
    await waitFor(() => view.node.querySelectorAll('.jp-DaskClusters-external').length === 2);
    const row = view.node.querySelector<HTMLElement>('.jp-DaskClusters-external[data-name="def"]');
    expect(row?.dataset.type).toBe('gateway');
    expect(row?.querySelector('.jp-DaskClusters-externalStatus')?.textContent).toBe('pending');
    expect(row?.textContent).toContain('http://gw.example');
    row?.querySelector<HTMLButtonElement>('.jp-DaskClusters-adopt')?.click();
    expect(executed).toEqual(['{"type":"gateway","name":"def"}']);

    // Stopped elsewhere or adopted: it leaves the list.
    manager.emit({ kind: 'external', type: 'gateway', clusters: [] });
    await waitFor(() => view.node.querySelector('section') === null);
    view.dispose();
  });
});
