/**
 * The [+ New] dialog as a new user sees it in a 1280x800 window, light and
 * dark: what fits without scrolling, where each value comes from, errors said
 * once in words, Start unavailable with its reason, preset feedback, and
 * defaults that leave room to scale a new cluster to twice its workers.
 * Screenshots land in ui-tests/screenshots/dialog-*.png.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import * as path from 'path';
import { fill, openSidebar } from './helpers';

const SETTINGS_ID = 'jupyterlab-dask-clusters:plugin';

const SHOTS = path.join(__dirname, '..', 'screenshots');

test.use({ autoGoto: true, viewport: { width: 1280, height: 800 } });
test.describe.configure({ mode: 'serial' });

async function openNewDialog(page: IJupyterLabPageFixture): Promise<{ panel: Locator; dialog: Locator }> {
  const panel = await openSidebar(page);
  await panel.locator('.jp-DaskClusters-new').click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog.locator('#root_workers')).toBeVisible();
  return { panel, dialog };
}

/** A field's container in the form, by its option name. */
const field = (dialog: Locator, name: string) => dialog.locator(`.jp-DaskClusters-formField[data-field="${name}"]`);

test('the form fits, says where values come from, and refuses bad values once', async ({ page }) => {
  const { dialog } = await openNewDialog(page);
  const start = dialog.getByRole('button', { name: 'Start' });

  // Grouped: where, how big, how it scales; the tuning folded away; then when it stops.
  await expect(dialog.locator('.jp-DaskClusters-formSectionTitle')).toHaveText([
    'Where it runs',
    'How big',
    'How it scales',
    'Advanced',
    'When it stops'
  ]);
  await expect(dialog.getByLabel('Keep running when JupyterLab stops')).not.toBeChecked();
  await expect(dialog.locator('#root_memory_target')).toBeHidden();

  // The primary fields and the footer are on screen at 1280x800, without scrolling.
  await page.screenshot({ path: `${SHOTS}/dialog-light-window.png` });
  for (const name of ['environment', 'profile', 'workers', 'threads_per_worker', 'memory_per_worker']) {
    await expect(dialog.locator(`#root_${name}`)).toBeInViewport({ ratio: 1 });
  }
  await expect(start).toBeInViewport({ ratio: 1 });
  await expect(dialog.locator('.jp-Dialog-button.jp-mod-reject')).toBeInViewport({ ratio: 1 });
  await expect(dialog.locator('.jp-DaskClusters-typeSelect select')).toBeInViewport({ ratio: 1 });

  // Every prefilled value is marked; computed defaults say what they leave free.
  await expect(field(dialog, 'workers').locator('.jp-DaskClusters-origin')).toHaveText('computed default');
  await expect(field(dialog, 'memory_per_worker')).toContainText('free for scaling up');
  await expect(field(dialog, 'workers')).toContainText('can be scaled up to');
  await expect(dialog.getByRole('button', { name: 'Reset to defaults' })).toBeDisabled();
  await dialog.screenshot({ path: `${SHOTS}/dialog-light.png` });

  // A value the form cannot read: said once, in words, and Start is unavailable with the reason.
  await fill(page, 'memory_per_worker', '16XB');
  const memory = field(dialog, 'memory_per_worker');
  await expect(memory.locator('.validationErrors')).toHaveText(
    /^Write a number and a unit, e\.g\. 4 GiB, 3\.5GB or 512MiB\.$/
  );
  await expect(dialog).not.toContainText('^\\s');
  await expect(start).toBeDisabled();
  await expect(start).toHaveAttribute('aria-describedby', /jp-DaskClusters-blocked/);
  const reason = dialog.locator('.jp-DaskClusters-blocked');
  await expect(reason).toHaveText('To start, fix Memory per worker.');
  await expect(reason).toBeInViewport();
  // Keyboard users reach the unavailable button and hear why.
  await start.focus();
  await expect(start).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(dialog).toBeVisible();
  await expect(memory.locator('.jp-DaskClusters-origin')).toHaveCount(0);
  await dialog.screenshot({ path: `${SHOTS}/dialog-invalid.png` });

  // More than the host has, in the user's units: once, next to the field, in words.
  await fill(page, 'memory_per_worker', '900 GB');
  await expect(start).toBeEnabled();
  await start.click();
  await expect(memory.locator('.validationErrors')).toContainText(
    /^Memory per worker must be at most [\d.]+ GB for \d workers/
  );
  const text = (await dialog.innerText()).replace(/\s+/g, ' ');
  expect(text.split('must be at most').length - 1).toBe(1);
  expect(text).not.toMatch(/problem\(s\)|\/memory_per_worker|\\s/);
  await dialog.screenshot({ path: `${SHOTS}/dialog-refused.png` });

  // Back to the defaults in one step.
  await dialog.getByRole('button', { name: 'Reset to defaults' }).click();
  await expect(field(dialog, 'memory_per_worker').locator('.jp-DaskClusters-origin')).toHaveText('computed default');
  await expect(start).toBeEnabled();
  await expect(reason).toHaveText('');

  // Presets: saved, renamed and deleted, each said by a notification.
  const toast = page.locator('.Toastify__toast');
  await dialog.locator('.jp-DaskClusters-presetName').fill('two');
  await dialog.locator('.jp-DaskClusters-presetSave').click();
  await expect(toast.filter({ hasText: 'Saved preset “two”.' })).toBeVisible();
  const presets = dialog.locator('.jp-DaskClusters-presets select');
  const value = await presets.locator('option', { hasText: 'two' }).getAttribute('value');
  await presets.selectOption(value ?? '');
  await expect(field(dialog, 'workers').locator('.jp-DaskClusters-origin')).toHaveText('preset “two”');
  await dialog.locator('.jp-DaskClusters-presetName').fill('pair');
  await dialog.locator('.jp-DaskClusters-presetRename').click();
  await expect(toast.filter({ hasText: 'Renamed preset “two” to “pair”.' })).toBeVisible();
  await expect(presets).toContainText('pair');
  await expect(presets).not.toContainText('two (');
  await dialog.locator('.jp-DaskClusters-presetDelete').click();
  await expect(toast.filter({ hasText: 'Deleted preset “pair”.' })).toBeVisible();
  await expect(presets).not.toContainText('pair');
  await dialog.locator('.jp-Dialog-button.jp-mod-reject').click();
});

