/**
 * What a user sees of a running cluster beyond the [+ New] dialog: its plots
 * (the common ones first, the rest searchable, no GPU plots on a host without
 * GPU), labelled actions, dashboard layouts that open in one step and come
 * back after a reload, the cluster in JupyterLab's Running panel, and the
 * Settings Editor. Screenshots land in ui-tests/screenshots/.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';
import { openSidebar } from './helpers';

const SHOTS = path.join(__dirname, '..', 'screenshots');
const SCHEMA = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'schema', 'plugin.json'), 'utf-8'));
const COMMON = ['Task Stream', 'Progress', 'Workers Memory', 'Task Graph'];

test.use({ autoGoto: true });
test.describe.configure({ mode: 'serial' });

/** Start a small local cluster through the companion's REST API (the dialog has its own walk). */
async function startCluster(page: IJupyterLabPageFixture, name: string): Promise<void> {
  const status = await page.evaluate(async name => {
    const xsrf = /(?:^|; )_xsrf=([^;]*)/.exec(document.cookie)?.[1] ?? '';
    const headers = { 'Content-Type': 'application/json', 'X-XSRFToken': decodeURIComponent(xsrf) };
    const envs = await (await fetch('/dask-clusters/api/environments', { headers })).json();
    const env = envs.find(
      (e: { usable: boolean; kernelspecs: string[] }) => e.usable && e.kernelspecs.includes('python3')
    );
    const answer = await fetch('/dask-clusters/api/clusters', {
      method: 'POST',
      headers,
      body: JSON.stringify({
        type: 'local',
        name,
        options: { environment: env.python, workers: 1, threads_per_worker: 1, memory_per_worker: '512 MiB' }
      })
    });
    return answer.status;
  }, name);
  expect(status).toBe(201);
}

/** The dashboard tabs' panels that are on screen now, with where they are. */
async function visibleDashboards(page: IJupyterLabPageFixture): Promise<{ x: number; y: number }[]> {
  const boxes: { x: number; y: number }[] = [];
  const viewport = page.viewportSize()!;
  for (const panel of await page.locator('.jp-DaskClusters-dashboard').all()) {
    const box = (await panel.isVisible()) ? await panel.boundingBox() : null;
    if (
      box &&
      box.width > 100 &&
      box.height > 100 &&
      box.x + box.width <= viewport.width + 1 &&
      box.y + box.height <= viewport.height + 1
    ) {
      boxes.push({ x: Math.round(box.x), y: Math.round(box.y) });
    }
  }
  return boxes;
}

/** The texts of the buttons of `selector` that are visible in `root`. */
async function visibleTexts(root: Locator, selector: string): Promise<string[]> {
  const texts: string[] = [];
  for (const button of await root.locator(selector).all()) {
    if (await button.isVisible()) {
      texts.push((await button.textContent()) ?? '');
    }
  }
  return texts;
}

