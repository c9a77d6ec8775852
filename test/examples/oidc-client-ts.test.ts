// examples/oidc-client-ts in Chromium against `npm start`'s standard OAuth front door: the library
// discovers the broker, signs in with code + PKCE through SSO OIDC (the emulator's page) and
// refreshes, from a developer's own origin configured next to the demo.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createOidcClientTsServer } from '../../examples/oidc-client-ts/serve.js';
import { launchChromium, startDemoBroker, type DemoBroker } from '../browser/support.js';

let broker: DemoBroker;
let server: http.Server;
let appUrl: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  broker = await startDemoBroker({ TOKEN_BROKER_ALLOWED_ORIGINS: appUrl, TOKEN_BROKER_REDIRECT_URIS: `${appUrl}/` });
  server.on('request', await createOidcClientTsServer({ issuer: broker.url }));
  browser = await launchChromium();
  context = await browser.newContext();
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await broker?.stop();
});

it('signs in and refreshes with oidc-client-ts, keeping no token in web storage', async () => {
  const tokenCalls: string[] = [];
  page.on('response', (response) => {
    if (response.url() === `${broker.url}/oauth2/token` && response.request().method() === 'POST') tokenCalls.push(`${response.status()}`);
  });
  await page.goto(`${appUrl}/`);
  await page.click('#sign-in');
  await page.waitForURL((url) => url.pathname === '/authorize');
  await page.click('#sign-in');
  await page.locator('#result', { hasText: /^Signed in:/ }).waitFor();
  expect(await page.textContent('#result')).toBe('Signed in: an access token for 3600 s');
  expect(page.url()).toBe(`${appUrl}/`);

  await page.click('#refresh');
  await page.locator('#result', { hasText: /^Refreshed:/ }).waitFor();
  expect(await page.textContent('#result')).toBe('Refreshed: a new access token for 3600 s');
  expect(tokenCalls).toEqual(['200', '200']);
  const stored = await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }));
  expect(stored).not.toMatch(/access_token|refresh_token/);
});