test('a cluster started with the defaults scales to twice its workers', async ({ page }) => {
  const { panel, dialog } = await openNewDialog(page);
  const workers = Number(await dialog.locator('#root_workers').inputValue());
  const memory = await dialog.locator('#root_memory_per_worker').inputValue();
  // One change of the user's own: threads; memory per worker stays the computed default.
  const threads = Number(await dialog.locator('#root_threads_per_worker').inputValue());
  const otherThreads = threads === 1 ? 2 : 1;
  await fill(page, 'threads_per_worker', String(otherThreads));
  await expect(field(dialog, 'memory_per_worker').locator('.jp-DaskClusters-origin')).toHaveText('computed default');
  await dialog.getByRole('button', { name: 'Start' }).click();
  await expect(dialog).toHaveCount(0);
  const item = panel.locator('.jp-DaskClusters-item').first();
  await expect(item).toHaveAttribute('data-state', 'running', { timeout: 90000 });

  // The scale dialog: modes labelled as words, then twice the default workers, accepted.
  await item.locator('.jp-DaskClusters-scale').click();
  const scale = page.locator('.jp-Dialog');
  await expect(scale.locator('#root_mode label')).toHaveText(['Fixed', 'Adaptive']);
  await fill(page, 'workers', String(2 * workers));
  await scale.screenshot({ path: `${SHOTS}/dialog-scale.png` });
  await scale.getByRole('button', { name: 'Scale' }).click();
  await expect(scale).toHaveCount(0);
  await expect(item.locator('.jp-DaskClusters-workers')).toHaveText(String(2 * workers), { timeout: 90000 });

  // The next dialog marks what was used last time.
  await panel.locator('.jp-DaskClusters-new').click();
  const again = page.locator('.jp-Dialog');
  await expect(again.locator('#root_workers')).toBeVisible();
  await expect(again.locator('#root_threads_per_worker')).toHaveValue(String(otherThreads));
  await expect(field(again, 'threads_per_worker').locator('.jp-DaskClusters-origin')).toHaveText('last used');
  await expect(field(again, 'threads_per_worker')).toContainText('(Your last-used value.)');
  await expect(field(again, 'memory_per_worker').locator('.jp-DaskClusters-origin')).toHaveText('computed default');
  await expect(again.locator('#root_memory_per_worker')).toHaveValue(memory);
  await expect(again.getByRole('button', { name: 'Reset to defaults' })).toBeEnabled();
  await again.screenshot({ path: `${SHOTS}/dialog-last-used.png` });
  await again.locator('.jp-Dialog-button.jp-mod-reject').click();

  await item.locator('.jp-DaskClusters-stop').click();
  const confirm = page.locator('.jp-Dialog');
  if (await confirm.isVisible()) {
    await confirm.getByRole('button', { name: /Stop/ }).click();
  }
  await expect(item).toHaveAttribute('data-state', 'stopped', { timeout: 60000 });
  // Dismissed, so the walks after this one start from an empty sidebar.
  await item.locator('.jp-DaskClusters-dismiss').click();
  await expect(panel.locator('.jp-DaskClusters-item')).toHaveCount(0);
});

