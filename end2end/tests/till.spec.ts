import { test, expect } from './fixtures';
import { addLocation, createApiKey, live, registerReader, shot, signUp, unique } from './journeys';

test("a till's cart and question appear on the reader's page live, and the customer's answer reaches the till", async ({ page, request }, info) => {
  await signUp(page, unique('till-owner'));
  await addLocation(page, 'Main St');
  const reader = await registerReader(page, 'Main St', 'Till 1');
  const key = await createApiKey(page, 'Front counter');
  const headers = { Authorization: `Bearer ${key}` };

  await page.goto(`/readers/${reader}`);
  await live(page);
  const action = page.getByRole('region', { name: 'Current action' });
  await expect(action).toContainText('Idle');

  // The till shows its cart: two lattes and tax, adding up to the total.
  const shown = await request.post(`/api/v1/readers/${reader}/display`, {
    headers,
    data: { currency: 'usd', tax: 80, total: 980, line_items: [{ description: 'Latte', amount: 450, quantity: 2 }] },
  });
  expect(shown.status(), await shown.text()).toBe(200);
  await expect(action).toContainText(/Showing a cart|Cart on the screen/);
  await expect(action).toContainText('Cart: 2 × Latte; total 9.80 USD');
  await shot(page, info, 'reader-showing-a-cart');

  // A cart that does not add up is refused, naming the sum; the screen keeps the last one.
  const wrong = await request.post(`/api/v1/readers/${reader}/display`, {
    headers,
    data: { currency: 'usd', tax: 0, total: 100, line_items: [{ description: 'Latte', amount: 450, quantity: 2 }] },
  });
  expect(wrong.status()).toBe(400);
  expect(await wrong.text()).toContain('900');

  // The till asks for an email for the receipt; the simulated customer answers it.
  const asked = await request.post(`/api/v1/readers/${reader}/collect_inputs`, {
    headers,
    data: { inputs: [{ type: 'email', custom_text: { title: 'Email for your receipt' } }] },
  });
  expect(asked.status(), await asked.text()).toBe(200);
  await expect(action).toContainText('Asking the customer');
  await expect(action).toContainText('Asking: Email for your receipt');
  const answered = await request.post(`/api/v1/test_helpers/readers/${reader}/succeed_input_collection`, { headers });
  expect(answered.status(), await answered.text()).toBe(200);
  await expect(action).toContainText('Asking the customer: done');
  const result = await request.get(`/api/v1/readers/${reader}/collect_inputs?wait=10s`, { headers });
  expect(result.status()).toBe(200);
  expect(JSON.stringify(await result.json())).toContain('@');
});
