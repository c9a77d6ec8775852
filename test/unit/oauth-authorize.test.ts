// GET /oauth2/authorize (lambda/surfaces/oauth/authorize.ts), called as its route calls it: which
// requests are refused with a page (before the redirect URI is known to be allowed, RFC 6749
// §4.1.2.1), which go back to the client's redirect URI with an error, its state and the issuer
// (RFC 9207), and what is sent on to SSO OIDC (RFC 6749 §4.1.1, RFC 7636 §4.2/§4.3).

import { jest } from '@jest/globals';
import { newAudit } from '../../lambda/core/audit.js';
import { loadConfig, type BrokerConfig } from '../../lambda/core/config.js';
import type { FrontDoorDeps } from '../../lambda/core/front-door-grants.js';
import type { Registration } from '../../lambda/core/registration.js';
import { openSealed } from '../../lambda/core/sealed.js';
import type { Upstream } from '../../lambda/core/upstream.js';
import { ROUTE_TABLE } from '../../lambda/edge/routes.js';
import type { Answer } from '../../lambda/surfaces/answer.js';
import { authorize } from '../../lambda/surfaces/oauth/authorize.js';
import { expectPage } from './support/pages.js';

const ISSUER = 'https://auth.example.com';
const REDIRECT = 'https://app.example.com/callback';
/** A listed redirect URI with a query of its own (RFC 6749 §3.1.2: it is kept). */
const REDIRECT_WITH_QUERY = 'https://app.example.com/cb?tenant=7';
const PUBLIC_CLIENT_ID = 'token-broker';
const CLIENT_STATE = 'client-state-0123456789';
/** RFC 7636 Appendix B's S256 challenge. */
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

const ENV = { TOKEN_BROKER_SECRET_ID: 'registration', AWS_REGION: 'eu-west-1', TOKEN_BROKER_ISSUER: ISSUER };
const CONFIG = loadConfig({ ...ENV, TOKEN_BROKER_REDIRECT_URIS: `${REDIRECT},${REDIRECT_WITH_QUERY}` });

const CURRENT: Registration = {
  clientId: 'client-current',
  clientSecret: 'secret-current-0123456789',
  clientSecretExpiresAt: 1_900_000_000,
  authorizationEndpoint: 'https://oidc.eu-west-1.amazonaws.com/authorize',
};
const PREVIOUS: Registration = { clientId: 'client-previous', clientSecret: 'secret-previous-0123456789' };

function depsOf(config: BrokerConfig = CONFIG, current: Registration = CURRENT) {
  const known = [current, PREVIOUS];
  const upstream = {
    createToken: jest.fn<Upstream['createToken']>(async () => {
      throw new Error('authorize never calls SSO OIDC');
    }),
    startDeviceAuthorization: jest.fn<Upstream['startDeviceAuthorization']>(async () => {
      throw new Error('authorize never calls SSO OIDC');
    }),
  };
  const deps: FrontDoorDeps = {
    config,
    issuer: ISSUER,
    callbackUrl: `${ISSUER}${ROUTE_TABLE.oauthCallback.path}`,
    registrations: {
      get: async () => current,
      forClient: async (clientId) => (clientId === undefined ? current : known.find((r) => r.clientId === clientId)),
      refresh: async () => ({ registration: current, changed: false }),
    },
    upstream,
  };
  return { deps, upstream };
}

const DEFAULTS: Record<string, string> = {
  response_type: 'code',
  client_id: PUBLIC_CLIENT_ID,
  redirect_uri: REDIRECT,
  state: CLIENT_STATE,
  code_challenge: CHALLENGE,
  code_challenge_method: 'S256',
  scope: 'openid sso:account:access',
};

/** A query string: the defaults, with `changes` applied (undefined removes one), then `extra` as sent. */
function query(changes: Record<string, string | undefined> = {}, extra = ''): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries({ ...DEFAULTS, ...changes })) if (value !== undefined) params.append(name, value);
  return `${params.toString()}${extra}`;
}

