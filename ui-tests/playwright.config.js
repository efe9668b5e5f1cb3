/**
 * Galata drives a real JupyterLab (started below) in Debian's Chromium.
 * No browser is downloaded; video is off because it needs a downloaded ffmpeg.
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

// UI_TESTS_PORT lets two checkouts run their browser tests side by side.
const port = process.env.UI_TESTS_PORT || '8888';

module.exports = {
  ...baseConfig,
  timeout: 240000,
  expect: { timeout: 30000 },
  retries: 0,
  workers: 1,
  // Per port, so that parallel runs do not clean each other's results.
  outputDir: `test-results/${port}`,
  reporter: [['list'], ['html', { open: 'never', outputFolder: `playwright-report/${port}` }]],
  use: {
    ...baseConfig.use,
    baseURL: `http://localhost:${port}`,
    video: 'off',
    trace: 'retain-on-failure',
    viewport: { width: 1400, height: 900 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: ['--disable-background-networking', '--disable-component-update', '--disable-sync']
    }
  },
  webServer: {
    command: 'bash start-jupyter.sh',
    url: `http://localhost:${port}/lab`,
    timeout: 120000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe'
  }
};
