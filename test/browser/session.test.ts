// The cookie-session demo page (demo/session.html, on an origin of its own) in real Chromium against
// the broker as `npm start` runs it, in full backend-for-frontend mode (page tokens none): sign in,
// reload (still signed in), call an API through /bff/api (the demo API accepts only a live access
// token), list "Your AWS access" and get role credentials through /bff/portal, refresh, sign out,
// after which the session's refresh token is dead at IAM Identity Center (401 session_expired). Page
// script never finds the access token, the refresh token, the PKCE verifier or the state secret: not
// in any answer it received, not in storage, document.cookie, the DOM or a global. A page on an origin
// that is not a session origin (same site, other port) can neither sign in, refresh, read the session
// nor log the user out.

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
let sessionPage: string;
let attacker: http.Server;
let attackerUrl: string;

beforeAll(async () => {
  broker = await startDemoBroker();
  browser = await launchChromium();
  secretsUrl = /Secrets Manager emulator on (http:\/\/\S+)/.exec(broker.output())![1]!;
  sessionPage = broker.sessionDemoUrl!;
  // Another origin on the same site (127.0.0.1, another port), not a session origin.
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

const waitForStatus = (pattern: RegExp) => page.locator('#session-status', { hasText: pattern }).waitFor();
// Every cookie the browser keeps (by URL, Playwright would leave out the narrow paths).
const brokerCookiesInBrowser = async () => (await context.cookies()).filter((c) => c.name.includes('token-broker'));
const cookiePairs = async () => (await brokerCookiesInBrowser()).map((c) => `${c.name}=${c.value}`);

/**
 * Everything page script can read on its own: DOM, address, storage, document.cookie, and every
 * string reachable from the window's own properties (three levels deep).
 */
const pageKeeps = (): Promise<string> =>
  page.evaluate(() => {
    const strings: string[] = [];
    const seen = new Set<unknown>();
    const walk = (value: unknown, depth: number): void => {
      if (typeof value === 'string') strings.push(value);
      if (typeof value !== 'object' || value === null || depth > 2 || seen.has(value) || value instanceof Node) return;
      seen.add(value);
      for (const key of Object.getOwnPropertyNames(value)) {
        try {
          walk((value as Record<string, unknown>)[key], depth + 1);
        } catch {
          // A getter that refuses to be read.
        }
      }
    };
    walk(window, 0);
    return [document.documentElement.outerHTML, location.href, JSON.stringify({ ...sessionStorage }), JSON.stringify({ ...localStorage }), document.cookie, ...strings].join('\n');
  });

/** Signs in on the session page as a user does; returns what the login cookie held and the session's tokens. */
async function signIn() {
  await page.goto(sessionPage);
  await waitForStatus(/^Not signed in\.$/);
  await page.click('#session-sign-in');
  await page.waitForURL((url) => url.pathname === '/authorize');
  const opener = await openBrokerCookies(secretsUrl, 'token-broker/cookie-keys');
  const loginCookie = (await brokerCookiesInBrowser()).find((c) => c.name === COOKIE_NAMES.login)!;
  const login = opener.login(loginCookie.value)!;
  await page.click('#sign-in');
  await waitForStatus(/^Signed in\.$/);
  // The page's own calls after sign-in ("Your AWS access") have finished.
  await page.locator('#session-aws:not([hidden])').waitFor();
  const sessionCookie = (await brokerCookiesInBrowser()).find((c) => c.name === COOKIE_NAMES.session[0])!;
  const session = (await opener.session(await cookiePairs()))!;
  return { login, loginCookie, sessionCookie, session, opener };
}

describe('the cookie-session demo page, full backend-for-frontend', () => {
  it('signs in, reloads, calls an API and the access portal through the broker, refreshes and signs out; script never finds a token, verifier or state', async () => {
    const { login, loginCookie, sessionCookie, session, opener } = await signIn();
    const secrets: Record<string, string> = { verifier: login.codeVerifier, state: login.stateSecret, refreshToken: session.rt!, accessToken: session.at };
    expect(session.rt).toMatch(/^aor/);
    expect(session.at).toMatch(/^aoa/);
    // Chromium kept the cookies as the broker set them (RFC 6265bis §4.1.2, §4.1.3.1).
    expect(loginCookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/bff/login/end' });
    expect(sessionCookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/bff' });
    expect((await brokerCookiesInBrowser()).map((c) => c.name)).toEqual([COOKIE_NAMES.session[0]]);
    expect(new URL(page.url()).search).toBe('');

    // "Your AWS access": the demo's role policy (PowerUserAccess in the sandbox, ReadOnlyAccess anywhere)
    // leaves out the production account, whose only role is ViewOnlyAccess.
    expect(await page.locator('#session-aws-accounts li').count()).toBe(2);
    expect(await page.locator('#session-aws-accounts button').allInnerTexts()).toEqual(['PowerUserAccess', 'ReadOnlyAccess', 'ReadOnlyAccess']);
    await page.locator('#session-aws-accounts button').first().click();
    await page.locator('#session-aws-credentials', { hasText: /access key ASIA/ }).waitFor();

    await page.reload();
    await waitForStatus(/^Signed in \(session restored from its cookie\)\.$/);
    await page.locator('#session-aws:not([hidden])').waitFor();
    // The reload refreshed: the session now holds a new access token.
    const refreshedSession = (await opener.session(await cookiePairs()))!;
    secrets.refreshedAccessToken = refreshedSession.at;
    expect(refreshedSession.at).not.toBe(session.at);

    await page.click('#session-call-api');
    await page.locator('#session-api-answer', { hasText: /^200\n/ }).waitFor();
    const answer = JSON.parse((await page.locator('#session-api-answer').innerText()).split('\n').slice(1).join('\n')) as { received: Record<string, string> };
    // The API got the live access token (it checked it with the access portal) and nothing of the browser's credentials.
    expect(answer.received).not.toHaveProperty('cookie');
    expect(answer.received).not.toHaveProperty('x-token-broker-csrf');

    await page.click('#session-refresh');
    await waitForStatus(/access token refreshed/);
    expect(await page.locator('#session-refreshes').innerText()).toBe('2');
    secrets.lastAccessToken = (await opener.session(await cookiePairs()))!.at;

    // Script's view, and every response body the page received, on each of its loads.
    const fetches = exchanges.filter((e) => e.type === 'Fetch' && !e.preflight && e.status !== undefined).length;
    const bodies = await eventually(() => (received.length >= fetches ? received : undefined), 'every response body');
    expect(bodies.filter((b) => b.includes('/bff/')).length).toBeGreaterThanOrEqual(8);
    const scriptCanSee = [await pageKeeps(), ...bodies].join('\n');
    expect(scriptCanSee).toContain('sessionExpiresAt');
    for (const [what, value] of Object.entries(secrets)) expect({ what, found: scriptCanSee.includes(value) }).toEqual({ what, found: false });
    expect(await page.evaluate(() => document.cookie)).not.toContain('token-broker');

    // Sign out: IAM Identity Center ends the session, and the session's refresh token with it.
    const beforeSignOut = await cookiePairs();
    await page.click('#session-log-out');
    await waitForStatus(/^Signed out \(IAM Identity Center too\)\.$/);
    expect(await brokerCookiesInBrowser()).toEqual([]);
    // The cookies the browser held before sign-out, replayed, no longer refresh either: the refresh token is dead upstream.
    const replay = await fetch(`${broker.url}/bff/refresh`, { method: 'POST', headers: { 'x-token-broker-csrf': '1', 'content-type': 'application/json', cookie: beforeSignOut.join('; ') }, body: '{}' });
    expect([replay.status, ((await replay.json()) as { error: string }).error]).toEqual([401, 'session_expired']);
    await page.reload();
    await waitForStatus(/^Not signed in\.$/);
  });

  it('a page on an origin that is not a session origin (same site, other port) cannot sign in, refresh, read the session or log the user out', async () => {
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
        api: await attempt('/api/demo/whoami', { headers: { 'x-token-broker-csrf': '1' } }),
      };
    }, bffUrl);
    // CORS kept every answer from the other page (the preflight of a CSRF-header request is refused).
    expect(outcomes).toEqual({ refresh: 'blocked', session: 'blocked', sessionSimple: 'blocked', loginStart: 'blocked', logoutSimple: 'blocked', api: 'blocked' });
    // A cross-origin HTML form can send neither the header nor JSON: refused, nothing cleared.
    await other.setContent(`<form method="post" action="${bffUrl}/logout" enctype="text/plain"><input name="{}" value=""></form>`);
    const [formAnswer] = await Promise.all([other.waitForNavigation(), other.evaluate(() => document.forms[0]!.submit())]);
    expect(formAnswer?.status()).toBe(403);
    expect(await formAnswer?.text()).toContain('x-token-broker-csrf');
    // What reached the broker from the other origin never got past the edge: every one answered 403, nothing sent upstream.
    const attack = await eventually(() => {
      const lines = broker.logs().slice(linesBefore).filter((line) => typeof line.route === 'string');
      return lines.length >= 4 ? lines : undefined;
    }, "the log lines of the other origin's requests");
    expect(attack.map((line) => [line.status, line.upstreamCalls])).toEqual(attack.map(() => [403, 0]));
    expect(attack.map((line) => line.route)).toEqual(expect.arrayContaining(['OPTIONS /{proxy+}', 'GET /bff/session', 'POST /bff/logout']));
    // The user's session is untouched.
    expect((await brokerCookiesInBrowser()).map((c) => c.name)).toEqual([COOKIE_NAMES.session[0]]);
    await page.reload();
    await waitForStatus(/^Signed in \(session restored from its cookie\)\.$/);
    await page.locator('#session-aws:not([hidden])').waitFor();
    await other.close();
  });

  it('the token pages\u2019 origin has no session door, and the session page\u2019s origin no token door', async () => {
    await page.goto(sessionPage);
    await waitForStatus(/^Not signed in\.$/);
    const fromSessionPage = await page.evaluate(async (url) => {
      try {
        await fetch(`${url}/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"grantType":"refresh_token","refreshToken":"x"}' });
        return 'read';
      } catch {
        return 'blocked';
      }
    }, broker.url);
    expect(fromSessionPage).toBe('blocked');
    await page.goto(broker.demoUrl);
    const fromTokenPage = await page.evaluate(async (url) => {
      try {
        await fetch(`${url}/bff/session`, { credentials: 'include', headers: { 'x-token-broker-csrf': '1' } });
        return 'read';
      } catch {
        return 'blocked';
      }
    }, broker.url);
    expect(fromTokenPage).toBe('blocked');
  });
});
