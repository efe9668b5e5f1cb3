import {
  formatMemory,
  formatMemoryApart,
  formatMemoryAs,
  MEMORY_PATTERN,
  parseMemory,
  parsePbsMemory
} from '../../src/util/memory.js';

describe('parseMemory', () => {
  it.each([
    ['3.5 GiB', 3.5 * 2 ** 30],
    ['4GB', 4e9],
    ['4gb', 4e9],
    ['4 g', 4e9],
    ['512MiB', 512 * 2 ** 20],
    ['512 mib', 512 * 2 ** 20],
    ['1.5kB', 1500],
    ['2Ki', 2048],
    ['100', 100],
    ['100 B', 100],
    ['.5 TiB', 2 ** 39]
  ])('reads %s with dask units', (text, bytes) => {
    expect(parseMemory(text)).toBe(bytes);
  });

  it.each(['16XB', '', 'GB', '-1GB', '1e9', '4 GiBs', 'four GB', '1..5GB'])('rejects %j', text => {
    expect(parseMemory(text)).toBeUndefined();
  });

  it('agrees with the pattern the form checks', () => {
    const pattern = new RegExp(MEMORY_PATTERN);
    for (const text of ['3.5 GiB', '4GB', '512MiB', '100', '2 k', '16XB', 'GB', '4 GiBs']) {
      expect(pattern.test(text)).toBe(parseMemory(text) !== undefined);
    }
  });
});

describe('formatMemory', () => {
  it('uses the largest binary unit and never rounds up', () => {
    expect(formatMemory(3.5 * 2 ** 30)).toBe('3.5 GiB');
    expect(formatMemory(2 ** 30 - 1)).toBe('1023.99 MiB');
    expect(formatMemory(512)).toBe('512 B');
    expect(formatMemory(10 * 2 ** 40)).toBe('10 TiB');
  });

  it('round-trips through parseMemory without exceeding the original', () => {
    for (const bytes of [1e9, 12345678901, 7 * 2 ** 30 + 1, 3 * 2 ** 20]) {
      const back = parseMemory(formatMemory(bytes));
      expect(back).toBeDefined();
      expect(back!).toBeLessThanOrEqual(bytes);
      expect(back!).toBeGreaterThan(bytes * 0.99);
    }
  });
});

describe('formatMemoryAs', () => {
  it('writes a size in the unit the user typed, rounding the way that keeps it allowed', () => {
    expect(formatMemoryAs(32 * 2 ** 30, '40 GB')).toBe('34.35 GB');
    expect(formatMemoryAs(256 * 2 ** 20, '0.1gb', 'up')).toBe('0.27 GB');
    expect(formatMemoryAs(256 * 2 ** 20, '100mib', 'up')).toBe('256 MiB');
    expect(formatMemoryAs(3 * 2 ** 30, 'lots')).toBe('3 GiB');
  });

  it('shows two sizes apart, never the same number for a refused one and its limit', () => {
    // 10.5859 GiB and 10.5869 GiB: both "10.58 GiB" with two decimals.
    const host = 10 * 2 ** 30 + 600 * 2 ** 20;
    const typed = 10 * 2 ** 30 + 601 * 2 ** 20;
    expect(formatMemoryApart(typed, host, '10.5869 GiB')).toEqual(['10.586 GiB', '10.585 GiB']);
    expect(formatMemoryApart(11 * 2 ** 30, host, '11 GiB')).toEqual(['11 GiB', '10.58 GiB']);
  });
});

describe('parsePbsMemory', () => {
  it('reads PBS sizes as binary units', () => {
    expect(parsePbsMemory('4gb')).toBe(4 * 2 ** 30);
    expect(parsePbsMemory('4096mb')).toBe(4 * 2 ** 30);
    expect(parsePbsMemory('1048576kb')).toBe(2 ** 30);
    expect(parsePbsMemory('1073741824')).toBe(2 ** 30);
    expect(parsePbsMemory('2kw')).toBe(2 * 1024 * 8);
    expect(parsePbsMemory('lots')).toBeUndefined();
  });
});
