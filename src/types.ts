/**
 * The settings' value types, apart from settings.ts so that tokens.ts can name them
 * without importing settings.ts (which implements a token's interface). settings.ts
 * exports them too.
 */
import type { ICompanionLimits, ICompanionSettings } from '../protocol';

/**
 * Named options for a cluster type, saved by the user.
 */
export interface IPreset {
  name: string;
  type: string;
  options: Record<string, unknown>;
}

/**
 * Named dashboard plots that open together, arranged in one step.
 */
export interface IDashboardLayout {
  name: string;
  /** Plot paths below the dashboard, e.g. `individual-task-stream`, in the order they are placed. */
  plots: string[];
}

/**
 * The settings, typed and normalized.
 */
export interface IDaskSettings {
  defaultType: string;
  /** The options the user changed from the defaults when last starting each type (keyed as `lastUsedKey`). */
  lastOptions: Record<string, Record<string, unknown>>;
  /**
   * Options a site sets per type through JupyterLab's settings overrides (the
   * `lastOptions` default): defaults of the site, not the user's last-used values.
   */
  siteOptions?: Record<string, Record<string, unknown>>;
  presets: IPreset[];
  memoryReserve: string;
  confirmStop: boolean;
  /** How many ended clusters the list keeps, sent to the companion. */
  keepEnded: number;
  /** Gateway address override and option mapping, sent to the companion. */
  gateway: ICompanionSettings['gateway'];
  /** Environment variables for workers, sent to the companion. */
  workerEnvironment: Record<string, string>;
  /** The site's caps on clusters and workers, sent to the companion. */
  limits: ICompanionLimits;
  /** Saved sets of dashboard plots. */
  dashboardLayouts: IDashboardLayout[];
}
