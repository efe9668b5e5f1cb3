import type { JupyterFrontEnd } from '@jupyterlab/application';
import { acceptDialog, waitForDialog } from '@jupyterlab/testutils';
import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import type { Widget } from '@lumino/widgets';
import { CommandIDs } from '../commands';
import { addDashboardCommand } from '../dashboards/commands';
import { showLayoutDialog } from '../dashboards/layoutdialog';
import { layoutPlacement, titleFromPath } from '../dashboards/arrange';
import { addLayoutCommands } from '../dashboards/layouts';
import type { DashboardWidget } from '../dashboards/widget';
import { ClusterSettings } from '../settings';
import { FakeManager, makeCluster } from './fixtures';

/**
 * An application whose shell records where each widget was put.
 */
function makeApp() {
  const added: Array<{ widget: Widget; options?: { ref?: string | null; mode?: string } }> = [];
  const app = {
    commands: new CommandRegistry(),
    shell: {
      add: (widget: Widget, _area: string, options?: { ref?: string | null; mode?: string }) =>
        added.push({ widget, options }),
      activateById: () => undefined
    },
    contextMenuHitTest: () => undefined
  } as unknown as JupyterFrontEnd;
  return { app, added };
}

describe('layoutPlacement', () => {
  it('makes a 2×2 grid, then tabs in its cells', () => {
    expect([0, 1, 2, 3, 4, 5].map(layoutPlacement)).toEqual([
      { ref: null, mode: undefined },
      { ref: 0, mode: 'split-right' },
      { ref: 0, mode: 'split-bottom' },
      { ref: 1, mode: 'split-bottom' },
      { ref: 0, mode: 'tab-after' },
      { ref: 1, mode: 'tab-after' }
    ]);
  });

  it('names a plot the dashboard does not list from its path', () => {
    expect(titleFromPath('individual-workers-memory')).toBe('Workers Memory');
    expect(titleFromPath('statics/individual-cluster-map.html')).toBe('Cluster Map');
    expect(titleFromPath('individual-gpu-memory')).toBe('GPU Memory');
  });
});

describe('the layout commands', () => {
  it('open a saved layout in one step, each plot placed beside the first', async () => {
    const manager = new FakeManager();
    manager.emit({ kind: 'snapshot', clusters: [makeCluster()] });
    manager.plotsAnswer = [
      { title: 'Task Stream', path: 'individual-task-stream', common: true },
      { title: 'Progress', path: 'individual-progress', common: true },
      { title: 'Workers Memory', path: 'individual-workers-memory', common: true }
    ];
    const settings = new ClusterSettings(null);
    await settings.saveLayout({
      name: 'Mine',
      // Saved on a cluster with a GPU: this one has no such plot.
      plots: ['individual-task-stream', 'individual-gpu-memory', 'individual-progress', 'individual-workers-memory']
    });
    const { app, added } = makeApp();
    const opener = addDashboardCommand(app, { manager, translator: nullTranslator, restorer: null });
    addLayoutCommands(app, { manager, settings, translator: nullTranslator, opener });

    expect(app.commands.label(CommandIDs.openLayout, { id: 'c1', name: 'Mine' })).toBe('Open Dashboard Layout: Mine');
    await app.commands.execute(CommandIDs.openLayout, { id: 'c1', name: 'Mine' });
    const widgets = added.map(a => a.widget as DashboardWidget);
    expect(widgets.map(w => [w.path, w.plotTitle])).toEqual([
      ['individual-task-stream', 'Task Stream'],
      ['individual-progress', 'Progress'],
      ['individual-workers-memory', 'Workers Memory']
    ]);
    expect(added.map(a => a.options && [a.options.ref, a.options.mode])).toEqual([
      undefined,
      [widgets[0].id, 'split-right'],
      [widgets[0].id, 'split-bottom']
    ]);

    // Opening it again rearranges: the open tabs are replaced, not duplicated.
    await app.commands.execute(CommandIDs.openLayout, { id: 'c1', name: 'Mine' });
    expect(opener.tracker.size).toBe(3);
    expect(widgets.every(w => w.isDisposed)).toBe(true);
  });

  it('open nothing for an unknown layout or an ended cluster', async () => {
    const manager = new FakeManager();
    manager.emit({ kind: 'snapshot', clusters: [makeCluster({ state: 'stopped' })] });
    const settings = new ClusterSettings(null);
    const { app, added } = makeApp();
    const opener = addDashboardCommand(app, { manager, translator: nullTranslator, restorer: null });
    addLayoutCommands(app, { manager, settings, translator: nullTranslator, opener });
    expect(app.commands.isEnabled(CommandIDs.openLayout, { id: 'c1' })).toBe(false);
    await app.commands.execute(CommandIDs.openLayout, { id: 'c1', name: 'nope' });
    expect(added).toEqual([]);
  });
});

describe('the layout dialog', () => {
  it('proposes a free name and the common plots, and returns what was chosen', async () => {
    const trans = nullTranslator.load('test');
    const answer = showLayoutDialog({
      plots: [
        { title: 'Task Stream', path: 'individual-task-stream', common: true },
        { title: 'Progress', path: 'individual-progress', common: true },
        { title: 'CPU', path: 'individual-cpu' }
      ],
      existing: [{ name: 'Layout 2', plots: ['individual-cpu'] }],
      trans
    });
    await waitForDialog();
    const dialog = document.querySelector<HTMLElement>('.jp-Dialog')!;
    // The body is a ReactWidget: it renders on its next update.
    for (let i = 0; i < 100 && !dialog.querySelector('.jp-DaskClusters-layoutName input'); i++) {
      await new Promise(resolve => setTimeout(resolve, 10));
    }
    const name = dialog.querySelector<HTMLInputElement>('.jp-DaskClusters-layoutName input')!;
    // The second layout would be "Layout 2", but that name is taken.
    expect(name.value).toBe('Layout 3');
    const boxes = [...dialog.querySelectorAll<HTMLInputElement>('input[type="checkbox"]')];
    expect(boxes.map(b => b.checked)).toEqual([true, true, false]);
    expect(dialog.querySelector('legend')?.textContent).toContain('2 chosen');
    await acceptDialog();
    expect(await answer).toEqual({
      name: 'Layout 3',
      plots: ['individual-task-stream', 'individual-progress']
    });
  });
});
