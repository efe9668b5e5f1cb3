import type { TranslationBundle } from '@jupyterlab/translation';
import type { ClusterState, IScaling } from '../protocol';

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/**
 * Bytes in binary units as Dask reports them, e.g. `1536` -> `1.5 KiB`.
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes <= 0) {
    return '0 B';
  }
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BINARY_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  // One decimal below 10 units, none above: "1.5 GiB", "24 GiB".
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  const text = value.toFixed(digits).replace(/\.0$/, '');
  return `${text} ${BINARY_UNITS[unit]}`;
}

/**
 * The translated name of a lifecycle state.
 */
export function stateLabel(trans: TranslationBundle, state: ClusterState): string {
  switch (state) {
    case 'starting':
      return trans.__('starting');
    case 'running':
      return trans.__('running');
    case 'stopping':
      return trans.__('stopping');
    case 'stopped':
      return trans.__('stopped');
    case 'failed':
      return trans.__('failed');
    case 'lost':
      return trans.__('lost');
  }
}

/**
 * How a cluster is scaled, in words: "fixed" or "adaptive 1–8".
 */
export function scalingLabel(trans: TranslationBundle, scaling: IScaling): string {
  return scaling.mode === 'adaptive'
    ? trans.__('adaptive %1–%2', scaling.minimum, scaling.maximum)
    : trans.__('fixed %1', scaling.workers);
}

/**
 * A value as it reads in a form description: strings bare, the rest as JSON.
 */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text;
}

/**
 * When something started, in the reader's locale: the time alone if today, else the date and time.
 */
export function formatStart(iso: string, now: number = Date.now()): string | undefined {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return undefined;
  }
  // A bare time of an earlier day would read as today's.
  return date.toDateString() === new Date(now).toDateString() ? date.toLocaleTimeString() : date.toLocaleString();
}
