import { ClusterStore } from '../model';
import { canPerform, isEnded } from '../lifecycle';
import { makeCluster } from './fixtures';

describe('ClusterStore', () => {
  it('replaces everything with a snapshot, newest first', () => {
    const store = new ClusterStore();
    let changes = 0;
    store.changed.connect(() => changes++);
    store.apply({ kind: 'cluster', cluster: makeCluster({ id: 'old' }) });
    store.apply({
      kind: 'snapshot',
      clusters: [
        makeCluster({ id: 'a', createdAt: '2026-11-20T09:00:00Z' }),
        makeCluster({ id: 'b', createdAt: '2026-11-20T11:00:00Z' })
      ]
    });
    expect(store.hasSnapshot).toBe(true);
    expect(store.clusters.map(c => c.id)).toEqual(['b', 'a']);
    expect(store.get('old')).toBeUndefined();
    expect(changes).toBe(2);
  });

  it('updates a cluster by id and removes it', () => {
    const store = new ClusterStore();
    store.apply({ kind: 'snapshot', clusters: [makeCluster({ state: 'starting' })] });
    store.apply({
      kind: 'cluster',
      cluster: makeCluster({ state: 'running', workers: 5 })
    });
    expect(store.clusters).toHaveLength(1);
    expect(store.get('c1')?.workers).toBe(5);
    store.apply({ kind: 'removed', id: 'c1' });
    expect(store.clusters).toHaveLength(0);
  });

  it('dedupes a REST answer and an event for the same cluster', () => {
    const store = new ClusterStore();
    store.apply({ kind: 'snapshot', clusters: [] });
    // The event stream was faster than the POST answer.
    store.apply({ kind: 'cluster', cluster: makeCluster({ id: 'n', state: 'running' }) });
    store.upsert(makeCluster({ id: 'n', state: 'starting' }));
    expect(store.clusters).toHaveLength(1);
    expect(store.get('n')?.state).toBe('running');
  });

  it('shows a REST answer at once when the stream has not told yet', () => {
    const store = new ClusterStore();
    store.upsert(makeCluster({ id: 'n', state: 'starting' }));
    expect(store.get('n')?.state).toBe('starting');
    store.apply({ kind: 'cluster', cluster: makeCluster({ id: 'n', state: 'running' }) });
    expect(store.clusters.map(c => [c.id, c.state])).toEqual([['n', 'running']]);
  });

  it('does not bring back a removed cluster from a late answer', () => {
    const store = new ClusterStore();
    store.apply({ kind: 'cluster', cluster: makeCluster({ state: 'stopped' }) });
    store.apply({ kind: 'removed', id: 'c1' });
    store.upsert(makeCluster({ state: 'stopped' }));
    expect(store.get('c1')).toBeUndefined();
  });

  it('keeps the streamed workers over a later answer in the same state', () => {
    const store = new ClusterStore();
    store.apply({ kind: 'cluster', cluster: makeCluster({ workers: 2 }) });
    // A scale answer: the model right after the command, before a worker retired.
    const answer = makeCluster({ scaling: { mode: 'fixed', workers: 1 }, workers: 2 });
    store.apply({ kind: 'cluster', cluster: { ...answer, workers: 1 } });
    store.upsert(answer);
    expect(store.get('c1')?.workers).toBe(1);
  });

  it('lets a stop answer move a running cluster to stopping', () => {
    const store = new ClusterStore();
    store.apply({ kind: 'cluster', cluster: makeCluster({ state: 'running' }) });
    store.upsert(makeCluster({ state: 'stopping' }));
    expect(store.get('c1')?.state).toBe('stopping');
  });
});

describe('lifecycle', () => {
  it('knows which actions apply to which state', () => {
    const running = makeCluster({ tunnelCommand: 'ssh -L 8787:x:8787 host' });
    expect(canPerform('scale', running)).toBe(true);
    expect(canPerform('copy-tunnel', running)).toBe(true);
    expect(canPerform('copy-tunnel', makeCluster())).toBe(false);
    expect(canPerform('dismiss', running)).toBe(false);
    expect(canPerform('stop', makeCluster({ state: 'starting' }))).toBe(true);
    expect(canPerform('insert-code', makeCluster({ state: 'starting' }))).toBe(false);
    expect(canPerform('dismiss', makeCluster({ state: 'lost' }))).toBe(true);
    expect(canPerform('stop', undefined)).toBe(false);
    expect(isEnded('failed')).toBe(true);
    expect(isEnded('stopping')).toBe(false);
  });
});
