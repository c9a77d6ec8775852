// The token handler (/bff, issue 11): the broker keeps a single-page app's refresh token, PKCE
// verifier and `state` in sealed HttpOnly cookies (cookies.ts) and hands page script only access
// tokens. Pure orchestration over the front door's grants (lambda/oauth/), the cookie keys and the
// clock; the Middy edge (middleware.ts) has already enforced the CSRF header, the origin allow list
// and the JSON content type. Nothing here logs or echoes a cookie, token, verifier or state.
//
// Concurrency (two tabs refreshing at once while SSO OIDC rotates refresh tokens), without server
// state: the session lives in one of two cookies, slot `g % 2` for generation g. A refresh that
// receives a new refresh token writes generation g+1 into the OTHER slot and clears its own; the
// broker always uses the highest valid generation it is sent. A concurrent refresh that loses (SSO
// OIDC answers invalid_grant: its token was just used) answers 401 session_expired but clears only
// the slot it was given, so the newer cookie the winner just received survives; the SPA then asks
// GET /bff/session (still logged in) and retries once.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Audit } from '../../core/grants.js';
import type { CookieKeySource } from '../../core/cookie-keys.js';
import { BrokerError, brokerError, invalidRequest } from '../../core/errors.js';
import type { OAuthTokens } from '../oauth/index.js';
import { ROUTES } from '../../edge/routes.js';
import { sealedKeyId, type SealKey } from '../../core/seal.js';
import { UpstreamFailure } from '../../core/upstream.js';
import {
  clearAllCookies,
  clearCookie,
  COOKIE_NAMES,
  isLoginState,
  isSessionState,
  LOGIN_MAX_AGE_SECONDS,
  openCookie,
  sealCookie,
  setCookie,
  type CookiePaths,
  type LoginState,
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
  /** The front door (issue 10): its issuer, public client id and grants. Sign-in and refresh need it. */
  readonly frontDoor: FrontDoor | undefined;
  /** Epoch milliseconds. */
  readonly now?: () => number;
}

export interface SessionResult {
  readonly statusCode: number;
  readonly body: unknown;
  readonly cookies?: readonly string[];
}

/** The broker's cookies in the request, by name (cookies.ts brokerCookies). */
export type RequestCookies = ReadonlyMap<string, readonly string[]>;

const nowSeconds = (deps: SessionDeps): number => Math.floor((deps.now ?? Date.now)() / 1000);
const keyFor = (deps: SessionDeps) => (keyId: string | undefined): Promise<SealKey | undefined> => deps.keys.forKeyId(keyId);
const sha256 = (text: string): string => createHash('sha256').update(text, 'ascii').digest('base64url');

function frontDoorOf(deps: SessionDeps): FrontDoor {
  if (deps.frontDoor === undefined) {
    throw brokerError('NotFoundException', 'Sign-in and refresh through /bff need the front door: set TOKEN_BROKER_ISSUER.');
  }
  return deps.frontDoor;
}

/** 401 session_expired; `cookies` are the Set-Cookie values it carries. */
export function sessionExpired(description: string, cookies: readonly string[]): BrokerError {
  return brokerError('SessionExpiredException', description).withCookies(cookies);
}

const UNUSABLE_COOKIE =
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
export async function sessionStatus(cookies: RequestCookies, deps: SessionDeps): Promise<SessionResult> {
  const { best } = await readSession(cookies, deps);
  return {
    statusCode: 200,
    body: best === undefined ? { isLoggedIn: false } : { isLoggedIn: true, sessionExpiresAt: best.state.exp },
  };
}

