import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { HostedRunner, type IHostHandle } from '../../src/runner/hosted.js';
import type { RunnerEvent } from '../../src/runner/protocol.js';
import type { IRunnerExit } from '../../src/runner/supervisor.js';
import { waitUntil } from './fixtures.js';

// A fake host: a real Unix socket server whose connections the test answers.
let dir: string;
let server: Server;
let connections: Socket[];
let received: unknown[];

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hosted-'));
  connections = [];
  received = [];
  server = createServer(socket => {
    connections.push(socket);
    createInterface({ input: socket }).on('line', line => received.push(JSON.parse(line)));
  });
  await new Promise<void>(resolve => server.listen(path.join(dir, 'host.sock'), resolve));
});

afterEach(async () => {
  connections.forEach(socket => socket.destroy());
  await new Promise(resolve => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** A host handle whose listening and exit the test settles. */
function fakeHost() {
  let listen!: (socket: string) => void;
  let fail!: (error: Error) => void;
  let exit!: (exit: IRunnerExit) => void;
  const killed: string[] = [];
  const host: IHostHandle = {
    pid: 4242,
    listening: new Promise<string>((resolve, reject) => {
      listen = resolve;
      fail = reject;
    }),
    exited: new Promise<IRunnerExit>(resolve => (exit = resolve)),
    kill: () => killed.push('SIGKILL')
  };
  return { host, listen: () => listen(path.join(dir, 'host.sock')), fail, exit, killed };
}

describe('HostedRunner', () => {
  it('sends what was sent before the host listened first, in order, and forwards its events', async () => {
    const fake = fakeHost();
    const runner = new HostedRunner(fake.host);
    const events: RunnerEvent[] = [];
    runner.events.connect(event => events.push(event));
    expect(runner.pid).toBe(4242);
    expect(runner.send({ op: 'scale', workers: 1 })).toBe(true);
    expect(runner.send({ op: 'scale', workers: 2 })).toBe(true);
    fake.listen();
    await waitUntil('the connection', () => connections.length === 1);
    runner.send({ op: 'scale', workers: 3 });
    await waitUntil('three commands', () => received.length === 3);
    expect(received).toEqual([1, 2, 3].map(workers => ({ op: 'scale', workers })));

    connections[0].write('{"event": "workers", "workers": 3, "cores": 3, "memory": 3}\n{"event": "closed"}\n');
    connections[0].end();
    expect(await runner.exited).toEqual({ code: 0, signal: null, closed: true });
    expect(events.map(event => event.event)).toEqual(['workers', 'closed']);
    expect(fake.killed).toEqual([]);
  });

  it('ends failed, saying how the host ended, when the host dies under it', async () => {
    const fake = fakeHost();
    const runner = new HostedRunner(fake.host);
    fake.listen();
    await waitUntil('the connection', () => connections.length === 1);
    fake.exit({ code: null, signal: 'SIGKILL', closed: false });
    connections[0].destroy();
    expect(await runner.exited).toEqual({ code: null, signal: 'SIGKILL', closed: false });
  });

  it('fails to start, with the reason, when the host ends before it listens', async () => {
    const fake = fakeHost();
    const runner = new HostedRunner(fake.host);
    fake.fail(new Error('the runner host of /bin/python ended before it listened'));
    fake.exit({ code: 1, signal: null, closed: false });
    expect(await runner.exited).toEqual({
      code: 1,
      signal: null,
      closed: false,
      spawnError: 'the runner host of /bin/python ended before it listened'
    });
    expect(runner.send({ op: 'close' })).toBe(false);
  });

  it('asks the host to close the cluster, and kills the host only when it does not answer in time', async () => {
    const answering = fakeHost();
    const closed = new HostedRunner(answering.host, 2_000);
    answering.listen();
    await waitUntil('the connection', () => connections.length === 1);
    const stopped = closed.stop();
    await waitUntil('the close command', () => received.length === 1);
    expect(received).toEqual([{ op: 'close' }]);
    connections[0].end('{"event": "closed"}\n');
    expect((await stopped).closed).toBe(true);
    expect(answering.killed).toEqual([]);

    const stuck = fakeHost();
    const hung = new HostedRunner(stuck.host, 200);
    stuck.listen();
    await waitUntil('the second connection', () => connections.length === 2);
    const stopping = hung.stop();
    await waitUntil('the host to be killed', () => stuck.killed.length === 1);
    // What the kill does to a real host: its connections close.
    stuck.exit({ code: null, signal: 'SIGKILL', closed: false });
    connections[1].destroy();
    expect(await stopping).toEqual({ code: null, signal: 'SIGKILL', closed: false });
  });

  it('never sends the start of a cluster stopped or killed before its host listened', async () => {
    const fake = fakeHost();
    const stopped = new HostedRunner(fake.host);
    const killed = new HostedRunner(fake.host);
    stopped.send({ op: 'scale', workers: 1 });
    killed.send({ op: 'scale', workers: 1 });
    const stopping = stopped.stop();
    killed.kill();
    fake.listen();
    expect(await stopping).toEqual({ code: 0, signal: null, closed: true });
    expect(await killed.exited).toEqual({ code: 0, signal: null, closed: true });
    expect(connections).toEqual([]);
    expect(received).toEqual([]);
    expect(fake.killed).toEqual([]);
  });
});
