import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { IPlot } from '../../protocol';
import type { IDaskClusterManager } from '../tokens';
import type { IDashboardOpener } from './commands';
import type { DashboardWidget } from './widget';

/**
 * Where the n-th plot of a layout goes: a 2×2 grid (right of the first, below the first, below the second), then tabs in those cells.
 */
export function layoutPlacement(index: number): {
  ref: number | null;
  mode: 'split-right' | 'split-bottom' | 'tab-after' | undefined;
} {
  switch (index) {
    case 0:
      return { ref: null, mode: undefined };
    case 1:
      return { ref: 0, mode: 'split-right' };
    case 2:
      return { ref: 0, mode: 'split-bottom' };
    case 3:
      return { ref: 1, mode: 'split-bottom' };
    default:
      return { ref: index % 4, mode: 'tab-after' };
  }
}

/**
 * A plot's title when the dashboard does not list it: "individual-task-stream" -> "Task Stream".
 */
export function titleFromPath(path: string): string {
  return path
    .replace(/^.*\//, '')
    .replace(/\.html$/, '')
    .replace(/^individual-/, '')
    .split('-')
    .map(word =>
      ['cpu', 'gpu', 'rmm'].includes(word) ? word.toUpperCase() : word.charAt(0).toUpperCase() + word.slice(1)
    )
    .join(' ');
}

/**
 * Open plots of a cluster arranged together (those its dashboard lacks are left out, saying so); the first is activated.
 */
export async function openArranged(
  context: {
    app: JupyterFrontEnd;
    manager: IDaskClusterManager;
    opener: IDashboardOpener;
    trans: TranslationBundle;
  },
  id: string,
  wanted: ReadonlyArray<string>
): Promise<void> {
  const { app, manager, opener, trans } = context;
  const listed = await manager.plots(id).catch((): IPlot[] => []);
  // A layout saved on another cluster may name a plot this one lacks (GPU).
  const paths = listed.length ? wanted.filter(path => listed.some(p => p.path === path)) : wanted;
  const missing = wanted.filter(path => !paths.includes(path));
  if (missing.length) {
    Notification.info(
      trans.__('Left out, as this dashboard does not have them: %1', missing.map(titleFromPath).join(', ')),
      { autoClose: 5000 }
    );
  }
  const widgets: Array<DashboardWidget | undefined> = [];
  for (const [index, path] of paths.entries()) {
    // A tab already open moves into the arrangement: reopened in its place.
    opener.tracker.find(w => w.clusterId === id && w.path === path)?.dispose();
    const { ref, mode } = layoutPlacement(index);
    const neighbour = ref === null ? undefined : widgets[ref];
    widgets.push(
      await opener.openPlot({
        id,
        path,
        title: listed.find(p => p.path === path)?.title ?? titleFromPath(path),
        placement: neighbour && { ref: neighbour.id, mode, activate: false }
      })
    );
  }
  const first = widgets.find(w => w !== undefined);
  if (first) {
    app.shell.activateById(first.id);
  }
}
