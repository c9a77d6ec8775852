// The cookie-session demo page (demo/session.html, issue 11) in real Chromium against the broker as
// `npm start` runs it: sign in, reload (still signed in), refresh, log out. Page script never finds
// the refresh token, the PKCE verifier or the state secret: not in document.cookie, not in storage or
// the DOM, not in any response body it received (every one, as the network delivered it). A page on
// an origin that is not allowed (same site, other port: SameSite does not help there) can neither
// sign in, refresh, read the session nor log the user out.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { COOKIE_NAMES } from '../../lambda/surfaces/bff/cookies.js';
import { openBrokerCookies } from '../helpers/bff.js';
import { eventually, launchChromium, recordNetwork, startDemoBroker, type DemoBroker, type Exchange } from './support.js';

let broker: DemoBroker;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let exchanges: Exchange[];
/** Every response body page script received through fetch, on every page load (recorded as it read them). */
let received: string[];
let secretsUrl: string;
let attacker: http.Server;
let attackerUrl: string;

beforeAll(async () => {
  broker = await startDemoBroker();
  browser = await launchChromium();
  secretsUrl = /Secrets Manager emulator on (http:\/\/\S+)/.exec(broker.output())![1]!;
  // Another origin on the same site (127.0.0.1, another port), not in the allow list.
  attacker = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>another site</title><p>nothing to see</p>');
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await browser?.close();
  await broker?.stop();
  await new Promise((resolve) => attacker?.close(resolve));
});

beforeEach(async () => {
  context = await browser.newContext();
  page = await context.newPage();
  ({ exchanges } = await recordNetwork(context, page));
  received = [];
  // Each answer is read a second time (a clone) and handed to the test, as page script got it.
  await page.exposeFunction('recordReceived', (url: string, text: string) => received.push(`${url}\n${text}`));
  await page.addInitScript(() => {
    const original = window.fetch.bind(window);
    window.fetch = async (...args: Parameters<typeof fetch>) => {
      const response = await original(...args);
      void response
        .clone()
        .text()
        .then((text) => (window as unknown as { recordReceived: (u: string, t: string) => void }).recordReceived(response.url, text));
      return response;
    };
  });
});

afterEach(async () => {
  await context?.close();
});

const sessionPage = (): string => `${broker.demoUrl}/session`;
const status = (): Promise<string> => page.locator('#session-status').innerText();
const waitForStatus = (pattern: RegExp) => page.locator('#session-status', { hasText: pattern }).waitFor();
// Every cookie the browser keeps (by URL, Playwright would leave out the narrow paths).
const brokerCookiesInBrowser = async () => (await context.cookies()).filter((c) => c.name.includes('token-broker'));

/** Everything page script can read on its own: DOM, address, storage, document.cookie. */
const pageKeeps = (): Promise<string> =>
  page.evaluate(() =>
    [document.documentElement.outerHTML, location.href, JSON.stringify({ ...sessionStorage }), JSON.stringify({ ...localStorage }), document.cookie].join('\n'),
  );

/** Signs in on the session page as a user does; returns what the login and session cookies held. */
async function signIn() {
  await page.goto(sessionPage());
  await waitForStatus(/^Not signed in\.$/);
  await page.click('#session-sign-in');
  await page.waitForURL((url) => url.pathname === '/authorize');
  const opener = await openBrokerCookies(secretsUrl, 'token-broker/cookie-keys', 'token-broker/registration');
  const loginCookie = (await brokerCookiesInBrowser()).find((c) => c.name === COOKIE_NAMES.login)!;
  const login = opener.login(loginCookie.value)!;
  await page.click('#sign-in');
  await waitForStatus(/^Signed in\.$/);
  const sessionCookie = (await brokerCookiesInBrowser()).find((c) => c.name === COOKIE_NAMES.session[0])!;
  const session = opener.session(sessionCookie.name, sessionCookie.value)!;
  return { login, loginCookie, session, sessionCookie, upstream: opener.upstreamRefreshToken(session.rt)! };
}

