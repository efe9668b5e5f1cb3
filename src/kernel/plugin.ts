import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import type { IConsoleTracker } from '@jupyterlab/console';
import type { INotebookTracker } from '@jupyterlab/notebook';
import type { ITranslator } from '@jupyterlab/translation';
import { CommandIDs, errorMessage } from '../commands';
import type { IDaskClusterManager } from '../tokens';
import { TRANSLATION_DOMAIN } from '../tokens';
import { OPEN_DASHBOARD_URL } from './dashboardurl';
import type { IKernelPanelTracker } from './model';
import { KernelClusters } from './model';

/**
 * List the clusters made in the code of open notebooks and consoles with the manager's others.
 */
export function addKernelClusters(
  app: JupyterFrontEnd,
  options: {
    manager: IDaskClusterManager;
    translator: ITranslator;
    notebooks: INotebookTracker | null;
    consoles: IConsoleTracker | null;
  }
): KernelClusters {
  const { manager, notebooks, consoles } = options;
  const trackers: { tracker: IKernelPanelTracker; kind: 'notebook' | 'console' }[] = [];
  if (notebooks) {
    trackers.push({ tracker: notebooks, kind: 'notebook' });
  }
  if (consoles) {
    trackers.push({ tracker: consoles, kind: 'console' });
  }
  const clusters = new KernelClusters({
    client: manager.client,
    translator: options.translator,
    trackers,
    restored: app.restored
  });
  manager.addSource(clusters);
  const trans = options.translator.load(TRANSLATION_DOMAIN);
  app.commands.addCommand(OPEN_DASHBOARD_URL, {
    label: trans.__('Open a Dask Dashboard by Address'),
    caption: trans.__('List the dashboard at an address and open its status page in a tab'),
    execute: async args => {
      try {
        const id = await clusters.addDashboard(String(args.url ?? ''));
        await app.commands.execute(CommandIDs.openDashboard, {
          id,
          path: 'status',
          title: trans.__('Status')
        });
      } catch (error) {
        Notification.error(trans.__('Could not open that dashboard: %1', errorMessage(error)));
      }
    }
  });
  return clusters;
}
