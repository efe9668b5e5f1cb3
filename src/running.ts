import type { IRunningSessionManagers, IRunningSessions } from '@jupyterlab/running';
import { Notification } from '@jupyterlab/apputils';
import type { ITranslator } from '@jupyterlab/translation';
import type { CommandRegistry } from '@lumino/commands';
import type { IDisposable } from '@lumino/disposable';
import type { IClusterModel } from '../protocol';
import { CommandIDs, errorMessage, RUNNING_CONTEXT_PREFIX, RUNNING_ITEM_CLASS } from './commands';
import { formatBytes, stateLabel } from './format';
import { daskIcon } from './icons';
import { canPerform, isEnded } from './lifecycle';
import type { IDaskClusterManager } from './tokens';
import { TRANSLATION_DOMAIN } from './tokens';

/**
 * List the live clusters as their own section of the Running panel: clicking one opens its dashboard, its button stops it.
 */
export function addRunningClusters(
  managers: IRunningSessionManagers,
  options: {
    manager: IDaskClusterManager;
    commands: CommandRegistry;
    translator: ITranslator;
  }
): IDisposable {
  const { manager, commands, translator } = options;
  const trans = translator.load(TRANSLATION_DOMAIN);
  const live = () => manager.clusters.filter(c => !isEnded(c.state));
  // Stop All stops this JupyterLab's clusters; another one's is stopped one by one, each confirmed.
  const ours = () => live().filter(c => !c.elsewhere && canPerform('stop', c));

  const item = (cluster: IClusterModel): IRunningSessions.IRunningItem => {
    const args = { id: cluster.id };
    // The panel is narrow: the workers while it runs, else the state.
    const detail =
      cluster.state === 'running'
        ? trans._n('%1 worker', '%1 workers', cluster.workers)
        : stateLabel(trans, cluster.state);
    return {
      className: RUNNING_ITEM_CLASS,
      context: `${RUNNING_CONTEXT_PREFIX}${cluster.id}`,
      icon: () => daskIcon,
      label: () => cluster.name,
      labelTitle: () =>
        canPerform('open-dashboard', cluster)
          ? trans.__(
              'Open the dashboard of %1 (%2 cluster, %3 cores, %4)',
              cluster.name,
              cluster.type,
              cluster.cores,
              formatBytes(cluster.memory)
            )
          : trans.__('%1 (%2 cluster)', cluster.name, cluster.type),
      detail: () => detail,
      open: () => {
        // A starting cluster has no dashboard yet; the command trusts any id.
        if (canPerform('open-dashboard', manager.get(cluster.id))) {
          void commands.execute(CommandIDs.openDashboard, args);
        }
      },
      shutdown: canPerform('stop', cluster) ? () => void commands.execute(CommandIDs.stop, args) : undefined
    };
  };

  return managers.add({
    name: trans.__('Dask Clusters'),
    supportsMultipleViews: false,
    running: () => live().map(item),
    refreshRunning: () => undefined,
    runningChanged: manager.changed,
    shutdownLabel: trans.__('Stop Dask Cluster'),
    shutdownAllLabel: trans.__('Stop All'),
    shutdownAllConfirmationText: () =>
      trans.__('Stop all %1 Dask clusters? Their workers and the results they hold are lost.', ours().length),
    shutdownAll: () => {
      for (const cluster of ours()) {
        manager
          .stop(cluster.id)
          .catch(error => Notification.error(trans.__('Could not stop %1: %2', cluster.name, errorMessage(error))));
      }
    }
  });
}
