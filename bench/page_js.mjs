#!/usr/bin/env node
/**
 * Benchmark: the JavaScript our labextension makes JupyterLab fetch at start,
 * and what the extension costs the page load.
 *
 * Builds the production labextension (what the wheel ships) from the sources
 * into a temporary directory, then starts two JupyterLabs that differ only in
 * it: one with it, one without (both with the other labextensions of the
 * virtualenv). In Debian's Chromium (playwright-core) it opens each in a fresh
 * browser context (no cache) and measures:
 *
 * - bytes: every file of ours the page fetched from navigation until the
 *   left sidebar is shown and some seconds of settling, gzip-compressed
 *   (level 6) from the build, against dask-labextension 7.0.0's 16.6 KB;
 *   then what the first opening of the Dask sidebar and of [+ New] fetch.
 * - time: navigation start to the left sidebar shown (its tabs, ours among
 *   them where the extension is installed, and the file browser's listing),
 *   median of --runs interleaved runs on each side, as a ratio.
 *
 * Prints both ratios; writes JSON to bench/results/page_js-<UTC time>.json.
 * Asserts nothing.
 *
 *   node bench/page_js.mjs [--runs 7] [--settle 3] [--source DIR]
 *
 * --source builds another tree instead of this checkout's, e.g. an older commit:
 *   git archive COMMIT src protocol style schema package.json tsconfig.json | tar -x -C DIR
 */

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  chromium,
  CHROMIUM,
  CHROMIUM_ARGS,
  freePort,
  Lab,
  log,
  MARKER,
  repo,
  sleep,
  sweep,
  writeResults
} from './lab.mjs';

const NAME = 'jupyterlab-dask-clusters';
const PEER_BYTES = 16_600; // dask-labextension 7.0.0 at start, gzip (issue 15)
const OUR_STATIC = `/lab/extensions/${NAME}/static/`;
const SIDEBAR_TAB = '.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="dask-clusters-sidebar"]';

const USAGE = 'usage: node bench/page_js.mjs [--runs 7] [--settle 3] [--source DIR]';

function parseArgs(argv) {
  const args = { runs: 7, settle: 3, source: repo };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    const value = name === 'source' ? path.resolve(argv[i + 1] ?? '') : Number(argv[i + 1]);
    if (!(name in args) || argv[i + 1] === undefined || (name !== 'source' && !(value >= 0))) {
      console.error(USAGE);
      process.exit(2);
    }
    args[name] = value;
  }
  return args;
}

/**
 * The production build of the sources in `source` (a checkout, or an export of an older commit
 * with src, protocol, style, schema, package.json and tsconfig.json), made in `dir` with this
 * checkout's node_modules; returns the labextension directory.
 */
function buildProduction(source, dir) {
  const ext = path.join(dir, 'ext');
  mkdirSync(ext);
  for (const item of ['package.json', 'tsconfig.json', 'src', 'protocol', 'style', 'schema']) {
    cpSync(path.join(source, item), path.join(ext, item), { recursive: true });
  }
  symlinkSync(path.join(repo, 'node_modules'), path.join(ext, 'node_modules'));
  const tsc = path.join(repo, 'node_modules', '.bin', 'tsc');
  const tsArgs = ['-p', path.join(ext, 'tsconfig.json'), '--outDir', path.join(ext, 'lib')];
  execFileSync(tsc, [...tsArgs, '--tsBuildInfoFile', path.join(dir, 'tsbuildinfo')], { stdio: 'inherit' });
  const builder = path.join(repo, '.venv', 'bin', 'jupyter-builder');
  execFileSync(builder, ['build', ext], { cwd: ext, stdio: ['ignore', 'ignore', 'inherit'] });
  return path.join(ext, 'jupyterlab_dask_clusters', 'labextension');
}

