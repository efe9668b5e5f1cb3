/** The shape check of a scaling request, the same for every cluster type. */

import type { IFieldError, IScaling } from '../../../protocol/index.js';
import { adaptiveBoundsProblem, type IScalingOptions } from '../backends/fields.js';
import { isObject } from '../util/objects.js';
import { unknownFields } from '../util/unknown-fields.js';

function isCount(value: unknown, least: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= least;
}

/** `body` as an IScaling, or every problem with it. */
export function parseScaling(body: unknown): { scaling: IScaling } | { fields: IFieldError[] } {
  if (!isObject(body)) {
    return {
      fields: [
        {
          path: '',
          message: 'Send {"mode": "fixed", "workers": n} or {"mode": "adaptive", "minimum": a, "maximum": b}.'
        }
      ]
    };
  }
  const raw = body;
  const allowed = raw.mode === 'fixed' ? ['mode', 'workers'] : ['mode', 'minimum', 'maximum'];
  const fields: IFieldError[] = unknownFields(raw, allowed);
  if (raw.mode === 'fixed') {
    if (!isCount(raw.workers, 0)) {
      fields.push({
        path: '/workers',
        message: `Workers must be a whole number of at least 0 (got ${JSON.stringify(raw.workers)}).`
      });
    }
    return fields.length > 0 ? { fields } : { scaling: { mode: 'fixed', workers: raw.workers as number } };
  }
  if (raw.mode !== 'adaptive') {
    return {
      fields: [{ path: '/mode', message: `Mode must be "fixed" or "adaptive" (got ${JSON.stringify(raw.mode)}).` }]
    };
  }
  if (!isCount(raw.minimum, 0)) {
    fields.push({
      path: '/minimum',
      message: `Minimum must be a whole number of at least 0 (got ${JSON.stringify(raw.minimum)}).`
    });
  }
  if (!isCount(raw.maximum, 1)) {
    fields.push({
      path: '/maximum',
      message: `Maximum must be a whole number of at least 1 (got ${JSON.stringify(raw.maximum)}).`
    });
  }
  const bounds =
    fields.length === 0 ? adaptiveBoundsProblem(raw.minimum as number, raw.maximum as number, '/minimum') : undefined;
  if (bounds !== undefined) {
    fields.push(bounds);
  }
  return fields.length > 0
    ? { fields }
    : { scaling: { mode: 'adaptive', minimum: raw.minimum as number, maximum: raw.maximum as number } };
}

/** A validated form's scaling fields as an IScaling. Pure. */
export function scalingFromOptions(o: IScalingOptions): IScaling {
  return o.adaptive
    ? { mode: 'adaptive', minimum: o.adaptive_minimum, maximum: o.adaptive_maximum }
    : { mode: 'fixed', workers: o.workers };
}
