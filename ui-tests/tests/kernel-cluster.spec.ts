/**
 * Clusters made in notebook code, in a real JupyterLab in Chromium: a
 * LocalCluster made in a cell appears in the sidebar naming its notebook,
 * its Task Stream opens in a tab, scaling from the sidebar reaches the
 * notebook's own object, Stop closes it, a kernel restart removes another;
 * a kernel without distributed and a non-Python kernel show nothing and no
 * error. Screenshots land in ui-tests/screenshots/kernel-*.png.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import * as fs from 'fs';
import * as path from 'path';
import { fill, openSidebar, openTaskStream } from './helpers';

const SHOTS = path.join(__dirname, '..', 'screenshots');
const PORT = process.env.UI_TESTS_PORT || '8888';
const KERNELS = path.join(__dirname, '..', '.jupyter-state', PORT, 'jupyter-path', 'kernels');
const PYTHON = path.resolve(__dirname, '..', '..', '.venv', 'bin', 'python');
const KERNEL_ITEM = '.jp-DaskClusters-item[data-cluster-id^="k-"]';

// Galata's mock of the kernels API answers a restart with 201, which JupyterLab refuses.
test.use({ autoGoto: true, kernels: null });
test.describe.configure({ mode: 'serial' });

/** A notebook on a kernelspec, written whole, opened, its kernel idle. */
async function openNotebook(
  page: IJupyterLabPageFixture,
  file: string,
  kernel: string,
  display: string
): Promise<void> {
  const notebook = JSON.stringify({
    cells: [],
    metadata: { kernelspec: { name: kernel, display_name: display, language: 'python' } },
    nbformat: 4,
    nbformat_minor: 5
  });
  await page.contents.uploadContent(notebook, 'text', file);
  await page.notebook.openByPath(file);
  await page.notebook.activate(path.basename(file));
  await expect(page.locator('.jp-NotebookPanel:visible .jp-Toolbar-kernelName')).toContainText(display);
  await expect(page.locator('.jp-NotebookPanel:visible .jp-Notebook-ExecutionIndicator')).toHaveAttribute(
    'data-status',
    'idle',
    { timeout: 60000 }
  );
}

/** The id of the kernel of the current notebook. */
async function currentKernelId(page: IJupyterLabPageFixture): Promise<string> {
  return page.evaluate(() => {
    const app = (
      window as unknown as {
        jupyterapp: {
          shell: { currentWidget: { sessionContext: { session: { kernel: { id: string } | null } | null } } | null };
        };
      }
    ).jupyterapp;
    return app.shell.currentWidget?.sessionContext.session?.kernel?.id ?? '';
  });
}

/** Add a code cell at the end and run it; the text of its output. */
async function runCode(page: IJupyterLabPageFixture, code: string): Promise<string> {
  await page.notebook.addCell('code', code);
  const index = (await page.notebook.getCellCount()) - 1;
  await page.notebook.runCell(index);
  return (await page.notebook.getCellTextOutput(index))?.join('') ?? '';
}

/**
 * Two kernelspecs of this lab's own Python: one where `import distributed`
 * fails, and a non-Python "echo" kernel (ipykernel's wrapper-kernel example).
 */
