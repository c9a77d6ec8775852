// The token handler's sessions: the broker keeps a single-page app's refresh token in a sealed
// HttpOnly cookie (cookies.ts) and hands page script only access tokens. Pure orchestration over
// the front door's grants, the cookie keys and the clock; the edge has already enforced the CSRF
// header, the origin allow list and the JSON content type. Nothing here logs or echoes a cookie,
// token, verifier or state.
//
// Concurrency (two tabs refreshing at once while SSO OIDC rotates refresh tokens), without server
// state: the session lives in one of two cookies, slot `g % 2` for generation g. A refresh that
// receives a new refresh token writes generation g+1 into the OTHER slot and clears its own; the
// broker always uses the highest valid generation it is sent. A concurrent refresh that loses (SSO
// OIDC answers invalid_grant: its token was just used) answers 401 session_expired but clears only
// the slot it was given, so the newer cookie the winner just received survives; the SPA then asks
// GET /bff/session (still logged in) and retries once.

import type { Audit } from '../../core/audit.js';
import type { CookieKeySource } from '../../core/cookie-keys.js';
import { BrokerError, brokerError } from '../../core/errors.js';
import type { OAuthTokens } from '../../core/front-door-grants.js';
import { sealedKeyId, type SealKey } from '../../core/seal.js';
import type { Answer } from '../answer.js';
import {
  clearAllCookies,
  clearCookie,
  COOKIE_NAMES,
  isSessionState,
  openCookie,
  sealCookie,
  setCookie,
  type CookiePaths,
  type SessionState,
  type Slot,
} from './cookies.js';

/** The front door's two grants, bound to their dependencies (registrations, upstream). */
export interface FrontDoorGrants {
  authorizationCode(input: { code: string; redirectUri: string; codeVerifier: string }, audit: Audit): Promise<OAuthTokens>;
  refreshToken(input: { refreshToken: string }, audit: Audit): Promise<OAuthTokens>;
}

export interface FrontDoor {
  readonly issuer: string;
  readonly publicClientId: string;
  readonly grants: FrontDoorGrants;
}

export interface SessionDeps {
  /** The client redirect URIs allowed (TOKEN_BROKER_REDIRECT_URIS); the first is the default. */
  readonly redirectUris: ReadonlySet<string>;
  readonly sessionMaxAgeSeconds: number;
  readonly keys: Pick<CookieKeySource, 'current' | 'forKeyId'>;
  readonly paths: CookiePaths;
  /** The front door: sign-in goes through its authorization endpoint, and both grants are its. */
  readonly frontDoor: FrontDoor;
  /** Epoch milliseconds. */
  readonly now?: () => number;
}

/** The broker's cookies in the request, by name (cookies.ts brokerCookies). */
export type RequestCookies = ReadonlyMap<string, readonly string[]>;

export const nowSeconds = (deps: SessionDeps): number => Math.floor((deps.now ?? Date.now)() / 1000);
export const keyFor = (deps: SessionDeps) => (keyId: string | undefined): Promise<SealKey | undefined> => deps.keys.forKeyId(keyId);

/** 401 session_expired; `cookies` are the Set-Cookie values it carries. */
export function sessionExpired(description: string, cookies: readonly string[]): BrokerError {
  return brokerError('SessionExpiredException', description).withCookies(cookies);
}

export const UNUSABLE_COOKIE =
  'A session cookie could not be read (its key was retired, or it was altered or cut short): the broker cookies are cleared; sign in again.';

interface SessionRead {
  /** The usable session with the highest generation, and its slot. */
  readonly best?: { readonly slot: Slot; readonly state: SessionState; readonly keyId: string | undefined };
}

/**
 * The session the request carries. Any session cookie that does not open (no key for it, tampered,
 * truncated, or sealed for another cookie name) ends the session cleanly: 401 session_expired with
 * every broker cookie cleared, never a 500 or a stuck session. Expired ones are ignored.
 */
