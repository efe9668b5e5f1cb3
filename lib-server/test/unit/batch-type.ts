/** Shared fakes for the tests of the batch types built on dask-jobqueue (pbs, lsf, htcondor). */

import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IFieldError, IJob } from '../../../protocol/index.js';
import type { IBackend } from '../../src/backends/backend.js';
import { definedBackend } from '../../src/backends/defined.js';
import type { ITypeDefinition } from '../../src/backends/definition.js';
import { Registry, type IClusterRecord } from '../../src/clusters/registry.js';
import type { IEnvironmentInfo } from '../../src/envs/probe.js';
import type { IStartCommand } from '../../src/runner/protocol.js';
import { SERVER_PYTHON, USABLE } from './fixtures.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** A fixture of `system` (test/fixtures/batch/<system>/<name>). */
export const sample = (system: string, name: string) =>
  readFileSync(path.join(here, '..', 'fixtures', 'batch', system, name), 'utf8');

/** An environment with dask-jobqueue. */
export const JOBQUEUE: IEnvironmentInfo = {
  ...USABLE,
  probe: { ...USABLE.probe!, packages: { ...USABLE.probe!.packages, dask_jobqueue: '0.9.0' } }
};

/** What runner.py answers: `args` and the input -> its JSON. */
export type FakeRunner = (args: string[], input: unknown) => unknown;

/** The script the default fake runner renders. */
export const SCRIPT = '#!/usr/bin/env bash\n# the job script';

const defaultRunner: FakeRunner = args => (args[0] === 'job-script' ? { script: SCRIPT } : { config: {} });

/** The backend of `definition` with credentials under `/shared/<id>`; `runner` answers runner.py subcommands. */
export function typeBackend(definition: ITypeDefinition, runner: FakeRunner = defaultRunner) {
  const calls: { args: string[]; input: unknown }[] = [];
  const backend = definedBackend(definition, {
    environments: async () => [JOBQUEUE],
    serverPython: SERVER_PYTHON,
    securityBase: `/shared/${definition.id}`,
    runRunner: async (_python, args, input) => {
      calls.push({ args, input });
      return runner(args, input);
    }
  });
  return { backend, calls };
}

/** What a batch type's definition is made from. */
type MakeDefinition<C> = (hooks: { commands: C; logDirectory: string; intervalMs: number }) => ITypeDefinition;

/** The backend of the batch type `make` builds with `commands`, its logs under `/shared/<system>/logs`, a 10 ms timer. */
export function batchTypeBackend<C>(make: MakeDefinition<C>, system: string, commands: C, runner?: FakeRunner) {
  return typeBackend(make({ commands, logDirectory: `/shared/${system}/logs`, intervalMs: 10 }), runner);
}

/** The start command `backend` plans for `options` (cluster c0ffee12); fails on a refusal. */
export async function startOf(backend: IBackend, options: Record<string, unknown>): Promise<IStartCommand> {
  const planned = await backend.plan({ type: backend.id, options }, 'c0ffee12');
  if ('fields' in planned) {
    throw new Error(JSON.stringify(planned.fields));
  }
  return planned.plan.start;
}

/** The refusals of `options` by a create and by a preview alike. */
export async function refusals(backend: IBackend, options: Record<string, unknown>): Promise<IFieldError[][]> {
  const results = [
    await backend.plan({ type: backend.id, options }, 'c1'),
    await backend.preview!({ type: backend.id, options })
  ];
  return results.map(result => ('fields' in result ? result.fields : []));
}

/** A running cluster `id` of `type` whose runner reported `jobs`. */
export function batchCluster(type: string, id: string, jobs: IJob[], options: Record<string, unknown>): IClusterRecord {
  return {
    model: {
      id,
      name: id,
      type,
      state: 'running',
      createdAt: '2026-12-02T12:00:00Z',
      spec: { type, options },
      scaling: { mode: 'fixed', workers: jobs.length },
      workers: 0,
      cores: 0,
      memory: 0,
      environment: { python: SERVER_PYTHON, label: 'py' },
      hasDashboard: true,
      jobs
    },
    workDirs: [],
    logFile: '/dev/null',
    jobIds: jobs.map(job => job.id)
  };
}

/** A registry in a fresh directory holding `records`. */
export function registryOf(...records: IClusterRecord[]): Registry {
  return new Registry(mkdtempSync(path.join(os.tmpdir(), 'batch-type-')), records);
}

/** Resolves once `done` holds, polling every 5 ms (at most 2 s). */
export async function until(done: () => boolean): Promise<void> {
  for (let waited = 0; !done(); waited += 5) {
    if (waited > 2000) {
      throw new Error('timed out');
    }
    await new Promise(resolve => setTimeout(resolve, 5));
  }
}

/** Stops cluster `id` of `registry` (as the manager does when its runner ends). */
export function stop(registry: Registry, id: string): void {
  registry.update(id, record => {
    record.model.state = 'stopped';
  });
}

/** Checks that a create and a preview of `options` are refused on `field` with `message`, and no job script is rendered. */
export async function expectRefused(
  made: ReturnType<typeof typeBackend>,
  options: Record<string, unknown>,
  field: string,
  message: string | RegExp
): Promise<void> {
  for (const fields of await refusals(made.backend, options)) {
    expect(fields.find(f => f.path === field)?.message).toEqual(
      typeof message === 'string' ? message : expect.stringMatching(message)
    );
  }
  expect(made.calls.filter(call => call.args[0] === 'job-script')).toEqual([]);
}

/** The input of runner.py job-script for a preview of `options`, once the preview answered its script. */
export async function previewInput(made: ReturnType<typeof typeBackend>, options: Record<string, unknown>) {
  expect(await made.backend.preview!({ type: made.backend.id, options })).toEqual({ script: SCRIPT });
  return made.calls.find(call => call.args[0] === 'job-script')!.input;
}
