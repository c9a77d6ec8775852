// The token handler's sessions: the broker keeps a single-page app's tokens in a sealed HttpOnly
// cookie (session-cookie.ts) and, by default (page tokens `none`), hands page script no token at
// all: the page calls APIs through the broker (api.ts). Pure orchestration over the session grants,
// the cookie keys and the clock; the edge has already enforced the CSRF header, the session origins
// and the content type. Nothing here logs or echoes a cookie, token, verifier or state.
//
// Every key a request needs is read before SSO OIDC is called: once SSO OIDC has rotated a refresh
// token, nothing may fail before the new one is in a cookie.
//
// Concurrency (tabs refreshing at once while SSO OIDC rotates refresh tokens), without server state:
// the session lives in one of two cookie slots, slot `g % 2` for generation g. A refresh that
// receives a new refresh token writes generation g+1 into the OTHER slot and clears its own; the
// broker always uses the highest valid generation it is sent. A concurrent refresh that loses (SSO
// OIDC answers invalid_grant: its token was just used) answers 401 session_expired but clears only
// the slot it was given, so the newer cookie the winner just received survives. The browser module
// (browser/session.ts) serialises a browser's refreshes across tabs, so this is the rare case.

import type { Audit } from '../../core/audit.js';
import type { PageTokens } from '../../core/config.js';
import type { CookieKeySource } from '../../core/cookie-keys.js';
import { BrokerError, brokerError } from '../../core/errors.js';
import type { CodeRedemption } from '../../core/front-door-grants.js';
import type { SealKey } from '../../core/seal.js';
import type { SessionTokens } from '../../core/session-grants.js';
import type { SignInRequest } from '../../core/sign-in.js';
import type { Answer } from '../answer.js';
import { clearAllCookies, clearCookie, SESSION_CHUNK_NAMES, type CookiePaths, type RequestCookies } from './cookies.js';
import { readSession as readSessionCookies, sessionSetCookies, type SessionRead, type SessionState } from './session-cookie.js';

/** The session grants, bound to their dependencies (registrations, upstream): core/session-grants.ts, core/sign-in.ts. */
export interface SessionGrants {
  signInUrl(request: SignInRequest, audit: Audit): Promise<string>;
  redeemCode(input: CodeRedemption, audit: Audit): Promise<SessionTokens>;
  refresh(input: { readonly refreshToken: string; readonly clientId: string; readonly scope: string }, audit: Audit): Promise<SessionTokens>;
}

export interface SessionDeps {
  readonly issuer: string;
  /** The redirect URIs on cookie-session origins (reserved for login/end); the first is the default. */
  readonly redirectUris: readonly string[];
  readonly sessionMaxAgeSeconds: number;
  readonly pageTokens: PageTokens;
  readonly keys: Pick<CookieKeySource, 'current' | 'forKeyId'>;
  readonly paths: CookiePaths;
  readonly grants: SessionGrants;
  /** Epoch milliseconds. */
  readonly now?: () => number;
}

/** An access token within this many seconds of expiry is refreshed before it is used. */
export const ACCESS_TOKEN_SKEW_SECONDS = 60;

export const nowSeconds = (deps: SessionDeps): number => Math.floor((deps.now ?? Date.now)() / 1000);
export const keyFor = (deps: SessionDeps) => (keyId: string | undefined): Promise<SealKey | undefined> => deps.keys.forKeyId(keyId);

/** 401 session_expired; `cookies` are the Set-Cookie values it carries. */
export function sessionExpired(description: string, cookies: readonly string[]): BrokerError {
  return brokerError('SessionExpiredException', description).withCookies(cookies);
}

export const UNUSABLE_COOKIE =
  'A session cookie could not be read (its key was retired, or it was altered or cut short): the broker cookies are cleared; sign in again.';

/** The request's session; 401 (every broker cookie cleared) when it carries only unusable session cookies. */
export async function sessionOf(cookies: RequestCookies, deps: SessionDeps): Promise<SessionRead> {
  const read = await readSessionCookies(cookies, keyFor(deps), nowSeconds(deps));
  if (read.best === undefined && read.unusable) throw sessionExpired(UNUSABLE_COOKIE, clearAllCookies(deps.paths));
  return read;
}

/** A new session (login/end) or the next state of one, from a token answer. */
export function stateFrom(tokens: SessionTokens, previous: SessionState | undefined, deps: SessionDeps): SessionState {
  const now = nowSeconds(deps);
  const rotated = previous !== undefined && tokens.refreshToken !== undefined && tokens.refreshToken !== previous.rt;
  const refreshToken = tokens.refreshToken ?? previous?.rt;
  return {
    v: 2,
    g: previous === undefined ? 0 : previous.g + (rotated ? 1 : 0),
    ...(refreshToken === undefined ? {} : { rt: refreshToken }),
    c: tokens.clientId,
    sc: tokens.scope,
    // A session without a refresh token ends with its access token.
    exp: previous?.exp ?? (refreshToken === undefined ? now + tokens.expiresIn : now + deps.sessionMaxAgeSeconds),
    at: tokens.accessToken,
    ate: now + tokens.expiresIn,
  };
}

