import { readFileSync } from 'fs';
import { test, expect, Page } from './fixtures';
import { PASSWORD, addLocation, live, signUp, unique } from './journeys';

/** The job page's progress line ("3 of 3 processed: …"), beside the header's live status. */
function progress(page: Page) {
  return page.getByRole('status').filter({ hasText: 'processed' });
}

test('registers many readers from a CSV, relabels them with a pattern and exports the fleet', async ({ page }) => {
  await signUp(page, unique('bulk-owner'));
  await addLocation(page, 'Main St');

  // Registering many: pasted CSV, one bad row in the middle.
  await page.goto('/readers');
  await page.getByRole('link', { name: 'Register many' }).click();
  await expect(page.getByRole('heading', { name: 'Register many readers' })).toBeVisible();
  const csv = [
    'registration_code,label,location',
    'simulated-wpe,Till 1,Main St',
    'simulated-wpe,Lost till,Nowhere',
    'simulated-s700,Till 2,Main St',
  ].join('\n');
  await page.getByLabel('Paste CSV').fill(csv);
  await page.getByRole('button', { name: 'Register readers' }).click();
  await expect(page.getByRole('heading', { name: 'Register readers' })).toBeVisible();
  await live(page);
  // Progress follows live until every row has its outcome.
  await expect(progress(page)).toContainText('3 of 3 processed: 2 done, 0 already done, 1 refused');
  const rows = page.getByRole('row');
  await expect(rows.filter({ hasText: 'Nowhere' })).toContainText('Refused');
  await expect(rows.filter({ hasText: 'Till 1' })).toContainText('Done');

  // The same file again registers nothing twice.
  await page.goto('/readers/register-many');
  await page.getByLabel('Paste CSV').fill(csv);
  await page.getByRole('button', { name: 'Register readers' }).click();
  await expect(progress(page)).toContainText('2 already done');

  // Relabel both with a pattern, through the confirm step.
  await page.goto('/readers');
  await live(page);
  await page.getByLabel('Select Till 1').check();
  await page.getByLabel('Select Till 2').check();
  await page.getByLabel('Action', { exact: true }).selectOption('relabel');
  await page.getByLabel('New label pattern').fill('{location} till {n}');
  await page.getByRole('button', { name: 'Review…' }).click();
  await expect(page.getByRole('heading', { name: 'Confirm bulk action' })).toBeVisible();
  await expect(page.getByRole('cell', { name: 'Main St till 2' })).toBeVisible();
  await page.getByRole('button', { name: 'Relabel 2 readers' }).click();
  await expect(progress(page)).toContainText('2 of 2 processed: 2 done');
  await page.goto('/readers');
  await expect(page.getByRole('link', { name: 'Main St till 1', exact: true })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Main St till 2', exact: true })).toBeVisible();

  // The fleet as CSV.
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Export CSV' }).click();
  const file = await (await download).path();
  const text = readFileSync(file, 'utf8');
  expect(text.split('\n')[0]).toBe('id,label,location,device,serial,software,status,last_seen_utc');
  expect(text).toContain('Main St till 1');

  // The Overview's inventory counts them by device and version.
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Fleet inventory' })).toBeVisible();
});

test('a bulk registration works before the page hydrates', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  // Sign up with scripts on, then act with them off.
  const withScripts = await browser.newContext();
  const first = await withScripts.newPage();
  const email = unique('bulk-nojs');
  await signUp(first, email);
  await addLocation(first, 'Corner');
  await context.addCookies(await withScripts.cookies());
  await page.goto('/readers/register-many');
  await page.getByLabel('Paste CSV').fill('simulated-wpe,No script till,Corner');
  await page.getByRole('button', { name: 'Register readers' }).click();
  await expect(page.getByRole('heading', { name: 'Register readers' })).toBeVisible();
  // Without scripts the page is read again until the row is done.
  await expect(async () => {
    await page.reload();
    await expect(progress(page)).toContainText('1 done');
  }).toPass({ timeout: 20_000 });
  await withScripts.close();
  await context.close();
});
