/**
 * A user's walk through Dask Gateway clusters, in a real JupyterLab in
 * Chromium against the real dask-gateway-server of `make gateway-up`:
 * [+ New] with the Gateway type and the form built from the gateway's own
 * options, a refused value on its field, a running cluster, a dashboard tab,
 * the inserted code computing in a real kernel, and a cluster made from Python
 * code listed, adopted and stopped. Screenshots: ui-tests/screenshots/gateway-*.png.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { fill, insertClientCode, openSidebar, openTaskStream } from './helpers';

const SHOTS = path.join(__dirname, '..', 'screenshots');
const NOTEBOOK = 'gateway-client.ipynb';
const PYTHON = path.join(__dirname, '..', '..', '.venv', 'bin', 'python');
const GATEWAY_DIR = process.env.JDC_GATEWAY_DIR ?? '/tmp/jdc-gateway';
/** A worker variable set in the settings, which reaches the workers through the mapped option. */
const WALK_VAR = 'JDC_WALK_VAR';

/** The KEY=VALUE lines of gateway.sh; fails loudly when the gateway was not started. */
function gatewayEnv(): Record<string, string> {
  const file = path.join(GATEWAY_DIR, 'env');
  if (!fs.existsSync(file)) {
    throw new Error(`No ${file}: start the test gateway with make gateway-up.`);
  }
  const entries = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(line => line.includes('='))
    .map(line => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]);
  return Object.fromEntries(entries);
}

const gw = gatewayEnv();
const password = fs.readFileSync(gw.JDC_GATEWAY_PASSWORD_FILE, 'utf8').trim();

/** Python with the dask_gateway client, configured as a user of the gateway would be. */
function python(code: string): string {
  return execFileSync(PYTHON, ['-c', code], {
    env: { ...process.env, ...gw, DASK_GATEWAY__AUTH__KWARGS__PASSWORD: password },
    encoding: 'utf8',
    timeout: 120000
  }).trim();
}

/** The names of the user's live clusters on the gateway. */
function liveOnGateway(): string[] {
  return JSON.parse(
    python(
      'import json\nfrom dask_gateway import Gateway\nprint(json.dumps([c.name for c in Gateway().list_clusters()]))'
    )
  ) as string[];
}

// Real settings: Galata's in-memory settings answer every URL ending in
// api/settings, so the companion's PUT api/settings would never arrive.
test.use({ autoGoto: true, mockSettings: false });
test.describe.configure({ mode: 'serial' });

async function stop(page: IJupyterLabPageFixture, item: Locator): Promise<void> {
  await item.locator('.jp-DaskClusters-stop').click();
  const confirm = page.locator('.jp-Dialog');
  if (await confirm.isVisible()) {
    await confirm.getByRole('button', { name: /Stop/ }).click();
  }
}

