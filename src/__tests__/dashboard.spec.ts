import { nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import { DashboardWidget } from '../dashboards/widget';
import { FakeManager, makeCluster } from './fixtures';

function open(manager: FakeManager, restored = false): DashboardWidget {
  const widget = new DashboardWidget({
    manager,
    clusterId: 'c1',
    path: 'individual-task-stream',
    plotTitle: 'Task Stream',
    translator: nullTranslator,
    restored
  });
  if (!widget.isDisposed) {
    Widget.attach(widget, document.body);
  }
  return widget;
}

describe('DashboardWidget', () => {
  it('frames the proxied plot with a sandbox, titled by plot and cluster', () => {
    const manager = new FakeManager();
    manager.emit({ kind: 'snapshot', clusters: [makeCluster({ name: 'etl' })] });
    const widget = open(manager);
    expect(widget.hasClass('jp-DaskClusters-dashboard')).toBe(true);
    expect(widget.title.label).toBe('Task Stream — etl');
    const frame = widget.node.querySelector('iframe');
    expect(frame?.getAttribute('src')).toBe('http://lab.example/dask-clusters/dashboard/c1/individual-task-stream');
    expect(frame?.getAttribute('sandbox')).toBe('allow-scripts allow-same-origin allow-forms allow-popups');
    expect(widget.node.querySelector('.jp-DaskClusters-dashboard-stopped')).toBeNull();
    widget.dispose();
  });

  it('replaces the frame by a notice when the cluster stops', () => {
    const manager = new FakeManager();
    manager.emit({ kind: 'snapshot', clusters: [makeCluster({ name: 'etl' })] });
    const widget = open(manager);
    manager.emit({
      kind: 'cluster',
      cluster: makeCluster({ name: 'etl', state: 'stopping' })
    });
    expect(widget.node.querySelector('iframe')).not.toBeNull();
    manager.emit({ kind: 'cluster', cluster: makeCluster({ name: 'etl', state: 'stopped' }) });
    expect(widget.node.querySelector('iframe')).toBeNull();
    expect(widget.node.querySelector('.jp-DaskClusters-dashboard-stopped')?.textContent).toBe(
      'Cluster etl stopped — this dashboard is no longer live'
    );
    expect(widget.content.isStopped).toBe(true);
    widget.dispose();
  });

  it('keeps its cluster’s name and says "(stopped)" and why once the cluster ends', () => {
    const manager = new FakeManager();
    manager.emit({ kind: 'snapshot', clusters: [makeCluster({ name: 'etl' })] });
    const widget = open(manager);
    manager.emit({
      kind: 'cluster',
      cluster: makeCluster({ name: 'etl', state: 'stopped', endReason: 'Idle for 30 minutes.' })
    });
    expect(widget.title.label).toBe('Task Stream — etl (stopped)');
    const notice = widget.node.querySelector('.jp-DaskClusters-dashboard-stopped');
    expect(notice?.textContent).toBe('Cluster etl stopped — this dashboard is no longer live' + 'Idle for 30 minutes.');
    expect(notice?.querySelector('.jp-DaskClusters-dashboard-endReason')?.textContent).toBe('Idle for 30 minutes.');
    // Cleared from the list: the tab still has the name, never the id.
    manager.emit({ kind: 'removed', id: 'c1' });
    expect(widget.title.label).toBe('Task Stream — etl (stopped)');
    expect(widget.clusterName).toBe('etl');
    widget.dispose();
  });

  it('says a failed cluster failed, with its error', () => {
    const manager = new FakeManager();
    manager.emit({ kind: 'snapshot', clusters: [makeCluster({ name: 'etl' })] });
    const widget = open(manager);
    manager.emit({
      kind: 'cluster',
      cluster: makeCluster({ name: 'etl', state: 'failed', error: 'Runner exited 1.' })
    });
    expect(widget.title.label).toBe('Task Stream — etl (stopped)');
    expect(widget.node.querySelector('.jp-DaskClusters-dashboard-stopped p')?.textContent).toBe(
      'Cluster etl failed — this dashboard is no longer live'
    );
    expect(widget.node.querySelector('.jp-DaskClusters-dashboard-endReason')?.textContent).toBe('Runner exited 1.');
    widget.dispose();
  });

  it('titles a restored tab with the name it was saved with before the list arrives', () => {
    const manager = new FakeManager();
    const widget = new DashboardWidget({
      manager,
      clusterId: 'c1',
      path: 'individual-task-stream',
      plotTitle: 'Task Stream',
      clusterName: 'etl',
      translator: nullTranslator,
      restored: true
    });
    expect(widget.title.label).toBe('Task Stream — etl');
    widget.dispose();
  });

  it('treats a cluster that vanished from the list as ended', () => {
    const manager = new FakeManager();
    manager.emit({ kind: 'snapshot', clusters: [makeCluster({ name: 'etl' })] });
    const widget = open(manager);
    manager.emit({ kind: 'removed', id: 'c1' });
    expect(widget.node.querySelector('.jp-DaskClusters-dashboard-stopped')).not.toBeNull();
    widget.dispose();
  });

  it('waits for the first snapshot before judging a restored tab', () => {
    const manager = new FakeManager();
    const live = open(manager, true);
    expect(live.node.querySelector('iframe')).not.toBeNull();
    manager.emit({ kind: 'snapshot', clusters: [makeCluster({ name: 'etl' })] });
    expect(live.isDisposed).toBe(false);
    expect(live.title.label).toBe('Task Stream — etl');
    live.dispose();

    const other = new FakeManager();
    const stale = open(other, true);
    other.emit({ kind: 'snapshot', clusters: [makeCluster({ state: 'failed' })] });
    // A tab restored for a cluster that ended while the page was away closes itself.
    expect(stale.isDisposed).toBe(true);
  });
});
