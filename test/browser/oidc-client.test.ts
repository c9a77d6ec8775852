// oidc-client-ts (v3) in headless Chromium against the broker's standard OAuth 2.0 front door: the
// demo page demo/oidc.html, whose UserManager is configured only with the broker's URL and the
// public client id. signinRedirect -> the SSO OIDC emulator's sign-in page -> signinCallback gives a
// user with an access token; signinSilent (refresh token) gives a new one; a reused code and a
// revoked refresh token surface as the library's ErrorResponse with error 'invalid_grant'.
// The emulators run in this process (the test revokes refresh tokens), the demo frontend too.

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startDemoFrontend, type DemoFrontend } from '../../demo/server.js';
import { startEnvironment, type Environment } from '../helpers/environment.js';
import { LOOPBACK_CALLBACK, PUBLIC_CLIENT_ID, frontDoorEnv } from '../helpers/front-door.js';
import { bodyOf, launchChromium, masked, recordNetwork, startDemoBroker, type Exchange } from './support.js';

let frontend: DemoFrontend;
let environment: Environment;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let exchanges: Exchange[];
let pageUrl: string;

beforeAll(async () => {
  // The page's origin is known once its server listens; the broker allows it and its redirect URI.
  frontend = await startDemoFrontend({ port: 0 });
  pageUrl = `${frontend.url}/oidc.html`;
  environment = await startEnvironment({
    name: 'oidc-client-ts',
    redirectUri: pageUrl,
    extraRedirectUris: [LOOPBACK_CALLBACK],
    brokerEnv: frontDoorEnv({ TOKEN_BROKER_ALLOWED_ORIGINS: frontend.url }),
  });
  frontend.configure({
    brokerUrl: environment.broker.url,
    redirectUri: `${frontend.url}/callback`,
    scopes: ['openid', 'email', 'sso:account:access'],
    deviceStartUrl: null,
    frontDoor: { authority: environment.broker.url, clientId: PUBLIC_CLIENT_ID },
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await environment?.stop();
  await frontend?.close();
});

beforeEach(async () => {
  context = await browser.newContext();
  page = await context.newPage();
  ({ exchanges } = await recordNetwork(context, page));
});

afterEach(async () => {
  await context?.close();
});

const text = async (selector: string): Promise<string> => (await page.textContent(selector)) ?? '';
const tokenAnswers = () => exchanges.filter((exchange) => exchange.url === `${environment.broker.url}/oauth2/token` && !exchange.preflight && exchange.done);

async function signIn(): Promise<void> {
  await page.goto(pageUrl);
  await page.locator('body[data-ready]').waitFor();
  await page.click('#sign-in');
  // The emulator's sign-in page (SSO OIDC's, in production), reached through the broker's /oauth2/authorize.
  await page.waitForURL((url) => url.pathname === '/authorize' && url.origin === environment.oidc.url);
  await page.click('#sign-in');
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'Signed in.', undefined, { timeout: 10_000 });
}

it('signinRedirect -> sign-in -> signinCallback gives a user with an access token, then signinSilent refreshes it', async () => {
  await signIn();
  const [exchange] = tokenAnswers();
  expect(exchange?.status).toBe(200);
  // What the library sent: a form, a public client (no secret), PKCE.
  const sent = new URLSearchParams(exchange!.postData);
  expect(sent.get('grant_type')).toBe('authorization_code');
  expect(sent.get('client_id')).toBe(PUBLIC_CLIENT_ID);
  expect(sent.has('client_secret')).toBe(false);
  expect(sent.get('code_verifier')).toMatch(/^[\w-]{43,}$/);
  expect(exchange!.requestHeaders['content-type']).toContain('application/x-www-form-urlencoded');
  const tokens = await bodyOf(exchange!);
  expect(await text('#access-token')).toBe(masked(String(tokens.access_token)));
  expect(await text('#scope')).toBe('email sso:account:access');
  expect(await text('#id-token')).toContain('none');
  expect(page.url()).toBe(pageUrl);

  await page.click('#refresh');
  await page.waitForFunction(() => document.getElementById('refresh-count')?.textContent === '1');
  const refresh = tokenAnswers()[1]!;
  expect(new URLSearchParams(refresh.postData).get('grant_type')).toBe('refresh_token');
  expect(refresh.status).toBe(200);
  expect(await text('#access-token')).not.toBe(masked(String(tokens.access_token)));
  expect(await page.isVisible('#error')).toBe(false);
});

it('a reused authorization code surfaces as ErrorResponse with error invalid_grant', async () => {
  await signIn();
  await page.click('#replay-code');
  await page.locator('#error').waitFor();
  expect(await text('#error-name')).toBe('ErrorResponse');
  expect(await text('#error-code')).toBe('invalid_grant');
});

it('a revoked refresh token surfaces as ErrorResponse with error invalid_grant', async () => {
  await signIn();
  environment.oidc.revokeAllRefreshTokens();
  await page.click('#refresh');
  await page.locator('#error').waitFor();
  expect(await text('#error-name')).toBe('ErrorResponse');
  expect(await text('#error-code')).toBe('invalid_grant');
});

it('npm start (demo mode) serves the front door with its own URL as issuer, and /oidc.html signs in through it', async () => {
  const demo = await startDemoBroker();
  try {
    const metadata = (await (await fetch(`${demo.url}/.well-known/openid-configuration`)).json()) as { issuer: string };
    expect(metadata.issuer).toBe(demo.url);
    expect(demo.output()).toContain(`the redirect URI to register with SSO OIDC for it: ${demo.url}/oauth2/callback`);
    await page.goto(`${demo.demoUrl}/oidc.html`);
    await page.locator('body[data-ready]').waitFor();
    expect(await text('#config-authority')).toBe(demo.url);
    await page.click('#sign-in');
    // The embedded emulator accepted the broker's callback: it was registered with it.
    await page.waitForURL((url) => url.pathname === '/authorize' && url.origin !== demo.url);
    await page.click('#sign-in');
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'Signed in.', undefined, { timeout: 10_000 });
    expect(await text('#access-token')).toMatch(/…$/);
  } finally {
    await demo.stop();
  }
});
