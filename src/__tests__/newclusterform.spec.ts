import { ApiError } from '../api/errors';
import { chooseType, formErrors, NewClusterForm } from '../dialogs/newclusterform';
import { DEFAULT_SETTINGS } from '../settings';
import { makeEnvironments, makeType } from './fixtures';

const slurm = makeType({
  id: 'slurm',
  title: 'SLURM',
  schema: {
    type: 'object',
    properties: { cores: { type: 'integer' }, queue: { type: 'string' } }
  },
  defaults: { cores: 4, queue: 'debug' },
  linked: []
});
const gateway = makeType({
  id: 'gateway',
  title: 'Gateway',
  available: false,
  reason: 'no gateway address configured'
});

function makeForm(settings = DEFAULT_SETTINGS, kernelName: string | null = null) {
  return new NewClusterForm({
    types: [gateway, makeType(), slurm],
    environments: makeEnvironments(),
    settings,
    kernelName
  });
}

describe('chooseType', () => {
  it('prefers the default type, then any available one', () => {
    const types = [gateway, makeType(), slurm];
    expect(chooseType(types, 'slurm')?.id).toBe('slurm');
    expect(chooseType(types, 'gateway')?.id).toBe('local');
    expect(chooseType([gateway], 'local')?.id).toBe('gateway');
    expect(chooseType([], 'local')).toBeUndefined();
  });
});

describe('NewClusterForm', () => {
  it('starts from defaults, last-used values and the kernel environment', () => {
    const form = makeForm({ ...DEFAULT_SETTINGS, lastOptions: { local: { workers: 7, stale: 1 } } }, 'science');
    expect(form.type?.id).toBe('local');
    expect(form.values).toEqual({
      profile: 'small',
      workers: 7,
      threads: 2,
      memory: '4GiB',
      environment: '/envs/science/bin/python'
    });
  });

  it('keeps each type’s values when switching, and refuses unavailable types', () => {
    const form = makeForm();
    form.setValues({ ...form.values, workers: 3 });
    form.selectType('slurm');
    expect(form.values).toEqual({ cores: 4, queue: 'debug' });
    form.selectType('gateway');
    expect(form.type?.id).toBe('slurm');
    form.selectType('local');
    expect(form.values.workers).toBe(3);
  });

  it('sets linked fields when the profile changes', () => {
    const form = makeForm();
    form.setValues({ ...form.values, profile: 'large' });
    expect(form.values).toMatchObject({ workers: 8, threads: 4, memory: '16GiB' });
  });

  it('applies a preset of another type by switching to it', () => {
    const form = makeForm();
    form.applyPreset({ name: 'long', type: 'slurm', options: { queue: 'long', x: 1 } });
    expect(form.type?.id).toBe('slurm');
    expect(form.values).toEqual({ cores: 4, queue: 'long' });
  });

  it('builds the request, with the name only when given', () => {
    const form = makeForm();
    expect(form.request()).toEqual({ type: 'local', options: form.values });
    form.setName('  etl  ');
    expect(form.request().name).toBe('etl');
  });

  it("shows the server's message when the request failed as a whole", () => {
    const form = makeForm();
    form.showError(new ApiError(400, { error: 'bad_json', message: 'The body is not valid JSON.' }));
    expect(form.errors.fields).toEqual({});
    expect(form.errors.messages).toEqual(['The body is not valid JSON.']);
  });

  it('places server field errors next to fields and keeps the rest as messages', () => {
    const form = makeForm();
    const values = form.values;
    form.showError(
      new ApiError(422, {
        error: 'invalid-options',
        message: 'Some options are not valid.',
        fields: [
          { path: '/workers', message: 'too many workers' },
          { path: '/options/memory', message: 'more than the node has' },
          { path: '/name', message: 'name taken' },
          { path: '/spec', message: 'no such field' }
        ]
      })
    );
    expect(form.errors.fields).toEqual({
      workers: { __errors: ['too many workers'] },
      memory: { __errors: ['more than the node has'] }
    });
    // The name field is outside the type's form: its message goes next to it.
    expect(form.errors.name).toBe('name taken');
    // Only what has no field of its own; the summary would repeat the rest.
    expect(form.errors.messages).toEqual(['spec: no such field']);
    // Nothing the user typed is lost.
    expect(form.values).toBe(values);

    form.setValues({ ...form.values, workers: 1 });
    expect(form.errors.fields).toEqual({
      memory: { __errors: ['more than the node has'] }
    });
  });

  it('shows other failures as a message', () => {
    const form = makeForm();
    form.showError(new Error('network down'));
    expect(form.errors).toEqual({ fields: {}, messages: ['network down'] });
  });

  it('splits field errors without a type', () => {
    expect(formErrors([{ path: '/x', message: 'm' }], undefined)).toEqual({
      fields: {},
      messages: ['x: m']
    });
  });
});
