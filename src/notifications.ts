import { Notification } from '@jupyterlab/apputils';
import type { ITranslator } from '@jupyterlab/translation';
import type { IDisposable } from '@lumino/disposable';
import { DisposableDelegate } from '@lumino/disposable';
import type { IClusterModel } from '../protocol';
import type { IDaskClusterManager } from './tokens';
import { TRANSLATION_DOMAIN } from './tokens';

/**
 * Say in a notification when a cluster ends without the user's Stop and the
 * companion says why (its end reason or error), so an end in a hidden
 * sidebar is not missed. Dispose the result to stop.
 */
export function notifyClusterEnds(
  manager: IDaskClusterManager,
  options: {
    translator: ITranslator;
    /**
     * Show the cluster list (the notification's action); none without it.
     */
    show?: () => void;
  }
): IDisposable {
  const trans = options.translator.load(TRANSLATION_DOMAIN);
  const onEnded = (_: IDaskClusterManager, cluster: IClusterModel) => {
    const reason = cluster.endReason || cluster.error;
    if (!reason) {
      return;
    }
    const actions = options.show ? [{ label: trans.__('Show clusters'), callback: options.show }] : [];
    switch (cluster.state) {
      case 'failed':
        // A failure may need acting on: it stays until dismissed.
        Notification.error(trans.__('Cluster %1 failed: %2', cluster.name, reason), { autoClose: false, actions });
        break;
      case 'lost':
        Notification.warning(trans.__('Cluster %1 was lost: %2', cluster.name, reason), { actions });
        break;
      default:
        Notification.info(trans.__('Cluster %1 stopped: %2', cluster.name, reason), { actions });
    }
  };
  manager.ended.connect(onEnded);
  return new DisposableDelegate(() => manager.ended.disconnect(onEnded));
}
