/**
 * The extension settings the companion holds (gateway address and option
 * mapping, worker environment variables, limits), as the browser last sent
 * them with PUT api/settings (api/settings.ts). In memory only; never secrets.
 */

import type { ICompanionLimits, ICompanionSettings } from '../../protocol/index.js';

/** What the browser sends: the shape is shared with it through protocol/. */
export type { ICompanionSettings };

/** Default caps when the settings set none: generous for one person, finite for a shared host. */
export const DEFAULT_LIMITS: Required<ICompanionLimits> = {
  maxClusters: 10,
  maxWorkersPerCluster: 64,
  // Lifetimes and idle timeouts: none, and no cap, unless the site sets them.
  maxLifetimeMinutes: 0,
  defaultLifetimeMinutes: 0,
  maxIdleTimeoutMinutes: 0,
  defaultIdleTimeoutMinutes: 0,
  // Clusters stop with JupyterLab unless their user chooses otherwise.
  keepRunning: 'optional',
  // One for the dialog open now and one for the environment it showed before.
  spareRunners: 2
};

/** Ended clusters the list keeps when the settings say nothing. */
export const DEFAULT_KEEP_ENDED = 20;

/** The settings the browser last sent. */
export class SettingsStore {
  current: ICompanionSettings = { gateway: {}, workerEnvironment: {} };

  /** The caps in force: the settings' over the defaults. */
  limits(): Required<ICompanionLimits> {
    return { ...DEFAULT_LIMITS, ...this.current.limits };
  }

  /** How many ended clusters the list keeps. */
  keepEnded(): number {
    return this.current.keepEnded ?? DEFAULT_KEEP_ENDED;
  }
}
