import type { ISessionContext } from '@jupyterlab/apputils';
import type { Kernel, KernelMessage } from '@jupyterlab/services';
import { UUID } from '@lumino/coreutils';
import type { IDisposable } from '@lumino/disposable';
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';
import type { KernelAction } from './bootstrap';
import { actionCode, bootstrapCode } from './bootstrap';
import type { IKernelCluster } from './report';
import { COMM_TARGET, parseReport } from './report';

/**
 * Kernel states after which the kernel's clusters are gone. A kernel restarted
 * by another client (the REST API, another tab) says only `starting`.
 */
const GONE: ReadonlyArray<Kernel.Status> = ['restarting', 'autorestarting', 'starting', 'dead'];

/**
 * The clusters of one notebook's or console's kernel, from its comm.
 *
 * It bootstraps the kernel with a silent execute (no history, no execution
 * count), then opens the comm; the kernel pushes a report whenever its
 * clusters change. After a restart or a kernel change it drops the clusters
 * and bootstraps again at the next idle.
 */
export class KernelClusterConnection implements IDisposable {
  /**
   * Follow the kernel of a session context.
   */
  constructor(options: KernelClusterConnection.IOptions) {
    this._context = options.sessionContext;
    this._context.kernelChanged.connect(this._onKernelChanged, this);
    this._context.statusChanged.connect(this._onStatus, this);
    this._attach(this._context.session?.kernel ?? null);
  }

  /**
   * Emitted with the kernel's clusters whenever they change (empty once they are gone).
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The kernel's clusters as last reported.
   */
  get clusters(): ReadonlyArray<IKernelCluster> {
    return this._clusters;
  }

  /**
   * The id of the kernel that reported them.
   */
  get kernelId(): string | null {
    return this._kernel?.id ?? null;
  }

  /**
   * The kernel's display name.
   */
  get kernelName(): string {
    return this._context.kernelDisplayName;
  }

  /**
   * Whether the kernel has answered once (a report, or it cannot report), so the list is complete.
   */
  get settled(): boolean {
    return this._settled;
  }

  /**
   * Whether this was disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Scale, adapt or stop a cluster of the kernel with a silent execute; rejects with the kernel's reason.
   */
  async act(key: string, action: KernelAction): Promise<void> {
    const kernel = this._kernel;
    if (!kernel) {
      throw new Error('The kernel is not running.');
    }
    const reply = await Private.silent(kernel, actionCode(key, action));
    if (reply.status === 'aborted') {
      throw new Error('The kernel skipped the request because a cell before it failed; try again.');
    }
    if (reply.status === 'error') {
      throw new Error(reply.evalue);
    }
  }

  /**
   * Close the comm and stop following the kernel.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._detach();
    Signal.clearData(this);
  }

  private _onKernelChanged(_: ISessionContext, change: { newValue: Kernel.IKernelConnection | null }): void {
    this._detach();
    this._attach(change.newValue);
  }

  private _onStatus(_: ISessionContext, status: Kernel.Status): void {
    if (GONE.includes(status)) {
      if (status === 'starting' && this._bootstrapped && this._kernel) {
        // Restarted by another client: the new kernel says nothing more until
        // asked, so this page would never see it idle (nor bootstrap it).
        this._kernel.requestKernelInfo().catch(() => undefined);
      }
      // No comm_close comes on a restart, and JupyterLab drops its comms silently.
      this._comm = null;
      this._bootstrapped = false;
      this._report([]);
    } else if (status === 'idle' && this._kernel && !this._bootstrapped) {
      void this._bootstrap(this._kernel);
    }
  }

  private _attach(kernel: Kernel.IKernelConnection | null): void {
    this._kernel = kernel;
    if (kernel && kernel.status !== 'starting' && kernel.status !== 'unknown') {
      void this._bootstrap(kernel);
    }
  }

  private _detach(): void {
    const comm = this._comm;
    this._comm = null;
    this._kernel = null;
    this._bootstrapped = false;
    if (comm && !comm.isDisposed) {
      try {
        comm.close();
      } catch {
        // The kernel is already gone.
      }
    }
    this._report([]);
  }

  private async _bootstrap(kernel: Kernel.IKernelConnection): Promise<void> {
    this._bootstrapped = true;
    try {
      const info = await kernel.info;
      if (info.language_info.name !== 'python') {
        this._settle();
        return;
      }
      const reply = await Private.silent(kernel, bootstrapCode());
      if (reply.status !== 'ok' || kernel !== this._kernel || this._isDisposed) {
        // E.g. a Python kernel without IPython's comms: it reports nothing,
        // and is not asked again before a restart (asking at every idle would loop).
        this._settle();
        return;
      }
      const comm = kernel.createComm(COMM_TARGET);
      comm.onMsg = msg => {
        const clusters = parseReport(msg.content.data);
        if (clusters && comm === this._comm) {
          this._report(clusters);
        }
      };
      comm.onClose = () => {
        if (comm === this._comm) {
          this._comm = null;
          this._report([]);
        }
      };
      this._comm = comm;
      comm.open({ page: Private.PAGE });
    } catch (reason) {
      // A kernel that went away mid-way, or one without comms: nothing to list.
      this._settle();
      console.debug('Dask clusters: no kernel-side report', reason);
    }
  }

  private _report(clusters: IKernelCluster[]): void {
    this._settled = true;
    if (clusters.length === 0 && this._clusters.length === 0) {
      return;
    }
    this._clusters = clusters;
    this._changed.emit();
  }

  private _settle(): void {
    if (!this._settled) {
      this._settled = true;
      this._changed.emit();
    }
  }

  private _context: ISessionContext;
  private _kernel: Kernel.IKernelConnection | null = null;
  private _comm: Kernel.IComm | null = null;
  private _bootstrapped = false;
  private _settled = false;
  private _clusters: IKernelCluster[] = [];
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

/**
 * The namespace of `KernelClusterConnection` statics.
 */
export namespace KernelClusterConnection {
  /**
   * Options of a connection.
   */
  export interface IOptions {
    /**
     * The notebook's or console's session context.
     */
    sessionContext: ISessionContext;
  }
}

namespace Private {
  /**
   * This page: a reloaded page's comm replaces its own earlier one only.
   */
  export const PAGE = UUID.uuid4();

  /**
   * Run code without touching the execution count, the history or `_`.
   */
  export async function silent(
    kernel: Kernel.IKernelConnection,
    code: string
  ): Promise<KernelMessage.IExecuteReplyMsg['content']> {
    const future = kernel.requestExecute(
      {
        code,
        silent: true,
        store_history: false,
        allow_stdin: false,
        stop_on_error: false
      },
      true
    );
    const reply = await future.done;
    return reply.content;
  }
}