const run = async (rawQuery: string, deps = depsOf().deps) => authorize(rawQuery, deps, newAudit());


/** A redirect: its base (before the query) and its query parameters. */
function redirected(answer: Answer): { base: string; params: Record<string, string> } {
  expect(answer).toMatchObject({ statusCode: 302, location: expect.any(String) });
  const location = (answer as { location: string }).location;
  const url = new URL(location);
  return { base: `${url.origin}${url.pathname}`, params: Object.fromEntries(url.searchParams) };
}

describe('before the redirect URI is validated, every problem is a page (RFC 6749 §4.1.2.1)', () => {
  it('refuses everything while no redirect URI is configured', async () => {
    const { deps } = depsOf(loadConfig(ENV));
    expect(await expectPage(run(query(), deps))).toBe(
      "This token broker allows no redirect URI yet: list your application's redirect URIs in TOKEN_BROKER_REDIRECT_URIS.",
    );
  });

  it('RFC 6749 §3.1: client_id or redirect_uri sent twice (even with the same value)', async () => {
    expect(await expectPage(run(query({}, `&client_id=${PUBLIC_CLIENT_ID}`)))).toContain('"client_id" is sent more than once');
    expect(await expectPage(run(query({}, `&redirect_uri=${encodeURIComponent(REDIRECT)}`)))).toContain('"redirect_uri" is sent more than once');
  });

  it('RFC 6749 §4.1.1: client_id missing, or not a client of this broker', async () => {
    expect(await expectPage(run(query({ client_id: undefined })))).toContain('"client_id" is required');
    expect(await expectPage(run(query({ client_id: 'someone-else' })))).toContain('"someone-else" is not a client');
  });

  it('accepts the public alias and the current registration\'s own client id as clients', async () => {
    expect(redirected(await run(query({ client_id: PUBLIC_CLIENT_ID }))).base).toBe(CURRENT.authorizationEndpoint);
    expect(redirected(await run(query({ client_id: CURRENT.clientId }))).base).toBe(CURRENT.authorizationEndpoint);
  });

  it('RFC 6749 §3.1.2.3: redirect_uri missing, or not on the list by exact string comparison', async () => {
    expect(await expectPage(run(query({ redirect_uri: undefined })))).toContain('"redirect_uri" is required');
    for (const near of [
      `${REDIRECT}/`,
      'https://APP.example.com/callback',
      'HTTPS://app.example.com/callback',
      'https://app.example.com:443/callback',
      'https://app.example.com/%63allback',
      `${REDIRECT}?x=1`,
      `${REDIRECT}#fragment`,
      'https://app.example.com/call',
      `${REDIRECT}.evil.example`,
      'https://app.example.com/cb',
      'https://app.example.com/cb?tenant=8',
    ]) {
      const message = await expectPage(run(query({ redirect_uri: near })));
      expect([near, message]).toEqual([near, expect.stringContaining('not one this token broker allows')]);
      // The refused value, for the person to compare, and the one allowed (RFC 6749 §3.1.2.3: exact strings).
      const nearest = near === 'https://app.example.com/cb?tenant=8' ? REDIRECT_WITH_QUERY : REDIRECT;
      expect([near, message]).toEqual([near, expect.stringContaining(`"${near}" (TOKEN_BROKER_REDIRECT_URIS lists exact strings; the nearest allowed one is "${nearest}")`)]);
    }
  });

  it('never redirects to an unlisted redirect URI, however many other things are wrong', async () => {
    await expectPage(run(query({ redirect_uri: 'https://evil.example/steal', response_type: 'token', code_challenge: undefined }, '&scope=x')));
  });

  it('refuses bad percent-encoding by throwing invalid_request, which the route writes as a page', async () => {
    await expect(run(`${query()}&x=%ZZ`)).rejects.toMatchObject({ status: 400, error: 'invalid_request' });
  });
});

