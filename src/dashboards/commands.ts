import type { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import { WidgetTracker } from '@jupyterlab/apputils';
import type { ITranslator } from '@jupyterlab/translation';
import { CommandIDs, resolveCluster } from '../commands';
import { daskIcon } from '../icons';
import { canPerform } from '../lifecycle';
import type { IDaskClusterManager } from '../tokens';
import { TRANSLATION_DOMAIN } from '../tokens';
import { DashboardWidget } from './widget';

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
): WidgetTracker<DashboardWidget> {
  const { manager, translator, restorer } = options;
  const trans = translator.load(TRANSLATION_DOMAIN);
  const tracker = new WidgetTracker<DashboardWidget>({
    namespace: 'dask-clusters-dashboard'
  });

  app.commands.addCommand(CommandIDs.openDashboard, {
    label: args =>
      typeof args.title === 'string'
        ? trans.__('Open Dask Dashboard: %1', args.title)
        : trans.__('Open Dask Dashboard'),
    caption: trans.__('Show a dashboard page of the cluster in a tab'),
    icon: daskIcon,
    isEnabled: args =>
      typeof args.id === 'string' ||
      canPerform(
        'open-dashboard',
        resolveCluster(app, manager, args, 'open-dashboard')
      ),
    execute: args => {
      // A restored tab's cluster may not be listed yet: trust the id it was saved with.
      const id =
        typeof args.id === 'string'
          ? args.id
          : resolveCluster(app, manager, args, 'open-dashboard')?.id;
      if (!id) {
        return;
      }
      const path =
        typeof args.path === 'string' ? args.path : DEFAULT_DASHBOARD_PATH;
      const existing = tracker.find(
        w => w.clusterId === id && w.path === path
      );
      if (existing) {
        app.shell.activateById(existing.id);
        return existing;
      }
      const widget = new DashboardWidget({
        manager,
        clusterId: id,
        path,
        plotTitle:
          typeof args.title === 'string' ? args.title : trans.__('Dashboard'),
        translator,
        restored: args.restored === true
      });
      if (widget.isDisposed) {
        return;
      }
      void tracker.add(widget);
      app.shell.add(widget, 'main');
      if (args.restored !== true) {
        app.shell.activateById(widget.id);
      }
      return widget;
    }
  });

  if (restorer) {
    void restorer.restore(tracker, {
      command: CommandIDs.openDashboard,
      args: widget => ({
        id: widget.clusterId,
        path: widget.path,
        title: widget.plotTitle,
        restored: true
      }),
      name: widget => `${widget.clusterId}/${widget.path}`
    });
  }
  return tracker;
}
