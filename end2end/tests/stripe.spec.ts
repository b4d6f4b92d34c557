import { test, expect } from './fixtures';
import { PASSWORD } from './journeys';

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

  await page.locator('#key-name').fill('Downtown');
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

test('connected accounts come with proof: onboarding at Stripe, or the holder\'s consent', async ({ page }, info) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const email = `connect-${Date.now()}@example.com`;
  await page.goto('/signup');
  await page.waitForLoadState('networkidle');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();

  // A new account, onboarded on Stripe's hosted pages.
  await page.goto('/settings/stripe');
  await expect(page.getByText('Live', { exact: true })).toBeVisible();
  await page.getByLabel('Business name').fill('Airport store');
  await page.getByRole('button', { name: 'Create and onboard at Stripe' }).click();
  await expect(page.getByRole('heading', { name: 'Set up your Stripe account' })).toBeVisible();
  await page.getByLabel('Business name').fill('Airport store Ltd');
  await page.getByLabel('I agree to the Stripe Connected Account Agreement').check();
  await page.getByRole('button', { name: 'Agree and submit' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Onboarding finished' })).toBeVisible();
  const airport = page.getByRole('region', { name: 'Stripe connection Airport store' });
  await expect(airport.getByText('Created for this organisation and onboarded through Terminal Fleet')).toBeVisible();
  await expect(airport.getByText('Finished', { exact: true })).toBeVisible();

  // An existing account, through Stripe's consent page, before hydration too (a plain form post
  // whose redirect to Stripe the page's form-action allows).
  await page.context().route('**/pkg/**', (route) => route.abort());
  await page.goto('/settings/stripe');
  await page.getByLabel('Name', { exact: true }).last().fill('Harbour');
  await page.getByRole('button', { name: 'Connect an existing account with Stripe' }).click();
  await expect(page.getByRole('heading', { name: 'Connect your Stripe account' })).toBeVisible();
  await page.context().unroute('**/pkg/**');
  // The page without its scripts said so; what follows must hydrate cleanly again.
  errors.length = 0;
  await page.getByRole('button', { name: 'Skip this form' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Stripe confirmed the account is yours' })).toBeVisible();
  const harbour = page.getByRole('region', { name: 'Stripe connection Harbour' });
  await expect(harbour.getByText('Its holder signed in with Stripe and granted access')).toBeVisible();
  await page.screenshot({ path: info.outputPath('settings-connect.png'), fullPage: true });
  expect(errors).toEqual([]);
});
