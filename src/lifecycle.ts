import type { ClusterState, IClusterModel } from '../protocol';

/**
 * What a user can do with a cluster from the sidebar.
 */
export type ClusterAction =
  'insert-code' | 'scale' | 'copy-tunnel' | 'stop' | 'dismiss' | 'open-dashboard' | 'job-log' | 'adopt-elsewhere';

/**
 * Whether a cluster in this state has ended (nothing of it runs any more).
 */
export function isEnded(state: ClusterState): boolean {
  return state === 'stopped' || state === 'failed' || state === 'lost';
}

/**
 * The position of a state in the lifecycle, so an older answer never moves a cluster back.
 */
export function stateRank(state: ClusterState): number {
  switch (state) {
    case 'starting':
      return 0;
    case 'running':
      return 1;
    case 'stopping':
      return 2;
    default:
      return 3;
  }
}

/**
 * Whether an action applies to a cluster in its current state.
 */
export function canPerform(action: ClusterAction, cluster: IClusterModel | undefined): boolean {
  if (!cluster) {
    return false;
  }
  // Another JupyterLab server runs it: this companion answers 409 to everything but a stop,
  // which it passes on to that server.
  if (cluster.elsewhere && action !== 'stop' && action !== 'adopt-elsewhere') {
    return false;
  }
  switch (action) {
    case 'insert-code':
    case 'scale':
      return cluster.state === 'running';
    case 'open-dashboard':
      return cluster.state === 'running' && cluster.hasDashboard;
    case 'copy-tunnel':
      return cluster.state === 'running' && !!cluster.tunnelCommand;
    case 'stop':
      return cluster.state === 'starting' || cluster.state === 'running';
    case 'dismiss':
      return isEnded(cluster.state);
    case 'job-log':
      return true;
    case 'adopt-elsewhere':
      // Only a runner that keeps running listens on a socket another server of this host can reach.
      return cluster.state === 'running' && !!cluster.elsewhere?.sameHost && !!cluster.keepRunning;
  }
}
