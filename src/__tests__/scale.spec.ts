import { nullTranslator } from '@jupyterlab/translation';
import { mergeScaleValues, scaleSchema, scalingFromValues, valuesFromScaling } from '../dialogs/scale';

const trans = nullTranslator.load('test');

describe('scale form', () => {
  it('round-trips fixed and adaptive scaling', () => {
    const fixed = valuesFromScaling({ mode: 'fixed', workers: 4 }, 4);
    expect(scalingFromValues(fixed, trans)).toEqual({ mode: 'fixed', workers: 4 });
    const adaptive = valuesFromScaling({ mode: 'adaptive', minimum: 1, maximum: 9 }, 3);
    expect(scalingFromValues(adaptive, trans)).toEqual({
      mode: 'adaptive',
      minimum: 1,
      maximum: 9
    });
  });

  it('keeps the hidden mode’s numbers and lets a field be cleared', () => {
    const start = valuesFromScaling({ mode: 'fixed', workers: 4 }, 4);
    const adaptive = mergeScaleValues(start, { mode: 'adaptive', minimum: 2, maximum: 6 });
    const back = mergeScaleValues(adaptive, { mode: 'fixed' });
    expect(back.workers).toBe(4);
    const cleared = mergeScaleValues(back, { mode: 'fixed', workers: undefined });
    expect(cleared.workers).toBeUndefined();
    expect(() => scalingFromValues(cleared, trans)).toThrow('Workers');
  });

  it('shows only the chosen mode’s fields', () => {
    expect(Object.keys(scaleSchema('fixed', trans).properties ?? {})).toEqual(['mode', 'workers']);
    expect(Object.keys(scaleSchema('adaptive', trans).properties ?? {})).toEqual(['mode', 'minimum', 'maximum']);
  });
});
