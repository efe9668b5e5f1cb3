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
