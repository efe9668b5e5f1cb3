/**
 * The fields every cluster type shares about its end, each defined once:
 * its lifetime (the companion stops it when that is over, busy or not) and
 * its idle timeout (it stops after that long without tasks: the scheduler's
 * own `idle_timeout` where the runner holds the scheduler, the runner's watch
 * where the scheduler is remote), and whether it keeps running when
 * JupyterLab stops. Sites set their defaults, caps and policy with the limits
 * settings.
 */

import type { JSONSchema7 } from 'json-schema';
import type { ICompanionLimits, IDefaultSource, IFieldError } from '../../../protocol/index.js';

/** The lifetime field: a duration such as `8h`, `90m`, `1h30m` or `2:00`. */
export const LIFETIME_FIELD = 'lifetime';
/** The idle timeout field: minutes without tasks. */
export const IDLE_TIMEOUT_FIELD = 'idle_timeout';
/** Whether the cluster keeps running when JupyterLab stops. */
export const KEEP_RUNNING_FIELD = 'keep_running';
/** All three, in form order. */
export const ENDING_FIELDS = [LIFETIME_FIELD, IDLE_TIMEOUT_FIELD, KEEP_RUNNING_FIELD] as const;

/** The limits that bear on the end of a cluster (0 or absent: none). */
export type IEndingLimits = Pick<
  ICompanionLimits,
  | 'defaultLifetimeMinutes'
  | 'maxLifetimeMinutes'
  | 'defaultIdleTimeoutMinutes'
  | 'maxIdleTimeoutMinutes'
  | 'keepRunning'
>;

const WHERE = 'set by your site or in Settings > Dask Clusters > Limits';

const UNIT_MINUTES: Record<string, number> = { d: 1440, h: 60, min: 1, m: 1, s: 1 / 60 };
const PART = /(\d+(?:\.\d+)?|\.\d+)\s*(d|h|min|m|s)?\s*/y;
const CLOCK = /^(\d+):([0-5]\d)(?::([0-5]\d))?$/;

/** Minutes of a duration (`8h`, `90m`, `1h 30min`, `1.5h`, `2:00`; a number alone is minutes), or undefined. */
export function parseDuration(text: string): number | undefined {
  const source = text.trim().toLowerCase();
  const clock = CLOCK.exec(source);
  if (clock !== null) {
    return Number(clock[1]) * 60 + Number(clock[2]) + Number(clock[3] ?? 0) / 60;
  }
  let minutes = 0;
  let parts = 0;
  let unitless = false;
  PART.lastIndex = 0;
  while (PART.lastIndex < source.length) {
    const match = PART.exec(source);
    if (match === null) {
      return undefined;
    }
    parts += 1;
    unitless ||= match[2] === undefined;
    minutes += Number(match[1]) * UNIT_MINUTES[match[2] ?? 'm'];
  }
  // A bare number is minutes only on its own: "1h 30" is a typo, not 90 minutes.
  return parts === 0 || (unitless && parts > 1) ? undefined : minutes;
}

