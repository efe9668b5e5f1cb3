import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';
import { CommandIDs } from '../commands';
import { ClusterSettings } from '../settings';
import { ClusterSidebar } from '../sidebar/sidebar';
import { FakeManager, makeCluster } from './fixtures';

/**
 * Let React render what the signals asked for.
 */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise(resolve => setTimeout(resolve, 0));
  }
}

/**
 * Wait until a condition holds (React renders effects on its own schedule).
 */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) {
    await new Promise(resolve => setTimeout(resolve, 10));
  }
  expect(condition()).toBe(true);
}

function setup() {
  const manager = new FakeManager();
  const commands = new CommandRegistry();
  const executed: string[] = [];
  for (const id of Object.values(CommandIDs)) {
    commands.addCommand(id, {
      label: id,
      execute: args => {
        executed.push(`${id} ${JSON.stringify(args)}`);
      }
    });
  }
  const sidebar = new ClusterSidebar({ manager, commands, translator: nullTranslator });
  Widget.attach(sidebar, document.body);
  return { manager, commands, executed, sidebar };
}

function item(sidebar: Widget, id: string): HTMLElement {
  const node = sidebar.node.querySelector<HTMLElement>(`.jp-DaskClusters-item[data-cluster-id="${id}"]`);
  if (!node) {
    throw new Error(`no item ${id}`);
  }
  return node;
}

/**
 * Type into a React-controlled input.
 */
