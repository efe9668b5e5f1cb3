#!/usr/bin/env node
/**
 * Benchmark: HTTP requests an idle JupyterLab makes with the Dask sidebar open.
 *
 * Starts JupyterLab (fresh Jupyter dirs, a random token, a free port), creates
 * one local cluster through the REST API, opens JupyterLab in Debian's
 * Chromium (playwright-core, never a downloaded browser), opens the Dask
 * Clusters sidebar, waits for the running cluster to show, lets the page
 * settle, then counts for a minute every HTTP request the page makes:
 * requests to /dask-clusters/ (ours; the sidebar listens on one WebSocket and
 * should make none) and every other request (JupyterLab's own, the baseline).
 * It also counts the WebSocket frames received on our event stream.
 *
 * A notebook open in the same page makes a LocalCluster in a cell, so a
 * cluster made in notebook code is listed too; the minute then also counts
 * the frames the page sends to and receives from its kernel (the kernel
 * side reports on a comm only when something changed, and nothing polls).
 *
 * Prints the counts and their ratio; writes JSON to
 * bench/results/idle_requests-<UTC time>.json. Asserts nothing.
 *
 * Every process it starts carries a marker variable in its environment; at
 * the end it looks for any still running, stops them, and exits non-zero if
 * it had to.
 *
 *   node bench/idle_requests.mjs [--seconds 60] [--settle 5] [--workers 2]
 */

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, CHROMIUM, CHROMIUM_ARGS, freePort, Lab, log, MARKER, sleep, sweep, writeResults } from './lab.mjs';

const SIDEBAR_ID = 'dask-clusters-sidebar';
const RUNNING_ITEM = '.jp-DaskClusters-item[data-state="running"]';
const KERNEL_ITEM = '.jp-DaskClusters-item[data-cluster-id^="k-"][data-state="running"]';
const NOTEBOOK = 'kernel-cluster.ipynb';
const NOTEBOOK_CODE =
  'from dask.distributed import LocalCluster\ncluster = LocalCluster(n_workers=1, threads_per_worker=1)';

function usage(message) {
  if (message) {
    console.error(message);
  }
  console.error('usage: node bench/idle_requests.mjs [--seconds 60] [--settle 5] [--workers 2]');
  process.exit(2);
}

function parseArgs(argv) {
  const args = { seconds: 60, settle: 5, workers: 2 };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '');
    if (!(name in args) || i + 1 >= argv.length) {
      usage(`unknown or incomplete option ${argv[i]}`);
    }
    const value = Number(argv[++i]);
    if (!Number.isFinite(value) || value < 0 || (name !== 'settle' && value <= 0)) {
      usage(`--${name} needs a positive number`);
    }
    args[name] = value;
  }
  return args;
}

