import { test, expect, Page, TestInfo } from './fixtures';
import { PASSWORD, live, shot, unique } from './journeys';

/// A 36×64 PNG: the brand colour with a white check pattern.
const SPLASH_PNG =
  'iVBORw0KGgoAAAANSUhEUgAAACQAAABACAIAAAD9B0KDAAAAV0lEQVR42u3YQQoAEBAFUKezdf8DOAdrpWjSLPQ0y5+X4i+UVnvaFBgMBnuMjXUdA9tM8GQ3W99kYLAAlnr1YTCPGqYbYTDdCNONMJhuhP2L+ZWDwWDbmTGdOkTKdCzIAAAAAElFTkSuQmCC';

test('an owner makes a tipping configuration, gives it to a location, sees it on the reader and takes a tipped charge', async ({ page }, info) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/signup');
  await page.waitForLoadState('networkidle');
  await page.getByLabel('Email').fill(unique('configurations'));
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();

  await page.goto('/locations');
  await live(page);
  await page.getByLabel('Name', { exact: true }).fill('Tip cafe');
  await page.getByLabel('Address line 1').fill('1 Market St');
  await page.getByLabel('City').fill('San Francisco');
  await page.getByLabel('State').fill('CA');
  await page.getByLabel('ZIP code').fill('94105');
  await page.getByRole('button', { name: 'Create location' }).click();
  await expect(page.getByRole('link', { name: 'Tip cafe', exact: true })).toBeVisible();

  await page.goto('/readers');
  await live(page);
  await page.getByLabel('Registration code').fill('simulated-wpe');
  await page.getByLabel(/^Label/).fill('Tip till');
  await page.getByRole('button', { name: 'Register reader' }).click();
  await expect(page.getByRole('link', { name: 'Tip till' })).toBeVisible();

  // Settings → Reader configurations: a configuration tipping in USD.
  await page.goto('/settings');
  await page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'Reader configurations' }).click();
  await expect(page.getByRole('heading', { name: 'Account default' })).toBeVisible();
  const create = page.getByRole('region', { name: 'New configuration' });
  await create.getByLabel('Name').fill('Cafés with tips');
  await create.getByLabel('Currency 1').selectOption('usd');
  await create.getByLabel('Percentages').first().fill('15, 18, 20');
  await create.getByLabel('Fixed amounts').first().fill('1, 2');
  await create.getByLabel('Smart-tip threshold').first().fill('10');
  await create.getByLabel('From').selectOption('2');
  await create.getByLabel('Until').selectOption('4');
  await create.getByRole('button', { name: 'Create configuration' }).click();
  const made = page.getByRole('region', { name: 'Cafés with tips' });
  await expect(made.getByText('USD: 15%, 18%, 20% · 1.00 USD, 2.00 USD')).toBeVisible();
  await expect(made.getByText('02:00 – 04:00', { exact: false })).toBeVisible();

  // A splash screen for the WisePOS E, uploaded through the page's form and previewed.
  await made.getByText('Splash screens of Cafés with tips').click();
  await made.getByLabel('Device type').selectOption({ label: 'BBPOS WisePOS E' });
  await made.getByLabel('Image').setInputFiles({ name: 'splash.png', mimeType: 'image/png', buffer: Buffer.from(SPLASH_PNG, 'base64') });
  await made.getByRole('button', { name: 'Upload splash screen' }).click();
  await expect(page.getByText('Splash screen saved in Stripe.')).toBeVisible();
  const preview = page.getByRole('region', { name: 'Cafés with tips' }).getByRole('img', { name: 'Splash screen for the BBPOS WisePOS E' });
  await expect(preview).toBeVisible();
  expect(await preview.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(36);
  await shot(page, info, '01-configurations');

  // The location picks it.
  await page.goto('/locations');
  await page.getByRole('link', { name: 'Tip cafe', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Tip cafe' })).toBeVisible();
  await page.getByLabel('Readers here use').selectOption({ label: 'Cafés with tips' });
  await page.getByRole('button', { name: 'Save configuration' }).click();
  await expect(page.getByText('Saved in Stripe.')).toBeVisible();
  const inForce = page.getByRole('region', { name: 'Reader configuration' });
  await expect(inForce.getByText('Cafés with tips')).toBeVisible();
  await expect(inForce.getByText('Chosen for the location Tip cafe')).toBeVisible();

  // The reader's page says which configuration is in force and why; a tipped charge.
  await page.getByRole('link', { name: 'Tip till' }).click();
  await expect(page.getByRole('heading', { name: 'Tip till' })).toBeVisible();
  await live(page);
  const readerConfig = page.getByRole('region', { name: 'Reader configuration' });
  await expect(readerConfig.getByText('Cafés with tips')).toBeVisible();
  await expect(readerConfig.getByRole('link', { name: 'Chosen for the location Tip cafe' })).toBeVisible();
  await page.getByLabel('Amount', { exact: true }).fill('10.00');
  await page.getByRole('button', { name: 'Charge on this reader' }).click();
  const payments = page.getByRole('region', { name: 'Recent payments' });
  await expect(payments.getByText('Waiting for card')).toBeVisible();
  await page.getByLabel('Card', { exact: true }).selectOption({ label: 'Visa — approved' });
  await page.getByLabel(/^Tip/).fill('2.00');
  await page.getByRole('button', { name: 'Present card' }).click();
  await expect(payments.getByText('Succeeded')).toBeVisible();
  await expect(payments.getByText('12.00 USD')).toBeVisible();
  await shot(page, info, '02-reader-tipped');
  expect(errors).toEqual([]);
});
