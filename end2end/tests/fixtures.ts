import { test as base, expect } from '@playwright/test';

/**
 * Every page of every test runs under the server's Content-Security-Policy: a script, style or
 * connection the policy blocks is reported by Chromium on the console, and fails the test, so
 * hydration and live updates are proven to work under the policy, not beside it.
 *
 * A panic in the app's wasm fails the test too, with its message: a release build aborts with a
 * bare "unreachable", and only the panic hook's console line says what went wrong and where.
 */
export const test = base.extend<{ cspGuard: void }>({
  cspGuard: [
    async ({ page }, use) => {
      const violations: string[] = [];
      const panics: string[] = [];
      page.on('console', (message) => {
        const text = message.text();
        if (/Content Security Policy/i.test(text)) violations.push(text);
        if (message.type() === 'error' && /panicked at/.test(text)) panics.push(`${page.url()}: ${text}`);
      });
      await use();
      expect(violations, 'Content-Security-Policy violations').toEqual([]);
      expect(panics, 'panics in the wasm').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
export type { Page, TestInfo } from '@playwright/test';
