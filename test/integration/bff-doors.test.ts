// Separate doors, against the broker as `npm start` runs it: page script on a cookie-session origin
// can never acquire a token of its own. Every token-acquiring route (POST /token, /oauth2/token,
// /device_authorization, /oauth2/device_authorization) refuses its Origin, JSON and form alike, with
// or without a fresh sign-in to the /bff redirect URI in hand; the /bff redirect URIs are reserved
// for /bff/login/end (the front door refuses them for its public client, the JSON API refuses them,
// and a cookie session's code is redeemed nowhere else even by a caller that sends no Origin).
// Nothing refused reaches SSO OIDC.

import { generateCookieKey } from '../../lambda/core/cookie-keys.js';
import { ROUTES } from '../../lambda/edge/routes.js';
import { bff, CookieJar } from '../helpers/bff.js';
import { post } from '../helpers/broker-process.js';
import { DEVICE_GRANT, startEnvironment, type Environment } from '../helpers/environment.js';
import { authorizeUrl, frontDoorEnv, get, LOOPBACK_CALLBACK, PUBLIC_CLIENT_ID, postForm, throughSsoOidc } from '../helpers/front-door.js';
import { pkcePair } from '../helpers/pkce.js';

const SPA = 'https://app.example.com';
const SPA_PAGE = `${SPA}/`;
const TOOLS = 'https://tools.example.com';
const TOOLS_PAGE = `${TOOLS}/callback`;
const KEYS_SECRET = 'bff-doors/cookie-keys';

let environment: Environment;

beforeAll(async () => {
  environment = await startEnvironment({
    name: 'bff-doors',
    redirectUri: SPA_PAGE,
    // Registered with SSO OIDC too, as a careless operator might: the broker must still refuse it.
    extraRedirectUris: [LOOPBACK_CALLBACK, TOOLS_PAGE],
    brokerEnv: frontDoorEnv({
      TOKEN_BROKER_ALLOWED_ORIGINS: TOOLS,
      TOKEN_BROKER_SESSION_ORIGINS: SPA,
      TOKEN_BROKER_REDIRECT_URIS: `${SPA_PAGE},${TOOLS_PAGE}`,
      TOKEN_BROKER_COOKIE_SESSIONS: 'on',
      TOKEN_BROKER_COOKIE_KEYS_SECRET_ID: KEYS_SECRET,
    }),
  });
  environment.secrets.putSecret(KEYS_SECRET, JSON.stringify(generateCookieKey()));
});

afterAll(async () => {
  await environment?.stop();
});

const url = (route: string): string => `${environment.broker.url}${route.split(' ')[1]}`;
const tokenCalls = (): number => environment.oidc.callCount('/token') + environment.oidc.callCount('/device_authorization');

/** A fresh cookie-session sign-in, as page script on the SPA could begin it: the page URL it comes back to (with a sealed code). */
async function freshSessionSignIn(): Promise<{ code: string; pageUrl: string }> {
  const start = await bff(environment.broker.url, ROUTES.bffLoginStart, new CookieJar(), { origin: SPA });
  const callback = await throughSsoOidc(String(start.body.authorizationUrl));
  const back = await get(callback);
  return { code: new URL(back.location!).searchParams.get('code')!, pageUrl: back.location! };
}

