/**
 * Steps the browser walks share: the Dask sidebar, dialog fields, a notebook.
 */
import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

/** The id of the Dask clusters sidebar. */
export const SIDEBAR = 'dask-clusters-sidebar';

/** Open the Dask clusters sidebar and return its panel. */
export async function openSidebar(page: IJupyterLabPageFixture): Promise<Locator> {
  await page.sidebar.openTab(SIDEBAR);
  const panel = page.locator(`#${SIDEBAR}`);
  await expect(panel).toBeVisible();
  return panel;
}

/** Type into a field of the open dialog's form, then leave it (live validation runs). */
export async function fill(page: IJupyterLabPageFixture, field: string, value: string): Promise<void> {
  const input = page.locator(`.jp-Dialog #root_${field}`);
  await input.fill(value);
  await input.blur();
}

/** Write a python3 notebook whole (no Untitled rename to race with its session) and open it. */
export async function openNewNotebook(page: IJupyterLabPageFixture, filePath: string, heading: string): Promise<void> {
  const notebook = JSON.stringify({
    cells: [{ cell_type: 'markdown', metadata: {}, source: [heading] }],
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' }
    },
    nbformat: 4,
    nbformat_minor: 5
  });
  await page.contents.uploadContent(notebook, 'text', filePath);
  await page.notebook.openByPath(filePath);
}

/** Open a cluster item's Task Stream plot in a lab tab and wait for Bokeh to draw in it. */
export async function openTaskStream(page: IJupyterLabPageFixture, item: Locator): Promise<Locator> {
  await item
    .locator('.jp-DaskClusters-plot', { hasText: /Task Stream/i })
    .first()
    .click();
  const dashboard = page.locator('.jp-DaskClusters-dashboard').first();
  await expect(dashboard).toBeVisible();
  await expect(dashboard.frameLocator('iframe').locator('.bk-Canvas, canvas, .bk-root').first()).toBeAttached({
    timeout: 60000
  });
  return dashboard;
}

/** Insert a cluster's client code below the first cell of `notebook`; returns the new cell's text. */
export async function insertClientCode(page: IJupyterLabPageFixture, item: Locator, notebook: string): Promise<string> {
  await page.notebook.activate(notebook);
  await page.notebook.selectCells(0);
  await item.locator('.jp-DaskClusters-insert').click();
  await expect(page.locator('.jp-Notebook .jp-Cell')).toHaveCount(2);
  return (await page.notebook.getCellTextInput(1)) ?? '';
}

/** Choose the option of `select` whose label starts with the word `label` (form option values are indices). */
export async function chooseOption(select: Locator, label: string): Promise<void> {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const value = await select
    .locator('option', { hasText: new RegExp(`^${escaped}\\b`) })
    .first()
    .getAttribute('value');
  await select.selectOption(value ?? '');
}

/** The form group of a field of the open dialog: its input, its help and its refusals. */
export function fieldGroup(page: IJupyterLabPageFixture, field: string): Locator {
  return page.locator(`.jp-Dialog #root_${field}`).locator('xpath=ancestor::*[contains(@class, "form-group")][1]');
}

/** Press Start in the open [+ New] dialog; returns the new item, once it is running, and its cluster id. */
export async function startFromDialog(
  page: IJupyterLabPageFixture,
  panel: Locator
): Promise<{ id: string; cluster: Locator }> {
  const dialog = page.locator('.jp-Dialog');
  await dialog.getByRole('button', { name: 'Start' }).click();
  await expect(dialog).toHaveCount(0);
  const item = panel
    .locator('.jp-DaskClusters-item[data-state="starting"], .jp-DaskClusters-item[data-state="running"]')
    .first();
  await expect(item).toBeVisible();
  const id = (await item.getAttribute('data-cluster-id')) ?? '';
  expect(id).not.toBe('');
  const cluster = panel.locator(`.jp-DaskClusters-item[data-cluster-id="${id}"]`);
  await expect(cluster).toHaveAttribute('data-state', 'running', { timeout: 120000 });
  return { id, cluster };
}

/** Stop a batch cluster from its item (confirming when asked); returns once it is stopped without jobs. */
export async function stopBatchCluster(page: IJupyterLabPageFixture, cluster: Locator): Promise<void> {
  await cluster.locator('.jp-DaskClusters-stop').click();
  const confirm = page.locator('.jp-Dialog');
  if (await confirm.isVisible()) {
    await confirm.getByRole('button', { name: /Stop/ }).click();
  }
  await expect(cluster).toHaveAttribute('data-state', 'stopped', { timeout: 90000 });
  await expect(cluster.locator('.jp-DaskClusters-job')).toHaveCount(0, { timeout: 30000 });
}
