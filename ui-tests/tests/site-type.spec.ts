/**
 * A site-defined cluster type, as an administrator adds one with no change to
 * the package (jupyterlab_dask_clusters/tests/site/: a LocalCluster subclass
 * and its entry in the dask config, which start-jupyter.sh points at): it is
 * offered in [+ New] with its own fields, refuses a bad value inline, starts,
 * shows its dashboard, inserts code that computes in a notebook, and stops.
 * The broken entry and the UNICORE one (no pyunicore here) are listed with
 * their reasons. Screenshots land in ui-tests/screenshots/site-*.png.
 */
import { expect, test } from '@jupyterlab/galata';
import * as path from 'path';
import { fill, insertClientCode, openNewNotebook, openSidebar, openTaskStream } from './helpers';

const SHOTS = path.join(__dirname, '..', 'screenshots');
const NOTEBOOK = 'site.ipynb';

test.use({ autoGoto: true });

test('a site type from the dask config, from [+ New] to Stop', async ({ page, tmpPath }) => {
  await openNewNotebook(page, `${tmpPath}/${NOTEBOOK}`, '# Site cluster');
  const panel = await openSidebar(page);

  await panel.locator('.jp-DaskClusters-new').click();
  const dialog = page.locator('.jp-Dialog');
  const types = dialog.locator('.jp-DaskClusters-typeSelect select');
  await expect(types.locator('option[value="facility"]')).toHaveText(/Facility node/);
  await types.selectOption('facility');

  // Its own fields, with the site as the source of their defaults.
  await expect(dialog.locator('#root_partition')).toBeVisible();
  await expect(dialog.locator('#root_threads')).toHaveValue('1');
  await expect(dialog.locator('#root_environment')).toBeVisible();

  // Bad input is refused next to its field; nothing starts.
  await fill(page, 'threads', '3');
  await expect(dialog.locator('.jp-DaskClusters-blocked')).toContainText('Threads per worker');
  await fill(page, 'threads', '2');
  await dialog.locator('#root_partition').selectOption({ label: 'batch' });
  await expect(dialog.getByRole('button', { name: 'Start' })).not.toHaveAttribute('aria-disabled', 'true');
  await dialog.screenshot({ path: `${SHOTS}/site-new-cluster.png` });
  await dialog.getByRole('button', { name: 'Start' }).click();
  await expect(dialog).toHaveCount(0);

  const item = panel.locator('.jp-DaskClusters-item').first();
  await expect(item).toHaveAttribute('data-state', 'running', { timeout: 90000 });
  await expect(item.locator('.jp-DaskClusters-workers')).toHaveText('1');
  await openTaskStream(page, item);

  // The inserted code connects (over TLS) to workers the site class made: they
  // carry the partition chosen in the form as a resource.
  const inserted = await insertClientCode(page, item, NOTEBOOK);
  expect(inserted).toContain('security=security');
  await page.notebook.addCell('code', "print(client.submit(lambda: 6 * 7, resources={'batch': 1}).result())");
  await page.notebook.run();
  await expect(page.locator('.jp-Notebook .jp-OutputArea-output').last()).toContainText('42', { timeout: 60000 });
  await page.screenshot({ path: `${SHOTS}/site-notebook.png` });

  // Stop, with confirmation.
  await item.locator('.jp-DaskClusters-stop').click();
  await page.locator('.jp-Dialog').getByRole('button', { name: 'Stop' }).click();
  await expect(item).toHaveAttribute('data-state', 'stopped', { timeout: 60000 });
});

test('broken and unusable site types are listed with the reason', async ({ page }) => {
  const panel = await openSidebar(page);
  await panel.locator('.jp-DaskClusters-new').click();
  const dialog = page.locator('.jp-Dialog');
  const types = dialog.locator('.jp-DaskClusters-typeSelect select');
  await expect(types.locator('option[value="broken"]')).toHaveAttribute('disabled', '');
  await expect(types.locator('option[value="unicore"]')).toHaveAttribute('disabled', '');
  const reasons = dialog.locator('.jp-DaskClusters-unavailable');
  // Folded below the type choice, with the count; opened, each reason.
  await expect(reasons.locator('summary')).toHaveText(/cluster types are not available here/);
  await reasons.locator('summary').click();
  await expect(reasons).toContainText('{threadz} is neither one of its options');
  await expect(reasons).toContainText('pyunicore.dask.UNICORECluster cannot be imported');
  // The other types keep working.
  await expect(types.locator('option[value="facility"]')).not.toHaveAttribute('disabled');
  await expect(types.locator('option[value="local"]')).not.toHaveAttribute('disabled');
  await reasons.screenshot({ path: `${SHOTS}/site-unavailable.png` });
  await dialog.locator('.jp-Dialog-button.jp-mod-reject').click();
});