describe('the cookie-session demo page', () => {
  it('signs in, survives a reload, refreshes and logs out, and script never finds a refresh token, verifier or state', async () => {
    const { login, loginCookie, session, sessionCookie, upstream } = await signIn();
    const secrets = { verifier: login.codeVerifier, state: login.stateSecret, brokerRefreshToken: session.rt, upstreamRefreshToken: upstream };
    expect(upstream).toMatch(/^aor/);
    // Chromium kept the cookies as the broker set them (RFC 6265bis §4.1.2, §4.1.3.1).
    expect(loginCookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/bff/login/end' });
    expect(sessionCookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/bff' });
    expect((await brokerCookiesInBrowser()).map((c) => c.name)).toEqual([COOKIE_NAMES.session[0]]);
    // The address bar lost the code and state once login/end had them.
    expect(new URL(page.url()).search).toBe('');

    await page.reload();
    await waitForStatus(/^Signed in \(session restored from its cookie\)\.$/);
    await page.click('#session-refresh');
    await waitForStatus(/access token refreshed/);
    expect(await page.locator('#session-refreshes').innerText()).toBe('2');

    // Script's view, and every response body the page received, on each of its loads.
    const fetches = exchanges.filter((e) => e.type === 'Fetch' && !e.preflight && e.status !== undefined).length;
    const bodies = await eventually(() => (received.length >= fetches ? received : undefined), 'every response body');
    // login/start, login/end, session + refresh after the reload, refresh: at least these.
    expect(bodies.filter((b) => b.includes('/bff/')).length).toBeGreaterThanOrEqual(5);
    const scriptCanSee = [await pageKeeps(), ...bodies].join('\n');
    expect(scriptCanSee).toContain('accessToken');
    for (const [what, value] of Object.entries(secrets)) {
      expect({ what, found: scriptCanSee.includes(value) }).toEqual({ what, found: false });
    }
    expect(await page.evaluate(() => document.cookie)).not.toContain('token-broker');

    await page.click('#session-log-out');
    await waitForStatus(/^Signed out\.$/);
    expect(await page.locator('#session-logout-note').innerText()).toMatch(/no revocation operation/);
    expect(await brokerCookiesInBrowser()).toEqual([]);
    await page.reload();
    await waitForStatus(/^Not signed in\.$/);
  });

  it('a page on an origin not allowed (same site, other port) cannot sign in, refresh, read the session or log the user out', async () => {
    await signIn();
    const bffUrl = `${broker.url}/bff`;
    const linesBefore = broker.logs().length;
    const other = await context.newPage();
    await other.goto(attackerUrl);
    const outcomes = await other.evaluate(async (base) => {
      const attempt = async (path: string, init: RequestInit): Promise<string> => {
        try {
          const response = await fetch(`${base}${path}`, { credentials: 'include', ...init });
          return `read ${response.status}: ${await response.text()}`;
        } catch {
          return 'blocked';
        }
      };
      const json = { 'content-type': 'application/json', 'x-token-broker-csrf': '1' };
      return {
        refresh: await attempt('/refresh', { method: 'POST', headers: json, body: '{}' }),
        session: await attempt('/session', { headers: { 'x-token-broker-csrf': '1' } }),
        sessionSimple: await attempt('/session', {}),
        loginStart: await attempt('/login/start', { method: 'POST', headers: json, body: '{}' }),
        logoutSimple: await attempt('/logout', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' }),
      };
    }, bffUrl);
    // CORS kept every answer from the other page (the preflight of a CSRF-header request is refused).
    expect(outcomes).toEqual({ refresh: 'blocked', session: 'blocked', sessionSimple: 'blocked', loginStart: 'blocked', logoutSimple: 'blocked' });
    // A cross-origin HTML form can send neither the header nor JSON: refused, nothing cleared.
    await other.setContent(`<form method="post" action="${bffUrl}/logout" enctype="text/plain"><input name="{}" value=""></form>`);
    const [formAnswer] = await Promise.all([other.waitForNavigation(), other.evaluate(() => document.forms[0]!.submit())]);
    expect(formAnswer?.status()).toBe(403);
    expect(await formAnswer?.text()).toContain('x-token-broker-csrf');
    // What reached the broker from the other origin (preflights, the simple GET, the form) never got
    // past the edge: every one answered 403, nothing sent upstream.
    const attack = await eventually(() => {
      const lines = broker.logs().slice(linesBefore).filter((line) => typeof line.route === 'string');
      return lines.length >= 4 ? lines : undefined;
    }, 'the log lines of the other origin\'s requests');
    expect(attack.map((line) => [line.status, line.upstreamCalls])).toEqual(attack.map(() => [403, 0]));
    expect(attack.map((line) => line.route)).toEqual(expect.arrayContaining(['OPTIONS /{proxy+}', 'GET /bff/session', 'POST /bff/logout']));
    // The user's session is untouched.
    expect((await brokerCookiesInBrowser()).map((c) => c.name)).toEqual([COOKIE_NAMES.session[0]]);
    await page.reload();
    await waitForStatus(/^Signed in \(session restored from its cookie\)\.$/);
    await other.close();
  });
});
