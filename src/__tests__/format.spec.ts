import { nullTranslator } from '@jupyterlab/translation';
import { formatBytes, formatValue, scalingLabel, stateLabel } from '../format';

const trans = nullTranslator.load('test');

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [-5, '0 B'],
    [Number.NaN, '0 B'],
    [512, '512 B'],
    [1536, '1.5 KiB'],
    [1024 ** 3, '1 GiB'],
    [8 * 1024 ** 3, '8 GiB'],
    [24.4 * 1024 ** 3, '24 GiB'],
    [1.25 * 1024 ** 4, '1.3 TiB']
  ])('%p bytes is %p', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe('labels', () => {
  it('names states and scaling', () => {
    expect(stateLabel(trans, 'lost')).toBe('lost');
    expect(scalingLabel(trans, { mode: 'fixed', workers: 3 })).toBe('fixed 3');
    expect(scalingLabel(trans, { mode: 'adaptive', minimum: 1, maximum: 8 })).toBe('adaptive 1–8');
  });

  it('shows values as text', () => {
    expect(formatValue('4GiB')).toBe('4GiB');
    expect(formatValue(4)).toBe('4');
    expect(formatValue(['a'])).toBe('["a"]');
    expect(formatValue(undefined)).toBe('undefined');
  });
});