/** A labextensions directory with the virtualenv's others, and ours when given. */
function extensionsDir(dir, ours) {
  mkdirSync(dir);
  const venv = path.join(repo, '.venv', 'share', 'jupyter', 'labextensions');
  for (const entry of readdirSync(venv)) {
    if (entry !== NAME) {
      symlinkSync(path.join(venv, entry), path.join(dir, entry));
    }
  }
  if (ours) {
    symlinkSync(ours, path.join(dir, NAME));
  }
  return dir;
}

/** Gzip sizes (level 6) of the files of a build's static directory, by name. */
function gzipSizes(labextension) {
  const staticDir = path.join(labextension, 'static');
  const sizes = {};
  for (const file of readdirSync(staticDir)) {
    const raw = readFileSync(path.join(staticDir, file));
    sizes[file] = { raw: raw.length, gzip: gzipSync(raw, { level: 6 }).length };
  }
  return sizes;
}

/** Wait until the left sidebar shows (with our tab when `ours`); the page's clock then, in ms. */
async function sidebarShown(page, ours) {
  const handle = await page.waitForFunction(
    withOurs => {
      const bar = document.querySelector('.jp-SideBar.jp-mod-left');
      const ok =
        bar?.querySelector('.lm-TabBar-tab[data-id="filebrowser"]') &&
        (!withOurs || bar.querySelector('.lm-TabBar-tab[data-id="dask-clusters-sidebar"]')) &&
        document.querySelector('.jp-DirListing-content') &&
        document.querySelector('#filebrowser')?.checkVisibility();
      return ok ? performance.now() : false;
    },
    ours,
    { polling: 'raf', timeout: 120_000 }
  );
  return handle.jsonValue();
}

/** One cold page load (fresh context); our files fetched, by phase when `explore`. */
async function loadOnce(browser, lab, ours, settle, explore) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  try {
    const page = await context.newPage();
    const fetched = [];
    page.on('response', response => {
      const { pathname } = new URL(response.url());
      if (pathname.startsWith(OUR_STATIC)) {
        fetched.push(pathname.slice(OUR_STATIC.length));
      }
    });
    // The exploring run has a workspace of its own, so the timed runs never restore our sidebar open.
    const where = explore ? 'lab/workspaces/page-js' : 'lab';
    await page.goto(`${lab.base}${where}?token=${lab.token}`, { timeout: 120_000 });
    const shownMs = await sidebarShown(page, ours);
    await sleep(settle * 1000);
    const phases = { start: [...fetched] };
    if (explore) {
      await page.locator(SIDEBAR_TAB).click();
      await page.locator('.jp-DaskClusters-empty, .jp-DaskClusters-item').first().waitFor({ timeout: 60_000 });
      await sleep(500);
      phases.sidebar = fetched.slice(phases.start.length);
      await page.locator('.jp-DaskClusters-new').click();
      await page.locator('.jp-DaskClusters-newDialog').waitFor({ timeout: 60_000 });
      await sleep(500);
      phases.newDialog = fetched.slice(phases.start.length + phases.sidebar.length);
    }
    return { shownMs, phases };
  } finally {
    await context.close();
  }
}

const median = xs => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const kb = bytes => `${(bytes / 1000).toFixed(1)} KB`;

function bytesOf(files, sizes) {
  return files.reduce((sum, file) => sum + (sizes[file.split('?')[0]]?.gzip ?? 0), 0);
}

