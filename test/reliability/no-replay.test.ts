// The broker never sends a CreateToken twice, against the broker as `npm start` runs it. A relay
// (support/relay.ts) in front of the SSO OIDC emulator passes a request on a pooled connection to
// SSO OIDC whole, lets SSO OIDC act on it (the code is spent, the refresh token rotated) and then
// resets the connection without passing on a byte of the answer. The request was written whole, so
// the broker cannot know it was not received: it answers 502 and SSO OIDC saw the request once,
// never the same code or refresh token twice (which would end in a terminal invalid_grant, or a
// signed-out cookie session). Through every door that calls CreateToken: /token, /oauth2/token and
// /bff/refresh. The access portal and the bearer proxy call through the same HTTP handler, and are
// held to the same rule: POST /portal/logout (the portal's Logout) and a POST through /bff/api reach
// their server once and answer 502.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretsManagerEmulator } from '../../local/emulators/secrets-manager.js';
import { SsoOidcEmulator } from '../../local/emulators/sso-oidc.js';
import { generateCookieKey } from '../../lambda/core/cookie-keys.js';
import { ROUTES } from '../../lambda/edge/routes.js';
import { bff, CookieJar, pageUrlAfterSignIn } from '../helpers/bff.js';
import { startBroker, type BrokerProcess } from '../helpers/broker-process.js';
import { LOOPBACK_CALLBACK, PUBLIC_CLIENT_ID, frontDoorEnv, postForm, signInThroughFrontDoor } from '../helpers/front-door.js';
import { pkcePair } from '../helpers/pkce.js';
import { toAnswer, type Answer } from './support/answers.js';
import { LeakWatch } from './support/leaks.js';
import { logLineFor, postJson } from './support/net.js';
import { Relay } from './support/relay.js';

const ORIGIN = 'https://app.example.com';
const REDIRECT = 'https://app.example.com/callback';
// Cookie sessions have origins of their own, kept apart from those that acquire tokens.
const SESSION_ORIGIN = 'https://spa.example.com';
const SESSION_REDIRECT = 'https://spa.example.com/';
const SECRET_ID = 'no-replay/registration';
const KEYS_SECRET_ID = 'no-replay/cookie-keys';

const watch = new LeakWatch();
let oidc: SsoOidcEmulator;
let secrets: SecretsManagerEmulator;
let relay: Relay;
let broker: BrokerProcess;
let clientId: string;
/** An API behind the bearer proxy, behind a relay of its own: it counts what it was sent. */
let api: http.Server;
let apiRelay: Relay;
const apiRequests: string[] = [];

