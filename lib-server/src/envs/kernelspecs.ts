/**
 * Python environments named by kernelspecs. Pure: turns the output of
 * `runner.py kernelspecs` into interpreter paths.
 */

import path from 'node:path';
import { isObject } from '../util/objects.js';

/** An interpreter and the kernelspecs that use it. */
export interface ICandidate {
  python: string;
  label: string;
  kernelspecs: string[];
}

/** A bare `python`, `python3` or `python3.X` means "the Jupyter server's Python" (as jupyter_client does). */
export function isBarePython(argv0: string): boolean {
  return /^python(3(\.\d+)?)?$/.test(argv0);
}

/**
 * Interpreters of the Python kernelspecs in `specs` (KernelSpecManager's
 * get_all_specs() output), plus the Jupyter server's own interpreter, which
 * is always listed (first) as the fallback environment.
 *
 * `which` resolves a relative command on PATH; `identity` maps an
 * interpreter path to a key that is equal for two paths of the same
 * environment (`bin/python` and `bin/python3`).
 */
export function candidatesFromKernelspecs(
  specs: unknown,
  serverPython: string,
  which: (command: string) => string | undefined,
  identity: (python: string) => string = python => python
): ICandidate[] {
  const byKey = new Map<string, { python: string; names: string[]; labels: string[] }>();
  byKey.set(identity(serverPython), { python: serverPython, names: [], labels: [] });
  if (isObject(specs)) {
    for (const name of Object.keys(specs).sort()) {
      const entry = specs[name];
      const spec = isObject(entry) ? entry.spec : undefined;
      if (!isObject(spec) || typeof spec.language !== 'string' || spec.language.toLowerCase() !== 'python') {
        continue;
      }
      const argv = Array.isArray(spec.argv) ? spec.argv : [];
      const argv0 = typeof argv[0] === 'string' ? argv[0] : undefined;
      if (argv0 === undefined) {
        continue;
      }
      const python = isBarePython(argv0) ? serverPython : path.isAbsolute(argv0) ? argv0 : which(argv0);
      if (python === undefined) {
        continue;
      }
      const key = identity(python);
      const known = byKey.get(key) ?? { python, names: [], labels: [] };
      known.names.push(name);
      known.labels.push(typeof spec.display_name === 'string' ? spec.display_name : name);
      byKey.set(key, known);
    }
  }
  return [...byKey.values()].map(({ python, names, labels }) => ({
    python,
    kernelspecs: names,
    label: labels.length > 0 ? labels.join(', ') : `Jupyter server environment (${python})`
  }));
}
