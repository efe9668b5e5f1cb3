/**
 * Memory sizes as dask writes them: decimal units (kB, MB, GB = 1e3, 1e6,
 * 1e9) and binary units (KiB, MiB, GiB = 2^10, 2^20, 2^30), case-insensitive,
 * with or without a space; a bare number is bytes.
 */

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  p: 1e15,
  pb: 1e15,
  ki: 2 ** 10,
  kib: 2 ** 10,
  mi: 2 ** 20,
  mib: 2 ** 20,
  gi: 2 ** 30,
  gib: 2 ** 30,
  ti: 2 ** 40,
  tib: 2 ** 40,
  pi: 2 ** 50,
  pib: 2 ** 50
};

const MEMORY_RE = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]*)\s*$/;

/** A regular expression for the form field: what `parseMemory` accepts. */
export const MEMORY_PATTERN = '^\\s*(\\d+(\\.\\d*)?|\\.\\d+)\\s*([kKmMgGtTpP]([iI])?)?[bB]?\\s*$';

/** Bytes in `text`, or undefined when it is not a memory size. */
export function parseMemory(text: string): number | undefined {
  const match = MEMORY_RE.exec(text);
  if (!match) {
    return undefined;
  }
  const factor = UNITS[match[2].toLowerCase()];
  if (factor === undefined) {
    return undefined;
  }
  return Math.floor(Number(match[1]) * factor);
}

const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/**
 * `bytes` in the largest binary unit that keeps the number >= 1, rounded
 * down to two decimals, so a formatted default never exceeds its budget.
 */
export function formatMemory(bytes: number): string {
  let unit = 0;
  let value = bytes;
  while (value >= 1024 && unit < BINARY.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const rounded = Math.floor(value * 100) / 100;
  return `${Number(rounded.toFixed(2))} ${BINARY[unit]}`;
}

/** The spelling a size is written in for each factor a user may type. */
const UNIT_NAMES: ReadonlyArray<[number, string]> = [
  [1, 'B'],
  [1e3, 'kB'],
  [1e6, 'MB'],
  [1e9, 'GB'],
  [1e12, 'TB'],
  [1e15, 'PB'],
  [2 ** 10, 'KiB'],
  [2 ** 20, 'MiB'],
  [2 ** 30, 'GiB'],
  [2 ** 40, 'TiB'],
  [2 ** 50, 'PiB']
];

/** The factor of the unit `text` is written in (1 for a bare number), or undefined when it is not a size. */
export function unitFactor(text: string): number | undefined {
  const match = MEMORY_RE.exec(text);
  return match ? UNITS[match[2].toLowerCase()] : undefined;
}

/**
 * `bytes` written in the unit of `like` (what the user typed), so a limit
 * reads in the units the user thinks in. `round` says which way: a maximum
 * is rounded down and a minimum up, so the number shown is itself allowed.
 * Falls back to binary units when `like` is not a size.
 */
export function formatMemoryAs(bytes: number, like: string, round: 'down' | 'up' = 'down', decimals = 2): string {
  const factor = unitFactor(like);
  if (factor === undefined) {
    return formatMemory(bytes);
  }
  const name = UNIT_NAMES.find(([f]) => f === factor)?.[1] ?? 'B';
  const scale = 10 ** decimals;
  const value = bytes / factor;
  const rounded = (round === 'down' ? Math.floor(value * scale) : Math.ceil(value * scale)) / scale;
  return `${Number(rounded.toFixed(decimals))} ${name}`;
}

/**
 * Two different sizes in the unit of `like`, with as many decimals as it
 * takes for them to read differently: a refused total never reads the same
 * as the limit it exceeds ("10.59 GiB is more than 10.58 GiB", not a
 * rounding of one into the other).
 */
export function formatMemoryApart(a: number, b: number, like: string): [string, string] {
  let pair: [string, string] = ['', ''];
  for (let decimals = 2; decimals <= 6; decimals++) {
    pair = [formatMemoryAs(a, like, 'down', decimals), formatMemoryAs(b, like, 'down', decimals)];
    if (pair[0] !== pair[1]) {
      break;
    }
  }
  return pair;
}

/**
 * Memory as PBS writes it (`4gb`, `4096mb`, `1048576kb`, bytes): PBS units
 * are binary, whatever their spelling.
 */
export function parsePbsMemory(text: string): number | undefined {
  const match = /^\s*(\d+)\s*([kmgtp]?)(b|w)?\s*$/i.exec(text);
  if (!match) {
    return undefined;
  }
  const power = ' kmgtp'.indexOf(match[2].toLowerCase() || ' ');
  // PBS counts memory in words when the suffix is `w` (8 bytes each).
  const word = match[3]?.toLowerCase() === 'w' ? 8 : 1;
  return Number(match[1]) * 1024 ** power * word;
}
