// The front door's token and device authorization requests (lambda/surfaces/oauth/token-form.ts):
// forms from public clients only (RFC 6749 §2.3, §3.2), each parameter once, each grant's parameters
// required (RFC 6749 §4.1.3, §6; RFC 7636 §4.1; RFC 8628 §3.1, §3.4); then the two endpoints that
// read them (surfaces/oauth/index.ts): the client_id check and the RFC 6749 §5.1 / RFC 8628 §3.2
// answers.

import { jest } from '@jest/globals';
import { newAudit } from '../../lambda/core/audit.js';
import { loadConfig } from '../../lambda/core/config.js';
import { BrokerError } from '../../lambda/core/errors.js';
import { sealCode, type FrontDoorDeps } from '../../lambda/core/front-door-grants.js';
import type { Registration } from '../../lambda/core/registration.js';
import { openSealed, sealFor } from '../../lambda/core/sealed.js';
import type { Upstream } from '../../lambda/core/upstream.js';
import { ROUTE_TABLE } from '../../lambda/edge/routes.js';
import { oauthRoutes } from '../../lambda/surfaces/oauth/index.js';
import { parseDeviceForm, parseTokenForm } from '../../lambda/surfaces/oauth/token-form.js';

const DEVICE = 'urn:ietf:params:oauth:grant-type:device_code';
const ISSUER = 'https://auth.example.com';
const REDIRECT = 'https://app.example.com/callback';
const FORM = 'application/x-www-form-urlencoded';
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const ENV = { TOKEN_BROKER_SECRET_ID: 'registration', AWS_REGION: 'us-east-1', TOKEN_BROKER_ISSUER: ISSUER, TOKEN_BROKER_REDIRECT_URIS: REDIRECT };
/** The default grants: authorization_code and refresh_token. */
const CONFIG = loadConfig(ENV);
const WITH_DEVICE = loadConfig({
  ...ENV,
  TOKEN_BROKER_GRANT_TYPES: `authorization_code,refresh_token,${DEVICE}`,
  TOKEN_BROKER_START_URL: 'https://d-1234567890.awsapps.com/start',
});

const form = (params: Record<string, string>, extra = '') => `${new URLSearchParams(params).toString()}${extra}`;
const request = (body: string | undefined, headers: Record<string, string | undefined> = { 'content-type': FORM }) => ({ body, headers });
const CODE_FORM = { grant_type: 'authorization_code', client_id: 'token-broker', code: 'sealed-code', redirect_uri: REDIRECT, code_verifier: VERIFIER };

/** The BrokerError a call throws. */
function thrown(call: () => unknown): BrokerError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(BrokerError);
    return error as BrokerError;
  }
  throw new Error('expected the form to be refused');
}

