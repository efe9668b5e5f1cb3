import {
  applyLinked,
  changedFromDefaults,
  environmentForKernel,
  initialOptions,
  pickKnown,
  storedChanges
} from '../dialogs/defaults';
import { annotateSources, labelEnums } from '../dialogs/schema';
import { makeEnvironments, makeType } from './fixtures';

describe('initialOptions', () => {
  it('starts from the type defaults', () => {
    expect(initialOptions({ type: makeType(), environments: [] })).toEqual({
      profile: 'small',
      workers: 2,
      threads: 2,
      memory: '4GiB'
    });
  });

  it('puts last-used values over the defaults and drops keys the schema does not know', () => {
    const values = initialOptions({
      type: makeType(),
      lastUsed: { workers: 6, retired: true },
      environments: []
    });
    expect(values.workers).toBe(6);
    expect(values.threads).toBe(2);
    expect(values).not.toHaveProperty('retired');
  });

  it('puts the environment of the current kernel over everything', () => {
    const values = initialOptions({
      type: makeType(),
      lastUsed: { environment: '/envs/elsewhere/bin/python' },
      environments: makeEnvironments(),
      kernelName: 'science-gpu'
    });
    expect(values.environment).toBe('/envs/science/bin/python');
  });

  it('never chooses an unusable environment', () => {
    const values = initialOptions({
      type: makeType(),
      lastUsed: { environment: '/envs/science/bin/python' },
      environments: makeEnvironments(),
      kernelName: 'old'
    });
    expect(values.environment).toBe('/envs/science/bin/python');
    expect(environmentForKernel(makeEnvironments(), 'old')).toBeUndefined();
    expect(environmentForKernel(makeEnvironments(), null)).toBeUndefined();
  });

  it('respects an enum on the environment field', () => {
    const type = makeType();
    type.schema = {
      type: 'object',
      properties: { environment: { type: 'string', enum: ['/usr/bin/python3'] } }
    };
    const values = initialOptions({
      type,
      environments: makeEnvironments(),
      kernelName: 'science'
    });
    expect(values).not.toHaveProperty('environment');
  });

  it('leaves types without an environment field alone', () => {
    const type = makeType();
    type.schema = { type: 'object', properties: { workers: { type: 'integer' } } };
    const values = initialOptions({
      type,
      environments: makeEnvironments(),
      kernelName: 'science'
    });
    expect(values).toEqual({ workers: 2 });
  });
});

describe('applyLinked', () => {
  it('sets the linked fields when the profile changes', () => {
    const type = makeType();
    const previous = { profile: 'small', workers: 2, threads: 2, memory: '4GiB' };
    expect(applyLinked(type, previous, { ...previous, profile: 'large' })).toEqual({
      profile: 'large',
      workers: 8,
      threads: 4,
      memory: '16GiB'
    });
  });

  it('keeps the user’s own edits while the profile stays', () => {
    const type = makeType();
    const previous = { profile: 'small', workers: 2 };
    expect(applyLinked(type, previous, { profile: 'small', workers: 5 })).toEqual({
      profile: 'small',
      workers: 5
    });
  });

  it('ignores a profile value without links', () => {
    const type = makeType();
    expect(applyLinked(type, { profile: 'small' }, { profile: 'custom' })).toEqual({
      profile: 'custom'
    });
  });
});

describe('annotateSources', () => {
  it('names only the source in effect when several give a field its default', () => {
    const schema = annotateSources(
      makeType().schema,
      [
        { field: '/memory', value: '', source: 'the gateway' },
        { field: '/memory', value: '2GiB', source: 'your settings' }
      ],
      s => `[${s.source}]`
    );
    expect(schema.properties?.memory).toMatchObject({ description: '[your settings]' });
  });

  it('appends where a default came from to the field description', () => {
    const type = makeType();
    const schema = annotateSources(
      type.schema,
      [
        { field: 'workers', value: 4, source: 'sinfo' },
        { field: '/memory', value: '6GiB', source: 'free memory' },
        { field: 'missing', value: 1, source: 'nowhere' }
      ],
      s => `[${s.source}]`
    );
    const props = schema.properties ?? {};
    expect(props.workers).toMatchObject({ description: 'Worker processes. [sinfo]' });
    expect(props.memory).toMatchObject({ description: '[free memory]' });
    expect(type.schema.properties?.workers).toMatchObject({
      description: 'Worker processes.'
    });
  });

  it('does not repeat a source the description already names', () => {
    const schema = annotateSources(
      {
        type: 'object',
        properties: { workers: { type: 'integer', description: 'Default 2: 2 CPUs.' } }
      },
      [{ field: 'workers', value: 2, source: '2 CPUs' }],
      s => `[${s.source}]`
    );
    expect(schema.properties?.workers).toMatchObject({ description: 'Default 2: 2 CPUs.' });
  });

  it('turns ui:enumNames into oneOf titles, leaving other fields alone', () => {
    const type = makeType();
    const schema = labelEnums(type.schema, {
      profile: { 'ui:enumNames': ['Small (2 workers)'] },
      workers: { 'ui:widget': 'updown' }
    });
    expect(schema.properties?.profile).toEqual({
      type: 'string',
      oneOf: [
        { const: 'small', title: 'Small (2 workers)' },
        { const: 'large', title: 'large' }
      ]
    });
    expect(schema.properties?.workers).toBe(type.schema.properties?.workers);
    const plain = makeType().schema;
    expect(labelEnums(plain, {})).toBe(plain);
  });

  it('picks only known keys', () => {
    expect(pickKnown(makeType().schema, { workers: 1, x: 2 })).toEqual({ workers: 1 });
    expect(pickKnown(makeType().schema, undefined)).toEqual({});
  });
});

describe('storedChanges', () => {
  it('keeps only stored values that still differ from the defaults in effect and that the schema allows', () => {
    const type = makeType();
    const stored = { profile: 'gone', workers: 2, threads: 3, retired: 1 };
    expect(storedChanges(type, stored, type.defaults)).toEqual({ threads: 3 });
    // Against the defaults in effect (e.g. a site override of threads), not only the type's own.
    expect(storedChanges(type, stored, { ...type.defaults, threads: 3 })).toEqual({});
    expect(changedFromDefaults(type, { threads: 3, memory: undefined }, { threads: 3 })).toEqual({});
  });

  it('moves gateway values stored under the old names: the interpreter to environment, the old option to gateway_environment', () => {
    const type = makeType({
      id: 'gateway',
      schema: {
        type: 'object',
        properties: { environment: { type: 'string' }, gateway_environment: { type: 'object' } }
      },
      defaults: { environment: '/usr/bin/python3', gateway_environment: {} }
    });
    const stored = { python_environment: '/envs/a/bin/python', environment: { X: '1' } };
    expect(storedChanges(type, stored, type.defaults)).toEqual({
      environment: '/envs/a/bin/python',
      gateway_environment: { X: '1' }
    });
  });
});