function type(input: HTMLInputElement, value: string): void {
  Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.call(input, value);
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

function text(root: HTMLElement, selector: string): string | null | undefined {
  return root.querySelector(selector)?.textContent;
}

describe('ClusterSidebar', () => {
  let context: ReturnType<typeof setup>;
  beforeEach(() => {
    context = setup();
  });
  afterEach(() => {
    context.sidebar.dispose();
  });

  it('has its id, title and New button', async () => {
    const { sidebar, executed } = context;
    await settle();
    expect(sidebar.id).toBe('dask-clusters-sidebar');
    expect(sidebar.title.caption).toBe('Dask Clusters');
    expect(sidebar.title.icon).toBeTruthy();
    const button = sidebar.node.querySelector<HTMLElement>('.jp-DaskClusters-new');
    expect(button).not.toBeNull();
    button?.click();
    expect(executed).toEqual([`${CommandIDs.create} {}`]);
  });

  it('renders items with state and live counts', async () => {
    const { sidebar, manager } = context;
    manager.emit({
      kind: 'snapshot',
      clusters: [
        makeCluster({ id: 'a', name: 'etl', workers: 3, cores: 12, memory: 24 * 1024 ** 3 }),
        makeCluster({
          id: 'b',
          name: 'batch',
          type: 'slurm',
          state: 'starting',
          workers: 0,
          cores: 0,
          memory: 0,
          jobs: [{ id: '812', state: 'PENDING', reason: 'Resources' }]
        })
      ]
    });
    await settle();
    const a = item(sidebar, 'a');
    expect(a.dataset.state).toBe('running');
    expect(text(a, '.jp-DaskClusters-name')).toBe('etl');
    expect(text(a, '.jp-DaskClusters-state')).toBe('running');
    expect(text(a, '.jp-DaskClusters-workers')).toBe('3');
    expect(text(a, '.jp-DaskClusters-cores')).toBe('12');
    expect(text(a, '.jp-DaskClusters-memory')).toBe('24 GiB');
    expect(text(a, '.jp-DaskClusters-environment')).toBe('science');
    const b = item(sidebar, 'b');
    expect(b.dataset.state).toBe('starting');
    expect(text(b, '.jp-DaskClusters-workers')).toBe('0');
    expect(text(b, '.jp-DaskClusters-jobs')).toContain('Resources');

    manager.emit({ kind: 'cluster', cluster: makeCluster({ id: 'b', state: 'running', workers: 4 }) });
    await settle();
    expect(item(sidebar, 'b').dataset.state).toBe('running');
    expect(text(item(sidebar, 'b'), '.jp-DaskClusters-workers')).toBe('4');
  });

  it('offers the actions of each state and runs them with the cluster id', async () => {
    const { sidebar, manager, executed } = context;
    manager.emit({
      kind: 'snapshot',
      clusters: [
        makeCluster({ id: 'run', tunnelCommand: 'ssh -L 8787:node:8787 login' }),
        makeCluster({ id: 'gone', state: 'stopped' })
      ]
    });
    await settle();
    const run = item(sidebar, 'run');
    for (const cls of ['insert', 'scale', 'tunnel', 'stop']) {
      expect(run.querySelector(`.jp-DaskClusters-${cls}`)).not.toBeNull();
    }
    expect(run.querySelector('.jp-DaskClusters-dismiss')).toBeNull();
    const gone = item(sidebar, 'gone');
    expect(gone.querySelector('.jp-DaskClusters-stop')).toBeNull();
    expect(gone.querySelector('.jp-DaskClusters-insert')).toBeNull();

    run.querySelector<HTMLElement>('.jp-DaskClusters-stop')?.click();
    gone.querySelector<HTMLElement>('.jp-DaskClusters-dismiss')?.click();
    expect(executed).toEqual([`${CommandIDs.stop} {"id":"run"}`, `${CommandIDs.dismiss} {"id":"gone"}`]);
  });

  it('shows the plots of a running cluster as buttons that open tabs', async () => {
    const { sidebar, manager, executed } = context;
    manager.plotsAnswer = [
      { title: 'Task Stream', path: 'individual-task-stream' },
      { title: 'Progress', path: 'individual-progress' }
    ];
    manager.emit({ kind: 'snapshot', clusters: [makeCluster()] });
    await waitFor(() => sidebar.node.querySelector('.jp-DaskClusters-plot') !== null);
    const plots = item(sidebar, 'c1').querySelectorAll<HTMLElement>('.jp-DaskClusters-plot');
    expect([...plots].map(p => p.textContent)).toEqual(['Task Stream', 'Progress']);
    plots[0].click();
    expect(executed).toEqual([
      `${CommandIDs.openDashboard} {"id":"c1","path":"individual-task-stream","title":"Task Stream"}`
    ]);
  });

  it('labels every action with visible text, a tooltip and an accessible name', async () => {
    const { sidebar, manager } = context;
    manager.emit({
      kind: 'snapshot',
      clusters: [makeCluster({ id: 'run', tunnelCommand: 'ssh -L 8787:node:8787 login' })]
    });
    await settle();
    const buttons = [...item(sidebar, 'run').querySelectorAll<HTMLElement>('.jp-DaskClusters-action')];
    expect(buttons.map(b => b.textContent)).toEqual(['Code', 'Scale', 'Tunnel', 'Stop']);
    for (const button of buttons) {
      expect(button.getAttribute('aria-label')).toMatch(/^dask-clusters:/);
      expect(button.title).toBe(button.getAttribute('aria-label'));
    }
  });

  it('shows the common plots first and the others behind a searchable "More plots"', async () => {
    const { sidebar, manager, executed } = context;
    manager.plotsAnswer = [
      { title: 'Task Stream', path: 'individual-task-stream', common: true },
      { title: 'Progress', path: 'individual-progress', common: true },
      { title: 'Workers Memory', path: 'individual-workers-memory', common: true },
      { title: 'Task Graph', path: 'individual-graph', common: true },
      { title: 'Cluster Memory', path: 'individual-cluster-memory' },
      { title: 'CPU', path: 'individual-cpu' },
      { title: 'Memory By Key', path: 'individual-memory-by-key' }
    ];
    manager.emit({ kind: 'snapshot', clusters: [makeCluster()] });
    await waitFor(() => sidebar.node.querySelector('.jp-DaskClusters-plot') !== null);
    const node = item(sidebar, 'c1');
    const titles = () => [...node.querySelectorAll<HTMLElement>('.jp-DaskClusters-plot')].map(p => p.textContent);
    expect(titles()).toEqual(['Task Stream', 'Progress', 'Workers Memory', 'Task Graph']);
    const more = node.querySelector<HTMLButtonElement>('.jp-DaskClusters-morePlots')!;
    expect(more.textContent).toBe('More plots (3)');
    expect(more.getAttribute('aria-expanded')).toBe('false');

    more.click();
    await settle();
    expect(more.getAttribute('aria-expanded')).toBe('true');
    expect(titles()).toHaveLength(7);
    const search = node.querySelector<HTMLInputElement>('.jp-DaskClusters-plotFilter')!;
    expect(search.getAttribute('aria-label')).toBe('Search plots');
    type(search, 'memory');
    await settle();
    expect(titles()).toEqual([
      'Task Stream',
      'Progress',
      'Workers Memory',
      'Task Graph',
      'Cluster Memory',
      'Memory By Key'
    ]);
    type(search, 'gpu');
    await settle();
    expect(node.querySelector('.jp-DaskClusters-noPlot')?.textContent).toBe('No plot matches "gpu"');
    type(search, 'cpu');
    await settle();
    node.querySelectorAll<HTMLElement>('.jp-DaskClusters-plot')[4].click();
    expect(executed).toEqual([`${CommandIDs.openDashboard} {"id":"c1","path":"individual-cpu","title":"CPU"}`]);
  });

  it('offers the saved layouts and a new one on a running cluster', async () => {
    const { manager, commands, executed } = context;
    const settings = new ClusterSettings(null);
    await settings.saveLayout({ name: 'Overview', plots: ['individual-progress'] });
    const sidebar = new ClusterSidebar({ manager, commands, translator: nullTranslator, settings });
    Widget.attach(sidebar, document.body);
    manager.plotsAnswer = [{ title: 'Progress', path: 'individual-progress', common: true }];
    manager.emit({ kind: 'snapshot', clusters: [makeCluster()] });
    await waitFor(() => sidebar.node.querySelector('.jp-DaskClusters-layout') !== null);
    const layouts = () => [...item(sidebar, 'c1').querySelectorAll<HTMLElement>('.jp-DaskClusters-layout')];
    expect(layouts().map(b => b.textContent)).toEqual(['Overview', 'New layout…']);
    expect(layouts()[0].title).toBe('Open Overview together: Progress');
    await settings.saveLayout({ name: 'Memory', plots: ['individual-progress'] });
    await waitFor(() => layouts().length === 3);
    layouts()[0].click();
    layouts()[2].click();
    expect(executed).toEqual([
      `${CommandIDs.openLayout} {"id":"c1","name":"Overview"}`,
      `${CommandIDs.editLayout} {"id":"c1"}`
    ]);
    sidebar.dispose();
  });

  it('shows why a cluster failed, with its log tail', async () => {
    const { sidebar, manager } = context;
    manager.emit({
      kind: 'snapshot',
      clusters: [
        makeCluster({
          state: 'failed',
          error: 'sbatch: error: invalid partition',
          logTail: ['line 1', 'line 2']
        })
      ]
    });
    await settle();
    const node = item(sidebar, 'c1');
    expect(text(node, '.jp-DaskClusters-error')).toBe('sbatch: error: invalid partition');
    expect(text(node, '.jp-DaskClusters-log')).toBe('line 1\nline 2');
    expect(node.querySelector('.jp-DaskClusters-plot')).toBeNull();
  });

  it('shows the warning of a live cluster, and nothing for one without', async () => {
    const { sidebar, manager } = context;
    const warning = 'Workers keep restarting: 4 workers were lost in the last 60 s (memory limit 1 GiB).';
    manager.emit({
      kind: 'snapshot',
      clusters: [makeCluster({ id: 'warned', workers: 0, warning }), makeCluster({ id: 'fine' })]
    });
    await settle();
    const warned = item(sidebar, 'warned');
    const alert = warned.querySelector<HTMLElement>('.jp-DaskClusters-warning');
    expect(alert?.getAttribute('role')).toBe('alert');
    expect(alert?.getAttribute('aria-label')).toBe(`Warning: ${warning}`);
    expect(alert?.textContent).toBe(warning);
    expect(alert?.querySelector('.jp-DaskClusters-warningIcon svg')).not.toBeNull();
    expect(warned.classList).toContain('jp-mod-warning');
    const fine = item(sidebar, 'fine');
    expect(fine.querySelector('.jp-DaskClusters-warning')).toBeNull();
    expect(fine.querySelector('[role="alert"]')).toBeNull();
    expect(fine.classList).not.toContain('jp-mod-warning');

    // The companion clears it once the workers settle.
    manager.emit({ kind: 'cluster', cluster: makeCluster({ id: 'warned' }) });
    await settle();
    expect(item(sidebar, 'warned').querySelector('.jp-DaskClusters-warning')).toBeNull();
  });

  it('says when the service is unreachable and when the list is empty', async () => {
    const { sidebar, manager } = context;
    manager.setStatus('closed');
    await settle();
    expect(text(sidebar.node, '.jp-DaskClusters-status')).toContain('unreachable');
    manager.setStatus('open');
    manager.emit({ kind: 'snapshot', clusters: [] });
    await settle();
    expect(sidebar.node.querySelector('.jp-DaskClusters-status')).toBeNull();
    expect(sidebar.node.querySelector('.jp-DaskClusters-empty')).not.toBeNull();
  });
});
