// Bundles the companion into one ESM file, so the Python wheel needs no node_modules.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The output file of `npm run build`: next to runner.py in the Python package. */
export const defaultOutfile = path.join(here, '..', 'jupyterlab_dask_clusters', 'companion', 'main.mjs');

/** Bundle src/main.ts into `outfile`. */
export async function bundle(outfile = defaultOutfile) {
  await build({
    entryPoints: [path.join(here, 'src', 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // ws loads these native helpers only when present.
    external: ['bufferutil', 'utf-8-validate'],
    // CommonJS dependencies (ws, http-proxy-3) call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __companionCreateRequire } from 'node:module';\nconst require = __companionCreateRequire(import.meta.url);"
    },
    legalComments: 'none',
    logLevel: 'warning'
  });
  return outfile;
}

// No top-level await: jest's globalSetup require()s this module.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  bundle(process.argv[2] ?? defaultOutfile).then(
    outfile => console.log(`built ${path.relative(process.cwd(), outfile)}`),
    error => {
      console.error(error);
      process.exitCode = 1;
    }
  );
}
