/**
 * A user's walk through a Grid Engine cluster on the test Grid Engine (make
 * sge-up), in a real JupyterLab in Chromium: [+ New] with the Grid Engine
 * type, its queues with their h_rt and the job script, a walltime above the
 * queue's h_rt refused inline, three worker jobs on two slots (two in r on
 * their host, one in qw with the scheduler's reason), two workers, a job's
 * log, and Stop leaving no job in qstat. Screenshots land in
 * ui-tests/screenshots/sge-*.png.
 */
import { expect, test } from '@jupyterlab/galata';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { chooseOption, fieldGroup, fill, openSidebar, startFromDialog, stopBatchCluster } from './helpers';

const SHOTS = path.join(__dirname, '..', 'screenshots');

test.use({ autoGoto: true });
test.describe.configure({ mode: 'serial' });

/** The test Grid Engine's variables (scripts/sge/sge.sh writes them), for qstat here. */
function sgeEnv(): NodeJS.ProcessEnv {
  const file = path.join(process.env.JDC_SGE_DIR ?? '/tmp/jdc-sge', 'env');
  const vars: NodeJS.ProcessEnv = { ...process.env };
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) {
      vars[line.slice(0, at)] = line.slice(at + 1);
    }
  }
  vars.PATH = `${vars.PATH ?? ''}${path.delimiter}${vars.JDC_SGE_BIN ?? ''}`;
  return vars;
}

/** Jobs of cluster `id` in `qstat -u '*'`, any state: "id state" each (full job names end with the id). */
function queued(id: string): string[] {
  const xml = execFileSync('qstat', ['-u', '*', '-xml'], { encoding: 'utf8', env: sgeEnv() });
  return [...xml.matchAll(/<job_list\b[^>]*>([\s\S]*?)<\/job_list>/g)]
    .map(([, job]) => ({
      id: /<JB_job_number>(\d+)</.exec(job)?.[1],
      name: /<JB_name>([^<]*)</.exec(job)?.[1] ?? '',
      state: /<state>([^<]*)</.exec(job)?.[1]
    }))
    .filter(job => job.name.endsWith(`-${id}`))
    .map(job => `${job.id} ${job.state}`);
}

test('a Grid Engine cluster from [+ New] to Stop', async ({ page }) => {
  const host = sgeEnv().JDC_SGE_HOST ?? '';
  expect(host).not.toBe('');
  const panel = await openSidebar(page);

  // The Grid Engine type, its queues with their h_rt, and the job script.
  await panel.locator('.jp-DaskClusters-new').click();
  const dialog = page.locator('.jp-Dialog');
  await dialog.locator('.jp-DaskClusters-typeSelect select').selectOption('sge');
  const queue = dialog.locator('#root_queue');
  await expect(queue).toBeVisible();
  await expect(queue.locator('option', { hasText: /^short\.q — h_rt 00:05:00/ })).toHaveCount(1);
  const preview = dialog.locator('.jp-DaskClusters-preview');
  const script = dialog.locator('.jp-DaskClusters-previewScript');
  await expect(preview).toHaveAttribute('data-status', 'ready', { timeout: 60000 });
  await expect(script).toContainText('#$ -l h_rt=');

  // A walltime above short.q's h_rt: refused next to the field, and Start says why.
  await chooseOption(queue, 'short.q');
  await fill(page, 'walltime', '00:10:00');
  const walltimeField = fieldGroup(page, 'walltime');
  await expect(walltimeField).toContainText('00:05:00', { timeout: 60000 });
  await expect(preview).toHaveAttribute('data-status', 'refused');
  await expect(dialog.getByRole('button', { name: 'Start' })).toHaveAttribute('aria-disabled', 'true');
  await expect(dialog.locator('.jp-DaskClusters-blocked')).toHaveText('To start, fix Walltime.');
  await walltimeField.scrollIntoViewIfNeeded();
  await dialog.screenshot({ path: `${SHOTS}/sge-refused.png` });

  // all.q runs it: three 1-core workers on a host with two slots, so one job must wait.
  await chooseOption(queue, 'all.q');
  await fill(page, 'cores', '1');
  await fill(page, 'memory', '1 GiB');
  await fill(page, 'workers', '3');
  await expect(walltimeField).not.toContainText('00:05:00', { timeout: 60000 });
  await expect(preview).toHaveAttribute('data-status', 'ready', { timeout: 60000 });
  await expect(script).toContainText('#$ -q all.q');
  await expect(script).toContainText('#$ -l h_rt=00:10:00');
  await expect(script).toContainText('--lifetime');
  await preview.scrollIntoViewIfNeeded();
  await dialog.screenshot({ path: `${SHOTS}/sge-dialog.png` });
  const { id, cluster } = await startFromDialog(page, panel);

  // Two jobs in r on the host with the time left, one in qw with the scheduler's reason, two workers.
  await expect(cluster.locator('.jp-DaskClusters-workers')).toHaveText('2', { timeout: 60000 });
  const jobs = cluster.locator('.jp-DaskClusters-job');
  await expect(jobs).toHaveCount(3);
  const running = cluster.locator('.jp-DaskClusters-job[data-job-state="r"]');
  await expect(running).toHaveCount(2, { timeout: 30000 });
  await expect(running.locator('.jp-DaskClusters-jobNode')).toHaveText([host, host]);
  await expect(running.first().locator('.jp-DaskClusters-jobLeft')).toHaveText(/^\d:\d\d$/);
  const waiting = cluster.locator('.jp-DaskClusters-job[data-job-state="qw"]');
  await expect(waiting).toHaveCount(1);
  await expect(waiting.locator('.jp-DaskClusters-jobReason')).toContainText(
    /queue instance "all\.q@\S+" dropped because it is full/,
    { timeout: 30000 }
  );
  expect(queued(id).sort()).toEqual(
    (await jobs.evaluateAll(rows => rows.map(row => `${row.dataset.jobId} ${row.dataset.jobState}`))).sort()
  );
  await panel.screenshot({ path: `${SHOTS}/sge-running.png` });

  // A running job's output file, from its row.
  await running.first().locator('.jp-DaskClusters-jobLog').click();
  const jobLog = page.locator('.jp-DaskClusters-jobLogView').first();
  await expect(jobLog).toBeVisible();
  await expect(jobLog.locator('.jp-DaskClusters-jobLogHeader')).toContainText(`r on ${host}`);
  await expect(jobLog.locator('.jp-DaskClusters-jobStdout')).toContainText('distributed.worker', { timeout: 30000 });
  await page.screenshot({ path: `${SHOTS}/sge-job-log.png` });

  // Stop: the item ends without jobs, and qstat has none of its jobs left, the waiting one included.
  await stopBatchCluster(page, cluster);
  await expect.poll(() => queued(id), { timeout: 30000 }).toEqual([]);
  await panel.screenshot({ path: `${SHOTS}/sge-stopped.png` });
});