describe('after it is validated, problems go back to the redirect URI with state and iss (RFC 6749 §4.1.2.1, RFC 9207)', () => {
  it.each<[string, string, Record<string, string | undefined>, string]>([
    ['RFC 6749 §3.1: a parameter sent twice', 'invalid_request', {}, '&scope=other'],
    ['RFC 6749 §3.1: a parameter sent twice, once empty', 'invalid_request', {}, '&code_challenge_method='],
    ['RFC 6749 §4.1.1: response_type missing', 'invalid_request', { response_type: undefined }, ''],
    ['RFC 6749 §4.1.1: response_type other than code', 'unsupported_response_type', { response_type: 'token' }, ''],
    ['RFC 6749 §4.1.1: response_type "code id_token"', 'unsupported_response_type', { response_type: 'code id_token' }, ''],
    ['a response_mode other than query', 'invalid_request', { response_mode: 'fragment' }, ''],
    ['a state over 1024 characters', 'invalid_request', { state: 's'.repeat(1025) }, ''],
    ['RFC 7636 §4.3: no code_challenge', 'invalid_request', { code_challenge: undefined }, ''],
    ['RFC 7636 §4.3: code_challenge_method plain', 'invalid_request', { code_challenge_method: 'plain' }, ''],
    ['RFC 7636 §4.3: no code_challenge_method (it defaults to plain)', 'invalid_request', { code_challenge_method: undefined }, ''],
    ['RFC 7636 §4.3: code_challenge_method s256 (case matters)', 'invalid_request', { code_challenge_method: 's256' }, ''],
    ['RFC 7636 §4.2: a code_challenge of 42 characters', 'invalid_request', { code_challenge: CHALLENGE.slice(1) }, ''],
    ['RFC 7636 §4.2: a code_challenge of 129 characters', 'invalid_request', { code_challenge: 'a'.repeat(129) }, ''],
    ['RFC 7636 §4.2: a code_challenge in base64, not base64url', 'invalid_request', { code_challenge: `${CHALLENGE.slice(0, 42)}+` }, ''],
    ['RFC 6749 §3.3: a scope with two spaces', 'invalid_scope', { scope: 'openid  email' }, ''],
    ['RFC 6749 §3.3: a scope with a leading space', 'invalid_scope', { scope: ' email' }, ''],
    ['RFC 6749 §3.3: a scope with a double quote', 'invalid_scope', { scope: 'a"b' }, ''],
    ['RFC 6749 §3.3: a scope with a backslash', 'invalid_scope', { scope: 'a\\b' }, ''],
    ['more than 50 scopes', 'invalid_scope', { scope: Array.from({ length: 51 }, (_, i) => `s${i}`).join(' ') }, ''],
  ])('%s: %s', async (_why, error, changes, extra) => {
    const { base, params } = redirected(await run(query(changes, extra)));
    expect(base).toBe(REDIRECT);
    expect(params).toEqual({
      error,
      error_description: expect.any(String),
      state: changes.state ?? CLIENT_STATE,
      iss: ISSUER,
    });
  });

  it('names the repeated parameter', async () => {
    const { params } = redirected(await run(query({}, '&scope=other')));
    expect(params.error_description).toContain('"scope" is sent more than once');
  });

  it('keeps the redirect URI\'s own query (RFC 6749 §3.1.2), and leaves state out when the client sent none', async () => {
    const answer = await run(query({ redirect_uri: REDIRECT_WITH_QUERY, state: undefined, response_type: 'token' }));
    expect((answer as { location: string }).location.startsWith(`${REDIRECT_WITH_QUERY}&error=unsupported_response_type&`)).toBe(true);
    const { params } = redirected(answer);
    expect(params).toEqual({ tenant: '7', error: 'unsupported_response_type', error_description: expect.any(String), iss: ISSUER });
  });
});