function writeKernelspecs(): void {
  const blocker = path.join(KERNELS, '..', 'no-dask-path');
  fs.mkdirSync(path.join(blocker, 'distributed'), { recursive: true });
  fs.writeFileSync(
    path.join(blocker, 'distributed', '__init__.py'),
    'raise ImportError("No module named \'distributed\'")\n'
  );
  fs.writeFileSync(
    path.join(blocker, 'echo_kernel.py'),
    [
      'from ipykernel.kernelapp import IPKernelApp',
      'from ipykernel.kernelbase import Kernel',
      '',
      'class EchoKernel(Kernel):',
      '    implementation = "echo"',
      '    implementation_version = "1.0"',
      '    language = "echo"',
      '    language_version = "1.0"',
      '    language_info = {"name": "echo", "mimetype": "text/plain", "file_extension": ".txt"}',
      '    banner = "Echo"',
      '',
      '    async def do_execute(self, code, silent, store_history=True, user_expressions=None, allow_stdin=False, **kwargs):',
      '        if not silent:',
      '            self.send_response(self.iopub_socket, "stream", {"name": "stdout", "text": code})',
      '        return {"status": "ok", "execution_count": self.execution_count, "payload": [], "user_expressions": {}}',
      '',
      'if __name__ == "__main__":',
      '    IPKernelApp.launch_instance(kernel_class=EchoKernel)',
      ''
    ].join('\n')
  );
  const spec = (name: string, display: string, argv: string[], language: string) => {
    fs.mkdirSync(path.join(KERNELS, name), { recursive: true });
    fs.writeFileSync(
      path.join(KERNELS, name, 'kernel.json'),
      JSON.stringify({ argv, display_name: display, language, env: { PYTHONPATH: blocker } })
    );
  };
  spec('nodask', 'Python without Dask', [PYTHON, '-m', 'ipykernel_launcher', '-f', '{connection_file}'], 'python');
  spec('echo', 'Echo', [PYTHON, '-m', 'echo_kernel', '-f', '{connection_file}'], 'echo');
}