test('the dialog in the dark theme', async ({ page }) => {
  await page.theme.setDarkTheme();
  const { dialog } = await openNewDialog(page);
  await expect(dialog.getByRole('button', { name: 'Start' })).toBeInViewport({ ratio: 1 });
  await expect(dialog.locator('#root_memory_per_worker')).toBeInViewport({ ratio: 1 });
  await page.screenshot({ path: `${SHOTS}/dialog-dark-window.png` });
  // Inputs take the theme's colours, as JupyterLab's own do.
  const colours = await dialog.locator('#root_profile').evaluate(node => {
    const style = getComputedStyle(node);
    return { color: style.color, background: style.backgroundColor };
  });
  const body = await page.evaluate(() => {
    const style = getComputedStyle(document.body);
    return style.getPropertyValue('--jp-layout-color1').trim();
  });
  expect(body).not.toBe('');
  expect(colours.color).not.toBe('rgb(0, 0, 0)');
  await dialog.locator('summary', { hasText: 'Advanced' }).click();
  await expect(dialog.locator('#root_memory_target')).toBeVisible();
  await dialog.screenshot({ path: `${SHOTS}/dialog-dark.png` });
  await dialog.locator('.jp-Dialog-button.jp-mod-reject').click();
  await page.theme.setLightTheme();
});

test('where the limits allow no spare runner, the dialog asks for none', async ({ page }) => {
  // What a site's overrides.json (or the user) sets: limits.spareRunners = 0.
  const saved = await page.evaluate(
    async id => (await window.jupyterapp.serviceManager.settings.fetch(id)).raw,
    SETTINGS_ID
  );
  const save = (raw: string) =>
    page.evaluate(async ([id, text]) => window.jupyterapp.serviceManager.settings.save(id, text), [SETTINGS_ID, raw]);
  await save(JSON.stringify({ limits: { spareRunners: 0 } }));
  try {
    await page.reload({ waitForIsReady: false });
    await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
    const asked: string[] = [];
    page.on('request', request => {
      if (new URL(request.url()).pathname.endsWith('/dask-clusters/api/environments/spare')) {
        asked.push(request.method());
      }
    });
    const { dialog } = await openNewDialog(page);
    await expect(dialog.locator('#root_environment')).toBeVisible();
    // The dialog asks as it opens; by now a request would have been sent.
    await page.waitForTimeout(1000);
    expect(asked).toEqual([]);
    await dialog.locator('.jp-Dialog-button.jp-mod-reject').click();
  } finally {
    await save(saved);
    await page.reload({ waitForIsReady: false });
  }
});
