// First-load benchmark: what a person on a slow link waits for. For each page and network
// profile it opens the page in a fresh browser context (empty cache), then once more in the same
// context (a repeat visit), and reports the bytes that crossed the wire (the wasm apart) and the
// time from navigation start until the app has hydrated (the page answers to clicks).
//
// Run by `fleet-bench first-load`, which starts a server with the data the pages need and sets
// FIRST_LOAD_BASE and FIRST_LOAD_COOKIE. Not part of the test suite: figures, not verdicts.
import { chromium } from '@playwright/test';

const base = process.env.FIRST_LOAD_BASE;
const cookie = process.env.FIRST_LOAD_COOKIE ?? '';
if (!base) {
  console.error('FIRST_LOAD_BASE is not set; run this through `fleet-bench first-load`.');
  process.exit(2);
}

// Throughput in bytes per second, latency in ms (Chromium's network emulation).
const profiles = [
  { name: 'unthrottled', conditions: null },
  { name: '10 Mbps / 40 ms', conditions: { latency: 40, down: 10e6 / 8, up: 10e6 / 8 } },
  { name: 'Fast 3G (1.6 Mbps / 150 ms)', conditions: { latency: 150, down: 1.6e6 / 8, up: 0.75e6 / 8 } },
];
const pages = [
  { path: '/login', signedIn: false },
  { path: '/readers', signedIn: true },
  { path: '/stores', signedIn: true },
];

async function visit(page, cdp, url) {
  const sizes = new Map();
  const urls = new Map();
  const onResponse = (e) => urls.set(e.requestId, e.response.url);
  const onFinished = (e) => sizes.set(e.requestId, e.encodedDataLength);
  cdp.on('Network.responseReceived', onResponse);
  cdp.on('Network.loadingFinished', onFinished);
  await page.goto(url, { waitUntil: 'commit', timeout: 120_000 });
  // The app writes the time it finished hydrating (ms since navigation start) on <html>.
  await page.waitForSelector('html[data-hydrated]', { state: 'attached', timeout: 120_000 });
  const interactive = Number(await page.getAttribute('html', 'data-hydrated'));
  cdp.off('Network.responseReceived', onResponse);
  cdp.off('Network.loadingFinished', onFinished);
  let bytes = 0;
  let wasm = 0;
  for (const [id, size] of sizes) {
    bytes += size;
    if ((urls.get(id) ?? '').endsWith('.wasm')) wasm += size;
  }
  return { interactive, bytes, wasm };
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic'],
});
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log('| page | network | visit | interactive | bytes | of which wasm |');
console.log('|---|---|---|---:|---:|---:|');
for (const target of pages) {
  for (const profile of profiles) {
    const context = await browser.newContext();
    if (target.signedIn && cookie) {
      const [name, value] = cookie.split(/=(.*)/s);
      await context.addCookies([{ name, value, url: base }]);
    }
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    if (profile.conditions) {
      const c = profile.conditions;
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: c.latency,
        downloadThroughput: c.down,
        uploadThroughput: c.up,
      });
    }
    for (const visitName of ['first', 'repeat']) {
      const r = await visit(page, cdp, base + target.path);
      console.log(
        `| ${target.path} | ${profile.name} | ${visitName} | ${(r.interactive / 1000).toFixed(2)} s | ${kib(r.bytes)} | ${kib(r.wasm)} |`,
      );
    }
    await context.close();
  }
}
await browser.close();
