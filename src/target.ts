import type { ConsolePanel, IConsoleTracker } from '@jupyterlab/console';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import type { IDisposable } from '@lumino/disposable';

/**
 * Where client code goes: a notebook or a console.
 */
export type KernelTarget = { kind: 'notebook'; panel: NotebookPanel } | { kind: 'console'; panel: ConsolePanel };

/**
 * Remembers whether a notebook or a console was focused last.
 */
export class LastFocused implements IDisposable {
  /**
   * Follow the trackers that exist in this application.
   */
  constructor(notebooks: INotebookTracker | null, consoles: IConsoleTracker | null) {
    this._notebooks = notebooks;
    this._consoles = consoles;
    notebooks?.currentChanged.connect(this._onNotebook, this);
    consoles?.currentChanged.connect(this._onConsole, this);
  }

  /**
   * The notebook or console focused last, if it is still open.
   */
  get current(): KernelTarget | null {
    const notebook = this._notebooks?.currentWidget ?? null;
    const console = this._consoles?.currentWidget ?? null;
    if (console && (this._last === 'console' || !notebook)) {
      return { kind: 'console', panel: console };
    }
    return notebook ? { kind: 'notebook', panel: notebook } : null;
  }

  /**
   * The kernel name of the last-focused notebook or console.
   */
  kernelName(): string | null {
    const target = this.current;
    if (!target) {
      return null;
    }
    const context = target.panel.sessionContext;
    return context.session?.kernel?.name ?? context.kernelPreference.name ?? null;
  }

  /**
   * Whether this was disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Stop following the trackers.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._notebooks?.currentChanged.disconnect(this._onNotebook, this);
    this._consoles?.currentChanged.disconnect(this._onConsole, this);
  }

  private _onNotebook(_: unknown, panel: NotebookPanel | null): void {
    if (panel) {
      this._last = 'notebook';
    }
  }

  private _onConsole(_: unknown, panel: ConsolePanel | null): void {
    if (panel) {
      this._last = 'console';
    }
  }

  private _notebooks: INotebookTracker | null;
  private _consoles: IConsoleTracker | null;
  private _last: KernelTarget['kind'] | null = null;
  private _isDisposed = false;
}
