/**
 * PUT api/settings: the browser sends the extension settings the companion
 * needs (gateway address, option mapping, worker environment variables) when
 * they load and whenever they change. Held in memory; never secrets.
 */

import type { ICompanionSettings } from '../../../../protocol/index.js';
import { ApiError } from '../../http/errors.js';
import type { Router } from '../../http/router.js';

/** What the browser sends: the shape is shared with it through protocol/. */
export type { ICompanionSettings };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalText(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** The settings in `body`, or an ApiError 400 naming what is wrong. Pure. */
export function parseSettings(body: unknown): ICompanionSettings {
  if (!isObject(body)) {
    throw new ApiError(400, 'bad_request', 'Send {"gateway": {...}, "workerEnvironment": {...}}.');
  }
  const gateway = isObject(body.gateway) ? body.gateway : {};
  const mapping = isObject(gateway.optionMapping) ? gateway.optionMapping : {};
  const env = isObject(body.workerEnvironment) ? body.workerEnvironment : {};
  const workerEnvironment: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new ApiError(400, 'bad_request', `"${name}" is not an environment variable name.`);
    }
    workerEnvironment[name] = String(value);
  }
  const address = optionalText(gateway.address);
  const proxyAddress = optionalText(gateway.proxyAddress);
  const environment = optionalText(mapping.environment);
  const envVars = optionalText(mapping.envVars);
  return {
    gateway: {
      ...(address ? { address } : {}),
      ...(proxyAddress ? { proxyAddress } : {}),
      optionMapping: { ...(environment ? { environment } : {}), ...(envVars ? { envVars } : {}) }
    },
    workerEnvironment
  };
}

/** The settings the browser last sent. */
export class SettingsStore {
  current: ICompanionSettings = { gateway: {}, workerEnvironment: {} };
}

/** Register `PUT api/settings`. */
export function settingsRoutes(router: Router, store: SettingsStore, changed: () => void): void {
  router.add('PUT', '/api/settings', async ({ json }) => {
    store.current = parseSettings(await json());
    changed();
    return { status: 200, body: store.current };
  });
}