describe('a valid request goes on to SSO OIDC, in its dialect (RFC 6749 §4.1.1)', () => {
  it('with the registration\'s client id, the broker\'s callback, the same S256 challenge and `scopes`', async () => {
    const { deps } = depsOf();
    const answer = await run(query(), deps);
    const { base, params } = redirected(answer);
    expect(base).toBe(CURRENT.authorizationEndpoint);
    expect(params).toEqual({
      response_type: 'code',
      // The client used the public alias; SSO OIDC knows only the registered client.
      client_id: CURRENT.clientId,
      redirect_uri: `${ISSUER}${ROUTE_TABLE.oauthCallback.path}`,
      state: expect.any(String),
      code_challenge: CHALLENGE,
      code_challenge_method: 'S256',
      scopes: 'openid sso:account:access',
    });
    // Spaces as %20, as the AWS CLI sends them.
    expect((answer as { location: string }).location).toContain('scopes=openid%20sso%3Aaccount%3Aaccess');
    // The client's redirect URI and state travel sealed, never in clear.
    expect((answer as { location: string }).location).not.toContain(CLIENT_STATE);
    expect((answer as { location: string }).location).not.toContain(encodeURIComponent(REDIRECT));
  });

  it('seals the client\'s redirect URI, state and granted scope (without openid) under the current registration, for 15 minutes', async () => {
    const { deps } = depsOf();
    const before = Math.floor(Date.now() / 1000);
    const { params } = redirected(await run(query(), deps));
    const after = Math.floor(Date.now() / 1000);
    const opened = await openSealed('state', params.state!, deps.registrations);
    expect(opened?.registration).toBe(CURRENT);
    expect(opened?.value).toEqual({ redirectUri: REDIRECT, clientState: CLIENT_STATE, scope: 'sso:account:access', expiresAt: expect.any(Number) });
    expect(opened!.value.expiresAt).toBeGreaterThanOrEqual(before + 15 * 60);
    expect(opened!.value.expiresAt).toBeLessThanOrEqual(after + 15 * 60);
    // Sealed for the callback only: it does not open as a code.
    expect(await openSealed('code', params.state!, deps.registrations)).toBeUndefined();
  });

  it('sends no scopes and seals no client state when the client sent neither', async () => {
    const { deps } = depsOf();
    const { params } = redirected(await run(query({ scope: undefined, state: undefined }), deps));
    expect(Object.keys(params).sort()).toEqual(['client_id', 'code_challenge', 'code_challenge_method', 'redirect_uri', 'response_type', 'state']);
    expect((await openSealed('state', params.state!, deps.registrations))?.value).toEqual({ redirectUri: REDIRECT, scope: '', expiresAt: expect.any(Number) });
  });

  it('accepts the limits: a 128-character challenge, a 1024-character state, 50 scopes, response_mode=query', async () => {
    const scopes = Array.from({ length: 50 }, (_, i) => `s${i}`).join(' ');
    const { base, params } = redirected(await run(query({ code_challenge: 'a'.repeat(128), state: 's'.repeat(1024), scope: scopes, response_mode: 'query' })));
    expect(base).toBe(CURRENT.authorizationEndpoint);
    expect(params.scopes).toBe(scopes);
  });

  it('uses SSO OIDC\'s regional endpoint when the registration names none', async () => {
    const { deps } = depsOf(CONFIG, { clientId: 'client-bare', clientSecret: 'secret-bare-0123456789' });
    expect(redirected(await run(query(), deps)).base).toBe('https://oidc.eu-west-1.amazonaws.com/authorize');
  });

  it('records the step and the registration\'s expiry for the log, and never calls SSO OIDC', async () => {
    const { deps, upstream } = depsOf();
    const audit = newAudit();
    await authorize(query(), deps, audit);
    expect(audit).toEqual({ upstreamCalls: 0, grantType: 'authorize', clientSecretExpiresAt: CURRENT.clientSecretExpiresAt });
    expect(upstream.createToken).not.toHaveBeenCalled();
    expect(upstream.startDeviceAuthorization).not.toHaveBeenCalled();
  });
});
