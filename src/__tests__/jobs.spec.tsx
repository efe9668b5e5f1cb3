import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';
import type { IJobLog } from '../../protocol';
import { CommandIDs } from '../commands';
import { JobLogModel, JobLogView } from '../jobs/logview';
import { clusterEndsAt, formatDuration, secondsLeft } from '../jobs/time';
import { ClusterSidebar } from '../sidebar/sidebar';
import { FakeManager, makeCluster } from './fixtures';
import { waitFor } from './wait';

const trans = nullTranslator.load('test');

describe('time left', () => {
  const now = Date.parse('2026-11-20T10:00:00Z');

  it('counts whole seconds to an end, never below zero', () => {
    expect(secondsLeft('2026-11-20T10:09:58.100Z', now)).toBe(599);
    expect(secondsLeft('2026-11-20T09:59:00Z', now)).toBe(0);
    expect(secondsLeft(undefined, now)).toBeUndefined();
    expect(secondsLeft('soon', now)).toBeUndefined();
  });

  it('reads like a clock, with days the way SLURM writes them', () => {
    expect(formatDuration(5)).toBe('0:05');
    expect(formatDuration(598)).toBe('9:58');
    expect(formatDuration(3723)).toBe('1:02:03');
    expect(formatDuration(2 * 86400 + 3 * 3600)).toBe('2-03:00:00');
  });

  it("is the cluster's first job end", () => {
    expect(
      clusterEndsAt([
        { id: '1', state: 'RUNNING', endsAt: '2026-11-20T10:30:00Z' },
        { id: '2', state: 'PENDING', reason: 'Priority' },
        { id: '3', state: 'RUNNING', endsAt: '2026-11-20T10:10:00Z' }
      ])
    ).toBe('2026-11-20T10:10:00Z');
    expect(clusterEndsAt([{ id: '2', state: 'PENDING' }])).toBeUndefined();
  });
});

describe('job rows in the sidebar', () => {
  afterEach(() => {
    jest.useRealTimers();
    document.body.innerHTML = '';
  });

  it('shows each job live: PENDING with its reason, RUNNING with its node and a countdown, and opens its log', async () => {
    jest.useFakeTimers({ now: Date.parse('2026-11-20T10:00:00Z'), advanceTimers: true });
    const manager = new FakeManager();
    const commands = new CommandRegistry();
    const executed: string[] = [];
    commands.addCommand(CommandIDs.jobLog, {
      label: args => `Show Log of Job ${String(args.job)}`,
      execute: args => {
        executed.push(JSON.stringify(args));
      }
    });
    const sidebar = new ClusterSidebar({ manager, commands, translator: nullTranslator });
    Widget.attach(sidebar, document.body);
    manager.emit({
      kind: 'snapshot',
      clusters: [
        makeCluster({
          id: 'h',
          type: 'slurm',
          jobs: [
            { id: '41', state: 'RUNNING', node: 'node7', endsAt: '2026-11-20T10:10:00Z' },
            { id: '42', state: 'PENDING', reason: 'Resources' }
          ]
        })
      ]
    });
    const row = (job: string) => sidebar.node.querySelector<HTMLElement>(`.jp-DaskClusters-job[data-job-id="${job}"]`);
    await waitFor(() => row('42') !== null);
    expect(row('41')?.dataset.jobState).toBe('RUNNING');
    expect(row('41')?.querySelector('.jp-DaskClusters-jobNode')?.textContent).toBe('node7');
    expect(row('42')?.querySelector('.jp-DaskClusters-jobReason')?.textContent).toBe('Resources');
    expect(row('41')?.querySelector('.jp-DaskClusters-jobLeft')?.textContent).toBe('10:00');
    const timeLeft = () => sidebar.node.querySelector('.jp-DaskClusters-timeLeft')?.textContent;
    expect(timeLeft()).toBe('10:00');

    // The local clock redraws the countdown; nothing is asked of the server.
    await waitFor(() => manager.calls.includes('snippet h') && manager.calls.includes('plots h'));
    const asked = manager.calls.length;
    jest.advanceTimersByTime(3000);
    await waitFor(() => timeLeft() === '9:57');
    expect(row('41')?.querySelector('.jp-DaskClusters-jobLeft')?.textContent).toBe('9:57');
    expect(manager.calls.slice(asked)).toEqual([]);

    // The stream moves the pending job onto a node.
    manager.emit({
      kind: 'cluster',
      cluster: makeCluster({
        id: 'h',
        type: 'slurm',
        jobs: [
          { id: '41', state: 'RUNNING', node: 'node7', endsAt: '2026-11-20T10:10:00Z' },
          { id: '42', state: 'RUNNING', node: 'node8', endsAt: '2026-11-20T10:12:00Z' }
        ]
      })
    });
    await waitFor(() => row('42')?.dataset.jobState === 'RUNNING');
    expect(row('42')?.querySelector('.jp-DaskClusters-jobNode')?.textContent).toBe('node8');

    row('42')?.querySelector<HTMLButtonElement>('.jp-DaskClusters-jobLog')?.click();
    expect(executed).toEqual([JSON.stringify({ id: 'h', job: '42' })]);
    sidebar.dispose();
  });

  it('counts down to when the companion stops a cluster, says why, and shows the reason once it ended', async () => {
    jest.useFakeTimers({ now: Date.parse('2026-11-20T10:00:00Z'), advanceTimers: true });
    const manager = new FakeManager();
    const sidebar = new ClusterSidebar({ manager, commands: new CommandRegistry(), translator: nullTranslator });
    Widget.attach(sidebar, document.body);
    const why = 'the walltime of SLURM job 23 ends';
    manager.emit({
      kind: 'snapshot',
      clusters: [makeCluster({ id: 'a', endsAt: '2026-11-20T10:05:00Z', endsWhy: why })]
    });
    const left = () => sidebar.node.querySelector<HTMLElement>('.jp-DaskClusters-timeLeft');
    await waitFor(() => left() !== null);
    expect(left()?.textContent).toBe('5:00');
    expect(left()?.parentElement?.title).toBe(`Until it stops before ${why}`);
    manager.emit({
      kind: 'cluster',
      cluster: makeCluster({
        id: 'a',
        state: 'stopped',
        endsAt: '2026-11-20T10:05:00Z',
        endReason: `Stopped before ${why}.`
      })
    });
    await waitFor(() => sidebar.node.querySelector('.jp-DaskClusters-endReason') !== null);
    expect(sidebar.node.querySelector('.jp-DaskClusters-endReason')?.textContent).toBe(`Stopped before ${why}.`);
    expect(left()).toBeNull();
    sidebar.dispose();
  });
});

