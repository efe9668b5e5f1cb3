import type { IDisposable } from '@lumino/disposable';
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';
import type { ICreateRequest, IJobScript } from '../../protocol';
import { ApiError } from '../api/errors';

/**
 * Where a job-script preview stands.
 */
export type PreviewStatus = 'idle' | 'loading' | 'ready' | 'refused' | 'failed';

/**
 * The job script a request would submit, asked of the companion a moment after the last change.
 *
 * Only the newest request's answer is kept: an older answer that arrives late is dropped.
 */
export class JobScriptPreview implements IDisposable {
  /**
   * Create a preview that asks `fetch` for scripts.
   */
  constructor(options: JobScriptPreview.IOptions) {
    this._fetch = options.fetch;
    this._delay = options.delay ?? 400;
    this._onAnswer = options.onAnswer;
  }

  /**
   * Emitted whenever the status, script or message changes.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Where the preview stands.
   */
  get status(): PreviewStatus {
    return this._status;
  }

  /**
   * The last script the companion made (kept while a newer one loads).
   */
  get script(): string {
    return this._script;
  }

  /**
   * Why there is no script, when refused or failed.
   */
  get message(): string {
    return this._message;
  }

  /**
   * Whether the preview was disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Ask for the script of `request` after the delay; `null` clears the preview.
   */
  update(request: ICreateRequest | null): void {
    if (this._isDisposed) {
      return;
    }
    const key = request ? JSON.stringify({ type: request.type, options: request.options }) : '';
    // Names and re-renders do not change the script: ask only when the options do.
    if (key === this._key) {
      return;
    }
    this._key = key;
    this._generation++;
    this._clearTimer();
    if (!request) {
      this._set('idle', '', '');
      return;
    }
    this._set('loading', this._script, '');
    const generation = this._generation;
    this._timer = setTimeout(() => {
      this._timer = undefined;
      void this._load(request, generation);
    }, this._delay);
  }

  /**
   * Stop any pending request and drop every listener.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._clearTimer();
    Signal.clearData(this);
  }

  private async _load(request: ICreateRequest, generation: number): Promise<void> {
    let answer: IJobScript;
    try {
      answer = await this._fetch(request);
    } catch (error) {
      if (generation !== this._generation || this._isDisposed) {
        return;
      }
      const refused = error instanceof ApiError && error.status === 422;
      this._set(refused ? 'refused' : 'failed', '', error instanceof Error ? error.message : String(error));
      if (refused) {
        this._onAnswer?.(error);
      }
      return;
    }
    if (generation !== this._generation || this._isDisposed) {
      return;
    }
    this._set('ready', answer.script, '');
    this._onAnswer?.(null);
  }

  private _set(status: PreviewStatus, script: string, message: string): void {
    this._status = status;
    this._script = script;
    this._message = message;
    this._changed.emit();
  }

  private _clearTimer(): void {
    if (this._timer !== undefined) {
      clearTimeout(this._timer);
      this._timer = undefined;
    }
  }

  private _fetch: (request: ICreateRequest) => Promise<IJobScript>;
  private _delay: number;
  private _onAnswer: JobScriptPreview.IOptions['onAnswer'];
  private _status: PreviewStatus = 'idle';
  private _script = '';
  private _message = '';
  private _key = '';
  private _generation = 0;
  private _timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

/**
 * The namespace of `JobScriptPreview` statics.
 */
export namespace JobScriptPreview {
  /**
   * Options of a preview.
   */
  export interface IOptions {
    /**
     * Ask the companion for the script of a request.
     */
    fetch: (request: ICreateRequest) => Promise<IJobScript>;

    /**
     * Milliseconds of quiet before asking (default 400).
     */
    delay?: number;

    /**
     * Told of each kept answer about the options: the refusal (a 422 with
     * field messages), or `null` when a script came.
     */
    onAnswer?: (refusal: ApiError | null) => void;
  }
}
