// Bundles the companion into one ESM file, so the Python wheel needs no node_modules.
import { build } from 'esbuild';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The output file of `npm run build`: next to runner.py in the Python package. */
export const defaultOutfile = path.join(here, '..', 'jupyterlab_dask_clusters', 'companion', 'main.mjs');

/** The packages (name -> directory) whose code went into the bundle, from esbuild's metafile. */
function bundledPackages(metafile) {
  const packages = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match) {
      const dir = input.slice(0, match.index + match[0].length - 1).replace(/^\//, '');
      packages.set(match[1], path.resolve(here, dir));
    }
  }
  return packages;
}

/** Their licence texts, next to the bundle: the MIT and ISC licences ask that they ship with it. */
function writeLicenses(metafile, outfile) {
  const sections = [];
  for (const [name, dir] of [...bundledPackages(metafile)].sort(([a], [b]) => a.localeCompare(b))) {
    const { version, license } = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const file = readdirSync(dir).find(entry => /^(licen[cs]e|copying)(\.|$)/i.test(entry));
    if (!file) {
      throw new Error(`${name} is bundled but has no licence file to ship with it`);
    }
    sections.push(`${name} ${version} (${license})\n\n${readFileSync(path.join(dir, file), 'utf8').trim()}\n`);
  }
  const header = 'Third-party code bundled into main.mjs, with its licences.\n';
  writeFileSync(
    path.join(path.dirname(outfile), 'THIRD_PARTY_LICENSES.txt'),
    [header, ...sections].join(`\n${'-'.repeat(72)}\n\n`)
  );
}

/**
 * node:http is loaded with require() instead of an ESM import. An import
 * builds the module's whole namespace, and node:http's has getters
 * (WebSocket, MessageEvent, ...) that load Node's bundled undici; Node 22
 * then compiles undici's WebAssembly at once, which --lite-mode (serverproxy.py)
 * cannot, and the companion would not start.
 */
const httpByRequire = {
  name: 'http-by-require',
  setup(build) {
    build.onResolve({ filter: /^(node:)?http$/ }, args =>
      args.namespace === 'http-by-require'
        ? { path: 'node:http', external: true }
        : { path: 'node:http', namespace: 'http-by-require' }
    );
    build.onLoad({ filter: /.*/, namespace: 'http-by-require' }, () => ({
      contents: "module.exports = require('node:http');",
      loader: 'js'
    }));
  }
};

/**
 * Bundle src/main.ts into `outfile`, with the licences of what it bundles
 * beside it; `minify` for releases (the wheel), readable otherwise.
 */
export async function bundle(outfile = defaultOutfile, { minify = false } = {}) {
  const result = await build({
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
    // Licences ship whole in THIRD_PARTY_LICENSES.txt instead.
    legalComments: 'none',
    plugins: [httpByRequire],
    minify,
    metafile: true,
    logLevel: 'warning'
  });
  writeLicenses(result.metafile, outfile);
  return outfile;
}

// No top-level await: jest's globalSetup require()s this module.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const outfile = args.find(arg => !arg.startsWith('--')) ?? defaultOutfile;
  bundle(outfile, { minify: args.includes('--minify') }).then(
    outfile => console.log(`built ${path.relative(process.cwd(), outfile)}`),
    error => {
      console.error(error);
      process.exitCode = 1;
    }
  );
}
