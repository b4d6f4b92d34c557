import { defineConfig } from '@playwright/test';

// Debian's Chromium (the Playwright download cannot reach the internet here). The networking
// flags stop Chromium from flooding the closed network at start-up.
export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  // One retry, reported as "flaky" in the output: since pages hydrate as islands, a page's
  // live stream has twice stayed at "Connecting…" in a full run (not reproduced alone; see
  // docs/islands.md, "Known issue"). To be found and fixed, then this goes back to 0.
  retries: 1,
  reporter: [['list']],
  outputDir: './test-results',
  use: {
    baseURL: process.env.E2E_BASE_URL ?? 'http://127.0.0.1:3000',
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
      ],
    },
  },
});