/** The Set-Cookie values storing `state` under `key`; a new generation clears the other slot. */
export function writeSession(state: SessionState, key: SealKey, present: RequestCookies, deps: SessionDeps, previous?: SessionState): string[] {
  const clearOther = previous === undefined || previous.g !== state.g;
  return sessionSetCookies(state, key, { paths: deps.paths, nowSeconds: nowSeconds(deps), present, clearOther });
}

/**
 * The session after a refresh with its refresh token, and its cookies. SSO OIDC refusing the token
 * (invalid_grant, expired_token) is 401 session_expired that clears only the slot this request used:
 * a concurrent refresh may have just set the other one.
 */
export async function refreshed(
  session: NonNullable<SessionRead['best']>,
  key: SealKey,
  cookies: RequestCookies,
  deps: SessionDeps,
  audit: Audit,
): Promise<{ readonly state: SessionState; readonly cookies: string[] }> {
  const { state, slot } = session;
  const clearSlot = SESSION_CHUNK_NAMES[slot].filter((name) => cookies.has(name)).map((name) => clearCookie(name, deps.paths));
  if (state.rt === undefined) throw sessionExpired('The session has no refresh token (SSO OIDC issued none): sign in again.', clearSlot);
  let tokens: SessionTokens;
  try {
    tokens = await deps.grants.refresh({ refreshToken: state.rt, clientId: state.c, scope: state.sc }, audit);
  } catch (error) {
    if (error instanceof BrokerError && (error.error === 'invalid_grant' || error.error === 'expired_token')) {
      throw sessionExpired(
        'SSO OIDC no longer accepts this session\u2019s refresh token. If another tab refreshed at the same moment, ' +
          'GET /bff/session tells whether the session lives on; otherwise sign in again.',
        clearSlot,
      );
    }
    throw error;
  }
  const next = stateFrom(tokens, state, deps);
  return { state: next, cookies: writeSession(next, key, cookies, deps, state) };
}

/** What login/end and refresh tell page script: with page tokens `none`, no token at all. */
export function sessionBody(state: SessionState, deps: SessionDeps): Record<string, unknown> {
  const expiresIn = Math.max(0, state.ate - nowSeconds(deps));
  const base = { isLoggedIn: true, expiresIn, sessionExpiresAt: state.exp };
  return deps.pageTokens === 'access' ? { ...base, accessToken: state.at, tokenType: 'Bearer', scope: state.sc } : base;
}

/** GET /bff/session: whether this browser has a session, when it ends and when its access token expires. */
export async function sessionStatus(cookies: RequestCookies, deps: SessionDeps): Promise<Answer> {
  const { best } = await sessionOf(cookies, deps);
  return {
    statusCode: 200,
    body:
      best === undefined
        ? { isLoggedIn: false }
        : { isLoggedIn: true, sessionExpiresAt: best.state.exp, accessTokenExpiresAt: best.state.ate },
  };
}

/** POST /bff/refresh: a fresh access token from the session's refresh token (kept in the cookie). */
export async function refresh(cookies: RequestCookies, deps: SessionDeps, audit: Audit): Promise<Answer> {
  // The key first: nothing may fail after SSO OIDC has rotated the refresh token.
  const key = await deps.keys.current();
  const { best } = await sessionOf(cookies, deps);
  if (best === undefined) throw sessionExpired('There is no session in this browser: sign in.', []);
  const next = await refreshed(best, key, cookies, deps, audit);
  return { statusCode: 200, body: sessionBody(next.state, deps), cookies: next.cookies };
}

/**
 * `call` with the session's access token, refreshed first when it is about to expire, and refreshed
 * once more (then `call` again) when `unauthorized` says the token was refused, unless it was just
 * refreshed. The answer's Set-Cookie values carry what changed (a new token, a newer key).
 */
export async function withAccessToken<T>(
  cookies: RequestCookies,
  deps: SessionDeps,
  audit: Audit,
  call: (accessToken: string) => Promise<T>,
  unauthorized: (result: T) => boolean,
): Promise<{ readonly result: T; readonly cookies: string[] }> {
  const key = await deps.keys.current();
  const { best } = await sessionOf(cookies, deps);
  if (best === undefined) throw sessionExpired('There is no session in this browser: sign in.', []);
  let session = best;
  let written: string[] = [];
  let fresh = false;
  const renew = async (): Promise<void> => {
    const next = await refreshed(session, key, cookies, deps, audit);
    written = next.cookies;
    session = { slot: (next.state.g % 2) as 0 | 1, state: next.state, keyId: key.id };
    fresh = true;
  };
  if (session.state.ate - nowSeconds(deps) <= ACCESS_TOKEN_SKEW_SECONDS) await renew();
  let result = await call(session.state.at);
  if (unauthorized(result) && !fresh) {
    await renew();
    result = await call(session.state.at);
  }
  // Sealed under the previous key: sealed again under the current one, so that it outlives the next rotation.
  if (!fresh && best.keyId !== key.id) written = writeSession(best.state, key, cookies, deps, best.state);
  return { result, cookies: written };
}

