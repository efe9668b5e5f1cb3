/**
 * WS api/events: the live event stream. A snapshot on connect, then one
 * message per change. The browser never polls.
 */

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { IServerEvent } from '../../../protocol/index.js';
import type { IExternalFeed } from '../backends/backend.js';
import type { Registry } from '../clusters/registry.js';

/** Seconds between pings that keep idle proxies from dropping the stream. */
const PING_INTERVAL_MS = 30_000;

/** The event stream over WebSocket. */
export class EventStream {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly disconnect: () => void;
  private readonly pinger: NodeJS.Timeout;

  /** `externals`: per cluster type, the clusters that run outside the companion. */
  constructor(
    private readonly registry: Registry,
    private readonly externals: ReadonlyMap<string, IExternalFeed> = new Map()
  ) {
    const disconnects = [
      registry.changed.connect(change => {
        const event: IServerEvent =
          change.kind === 'cluster' ? { kind: 'cluster', cluster: change.cluster } : { kind: 'removed', id: change.id };
        this.broadcast(event);
      }),
      ...[...externals].map(([type, feed]) =>
        feed.connect(clusters => this.broadcast({ kind: 'external', type, clusters }))
      )
    ];
    this.disconnect = () => disconnects.forEach(disconnect => disconnect());
    this.pinger = setInterval(() => {
      for (const client of this.wss.clients) {
        client.ping();
      }
    }, PING_INTERVAL_MS).unref();
  }

  /** Take over an upgrade request for `/api/events`. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, client => this.welcome(client));
  }

  /** Close every client and stop listening to the registry. */
  close(): void {
    this.disconnect();
    clearInterval(this.pinger);
    for (const client of this.wss.clients) {
      client.close(1001, 'companion shutting down');
    }
    this.wss.close();
  }

  private welcome(client: WebSocket): void {
    const snapshot: IServerEvent = { kind: 'snapshot', clusters: this.registry.models() };
    client.send(JSON.stringify(snapshot));
    for (const [type, feed] of this.externals) {
      const external: IServerEvent = { kind: 'external', type, clusters: feed.list() };
      client.send(JSON.stringify(external));
    }
    // The stream is one-way; whatever a client sends is ignored.
    client.on('error', () => client.terminate());
  }

  private broadcast(event: IServerEvent): void {
    const text = JSON.stringify(event);
    for (const client of this.wss.clients) {
      if (client.readyState === client.OPEN) {
        client.send(text);
      }
    }
  }
}
