/**
 * A user's walk through a SLURM cluster on the test SLURM (make slurm-up), in
 * a real JupyterLab in Chromium: [+ New] with the SLURM type and its job
 * script, a walltime the partition cannot run refused inline, batch jobs
 * RUNNING on their node with the time left, a job's log, a dashboard tab,
 * client code executed in a notebook, and Stop leaving no job in the queue.
 * Screenshots land in ui-tests/screenshots/slurm-*.png.
 */
import { expect, test } from '@jupyterlab/galata';
import { execFileSync } from 'child_process';
import * as path from 'path';
import {
  chooseOption,
  fieldGroup,
  fill,
  insertClientCode,
  openNewNotebook,
  openSidebar,
  openTaskStream,
  startFromDialog,
  stopBatchCluster
} from './helpers';

const SHOTS = path.join(__dirname, '..', 'screenshots');
const NOTEBOOK = 'slurm.ipynb';

test.use({ autoGoto: true });
test.describe.configure({ mode: 'serial' });

/** Jobs of cluster `id` still in the queue, straight from squeue (its job names end with the id). */
function queued(id: string): string[] {
  const out = execFileSync('squeue', ['-h', '-o', '%i %j %T'], { encoding: 'utf8' });
  return out
    .split('\n')
    .map(line => line.trim().split(/\s+/))
    .filter(([, name]) => name !== undefined && name.endsWith(`-${id}`))
    .map(([job, , state]) => `${job} ${state}`);
}

test('a SLURM cluster from [+ New] to Stop', async ({ page, tmpPath }) => {
  await openNewNotebook(page, `${tmpPath}/${NOTEBOOK}`, '# SLURM client');
  const panel = await openSidebar(page);

  // The SLURM type, its partitions with their limits, and the job script.
  await panel.locator('.jp-DaskClusters-new').click();
  const dialog = page.locator('.jp-Dialog');
  await dialog.locator('.jp-DaskClusters-typeSelect select').selectOption('slurm');
  const partition = dialog.locator('#root_partition');
  await expect(partition).toBeVisible();
  await expect(partition.locator('option', { hasText: /^short — max 00:05:00/ })).toHaveCount(1);
  const preview = dialog.locator('.jp-DaskClusters-preview');
  const script = dialog.locator('.jp-DaskClusters-previewScript');
  await expect(preview).toHaveAttribute('data-status', 'ready', { timeout: 60000 });
  await expect(script).toContainText('#SBATCH');

  // A walltime above the short partition's limit: refused next to the field,
  // by the preview as soon as it is typed, and by Start; nothing is submitted.
  await chooseOption(partition, 'short');
  await fill(page, 'walltime', '00:10:00');
  const walltimeField = fieldGroup(page, 'walltime');
  await expect(walltimeField).toContainText('00:05:00', { timeout: 60000 });
  await expect(preview).toHaveAttribute('data-status', 'refused');
  await expect(script).toHaveCount(0);
  await walltimeField.scrollIntoViewIfNeeded();
  await dialog.screenshot({ path: `${SHOTS}/slurm-refused.png` });
  // Start is unavailable while the refused walltime stands, and says why.
  await expect(dialog.getByRole('button', { name: 'Start' })).toHaveAttribute('aria-disabled', 'true');
  await expect(dialog.locator('.jp-DaskClusters-blocked')).toHaveText('To start, fix Walltime.');
  await dialog.getByRole('button', { name: 'Start' }).press('Enter');
  await expect(walltimeField).toContainText('00:05:00');
  await expect(dialog).toBeVisible();
  await expect(
    panel.locator('.jp-DaskClusters-item[data-state="starting"], .jp-DaskClusters-item[data-state="running"]')
  ).toHaveCount(0);

  // Options the partition can run: the script follows them.
  await chooseOption(partition, 'debug');
  await fill(page, 'cores', '1');
  await fill(page, 'memory', '1 GiB');
  await fill(page, 'workers', '2');
  await expect(walltimeField).not.toContainText('00:05:00', { timeout: 60000 });
  await expect(preview).toHaveAttribute('data-status', 'ready', { timeout: 60000 });
  await expect(script).toContainText('#SBATCH -p debug');
  await expect(script).toContainText('#SBATCH -t 00:10:00');
  await expect(script).toContainText('--lifetime');
  await preview.scrollIntoViewIfNeeded();
  await dialog.screenshot({ path: `${SHOTS}/slurm-dialog.png` });
  const { id, cluster } = await startFromDialog(page, panel);

  // Two batch jobs RUNNING on the node, two workers, and the time left.
  await expect(cluster.locator('.jp-DaskClusters-workers')).toHaveText('2', { timeout: 60000 });
  const jobs = cluster.locator('.jp-DaskClusters-job');
  await expect(jobs).toHaveCount(2);
  await expect(cluster.locator('.jp-DaskClusters-job[data-job-state="RUNNING"]')).toHaveCount(2, { timeout: 30000 });
  await expect(cluster.locator('.jp-DaskClusters-jobNode').first()).toHaveText('localhost');
  expect(queued(id)).toHaveLength(2);
  const timeLeft = cluster.locator('.jp-DaskClusters-timeLeft');
  await expect(timeLeft).toHaveText(/^\d:\d\d$/);

  // Live without polling: the countdown moves on the local clock, and the
  // page asks the companion nothing meanwhile.
  const asked: string[] = [];
  const onRequest = (request: { url(): string }) => {
    if (request.url().includes('/dask-clusters/api/')) {
      asked.push(request.url());
    }
  };
  page.on('request', onRequest);
  const before = await timeLeft.textContent();
  await page.waitForTimeout(4000);
  await expect(timeLeft).not.toHaveText(before ?? '');
  page.off('request', onRequest);
  expect(asked).toEqual([]);
  await panel.screenshot({ path: `${SHOTS}/slurm-running.png` });

  // A job's output and error files, from its row.
  await jobs.first().locator('.jp-DaskClusters-jobLog').click();
  const jobLog = page.locator('.jp-DaskClusters-jobLogView').first();
  await expect(jobLog).toBeVisible();
  await expect(jobLog.locator('.jp-DaskClusters-jobLogHeader')).toContainText('RUNNING on localhost');
  await expect(jobLog.locator('.jp-DaskClusters-jobStderr')).toContainText('distributed.worker', { timeout: 30000 });
  await page.screenshot({ path: `${SHOTS}/slurm-job-log.png` });

  // A dashboard plot in a lab tab.
  await openTaskStream(page, cluster);
  await page.screenshot({ path: `${SHOTS}/slurm-dashboard.png` });

  // The inserted client code connects over TLS and computes on the batch jobs.
  const inserted = await insertClientCode(page, cluster, NOTEBOOK);
  expect(inserted).toContain('Security(');
  expect(inserted).not.toMatch(/BEGIN|PRIVATE KEY/);
  await page.notebook.addCell(
    'code',
    'import dask.array as da\nprint(int(da.ones((2000, 2000), chunks=250).sum().compute()), len(client.nthreads()))'
  );
  await page.notebook.run();
  await expect(page.locator('.jp-Notebook .jp-OutputArea-output').last()).toContainText('4000000 2', {
    timeout: 60000
  });
  await page.screenshot({ path: `${SHOTS}/slurm-notebook.png` });

  // Stop: the item ends without jobs, and squeue has none of ours left.
  await stopBatchCluster(page, cluster);
  await expect.poll(() => queued(id), { timeout: 30000 }).toEqual([]);
  await panel.screenshot({ path: `${SHOTS}/slurm-stopped.png` });
});
