import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { test, expect, Page, TestInfo } from './fixtures';
import { PASSWORD, live, shot, unique } from './journeys';

type Received = { type: string; signature: string };

/** A notification receiver on a free loopback port (the server runs in development, where
 * http:// endpoints are accepted). */
async function receiver(): Promise<{ url: string; got: Received[]; server: Server }> {
  const got: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      got.push({
        type: JSON.parse(body).type,
        signature: String(req.headers['terminal-fleet-signature'] ?? ''),
      });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/hook`, got, server };
}

test('an owner is told of a stuck action, cancels it in one click, and reads the delivery log', async ({ page }, info) => {
  // The shortest stuck threshold is a minute.
  test.setTimeout(240_000);
  const hook = await receiver();
  try {
    await page.goto('/signup');
    await page.waitForLoadState('networkidle');
    await page.getByLabel('Email').fill(unique('alerts'));
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();

    // Settings → Notifications: an endpoint for stuck actions; its secret is shown once.
    await page.goto('/settings/notifications');
    await live(page);
    await page.getByLabel('URL').fill(hook.url);
    await page.getByLabel('Reader offline / back online').uncheck();
    await page.getByLabel('Payment declines above the rate').uncheck();
    await page.getByLabel('Stripe webhook events that keep failing').uncheck();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = page.getByLabel('Signing secret');
    await expect(secret).toHaveValue(/^whsec_/);
    await page.getByRole('button', { name: `Send a test to ${hook.url}` }).click();
    const log = page.getByRole('region', { name: 'Delivery log' });
    await expect(log.getByText('delivered')).toBeVisible();
    await expect(log.getByText('HTTP 200')).toBeVisible();
    expect(hook.got.map((r) => r.type)).toEqual(['test']);
    expect(hook.got[0].signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    await shot(page, info, '01-notifications');
    // Reloaded, the secret is gone for good.
    await page.reload();
    await live(page);
    await expect(page.getByLabel('Signing secret')).toHaveCount(0);

    // Settings → Stripe: actions count as stuck after a minute.
    await page.goto('/settings/stripe');
    await live(page);
    await page.getByLabel('Action stuck after (minutes)').fill('1');
    await page.getByRole('button', { name: 'Save', exact: true }).nth(1).click();
    await expect(page.getByText('Saved.')).toBeVisible();

    await page.goto('/locations');
    await live(page);
    await page.getByLabel('Name', { exact: true }).fill('Kiosk');
    await page.getByLabel('Address line 1').fill('1 Market St');
    await page.getByLabel('City').fill('San Francisco');
    await page.getByLabel('State').fill('CA');
    await page.getByLabel('ZIP code').fill('94105');
    await page.getByRole('button', { name: 'Create location' }).click();
    await expect(page.getByRole('link', { name: 'Kiosk', exact: true })).toBeVisible();
    await page.goto('/readers');
    await live(page);
    await page.getByLabel('Registration code').fill('simulated-wpe');
    await page.getByLabel(/^Label/).fill('Kiosk till');
    await page.getByRole('button', { name: 'Register reader' }).click();
    await page.getByRole('link', { name: 'Kiosk till' }).click();
    await expect(page.getByRole('heading', { name: 'Kiosk till' })).toBeVisible();
    await live(page);

    // A payment waits for a card nobody presents: after the threshold, the alert shows live.
    await page.getByLabel('Amount', { exact: true }).fill('4.00');
    await page.getByRole('button', { name: 'Charge on this reader' }).click();
    await expect(page.getByText('Collecting payment')).toBeVisible();
    await expect(page.getByText(/Action stuck/)).toBeVisible({ timeout: 120_000 });
    await shot(page, info, '02-stuck');
    await page.goto('/');
    await live(page);
    await expect(page.getByText(/action stuck/)).toBeVisible();
    await expect(page.getByText('Actions stuck > 1 min')).toBeVisible();

    // One click cancels it; the alert clears and both ends were told.
    await page.getByRole('link', { name: 'Kiosk till' }).first().click();
    await live(page);
    await page.getByRole('button', { name: 'Cancel the stuck action' }).click();
    await expect(page.getByText(/Action stuck/)).toHaveCount(0);
    await expect.poll(() => hook.got.map((r) => r.type)).toEqual(['test', 'reader.action_stuck', 'reader.action_cleared']);
    await shot(page, info, '03-cancelled');

    await page.goto('/settings/notifications');
    await live(page);
    await expect(log.getByText('reader.action_cleared')).toBeVisible();
    await page.getByRole('button', { name: /^Redeliver reader\.action_stuck/ }).click();
    await expect.poll(() => hook.got.length).toBe(4);
  } finally {
    hook.server.close();
  }
});