test('plots, labelled actions, dashboard layouts and the Running panel of a running cluster', async ({ page }) => {
  await startCluster(page, 'layouts');
  const panel = await openSidebar(page);
  const item = panel.locator('.jp-DaskClusters-item', { hasText: 'layouts' });
  await expect(item).toHaveAttribute('data-state', 'running', { timeout: 90000 });

  // The four common plots first, the others behind "More plots".
  await expect(item.locator('.jp-DaskClusters-plot').first()).toBeVisible();
  expect(await visibleTexts(item, '.jp-DaskClusters-plot')).toEqual(COMMON);
  const more = item.locator('.jp-DaskClusters-morePlots');
  await expect(more).toBeVisible();
  await expect(more).toHaveText(/^More plots \(\d+\)$/);
  await expect(more).toHaveAttribute('aria-expanded', 'false');
  await more.click();
  await expect(more).toHaveText('Fewer plots');
  const search = item.getByRole('searchbox', { name: 'Search plots' });
  await expect(search).toBeVisible();
  await expect(search).toBeFocused();
  const all = await visibleTexts(item, '.jp-DaskClusters-plot');
  expect(all.length).toBeGreaterThan(20);
  // This host has no GPU: its plots are not offered.
  expect(all.filter(title => /GPU|RMM/i.test(title))).toEqual([]);
  await search.fill('gpu');
  await expect(item.locator('.jp-DaskClusters-noPlot')).toHaveText('No plot matches "gpu"');
  await search.fill('memory');
  const found = await visibleTexts(item.locator('.jp-DaskClusters-plotSearch'), '.jp-DaskClusters-plot');
  expect(found.length).toBeGreaterThan(1);
  expect(found.every(title => /memory/i.test(title))).toBe(true);
  await panel.screenshot({ path: `${SHOTS}/sidebar-plots.png` });
  await more.click();
  await expect(search).toHaveCount(0);

  // Every action says what it does: visible text, a tooltip, an accessible name.
  expect(await visibleTexts(item, '.jp-DaskClusters-action')).toEqual(['Code', 'Scale', 'Tunnel', 'Stop']);
  // ... on one line in the sidebar's default width.
  const tops = await item
    .locator('.jp-DaskClusters-action')
    .evaluateAll(nodes => nodes.map(n => Math.round(n.getBoundingClientRect().top)));
  expect(new Set(tops).size).toBe(1);
  for (const name of [
    'Insert Dask Client Code',
    'Scale Dask Cluster…',
    'Copy SSH Tunnel Command',
    'Stop Dask Cluster'
  ]) {
    const button = item.getByRole('button', { name, exact: true });
    await expect(button).toBeVisible();
    await expect(button).toBeEnabled();
    await expect(button).toHaveAttribute('title', new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  }

  // The default layout opens the four common plots together, side by side and stacked.
  const overview = item.locator('.jp-DaskClusters-layout', { hasText: 'Overview' });
  await expect(overview).toBeVisible();
  await expect(overview).toHaveAttribute('title', `Open Overview together: ${COMMON.join(', ')}`);
  await overview.click();
  await expect(page.locator('.jp-DaskClusters-dashboard')).toHaveCount(4);
  await expect.poll(async () => (await visibleDashboards(page)).length).toBe(4);
  const grid = await visibleDashboards(page);
  expect(new Set(grid.map(b => b.x)).size).toBe(2);
  expect(new Set(grid.map(b => b.y)).size).toBe(2);
  for (const title of COMMON) {
    await expect(page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab', { hasText: `${title} — layouts` })).toBeVisible();
  }
  await expect(
    page
      .locator('.jp-DaskClusters-dashboard')
      .first()
      .frameLocator('iframe')
      .locator('.bk-Canvas, canvas, .bk-root')
      .first()
  ).toBeAttached({ timeout: 60000 });
  await page.screenshot({ path: `${SHOTS}/dashboard-layout.png` });

  // A new layout: pick the plots, name it, save and open in one step.
  await item.getByRole('button', { name: 'New Dashboard Layout…' }).click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog.locator('.jp-Dialog-header')).toHaveText('New dashboard layout');
  const name = dialog.getByRole('textbox', { name: 'Name' });
  await expect(name).toHaveValue('Layout 2');
  for (const title of COMMON) {
    await expect(dialog.getByRole('checkbox', { name: title, exact: true })).toBeChecked();
  }
  await dialog.getByRole('checkbox', { name: 'Task Graph', exact: true }).uncheck();
  await dialog.getByRole('checkbox', { name: 'Task Stream', exact: true }).uncheck();
  await dialog.getByRole('checkbox', { name: 'Progress', exact: true }).uncheck();
  await dialog.getByRole('checkbox', { name: 'Cluster Memory', exact: true }).check();
  await name.fill('Memory');
  await expect(dialog.locator('legend')).toContainText('2 chosen');
  await dialog.screenshot({ path: `${SHOTS}/layout-dialog.png` });
  await dialog.getByRole('button', { name: 'Save and Open' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.locator('.jp-toast-message', { hasText: 'Saved layout Memory' })).toBeVisible();
  await expect(item.locator('.jp-DaskClusters-layout', { hasText: 'Memory' })).toBeVisible();
  await expect(
    page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab', { hasText: 'Cluster Memory — layouts' })
  ).toBeVisible();
  const arranged = await visibleDashboards(page);

  // After a reload the tabs come back where they were, and the saved layout is still offered.
  // (Galata's own readiness check wants a Launcher, which a restored layout lacks.)
  await page.reload({ waitForIsReady: false });
  await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
  await expect(page.locator('.jp-DaskClusters-dashboard')).toHaveCount(5);
  await expect.poll(async () => (await visibleDashboards(page)).length).toBe(arranged.length);
  const restoredPanel = await openSidebar(page);
  const restoredItem = restoredPanel.locator('.jp-DaskClusters-item', { hasText: 'layouts' });
  await expect
    .poll(() => visibleTexts(restoredItem, '.jp-DaskClusters-layout'))
    .toEqual(['Overview', 'Memory', 'New layout…']);
  await page.screenshot({ path: `${SHOTS}/dashboard-layout-restored.png` });

  // The same in the dark theme: the plot and layout buttons keep readable colours.
  await page.theme.setDarkTheme();
  await restoredItem.locator('.jp-DaskClusters-morePlots').click();
  await expect(restoredItem.getByRole('searchbox', { name: 'Search plots' })).toBeVisible();
  const colours = await restoredItem
    .locator('.jp-DaskClusters-plot, .jp-DaskClusters-layout, .jp-DaskClusters-action')
    .evaluateAll(nodes => nodes.map(n => getComputedStyle(n).color));
  // Light text on the dark background: no button keeps the light theme's dark text.
  for (const colour of colours) {
    const [r, g, b] = (colour.match(/\d+/g) ?? []).map(Number);
    expect(r + g + b).toBeGreaterThan(300);
  }
  await restoredPanel.screenshot({ path: `${SHOTS}/sidebar-plots-dark.png` });
  await restoredItem.locator('.jp-DaskClusters-morePlots').click();
  await page.theme.setLightTheme();

  // JupyterLab's Running panel lists the cluster in its own section.
  await page.sidebar.openTab('jp-running-sessions');
  const running = page.locator('#jp-running-sessions');
  await expect(running.getByText('Dask Clusters', { exact: true })).toBeVisible();
  const entry = running.locator('.jp-DaskClusters-runningItem', { hasText: 'layouts' });
  await expect(entry).toBeVisible();
  await expect(entry.locator('.jp-RunningSessions-itemDetail')).toHaveText('1 worker');
  await expect(entry.locator('.jp-RunningSessions-itemLabel')).toHaveAttribute(
    'title',
    /^Open the dashboard of layouts/
  );
  await running.screenshot({ path: `${SHOTS}/running-panel.png` });
  // Its context menu offers the dashboard, a layout and stop.
  await entry.click({ button: 'right' });
  const menu = page.locator('.lm-Menu');
  for (const label of ['Open Dask Dashboard', 'New Dashboard Layout…', 'Stop Dask Cluster']) {
    const entryItem = menu.locator('.lm-Menu-item', { hasText: label });
    await expect(entryItem).toBeVisible();
    await expect(entryItem).not.toHaveClass(/lm-mod-disabled/);
  }
  await page.keyboard.press('Escape');
  await expect(menu).toHaveCount(0);
  await entry.locator('.jp-RunningSessions-itemLabel').click();
  const status = page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab', { hasText: 'Dashboard — layouts' });
  await expect(status).toBeVisible();
  await expect(status).toHaveClass(/lm-mod-current/);

  // Its stop button asks first, then the cluster leaves the section and stops in the sidebar.
  const stop = entry.locator('.jp-RunningSessions-itemShutdown');
  await expect(stop).toHaveAttribute('title', 'Stop Dask Cluster');
  await stop.click();
  const confirm = page.locator('.jp-Dialog');
  await expect(confirm).toContainText('Stop cluster layouts?');
  await confirm.getByRole('button', { name: 'Stop' }).click();
  await expect(entry).toHaveCount(0, { timeout: 60000 });
  await openSidebar(page);
  await expect(restoredItem).toHaveAttribute('data-state', /stopping|stopped/);
});

test('the Settings Editor shows every option once, presets included, and the default type as a choice', async ({
  page
}) => {
  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute('settingeditor:open', { query: 'Dask Clusters' });
  });
  await page.locator('.jp-PluginList-entry', { hasText: 'Dask Clusters' }).first().click();
  const form = page.locator('.jp-SettingsForm').first();
  await expect(
    form.locator('.jp-FormGroup-description', { hasText: SCHEMA.properties.confirmStop.description })
  ).toBeVisible();

  // Each description once, nested ones included.
  const descriptions: string[] = [];
  const collect = (schema: {
    description?: string;
    properties?: Record<string, unknown>;
    $ref?: string;
    items?: unknown;
  }) => {
    if (schema.description) {
      descriptions.push(schema.description);
    }
    const ref = schema.$ref?.replace('#/definitions/', '');
    for (const child of [
      ...Object.values(schema.properties ?? {}),
      ...(schema.items ? [schema.items] : []),
      ...(ref ? [SCHEMA.definitions[ref]] : [])
    ]) {
      collect(child as typeof schema);
    }
  };
  for (const property of Object.values(SCHEMA.properties)) {
    collect(property as { description?: string });
  }
  // innerText holds what is rendered visibly (a checkbox's hidden copy of its description is not).
  const formText = await form.innerText();
  const counts = Object.fromEntries(descriptions.map(d => [d, formText.split(d).length - 1]));
  expect(counts).toEqual(Object.fromEntries(descriptions.map(d => [d, 1])));

  // The default type is a choice among the types this server knows.
  const type = form.getByRole('combobox', { name: 'Default cluster type' });
  await expect(type).toBeVisible();
  await expect(type).toHaveValue('local');
  await expect(type.locator('option')).toContainText(['Local (local)']);
  const ids = await type.locator('option').evaluateAll(nodes => nodes.map(n => (n as HTMLOptionElement).value));
  expect(ids).toContain('slurm');
  expect(ids).toContain('gateway');
  await page.screenshot({ path: `${SHOTS}/settings-editor.png` });
  // The site's preset, with its options as text one can edit.
  await expect(form.locator('input[value="Site: one small worker"]')).toBeVisible();
  const options = form.locator('.jp-DaskClusters-presetOptionsText').first();
  await expect(options).toBeVisible();
  await expect(options).toHaveValue(/"memory_per_worker": "512 MiB"/);
  await options.fill('[1, 2]');
  await options.blur();
  await expect(form.getByRole('alert')).toHaveText('Write the options as a JSON object, e.g. {"workers": 2}.');

  const saved = () =>
    page.evaluate(async () => {
      const settings = await window.jupyterapp.serviceManager.settings.fetch('jupyterlab-dask-clusters:plugin');
      return (settings.settings as { defaultType?: string }).defaultType;
    });
  await type.selectOption('slurm');
  await expect.poll(saved).toBe('slurm');
  // Back to the default, for the walks that follow on this server.
  await type.selectOption('local');
  await expect.poll(saved).toBe('local');
});
