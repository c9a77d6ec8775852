// examples/spa in Chromium, served on a developer's own origin: with that origin and its redirect URI
// configured (TOKEN_BROKER_ALLOWED_ORIGINS, TOKEN_BROKER_REDIRECT_URIS) `npm start` registers and
// allows them next to the demo's, the page signs in against the emulator and refreshes, and the demo
// frontend goes on working beside it.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createSpaServer } from '../../examples/spa/serve.js';
import { brokerCalls, launchChromium, recordNetwork, settled, signIn, startDemoBroker, type DemoBroker, type Exchange } from '../browser/support.js';

let broker: DemoBroker;
let server: http.Server;
let spaUrl: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let exchanges: Exchange[];

beforeAll(async () => {
  server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  spaUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  broker = await startDemoBroker({ TOKEN_BROKER_ALLOWED_ORIGINS: spaUrl, TOKEN_BROKER_REDIRECT_URIS: `${spaUrl}/` });
  server.on('request', createSpaServer({ brokerUrl: broker.url }));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await broker?.stop();
});

beforeEach(async () => {
  context = await browser.newContext();
  page = await context.newPage();
  ({ exchanges } = await recordNetwork(context, page));
});

afterEach(async () => {
  await context?.close();
});

it("signs in with code + PKCE from the developer's own origin, refreshes, and keeps no token where script could leak it", async () => {
  await page.goto(`${spaUrl}/`);
  await page.click('#sign-in');
  await page.waitForURL((url) => url.pathname === '/authorize');
  await page.click('#sign-in');
  await page.locator('#result', { hasText: /^Signed in:/ }).waitFor();
  expect(await page.textContent('#result')).toBe('Signed in: an access token for 3600 s');
  expect(page.url()).toBe(`${spaUrl}/`);

  const [exchange] = await settled(() => brokerCalls(exchanges, `${broker.url}/token`), 1, 'code exchanges');
  expect(exchange!.status).toBe(200);
  expect(exchange!.responseHeaders!['access-control-allow-origin']).toBe(spaUrl);
  expect(JSON.parse(exchange!.postData!)).toMatchObject({ grantType: 'authorization_code', redirectUri: `${spaUrl}/` });

  await page.click('#refresh');
  await page.locator('#result', { hasText: /^Refreshed:/ }).waitFor();
  expect(await page.textContent('#result')).toBe('Refreshed: a new access token for 3600 s');
  const tokens = JSON.parse((await settled(() => brokerCalls(exchanges, `${broker.url}/token`), 2, 'token calls'))[1]!.body!) as Record<string, string>;
  const kept = await page.evaluate(() => [document.documentElement.outerHTML, JSON.stringify({ ...sessionStorage }), location.href].join('\n'));
  expect(kept).not.toContain(tokens.accessToken);
  expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
});

it("keeps the demo frontend working next to the developer's configuration", async () => {
  await signIn(page, broker.demoUrl);
  expect(await page.isVisible('#token-access')).toBe(true);
});