test('a cluster made in notebook code: listed, dashboard, scaled, stopped, gone on restart', async ({
  page,
  tmpPath
}) => {
  await openNotebook(page, `${tmpPath}/kernel.ipynb`, 'python3', 'Python 3');
  const panel = await openSidebar(page);
  const item = panel.locator(KERNEL_ITEM);
  await expect(item).toHaveCount(0);

  // Within a second after the cell finishes, naming its notebook.
  await runCode(
    page,
    'from dask.distributed import LocalCluster\ncluster = LocalCluster(n_workers=1, threads_per_worker=1)'
  );
  await expect(item).toHaveCount(1, { timeout: 1000 });
  await expect(item.locator('.jp-DaskClusters-name')).toHaveText('cluster');
  // The notebook it lives in, marked as the focused one.
  await expect(item.locator('.jp-DaskClusters-environment')).toHaveText('kernel.ipynb (this notebook)');
  await expect(item).toHaveAttribute('data-active-notebook', 'true');
  await expect(item.locator('.jp-DaskClusters-type')).toHaveText('LocalCluster');
  await expect(item.locator('.jp-DaskClusters-workers')).toHaveText('1');
  await expect(item).toHaveAttribute('data-state', 'running');
  await panel.screenshot({ path: `${SHOTS}/kernel-cluster-item.png` });

  // Its Task Stream in a lab tab, through the companion's proxy, drawing the notebook's tasks.
  const dashboard = await openTaskStream(page, item);
  await page.notebook.activate('kernel.ipynb');
  await runCode(
    page,
    'from dask.distributed import Client\nimport dask.array as da\nclient = Client(cluster)\n' +
      'print(int(da.ones((4000, 4000), chunks=250).sum().compute()))'
  );
  await expect(item).toHaveCount(1);
  await page.activity.activateTab('Task Stream');
  await expect(dashboard.frameLocator('iframe').locator('canvas').first()).toBeVisible();
  await page.waitForTimeout(1500);
  await page.screenshot({ path: `${SHOTS}/kernel-cluster-dashboard.png` });

  // After a reload, the item and its dashboard tab come back while the cluster lives.
  await page.reload({ waitForIsReady: false });
  await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
  await expect(page.locator('.jp-DaskClusters-dashboard')).toHaveCount(1);
  await openSidebar(page);
  await expect(item).toHaveCount(1, { timeout: 30000 });
  await expect(page.locator('.jp-DaskClusters-dashboard')).toHaveCount(1);
  await expect(page.locator('.jp-DaskClusters-dashboard-stopped')).toHaveCount(0);
  await expect(
    page.locator('.jp-DaskClusters-dashboard').first().frameLocator('iframe').locator('canvas').first()
  ).toBeAttached({
    timeout: 60000
  });

  // Scale to 2 from the sidebar: the notebook's own object has 2 workers.
  await page.notebook.activate('kernel.ipynb');
  await item.locator('.jp-DaskClusters-scale').click();
  await page.locator('.jp-Dialog #root_mode').getByLabel('Fixed').check();
  await fill(page, 'workers', '2');
  await page
    .locator('.jp-Dialog')
    .getByRole('button', { name: /Scale|Apply/ })
    .click();
  await expect(page.locator('.jp-Dialog')).toHaveCount(0);
  // The kernel-side timer reports the new worker without a cell.
  await expect(item.locator('.jp-DaskClusters-workers')).toHaveText('2', { timeout: 30000 });
  expect((await runCode(page, "print(len(cluster.scheduler_info['workers']))")).trim()).toBe('2');
  await page.screenshot({ path: `${SHOTS}/kernel-cluster-scaled.png` });

  // Any dashboard by its address (here this cluster's own link): listed, its status page in a tab.
  const link = (await runCode(page, 'print(cluster.dashboard_link)')).trim();
  expect(link).toMatch(/^http:/);
  await panel.locator('.jp-DaskClusters-urlInput').fill(link);
  await panel.locator('.jp-DaskClusters-urlOpen').click();
  const entered = panel.locator(KERNEL_ITEM, { hasText: 'entered address' });
  await expect(entered).toHaveCount(1);
  await expect(page.locator('.jp-DaskClusters-dashboard')).toHaveCount(2);
  await expect(
    page.locator('.jp-DaskClusters-dashboard:visible').frameLocator('iframe').locator('canvas').first()
  ).toBeAttached({ timeout: 60000 });
  await expect(entered.locator('.jp-DaskClusters-plot', { hasText: /Task Stream/ })).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/kernel-cluster-url.png` });
  await entered.locator('.jp-DaskClusters-stop').click();
  if (await page.locator('.jp-Dialog').isVisible()) {
    await page.locator('.jp-Dialog').getByRole('button', { name: /Stop/ }).click();
  }
  await expect(entered).toHaveCount(0);
  await expect(item).toHaveCount(1);
  await page.notebook.activate('kernel.ipynb');

  // Stop from the sidebar closes the notebook's cluster.
  await item.locator('.jp-DaskClusters-stop').click();
  const confirm = page.locator('.jp-Dialog');
  if (await confirm.isVisible()) {
    await confirm.getByRole('button', { name: /Stop/ }).click();
  }
  await expect(item).toHaveCount(0, { timeout: 30000 });
  expect((await runCode(page, 'print(cluster.status.name)')).trim()).toBe('closed');

  // A second one goes away when the kernel restarts.
  await runCode(page, 'second = LocalCluster(n_workers=1, threads_per_worker=1)');
  await expect(item).toHaveCount(1, { timeout: 1000 });
  await expect(item.locator('.jp-DaskClusters-name')).toHaveText('second');
  // What Kernel > Restart Kernel does, without its confirmation dialog.
  await page.evaluate(async () => {
    const app = (
      window as unknown as {
        jupyterapp: { shell: { currentWidget: { sessionContext: { restartKernel(): Promise<void> } } | null } };
      }
    ).jupyterapp;
    await app.shell.currentWidget?.sessionContext.restartKernel();
  });
  await expect(item).toHaveCount(0, { timeout: 10000 });
  await panel.screenshot({ path: `${SHOTS}/kernel-cluster-after-restart.png` });

  // After the restart the kernel is bootstrapped again at its first idle: a new cluster is listed.
  await runCode(
    page,
    'from dask.distributed import LocalCluster\nthird = LocalCluster(n_workers=1, threads_per_worker=1)'
  );
  await expect(item).toHaveCount(1, { timeout: 1000 });
  await runCode(page, 'third.close()');
  await expect(item).toHaveCount(0, { timeout: 5000 });
});

test('a kernel without distributed and a non-Python kernel show nothing and no error', async ({ page, tmpPath }) => {
  writeKernelspecs();
  const sent: string[] = [];
  page.on('websocket', ws => {
    if (ws.url().includes('/api/kernels/')) {
      ws.on('framesent', frame => sent.push(`${ws.url()} ${String(frame.payload)}`));
    }
  });
  // The lab reads kernelspecs on request: reload so the launcher and sessions know them.
  await page.reload();

  await openNotebook(page, `${tmpPath}/nodask.ipynb`, 'nodask', 'Python without Dask');
  expect(await runCode(page, 'try:\n    import distributed\nexcept ImportError as e:\n    print("no", e)')).toContain(
    'no No module named'
  );
  await openNotebook(page, `${tmpPath}/echo.ipynb`, 'echo', 'Echo');
  expect(await runCode(page, 'hello')).toContain('hello');
  await page.waitForTimeout(1500);

  const panel = await openSidebar(page);
  await expect(panel.locator(KERNEL_ITEM)).toHaveCount(0);
  await expect(page.locator('.Toastify__toast--error')).toHaveCount(0);
  // The Python kernel got the bootstrap (silently); the echo kernel got none.
  const bootstraps = sent.filter(frame => frame.includes('_jupyterlab_dask_clusters_bootstrap'));
  expect(bootstraps.length).toBeGreaterThan(0);
  const echoKernel = await currentKernelId(page);
  expect(echoKernel).not.toBe('');
  expect(bootstraps.filter(frame => frame.includes(echoKernel))).toHaveLength(0);
  await page.screenshot({ path: `${SHOTS}/kernel-cluster-none.png` });
});

test('a bare Client(), a Client of a scheduler by address and a SLURMCluster made in code are listed too', async ({
  page,
  tmpPath
}) => {
  await openNotebook(page, `${tmpPath}/others.ipynb`, 'python3', 'Python 3');
  const panel = await openSidebar(page);
  const item = panel.locator(KERNEL_ITEM);
  await expect(item).toHaveCount(0);

  // The cluster a bare Client() makes.
  await runCode(page, 'from dask.distributed import Client\nc = Client(n_workers=1, threads_per_worker=1)');
  await expect(item).toHaveCount(1, { timeout: 1000 });
  await expect(item.locator('.jp-DaskClusters-name')).toHaveText('c.cluster');
  await expect(item.locator('.jp-DaskClusters-workers')).toHaveText('1');
  await runCode(page, 'c.close()\nc.cluster.close()');
  await expect(item).toHaveCount(0, { timeout: 5000 });

  // A Client connected by address to a scheduler nobody here manages.
  await runCode(
    page,
    [
      'import socket, subprocess, sys',
      // One line each: the editor indents what follows a block by itself.
      's = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()',
      'scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"])',
      'remote = Client(f"tcp://127.0.0.1:{port}", timeout=60)'
    ].join('\n')
  );
  await expect(item).toHaveCount(1, { timeout: 5000 });
  await expect(item.locator('.jp-DaskClusters-name')).toHaveText('remote');
  await expect(item).toHaveAttribute('data-state', 'running');
  await panel.screenshot({ path: `${SHOTS}/kernel-client-by-address.png` });
  await runCode(page, 'remote.close()\nscheduler.terminate()\nscheduler.wait(30)');
  await expect(item).toHaveCount(0, { timeout: 5000 });

  // A dask-jobqueue cluster on the test SLURM: its worker is a real batch job.
  await runCode(
    page,
    'from dask_jobqueue import SLURMCluster\n' +
      'slurm = SLURMCluster(queue="debug", cores=1, memory="1GiB", walltime="00:05:00", log_directory="slurm-logs")\n' +
      'slurm.scale(1)'
  );
  await expect(item).toHaveCount(1, { timeout: 5000 });
  await expect(item.locator('.jp-DaskClusters-name')).toHaveText('slurm');
  await expect(item.locator('.jp-DaskClusters-type')).toHaveText('SLURMCluster');
  await expect(item.locator('.jp-DaskClusters-workers')).toHaveText('1', { timeout: 90000 });
  await panel.screenshot({ path: `${SHOTS}/kernel-slurm-cluster.png` });
  await runCode(page, 'slurm.close()');
  await expect(item).toHaveCount(0, { timeout: 10000 });
});