describe('from a cookie-session origin, no route acquires a token', () => {
  it('POST /token (JSON): every grant, with a fresh code the SPA\u2019s redirect URI received and without', async () => {
    const { code } = await freshSessionSignIn();
    const before = tokenCalls();
    const { verifier } = pkcePair();
    const bodies = [
      { grantType: 'authorization_code', code, codeVerifier: verifier, redirectUri: SPA_PAGE },
      { grantType: 'authorization_code', code: 'upstream-looking-code', codeVerifier: verifier, redirectUri: TOOLS_PAGE },
      { grantType: 'refresh_token', refreshToken: 'anything' },
      { grantType: DEVICE_GRANT, deviceCode: 'anything' },
    ];
    for (const body of bodies) {
      const answer = await post(url(ROUTES.token), body, { origin: SPA });
      expect([body.grantType, answer.status, answer.headers.get('x-amzn-errortype')]).toEqual([body.grantType, 403, 'ForbiddenOriginException']);
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    }
    expect(tokenCalls()).toBe(before);
  });

  it('POST /oauth2/token (form), POST /device_authorization and POST /oauth2/device_authorization, and their preflights', async () => {
    const { code } = await freshSessionSignIn();
    const before = tokenCalls();
    const form = await postForm(url(ROUTES.oauthToken), { grant_type: 'authorization_code', client_id: PUBLIC_CLIENT_ID, code, redirect_uri: SPA_PAGE, code_verifier: pkcePair().verifier }, { origin: SPA });
    expect([form.status, form.body.error]).toEqual([403, 'access_denied']);
    const device = await post(url(ROUTES.deviceAuthorization), { startUrl: 'https://d-1.awsapps.com/start' }, { origin: SPA });
    expect(device.status).toBe(403);
    const frontDoorDevice = await postForm(url(ROUTES.oauthDeviceAuthorization), { client_id: PUBLIC_CLIENT_ID }, { origin: SPA });
    expect(frontDoorDevice.status).toBe(403);
    for (const route of [ROUTES.token, ROUTES.oauthToken, ROUTES.deviceAuthorization, ROUTES.oauthDeviceAuthorization]) {
      const preflight = await fetch(url(route), { method: 'OPTIONS', headers: { origin: SPA, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
      expect([route, preflight.status, preflight.headers.get('access-control-allow-origin')]).toEqual([route, 403, null]);
    }
    expect(tokenCalls()).toBe(before);
  });
});

describe('the /bff redirect URIs are reserved for /bff/login/end', () => {
  it('a cookie session\u2019s code is refused at the token endpoints even without an Origin (a server, curl): invalid_grant and invalid_request, nothing sent', async () => {
    const { code } = await freshSessionSignIn();
    const before = tokenCalls();
    const form = await postForm(url(ROUTES.oauthToken), { grant_type: 'authorization_code', client_id: PUBLIC_CLIENT_ID, code, redirect_uri: SPA_PAGE, code_verifier: pkcePair().verifier });
    expect([form.status, form.body.error]).toEqual([400, 'invalid_grant']);
    const json = await post(url(ROUTES.token), { grantType: 'authorization_code', code, codeVerifier: pkcePair().verifier, redirectUri: SPA_PAGE });
    expect([json.status, json.body.error, String(json.body.error_description)]).toEqual([400, 'invalid_request', expect.stringMatching(/cookie-session origin/)]);
    expect(tokenCalls()).toBe(before);
  });

  it('the front door\u2019s authorization endpoint refuses them for its public client: a page, never a redirect', async () => {
    const refused = await get(authorizeUrl(environment.broker.url, { redirectUri: SPA_PAGE, clientId: PUBLIC_CLIENT_ID }));
    expect([refused.status, refused.location]).toEqual([400, null]);
    expect(refused.text).toMatch(/cookie-session origin/);
    // The token-API origin's own redirect URI is served as before.
    const served = await get(authorizeUrl(environment.broker.url, { redirectUri: TOOLS_PAGE }));
    expect(served.status).toBe(302);
  });

  it('/bff/login/end, from the SPA, redeems the same kind of code: the door is open where it should be', async () => {
    const jar = new CookieJar();
    const start = await bff(environment.broker.url, ROUTES.bffLoginStart, jar, { origin: SPA });
    const back = await get(await throughSsoOidc(String(start.body.authorizationUrl)));
    const end = await bff(environment.broker.url, ROUTES.bffLoginEnd, jar, { origin: SPA, body: { pageUrl: back.location } });
    expect(end.status).toBe(200);
    expect(Object.keys(end.body).sort()).toEqual(['expiresIn', 'isLoggedIn', 'sessionExpiresAt']);
  });
});
