// Quorate's browser tests: see README.md. Run them with ./run.sh QUORATE_BINARY.
const { defineConfig } = require('@playwright/test');

module.exports = defineConfig({
  testDir: './specs',
  // The journeys run in order against one server (file names sort in order:
  // publish, vote, vote by link, close and certify, observe, then the crawl).
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  globalSetup: require.resolve('./global-setup.js'),
  timeout: 180_000,
  globalTimeout: 10 * 60_000,
  expect: { timeout: 10_000 },
  outputDir: './test-results',
  reporter: [['list'], ['./findings-reporter.js']],
  use: {
    // Set by global-setup.js, which runs before the workers start.
    baseURL: process.env.QUORATE_BROWSER_BASE_URL,
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1280, height: 900 },
    locale: 'en-GB',
    timezoneId: 'Europe/London',
    actionTimeout: 15_000,
    navigationTimeout: 30_000,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.QUORATE_BROWSER_CHROMIUM || '/usr/bin/chromium',
      // Nothing but the loopback server: no background connections, which
      // this machine's closed network refuses.
      args: ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--disable-gpu', '--no-first-run'],
    },
  },
});
