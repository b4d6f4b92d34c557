import { test, expect, Page, TestInfo } from './fixtures';
import { PASSWORD, shot, unique } from './journeys';

/** Fails the test on any uncaught error in the page (a broken hydration shows up here). */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

/** Waits until the wasm has hydrated the page, so clicks go through Leptos, not plain HTML. */
async function hydrated(page: Page) {
  await page.waitForSelector('html[data-hydrated]', { state: 'attached' });
}

async function signUp(page: Page, email: string, organisation?: string) {
  await page.goto('/signup');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  if (organisation) await page.getByLabel(/Organisation name/).fill(organisation);
  await page.getByRole('button', { name: 'Create account' }).click();
}

test('owner signs up, invites an auditor, who joins, switches tenant and can read but not invite', async ({ page, browser }, info) => {
  const errors = watchErrors(page);
  const owner = unique('owner');
  const org = `Blue Bottle ${Date.now()}`;

  // Sign up → an empty Overview that says what to do next.
  await signUp(page, owner, org);
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  await expect(page.getByText('No readers yet')).toBeVisible();
  await expect(page.getByRole('link', { name: 'Connect Stripe' })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' })).toBeVisible();
  await shot(page, info, '01-overview');

  // Invite an auditor from the Members page.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { name: 'Change password' })).toBeVisible();
  await shot(page, info, '02-settings');
  await page.getByRole('link', { name: 'Members' }).first().click();
  await expect(page.getByRole('heading', { name: 'Invite a member' })).toBeVisible();
  const auditor = unique('auditor');
  await page.getByLabel('Email').fill(auditor);
  await page.getByLabel('Role', { exact: true }).selectOption('auditor');
  await page.getByRole('button', { name: 'Create invite link' }).click();
  const linkField = page.getByLabel('Invite link');
  await expect(linkField).toBeVisible();
  const link = await linkField.inputValue();
  expect(link).toContain('/invite/');
  await expect(page.getByRole('listitem').filter({ hasText: auditor })).toBeVisible();
  await shot(page, info, '03-members');

  // The auditor opens the link in a fresh browser context and creates an account.
  const context = await browser.newContext();
  const second = await context.newPage();
  const secondErrors = watchErrors(second);
  await second.goto(link);
  await expect(second.getByRole('heading', { name: `Join ${org}` })).toBeVisible();
  await shot(second, info, '04-invite');
  await second.getByRole('link', { name: 'Create an account' }).click();
  await hydrated(second);
  await expect(second.getByLabel('Email')).toHaveValue(auditor);
  await second.getByLabel('Password').fill(PASSWORD);
  await second.getByRole('button', { name: 'Create account' }).click();
  await expect(second.getByRole('button', { name: 'Accept invitation' })).toBeVisible();
  await second.getByRole('button', { name: 'Accept invitation' }).click();
  await expect(second.getByRole('heading', { name: 'Overview' })).toBeVisible();

  // The owner's Members page, open all along, shows the new member without a reload.
  await expect(page.getByText('Live', { exact: true })).toBeVisible();
  await expect(page.getByRole('cell', { name: auditor, exact: true })).toBeVisible();
  await expect(page.getByRole('listitem').filter({ hasText: auditor })).toHaveCount(0);

  // Two tenants now: switch to their own, then back to the one they joined.
  const switcher = second.getByLabel('Organisation');
  await expect(switcher).toBeVisible();
  await expect(switcher.locator('option:checked')).toContainText(org);
  await switcher.selectOption({ label: `${auditor.split('@')[0]}'s organisation (Owner)` });
  await expect(second.getByLabel('Organisation').locator('option:checked')).toContainText('(Owner)');
  await second.getByLabel('Organisation').selectOption({ label: `${org} (Auditor)` });
  await expect(second.getByLabel('Organisation').locator('option:checked')).toContainText(org);

  // The auditor reads the audit log…
  await second.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
  await expect(second.getByRole('heading', { name: 'Audit log' })).toBeVisible();
  await expect(second.getByRole('cell', { name: 'member.joined' })).toBeVisible();
  await expect(second.getByRole('cell', { name: 'member.invited' })).toBeVisible();
  await shot(second, info, '05-audit');
  // …filters it…
  await second.getByLabel('Action').selectOption('member.invited');
  await second.getByRole('button', { name: 'Filter' }).click();
  await expect(second).toHaveURL(/action=member.invited/);
  await expect(second.getByRole('cell', { name: 'member.joined' })).toHaveCount(0);

  // …and cannot invite: no form, and the server refuses the call itself.
  await second.goto('/settings/members');
  await expect(second.getByRole('heading', { name: 'Members' })).toBeVisible();
  await expect(second.getByRole('heading', { name: 'Invite a member' })).toHaveCount(0);
  const refused = await second.request.post('/sf/invite_member', {
    form: { email: unique('sneaky'), role: 'admin' },
    headers: { origin: new URL(link).origin, accept: 'application/json' },
  });
  expect(refused.status()).toBe(403);
  await shot(second, info, '06-members-as-auditor');

  expect(errors).toEqual([]);
  expect(secondErrors).toEqual([]);
  await context.close();
});

test('a wrong password shows one clear message and keeps the form', async ({ page }) => {
  const errors = watchErrors(page);
  const email = unique('wrong');
  await signUp(page, email);
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  await page.getByText(email).click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('The email or password is incorrect.');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  expect(errors).toEqual([]);
});

test('forms work before hydration (JavaScript disabled)', async ({ browser }, info) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const email = unique('nojs');
  await page.goto('/signup');
  await page.getByLabel('Email').fill(email);
  // Long enough for the browser's own check, refused by the server: the error comes back
  // through the redirect and shows on the re-rendered form.
  await page.getByLabel('Password').fill(email);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('alert')).toContainText('must not be your email');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  // A new API key, made without JavaScript, is shown once on the page the form returns to.
  await page.goto('/settings/api-keys');
  await page.getByLabel('Name').fill('Till 1');
  await page.getByRole('button', { name: 'Create key' }).click();
  await expect(page.getByText('Copy it now')).toBeVisible();
  await expect(page.getByLabel('Secret key')).toHaveValue(/^tfk_/);
  await shot(page, info, 'api-key-made-without-javascript');
  await page.reload();
  await expect(page.getByRole('button', { name: 'Revoke Till 1' })).toBeVisible();
  await expect(page.getByLabel('Secret key')).toHaveCount(0);
  await context.close();
});

