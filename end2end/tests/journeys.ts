import { expect, Page, TestInfo } from './fixtures';

/** Steps most journeys begin with. New specs take them from here. */

export const PASSWORD = 'correct horse battery';

export function unique(name: string): string {
  return `${name}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

export async function shot(page: Page, info: TestInfo, name: string) {
  await page.screenshot({ path: info.outputPath(`${name}.png`), fullPage: true });
}

/**
 * The page is hydrated and its live stream is open. Islands hydrate when the browser is idle
 * (Leptos' script), which on a busy 2-core machine running two browsers and the server can take
 * longer than the default wait.
 */
export async function live(page: Page) {
  await expect(page.getByText('Live', { exact: true }).first()).toBeVisible({ timeout: 20_000 });
}

export async function signUp(page: Page, email: string, organisation?: string) {
  await page.goto('/signup');
  await page.waitForLoadState('networkidle');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  if (organisation) await page.getByLabel(/Organisation name/).fill(organisation);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
}

/** A US location; `line1` and `city` tell locations apart where a test needs it. */
export async function addLocation(page: Page, name: string, where: { line1?: string; city?: string } = {}) {
  await page.goto('/locations');
  await live(page);
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Country').selectOption('US');
  await page.getByLabel('Address line 1').fill(where.line1 ?? '1 Market St');
  await page.getByLabel('City').fill(where.city ?? 'San Francisco');
  await page.getByLabel('State').fill('CA');
  await page.getByLabel('ZIP code').fill('94105');
  await page.getByRole('button', { name: 'Create location' }).click();
  await expect(page.getByRole('link', { name, exact: true })).toBeVisible();
}

/** Registers a simulated WisePOS E and returns its id once it shows online. */
export async function registerReader(page: Page, location: string, label: string): Promise<string> {
  await page.goto('/readers');
  await live(page);
  await page.getByLabel('Registration code').fill('simulated-wpe');
  await page.getByLabel(/^Label/).fill(label);
  await page.getByLabel('Location', { exact: true }).last().selectOption({ label: `${location} (simulated)` });
  await page.getByRole('button', { name: 'Register reader' }).click();
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: label }) });
  await expect(row.getByText('Online', { exact: true })).toBeVisible();
  const id = await row.getAttribute('data-reader');
  expect(id).toMatch(/^tmr_/);
  return id as string;
}

/** Creates an API key in Settings and returns its secret, read from the page once. */
export async function createApiKey(page: Page, name: string): Promise<string> {
  await page.goto('/settings/api-keys');
  await live(page);
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Create key' }).click();
  const field = page.getByLabel('Secret key');
  await expect(field).toHaveValue(/^tfk_/);
  return field.inputValue();
}
