// The demo frontend in headless Chromium against the broker as `npm start` runs it (no configuration:
// emulated SSO OIDC and Secrets Manager, the demo page on its own origin). Everything the page shows
// is what its own script read from the broker's answers, through the browser's CORS rules.

import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  bodyOf,
  brokerCalls,
  launchChromium,
  masked,
  openDemo,
  recordNetwork,
  settled,
  signIn,
  startDemoBroker,
  type DemoBroker,
  type Exchange,
} from './support.js';

const ARTIFACTS = fileURLToPath(new URL('../../artifacts/', import.meta.url));

let broker: DemoBroker;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let exchanges: Exchange[];
let tokenUrl: string;

beforeAll(async () => {
  // A 1 s device interval keeps the device test short; slow_down still adds the RFC's 5 s.
  broker = await startDemoBroker({ TOKEN_BROKER_DEMO_DEVICE_INTERVAL_SECONDS: '1' });
  browser = await launchChromium();
  tokenUrl = `${broker.url}/token`;
});

afterAll(async () => {
  await browser?.close();
  await broker?.stop();
});

beforeEach(async () => {
  context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  page = await context.newPage();
  ({ exchanges } = await recordNetwork(context, page));
});

afterEach(async () => {
  await context?.close();
});

/** Everything the page keeps where script, the DOM or the address bar can reach it. */
const pageKeeps = (): Promise<string> =>
  page.evaluate(() =>
    [
      document.documentElement.outerHTML,
      window.location.href,
      JSON.stringify({ ...window.sessionStorage }),
      JSON.stringify({ ...window.localStorage }),
      document.cookie,
    ].join('\n'),
  );

const text = async (selector: string): Promise<string> => (await page.textContent(selector)) ?? '';

