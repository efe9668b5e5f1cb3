import type { JSONSchema7 } from 'json-schema';
import { schemaErrors } from '../../src/util/schema-errors.js';

/** A form's schema as the companion builds it per request: a new object each time. */
const form = (maximum: number): JSONSchema7 => ({
  type: 'object',
  additionalProperties: false,
  properties: { workers: { type: 'integer', title: 'Workers', minimum: 0, maximum } }
});

describe('schemaErrors', () => {
  it('names the field by its title and says what it got', () => {
    expect(schemaErrors(form(8), { workers: 9 })).toEqual([
      { path: '/workers', message: 'Workers must be at most 8 (got 9).' }
    ]);
    expect(schemaErrors(form(8), { workers: 'two' })).toEqual([
      { path: '/workers', message: 'Workers must be an integer (got "two").' }
    ]);
  });

  it('answers a schema built anew the same, and a changed one by its new limits', () => {
    // Validators are reused by schema text: equal schemas share one, a changed one gets its own.
    for (let i = 0; i < 3; i++) {
      expect(schemaErrors(form(8), { workers: 9 })).toHaveLength(1);
      expect(schemaErrors(form(16), { workers: 9 })).toEqual([]);
      expect(schemaErrors(form(4), { workers: 5 })[0].message).toBe('Workers must be at most 4 (got 5).');
    }
  });

  it('keeps answering right past the number of validators it keeps', () => {
    for (let maximum = 1; maximum <= 80; maximum++) {
      expect(schemaErrors(form(maximum), { workers: maximum + 1 })[0].message).toContain(`at most ${maximum} `);
    }
    expect(schemaErrors(form(1), { workers: 1 })).toEqual([]);
  });
});
