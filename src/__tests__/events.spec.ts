import { backoffDelay, parseServerEvent } from '../api/events';
import { ClusterManager } from '../manager';
import { FakeSocket, makeClient, makeCluster, makeStream } from './fixtures';

beforeEach(() => {
  FakeSocket.sockets = [];
  jest.useFakeTimers();
});

afterEach(() => {
  jest.useRealTimers();
});

describe('parseServerEvent', () => {
  it('accepts the three kinds and refuses the rest', () => {
    expect(parseServerEvent('{"kind":"removed","id":"x"}')).toEqual({
      kind: 'removed',
      id: 'x'
    });
    expect(parseServerEvent({ kind: 'snapshot', clusters: [] })).toEqual({
      kind: 'snapshot',
      clusters: []
    });
    expect(parseServerEvent('{"kind":"cluster","cluster":{}}')).toBeNull();
    expect(parseServerEvent('{"kind":"other"}')).toBeNull();
    expect(parseServerEvent('not json')).toBeNull();
  });
});

describe('backoffDelay', () => {
  it('doubles up to the maximum', () => {
    expect([0, 1, 2, 3, 10].map(n => backoffDelay(n, 100, 1000))).toEqual([100, 200, 400, 800, 1000]);
  });
});

describe('ClusterEventStream', () => {
  it('reconnects with growing delays and resets them once open', () => {
    const stream = makeStream();
    const statuses: string[] = [];
    stream.statusChanged.connect((_, s) => statuses.push(s));
    stream.connect();
    expect(FakeSocket.sockets).toHaveLength(1);

    FakeSocket.sockets[0].drop();
    jest.advanceTimersByTime(99);
    expect(FakeSocket.sockets).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(FakeSocket.sockets).toHaveLength(2);

    FakeSocket.sockets[1].drop();
    jest.advanceTimersByTime(199);
    expect(FakeSocket.sockets).toHaveLength(2);
    jest.advanceTimersByTime(1);
    expect(FakeSocket.sockets).toHaveLength(3);

    FakeSocket.sockets[2].open();
    FakeSocket.sockets[2].drop();
    jest.advanceTimersByTime(100);
    expect(FakeSocket.sockets).toHaveLength(4);
    expect(statuses).toEqual([
      'connecting',
      'closed',
      'connecting',
      'closed',
      'connecting',
      'open',
      'closed',
      'connecting'
    ]);
    stream.dispose();
  });

  it('stops for good when disposed', () => {
    const stream = makeStream();
    stream.connect();
    stream.dispose();
    expect(FakeSocket.sockets[0].closed).toBe(true);
    jest.advanceTimersByTime(10000);
    expect(FakeSocket.sockets).toHaveLength(1);
  });
});

describe('ClusterManager with the event stream', () => {
  it('takes the snapshot again after reconnecting', () => {
    const stream = makeStream();
    const manager = new ClusterManager({ client: makeClient(), stream });
    let changes = 0;
    manager.changed.connect(() => changes++);

    const first = FakeSocket.sockets[0];
    first.open();
    first.send({ kind: 'snapshot', clusters: [makeCluster({ id: 'a' })] });
    first.send({ kind: 'cluster', cluster: makeCluster({ id: 'b', state: 'starting' }) });
    expect(manager.clusters.map(c => c.id).sort()).toEqual(['a', 'b']);
    expect(manager.status).toBe('open');

    first.drop();
    expect(manager.status).toBe('closed');
    jest.advanceTimersByTime(100);
    const second = FakeSocket.sockets[1];
    second.open();
    // While disconnected, "a" was dismissed and "b" came up.
    second.send({ kind: 'snapshot', clusters: [makeCluster({ id: 'b', state: 'running' })] });
    expect(manager.clusters.map(c => [c.id, c.state])).toEqual([['b', 'running']]);
    expect(changes).toBeGreaterThan(4);
    manager.dispose();
  });
});