/** The path of a URL without its query (the token stays out of the results). */
function pathOf(url) {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

/**
 * The msg_type of a kernel WebSocket frame (JSON, or JupyterLab's binary v1
 * protocol, whose header is JSON inside the frame); 'other' when none is found.
 */
function messageType(payload) {
  const text = typeof payload === 'string' ? payload : Buffer.from(payload).toString('latin1');
  const match = /"msg_type"\s*:\s*"([a-z_]+)"/.exec(text);
  return match ? match[1] : 'other';
}

function countBy(items, key) {
  const counts = {};
  for (const item of items) {
    const k = key(item);
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1]));
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const mark = randomBytes(8).toString('hex');
  // Inherited by everything started from here: jupyter, companion, runner, workers, Chromium.
  process.env[MARKER] = mark;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'jldc-bench-idle-'));
  const lab = new Lab(tmp, await freePort());
  let browser;
  let clusterId;
  let failure;
  let result;
  let stragglers = [];

  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    log('interrupted; cleaning up');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const check = () => {
    if (interrupted) {
      throw new Error('interrupted');
    }
  };

  try {
    log(`starting jupyter lab on port ${lab.port} (state in ${tmp})`);
    await lab.start();
    check();
    const types = await lab.request('GET', 'dask-clusters/api/types');
    if (types.status !== 200) {
      throw new Error(`GET api/types answered ${types.status}: ${JSON.stringify(types.body)}`);
    }
    const local = types.body.find(type => type.id === 'local');
    if (!local?.available) {
      throw new Error(`the local type is not available here: ${local?.reason}`);
    }
    const options = { workers: args.workers, threads_per_worker: 1, processes: true };
    for (const name of local.schema.required ?? []) {
      options[name] ??= local.defaults[name];
    }
    const created = await lab.request('POST', 'dask-clusters/api/clusters', { type: 'local', options });
    if (created.status !== 201) {
      throw new Error(`POST api/clusters answered ${created.status}: ${JSON.stringify(created.body)}`);
    }
    clusterId = created.body.id;
    const model = await lab.waitForCluster(
      clusterId,
      m => m.state !== 'starting' && (m.state !== 'running' || m.workers >= args.workers),
      `cluster ${clusterId} running`
    );
    if (model?.state !== 'running') {
      throw new Error(`cluster ${clusterId} did not start: ${model?.state}: ${model?.error}`);
    }
    log(`cluster ${clusterId} running with ${model.workers} workers`);
    check();

    const notebook = {
      cells: [{ cell_type: 'code', metadata: {}, source: NOTEBOOK_CODE, outputs: [], execution_count: null }],
      metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
      nbformat: 4,
      nbformat_minor: 5
    };
    const upload = await lab.request('PUT', `api/contents/${NOTEBOOK}`, {
      type: 'notebook',
      format: 'json',
      content: notebook
    });
    if (upload.status !== 201 && upload.status !== 200) {
      throw new Error(`PUT api/contents answered ${upload.status}: ${JSON.stringify(upload.body)}`);
    }

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();

    // Every request and every WebSocket frame, stamped; the window is chosen afterwards.
    const requests = [];
    const sockets = [];
    context.on('request', request => {
      requests.push({
        t: Date.now(),
        method: request.method(),
        path: pathOf(request.url()),
        type: request.resourceType()
      });
    });
    page.on('websocket', ws => {
      const socket = { opened: Date.now(), path: pathOf(ws.url()), received: [], sent: [] };
      sockets.push(socket);
      ws.on('framereceived', frame => socket.received.push({ t: Date.now(), type: messageType(frame.payload) }));
      ws.on('framesent', frame => socket.sent.push({ t: Date.now(), type: messageType(frame.payload) }));
    });

    const loadStart = Date.now();
    await page.goto(`${lab.base}lab/tree/${NOTEBOOK}?token=${lab.token}`, { timeout: 120_000 });
    const tab = page.locator(`.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="${SIDEBAR_ID}"]`);
    await tab.waitFor({ timeout: 120_000 });
    const title = await tab.getAttribute('title');
    await tab.click();
    await page.locator(RUNNING_ITEM).first().waitFor({ timeout: 60_000 });
    const shownAfter = Date.now() - loadStart;
    log(`sidebar tab "${title}" open, running cluster shown ${(shownAfter / 1000).toFixed(1)} s after navigation`);
    check();

    // A cluster made in notebook code: run the notebook's cell once its kernel is idle.
    await page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').waitFor({ timeout: 120_000 });
    await page.locator('.jp-Notebook .jp-Cell .cm-content').first().click();
    await page.keyboard.press('Shift+Enter');
    await page.locator(KERNEL_ITEM).waitFor({ timeout: 120_000 });
    log('the cluster made in the notebook is listed');
    check();

    if (args.settle > 0) {
      log(`settling for ${args.settle} s`);
      await sleep(args.settle * 1000);
    }
    check();
    log(`counting requests for ${args.seconds} s of idleness`);
    const windowStart = Date.now();
    const windowEnd = windowStart + args.seconds * 1000;
    while (Date.now() < windowEnd) {
      check();
      await sleep(Math.min(1000, windowEnd - Date.now()));
    }
    // The page must still be what we measured: the sidebar open, the cluster shown.
    const stillShown = await page.locator(RUNNING_ITEM).count();
    const kernelStillShown = await page.locator(KERNEL_ITEM).count();

    const inWindow = t => t >= windowStart && t < windowEnd;
    const ours = requests.filter(r => inWindow(r.t) && r.path.startsWith('/dask-clusters/'));
    const theirs = requests.filter(r => inWindow(r.t) && !r.path.startsWith('/dask-clusters/'));
    const beforeWindow = requests.filter(r => r.t < windowStart);
    const eventSockets = sockets.filter(s => s.path.startsWith('/dask-clusters/api/events'));
    const otherSockets = sockets.filter(s => !s.path.startsWith('/dask-clusters/api/events'));
    const framesOurs = eventSockets.reduce((n, s) => n + s.received.filter(f => inWindow(f.t)).length, 0);
    const framesOthers = {};
    for (const s of otherSockets) {
      framesOthers[s.path] = (framesOthers[s.path] ?? 0) + s.received.filter(f => inWindow(f.t)).length;
    }
    const kernelSockets = sockets.filter(s => s.path.startsWith('/api/kernels/'));
    const kernelFrames = direction =>
      kernelSockets.flatMap(s => s[direction].filter(f => inWindow(f.t)).map(f => f.type));
    const toKernel = kernelFrames('sent');
    const fromKernel = kernelFrames('received');
    const perMinute = n => (n * 60) / args.seconds;
    const ratio = theirs.length === 0 ? null : ours.length / theirs.length;

    console.log('');
    console.log(
      `Idle requests with the Dask sidebar open and one running local cluster (${args.seconds} s window after ${args.settle} s settling)`
    );
    const rows = [
      ['ours: HTTP requests to /dask-clusters/', `${ours.length}`, '(target 0: the sidebar never polls)'],
      ["baseline: JupyterLab's own HTTP requests", `${theirs.length}`, ''],
      ['RATIO ours/JupyterLab', ratio === null ? 'n/a' : ratio.toFixed(2), ''],
      [
        'WebSocket frames received on api/events',
        `${framesOurs}`,
        `(${eventSockets.length} event stream socket(s) opened)`
      ],
      ["frames on JupyterLab's own WebSockets (info)", `${Object.values(framesOthers).reduce((a, b) => a + b, 0)}`, ''],
      [
        'kernel messages sent by the page',
        `${toKernel.length}`,
        '(target 0, with a cluster made in the notebook listed)'
      ],
      [
        'kernel messages received by the page',
        `${fromKernel.length}`,
        `(comm messages: ${fromKernel.filter(t => t.startsWith('comm')).length})`
      ],
      [
        'per minute: ours / JupyterLab',
        `${perMinute(ours.length).toFixed(1)} / ${perMinute(theirs.length).toFixed(1)}`,
        ''
      ]
    ];
    const width = Math.max(...rows.map(r => r[0].length));
    for (const [label, value, note] of rows) {
      console.log(`${label.padEnd(width)}  ${value.padStart(11)}  ${note}`);
    }
    console.log(
      'for reference: dask-labextension polls every 5 s and every 4 s, about 27 requests a minute ' +
        '(12 + 15) with its sidebar open'
    );
    if (theirs.length > 0) {
      console.log("JupyterLab's own requests in the window, by path:");
      for (const [key, n] of Object.entries(countBy(theirs, r => `${r.method} ${r.path}`))) {
        console.log(`  ${String(n).padStart(3)}  ${key}`);
      }
    }
    if (ours.length > 0) {
      console.log('our requests in the window, by path:');
      for (const [key, n] of Object.entries(countBy(ours, r => `${r.method} ${r.path}`))) {
        console.log(`  ${String(n).padStart(3)}  ${key}`);
      }
    }
    if (stillShown === 0) {
      console.log('warning: the running cluster was no longer shown at the end of the window');
    }
    if (kernelStillShown === 0) {
      console.log("warning: the notebook's cluster was no longer shown at the end of the window");
    }

    const now = new Date();
    result = {
      bench: 'idle_requests',
      date: now.toISOString(),
      machine: { cpus: os.cpus().length, node: process.version, chromium: browser.version() },
      window_s: args.seconds,
      settle_s: args.settle,
      cluster: { id: clusterId, workers: args.workers, options },
      sidebar_tab_title: title,
      cluster_shown_after_navigation_s: shownAfter / 1000,
      requests: {
        ours: ours.length,
        jupyterlab: theirs.length,
        ratio_ours_to_jupyterlab: ratio,
        ours_by_path: countBy(ours, r => `${r.method} ${r.path}`),
        jupyterlab_by_path: countBy(theirs, r => `${r.method} ${r.path}`),
        before_window: beforeWindow.length,
        ours_before_window_by_path: countBy(
          beforeWindow.filter(r => r.path.startsWith('/dask-clusters/')),
          r => `${r.method} ${r.path}`
        )
      },
      websocket_frames_received: { ours_api_events: framesOurs, jupyterlab_by_path: framesOthers },
      event_stream_sockets_opened: eventSockets.length,
      kernel_messages: {
        sent_by_page: toKernel.length,
        received_by_page: fromKernel.length,
        sent_by_type: countBy(toKernel, t => t),
        received_by_type: countBy(fromKernel, t => t)
      },
      cluster_still_shown_at_end: stillShown > 0,
      kernel_cluster_still_shown_at_end: kernelStillShown > 0,
      reference: 'dask-labextension polls every 5 s and every 4 s: about 27 requests a minute'
    };
    writeResults('idle_requests', result, now);
  } catch (error) {
    failure = error;
    log(`bench failed: ${error instanceof Error ? error.message : error}`);
  } finally {
    if (browser !== undefined) {
      await browser.close().catch(() => undefined);
    }
    if (clusterId !== undefined && lab.proc?.exitCode === null) {
      try {
        const first = await lab.request('DELETE', `dask-clusters/api/clusters/${clusterId}`);
        if (first.status === 202) {
          await lab.waitForCluster(
            clusterId,
            m => ['stopped', 'failed', 'lost'].includes(m.state),
            'the cluster to stop',
            60_000
          );
        }
        await lab.request('DELETE', `dask-clusters/api/clusters/${clusterId}`);
      } catch (error) {
        log(`stopping the cluster failed (jupyter lab's shutdown stops it): ${error.message}`);
      }
    }
    log('stopping jupyter lab');
    await lab.stop();
    log('jupyter lab stopped; looking for processes left behind');
    stragglers = await sweep(mark, 30_000);
    if (stragglers.length > 0) {
      log('processes of this bench were still running after jupyter lab stopped (now stopped):');
      for (const { pid, cmd } of stragglers) {
        log(`  ${pid} ${cmd}`);
      }
    } else {
      log('checked: no process of this bench is left');
    }
    if (failure !== undefined) {
      log(`last lines of the jupyter lab log:\n${lab.logTail(40)}`);
    }
    rmSync(tmp, { recursive: true, force: true });
  }
  process.exitCode = failure === undefined && result !== undefined && stragglers.length === 0 ? 0 : 1;
}

await main();
