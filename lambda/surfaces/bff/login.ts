// The token handler's sign-in: POST /bff/login/start makes the PKCE verifier and `state` itself,
// keeps them in a sealed login cookie, and sends the browser to SSO OIDC with a sign-in marked as a
// cookie session's (core/sign-in.ts); POST /bff/login/end checks the page the front door's callback
// sent the browser back to against that cookie, exchanges the code, and starts the session. Page
// script sees neither the verifier nor the state's secret, and a code marked for a cookie session is
// redeemed here only (never at the token endpoints).

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Audit } from '../../core/audit.js';
import { ENV } from '../../core/config.js';
import { BrokerError, invalidRequest } from '../../core/errors.js';
import type { SessionTokens } from '../../core/session-grants.js';
import { asObject, MAX_SCOPES, optionalString, parseParameters, refusedRedirectUri, scopeTokens } from '../../core/validation.js';
import type { Answer } from '../answer.js';
import { clearCookie, COOKIE_NAMES, LOGIN_MAX_AGE_SECONDS, openLogin, sealLogin, setCookie, type LoginState, type RequestCookies } from './cookies.js';
import { keyFor, nowSeconds, sessionBody, stateFrom, writeSession, type SessionDeps } from './session.js';

const sha256 = (text: string): string => createHash('sha256').update(text, 'ascii').digest('base64url');

/**
 * POST /bff/login/start: the authorize URL, with a PKCE verifier (RFC 7636 §4.1) and `state` (RFC
 * 6749 §10.12) the broker makes itself and keeps in a sealed login cookie. The URL carries only the
 * S256 challenge and the SHA-256 digest of the state's secret: page script sees neither the verifier
 * nor the secret the login cookie is checked against.
 */
export async function loginStart(raw: unknown, deps: SessionDeps, audit: Audit): Promise<Answer> {
  const body = asObject(raw);
  const requested = optionalString(body, 'redirectUri', 2048);
  const scope = optionalString(body, 'scope', 1024);
  const scopes = scope === undefined ? [] : scopeTokens(scope);
  if (scopes === undefined || scopes.length > MAX_SCOPES) {
    throw invalidRequest(`The member "scope" must be at most ${MAX_SCOPES} space-separated scope tokens (RFC 6749 §3.3).`);
  }
  // Exact string match (RFC 6749 §3.1.2.2) against the redirect URIs on cookie-session origins: never an open redirector.
  if (requested !== undefined && !deps.redirectUris.includes(requested)) {
    throw invalidRequest(
      `The member "redirectUri" is not one of the redirect URIs of this broker\u2019s cookie-session origins${refusedRedirectUri(requested, new Set(deps.redirectUris), ENV.redirectUris)}`,
    );
  }
  const redirectUri = requested ?? deps.redirectUris[0]!;
  const codeVerifier = randomBytes(32).toString('base64url');
  const stateSecret = randomBytes(32).toString('base64url');
  const login: LoginState = { v: 1, stateSecret, codeVerifier, redirectUri, exp: nowSeconds(deps) + LOGIN_MAX_AGE_SECONDS };
  const key = await deps.keys.current();
  const authorizationUrl = await deps.grants.signInUrl(
    { redirectUri, clientState: sha256(stateSecret), scopes, codeChallenge: sha256(codeVerifier), forSession: true },
    audit,
  );
  return {
    statusCode: 200,
    body: { authorizationUrl },
    cookies: [setCookie(COOKIE_NAMES.login, sealLogin(login, key), deps.paths.login, LOGIN_MAX_AGE_SECONDS)],
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
 * POST /bff/login/end with `{ pageUrl }`, the URL the front door's callback redirected the browser
 * back to: checks `iss` (RFC 9207 §2.4) and `state` against the login cookie, exchanges the code with
 * the cookie's verifier, and starts the session. A page URL with neither code nor error answers
 * `{ isLoggedIn: false }`, so an SPA may call this on every page load. A failure that may pass (a
 * 5xx: a key or secret read, SSO OIDC unavailable) keeps the login cookie, so the same redirect can
 * be retried; any other failure clears it.
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
    throw problem.status >= 500 && problem.type !== 'SessionTooLargeException' ? problem : problem.withCookies(clearLogin);
  };
  if (repeated.has('code') || repeated.has('state') || repeated.has('iss')) {
    fail(invalidRequest('The page URL repeats code, state or iss (RFC 6749 §3.1).'));
  }
  // RFC 9207 §2.4: the front door always sends `iss`; an answer from anywhere else is refused.
  if (values.get('iss') !== deps.issuer) {
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

  try {
    // The key before the code: once SSO OIDC has spent the code, nothing may fail before the session is sealed.
    const key = await deps.keys.current();
    const tokens: SessionTokens = await deps.grants.redeemCode({ code: code!, redirectUri: login.redirectUri, codeVerifier: login.codeVerifier }, audit);
    const state = stateFrom(tokens, undefined, deps);
    return {
      statusCode: 200,
      body: sessionBody(state, deps),
      cookies: [...writeSession(state, key, cookies, deps), ...clearLogin],
    };
  } catch (failure) {
    if (failure instanceof BrokerError) fail(failure);
    throw failure;
  }
}

/**
 * The login cookie whose state secret matches the page's `state`. Values that do not open, or open
 * but do not match, are ignored: a cookie planted beside the real one cannot spoil the sign-in.
 */
async function readLogin(cookies: RequestCookies, state: string | undefined, deps: SessionDeps): Promise<LoginState | undefined> {
  const now = nowSeconds(deps);
  for (const value of cookies.get(COOKIE_NAMES.login) ?? []) {
    const login = await openLogin(value, keyFor(deps));
    if (login !== undefined && login.exp > now && state !== undefined && sameDigest(sha256(login.stateSecret), state)) return login;
  }
  return undefined;
}
