import type { IDisposable } from '@lumino/disposable';
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';
import type { IServerEvent } from '../../protocol';
import type { ConnectionStatus } from '../tokens';

/**
 * Read one message of the event stream; `null` for anything that is not an `IServerEvent`.
 */
export function parseServerEvent(data: unknown): IServerEvent | null {
  let value: unknown = data;
  if (typeof data === 'string') {
    try {
      value = JSON.parse(data);
    } catch {
      return null;
    }
  }
  if (typeof value !== 'object' || value === null) {
    return null;
  }
  const message = value as Record<string, unknown>;
  switch (message.kind) {
    case 'snapshot':
      return Array.isArray(message.clusters) ? (message as IServerEvent) : null;
    case 'cluster':
      return typeof message.cluster === 'object' &&
        message.cluster !== null &&
        typeof (message.cluster as Record<string, unknown>).id === 'string'
        ? (message as IServerEvent)
        : null;
    case 'removed':
      return typeof message.id === 'string' ? (message as IServerEvent) : null;
    case 'external':
      return typeof message.type === 'string' && Array.isArray(message.clusters) ? (message as IServerEvent) : null;
    default:
      return null;
  }
}

/**
 * The wait before reconnection attempt `attempt` (0-based): doubling, capped.
 */
export function backoffDelay(attempt: number, initial = 500, maximum = 30000): number {
  return Math.min(maximum, initial * 2 ** Math.max(0, attempt));
}

/**
 * The companion's live event stream over a WebSocket, reconnecting with backoff when it drops.
 *
 * The companion sends a snapshot first on every connection, so a reconnect
 * brings the whole list up to date without any polling.
 */
export class ClusterEventStream implements IDisposable {
  /**
   * Create a stream; call `connect()` to open it.
   */
  constructor(options: ClusterEventStream.IOptions) {
    this._url = options.url;
    this._WebSocket = options.WebSocket;
    this._initialDelay = options.initialDelay ?? 500;
    this._maximumDelay = options.maximumDelay ?? 30000;
  }

  /**
   * Emitted for every valid message.
   */
  get received(): ISignal<this, IServerEvent> {
    return this._received;
  }

  /**
   * Emitted when the connection opens, drops or is being made.
   */
  get statusChanged(): ISignal<this, ConnectionStatus> {
    return this._statusChanged;
  }

  /**
   * The state of the connection.
   */
  get status(): ConnectionStatus {
    return this._status;
  }

  /**
   * Whether the stream was disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Open the connection (again); a pending reconnection is brought forward.
   */
  connect(): void {
    if (this._isDisposed) {
      return;
    }
    this._clearTimer();
    this._closeSocket();
    this._setStatus('connecting');
    const socket = new this._WebSocket(this._url);
    this._socket = socket;
    socket.onopen = () => {
      this._attempt = 0;
      this._setStatus('open');
    };
    socket.onmessage = (message: MessageEvent) => {
      const event = parseServerEvent(message.data);
      if (event) {
        this._received.emit(event);
      }
    };
    socket.onclose = () => {
      if (this._socket === socket) {
        this._socket = null;
        this._scheduleReconnect();
      }
    };
    // Errors are always followed by `close`, where reconnection happens.
    socket.onerror = () => undefined;
  }

  /**
   * Close the connection for good.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._clearTimer();
    this._closeSocket();
    Signal.clearData(this);
  }

  private _scheduleReconnect(): void {
    this._setStatus('closed');
    if (this._isDisposed) {
      return;
    }
    const delay = backoffDelay(this._attempt++, this._initialDelay, this._maximumDelay);
    this._timer = setTimeout(() => {
      this._timer = null;
      this.connect();
    }, delay);
  }

  private _closeSocket(): void {
    const socket = this._socket;
    if (!socket) {
      return;
    }
    this._socket = null;
    socket.onopen = null;
    socket.onmessage = null;
    socket.onclose = null;
    socket.onerror = null;
    socket.close();
  }

  private _clearTimer(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
  }

  private _setStatus(status: ConnectionStatus): void {
    if (this._status !== status) {
      this._status = status;
      this._statusChanged.emit(status);
    }
  }

  private _url: string;
  private _WebSocket: typeof WebSocket;
  private _initialDelay: number;
  private _maximumDelay: number;
  private _attempt = 0;
  private _socket: WebSocket | null = null;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _status: ConnectionStatus = 'closed';
  private _isDisposed = false;
  private _received = new Signal<this, IServerEvent>(this);
  private _statusChanged = new Signal<this, ConnectionStatus>(this);
}

/**
 * The namespace of `ClusterEventStream` statics.
 */
export namespace ClusterEventStream {
  /**
   * Options of a stream.
   */
  export interface IOptions {
    /**
     * The WebSocket address, token included.
     */
    url: string;

    /**
     * The WebSocket constructor (the server settings' one, so tests can fake it).
     */
    WebSocket: typeof WebSocket;

    /**
     * First wait before reconnecting, in milliseconds.
     */
    initialDelay?: number;

    /**
     * Longest wait before reconnecting, in milliseconds.
     */
    maximumDelay?: number;
  }
}