async function readSession(cookies: RequestCookies, deps: SessionDeps): Promise<SessionRead> {
  const now = nowSeconds(deps);
  let best: SessionRead['best'];
  for (const slot of [0, 1] as const) {
    for (const value of cookies.get(COOKIE_NAMES.session[slot]) ?? []) {
      const state = await openCookie(COOKIE_NAMES.session[slot], value, keyFor(deps), isSessionState);
      if (state === undefined || state.g % 2 !== slot) throw sessionExpired(UNUSABLE_COOKIE, clearAllCookies(deps.paths));
      if (state.exp <= now) continue;
      if (best === undefined || state.g > best.state.g) best = { slot, state, keyId: sealedKeyId(value) };
    }
  }
  return best === undefined ? {} : { best };
}

/** GET /bff/session: whether this browser has a session, and when it ends. */
export async function sessionStatus(cookies: RequestCookies, deps: SessionDeps): Promise<Answer> {
  const { best } = await readSession(cookies, deps);
  return {
    statusCode: 200,
    body: best === undefined ? { isLoggedIn: false } : { isLoggedIn: true, sessionExpiresAt: best.state.exp },
  };
}

/** POST /bff/logout: clears every broker cookie. SSO OIDC has no revocation operation. */
export function logout(deps: SessionDeps): Answer {
  return {
    statusCode: 200,
    body: {
      isLoggedIn: false,
      refreshTokenRevoked: false,
      description:
        'The broker cookies are cleared. SSO OIDC has no revocation operation: the refresh token is not revoked ' +
        'and stays valid at IAM Identity Center until that session ends (sign out of the AWS access portal to end it).',
    },
    cookies: clearAllCookies(deps.paths),
  };
}

/** POST /bff/refresh: a fresh access token from the session's refresh token. */
export async function refresh(cookies: RequestCookies, deps: SessionDeps, audit: Audit): Promise<Answer> {
  const { best } = await readSession(cookies, deps);
  if (best === undefined) throw sessionExpired('There is no session in this browser: sign in.', []);
  const { slot, state } = best;
  let tokens: OAuthTokens;
  try {
    tokens = await deps.frontDoor.grants.refreshToken({ refreshToken: state.rt }, audit);
  } catch (error) {
    if (error instanceof BrokerError && (error.error === 'invalid_grant' || error.error === 'expired_token')) {
      // Only the slot this request used: a concurrent refresh may have just set the other one.
      throw sessionExpired(
        'SSO OIDC no longer accepts this session\u2019s refresh token. If another tab refreshed at the same moment, ' +
          'GET /bff/session tells whether the session lives on; otherwise sign in again.',
        [clearCookie(COOKIE_NAMES.session[slot], deps.paths)],
      );
    }
    throw error;
  }
  let cookiesOut: string[] = [];
  if (tokens.refreshToken !== undefined && tokens.refreshToken !== state.rt) {
    cookiesOut = await writeSession({ v: 1, g: state.g + 1, rt: tokens.refreshToken, exp: state.exp }, deps, true);
  } else if (best.keyId !== (await deps.keys.current()).id) {
    // Sealed under the previous key: sealed again under the current one, so that a session outlives
    // the next key rotation. Same generation, same slot, and the other slot is left alone.
    cookiesOut = await writeSession(state, deps, false);
  }
  return { statusCode: 200, body: accessTokenBody(tokens), cookies: cookiesOut };
}

/** Seals a session into its slot (`g % 2`) and, when asked, clears the other slot. */
export async function writeSession(state: SessionState, deps: SessionDeps, clearOther: boolean): Promise<string[]> {
  const slot = (state.g % 2) as Slot;
  const key = await deps.keys.current();
  const name = COOKIE_NAMES.session[slot];
  const cookie = setCookie(name, sealCookie(name, state, key), deps.paths.session, state.exp - nowSeconds(deps));
  return clearOther ? [cookie, clearCookie(COOKIE_NAMES.session[slot === 0 ? 1 : 0], deps.paths)] : [cookie];
}

/** What page script receives: the access token only (never the refresh token). */
export function accessTokenBody(tokens: OAuthTokens): Record<string, unknown> {
  return {
    accessToken: tokens.accessToken,
    tokenType: tokens.tokenType,
    expiresIn: tokens.expiresIn,
    ...(tokens.scope === undefined ? {} : { scope: tokens.scope }),
  };
}
