import { test, expect } from './fixtures';

const PASSWORD = 'correct horse battery';

test('a new organisation is on the simulator; a wrong key shows Stripe\'s reason, a good one connects', async ({ page }, info) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const email = `stripe-${Date.now()}@example.com`;
  await page.goto('/signup');
  await page.waitForLoadState('networkidle');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();

  await page.goto('/settings/stripe');
  // The live stream keeps a connection open, so wait for hydration by its indicator instead.
  await expect(page.getByText('Live', { exact: true })).toBeVisible();
  const simulator = page.getByRole('region', { name: 'Stripe connection Simulator' });
  await expect(simulator.getByText('Simulated — no real money')).toBeVisible();
  await expect(simulator.getByLabel('Webhook endpoint URL to give Stripe')).toHaveValue(/\/webhooks\/stripe\/con_/);

  await page.getByLabel('Name', { exact: true }).last().fill('Downtown');
  await page.getByLabel('Secret key').fill('sk_test_short');
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Stripe rejected the API key' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Stripe connection Downtown' })).toHaveCount(0);

  await page.getByLabel('Secret key').fill('sk_test_e2edowntown42');
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  const downtown = page.getByRole('region', { name: 'Stripe connection Downtown' });
  await expect(downtown.getByText('Test mode')).toBeVisible();
  await expect(downtown.getByText('sk_test_…wn42')).toBeVisible();
  expect(await page.content()).not.toContain('sk_test_e2edowntown42');
  await page.screenshot({ path: info.outputPath('settings-stripe.png'), fullPage: true });
  expect(errors).toEqual([]);
});
