import type { IRunningSessionManagers, IRunningSessions } from '@jupyterlab/running';
import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { DisposableDelegate } from '@lumino/disposable';
import { CommandIDs, RUNNING_CONTEXT_PREFIX, RUNNING_ITEM_CLASS } from '../commands';
import { addRunningClusters } from '../running';
import { FakeManager, makeCluster } from './fixtures';

function setup() {
  const manager = new FakeManager();
  const commands = new CommandRegistry();
  const executed: string[] = [];
  for (const id of [CommandIDs.openDashboard, CommandIDs.stop]) {
    commands.addCommand(id, {
      label: id,
      execute: args => {
        executed.push(`${id} ${JSON.stringify(args)}`);
      }
    });
  }
  let section: IRunningSessions.IManager | undefined;
  const managers = {
    add: (m: IRunningSessions.IManager) => {
      section = m;
      return new DisposableDelegate(() => (section = undefined));
    }
  } as unknown as IRunningSessionManagers;
  addRunningClusters(managers, { manager, commands, translator: nullTranslator });
  return { manager, executed, section: () => section! };
}

describe('the Running panel section', () => {
  it('lists the live clusters with their state and workers, and follows the manager', () => {
    const { manager, section } = setup();
    expect(section().name).toBe('Dask Clusters');
    let changes = 0;
    section().runningChanged.connect(() => changes++);
    manager.emit({
      kind: 'snapshot',
      clusters: [
        makeCluster({ id: 'a', name: 'etl', workers: 3 }),
        makeCluster({ id: 'b', name: 'old', state: 'stopped' }),
        makeCluster({ id: 'c', name: 'new', state: 'starting', workers: 0 })
      ]
    });
    expect(changes).toBeGreaterThan(0);
    const items = section().running({ mode: 'list' });
    expect(items.map(i => i.label())).toEqual(['etl', 'new']);
    expect(items.map(i => i.detail?.())).toEqual(['3 workers', 'starting']);
    expect(items[0].className).toBe(RUNNING_ITEM_CLASS);
    expect(items[0].context).toBe(`${RUNNING_CONTEXT_PREFIX}a`);
    expect(items[0].labelTitle?.()).toBe('Open the dashboard of etl (local cluster, 4 cores, 8 GiB)');
  });

  it('opens the dashboard on a click and stops through the stop command', () => {
    const { manager, section, executed } = setup();
    manager.emit({ kind: 'snapshot', clusters: [makeCluster({ id: 'a' })] });
    const [item] = section().running({ mode: 'list' });
    item.open?.();
    item.shutdown?.();
    expect(executed).toEqual([`${CommandIDs.openDashboard} {"id":"a"}`, `${CommandIDs.stop} {"id":"a"}`]);
    expect(section().shutdownLabel).toBe('Stop Dask Cluster');
  });

  it('opens no dashboard for a cluster that is still starting', () => {
    const { manager, section, executed } = setup();
    manager.emit({ kind: 'snapshot', clusters: [makeCluster({ id: 'a', state: 'starting' })] });
    const [item] = section().running({ mode: 'list' });
    item.open?.();
    expect(executed).toEqual([]);
    expect(item.labelTitle?.()).toBe('analysis (local cluster)');
  });

  it('stops every live cluster with Stop All', () => {
    const { manager, section } = setup();
    manager.emit({
      kind: 'snapshot',
      clusters: [makeCluster({ id: 'a' }), makeCluster({ id: 'b' }), makeCluster({ id: 'c', state: 'failed' })]
    });
    const text = section().shutdownAllConfirmationText;
    expect(typeof text === 'function' ? text() : text).toMatch(/^Stop all 2 Dask clusters\?/);
    section().shutdownAll();
    expect(manager.calls).toEqual(['stop a', 'stop b']);
  });
});