describe('the job log view', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  function log(line: string): IJobLog {
    return {
      job: '41',
      stdout: { path: '/logs/dask-worker-41.out', lines: [] },
      stderr: { path: '/logs/dask-worker-41.err', lines: [line] }
    };
  }

  it('reads the last lines while shown, on a slow timer and on job events, and stops when hidden', async () => {
    const manager = new FakeManager();
    manager.emit({
      kind: 'snapshot',
      clusters: [makeCluster({ id: 'h', jobs: [{ id: '41', state: 'PENDING', reason: 'Priority' }] })]
    });
    let reads = 0;
    const jobLog = jest.spyOn(manager.client, 'jobLog').mockImplementation(async () => log(`line ${++reads}`));
    const model = new JobLogModel({ manager, clusterId: 'h', job: '41' });
    const view = new JobLogView({ model, manager, trans, intervalMs: 50 });
    Widget.attach(view, document.body);
    const text = () => view.node.textContent ?? '';
    await waitFor(() => text().includes('line 1'));
    expect(jobLog).toHaveBeenCalledWith('h', '41');
    expect(text()).toContain('Job 41: PENDING (Priority)');
    expect(text()).toContain('/logs/dask-worker-41.err');

    // Refreshed while open.
    await waitFor(() => reads >= 3);

    // A job event: the header follows and the files are read again.
    view.hide();
    const hiddenAt = reads;
    await new Promise(resolve => setTimeout(resolve, 200));
    expect(reads).toBe(hiddenAt);
    manager.emit({
      kind: 'cluster',
      cluster: makeCluster({ id: 'h', jobs: [{ id: '41', state: 'RUNNING', node: 'node7' }] })
    });
    await waitFor(() => text().includes('Job 41: RUNNING on node7'));
    expect(reads).toBe(hiddenAt);
    view.show();
    await waitFor(() => reads > hiddenAt);

    // A refused read keeps the lines shown and says why.
    jobLog.mockRejectedValue(new Error('no job 41 with known output files'));
    await waitFor(() => text().includes('no job 41 with known output files'));
    expect(text()).toMatch(/line \d+/);

    view.dispose();
    const disposedAt = reads;
    await new Promise(resolve => setTimeout(resolve, 200));
    expect(reads).toBe(disposedAt);
  });
});