function report(args, sizes, explored, times) {
  const startBytes = bytesOf(explored.phases.start, sizes);
  const ours = median(times.ours);
  const base = median(times.without);
  console.log('');
  console.log('JavaScript of ours fetched at start (production build, gzip -6):');
  for (const file of explored.phases.start) {
    console.log(`  ${file.padEnd(40)} ${kb(sizes[file.split('?')[0]]?.gzip ?? 0).padStart(9)}`);
  }
  const rows = [
    ['start-up bytes, gzip', kb(startBytes), `dask-labextension 7.0.0: ${kb(PEER_BYTES)}`],
    ['RATIO ours/dask-labextension', (startBytes / PEER_BYTES).toFixed(2), '(target <= 1)'],
    ['first opening of the sidebar fetches', kb(bytesOf(explored.phases.sidebar, sizes)), ''],
    ['first [+ New] fetches', kb(bytesOf(explored.phases.newDialog, sizes)), ''],
    [`sidebar shown, median of ${args.runs}: with ours`, `${ours.toFixed(0)} ms`, `runs ${times.ours.join(', ')}`],
    [`sidebar shown, median of ${args.runs}: without`, `${base.toFixed(0)} ms`, `runs ${times.without.join(', ')}`],
    ['RATIO with/without', (ours / base).toFixed(2), '']
  ];
  const width = Math.max(...rows.map(r => r[0].length));
  for (const [label, value, note] of rows) {
    console.log(`${label.padEnd(width)}  ${value.padStart(9)}  ${note}`);
  }
  return { startBytes, ours, base };
}

async function measure(args, browser, labs, sizes) {
  log('warming up both (companion start, caches); one exploring run with the extension');
  await loadOnce(browser, labs.without, false, 0, false);
  const explored = await loadOnce(browser, labs.ours, true, args.settle, true);
  const times = { ours: [], without: [] };
  for (let i = 0; i < args.runs; i++) {
    const order = i % 2 === 0 ? ['ours', 'without'] : ['without', 'ours'];
    for (const side of order) {
      const { shownMs } = await loadOnce(browser, labs[side], side === 'ours', 0, false);
      times[side].push(Math.round(shownMs));
    }
    log(`run ${i + 1}/${args.runs}: with ${times.ours.at(-1)} ms, without ${times.without.at(-1)} ms`);
  }
  return { explored, times };
}

function save(args, sizes, explored, times, summary, browser) {
  const now = new Date();
  const result = {
    bench: 'page_js',
    date: now.toISOString(),
    machine: { cpus: os.cpus().length, node: process.version, chromium: browser.version() },
    runs: args.runs,
    settle_s: args.settle,
    files_gzip: sizes,
    fetched: explored.phases,
    start_bytes_gzip: summary.startBytes,
    peer_start_bytes_gzip: PEER_BYTES,
    ratio_bytes: summary.startBytes / PEER_BYTES,
    sidebar_shown_ms: times,
    ratio_time_median: summary.ours / summary.base
  };
  writeResults('page_js', result, now);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const mark = randomBytes(8).toString('hex');
  process.env[MARKER] = mark;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'jldc-bench-pagejs-'));
  let browser;
  let failure;
  const labs = {};
  let stragglers = [];
  try {
    log(`building the production labextension of ${args.source} in ${tmp}`);
    const labextension = buildProduction(args.source, tmp);
    const sizes = gzipSizes(labextension);
    for (const [side, ours] of [
      ['ours', labextension],
      ['without', undefined]
    ]) {
      const dir = path.join(tmp, side);
      mkdirSync(dir);
      const exts = extensionsDir(path.join(dir, 'labextensions'), ours);
      labs[side] = new Lab(dir, await freePort(), [`--LabApp.labextensions_path=${exts}`]);
      await labs[side].start();
      log(`jupyter lab ${side === 'ours' ? 'with' : 'without'} the extension on port ${labs[side].port}`);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    const { explored, times } = await measure(args, browser, labs, sizes);
    const summary = report(args, sizes, explored, times);
    save(args, sizes, explored, times, summary, browser);
  } catch (error) {
    failure = error;
    log(`bench failed: ${error instanceof Error ? error.stack : error}`);
  } finally {
    await browser?.close().catch(() => undefined);
    for (const lab of Object.values(labs)) {
      await lab.stop();
    }
    stragglers = await sweep(mark, 30_000);
    for (const { pid, cmd } of stragglers) {
      log(`left behind (now stopped): ${pid} ${cmd}`);
    }
    if (stragglers.length === 0) {
      log('checked: no process of this bench is left');
    }
    rmSync(tmp, { recursive: true, force: true });
  }
  process.exit(failure !== undefined || stragglers.length > 0 ? 1 : 0);
}

await main();
