/**
 * PUT api/settings: the browser sends the extension settings the companion
 * needs (gateway address, option mapping, worker environment variables, how
 * many ended clusters to keep) when they load and whenever they change. Held
 * in memory; never secrets.
 */

import type { ICompanionLimits, ICompanionSettings } from '../../../protocol/index.js';
import { ApiError, invalidOptions } from '../http/errors.js';
import type { Router } from '../http/router.js';
import type { SettingsStore } from '../settings.js';
import { isObject } from '../util/objects.js';
import { unknownFields } from '../util/unknown-fields.js';

function optionalText(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** A year: more is a typo. */
const MOST_MINUTES = 525_600;

/** The limits that are whole numbers. */
type CountLimit = Exclude<keyof ICompanionLimits, 'keepRunning'>;

/** Each whole-number limit's range, and its unit as a refusal says it; 0, where allowed, means none. */
const COUNT_LIMITS: readonly { name: CountLimit; least: number; most: number; unit?: string }[] = [
  { name: 'maxClusters', least: 1, most: 100_000 },
  { name: 'maxWorkersPerCluster', least: 1, most: 100_000 },
  { name: 'maxLifetimeMinutes', least: 0, most: MOST_MINUTES, unit: 'minutes' },
  { name: 'defaultLifetimeMinutes', least: 0, most: MOST_MINUTES, unit: 'minutes' },
  { name: 'maxIdleTimeoutMinutes', least: 0, most: MOST_MINUTES, unit: 'minutes' },
  { name: 'defaultIdleTimeoutMinutes', least: 0, most: MOST_MINUTES, unit: 'minutes' },
  // Each spare holds about 80 MiB while it waits, so a few at most.
  { name: 'spareRunners', least: 0, most: 10 }
];

function parseLimits(value: unknown): ICompanionLimits {
  if (value === undefined) {
    return {};
  }
  if (!isObject(value)) {
    throw invalidOptions([{ path: '/limits', message: 'Limits must be an object, e.g. {"maxClusters": 10}.' }]);
  }
  const problems = unknownFields(value, [...COUNT_LIMITS.map(limit => limit.name), 'keepRunning'], '/limits');
  const limits: ICompanionLimits = {};
  for (const { name, least, most, unit } of COUNT_LIMITS) {
    const n = value[name];
    if (n === undefined) {
      continue;
    }
    if (typeof n !== 'number' || !Number.isInteger(n) || n < least || n > most) {
      const what = unit !== undefined ? `a whole number of ${unit}` : 'a whole number';
      problems.push({
        path: `/limits/${name}`,
        message: `${name} must be ${what} from ${least}${least === 0 ? ' (none)' : ''} to ${most} (got ${JSON.stringify(n)}).`
      });
    } else {
      limits[name] = n;
    }
  }
  const policy = value.keepRunning;
  if (policy !== undefined) {
    if (policy === 'never' || policy === 'optional' || policy === 'default') {
      limits.keepRunning = policy;
    } else {
      problems.push({
        path: '/limits/keepRunning',
        message: `keepRunning must be "never", "optional" or "default" (got ${JSON.stringify(policy)}).`
      });
    }
  }
  if (problems.length > 0) {
    throw invalidOptions(problems);
  }
  return limits;
}

/** Most ended clusters a user may keep listed. */
export const MAX_KEEP_ENDED = 1000;

function parseKeepEnded(value: unknown): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_KEEP_ENDED) {
    throw invalidOptions([
      {
        path: '/keepEnded',
        message: `keepEnded must be a whole number from 0 to ${MAX_KEEP_ENDED} (got ${JSON.stringify(value)}).`
      }
    ]);
  }
  return value;
}

/** The settings in `body`, or an ApiError 400/422 naming what is wrong. Pure. */
export function parseSettings(body: unknown): ICompanionSettings {
  if (!isObject(body)) {
    throw new ApiError(400, 'bad_request', 'Send {"gateway": {...}, "workerEnvironment": {...}}.');
  }
  const problems = [
    ...unknownFields(body, ['gateway', 'workerEnvironment', 'limits', 'keepEnded']),
    ...(isObject(body.gateway)
      ? unknownFields(body.gateway, ['address', 'proxyAddress', 'optionMapping'], '/gateway')
      : []),
    ...(isObject(body.gateway) && isObject(body.gateway.optionMapping)
      ? unknownFields(body.gateway.optionMapping, ['environment', 'envVars'], '/gateway/optionMapping')
      : [])
  ];
  if (problems.length > 0) {
    throw invalidOptions(problems);
  }
  const limits = parseLimits(body.limits);
  const keepEnded = parseKeepEnded(body.keepEnded);
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
    workerEnvironment,
    limits,
    ...(keepEnded !== undefined ? { keepEnded } : {})
  };
}

/** Register `PUT api/settings`. */
export function settingsRoutes(router: Router, store: SettingsStore, changed: () => void): void {
  router.add('PUT', '/api/settings', async ({ json }) => {
    store.current = parseSettings(await json());
    changed();
    return { status: 200, body: store.current };
  });
}
