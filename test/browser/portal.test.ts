// What the access token is for, in Debian's Chromium, against the broker as `npm start` runs it
// (demo mode: the access portal on, with a role policy that allows some of the demo user's roles).
// The demo pages bundle an unmodified SSOClient (@aws-sdk/client-sso) with its endpoint at
// `<broker>/portal`: the front door's page (oidc-client-ts) signs in, lists accounts and roles, gets
// credentials, is refused a role outside the policy, then signs out with revokeTokens() (RFC 7009),
// after which its refresh is invalid_grant; the JSON API's page does the same and signs out with the
// portal's Logout. The browser really sends the bearer header, after a preflight that allows it.

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEMO_ASSIGNMENTS, type PortalAccount } from '../../local/emulators/sso-oidc.js';
import { brokerCalls, launchChromium, preflights, recordNetwork, settled, signIn, startDemoBroker, type DemoBroker, type Exchange } from './support.js';

const [SANDBOX, STAGING] = DEMO_ASSIGNMENTS as [PortalAccount, PortalAccount, PortalAccount];

let broker: DemoBroker;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let exchanges: Exchange[];

beforeAll(async () => {
  broker = await startDemoBroker();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
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

const text = async (selector: string): Promise<string> => (await page.textContent(selector)) ?? '';
const portalUrl = (path: string): string => `${broker.url}/portal${path}`;

/** The panel's accounts and their roles, as the page lists them. */
const listed = (): Promise<Record<string, string[]>> =>
  page.$$eval('#portal-accounts > li', (items) =>
    Object.fromEntries(items.map((item) => [item.getAttribute('data-account')!, [...item.querySelectorAll('li')].map((role) => role.getAttribute('data-role')!)])),
  );

async function waitForAccounts(): Promise<void> {
  await page.waitForFunction(() => /account\(s\) with roles the broker allows/.test(document.getElementById('portal-status')?.textContent ?? ''), undefined, { timeout: 15_000 });
}

/** Get credentials for one listed role: what the page shows for it. */
async function credentialsFor(accountId: string, roleName: string): Promise<string> {
  const role = page.locator(`#portal-accounts li[data-account="${accountId}"] li[data-role="${roleName}"]`);
  await role.locator('button').click();
  await role.locator('.portal-credentials[data-outcome]').waitFor();
  return (await role.locator('.portal-credentials').textContent()) ?? '';
}

/** The page's own requests to the broker's portal routes carry the token in the portal's header, after a preflight that allows it. */
async function expectBearerSent(path: string): Promise<void> {
  const url = (exchange: Exchange) => exchange.url.startsWith(portalUrl(path));
  const [call] = await settled(() => exchanges.filter((exchange) => url(exchange) && !exchange.preflight), 1, `calls to ${path}`);
  expect(call!.requestHeaders['x-amz-sso_bearer_token']).toMatch(/^aoa/);
  const [preflight] = await settled(() => exchanges.filter((exchange) => url(exchange) && exchange.preflight), 1, `preflights of ${path}`);
  expect(preflight!.status).toBe(204);
  expect(preflight!.responseHeaders!['access-control-allow-headers']).toContain('x-amz-sso_bearer_token');
}

/** The refused role the demo offers under "Try any role": the broker's refusal, read by page script through CORS. */
async function expectRefusal(): Promise<void> {
  expect(await page.inputValue('#portal-try-role')).toBe('AdministratorAccess');
  await page.click('#portal-try');
  await page.locator('#portal-result[data-outcome]').waitFor();
  expect(await page.getAttribute('#portal-result', 'data-outcome')).toBe('refused');
  expect(await text('#portal-result')).toBe(
    `RoleNotAllowedException (403): The role AdministratorAccess in account ${SANDBOX.accountId} is not in this token broker's role policy (TOKEN_BROKER_PORTAL_ROLES).`,
  );
}

/** The page's next 200 from GetRoleCredentials, as its script received it. */
const nextCredentials = () =>
  page.waitForResponse((response) => response.url().startsWith(portalUrl('/federation/credentials')) && response.status() === 200);

/** No credential in full anywhere the page keeps things: only the key id's first characters are shown. */
async function expectNoCredentialKept(answer: { roleCredentials: Record<string, string> }): Promise<void> {
  const { roleCredentials } = answer;
  const kept = await page.evaluate(() => [document.documentElement.outerHTML, window.location.href, JSON.stringify({ ...window.sessionStorage }), JSON.stringify({ ...window.localStorage })].join('\n'));
  for (const value of [roleCredentials.accessKeyId!, roleCredentials.secretAccessKey!, roleCredentials.sessionToken!]) expect(kept).not.toContain(value);
  expect(kept).toContain(`${roleCredentials.accessKeyId!.slice(0, 6)}…`);
}

it('oidc-client-ts signs in through the front door; an SSOClient lists, gets credentials and is refused; revokeTokens() ends the session, so the next refresh is invalid_grant', async () => {
  await page.goto(`${broker.demoUrl}/oidc.html`);
  await page.locator('body[data-ready]').waitFor();
  await page.click('#sign-in');
  await page.waitForURL((url) => url.pathname === '/authorize' && url.origin !== broker.url);
  await page.click('#sign-in');
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'Signed in.', undefined, { timeout: 15_000 });

  await waitForAccounts();
  expect(await listed()).toEqual({ [SANDBOX.accountId]: ['PowerUserAccess', 'ReadOnlyAccess'], [STAGING.accountId]: ['ReadOnlyAccess'] });
  await expectBearerSent('/assignment/accounts');
  await expectBearerSent('/assignment/roles');

  const issued = nextCredentials();
  expect(await credentialsFor(STAGING.accountId, 'ReadOnlyAccess')).toMatch(/^ASIA[A-Z0-9]{2}… expires .+ \(in \d+ min\)$/);
  await expectBearerSent('/federation/credentials');
  await expectRefusal();
  await expectNoCredentialKept((await (await issued).json()) as { roleCredentials: Record<string, string> });

  await page.click('#portal-sign-out');
  await page.locator('#portal[data-signed-out]').waitFor();
  expect(await text('#portal-status')).toContain('revokeTokens() sent both tokens to the broker’s revocation endpoint');
  const revocations = await settled(() => brokerCalls(exchanges, `${broker.url}/oauth2/revoke`), 2, 'revocations');
  expect(revocations.map((exchange) => [new URLSearchParams(exchange.postData).get('token_type_hint'), exchange.status])).toEqual([
    ['access_token', 200],
    ['refresh_token', 200],
  ]);

  await page.click('#refresh');
  await page.locator('#error').waitFor();
  expect([await text('#error-name'), await text('#error-code')]).toEqual(['ErrorResponse', 'invalid_grant']);
});

it('the JSON API\'s page does the same with its /token tokens, and signs out with the portal\'s Logout', async () => {
  await signIn(page, broker.demoUrl);
  await waitForAccounts();
  expect(Object.keys(await listed())).toEqual([SANDBOX.accountId, STAGING.accountId]);
  expect(await credentialsFor(SANDBOX.accountId, 'PowerUserAccess')).toMatch(/^ASIA[A-Z0-9]{2}… expires/);
  await expectRefusal();

  await page.click('#portal-sign-out');
  await page.locator('#portal[data-signed-out]').waitFor();
  const [logout] = await settled(() => brokerCalls(exchanges, portalUrl('/logout')), 1, 'the Logout');
  expect([logout!.method, logout!.status]).toEqual(['POST', 200]);
  expect(preflights(exchanges, portalUrl('/logout'))[0]?.status).toBe(204);

  await page.click('#refresh');
  await page.locator('#error').waitFor();
  expect([await text('#error-type'), await text('#error-code')]).toEqual(['InvalidGrantException', 'invalid_grant']);
});