describe('the demo page', () => {
  it('signs in with code + PKCE, shows the tokens masked only, refreshes, and is screenshotted', async () => {
    await signIn(page, broker.demoUrl);

    // What the browser sent: /authorize with an S256 challenge and a state, then the code exchange.
    const authorize = new URL(exchanges.find((e) => new URL(e.url).pathname === '/authorize')!.url);
    const [exchange] = await settled(() => brokerCalls(exchanges, tokenUrl), 1, 'code exchanges');
    const sent = JSON.parse(exchange!.postData!) as Record<string, string>;
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('state')).toMatch(/^[\w-]{22}$/);
    expect(authorize.searchParams.get('code_challenge')).toBe(createHash('sha256').update(sent.codeVerifier!).digest('base64url'));
    // The page names the client it signed in with (from GET /client), so a rotation cannot break it.
    expect(sent).toMatchObject({
      grantType: 'authorization_code',
      clientId: authorize.searchParams.get('client_id'),
      redirectUri: `${broker.demoUrl}/callback`,
    });
    expect(exchange!.status).toBe(200);

    const tokens = (await bodyOf(exchange!)) as Record<string, string>;
    expect(await text('#token-access')).toBe(masked(tokens.accessToken!));
    expect(await text('#token-refresh')).toBe(masked(tokens.refreshToken!));
    // SSO OIDC (and the emulator, by default) sends no idToken: no row, and no claimed user.
    expect(tokens.idToken).toBeUndefined();
    expect(await page.locator('#token-id').count()).toBe(0);
    expect(await text('#token-grant')).toBe('authorization_code');
    expect(await page.locator('#signed-in-as').isHidden()).toBe(true);
    // No token, code or verifier in full anywhere the page keeps things; the round trip's
    // sessionStorage entry is gone and the code left the address bar.
    const kept = await pageKeeps();
    for (const value of [tokens.accessToken, tokens.refreshToken, sent.code, sent.codeVerifier]) {
      expect(kept).not.toContain(value);
    }
    expect(await page.evaluate(() => window.sessionStorage.length)).toBe(0);
    expect(page.url()).toBe(`${broker.demoUrl}/`);

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}signed-in.png`, fullPage: true });

    await page.click('#refresh');
    await page.waitForFunction(() => document.getElementById('token-grant')?.textContent === 'refresh_token');
    const refresh = (await settled(() => brokerCalls(exchanges, tokenUrl), 2, 'token calls'))[1]!;
    expect(JSON.parse(refresh.postData!)).toEqual({ grantType: 'refresh_token', clientId: sent.clientId, refreshToken: tokens.refreshToken });
    expect(refresh.status).toBe(200);
    const refreshed = (await bodyOf(refresh)) as Record<string, string>;
    expect(refreshed.accessToken).not.toBe(tokens.accessToken);
    expect(await text('#token-access')).toBe(masked(refreshed.accessToken!));
    // The emulator's refresh returns no new refresh token: the page says it keeps the old one.
    expect(await page.isVisible('#token-note')).toBe(true);
    expect(await pageKeeps()).not.toContain(refreshed.accessToken);
  });

  it('shows InvalidGrantException and invalid_grant, read by page script, when the used code is sent again', async () => {
    await signIn(page, broker.demoUrl);
    await page.click('#reuse-code');
    await page.locator('#error').waitFor();

    const reused = (await settled(() => brokerCalls(exchanges, tokenUrl), 2, 'token calls'))[1]!;
    expect(reused.status).toBe(400);
    // The page's panel shows the x-amzn-ErrorType and x-amzn-RequestId *headers* as its script read
    // them (it prints "(not readable)" when CORS hides a header), next to the body's members.
    expect(await text('#error-status')).toBe('400');
    expect(await text('#error-type')).toBe('InvalidGrantException');
    expect(await text('#error-code')).toBe('invalid_grant');
    expect(await text('#error-description')).toBe('Invalid authorization code provided');
    expect(await text('#error-request-id')).toBe(reused.responseHeaders!['x-amzn-requestid']);
    expect(reused.responseHeaders!['access-control-expose-headers']).toBe('x-amzn-ErrorType, x-amzn-RequestId');
    // The first sign-in's tokens are still shown.
    expect(await text('#token-grant')).toBe('authorization_code');
  });

  it('refuses a /callback whose state it did not issue, without sending the code anywhere', async () => {
    // A forged redirect (login CSRF): no sign-in was started in this tab.
    await openDemo(page, `${broker.demoUrl}/callback?code=code-forged&state=forged`);
    expect(await text('#error-code')).toBe('state_mismatch');
    expect(await page.isVisible('#error')).toBe(true);
    expect(brokerCalls(exchanges, tokenUrl)).toEqual([]);
    expect(page.url()).toBe(`${broker.demoUrl}/`);
  });

  it('runs the device flow: user code, authorization_pending, slow_down, approval in a second tab, tokens', async () => {
    await openDemo(page, broker.demoUrl);
    await page.click('#start-device');
    await page.locator('#device-info').waitFor();
    const userCode = await text('#user-code');
    expect(userCode).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);

    await page.locator('#poll-log li', { hasText: 'authorization_pending' }).first().waitFor();
    // Poll again at once, inside the 1 s interval: the broker passes SSO OIDC's slow_down through.
    await page.click('#poll-now');
    const slowDown = page.locator('#poll-log li', { hasText: 'slow_down' });
    await slowDown.waitFor();
    expect(await slowDown.textContent()).toContain('400 SlowDownException / slow_down: polled too soon; interval raised to 6 s');

    const [approval] = await Promise.all([context.waitForEvent('page'), page.click('#verification-link')]);
    await approval.waitForLoadState();
    expect(await approval.textContent('body')).toContain(userCode);
    await approval.click('#approve');
    await approval.getByRole('heading', { name: 'Request approved' }).waitFor();

    await page.locator('#poll-log li', { hasText: 'approved: tokens received' }).waitFor({ timeout: 15_000 });
    const polls = await settled(() => brokerCalls(exchanges, tokenUrl), 3, 'device polls');
    const types = polls.map((poll) => poll.responseHeaders?.['x-amzn-errortype'] ?? String(poll.status));
    const slow = types.indexOf('SlowDownException');
    expect(types.slice(0, slow).every((type) => type === 'AuthorizationPendingException')).toBe(true);
    expect(types.slice(slow)).toEqual(['SlowDownException', '200']);
    // After slow_down the page waited the raised interval (6 s) before it polled again.
    expect(polls[slow + 1]!.startedAt - polls[slow]!.startedAt).toBeGreaterThanOrEqual(5900);

    const tokens = (await bodyOf(polls.at(-1)!)) as Record<string, string>;
    expect(await text('#token-grant')).toBe('device_code');
    expect(await text('#token-access')).toBe(masked(tokens.accessToken!));
    expect(await pageKeeps()).not.toContain(tokens.accessToken);
  });
});