/** POST /bff/logout: clears every broker cookie. SSO OIDC has no revocation operation. */
export function logout(deps: SessionDeps): SessionResult {
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
export async function refresh(cookies: RequestCookies, deps: SessionDeps, audit: Audit): Promise<SessionResult> {
  const { best } = await readSession(cookies, deps);
  if (best === undefined) throw sessionExpired('There is no session in this browser: sign in.', []);
  const { slot, state } = best;
  let tokens: OAuthTokens;
  try {
    tokens = await frontDoorOf(deps).grants.refreshToken({ refreshToken: state.rt }, audit);
  } catch (error) {
    const answer = error instanceof UpstreamFailure ? error.answer : error instanceof BrokerError ? error : undefined;
    if (answer !== undefined && (answer.error === 'invalid_grant' || answer.error === 'expired_token')) {
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
async function writeSession(state: SessionState, deps: SessionDeps, clearOther: boolean): Promise<string[]> {
  const slot = (state.g % 2) as Slot;
  const key = await deps.keys.current();
  const name = COOKIE_NAMES.session[slot];
  const cookie = setCookie(name, sealCookie(name, state, key), deps.paths.session, state.exp - nowSeconds(deps));
  return clearOther ? [cookie, clearCookie(COOKIE_NAMES.session[slot === 0 ? 1 : 0], deps.paths)] : [cookie];
}

/** What page script receives: the access token only (never the refresh token). */
function accessTokenBody(tokens: OAuthTokens): Record<string, unknown> {
  return {
    accessToken: tokens.accessToken,
    tokenType: tokens.tokenType,
    expiresIn: tokens.expiresIn,
    ...(tokens.scope === undefined ? {} : { scope: tokens.scope }),
  };
}

type Body = Record<string, unknown>;
const asBody = (raw: unknown): Body => {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalidRequest('The request body must be a JSON object.');
  return raw as Body;
};
function optionalString(body: Body, member: string, maxLength: number): string | undefined {
  const value = body[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw invalidRequest(`The member "${member}" must be a string of 1 to ${maxLength} characters.`);
  }
  return value;
}

// RFC 6749 §3.3: scope = scope-token *( SP scope-token ), scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/;

/**
 * POST /bff/login/start: the authorize URL for the front door, with a PKCE verifier (RFC 7636 §4.1)
 * and `state` (RFC 6749 §10.12) the broker makes itself and keeps in a sealed login cookie. The URL
 * carries only the S256 challenge and the SHA-256 digest of the state's secret: page script sees
 * neither the verifier nor the secret the login cookie is checked against.
 */
export async function loginStart(raw: unknown, deps: SessionDeps): Promise<SessionResult> {
  const body = asBody(raw);
  const requested = optionalString(body, 'redirectUri', 2048);
  const scope = optionalString(body, 'scope', 1024);
  if (scope !== undefined && !SCOPE.test(scope)) throw invalidRequest('The member "scope" must be space-separated scope tokens (RFC 6749 §3.3).');
  const [first] = deps.redirectUris;
  if (first === undefined) {
    throw invalidRequest('No redirect URI is configured for sign-in: set TOKEN_BROKER_REDIRECT_URIS to the SPA\u2019s callback URL(s).');
  }
  // Exact string match (RFC 6749 §3.1.2.2): never an open redirector.
  if (requested !== undefined && !deps.redirectUris.has(requested)) {
    throw invalidRequest('The member "redirectUri" is not one of the redirect URIs allowed on this broker.');
  }
  const redirectUri = requested ?? first;
  const codeVerifier = randomBytes(32).toString('base64url');
  const stateSecret = randomBytes(32).toString('base64url');
  const login: LoginState = { v: 1, stateSecret, codeVerifier, redirectUri, exp: nowSeconds(deps) + LOGIN_MAX_AGE_SECONDS };

  const frontDoor = frontDoorOf(deps);
  const url = new URL(`${frontDoor.issuer}/oauth2/authorize`);
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

/**
 * POST /bff/login/end with `{ pageUrl }`, the URL the front door redirected the browser back to:
 * checks `iss` (RFC 9207 §2.4) and `state` against the login cookie, exchanges the code with the
 * cookie's verifier, and starts the session. A page URL with neither code nor error answers
 * `{ isLoggedIn: false }`, so an SPA may call this on every page load.
 */
export async function loginEnd(raw: unknown, cookies: RequestCookies, deps: SessionDeps, audit: Audit): Promise<SessionResult> {
  const pageUrl = optionalString(asBody(raw), 'pageUrl', 8192);
  if (pageUrl === undefined || !URL.canParse(pageUrl)) throw invalidRequest('The member "pageUrl" must be the absolute URL of the page.');
  const params = new URL(pageUrl).searchParams;
  const code = params.get('code');
  const error = params.get('error');
  if (code === null && error === null) return { statusCode: 200, body: { isLoggedIn: false } };

  const frontDoor = frontDoorOf(deps);
  const clearLogin = [clearCookie(COOKIE_NAMES.login, deps.paths)];
  const fail = (problem: BrokerError): never => {
    throw problem.withCookies(clearLogin);
  };
  if (params.getAll('code').length > 1 || params.getAll('state').length > 1 || params.getAll('iss').length > 1) {
    fail(invalidRequest('The page URL repeats code, state or iss (RFC 6749 §3.1).'));
  }
  // RFC 9207 §2.4: the front door always sends `iss`; an answer from anywhere else is refused.
  if (params.get('iss') !== frontDoor.issuer) {
    fail(invalidRequest('The page URL\u2019s "iss" is not this broker\u2019s issuer (RFC 9207 §2.4): the answer comes from another server.'));
  }
  const state = params.get('state');
  const login = await readLogin(cookies, state, deps);
  if (login === undefined) {
    fail(
      invalidRequest(
        'No sign-in started in this browser matches this page URL\u2019s state (RFC 6749 §10.12): the login cookie is ' +
          'missing, expired or from another sign-in. Start again with /bff/login/start.',
      ),
    );
  }
  if (error !== null) {
    const description = params.get('error_description');
    fail(
      new BrokerError({
        status: 400,
        type: 'AuthorizationErrorException',
        error: /^[\x20-\x21\x23-\x5B\x5D-\x7E]{1,64}$/.test(error) ? error : 'invalid_request',
        description: description !== null && description.length <= 512 ? description : 'The sign-in was not completed.',
      }),
    );
  }

  let tokens: OAuthTokens;
  try {
    tokens = await frontDoor.grants.authorizationCode(
      { code: code!, redirectUri: login!.redirectUri, codeVerifier: login!.codeVerifier },
      audit,
    );
  } catch (failure) {
    if (failure instanceof UpstreamFailure) fail(failure.answer);
    if (failure instanceof BrokerError) fail(failure);
    throw failure;
  }
  const sessionExpiresAt = nowSeconds(deps) + deps.sessionMaxAgeSeconds;
  const sessionCookies =
    tokens!.refreshToken === undefined ? [] : await writeSession({ v: 1, g: 0, rt: tokens!.refreshToken, exp: sessionExpiresAt }, deps, true);
  return {
    statusCode: 200,
    body: {
      isLoggedIn: true,
      ...accessTokenBody(tokens!),
      ...(tokens!.refreshToken === undefined ? {} : { sessionExpiresAt }),
    },
    cookies: [...sessionCookies, ...clearLogin],
  };
}

/** The login cookie whose state secret matches the page's `state`; a cookie that does not open ends it all (401). */
async function readLogin(cookies: RequestCookies, state: string | null, deps: SessionDeps): Promise<LoginState | undefined> {
  const now = nowSeconds(deps);
  let match: LoginState | undefined;
  for (const value of cookies.get(COOKIE_NAMES.login) ?? []) {
    const login = await openCookie(COOKIE_NAMES.login, value, keyFor(deps), isLoginState);
    if (login === undefined) throw sessionExpired(UNUSABLE_COOKIE, clearAllCookies(deps.paths));
    if (login.exp > now && state !== null && sameDigest(sha256(login.stateSecret), state)) match = login;
  }
  return match;
}

/** Answers one /bff route (routes.ts BFF_ROUTES); the edge has checked CSRF header, origin and content type. */
export async function answerBff(
  routeKey: string,
  body: unknown,
  cookies: RequestCookies,
  deps: SessionDeps,
  audit: Audit,
): Promise<SessionResult> {
  switch (routeKey) {
    case ROUTES.bffLoginStart:
      return loginStart(body, deps);
    case ROUTES.bffLoginEnd:
      return loginEnd(body, cookies, deps, audit);
    case ROUTES.bffSession:
      return sessionStatus(cookies, deps);
    case ROUTES.bffRefresh:
      return refresh(cookies, deps, audit);
    case ROUTES.bffLogout:
      return logout(deps);
    default:
      throw brokerError('NotFoundException', 'The token broker has no such route.');
  }
}
