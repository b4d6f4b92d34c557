import { test as base, expect } from '@playwright/test';

/**
 * Every page of every test runs under the server's Content-Security-Policy: a script, style or
 * connection the policy blocks is reported by Chromium on the console, and fails the test, so
 * hydration and live updates are proven to work under the policy, not beside it.
 */
export const test = base.extend<{ cspGuard: void }>({
  cspGuard: [
    async ({ page }, use) => {
      const violations: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
      });
      await use();
      expect(violations, 'Content-Security-Policy violations').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
export type { Page, TestInfo } from '@playwright/test';
