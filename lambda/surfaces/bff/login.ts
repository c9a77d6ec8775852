// The token handler's sign-in: POST /bff/login/start makes the PKCE verifier and `state` itself and
// keeps them in a sealed login cookie; POST /bff/login/end checks the page the front door sent the
// browser back to against that cookie, exchanges the code, and starts the session. Page script sees
// neither the verifier nor the state's secret.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Audit } from '../../core/audit.js';
import { ENV } from '../../core/config.js';
import { BrokerError, invalidRequest } from '../../core/errors.js';
import type { OAuthTokens } from '../../core/front-door-grants.js';
import { asObject, optionalString, parseParameters, refusedRedirectUri, scopeTokens } from '../../core/validation.js';
import { ROUTE_TABLE } from '../../edge/routes.js';
import type { Answer } from '../answer.js';
import { clearAllCookies, clearCookie, COOKIE_NAMES, isLoginState, LOGIN_MAX_AGE_SECONDS, openCookie, sealCookie, setCookie, type LoginState } from './cookies.js';
import { accessTokenBody, keyFor, nowSeconds, sessionExpired, UNUSABLE_COOKIE, writeSession, type RequestCookies, type SessionDeps } from './session.js';

const sha256 = (text: string): string => createHash('sha256').update(text, 'ascii').digest('base64url');

/**
 * POST /bff/login/start: the authorize URL for the front door, with a PKCE verifier (RFC 7636 §4.1)
 * and `state` (RFC 6749 §10.12) the broker makes itself and keeps in a sealed login cookie. The URL
 * carries only the S256 challenge and the SHA-256 digest of the state's secret: page script sees
 * neither the verifier nor the secret the login cookie is checked against.
 */
export async function loginStart(raw: unknown, deps: SessionDeps): Promise<Answer> {
  const body = asObject(raw);
  const requested = optionalString(body, 'redirectUri', 2048);
  const scope = optionalString(body, 'scope', 1024);
  if (scope !== undefined && scopeTokens(scope) === undefined) {
    throw invalidRequest('The member "scope" must be space-separated scope tokens (RFC 6749 §3.3).');
  }
  const [first] = deps.redirectUris;
  if (first === undefined) {
    throw invalidRequest('No redirect URI is configured for sign-in: set TOKEN_BROKER_REDIRECT_URIS to the SPA\u2019s callback URL(s).');
  }
  // Exact string match (RFC 6749 §3.1.2.2): never an open redirector.
  if (requested !== undefined && !deps.redirectUris.has(requested)) {
    throw invalidRequest(`The member "redirectUri" is not one of the redirect URIs allowed on this broker${refusedRedirectUri(requested, deps.redirectUris, ENV.redirectUris)}`);
  }
  const redirectUri = requested ?? first;
  const codeVerifier = randomBytes(32).toString('base64url');
  const stateSecret = randomBytes(32).toString('base64url');
  const login: LoginState = { v: 1, stateSecret, codeVerifier, redirectUri, exp: nowSeconds(deps) + LOGIN_MAX_AGE_SECONDS };

  const { frontDoor } = deps;
  const url = new URL(`${frontDoor.issuer}${ROUTE_TABLE.oauthAuthorize.path}`);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', frontDoor.publicClientId);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('state', sha256(stateSecret));
  url.searchParams.set('code_challenge', sha256(codeVerifier));
  url.searchParams.set('code_challenge_method', 'S256');
  if (scope !== undefined) url.searchParams.set('scope', scope);

  const key = await deps.keys.current();
  return {
    statusCode: 200,
    body: { authorizationUrl: url.href },
    cookies: [setCookie(COOKIE_NAMES.login, sealCookie(COOKIE_NAMES.login, login, key), deps.paths.login, LOGIN_MAX_AGE_SECONDS)],
  };
}

const sameDigest = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** RFC 6749 §5.2's character set for `error`, and a length no real code reaches. */
const ERROR_CODE = /^[\x20-\x21\x23-\x5B\x5D-\x7E]{1,64}$/;

