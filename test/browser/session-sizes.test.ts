// Cookie sessions with big tokens and many tabs, in real Chromium: refresh tokens of 1, 2, 3 and 4 KB
// with a 2 KB access token and a 300-character scope list (the emulator issuing them), the session
// split into chunked cookies, every Set-Cookie under the 4,096 bytes a browser keeps and every request
// to the broker (request line, Cookie header and all) within API Gateway's 10,240 bytes; and five tabs
// opened at once, each refreshing while SSO OIDC rotates refresh tokens: the browser module
// (browser/session.ts) takes the refreshes in turn (Web Locks), and nobody is signed out. What was
// measured is written to artifacts/session-cookie-sizes.json.

import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { generateCookieKey } from '../../lambda/core/cookie-keys.js';
import { SESSION_CHUNK_NAMES } from '../../lambda/surfaces/bff/cookies.js';
import { startDemoFrontend, type DemoFrontend } from '../../demo/server.js';
import { startEnvironment, type Environment } from '../helpers/environment.js';
import { frontDoorEnv, LOOPBACK_CALLBACK } from '../helpers/front-door.js';
import { eventually, launchChromium, recordNetwork, type Exchange } from './support.js';

const ARTIFACTS = fileURLToPath(new URL('../../artifacts/', import.meta.url));
const KEYS_SECRET = 'session-sizes/cookie-keys';
/** API Gateway (HTTP API): request line and headers together. */
const GATEWAY_HEADER_BYTES = 10_240;
/** RFC 6265bis §5.6: what a browser keeps of one cookie. */
const COOKIE_BYTES = 4096;
const TABS = 5;
/** Scopes whose space-separated list is exactly 300 characters. */
const SCOPES = (() => {
  const scopes = Array.from({ length: 17 }, (_, i) => `sso:app:scope-${String(i).padStart(2, '0')}`);
  const text = scopes.join(' ');
  return [...scopes.slice(0, -1), `${scopes.at(-1)}${'x'.repeat(300 - text.length)}`];
})();

let frontend: DemoFrontend;
let environment: Environment;
let browser: Browser;
let page: string;
const measured: Record<string, unknown>[] = [];

beforeAll(async () => {
  frontend = await startDemoFrontend({ port: 0, pages: 'session' });
  page = `${frontend.url}/session`;
  environment = await startEnvironment({
    name: 'session-sizes',
    redirectUri: page,
    extraRedirectUris: [LOOPBACK_CALLBACK],
    oidc: { rotateRefreshTokens: true },
    brokerEnv: frontDoorEnv({
      TOKEN_BROKER_COOKIE_SESSIONS: 'on',
      TOKEN_BROKER_COOKIE_KEYS_SECRET_ID: KEYS_SECRET,
      TOKEN_BROKER_SESSION_ORIGINS: frontend.url,
      TOKEN_BROKER_ALLOWED_ORIGINS: '',
    }),
  });
  environment.secrets.putSecret(KEYS_SECRET, JSON.stringify(generateCookieKey()));
  frontend.configure({ brokerUrl: environment.broker.url, redirectUri: page, scopes: SCOPES, deviceStartUrl: null }, [page]);
  browser = await launchChromium();
});

afterAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(`${ARTIFACTS}session-cookie-sizes.json`, `${JSON.stringify(measured, null, 2)}\n`);
  await browser?.close();
  await environment?.stop();
  await frontend?.close();
});

/** A request's size on the wire as API Gateway counts it: request line and header lines. */
function headerBytes(exchange: Exchange): number {
  const url = new URL(exchange.url);
  const lines = [`${exchange.method} ${url.pathname}${url.search} HTTP/1.1`, ...Object.entries(exchange.requestHeaders).filter(([name]) => !name.startsWith(':')).map(([name, value]) => `${name}: ${value}`)];
  return Buffer.byteLength(lines.join('\r\n')) + 4;
}

const toBroker = (exchanges: Exchange[]): Exchange[] => exchanges.filter((e) => e.url.startsWith(environment.broker.url) && !e.preflight && e.sent);
interface Tab {
  readonly page: Page;
  readonly exchanges: Exchange[];
  /** Every Set-Cookie line the broker sent this tab, as the network received it. */
  readonly setCookies: string[];
}

