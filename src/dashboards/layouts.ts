import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import type { ITranslator } from '@jupyterlab/translation';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import type { IPlot } from '../../protocol';
import { CommandIDs, errorMessage, resolveCluster } from '../commands';
import { daskIcon } from '../icons';
import { canPerform } from '../lifecycle';
import type { IDaskClusterManager, IDaskClusterSettings } from '../tokens';
import { TRANSLATION_DOMAIN } from '../tokens';
import type { IDashboardOpener } from './commands';

/**
 * Register the commands that open a set of plots together and that make a new layout.
 */
export function addLayoutCommands(
  app: JupyterFrontEnd,
  options: {
    manager: IDaskClusterManager;
    settings: IDaskClusterSettings;
    translator: ITranslator;
    opener: IDashboardOpener;
  }
): void {
  const { manager, settings, translator, opener } = options;
  const trans = translator.load(TRANSLATION_DOMAIN);
  const applies = (args: ReadonlyPartialJSONObject) =>
    canPerform('open-dashboard', resolveCluster(app, manager, args, 'open-dashboard'));

  // Arranging the tabs loads on first use, not with the page.
  const open = async (id: string, wanted: ReadonlyArray<string>) =>
    (await import('./arrange')).openArranged({ app, manager, opener, trans }, id, wanted);

  app.commands.addCommand(CommandIDs.openLayout, {
    label: args =>
      typeof args.name === 'string'
        ? trans.__('Open Dashboard Layout: %1', args.name)
        : trans.__('Open Dashboard Layout'),
    caption: trans.__('Open several plots of the cluster together, arranged'),
    icon: daskIcon,
    isEnabled: applies,
    execute: async args => {
      const cluster = resolveCluster(app, manager, args, 'open-dashboard');
      const layout = settings.current.dashboardLayouts.find(l => l.name === args.name);
      const paths = Array.isArray(args.plots)
        ? args.plots.filter((p): p is string => typeof p === 'string')
        : layout?.plots;
      if (!cluster || !paths?.length) {
        return;
      }
      await open(cluster.id, paths);
    }
  });

  app.commands.addCommand(CommandIDs.editLayout, {
    label: trans.__('New Dashboard Layout…'),
    caption: trans.__('Choose plots that open together, save them as a layout and open it'),
    icon: daskIcon,
    isEnabled: applies,
    execute: async args => {
      const cluster = resolveCluster(app, manager, args, 'open-dashboard');
      if (!cluster) {
        return;
      }
      let plots: IPlot[];
      try {
        plots = await manager.plots(cluster.id);
      } catch (error) {
        Notification.error(trans.__('The plots of %1 are unavailable: %2', cluster.name, errorMessage(error)));
        return;
      }
      // The layout dialog loads on first use, not with the page.
      const { showLayoutDialog } = await import('./layoutdialog');
      const layout = await showLayoutDialog({
        plots,
        existing: settings.current.dashboardLayouts,
        trans
      });
      if (!layout) {
        return;
      }
      try {
        await settings.saveLayout(layout);
        Notification.success(trans.__('Saved layout %1', layout.name), {
          autoClose: 3000
        });
      } catch (error) {
        Notification.error(trans.__('Could not save layout %1: %2', layout.name, errorMessage(error)));
      }
      await open(cluster.id, layout.plots);
    }
  });
}
