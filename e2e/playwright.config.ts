import { defineConfig, devices } from '@playwright/test';

/**
 * One worker (2 cores here), Debian's Chromium (never a downloaded browser), screenshots and
 * traces kept for failures. The global setup starts the whole stack (or seeds E2E_BASE_URL).
 */
const bundled = process.env.E2E_BUNDLED_BROWSER === '1';
const port = Number(process.env.E2E_PORT_BASE ?? 18080);
/**
 * E2E_ARTIFACTS_DIR (.ci/run sets .ci/artifacts/e2e): the HTML report, every failure's
 * screenshot and trace, and the visual spec's screenshots of each page, kept for CI.
 */
const artifacts = process.env.E2E_ARTIFACTS_DIR;

export default defineConfig({
  testDir: './tests',
  globalSetup: './support/global-setup.ts',
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: artifacts
    ? [['list'], ['html', { open: 'never', outputFolder: `${artifacts}/report` }]]
    : process.env.CI
      ? [['list'], ['html', { open: 'never' }]]
      : [['list']],
  outputDir: artifacts ? `${artifacts}/test-results` : './test-results',
  use: {
    baseURL: process.env.E2E_BASE_URL ?? `http://localhost:${port}`,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    viewport: { width: 1280, height: 800 },
    actionTimeout: 10_000,
    navigationTimeout: 15_000,
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        viewport: { width: 1280, height: 800 },
        ...(bundled
          ? {}
          : {
              launchOptions: {
                executablePath: process.env.E2E_CHROMIUM ?? '/usr/bin/chromium',
                args: [
                  '--no-sandbox',
                  '--disable-gpu',
                  '--disable-background-networking',
                  '--disable-component-update',
                  '--disable-sync',
                  '--no-first-run',
                  '--disable-quic',
                ],
              },
            }),
      },
    },
  ],
});