test('a Dask Gateway cluster from [+ New], and one made from code adopted', async ({ page }) => {
  // Settings, as a user would write them in the Settings Editor: the worker
  // variables fill the gateway's mapping option named "environment".
  await page.evaluate(
    async ([name]) => {
      const app = (
        window as unknown as {
          jupyterapp: { serviceManager: { settings: { save(id: string, raw: string): Promise<void> } } };
        }
      ).jupyterapp;
      await app.serviceManager.settings.save(
        'jupyterlab-dask-clusters:plugin',
        JSON.stringify({
          gateway: { optionMapping: { envVars: 'environment' } },
          workerEnvironment: { [name]: 'from-settings' }
        })
      );
      // Galata's own settings are off too: no news prompt over the screenshots.
      await app.serviceManager.settings.save(
        '@jupyterlab/apputils-extension:notification',
        JSON.stringify({ fetchNews: 'false' })
      );
    },
    [WALK_VAR]
  );
  await page.reload();
  await page.notebook.createNew(NOTEBOOK, { kernel: 'python3' });
  await page.notebook.setCell(0, 'markdown', '# Dask Gateway client');
  const panel = await openSidebar(page);

  // [+ New] with the Gateway type: the form comes from the gateway's options.
  await panel.locator('.jp-DaskClusters-new').click();
  const dialog = page.locator('.jp-Dialog');
  const typeSelect = dialog.locator('.jp-DaskClusters-typeSelect select');
  await expect(typeSelect.locator('option', { hasText: 'Dask Gateway' })).toBeEnabled();
  await typeSelect.selectOption({ label: 'Dask Gateway' });
  await expect(dialog.locator('.jp-DaskClusters-typeDescription')).toContainText(gw.JDC_GATEWAY_ADDRESS);

  // One field of every option type, with the gateway's labels and defaults.
  await expect(dialog.locator('#root_worker_cores')).toHaveValue('1'); // int
  await expect(dialog.locator('#root_worker_memory')).toHaveValue('1'); // float
  await expect(dialog.locator('#root_label')).toHaveValue(''); // string
  await expect(dialog.locator('#root_verbose')).not.toBeChecked(); // bool
  await expect(dialog.locator('#root_profile option:checked')).toHaveText('standard'); // select
  await expect(dialog.locator('#root_profile option')).toHaveText(['standard', 'short-lived']);
  for (const label of [
    'Worker cores',
    'Worker memory (GiB)',
    'Cluster label',
    'Verbose worker logs',
    'Profile',
    'Environment variables'
  ]) {
    await expect(dialog.getByText(label, { exact: true }).first()).toBeVisible();
  }
  // The mapping, filled from the settings' worker variables.
  await expect(dialog.locator(`[id="root_gateway_environment_${WALK_VAR}"]`)).toHaveValue('from-settings');
  await expect(dialog.locator('#root_environment')).toBeVisible();
  await expect(dialog.locator('#root_workers')).toBeVisible();

  // A value outside the gateway's bounds is refused on its field, and nothing can start.
  // (The companion's 422 for such a value, field by field, is covered by
  // lib-server/test/integration/gateway.test.ts.)
  const start = dialog.getByRole('button', { name: 'Start' });
  await fill(page, 'worker_cores', '9');
  const coresField = dialog.locator('.form-group', { has: page.locator('#root_worker_cores') }).last();
  await expect(coresField).toContainText('Enter a number from 1 to 4.');
  await expect(start).toBeDisabled();
  await dialog.screenshot({ path: `${SHOTS}/gateway-field-error.png` });
  await expect(panel.locator('.jp-DaskClusters-item')).toHaveCount(0);

  await fill(page, 'worker_cores', '2');
  await fill(page, 'label', 'galata');
  await page.locator('.jp-Dialog #root_profile').selectOption({ label: 'short-lived' });
  await fill(page, 'workers', '1');
  await expect(coresField).not.toContainText('Enter a number');
  await dialog.screenshot({ path: `${SHOTS}/gateway-new-dialog.png` });
  await start.click();
  await expect(dialog).toHaveCount(0);

  // The cluster runs on the gateway, with the chosen cores per worker.
  const firstId = await panel.locator('.jp-DaskClusters-item').first().getAttribute('data-cluster-id');
  const item = panel.locator(`.jp-DaskClusters-item[data-cluster-id="${firstId}"]`);
  await expect(item).toHaveAttribute('data-state', 'running', { timeout: 120000 });
  await expect(item.locator('.jp-DaskClusters-type')).toHaveText('gateway');
  await expect(item.locator('.jp-DaskClusters-workers')).toHaveText('1', { timeout: 90000 });
  await expect(item.locator('.jp-DaskClusters-cores')).toContainText('2');
  await expect(item.locator('.jp-DaskClusters-plot').first()).toBeVisible({ timeout: 60000 });
  await panel.screenshot({ path: `${SHOTS}/gateway-running.png` });

  // A dashboard plot in a lab tab, through the companion's proxy to the gateway.
  await openTaskStream(page, item);
  await page.screenshot({ path: `${SHOTS}/gateway-dashboard.png` });

  // The inserted code connects through the gateway, holds no secret, and computes.
  const inserted = await insertClientCode(page, item, NOTEBOOK);
  expect(inserted).toContain('Gateway(');
  expect(inserted).toContain('.connect(');
  expect(inserted).toContain('get_client()');
  expect(inserted).not.toContain(password);
  const firstName = /connect\("([0-9a-f]+)"\)/.exec(inserted)?.[1] ?? '';
  expect(liveOnGateway()).toContain(firstName);
  await page.notebook.addCell(
    'code',
    [
      'import os',
      'import dask.array as da',
      'print(int(da.ones((2000, 2000), chunks=250).sum().compute()))',
      `print(sorted(set(client.run(lambda: os.environ.get("${WALK_VAR}")).values())))`
    ].join('\n')
  );
  await page.notebook.run();
  const outputs = page.locator('.jp-Notebook .jp-OutputArea-output');
  await expect(outputs.last()).toContainText('4000000', { timeout: 90000 });
  await expect(outputs.last()).toContainText("['from-settings']");
  await expect(page.locator('.jp-Notebook')).not.toContainText(password);
  await page.screenshot({ path: `${SHOTS}/gateway-notebook.png` });

  // A gateway cluster made in the notebook is listed as the notebook's, once, and
  // leaves when the notebook shuts it down.
  await page.notebook.addCell(
    'code',
    'from dask_gateway import Gateway\nmine = Gateway().new_cluster()\nprint(mine.name)'
  );
  const last = (await page.notebook.getCellCount()) - 1;
  await page.notebook.runCell(last);
  const mine = ((await page.notebook.getCellTextOutput(last))?.join('') ?? '').trim();
  expect(mine).toMatch(/^[0-9a-z.]+$/);
  const held = panel.locator('.jp-DaskClusters-item[data-cluster-id^="k-"]', { hasText: 'mine' });
  await expect(held).toHaveCount(1, { timeout: 10000 });
  await expect(held.locator('.jp-DaskClusters-type')).toHaveText('GatewayCluster');
  await expect(held.locator('.jp-DaskClusters-environment')).toContainText('.ipynb');
  await page.waitForTimeout(12000); // a refresh of the gateway's list (every 10 s) lists it nowhere else
  await expect(panel.locator(`.jp-DaskClusters-external[data-name="${mine}"]`)).toHaveCount(0);
  await panel.screenshot({ path: `${SHOTS}/gateway-from-notebook.png` });
  await page.notebook.addCell('code', 'mine.shutdown()\nprint(mine.status)');
  const shutdown = (await page.notebook.getCellCount()) - 1;
  await page.notebook.runCell(shutdown);
  await expect
    .poll(async () => (await page.notebook.getCellTextOutput(shutdown))?.join('') ?? '', { timeout: 30000 })
    .toContain('closed');
  await expect(held).toHaveCount(0, { timeout: 15000 });
  expect(liveOnGateway()).not.toContain(mine);

  // A cluster made from Python code is listed as not managed here...
  const made = python(
    'from dask_gateway import Gateway\ncluster = Gateway().new_cluster(shutdown_on_close=False)\nprint(cluster.name)'
  )
    .split('\n')
    .pop() as string;
  expect(liveOnGateway()).toContain(made);
  const external = panel.locator(`.jp-DaskClusters-external[data-name="${made}"]`);
  await expect(external).toBeVisible({ timeout: 60000 });
  await expect(external).toHaveAttribute('data-status', /RUNNING|PENDING/);
  await panel.screenshot({ path: `${SHOTS}/gateway-external.png` });

  // ...and adopted: it becomes a cluster like any other, then stops on the gateway.
  await external.locator('.jp-DaskClusters-adopt').click();
  await expect(external).toHaveCount(0);
  const adopted = panel.locator(`.jp-DaskClusters-item:not([data-cluster-id="${firstId}"])`);
  await expect(adopted).toHaveAttribute('data-state', 'running', { timeout: 90000 });
  await expect(adopted.locator('.jp-DaskClusters-insert')).toBeEnabled();
  await expect(adopted.locator('.jp-DaskClusters-scale')).toBeEnabled();
  await panel.screenshot({ path: `${SHOTS}/gateway-adopted.png` });
  await stop(page, adopted);
  await expect(adopted).toHaveCount(0, { timeout: 90000 });
  expect(liveOnGateway()).not.toContain(made);

  // Stopping the first one ends it on the gateway too; the sidebar is empty again.
  await stop(page, item);
  await expect(panel.locator('.jp-DaskClusters-item')).toHaveCount(0, { timeout: 90000 });
  expect(liveOnGateway()).not.toContain(firstName);
});