test('pages run under a nonce Content-Security-Policy and still hydrate and go live', async ({ page }) => {
  const response = await page.goto('/signup');
  const policy = response?.headers()['content-security-policy'] ?? '';
  expect(policy).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]+' 'wasm-unsafe-eval'/);
  expect(policy).toContain("frame-ancestors 'none'");
  expect(policy).not.toContain('unsafe-inline');
  expect(response?.headers()['cache-control']).toBe('no-store');
  await signUp(page, unique('csp'));
  // Hydrated (the live stream connects from the wasm) under the policy; the fixture fails the
  // test on any violation Chromium reports.
  await expect(page.getByText('Live', { exact: true })).toBeVisible();
});

test('the wasm, JS and CSS carry content hashes, arrive compressed and are kept: a repeat visit fetches none', async ({ page }) => {
  const assets: { url: string; headers: Record<string, string> }[] = [];
  page.on('response', (r) => {
    if (r.url().includes('/pkg/')) assets.push({ url: r.url(), headers: r.headers() });
  });
  const response = await page.goto('/login');
  await hydrated(page);
  // The page itself: compressed on the fly, never cached.
  expect(['br', 'gzip']).toContain(response?.headers()['content-encoding']);
  expect(response?.headers()['cache-control']).toBe('no-store');
  expect(assets.map((a) => a.url.split('.').pop()).sort()).toEqual(['css', 'js', 'wasm']);
  for (const asset of assets) {
    expect(asset.url).toMatch(/\/pkg\/terminal-fleet\.[A-Za-z0-9_-]+\.(css|js|wasm)$/);
    expect(asset.headers['cache-control'], asset.url).toBe('public, max-age=31536000, immutable');
    // Precompressed at build time: Chromium asks for brotli over https and gzip over http.
    expect(['br', 'gzip'], asset.url).toContain(asset.headers['content-encoding']);
  }

  // A repeat visit takes all three from the browser's cache: no byte of them on the wire.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const urls = new Map<string, string>();
  const wire = new Map<string, number>();
  cdp.on('Network.responseReceived', (e: any) => urls.set(e.requestId, e.response.url));
  cdp.on('Network.loadingFinished', (e: any) => wire.set(e.requestId, e.encodedDataLength));
  await page.goto('/login');
  await hydrated(page);
  const fetched = [...wire].filter(([id, bytes]) => (urls.get(id) ?? '').includes('/pkg/') && bytes > 0);
  expect(fetched.map(([id, bytes]) => `${urls.get(id)}: ${bytes} bytes`)).toEqual([]);
});
