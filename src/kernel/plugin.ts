import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import type { IConsoleTracker } from '@jupyterlab/console';
import type { INotebookTracker } from '@jupyterlab/notebook';
import type { ITranslator } from '@jupyterlab/translation';
import { Signal } from '@lumino/signaling';
import type { IClusterModel, IPlot } from '../../protocol';
import { CommandIDs, errorMessage, OPEN_DASHBOARD_URL } from '../commands';
import type { IClusterSource, IDaskClusterManager } from '../tokens';
import { TRANSLATION_DOMAIN } from '../tokens';
import type { IKernelPanelTracker, KernelClusters } from './model';

/**
 * List the clusters made in the code of open notebooks and consoles with the manager's others.
 *
 * The kernel side (its bootstrap code, the comms, the reports) loads with the first notebook or
 * console, or when a dashboard address is entered, not with the page.
 */
export function addKernelClusters(
  app: JupyterFrontEnd,
  options: {
    manager: IDaskClusterManager;
    translator: ITranslator;
    notebooks: INotebookTracker | null;
    consoles: IConsoleTracker | null;
  }
): void {
  const { manager, notebooks, consoles } = options;
  const trackers: { tracker: IKernelPanelTracker; kind: 'notebook' | 'console' }[] = [];
  if (notebooks) {
    trackers.push({ tracker: notebooks, kind: 'notebook' });
  }
  if (consoles) {
    trackers.push({ tracker: consoles, kind: 'console' });
  }
  let clusters: Promise<KernelClusters> | null = null;
  const load = (): Promise<KernelClusters> => {
    if (clusters === null) {
      // Until the code is there, restored dashboard tabs wait as they wait for busy kernels.
      const loading = manager.addSource(new Private.Loading());
      clusters = import('./model')
        .then(({ KernelClusters }) => {
          const source = new KernelClusters({
            client: manager.client,
            translator: options.translator,
            trackers,
            restored: app.restored
          });
          manager.addSource(source);
          return source;
        })
        .finally(() => loading.dispose());
    }
    return clusters;
  };
  for (const { tracker } of trackers) {
    if (tracker.currentWidget) {
      void load();
    }
    tracker.widgetAdded.connect(() => void load());
  }
  const trans = options.translator.load(TRANSLATION_DOMAIN);
  app.commands.addCommand(OPEN_DASHBOARD_URL, {
    label: trans.__('Open a Dask Dashboard by Address'),
    caption: trans.__('List the dashboard at an address and open its status page in a tab'),
    execute: async args => {
      try {
        const id = await (await load()).addDashboard(String(args.url ?? ''));
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
}

namespace Private {
  /**
   * Stands for the kernel clusters while their code loads: lists nothing and is not ready yet.
   */
  export class Loading implements IClusterSource {
    readonly changed = new Signal<this, void>(this);
    readonly clusters: ReadonlyArray<IClusterModel> = [];
    readonly ready = false;

    has(): boolean {
      return false;
    }

    scale(): Promise<void> {
      return Promise.reject(new Error('The kernel clusters are still loading.'));
    }

    stop(): Promise<void> {
      return this.scale();
    }

    snippet(): Promise<string> {
      return Promise.reject(new Error('The kernel clusters are still loading.'));
    }

    plots(): Promise<IPlot[]> {
      return Promise.reject(new Error('The kernel clusters are still loading.'));
    }
  }
}
