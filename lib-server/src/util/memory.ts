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
export const MEMORY_PATTERN =
  '^\\s*(\\d+(\\.\\d*)?|\\.\\d+)\\s*([kKmMgGtTpP]([iI])?)?[bB]?\\s*$';

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