describe('parseTokenForm', () => {
  it('RFC 6749 §2.3, §5.2: HTTP authentication is invalid_client (public clients only), before the form is read', () => {
    for (const authorization of ['Basic dG9rZW4tYnJva2VyOnNlY3JldA==', 'Bearer x', '']) {
      const error = thrown(() => parseTokenForm(request('%ZZ', { authorization, 'content-type': 'application/json' }), CONFIG));
      expect([authorization, error.status, error.type, error.error]).toEqual([authorization, 401, 'InvalidClientException', 'invalid_client']);
    }
  });

  it('RFC 6749 §2.3.1: a client_secret is invalid_client too', () => {
    const error = thrown(() => parseTokenForm(request(form({ ...CODE_FORM, client_secret: 'hunter2' })), CONFIG));
    expect([error.status, error.error]).toEqual([401, 'invalid_client']);
    expect(error.description).not.toContain('hunter2');
  });

  it('RFC 7521 §4.2, RFC 7523 §2.2: a client assertion is client authentication too: invalid_client, as a client_secret is', () => {
    const assertion = { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln' };
    const alone: Record<string, string>[] = [{ client_assertion: assertion.client_assertion }, { client_assertion_type: assertion.client_assertion_type }];
    for (const sent of [assertion, ...alone]) {
      for (const parse of [() => parseTokenForm(request(form({ ...CODE_FORM, ...sent })), CONFIG), () => parseDeviceForm(request(form({ client_id: 'token-broker', ...sent })))]) {
        const error = thrown(parse);
        expect([Object.keys(sent), error.status, error.type, error.error]).toEqual([Object.keys(sent), 401, 'InvalidClientException', 'invalid_client']);
        expect(error.description).toMatch(/public clients only/);
        expect(error.description).not.toContain(assertion.client_assertion);
      }
    }
  });

  it('RFC 6749 §3.2: the body must be application/x-www-form-urlencoded, in UTF-8', () => {
    for (const contentType of [undefined, 'application/json', 'text/plain', 'multipart/form-data', `${FORM}; charset=iso-8859-1`, `${FORM}x`]) {
      const error = thrown(() => parseTokenForm(request(form(CODE_FORM), { 'content-type': contentType }), CONFIG));
      expect([contentType, error.status, error.type]).toEqual([contentType, 415, 'UnsupportedMediaTypeException']);
    }
    for (const contentType of [FORM, 'Application/X-WWW-Form-Urlencoded', `${FORM}; charset=UTF-8`, `${FORM};charset="utf-8"`]) {
      expect(parseTokenForm(request(form(CODE_FORM), { 'content-type': contentType }), CONFIG).grantType).toBe('authorization_code');
    }
  });

  it('RFC 6749 §3.2: a parameter sent twice is invalid_request, even with the same value or once empty', () => {
    for (const extra of ['&code=sealed-code', '&scope=a&scope=b', '&redirect_uri=', '&grant_type=authorization_code']) {
      const error = thrown(() => parseTokenForm(request(form(CODE_FORM, extra)), CONFIG));
      expect([extra, error.status, error.error]).toEqual([extra, 400, 'invalid_request']);
      expect(error.description).toContain('more than once');
    }
  });

  it('RFC 6749 §3.1: a parameter sent without a value counts as omitted', () => {
    const error = thrown(() => parseTokenForm(request(form({ ...CODE_FORM, client_id: '' })), CONFIG));
    expect([error.error, error.description]).toEqual(['invalid_request', expect.stringContaining('"client_id" is required')]);
  });

  it('refuses bad percent-encoding with invalid_request', () => {
    expect(thrown(() => parseTokenForm(request(`${form(CODE_FORM)}&x=%E0%A4%A`), CONFIG)).error).toBe('invalid_request');
  });

  it('RFC 6749 §4.1.3, §5.2: grant_type is required, and one not enabled is unsupported_grant_type', () => {
    const { grant_type: _omitted, ...noGrant } = CODE_FORM;
    expect(thrown(() => parseTokenForm(request(form(noGrant)), CONFIG)).description).toContain('"grant_type" is required');
    for (const grant of [DEVICE, 'password', 'client_credentials', 'Authorization_Code']) {
      const error = thrown(() => parseTokenForm(request(form({ ...CODE_FORM, grant_type: grant })), CONFIG));
      expect([grant, error.status, error.error]).toEqual([grant, 400, 'unsupported_grant_type']);
    }
    // A long grant type is quoted cut short.
    const long = thrown(() => parseTokenForm(request(form({ ...CODE_FORM, grant_type: 'g'.repeat(500) })), CONFIG));
    expect(long.description!.length).toBeLessThan(150);
  });

  it('RFC 6749 §3.2.1: a public client names itself with client_id', () => {
    const { client_id: _omitted, ...noClient } = CODE_FORM;
    const error = thrown(() => parseTokenForm(request(form(noClient)), CONFIG));
    expect([error.error, error.description]).toEqual(['invalid_request', expect.stringContaining('"client_id" is required')]);
  });

  it('RFC 6749 §4.1.3: code, redirect_uri and code_verifier are each required', () => {
    for (const name of ['code', 'redirect_uri', 'code_verifier'] as const) {
      const { [name]: _omitted, ...rest } = CODE_FORM;
      const error = thrown(() => parseTokenForm(request(form(rest)), CONFIG));
      expect([name, error.error, error.description]).toEqual([name, 'invalid_request', expect.stringContaining(`"${name}" is required`)]);
    }
  });

  it('RFC 7636 §4.1: code_verifier is 43 to 128 unreserved characters, and is never quoted back', () => {
    for (const verifier of [VERIFIER.slice(1), 'a'.repeat(129), `${VERIFIER.slice(1)}+`, `${VERIFIER.slice(1)}/`, `${VERIFIER.slice(1)}=`]) {
      const error = thrown(() => parseTokenForm(request(form({ ...CODE_FORM, code_verifier: verifier })), CONFIG));
      expect([verifier, error.error]).toEqual([verifier, 'invalid_request']);
      expect(error.description).not.toContain(verifier);
    }
    const unreserved = 'AZaz09-._~'.repeat(5).slice(0, 43);
    for (const verifier of [unreserved, 'a'.repeat(128)]) {
      expect(parseTokenForm(request(form({ ...CODE_FORM, code_verifier: verifier })), CONFIG)).toMatchObject({ codeVerifier: verifier });
    }
  });

  it('RFC 6749 §4.1.3: an authorization code request, exactly as sent', () => {
    expect(parseTokenForm(request(form(CODE_FORM)), CONFIG)).toStrictEqual({
      grantType: 'authorization_code',
      clientId: 'token-broker',
      code: 'sealed-code',
      redirectUri: REDIRECT,
      codeVerifier: VERIFIER,
    });
  });

  it('RFC 6749 §6: a refresh request needs refresh_token; its scope is passed on only when sent', () => {
    const base = { grant_type: 'refresh_token', client_id: 'token-broker' };
    expect(thrown(() => parseTokenForm(request(form(base)), CONFIG)).description).toContain('"refresh_token" is required');
    expect(parseTokenForm(request(form({ ...base, refresh_token: 'rt' })), CONFIG)).toStrictEqual({ grantType: 'refresh_token', clientId: 'token-broker', refreshToken: 'rt' });
    expect(parseTokenForm(request(form({ ...base, refresh_token: 'rt', scope: 'a b' })), CONFIG)).toEqual({
      grantType: 'refresh_token',
      clientId: 'token-broker',
      refreshToken: 'rt',
      scope: 'a b',
    });
  });

  it('RFC 8628 §3.4: a device access token request needs device_code', () => {
    const base = { grant_type: DEVICE, client_id: 'token-broker' };
    expect(thrown(() => parseTokenForm(request(form(base)), WITH_DEVICE)).description).toContain('"device_code" is required');
    expect(parseTokenForm(request(form({ ...base, device_code: 'dc' })), WITH_DEVICE)).toStrictEqual({ grantType: DEVICE, clientId: 'token-broker', deviceCode: 'dc' });
  });
});

describe('parseDeviceForm (RFC 8628 §3.1)', () => {
  it('needs client_id; scope is passed on only when sent', () => {
    expect(thrown(() => parseDeviceForm(request(form({ scope: 'a' })))).description).toContain('"client_id" is required');
    expect(parseDeviceForm(request(form({ client_id: 'token-broker' })))).toStrictEqual({ clientId: 'token-broker' });
    expect(parseDeviceForm(request(form({ client_id: 'token-broker', scope: 'openid a' })))).toEqual({ clientId: 'token-broker', scope: 'openid a' });
  });

  it('serves public clients only, one value per parameter, forms only (RFC 6749 §2.3, §3.2)', () => {
    expect(thrown(() => parseDeviceForm(request(form({ client_id: 'x' }), { authorization: 'Basic eDp5', 'content-type': FORM }))).error).toBe('invalid_client');
    expect(thrown(() => parseDeviceForm(request(form({ client_id: 'x', client_secret: 's' })))).error).toBe('invalid_client');
    expect(thrown(() => parseDeviceForm(request(form({ client_id: 'x' }, '&client_id=y')))).error).toBe('invalid_request');
    expect(thrown(() => parseDeviceForm(request(form({ client_id: 'x' }), { 'content-type': 'application/json' }))).status).toBe(415);
  });
});

// ---- the endpoints that read these forms (surfaces/oauth/index.ts) ----

const CURRENT: Registration = { clientId: 'client-current', clientSecret: 'secret-current-0123456789' };
const PREVIOUS: Registration = { clientId: 'client-previous', clientSecret: 'secret-previous-0123456789' };

function frontDoor(config = WITH_DEVICE) {
  const known = [CURRENT, PREVIOUS];
  const upstream = {
    createToken: jest.fn<Upstream['createToken']>(async () => ({
      body: { accessToken: 'at', tokenType: 'Bearer', expiresIn: 3600, refreshToken: 'upstream-rt' },
      status: 200,
      requestId: 'up-1',
    })),
    startDeviceAuthorization: jest.fn<Upstream['startDeviceAuthorization']>(async () => ({
      body: { deviceCode: 'upstream-dc', userCode: 'ABCD-EFGH', verificationUri: 'https://device.sso.us-east-1.amazonaws.com/', verificationUriComplete: 'https://device.sso.us-east-1.amazonaws.com/?user_code=ABCD-EFGH', expiresIn: 600, interval: 5 },
      status: 200,
      requestId: 'up-2',
    })),
  };
  const deps: FrontDoorDeps = {
    config,
    issuer: ISSUER,
    callbackUrl: `${ISSUER}${ROUTE_TABLE.oauthCallback.path}`,
    registrations: {
      get: async () => CURRENT,
      forClient: async (clientId) => (clientId === undefined ? CURRENT : known.find((r) => r.clientId === clientId)),
      refresh: async () => ({ registration: CURRENT, changed: false }),
    },
    upstream,
  };
  // No endpoint here calls the access portal (revocation has a file of its own: oauth-revoke.test.ts).
  const portal = { call: async (): Promise<never> => { throw new Error('the access portal is not called here'); } };
  return { deps, upstream, routes: oauthRoutes(deps, portal) };
}
const post = (body: string, headers: Record<string, string> = { 'content-type': FORM }) => ({ body, rawQuery: '', headers, cookies: [] });

describe('the token endpoint', () => {
  it('RFC 6749 §5.1: answers in snake_case, with the refresh token sealed and the scope granted', async () => {
    const { deps, routes, upstream } = frontDoor();
    const code = sealCode('upstream-code', REDIRECT, 'sso:account:access', CURRENT);
    const answer = await routes.oauthToken(post(form({ ...CODE_FORM, code })), newAudit());
    expect(answer).toEqual({
      statusCode: 200,
      body: { access_token: 'at', token_type: 'Bearer', expires_in: 3600, refresh_token: expect.any(String), scope: 'sso:account:access' },
    });
    const refreshToken = (answer as { body: { refresh_token: string } }).body.refresh_token;
    expect((await openSealed('refresh_token', refreshToken, deps.registrations))?.value).toEqual({ refreshToken: 'upstream-rt', scope: 'sso:account:access' });
    expect(upstream.createToken).toHaveBeenCalledTimes(1);
  });

  it('RFC 6749 §3.2.1, §5.2: a client_id that is neither the public alias nor a registration\'s is invalid_client, before SSO OIDC', async () => {
    const { routes, upstream } = frontDoor();
    const code = sealCode('upstream-code', REDIRECT, '', CURRENT);
    await expect(routes.oauthToken(post(form({ ...CODE_FORM, code, client_id: 'someone-else' })), newAudit())).rejects.toMatchObject({
      status: 401,
      type: 'InvalidClientException',
    });
    expect(upstream.createToken).not.toHaveBeenCalled();
    // The current and the previous registration's own ids are clients of the broker too.
    for (const clientId of [CURRENT.clientId, PREVIOUS.clientId]) {
      await expect(routes.oauthToken(post(form({ ...CODE_FORM, code, client_id: clientId })), newAudit())).resolves.toMatchObject({ statusCode: 200 });
    }
  });

  it('records the grant type for the log before anything can fail upstream', async () => {
    const { routes } = frontDoor();
    const audit = newAudit();
    await expect(routes.oauthToken(post(form({ grant_type: 'refresh_token', client_id: 'token-broker', refresh_token: 'not-sealed' })), audit)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    expect(audit.grantType).toBe('refresh_token');
  });

  it('RFC 6749 §3.3, §5.1: no scope member, never "scope": "", when SSO OIDC was asked for none (or only openid)', async () => {
    const { routes } = frontDoor();
    const code = sealCode('upstream-code', REDIRECT, '', CURRENT);
    const answer = await routes.oauthToken(post(form({ ...CODE_FORM, code })), newAudit());
    expect(answer).toEqual({ statusCode: 200, body: { access_token: 'at', token_type: 'Bearer', expires_in: 3600, refresh_token: expect.any(String) } });
  });

  it('RFC 6749 §5.1: no refresh_token member when SSO OIDC sent none, and the id token when it sent one', async () => {
    const { routes, upstream } = frontDoor();
    upstream.createToken.mockResolvedValueOnce({ body: { accessToken: 'at', expiresIn: 60, idToken: 'id.token.value' }, status: 200, requestId: undefined });
    const refreshToken = sealFor('refresh_token', { refreshToken: 'upstream-rt', scope: 'a' }, CURRENT);
    const answer = await routes.oauthToken(post(form({ grant_type: 'refresh_token', client_id: 'token-broker', refresh_token: refreshToken })), newAudit());
    expect(answer).toEqual({ statusCode: 200, body: { access_token: 'at', token_type: 'Bearer', expires_in: 60, scope: 'a', id_token: 'id.token.value' } });
  });
});

describe('the device authorization endpoint (RFC 8628 §3.1, §3.2)', () => {
  it('answers with RFC 8628 §3.2\'s members, the device code sealed', async () => {
    const { deps, routes } = frontDoor();
    const answer = await routes.oauthDeviceAuthorization(post(form({ client_id: 'token-broker', scope: 'openid sso:account:access' })), newAudit());
    expect(answer).toEqual({
      statusCode: 200,
      body: {
        device_code: expect.any(String),
        user_code: 'ABCD-EFGH',
        verification_uri: 'https://device.sso.us-east-1.amazonaws.com/',
        verification_uri_complete: 'https://device.sso.us-east-1.amazonaws.com/?user_code=ABCD-EFGH',
        expires_in: 600,
        interval: 5,
      },
    });
    const deviceCode = (answer as { body: { device_code: string } }).body.device_code;
    // SSO OIDC's StartDeviceAuthorization takes no scope: none is kept to be reported later.
    expect((await openSealed('device_code', deviceCode, deps.registrations))?.value).toEqual({ deviceCode: 'upstream-dc' });
  });

  it('RFC 6749 §3.3: a scope that is not scope tokens separated by single spaces is invalid_scope, before SSO OIDC', async () => {
    const { routes, upstream } = frontDoor();
    for (const scope of ['a  b', '<x> "y"', 'a ', '\u00e9']) {
      await expect(routes.oauthDeviceAuthorization(post(form({ client_id: 'token-broker', scope })), newAudit())).rejects.toMatchObject({
        status: 400,
        type: 'InvalidScopeException',
        error: 'invalid_scope',
      });
    }
    expect(upstream.startDeviceAuthorization).not.toHaveBeenCalled();
  });

  it('RFC 6749 §5.1: the token answer of a device grant reports no scope (none was sent to SSO OIDC), nor does its refresh token seal one', async () => {
    const { deps, routes } = frontDoor();
    const started = await routes.oauthDeviceAuthorization(post(form({ client_id: 'token-broker', scope: 'sso:account:access' })), newAudit());
    const deviceCode = (started as { body: { device_code: string } }).body.device_code;
    const answer = await routes.oauthToken(post(form({ grant_type: DEVICE, client_id: 'token-broker', device_code: deviceCode })), newAudit());
    expect(answer).toEqual({ statusCode: 200, body: { access_token: 'at', token_type: 'Bearer', expires_in: 3600, refresh_token: expect.any(String) } });
    const refreshToken = (answer as { body: { refresh_token: string } }).body.refresh_token;
    expect((await openSealed('refresh_token', refreshToken, deps.registrations))?.value).toEqual({ refreshToken: 'upstream-rt', scope: '' });
  });

  it('refuses an unknown client_id with invalid_client before SSO OIDC', async () => {
    const { routes, upstream } = frontDoor();
    await expect(routes.oauthDeviceAuthorization(post(form({ client_id: 'someone-else' })), newAudit())).rejects.toMatchObject({ status: 401, error: 'invalid_client' });
    expect(upstream.startDeviceAuthorization).not.toHaveBeenCalled();
  });
});