beforeAll(async () => {
  // Every refresh rotates the refresh token and revokes the old one, as the upstream did.
  oidc = await SsoOidcEmulator.start({ rotateRefreshTokens: true });
  secrets = await SecretsManagerEmulator.start();
  const registration = oidc.registerClient({
    clientName: 'no-replay',
    clientType: 'public',
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [REDIRECT, SESSION_REDIRECT, LOOPBACK_CALLBACK],
    issuerUrl: oidc.url,
  });
  clientId = registration.clientId;
  watch.remember(registration.clientSecret);
  secrets.putSecret(SECRET_ID, JSON.stringify(registration));
  const keys = generateCookieKey();
  watch.remember(keys.key);
  secrets.putSecret(KEYS_SECRET_ID, JSON.stringify(keys));
  relay = await Relay.start(oidc.url);
  api = http.createServer((request, response) => {
    apiRequests.push(`${request.method} ${request.url}`);
    request.resume().on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiRelay = await Relay.start(`http://127.0.0.1:${(api.address() as AddressInfo).port}`);
  broker = await startBroker(
    frontDoorEnv({
      AWS_ENDPOINT_URL_SSO_OIDC: relay.url,
      // The access portal API is served by the same emulator, behind the same relay.
      AWS_ENDPOINT_URL_SSO: relay.url,
      TOKEN_BROKER_PORTAL: 'on',
      TOKEN_BROKER_PORTAL_ROLES: '*/ReadOnlyAccess',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
      TOKEN_BROKER_SECRET_ID: SECRET_ID,
      TOKEN_BROKER_REDIRECT_URIS: `${REDIRECT},${SESSION_REDIRECT}`,
      TOKEN_BROKER_ALLOWED_ORIGINS: ORIGIN,
      TOKEN_BROKER_COOKIE_SESSIONS: 'on',
      TOKEN_BROKER_COOKIE_KEYS_SECRET_ID: KEYS_SECRET_ID,
      TOKEN_BROKER_SESSION_ORIGINS: SESSION_ORIGIN,
      TOKEN_BROKER_APIS: `orders=${apiRelay.url}/v1 GET POST`,
    }),
  );
});

afterAll(async () => {
  await broker?.stop();
  await relay?.stop();
  await apiRelay?.stop();
  await new Promise((resolve) => api?.close(resolve));
  await oidc?.stop();
  await secrets?.stop();
});

const upstreamTokenCalls = (): number => oidc.callCount('/token');

/** A code exchange at /token: the broker's connection to SSO OIDC is pooled afterwards. */
async function jsonExchange(): Promise<Answer> {
  const { verifier, challenge } = pkcePair();
  const code = oidc.authorize({ clientId, redirectUri: REDIRECT, codeChallenge: challenge });
  watch.remember(code, verifier);
  return postJson(`${broker.url}/token`, { grantType: 'authorization_code', clientId, code, codeVerifier: verifier, redirectUri: REDIRECT });
}

/** A cookie session signed in on the session origin: its jar. */
async function sessionSignIn(): Promise<CookieJar> {
  const jar = new CookieJar();
  const start = await bff(broker.url, ROUTES.bffLoginStart, jar, { origin: SESSION_ORIGIN, body: { redirectUri: SESSION_REDIRECT } });
  const pageUrl = await pageUrlAfterSignIn(start.body.authorizationUrl as string);
  const end = await bff(broker.url, ROUTES.bffLoginEnd, jar, { origin: SESSION_ORIGIN, body: { pageUrl } });
  expect(end.body.isLoggedIn).toBe(true);
  watch.remember(...jar.cookies.values());
  return jar;
}

/** What every faulted call must show: one CreateToken upstream, one reset, a 502 in the log line. */
async function expectOneCallAnd502(answer: Answer, calls: number, resets: number): Promise<void> {
  expect(relay.armed).toBe(false);
  expect(relay.resets - resets).toBe(1);
  expect(upstreamTokenCalls() - calls).toBe(1);
  const line = await logLineFor(broker, answer);
  expect([line.status, line.outcome, line.upstreamCalls]).toEqual([502, 'BadGatewayException', 1]);
}

describe('SSO OIDC read the whole request, acted on it, and reset the pooled connection: one request, 502', () => {
  it('POST /token: the code is sent once; the caller gets the retryable 502, not invalid_grant', async () => {
    expect((await jsonExchange()).status).toBe(200);
    const [calls, resets] = [upstreamTokenCalls(), relay.resets];
    relay.arm('reset-after-answer');
    const answer = await jsonExchange();
    expect([answer.status, answer.body.__type, answer.body.error]).toEqual([502, 'BadGatewayException', 'temporarily_unavailable']);
    await expectOneCallAnd502(answer, calls, resets);
  });

  it('POST /oauth2/token: the refresh token is sent once; 502 temporarily_unavailable (RFC 6749 §5.2), not invalid_grant', async () => {
    const signIn = await signInThroughFrontDoor({ broker }, { redirectUri: REDIRECT, scope: 'sso:account:access' });
    watch.remember(signIn.code, signIn.verifier);
    const exchanged = await postForm(`${broker.url}/oauth2/token`, {
      grant_type: 'authorization_code',
      client_id: PUBLIC_CLIENT_ID,
      code: signIn.code,
      redirect_uri: REDIRECT,
      code_verifier: signIn.verifier,
    });
    expect(exchanged.status).toBe(200);
    watch.remember(exchanged.body.access_token, exchanged.body.refresh_token);
    const [calls, resets] = [upstreamTokenCalls(), relay.resets];
    relay.arm('reset-after-answer');
    const refreshed = await postForm(`${broker.url}/oauth2/token`, {
      grant_type: 'refresh_token',
      client_id: PUBLIC_CLIENT_ID,
      refresh_token: exchanged.body.refresh_token as string,
    });
    const answer = toAnswer(refreshed.status, Object.fromEntries(refreshed.headers), refreshed.text);
    expect([answer.status, answer.body.error, answer.headers['x-amzn-errortype']]).toEqual([502, 'temporarily_unavailable', 'BadGatewayException']);
    await expectOneCallAnd502(answer, calls, resets);
  });

  it('POST /bff/refresh: the refresh token is sent once; 502, and the session cookie is left alone (not 401 session_expired)', async () => {
    const jar = await sessionSignIn();
    const [calls, resets] = [upstreamTokenCalls(), relay.resets];
    relay.arm('reset-after-answer');
    const refreshed = await bff(broker.url, ROUTES.bffRefresh, jar, { origin: SESSION_ORIGIN });
    expect([refreshed.status, refreshed.body.__type]).toEqual([502, 'BadGatewayException']);
    expect(refreshed.setCookies).toEqual([]);
    await expectOneCallAnd502(toAnswer(refreshed.status, Object.fromEntries(refreshed.headers), refreshed.text), calls, resets);
  });
});

describe('the access portal and the bearer proxy: the server read the whole request, acted on it, and reset the pooled connection', () => {
  it('POST /portal/logout: the portal\u2019s Logout is sent once; the caller gets 502 in the portal\u2019s shape', async () => {
    const exchanged = await jsonExchange();
    expect(exchanged.status).toBe(200);
    const accessToken = exchanged.body.accessToken as string;
    watch.remember(accessToken, exchanged.body.refreshToken);
    const portal = (method: string, path: string) =>
      fetch(`${broker.url}${path}`, { method, headers: { 'x-amz-sso_bearer_token': accessToken } });
    // A first portal call leaves a pooled connection to the portal.
    expect((await portal('GET', '/portal/assignment/accounts?max_result=10')).status).toBe(200);
    const [logouts, resets] = [oidc.callCount('/logout'), relay.resets];
    relay.arm('reset-after-answer');
    const response = await portal('POST', '/portal/logout');
    const text = await response.text();
    expect([response.status, response.headers.get('x-amzn-errortype')]).toEqual([502, 'BadGatewayException']);
    expect(JSON.parse(text)).toMatchObject({ __type: 'BadGatewayException' });
    expect(relay.armed).toBe(false);
    expect(relay.resets - resets).toBe(1);
    expect(oidc.callCount('/logout') - logouts).toBe(1);
  });

  it('POST /bff/api/{name}/...: the API gets the request once; the page gets 502, its session left alone', async () => {
    const jar = await sessionSignIn();
    const proxy = (method: string, body?: string) =>
      fetch(`${broker.url}/bff/api/orders/items`, {
        method,
        headers: { origin: SESSION_ORIGIN, 'x-token-broker-csrf': '1', cookie: jar.header(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body }),
      });
    // A first call leaves a pooled connection to the API.
    expect((await proxy('GET')).status).toBe(200);
    const before = apiRequests.length;
    const resets = apiRelay.resets;
    apiRelay.arm('reset-after-answer');
    const response = await proxy('POST', '{"item":"one order, not two"}');
    const text = await response.text();
    expect([response.status, response.headers.get('x-amzn-errortype')]).toEqual([502, 'BadGatewayException']);
    expect(JSON.parse(text)).toMatchObject({ __type: 'BadGatewayException' });
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(apiRelay.armed).toBe(false);
    expect(apiRelay.resets - resets).toBe(1);
    expect(apiRequests.slice(before)).toEqual(['POST /v1/items']);
  });
});

describe('a pooled connection reset as the request arrived, before a byte of it was passed on', () => {
  it('is a 502 too: the request was written whole, and the broker cannot tell this from a server that read it', async () => {
    expect((await jsonExchange()).status).toBe(200);
    const [calls, resets] = [upstreamTokenCalls(), relay.resets];
    relay.arm('reset-on-arrival');
    const answer = await jsonExchange();
    expect([answer.status, answer.body.__type]).toEqual([502, 'BadGatewayException']);
    expect(relay.resets - resets).toBe(1);
    expect(upstreamTokenCalls() - calls).toBe(0);
  });
});

it('no secret, code, verifier or token reached a log', () => {
  expect(watch.size).toBeGreaterThan(5);
  expect(watch.findIn(broker.output())).toEqual([]);
});
