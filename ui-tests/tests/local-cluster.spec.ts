/**
 * A user's walk through a local cluster, in a real JupyterLab in Chromium:
 * [+ New] dialog, a running cluster with live counts, a dashboard tab with a
 * live Bokeh stream, code inserted into a notebook and executed, a reload,
 * scaling, and stopping. Screenshots land in ui-tests/screenshots/.
 */
import { expect, test } from '@jupyterlab/galata';
import * as path from 'path';
import { fill, insertClientCode, openSidebar, openTaskStream } from './helpers';

const SHOTS = path.join(__dirname, '..', 'screenshots');
const NOTEBOOK = 'client.ipynb';
const PRESET = 'two small workers';

test.use({ autoGoto: true });
test.describe.configure({ mode: 'serial' });

/** A notebook on the python3 kernel, written whole: no Untitled rename to race with its session. */
const NOTEBOOK_JSON = JSON.stringify({
  cells: [{ cell_type: 'markdown', metadata: {}, source: ['# Dask client'] }],
  metadata: {
    kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' }
  },
  nbformat: 4,
  nbformat_minor: 5
});

test('a local cluster from [+ New] to Stop', async ({ page, tmpPath }) => {
  // A notebook first: the dialog defaults to its kernel's environment.
  await page.contents.uploadContent(NOTEBOOK_JSON, 'text', `${tmpPath}/${NOTEBOOK}`);
  await page.notebook.openByPath(`${tmpPath}/${NOTEBOOK}`);
  await page.notebook.activate(NOTEBOOK);
  await expect(page.locator('.jp-NotebookPanel .jp-Toolbar-kernelName')).toContainText('Python 3');
  const panel = await openSidebar(page);

  // The dialog is rendered from the local type's JSON Schema. As it opens it
  // asks for a spare runner of the environment it shows, for Start to use.
  const spare = page.waitForResponse(
    response =>
      new URL(response.url()).pathname.endsWith('/dask-clusters/api/environments/spare') &&
      response.request().method() === 'POST'
  );
  await panel.locator('.jp-DaskClusters-new').click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog.locator('#root_workers')).toBeVisible();
  await expect(dialog.locator('#root_environment')).toBeVisible();
  const spareAnswer = await spare;
  expect(spareAnswer.status()).toBe(202);
  // The environment of the notebook's kernel: the project's virtualenv.
  expect(spareAnswer.request().postDataJSON()).toEqual({
    environment: expect.stringMatching(/\/\.venv\/bin\/python3?$/)
  });
  await expect(dialog.locator('#root_profile')).toBeVisible();

  // Every Python kernel's environment is listed with its distributed
  // version; one without distributed is there but cannot be chosen.
  const envs = dialog.locator('#root_environment option');
  await expect(envs.filter({ hasText: 'distributed 20' })).toHaveCount(1);
  const bare = envs.filter({ hasText: 'Bare Python' });
  await expect(bare).toHaveCount(1);
  await expect(bare).toBeDisabled();
  await expect(bare).toContainText('distributed is not installed');

  // The site's preset (settings overrides) is offered.
  const sitePresets = dialog.locator('.jp-DaskClusters-presets select');
  await expect(sitePresets).toContainText('Site: one small worker');

  // Bad input is refused inline, field by field, and nothing starts.
  await fill(page, 'workers', '2');
  await fill(page, 'memory_per_worker', '16XB');
  await expect(dialog.getByRole('button', { name: 'Start' })).toBeDisabled();
  await expect(dialog.locator('.jp-DaskClusters-blocked')).toContainText('Memory per worker');
  await dialog.locator('#root_memory_per_worker').press('Enter');
  await expect(panel.locator('.jp-DaskClusters-item')).toHaveCount(0);

  await fill(page, 'memory_per_worker', '1 GiB');
  await fill(page, 'threads_per_worker', '1');
  await dialog.locator('.jp-DaskClusters-presetName').fill(PRESET);
  await dialog.locator('.jp-DaskClusters-presetSave').click();
  await expect(dialog.locator('.jp-DaskClusters-presets select')).toContainText(PRESET);
  await dialog.screenshot({ path: `${SHOTS}/new-cluster-dialog.png` });
  await dialog.getByRole('button', { name: 'Start' }).click();
  await expect(dialog).toHaveCount(0);

  // The item appears at once, then runs with live counts.
  const item = panel.locator('.jp-DaskClusters-item').first();
  await expect(item).toBeVisible();
  await expect(item).toHaveAttribute('data-state', /starting|running/);
  await expect(item).toHaveAttribute('data-state', 'running', { timeout: 90000 });
  await expect(item.locator('.jp-DaskClusters-workers')).toHaveText('2');
  await expect(item.locator('.jp-DaskClusters-plot').first()).toBeVisible();
  // Start used the dialog's spare runner, now the environment's runner host: the cluster's log says so.
  const log = await page.evaluate(async () => {
    const base = window.location.pathname.replace(/lab(\/.*)?$/, '');
    const clusters = (await (await fetch(`${base}dask-clusters/api/clusters`)).json()) as { id: string }[];
    const answer = await fetch(`${base}dask-clusters/api/clusters/${clusters[0].id}/log`);
    return ((await answer.json()) as { lines: string[] }).lines.join('\n');
  });
  expect(log).toMatch(/runs in the runner host \d+ of .*, a spare runner until its first cluster/);
  await panel.screenshot({ path: `${SHOTS}/running-cluster.png` });

  // The SSH tunnel command, for a dashboard outside JupyterLab.
  await item.locator('.jp-DaskClusters-tunnel').click();
  await expect(page.locator('.Toastify__toast').last()).toContainText('ssh -N -L 8787:127.0.0.1:');

  // A dashboard plot in a lab tab, its Bokeh websocket through our proxy.
  const bokehFrames: string[] = [];
  page.on('websocket', ws => {
    if (ws.url().includes('/dask-clusters/dashboard/')) {
      ws.on('framereceived', frame => bokehFrames.push(String(frame.payload).slice(0, 40)));
    }
  });
  await openTaskStream(page, item);

  // Insert the client code into the notebook and run it with a computation.
  const inserted = await insertClientCode(page, item, NOTEBOOK);
  expect(inserted).toContain('Client(');
  await page.notebook.addCell(
    'code',
    'import dask.array as da\nprint(int(da.ones((2000, 2000), chunks=250).sum().compute()))'
  );
  await page.notebook.run();
  await expect(page.locator('.jp-Notebook .jp-OutputArea-output').last()).toContainText('4000000', { timeout: 60000 });
  await page.screenshot({ path: `${SHOTS}/notebook-with-client.png` });
  // The notebook's Client uses this cluster: it is listed once, as the focused notebook's.
  await expect(panel.locator('.jp-DaskClusters-item')).toHaveCount(1);
  await expect(item).toHaveAttribute('data-active-notebook', 'true', { timeout: 5000 });

  // For the README: the task stream beside the notebook that fed it.
  await page.evaluate(() => {
    type W = { id: string; title: { label: string }; hasClass(name: string): boolean };
    const app = (
      window as unknown as {
        jupyterapp: { shell: { widgets(area: string): Iterable<W>; add(w: W, area: string, o: object): void } };
      }
    ).jupyterapp;
    const widgets = Array.from(app.shell.widgets('main'));
    const dashboard = widgets.find(w => w.hasClass('jp-DaskClusters-dashboard'));
    const notebook = widgets.find(w => w.title.label === 'client.ipynb');
    if (dashboard && notebook) {
      app.shell.add(dashboard, 'main', { mode: 'split-right', ref: notebook.id });
    }
  });
  await page.screenshot({ path: `${SHOTS}/overview.png` });
  expect(bokehFrames.length).toBeGreaterThan(0);

  await page.activity.activateTab('Task Stream');
  await page.screenshot({ path: `${SHOTS}/dashboard-tab.png` });

  // After a reload, the dashboard tab comes back while the cluster lives.
  // (Galata's own readiness check wants a Launcher, which a restored layout lacks.)
  await page.reload({ waitForIsReady: false });
  await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
  await expect(page.locator('.jp-DaskClusters-dashboard').first()).toBeAttached();
  const panelAgain = await openSidebar(page);
  const itemAgain = panelAgain.locator('.jp-DaskClusters-item').first();
  await expect(itemAgain).toHaveAttribute('data-state', 'running');

  // Settings survived the reload: last-used values and the saved preset.
  await panelAgain.locator('.jp-DaskClusters-new').click();
  const again = page.locator('.jp-Dialog');
  await expect(again.locator('#root_workers')).toHaveValue('2');
  await expect(again.locator('#root_memory_per_worker')).toHaveValue('1 GiB');
  const presets = again.locator('.jp-DaskClusters-presets select');
  await expect(presets).toContainText(PRESET);
  await expect(again.locator('.jp-DaskClusters-presetDelete')).toBeDisabled();
  const presetValue = await presets.locator('option', { hasText: PRESET }).getAttribute('value');
  expect(presetValue).toBeTruthy();
  await presets.selectOption(presetValue ?? '');
  await again.locator('.jp-DaskClusters-presetDelete').click();
  await expect(presets).not.toContainText(PRESET);
  await again.locator('.jp-Dialog-button.jp-mod-reject').click();
  await expect(again).toHaveCount(0);

  // Dragging the item onto the notebook inserts the client code as a cell.
  const cells = page.locator('.jp-Notebook .jp-Cell');
  const before = await cells.count();
  await itemAgain.locator('.jp-DaskClusters-name').dragTo(cells.last());
  await expect(cells).toHaveCount(before + 1);
  await expect(page.locator('.jp-Notebook')).toContainText('Client(', { useInnerText: true });

  // Adaptive bounds, from the command palette.
  await page.keyboard.press('Control+Shift+C');
  await page.locator('.lm-CommandPalette-input').fill('Scale Dask Cluster');
  await page.locator('.lm-CommandPalette-item', { hasText: 'Scale Dask Cluster' }).first().click();
  const adaptDialog = page.locator('.jp-Dialog');
  await adaptDialog.locator('#root_mode').getByLabel('Adaptive').check();
  await fill(page, 'minimum', '1');
  await fill(page, 'maximum', '3');
  await adaptDialog.getByRole('button', { name: /Scale|Apply/ }).click();
  await expect(itemAgain.locator('.jp-DaskClusters-scaling')).toContainText('adaptive 1–3');

  // A fixed number of workers, through the item's Scale button; a retiring worker takes a while.
  const workers = itemAgain.locator('.jp-DaskClusters-workers');
  const scaleTo = async (count: number) => {
    await itemAgain.locator('.jp-DaskClusters-scale').click();
    await page.locator('.jp-Dialog #root_mode').getByLabel('Fixed').check();
    await fill(page, 'workers', String(count));
    await page
      .locator('.jp-Dialog')
      .getByRole('button', { name: /Scale|Apply/ })
      .click();
    await expect(page.locator('.jp-Dialog')).toHaveCount(0);
    await expect(itemAgain.locator('.jp-DaskClusters-scaling')).toHaveText(`fixed ${count}`);
    await expect(workers).toHaveText(String(count), { timeout: 60000 });
  };
  await scaleTo(3);

  // Down from 2 to 1: the card follows the event stream, and the answer of
  // the scale request (still 2 workers when it was sent) does not put it back.
  await scaleTo(2);
  await scaleTo(1);
  await page.waitForTimeout(5000);
  await expect(workers).toHaveText('1');

  // Client code into a console, through the item's context menu.
  await page.evaluate(async () => {
    const app = (
      window as unknown as {
        jupyterapp: { commands: { execute(id: string, args: object): Promise<unknown> } };
      }
    ).jupyterapp;
    await app.commands.execute('console:create', { kernelPreference: { name: 'python3' } });
  });
  const consolePanel = page.locator('.jp-CodeConsole').first();
  await expect(consolePanel).toBeVisible();
  await expect(page.locator('.jp-ConsolePanel .jp-Toolbar-kernelName')).toContainText('Python 3');
  await itemAgain.click({ button: 'right' });
  await page.locator('.lm-Menu-item', { hasText: 'Insert Dask Client Code' }).click();
  const prompt = consolePanel.locator('.jp-CodeConsole-promptCell');
  await expect(prompt).toContainText('Client(');
  await prompt.locator('.cm-content').click();
  await page.keyboard.press('Shift+Enter');
  await expect(consolePanel.locator('.jp-CodeConsole-content .jp-OutputArea-output').last()).toContainText('Client', {
    timeout: 60000
  });
  await page.screenshot({ path: `${SHOTS}/console-with-client.png` });

  // Stop: the item ends, the dashboard tab says so.
  await itemAgain.locator('.jp-DaskClusters-stop').click();
  const confirm = page.locator('.jp-Dialog');
  if (await confirm.isVisible()) {
    await confirm.getByRole('button', { name: /Stop/ }).click();
  }
  await expect(itemAgain).toHaveAttribute('data-state', 'stopped', { timeout: 60000 });
  await page.activity.activateTab('Task Stream');
  await expect(page.locator('.jp-DaskClusters-dashboard-stopped').first()).toBeVisible();
  await expect(page.locator('.jp-DaskClusters-dashboard-stopped').first()).toContainText('stopped');
  // The tab keeps the cluster's name, marked stopped.
  const name = (await itemAgain.locator('.jp-DaskClusters-name').textContent()) ?? '';
  const tab = page.locator('.lm-TabBar-tab', { hasText: 'Task Stream' }).first();
  await expect(tab).toContainText(`${name} (stopped)`);

  // Clear ended (the toolbar): the ended item leaves the list, the tab keeps its name.
  const id = await itemAgain.getAttribute('data-cluster-id');
  const clearEnded = panelAgain.locator('.jp-DaskClusters-clearEnded jp-button');
  await expect(clearEnded).toHaveAttribute('aria-disabled', 'false');
  await clearEnded.click();
  await expect(panelAgain.locator(`.jp-DaskClusters-item[data-cluster-id="${id}"]`)).toHaveCount(0);
  await expect(clearEnded).toHaveAttribute('aria-disabled', 'true');
  await expect(tab).toContainText(`${name} (stopped)`);
});
