// The broker never sends a CreateToken twice, against the broker as `npm start` runs it. A relay
// (support/relay.ts) in front of the SSO OIDC emulator passes a request on a pooled connection to
// SSO OIDC whole, lets SSO OIDC act on it (the code is spent, the refresh token rotated) and then
// resets the connection without passing on a byte of the answer. The request was written whole, so
// the broker cannot know it was not received: it answers 502 and SSO OIDC saw the request once,
// never the same code or refresh token twice (which would end in a terminal invalid_grant, or a
// signed-out cookie session). Through every door that calls CreateToken: /token, /oauth2/token and
// /bff/refresh. The portal and API-proxy calls go through the same handler; their cases are added here
// with the same relay.

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
const SECRET_ID = 'no-replay/registration';
const KEYS_SECRET_ID = 'no-replay/cookie-keys';

const watch = new LeakWatch();
let oidc: SsoOidcEmulator;
let secrets: SecretsManagerEmulator;
let relay: Relay;
let broker: BrokerProcess;
let clientId: string;

beforeAll(async () => {
  // Every refresh rotates the refresh token and revokes the old one, as the upstream did.
  oidc = await SsoOidcEmulator.start({ rotateRefreshTokens: true });
  secrets = await SecretsManagerEmulator.start();
  const registration = oidc.registerClient({
    clientName: 'no-replay',
    clientType: 'public',
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [REDIRECT, LOOPBACK_CALLBACK],
    issuerUrl: oidc.url,
  });
  clientId = registration.clientId;
  watch.remember(registration.clientSecret);
  secrets.putSecret(SECRET_ID, JSON.stringify(registration));
  const keys = generateCookieKey();
  watch.remember(keys.key);
  secrets.putSecret(KEYS_SECRET_ID, JSON.stringify(keys));
  relay = await Relay.start(oidc.url);
  broker = await startBroker(
    frontDoorEnv({
      AWS_ENDPOINT_URL_SSO_OIDC: relay.url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
      TOKEN_BROKER_SECRET_ID: SECRET_ID,
      TOKEN_BROKER_REDIRECT_URIS: REDIRECT,
      TOKEN_BROKER_ALLOWED_ORIGINS: ORIGIN,
      TOKEN_BROKER_COOKIE_SESSIONS: 'on',
      TOKEN_BROKER_COOKIE_KEYS_SECRET_ID: KEYS_SECRET_ID,
    }),
  );
});

afterAll(async () => {
  await broker?.stop();
  await relay?.stop();
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
    const jar = new CookieJar();
    const start = await bff(broker.url, ROUTES.bffLoginStart, jar, { origin: ORIGIN, body: { redirectUri: REDIRECT } });
    const pageUrl = await pageUrlAfterSignIn(start.body.authorizationUrl as string);
    const end = await bff(broker.url, ROUTES.bffLoginEnd, jar, { origin: ORIGIN, body: { pageUrl } });
    expect(end.body.isLoggedIn).toBe(true);
    watch.remember(end.body.accessToken, ...jar.cookies.values());
    const [calls, resets] = [upstreamTokenCalls(), relay.resets];
    relay.arm('reset-after-answer');
    const refreshed = await bff(broker.url, ROUTES.bffRefresh, jar, { origin: ORIGIN });
    expect([refreshed.status, refreshed.body.__type]).toEqual([502, 'BadGatewayException']);
    expect(refreshed.setCookies).toEqual([]);
    await expectOneCallAnd502(toAnswer(refreshed.status, Object.fromEntries(refreshed.headers), refreshed.text), calls, resets);
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
