import type { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import { WidgetTracker } from '@jupyterlab/apputils';
import type { ITranslator } from '@jupyterlab/translation';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { CommandIDs, resolveCluster } from '../commands';
import { daskIcon } from '../icons';
import { canPerform } from '../lifecycle';
import type { IDaskClusterManager } from '../tokens';
import { TRANSLATION_DOMAIN } from '../tokens';
import type { DashboardWidget } from './widget';

/**
 * The dashboard page opened when no plot is named.
 */
export const DEFAULT_DASHBOARD_PATH = 'status';

/**
 * Register the command that opens dashboard tabs, and restore the tabs of live clusters after a reload.
 */
export function addDashboardCommand(
  app: JupyterFrontEnd,
  options: {
    manager: IDaskClusterManager;
    translator: ITranslator;
    restorer: ILayoutRestorer | null;
  }
): IDashboardOpener {
  const { manager, translator, restorer } = options;
  const trans = translator.load(TRANSLATION_DOMAIN);
  const tracker = new WidgetTracker<DashboardWidget>({
    namespace: 'dask-clusters-dashboard'
  });

  // A restored tab's cluster may not be listed yet: any id is trusted, but not one another JupyterLab runs.
  const applies = (args: ReadonlyPartialJSONObject) =>
    typeof args.id === 'string'
      ? !manager.get(args.id)?.elsewhere
      : canPerform('open-dashboard', resolveCluster(app, manager, args, 'open-dashboard'));
  app.commands.addCommand(CommandIDs.openDashboard, {
    label: args =>
      typeof args.title === 'string'
        ? trans.__('Open Dask Dashboard: %1', args.title)
        : trans.__('Open Dask Dashboard'),
    caption: trans.__('Show a dashboard page of the cluster in a tab'),
    icon: daskIcon,
    isEnabled: applies,
    isVisible: applies,
    execute: args => {
      // A restored tab's cluster may not be listed yet: trust the id it was saved with.
      const id = typeof args.id === 'string' ? args.id : resolveCluster(app, manager, args, 'open-dashboard')?.id;
      if (!id) {
        return;
      }
      return openPlot({
        id,
        path: typeof args.path === 'string' ? args.path : DEFAULT_DASHBOARD_PATH,
        title: typeof args.title === 'string' ? args.title : trans.__('Dashboard'),
        ...(typeof args.name === 'string' ? { name: args.name } : {}),
        restored: args.restored === true
      });
    }
  });

  /**
   * Show a plot: its existing tab, or a new one placed by `options`.
   */
  const openPlot = async (plot: IOpenPlot): Promise<DashboardWidget | undefined> => {
    const find = () => tracker.find(w => w.clusterId === plot.id && w.path === plot.path);
    if (!find()) {
      // The tab's code loads with the first dashboard, not with the page.
      const { DashboardWidget } = await import('./widget');
      // Another call may have opened it while the code loaded.
      if (!find()) {
        return addTab(
          app,
          tracker,
          new DashboardWidget({
            manager,
            clusterId: plot.id,
            path: plot.path,
            plotTitle: plot.title,
            clusterName: plot.name,
            translator,
            restored: plot.restored
          }),
          plot
        );
      }
    }
    const existing = find()!;
    app.shell.activateById(existing.id);
    return existing;
  };

  if (restorer) {
    void restorer.restore(tracker, {
      command: CommandIDs.openDashboard,
      args: widget => ({
        id: widget.clusterId,
        path: widget.path,
        title: widget.plotTitle,
        ...(widget.clusterName !== undefined ? { name: widget.clusterName } : {}),
        restored: true
      }),
      name: widget => `${widget.clusterId}/${widget.path}`
    });
  }
  return { tracker, openPlot };
}

/**
 * Put a new dashboard tab in the main area (after the current tab unless the plot says where) and track it.
 */
function addTab(
  app: JupyterFrontEnd,
  tracker: WidgetTracker<DashboardWidget>,
  widget: DashboardWidget,
  plot: IOpenPlot
): DashboardWidget | undefined {
  if (widget.isDisposed) {
    return;
  }
  void tracker.add(widget);
  app.shell.add(widget, 'main', plot.placement);
  if (!plot.restored) {
    app.shell.activateById(widget.id);
  }
  return widget;
}

/**
 * A plot to show in a tab, and where a new tab goes.
 */
export interface IOpenPlot {
  id: string;
  path: string;
  title: string;
  /**
   * The cluster's name, saved with a restored tab so that it is titled before the list arrives.
   */
  name?: string;
  /**
   * Whether the layout restorer re-creates this tab after a reload.
   */
  restored?: boolean;
  /**
   * Where in the main area a new tab goes; after the current tab when absent.
   */
  placement?: Parameters<JupyterFrontEnd.IShell['add']>[2];
}

/**
 * What the dashboard command leaves for other commands: its tabs, and the function that opens one.
 */
export interface IDashboardOpener {
  tracker: WidgetTracker<DashboardWidget>;
  openPlot: (plot: IOpenPlot) => Promise<DashboardWidget | undefined>;
}
