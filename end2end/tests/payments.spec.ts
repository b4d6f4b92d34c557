import { test, expect, Page, TestInfo } from './fixtures';
import { PASSWORD, live, shot, unique } from './journeys';

test('a test charge on a simulated reader succeeds live, is found in Transactions and refunded; a decline says why', async ({ page }, info) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/signup');
  await page.waitForLoadState('networkidle');
  await page.getByLabel('Email').fill(unique('payments'));
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();

  await page.goto('/locations');
  await live(page);
  await page.getByLabel('Name', { exact: true }).fill('Cafe');
  await page.getByLabel('Address line 1').fill('1 Market St');
  await page.getByLabel('City').fill('San Francisco');
  await page.getByLabel('State').fill('CA');
  await page.getByLabel('ZIP code').fill('94105');
  await page.getByRole('button', { name: 'Create location' }).click();
  await expect(page.getByRole('link', { name: 'Cafe', exact: true })).toBeVisible();

  await page.goto('/readers');
  await live(page);
  await page.getByLabel('Registration code').fill('simulated-wpe');
  await page.getByLabel(/^Label/).fill('Espresso bar');
  await page.getByRole('button', { name: 'Register reader' }).click();
  await page.getByRole('link', { name: 'Espresso bar' }).click();
  await expect(page.getByRole('heading', { name: 'Espresso bar' })).toBeVisible();
  await live(page);

  // Charge, then present an approving card: the page follows without a reload.
  await page.evaluate(() => ((window as any).__noReload = true));
  await page.getByLabel('Amount', { exact: true }).fill('12.50');
  await page.getByRole('button', { name: 'Charge on this reader' }).click();
  const payments = page.getByRole('region', { name: 'Recent payments' });
  await expect(payments.getByText('Waiting for card')).toBeVisible();
  await expect(page.getByText('Collecting payment')).toBeVisible();
  await page.getByLabel('Card', { exact: true }).selectOption({ label: 'Visa — approved' });
  await page.getByRole('button', { name: 'Present card' }).click();
  await expect(payments.getByText('Succeeded')).toBeVisible();
  await expect(payments.getByText('12.50 USD')).toBeVisible();
  expect(await page.evaluate(() => (window as any).__noReload)).toBe(true);
  await shot(page, info, '01-reader-charged');

  // In Transactions, then refunded from its page.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Transactions' }).click();
  const row = page.getByRole('row').filter({ hasText: '12.50 USD' });
  await expect(row.getByText('Succeeded')).toBeVisible();
  await expect(row.getByText('Visa •••• 4242')).toBeVisible();
  await shot(page, info, '02-transactions');
  await row.getByRole('link', { name: '12.50 USD' }).click();
  await live(page);
  await page.getByRole('button', { name: 'Refund' }).click();
  await expect(page.locator('.page-header .badge', { hasText: 'Refunded' })).toBeVisible();
  await expect(page.getByText('Nothing left to do: this payment is final.')).toBeVisible();
  await shot(page, info, '03-refunded');

  // A declining card: the reason in plain words.
  await page.getByRole('link', { name: 'Espresso bar' }).click();
  await live(page);
  await page.getByLabel('Amount', { exact: true }).fill('3.00');
  await page.getByRole('button', { name: 'Charge on this reader' }).click();
  await expect(payments.getByText('Waiting for card')).toBeVisible();
  await page.getByLabel('Card', { exact: true }).selectOption({ label: 'Declined: insufficient funds' });
  await page.getByRole('button', { name: 'Present card' }).click();
  await expect(payments.getByText('Declined', { exact: true })).toBeVisible();
  await expect(payments.getByText(/insufficient funds/i)).toBeVisible();
  await shot(page, info, '04-declined');
  expect(errors).toEqual([]);
});