async function openTab(context: BrowserContext): Promise<Tab> {
  const tab = await context.newPage();
  const { exchanges, cdp } = await recordNetwork(context, tab);
  const setCookies: string[] = [];
  cdp.on('Network.responseReceivedExtraInfo', (event) => {
    for (const [name, value] of Object.entries(event.headers)) {
      if (name.toLowerCase() === 'set-cookie') setCookies.push(...String(value).split('\n').filter((line) => line.includes('token-broker')));
    }
  });
  return { page: tab, exchanges, setCookies };
}

describe.each([1024, 2048, 3072, 4096])('a %i-character refresh token, a 2,048-character access token, a 300-character scope', (refreshChars) => {
  it('signs in with chunked cookies within the limits, and five tabs opened at once all refresh in turn: nobody signed out', async () => {
    expect(SCOPES.join(' ')).toHaveLength(300);
    environment.oidc.setTokenSizes({ refreshTokenChars: refreshChars, accessTokenChars: 2048 });
    const context = await browser.newContext();
    try {
      const first = await openTab(context);
      await first.page.goto(page);
      await first.page.locator('#session-status', { hasText: /^Not signed in\.$/ }).waitFor();
      await first.page.click('#session-sign-in');
      await first.page.waitForURL((url) => url.pathname === '/authorize');
      await first.page.click('#sign-in');
      await first.page.locator('#session-status', { hasText: /^Signed in\.$/ }).waitFor();

      const cookies = (await context.cookies()).filter((c) => c.name.includes('token-broker-session'));
      const chunks = cookies.map((c) => c.name).sort();
      expect(chunks).toEqual(SESSION_CHUNK_NAMES[0].slice(0, chunks.length));
      if (refreshChars >= 3072) expect(chunks.length).toBeGreaterThan(1);

      // Five tabs at once, each refreshing (forced) on load, while SSO OIDC rotates refresh tokens.
      const linesBefore = environment.broker.logs().length;
      const tabs = await Promise.all(Array.from({ length: TABS }, () => openTab(context)));
      await Promise.all(tabs.map((tab) => tab.page.goto(page)));
      await Promise.all(tabs.map((tab) => tab.page.locator('#session-status', { hasText: /^Signed in \(session restored from its cookie\)\.$/ }).waitFor()));
      const refreshes = await eventually(() => {
        const lines = environment.broker.logs().slice(linesBefore).filter((line) => line.route === 'POST /bff/refresh');
        return lines.length >= TABS ? lines : undefined;
      }, 'the five refreshes');
      expect(refreshes.map((line) => line.status)).toEqual(Array(TABS).fill(200));
      expect(environment.broker.logs().slice(linesBefore).filter((line) => line.status === 401)).toEqual([]);

      // Every request to the broker fit API Gateway, every cookie a browser keeps.
      const sent = [first, ...tabs].flatMap((tab) => toBroker(tab.exchanges));
      const largest = Math.max(...sent.map(headerBytes));
      const cookieHeader = Math.max(...sent.map((e) => Buffer.byteLength(e.requestHeaders.cookie ?? '')));
      const setCookies = [first, ...tabs].flatMap((tab) => tab.setCookies);
      // Sign-in set the session (and cleared the login cookie); each tab's refresh set it again.
      expect(setCookies.filter((cookie) => !/Max-Age=0/.test(cookie)).length).toBeGreaterThanOrEqual(chunks.length * (1 + TABS));
      const largestSetCookie = Math.max(...setCookies.map((cookie) => Buffer.byteLength(cookie)));
      expect(largest).toBeLessThanOrEqual(GATEWAY_HEADER_BYTES);
      expect(largestSetCookie).toBeLessThan(COOKIE_BYTES);
      expect(cookieHeader).toBeGreaterThan(refreshChars);
      measured.push({ refreshTokenChars: refreshChars, accessTokenChars: 2048, scopeChars: 300, chunks: chunks.length, largestCookieHeaderBytes: cookieHeader, largestRequestHeaderBytes: largest, largestSetCookieBytes: largestSetCookie, tabRefreshes: refreshes.length });
    } finally {
      await context.close();
    }
  });
});
