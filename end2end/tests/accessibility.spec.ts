import AxeBuilder from '@axe-core/playwright';
import { test, expect, type Page } from './fixtures';
import { PASSWORD } from './journeys';

/// WCAG 2.1 A and AA, as axe-core checks them; serious and critical findings fail the page.
async function audit(page: Page, path: string): Promise<string[]> {
  await page.goto(path);
  await page.waitForLoadState('domcontentloaded');
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${path}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

test('every page passes axe-core with no serious or critical WCAG 2.1 AA violation', async ({ page }) => {
  const found: string[] = [];
  for (const path of ['/login', '/signup']) found.push(...(await audit(page, path)));

  const email = `a11y-${Date.now()}@example.com`;
  await page.goto('/signup');
  await page.waitForLoadState('networkidle');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();

  // A location and a reader, so their own pages and the lists have rows to check.
  await page.goto('/locations');
  await expect(page.getByText('Live', { exact: true })).toBeVisible();
  await page.getByLabel('Name', { exact: true }).fill('Axe store');
  await page.getByLabel('Country').selectOption('US');
  await page.getByLabel('Address line 1').fill('1 Market St');
  await page.getByLabel('City').fill('San Francisco');
  await page.getByLabel('State').fill('CA');
  await page.getByLabel('ZIP code').fill('94105');
  await page.getByRole('button', { name: 'Create location' }).click();
  const store = page.getByRole('link', { name: 'Axe store', exact: true });
  await expect(store).toBeVisible();
  const locationPath = (await store.getAttribute('href')) ?? '/locations';
  await page.goto('/readers');
  await expect(page.getByText('Live', { exact: true })).toBeVisible();
  await page.getByLabel('Registration code').fill('simulated-wpe');
  await page.getByLabel(/^Label/).fill('Axe till');
  await page.getByLabel('Location', { exact: true }).last().selectOption({ label: 'Axe store (simulated)' });
  await page.getByRole('button', { name: 'Register reader' }).click();
  const till = page.getByRole('link', { name: 'Axe till', exact: true });
  await expect(till).toBeVisible();
  const readerPath = (await till.getAttribute('href')) ?? '/readers';

  const pages = [
    '/',
    '/stores',
    '/locations',
    locationPath,
    '/locations/groups',
    '/readers',
    '/readers/register-many',
    `/readers/bulk?action=relabel&ids=${readerPath.split('/').pop()}&pattern=%7Blocation%7D+till+%7Bn%7D`,
    readerPath,
    '/transactions',
    '/audit',
    '/webhook-events',
    '/settings',
    '/settings/members',
    '/settings/stripe',
    '/settings/api-keys',
    '/settings/support',
    '/settings/notifications',
    '/settings/configurations',
  ];
  for (const path of pages) found.push(...(await audit(page, path)));
  expect(found, found.join('\n')).toEqual([]);
});
