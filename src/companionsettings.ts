import type { IDisposable } from '@lumino/disposable';
import type { ICompanionSettings } from '../protocol';
import { ApiError } from './api/errors';
import type { IDaskSettings } from './settings';
import type { IDaskClusterManager, IDaskClusterSettings } from './tokens';

/**
 * The part of the settings the companion needs. Pure.
 */
export function companionSettings(settings: IDaskSettings): ICompanionSettings {
  return {
    gateway: settings.gateway,
    workerEnvironment: settings.workerEnvironment,
    limits: settings.limits,
    keepEnded: settings.keepEnded
  };
}

/**
 * Keeps the companion's copy of the settings current: it holds them in
 * memory only, so they are sent when they change and on every (re)connection
 * of the event stream, i.e. also to a restarted companion.
 */
export class CompanionSettingsSync implements IDisposable {
  /**
   * Start sending; the first request goes out once the event stream is open.
   */
  constructor(options: CompanionSettingsSync.IOptions) {
    this._manager = options.manager;
    this._settings = options.settings;
    this._onError = options.onError ?? (() => undefined);
    this._settings.changed.connect(this._onSettingsChanged, this);
    this._manager.changed.connect(this._onManagerChanged, this);
    this._onManagerChanged();
  }

  /**
   * Whether the sync was disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * What was last sent successfully, as JSON text.
   */
  get sent(): string | null {
    return this._sent;
  }

  /**
   * Stop following the settings.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._settings.changed.disconnect(this._onSettingsChanged, this);
    this._manager.changed.disconnect(this._onManagerChanged, this);
  }

  private _onSettingsChanged(): void {
    const next = JSON.stringify(companionSettings(this._settings.current));
    // Last-used values and presets change often; only send what the companion uses.
    if (next !== this._sent && this._manager.status === 'open') {
      void this._send();
    }
  }

  private _onManagerChanged(): void {
    const open = this._manager.status === 'open';
    if (open && !this._wasOpen) {
      void this._send();
    }
    this._wasOpen = open;
  }

  private async _send(): Promise<void> {
    const body = companionSettings(this._settings.current);
    const text = JSON.stringify(body);
    try {
      await this._manager.client.updateSettings(body);
      this._sent = text;
    } catch (error) {
      // Without an answer the sidebar already says the service is unreachable,
      // and the next connection sends again: only a refusal is worth a message.
      if (!(error instanceof ApiError && error.status === 0)) {
        this._onError(error);
      }
    }
  }

  private _manager: IDaskClusterManager;
  private _settings: IDaskClusterSettings;
  private _onError: (error: unknown) => void;
  private _sent: string | null = null;
  private _wasOpen = false;
  private _isDisposed = false;
}

/**
 * The namespace of `CompanionSettingsSync` statics.
 */
export namespace CompanionSettingsSync {
  /**
   * Options of the sync.
   */
  export interface IOptions {
    manager: IDaskClusterManager;
    settings: IDaskClusterSettings;
    /**
     * Told when the companion refused the settings.
     */
    onError?: (error: unknown) => void;
  }
}
