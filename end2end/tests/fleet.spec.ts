import { test, expect, Page, TestInfo } from './fixtures';
import { PASSWORD, addLocation, live, registerReader, shot, signUp, unique } from './journeys';

// The built-in simulator's control API (scripts/e2e pins its port).
const SIM = process.env.E2E_SIM_URL ?? 'http://127.0.0.1:3198';

test('readers turn offline and back online live; operators see only their locations', async ({ page, browser, request }, info) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const owner = unique('fleet-owner');
  const org = `Fleet ${Date.now()}`;
  await signUp(page, owner, org);

  // A wrong address is refused field by field, and nothing is created.
  await page.goto('/locations');
  await live(page);
  await page.getByLabel('Name', { exact: true }).fill('Nowhere');
  await page.getByLabel('Country').selectOption('CA');
  await expect(page.getByText('Province')).toBeVisible();
  await page.getByLabel('Address line 1').fill('1 Main St');
  await page.getByLabel('City').fill('Toronto');
  await page.getByLabel('Postal code').fill('12345');
  await page.getByRole('button', { name: 'Create location' }).click();
  await expect(page.getByText('Please correct the fields marked below.')).toBeVisible();
  await expect(page.locator('#postal_code')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#state')).toHaveAttribute('aria-invalid', 'true');
  // The form keeps what was typed, with the chosen country's labels.
  await expect(page.getByLabel('Postal code')).toHaveValue('12345');
  await expect(page.getByLabel('Province')).toBeVisible();
  await shot(page, info, '01-location-errors');

  await addLocation(page, 'Downtown', { line1: '1 Market St' });
  await addLocation(page, 'Uptown', { line1: '500 Castro St' });
  const downtownReader = await registerReader(page, 'Downtown', 'Front counter');
  await registerReader(page, 'Uptown', 'Uptown till');
  await shot(page, info, '02-readers');

  // Offline at "Stripe" (the simulator's control API): the open page follows without a reload.
  await page.evaluate(() => ((window as any).__noReload = true));
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'Front counter' }) });
  const off = await request.post(`${SIM}/_sim/readers/${downtownReader}/offline`, { data: {} });
  expect(off.ok()).toBeTruthy();
  await expect(row.getByText('Offline', { exact: true })).toBeVisible({ timeout: 20_000 });
  await shot(page, info, '03-reader-offline');
  const on = await request.post(`${SIM}/_sim/readers/${downtownReader}/online`, { data: {} });
  expect(on.ok()).toBeTruthy();
  await expect(row.getByText('Online', { exact: true })).toBeVisible({ timeout: 20_000 });
  expect(await page.evaluate(() => (window as any).__noReload)).toBe(true);

  // The reader's page: details and its status history.
  await row.getByRole('link', { name: 'Front counter' }).click();
  await expect(page.getByRole('heading', { name: 'Front counter' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Status history' })).toBeVisible();
  await expect(page.locator('.history li')).toHaveCount(3);
  await shot(page, info, '04-reader-detail');

  // The overview, per location.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }).click();
  await expect(page.getByRole('region', { name: 'Downtown' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Uptown' })).toBeVisible();
  await shot(page, info, '05-overview');

  // Invite an operator and give them Downtown only.
  await page.goto('/settings/members');
  await live(page);
  const operator = unique('fleet-operator');
  await page.getByLabel('Email').fill(operator);
  await page.getByLabel('Role', { exact: true }).selectOption('operator');
  await page.getByRole('button', { name: 'Create invite link' }).click();
  const link = await page.getByLabel('Invite link').inputValue();
  const context = await browser.newContext();
  const second = await context.newPage();
  await second.goto(link);
  await second.getByRole('link', { name: 'Create an account' }).click();
  await second.waitForLoadState('networkidle');
  await second.getByLabel('Password').fill(PASSWORD);
  await second.getByRole('button', { name: 'Create account' }).click();
  await second.getByRole('button', { name: 'Accept invitation' }).click();
  await expect(second.getByRole('heading', { name: 'Overview' })).toBeVisible();

  await page.goto('/locations');
  await page.getByRole('link', { name: 'Downtown', exact: true }).click();
  await live(page);
  const access = page.getByRole('listitem').filter({ hasText: operator });
  await access.getByRole('button', { name: 'Give access' }).click();
  await expect(access.getByText('Has access')).toBeVisible();

  await second.goto('/readers');
  await live(second);
  await expect(second.getByRole('link', { name: 'Front counter' })).toBeVisible();
  await expect(second.getByRole('link', { name: 'Uptown till' })).toHaveCount(0);
  await expect(second.getByRole('button', { name: 'Register reader' })).toHaveCount(0);
  await second.goto('/locations');
  await expect(second.getByRole('link', { name: 'Downtown', exact: true })).toBeVisible();
  await expect(second.getByRole('link', { name: 'Uptown', exact: true })).toHaveCount(0);
  await shot(second, info, '06-operator-locations');
  await context.close();
  expect(errors).toEqual([]);
});

test('a change made while a page is still loading shows once the page goes live', async ({ page, context }) => {
  await signUp(page, unique('late-live'));
  await addLocation(page, 'Harbour');
  // The wasm is held back: the page is rendered and shown, but not hydrated, so its live stream
  // is not open yet. (Routing also turns the browser's cache off, so the wasm is fetched again.)
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(/\.wasm(\?.*)?$/, async (route) => {
    await held;
    await route.continue();
  });
  await page.goto('/readers');
  await expect(page.getByRole('heading', { name: 'Readers', exact: true })).toBeVisible();
  // Meanwhile another tab registers a reader; its message goes out before this page listens.
  const other = await context.newPage();
  await registerReader(other, 'Harbour', 'Late till');
  await other.close();
  await expect(page.getByRole('link', { name: 'Late till' })).toHaveCount(0);
  release();
  await live(page);
  // The stream says the page may have missed something, and the page fetches its rows again.
  await expect(page.getByRole('link', { name: 'Late till' })).toBeVisible();
});

test('a live refresh keeps the rows ticked, and a refused form keeps what was typed, without a reload', async ({ page, request }) => {
  await signUp(page, unique('keep'));
  await addLocation(page, 'Harbour');
  const till = await registerReader(page, 'Harbour', 'Till one');
  await page.evaluate(() => ((window as any).__noReload = true));
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'Till one' }) });
  await row.getByRole('checkbox').check();

  // Stripe says the reader went offline: the server renders the list again and it is swapped in,
  // with the row still ticked for the bulk action.
  const off = await request.post(`${SIM}/_sim/readers/${till}/offline`, { data: {} });
  expect(off.ok()).toBeTruthy();
  await expect(row.getByText('Offline', { exact: true })).toBeVisible({ timeout: 20_000 });
  await expect(row.getByRole('checkbox')).toBeChecked();

  // A refused registration: the reason shows, the fields keep what was typed, the row stays ticked.
  await page.getByLabel('Registration code').fill('not-a-code');
  await page.getByLabel(/^Label/).fill('Till two');
  await page.getByRole('button', { name: 'Register reader' }).click();
  await expect(page.getByText(/is invalid or has expired/)).toBeVisible();
  await expect(page.getByLabel('Registration code')).toHaveValue('not-a-code');
  await expect(page.getByLabel(/^Label/)).toHaveValue('Till two');
  await expect(row.getByRole('checkbox')).toBeChecked();

  // Accepted: the form is emptied for the next reader and says so.
  await page.getByLabel('Registration code').fill('simulated-wpe');
  await page.getByRole('button', { name: 'Register reader' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Reader registered.' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Till two' })).toBeVisible();
  await expect(page.getByLabel('Registration code')).toHaveValue('');
  expect(await page.evaluate(() => (window as any).__noReload)).toBe(true);
});
