import { test, expect, Page, TestInfo } from './fixtures';
import { PASSWORD, addLocation, live, registerReader, shot, signUp, unique } from './journeys';

const SIM = process.env.E2E_SIM_URL ?? 'http://127.0.0.1:3198';

test('a franchise operator sees two organisations\' stores on one page, live', async ({ page, browser, request }, info) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const franchisee = unique('franchisee');
  await signUp(page, franchisee, `Lyon Co ${Date.now()}`);
  await addLocation(page, 'Lyon', { city: 'Lyon' });
  await registerReader(page, 'Lyon', 'Lyon till');

  // A second organisation, with its own store, invites the franchisee as an operator.
  const context = await browser.newContext();
  const other = await context.newPage();
  const munichOrg = `Munich GmbH ${Date.now()}`;
  await signUp(other, unique('munich-owner'), munichOrg);
  await addLocation(other, 'Munich', { city: 'Munich' });
  await addLocation(other, 'Berlin', { city: 'Berlin' });
  const munichTill = await registerReader(other, 'Munich', 'Munich till');
  await other.goto('/settings/members');
  await live(other);
  await other.getByLabel('Email').fill(franchisee);
  await other.getByLabel('Role', { exact: true }).selectOption('operator');
  await other.getByRole('button', { name: 'Create invite link' }).click();
  const link = await other.getByLabel('Invite link').inputValue();
  await page.goto(link);
  await page.getByRole('button', { name: 'Accept invitation' }).click();
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  await other.goto('/locations');
  await other.getByRole('link', { name: 'Munich', exact: true }).click();
  await live(other);
  const access = other.getByRole('listitem').filter({ hasText: franchisee });
  await access.getByRole('button', { name: 'Give access' }).click();
  await expect(access.getByText('Has access')).toBeVisible();

  // One page: her own store and the one granted in the other organisation, not Berlin.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'All stores' }).click();
  await expect(page.getByRole('heading', { name: 'All stores' })).toBeVisible();
  await live(page);
  const lyon = page.locator('tr', { has: page.getByText('Lyon', { exact: true }) });
  const munich = page.locator('tr', { has: page.getByText('Munich', { exact: true }) });
  await expect(lyon).toBeVisible();
  await expect(munich).toBeVisible();
  await expect(munich).toContainText(munichOrg);
  await expect(page.getByText('Berlin', { exact: true })).toHaveCount(0);
  await expect(munich.locator('[data-col="offline"]')).toHaveText('0');
  await shot(page, info, '20-all-stores');

  // The Munich reader goes offline at "Stripe": the page shows it without a reload.
  await page.evaluate(() => ((window as any).__noReload = true));
  const off = await request.post(`${SIM}/_sim/readers/${munichTill}/offline`, { data: {} });
  expect(off.ok()).toBeTruthy();
  await expect(munich.locator('[data-col="offline"]')).toHaveText('1', { timeout: 20_000 });
  await expect(munich).toHaveClass(/attention/);
  expect(await page.evaluate(() => (window as any).__noReload)).toBe(true);
  await shot(page, info, '21-all-stores-offline');

  // Filter by organisation, then open the store: the organisation switches with it.
  await page.locator('#stores-tenant').selectOption({ label: munichOrg });
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(lyon).toHaveCount(0);
  await munich.getByRole('button', { name: /^Open Munich/ }).click();
  await expect(page.getByRole('heading', { name: 'Munich' })).toBeVisible();
  await expect(page.locator('#tenant-select option:checked')).toContainText(munichOrg);
  await context.close();
  expect(errors).toEqual([]);
});