/** A duration as people write it: `2 h`, `1 h 30 min`, `45 min`, `30 s`. */
export function formatMinutes(minutes: number): string {
  if (minutes < 1) {
    return `${Math.round(minutes * 60)} s`;
  }
  if (minutes >= 2880 && minutes % 1440 === 0) {
    return `${minutes / 1440} d`;
  }
  const hours = Math.floor(minutes / 60);
  const rest = Math.round((minutes - hours * 60) * 10) / 10;
  if (hours === 0) {
    return `${rest} min`;
  }
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

function positive(value: number | undefined): number | undefined {
  return value !== undefined && value > 0 ? value : undefined;
}

/** A field's default in force and where it comes from: the site's default (within the cap), else the cap. */
function defaultOf(
  fallback: number | undefined,
  cap: number | undefined,
  names: { default: string; cap: string }
): { minutes: number; source: string } | undefined {
  if (fallback !== undefined && (cap === undefined || fallback <= cap)) {
    return { minutes: fallback, source: `limits.${names.default}, ${WHERE}` };
  }
  return cap === undefined
    ? undefined
    : { minutes: cap, source: `the most allowed here (limits.${names.cap}, ${WHERE})` };
}

const NAMES = {
  lifetime: { default: 'defaultLifetimeMinutes', cap: 'maxLifetimeMinutes' },
  idle: { default: 'defaultIdleTimeoutMinutes', cap: 'maxIdleTimeoutMinutes' }
};

function lifetimeDefault(limits: IEndingLimits) {
  return defaultOf(positive(limits.defaultLifetimeMinutes), positive(limits.maxLifetimeMinutes), NAMES.lifetime);
}

function idleDefault(limits: IEndingLimits) {
  return defaultOf(positive(limits.defaultIdleTimeoutMinutes), positive(limits.maxIdleTimeoutMinutes), NAMES.idle);
}

/** The shared fields' schemas, their defaults in force and where those come from. */
export function endingFields(
  limits: IEndingLimits,
  fields: readonly string[] = ENDING_FIELDS
): { properties: Record<string, JSONSchema7>; sources: IDefaultSource[] } {
  const lifetime = lifetimeDefault(limits);
  const idle = idleDefault(limits);
  const properties: Record<string, JSONSchema7> = {};
  const sources: IDefaultSource[] = [];
  if (fields.includes(LIFETIME_FIELD)) {
    const cap = positive(limits.maxLifetimeMinutes);
    properties[LIFETIME_FIELD] = {
      type: 'string',
      title: 'Lifetime',
      description:
        'How long the cluster may run, e.g. 8h, 90m, 1h30m or 2:00 (a number alone is minutes); it is stopped then, ' +
        `busy or not. ${cap !== undefined ? `At most ${formatMinutes(cap)} here.` : 'Empty: no limit.'}`,
      ...(lifetime !== undefined ? { default: formatMinutes(lifetime.minutes) } : {})
    };
    if (lifetime !== undefined) {
      sources.push({ field: LIFETIME_FIELD, value: formatMinutes(lifetime.minutes), source: lifetime.source });
    }
  }
  if (fields.includes(IDLE_TIMEOUT_FIELD)) {
    const cap = positive(limits.maxIdleTimeoutMinutes);
    properties[IDLE_TIMEOUT_FIELD] = {
      type: 'number',
      title: 'Idle timeout (minutes)',
      description:
        'Stop the cluster after this many minutes without tasks. ' +
        (cap !== undefined ? `At most ${cap} here.` : 'Empty: never.'),
      exclusiveMinimum: 0,
      ...(idle !== undefined ? { default: idle.minutes } : {})
    };
    if (idle !== undefined) {
      sources.push({ field: IDLE_TIMEOUT_FIELD, value: idle.minutes, source: idle.source });
    }
  }
  const policy = limits.keepRunning ?? 'optional';
  if (fields.includes(KEEP_RUNNING_FIELD) && policy !== 'never') {
    properties[KEEP_RUNNING_FIELD] = {
      type: 'boolean',
      title: 'Keep running when JupyterLab stops',
      description:
        'The cluster (and its batch jobs) outlives JupyterLab; the next JupyterLab you start re-adopts it. ' +
        'Otherwise it stops with JupyterLab.',
      default: policy === 'default'
    };
    if (policy === 'default') {
      sources.push({ field: KEEP_RUNNING_FIELD, value: true, source: `limits.keepRunning = "default", ${WHERE}` });
    }
  }
  return { properties, sources };
}

/** How a cluster ends, from its validated options: minutes of lifetime and of idle timeout. */
export interface IEnding {
  lifetimeMinutes?: number;
  idleTimeoutMinutes?: number;
  keepRunning?: boolean;
}

/** Whether the cluster keeps running: the field, else the site's default (where the site forbids it, the field is not offered, so the engine refuses it as unknown). */
function keepRunningOf(value: unknown, limits: IEndingLimits): boolean {
  const policy = limits.keepRunning ?? 'optional';
  return policy !== 'never' && (typeof value === 'boolean' ? value : policy === 'default');
}

function lifetimeOf(value: unknown, limits: IEndingLimits): number | IFieldError | undefined {
  if (value !== undefined && typeof value !== 'string') {
    return undefined; // the schema says it must be a string
  }
  if (value === undefined || value.trim() === '') {
    return lifetimeDefault(limits)?.minutes;
  }
  const minutes = parseDuration(value);
  if (minutes === undefined || minutes <= 0) {
    return {
      path: `/${LIFETIME_FIELD}`,
      message: `Lifetime "${value}" is not a duration: write e.g. 8h, 90m, 1h30m or 2:00 (a number alone is minutes).`
    };
  }
  const cap = positive(limits.maxLifetimeMinutes);
  if (cap !== undefined && minutes > cap) {
    return {
      path: `/${LIFETIME_FIELD}`,
      message: `A lifetime of ${formatMinutes(minutes)} is more than the ${formatMinutes(cap)} a cluster may run here (limits.maxLifetimeMinutes = ${cap}, ${WHERE}); ask for ${formatMinutes(cap)} or less.`
    };
  }
  return minutes;
}

function idleOf(value: unknown, limits: IEndingLimits): number | IFieldError | undefined {
  if (value !== undefined && (typeof value !== 'number' || !(value > 0))) {
    return undefined; // the schema says what is wrong
  }
  if (value === undefined) {
    return idleDefault(limits)?.minutes;
  }
  const cap = positive(limits.maxIdleTimeoutMinutes);
  if (cap !== undefined && value > cap) {
    return {
      path: `/${IDLE_TIMEOUT_FIELD}`,
      message: `An idle timeout of ${value} minutes is more than the ${cap} allowed here (limits.maxIdleTimeoutMinutes, ${WHERE}); use ${cap} or less.`
    };
  }
  return value;
}

/**
 * The lifetime and idle timeout of `options` (empty fields take the default
 * in force), or the field errors of values over the caps or unreadable.
 */
export function endingOf(
  options: Record<string, unknown>,
  limits: IEndingLimits,
  fields: readonly string[] = ENDING_FIELDS
): { ending: IEnding } | { fields: IFieldError[] } {
  const lifetime = fields.includes(LIFETIME_FIELD) ? lifetimeOf(options[LIFETIME_FIELD], limits) : undefined;
  const idle = fields.includes(IDLE_TIMEOUT_FIELD) ? idleOf(options[IDLE_TIMEOUT_FIELD], limits) : undefined;
  const keep = fields.includes(KEEP_RUNNING_FIELD) && keepRunningOf(options[KEEP_RUNNING_FIELD], limits);
  const errors = [lifetime, idle].filter((value): value is IFieldError => typeof value === 'object');
  if (errors.length > 0) {
    return { fields: errors };
  }
  return {
    ending: {
      ...(typeof lifetime === 'number' ? { lifetimeMinutes: lifetime } : {}),
      ...(typeof idle === 'number' ? { idleTimeoutMinutes: idle } : {}),
      ...(keep ? { keepRunning: true } : {})
    }
  };
}

/** When a cluster stops and why: `why` finishes "until it stops before …", `reason` is the item's end reason. */
export interface IPlannedEnd {
  at: Date;
  why: string;
  reason: string;
}

/** The end of a lifetime of `minutes` started at `now`. */
export function lifetimeEnd(minutes: number, now: Date): IPlannedEnd {
  const text = formatMinutes(minutes);
  return {
    at: new Date(now.getTime() + minutes * 60_000),
    why: `its lifetime of ${text} ends`,
    reason: `Lifetime of ${text} reached.`
  };
}

/** The earlier of two planned ends. */
export function earlierEnd(a: IPlannedEnd | undefined, b: IPlannedEnd | undefined): IPlannedEnd | undefined {
  if (a === undefined || b === undefined) {
    return a ?? b;
  }
  return b.at.getTime() < a.at.getTime() ? b : a;
}

/** The end reason of a cluster that its scheduler (or the runner) stopped for being idle. */
export function idleEndReason(minutes: number): string {
  const text = Number.isInteger(minutes) ? String(minutes) : String(Math.round(minutes * 10) / 10);
  return `Stopped after ${text} minute${text === '1' ? '' : 's'} without tasks.`;
}