/**
 * POST /bff/login/end with `{ pageUrl }`, the URL the front door redirected the browser back to:
 * checks `iss` (RFC 9207 §2.4) and `state` against the login cookie, exchanges the code with the
 * cookie's verifier, and starts the session. A page URL with neither code nor error answers
 * `{ isLoggedIn: false }`, so an SPA may call this on every page load.
 */
export async function loginEnd(raw: unknown, cookies: RequestCookies, deps: SessionDeps, audit: Audit): Promise<Answer> {
  const pageUrl = optionalString(asObject(raw), 'pageUrl', 8192);
  if (pageUrl === undefined || !URL.canParse(pageUrl)) throw invalidRequest('The member "pageUrl" must be the absolute URL of the page.');
  // The page's query, parsed as strictly as the front door parses its own (no bad percent-encoding).
  const { values, repeated } = parseParameters(new URL(pageUrl).search.slice(1));
  const code = values.get('code');
  const error = values.get('error');
  if (code === undefined && error === undefined) return { statusCode: 200, body: { isLoggedIn: false } };

  const clearLogin = [clearCookie(COOKIE_NAMES.login, deps.paths)];
  const fail = (problem: BrokerError): never => {
    throw problem.withCookies(clearLogin);
  };
  if (repeated.has('code') || repeated.has('state') || repeated.has('iss')) {
    fail(invalidRequest('The page URL repeats code, state or iss (RFC 6749 §3.1).'));
  }
  // RFC 9207 §2.4: the front door always sends `iss`; an answer from anywhere else is refused.
  if (values.get('iss') !== deps.frontDoor.issuer) {
    fail(invalidRequest('The page URL\u2019s "iss" is not this broker\u2019s issuer (RFC 9207 §2.4): the answer comes from another server.'));
  }
  const login = await readLogin(cookies, values.get('state'), deps);
  if (login === undefined) {
    return fail(
      invalidRequest(
        'No sign-in started in this browser matches this page URL\u2019s state (RFC 6749 §10.12): the login cookie is ' +
          'missing, expired or from another sign-in. Start again with /bff/login/start.',
      ),
    );
  }
  if (error !== undefined) {
    const description = values.get('error_description');
    return fail(
      new BrokerError({
        status: 400,
        type: 'AuthorizationErrorException',
        error: ERROR_CODE.test(error) ? error : 'invalid_request',
        description: description !== undefined && description.length <= 512 ? description : 'The sign-in was not completed.',
      }),
    );
  }

  let tokens: OAuthTokens;
  try {
    tokens = await deps.frontDoor.grants.authorizationCode({ code: code!, redirectUri: login.redirectUri, codeVerifier: login.codeVerifier }, audit);
  } catch (failure) {
    if (failure instanceof BrokerError) fail(failure);
    throw failure;
  }
  const sessionExpiresAt = nowSeconds(deps) + deps.sessionMaxAgeSeconds;
  const sessionCookies =
    tokens.refreshToken === undefined ? [] : await writeSession({ v: 1, g: 0, rt: tokens.refreshToken, exp: sessionExpiresAt }, deps, true);
  return {
    statusCode: 200,
    body: {
      isLoggedIn: true,
      ...accessTokenBody(tokens),
      ...(tokens.refreshToken === undefined ? {} : { sessionExpiresAt }),
    },
    cookies: [...sessionCookies, ...clearLogin],
  };
}

/** The login cookie whose state secret matches the page's `state`; a cookie that does not open ends it all (401). */
async function readLogin(cookies: RequestCookies, state: string | undefined, deps: SessionDeps): Promise<LoginState | undefined> {
  const now = nowSeconds(deps);
  let match: LoginState | undefined;
  for (const value of cookies.get(COOKIE_NAMES.login) ?? []) {
    const login = await openCookie(COOKIE_NAMES.login, value, keyFor(deps), isLoginState);
    if (login === undefined) throw sessionExpired(UNUSABLE_COOKIE, clearAllCookies(deps.paths));
    if (login.exp > now && state !== undefined && sameDigest(sha256(login.stateSecret), state)) match = login;
  }
  return match;
}