test('a till drives a payment with an API key; events, audit and exports follow it', async ({ page, request }, info) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signUp(page, unique('api-owner'), `Cafe ${Date.now()}`);
  await addLocation(page, 'Cafe', { city: 'Oakland' });
  const reader = await registerReader(page, 'Cafe', 'Counter');

  // A key, shown once.
  await page.goto('/settings/api-keys');
  await live(page);
  await page.getByLabel('Name').fill('Till 1');
  await page.getByLabel('Scope').selectOption('payments');
  await page.getByRole('button', { name: 'Create key' }).click();
  const secret = await page.getByLabel('Secret key').inputValue();
  expect(secret).toMatch(/^tfk_/);
  await shot(page, info, '22-api-key-created');

  // The till: start, tap a card, wait for the outcome.
  const auth = { Authorization: `Bearer ${secret}` };
  const started = await request.post('/api/v1/payments', {
    headers: { ...auth, 'Idempotency-Key': `sale-${Date.now()}` },
    data: { reader, amount: 1800, currency: 'usd', description: 'Lunch' },
  });
  expect(started.status()).toBe(201);
  const payment = await started.json();
  expect(payment.outcome).toBe('pending');
  const tap = await request.post(`/api/v1/test_helpers/readers/${reader}/present_payment_method`, { headers: auth });
  expect(tap.ok()).toBeTruthy();
  const outcome = await (await request.get(`/api/v1/payments/${payment.id}?wait=20s`, { headers: auth })).json();
  expect(outcome.outcome).toBe('succeeded');

  await page.reload();
  const row = page.getByRole('row').filter({ hasText: 'Till 1' });
  await expect(row).toBeVisible();
  await expect(row).not.toContainText('Never');
  await expect(page.getByText(secret)).toHaveCount(0);
  await shot(page, info, '23-api-keys');

  // The webhook events Stripe sent, with their outcome and raw JSON.
  await page.goto('/webhook-events');
  await live(page);
  const succeeded = page.locator('li.event', { hasText: 'payment_intent.succeeded' }).first();
  await expect(succeeded).toContainText('applied', { timeout: 20_000 });
  await succeeded.getByText('Raw JSON').click();
  await expect(succeeded.locator('pre.json')).toContainText(payment.id);
  await shot(page, info, '24-events');

  // Transactions as CSV (the page's own link), with the API key named as the starter.
  await page.goto('/transactions');
  await live(page);
  await expect(page.getByRole('link', { name: 'Export CSV' })).toBeVisible();
  const csv = await page.request.get('/transactions.csv');
  expect(csv.headers()['content-type']).toContain('text/csv');
  const text = await csv.text();
  expect(text.split('\n')[0]).toContain('payment_intent');
  expect(text).toContain(payment.id);

  // Everything that happened to this payment, then as CSV.
  await page.goto('/audit');
  await live(page);
  await page.getByLabel('About (id)').fill(payment.id);
  await page.getByRole('button', { name: 'Filter' }).click();
  const log = page.locator('table.audit');
  await expect(log.getByText('payment.test_charge_started')).toBeVisible();
  await expect(log.getByText('API key Till 1').first()).toBeVisible();
  await shot(page, info, '25-audit-by-target');
  const audit = await page.request.get(`/audit.csv?target=${payment.id}`);
  expect(audit.ok()).toBeTruthy();
  expect(await audit.text()).toContain('payment.test_charge_started');

  // Store groups and support access pages render for the owner.
  await page.goto('/locations/groups');
  await live(page);
  await page.getByLabel('Name').fill('West region');
  await page.getByRole('button', { name: 'Create group' }).click();
  const group = page.getByRole('region', { name: 'Store group West region' });
  await expect(group).toBeVisible();
  await group.getByRole('button', { name: 'Add store' }).click();
  await expect(group.getByRole('link', { name: 'Cafe' })).toBeVisible();
  await shot(page, info, '26-store-groups');
  await page.goto('/settings/support');
  await live(page);
  await expect(page.getByRole('heading', { name: 'Give support read-only access' })).toBeVisible();
  await shot(page, info, '27-support');
  expect(errors).toEqual([]);
});

test('opening a store of another organisation moves header, role and live stream with it, in every tab', async ({ page, browser, request }, info) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const franchisee = unique('opener');
  const ownOrg = `Nantes SARL ${Date.now()}`;
  await signUp(page, franchisee, ownOrg);

  // Another organisation with a store and its reader; the franchisee operates that store.
  const context = await browser.newContext();
  const other = await context.newPage();
  const viennaOrg = `Vienna KG ${Date.now()}`;
  await signUp(other, unique('vienna-owner'), viennaOrg);
  await addLocation(other, 'Vienna', { city: 'Vienna' });
  const till = await registerReader(other, 'Vienna', 'Vienna till');
  await other.goto('/settings/members');
  await live(other);
  await other.getByLabel('Email').fill(franchisee);
  await other.getByLabel('Role', { exact: true }).selectOption('operator');
  await other.getByRole('button', { name: 'Create invite link' }).click();
  const link = await other.getByLabel('Invite link').inputValue();
  await page.goto(link);
  await page.getByRole('button', { name: 'Accept invitation' }).click();
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  await other.goto('/locations');
  await other.getByRole('link', { name: 'Vienna', exact: true }).click();
  await live(other);
  const access = other.getByRole('listitem').filter({ hasText: franchisee });
  await access.getByRole('button', { name: 'Give access' }).click();
  await expect(access.getByText('Has access')).toBeVisible();

  // Back in her own organisation, in two tabs of one browser.
  await page.locator('#tenant-select').selectOption({ label: `${ownOrg} (Owner)` });
  await expect(page.locator('#tenant-select option:checked')).toContainText(ownOrg);
  const tab = await page.context().newPage();
  tab.on('pageerror', (e) => errors.push(e.message));
  await tab.goto('/readers');
  await live(tab);
  await expect(tab.locator('#tenant-select option:checked')).toContainText(ownOrg);

  // Open the Vienna store from All stores: the header, the role and the stream follow it.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'All stores' }).click();
  await expect(page.getByRole('heading', { name: 'All stores' })).toBeVisible();
  await live(page);
  const vienna = page.locator('tr', { has: page.getByText('Vienna', { exact: true }) });
  await vienna.getByRole('button', { name: /^Open Vienna/ }).click();
  await expect(page.getByRole('heading', { name: 'Vienna' })).toBeVisible();
  await expect(page.locator('#tenant-select option:checked')).toHaveText(`${viennaOrg} (Operator)`);
  await live(page);
  await expect(page.getByText('Online', { exact: true })).toBeVisible();
  await shot(page, info, '28-opened-store');

  // The other tab moved too, by itself: no page shows one organisation under another's header.
  await expect(tab.locator('#tenant-select option:checked')).toHaveText(`${viennaOrg} (Operator)`, { timeout: 10_000 });
  await live(tab);

  // The till goes offline at "Stripe": the store's page shows it live, without a reload.
  await page.evaluate(() => ((window as any).__noReload = true));
  const off = await request.post(`${SIM}/_sim/readers/${till}/offline`, { data: {} });
  expect(off.ok()).toBeTruthy();
  await expect(page.getByText('Offline', { exact: true })).toBeVisible({ timeout: 20_000 });
  expect(await page.evaluate(() => (window as any).__noReload)).toBe(true);
  await expect(page.locator('#tenant-select option:checked')).toHaveText(`${viennaOrg} (Operator)`);
  await shot(page, info, '29-opened-store-offline');
  await context.close();
  expect(errors).toEqual([]);
});
