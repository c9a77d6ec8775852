// The token handler's cookies: their names, attributes, and the login cookie. Pure functions; the
// session cookie's sealed, chunked contents are session-cookie.ts's.
//
// Attributes (RFC 6265bis §4.1.2, §4.1.3): HttpOnly (page script cannot read them), Secure,
// SameSite=Strict (never sent on a cross-site request), the narrowest Path that works, Max-Age from
// configuration. Names carry the `__Secure-` prefix (§4.1.3.1: the browser only accepts them with
// Secure, from a secure origin). `__Host-` (§4.1.3.2) would also forbid a Domain attribute but
// requires `Path=/`, which would send the refresh token to every broker route: the narrow Path wins.
// A sibling subdomain can still plant a cookie of one of these names for the whole domain (cookie
// tossing); the broker then uses the value that opens and ignores the rest (RFC 6265bis §5.8.3 sends
// both), so a planted cookie never clears or replaces a valid session.
//
// Values are sealed (core/seal.ts: AES-256-GCM, key id in clear, the cookie's NAME as the purpose in
// the additional authenticated data), so a login cookie cannot be replayed as a session cookie, nor
// one session slot as the other.

import { internalError } from '../../core/errors.js';
import { seal, sealedKeyId, unseal, type SealKey } from '../../core/seal.js';
import { ROUTE_TABLE } from '../../edge/routes.js';

/** RFC 6265bis §5.6 asks browsers to keep at least 4096 bytes per cookie (name, value, attributes). */
export const MAX_COOKIE_BYTES = 4096;
/** How long a sign-in may take between /bff/login/start and /bff/login/end. */
export const LOGIN_MAX_AGE_SECONDS = 600;
/** The most chunks one session slot is split into (session-cookie.ts). */
export const MAX_CHUNKS = 3;

/** A session slot's chunk names: the first is the slot's own name, the others add `.1`, `.2`. */
const chunkNames = (slotName: string): string[] => Array.from({ length: MAX_CHUNKS }, (_, i) => (i === 0 ? slotName : `${slotName}.${i}`));

export const COOKIE_NAMES = {
  login: '__Secure-token-broker-login',
  // Two generation slots (see session.ts): a refresh that rotates the refresh token writes the next
  // generation into the other slot, so a concurrent refresh that loses cannot clobber it.
  session: ['__Secure-token-broker-session-0', '__Secure-token-broker-session-1'],
} as const;

export type Slot = 0 | 1;
/** Every chunk name of each slot. */
export const SESSION_CHUNK_NAMES: readonly [readonly string[], readonly string[]] = [chunkNames(COOKIE_NAMES.session[0]), chunkNames(COOKIE_NAMES.session[1])];
const ALL_COOKIE_NAMES: readonly string[] = [COOKIE_NAMES.login, ...SESSION_CHUNK_NAMES[0], ...SESSION_CHUNK_NAMES[1]];

/** What a login cookie keeps between login/start and login/end; never shown to page script. */
export interface LoginState {
  readonly v: 1;
  /** The secret half of `state`: the authorize URL carries only its SHA-256 digest. */
  readonly stateSecret: string;
  readonly codeVerifier: string;
  readonly redirectUri: string;
  /** Epoch seconds. */
  readonly exp: number;
}

/** Where the cookies go: `<base>/bff` for sessions, the login/end route's path for the login cookie. */
export interface CookiePaths {
  readonly session: string;
  readonly login: string;
}

/** The paths under a base path (the issuer's path, '' at a domain's root). */
export function cookiePaths(basePath: string): CookiePaths {
  const base = basePath.replace(/\/+$/, '');
  const loginEnd = ROUTE_TABLE.bffLoginEnd.path;
  // The parent of every session route: `/bff`.
  return { session: `${base}${loginEnd.slice(0, loginEnd.indexOf('/', 1))}`, login: `${base}${loginEnd}` };
}

function attributes(path: string, maxAgeSeconds: number): string {
  return `Path=${path}; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}; HttpOnly; Secure; SameSite=Strict`;
}

/** A Set-Cookie value; throws when it would be over the size browsers promise to keep. */
export function setCookie(name: string, value: string, path: string, maxAgeSeconds: number): string {
  const cookie = `${name}=${value}; ${attributes(path, maxAgeSeconds)}`;
  const bytes = Buffer.byteLength(cookie, 'utf8');
  // A browser may drop a larger cookie silently: a clear 500 (the log says which) is better.
  if (bytes >= MAX_COOKIE_BYTES) throw internalError(`${name} would be ${bytes} bytes, over ${MAX_COOKIE_BYTES}`);
  return cookie;
}

/** A Set-Cookie value that removes the cookie (same name and Path, Max-Age=0: RFC 6265bis §5.7). */
export function clearCookie(name: string, paths: CookiePaths): string {
  return `${name}=; ${attributes(name === COOKIE_NAMES.login ? paths.login : paths.session, 0)}`;
}

/** Set-Cookie values removing every cookie the broker sets. */
export const clearAllCookies = (paths: CookiePaths): string[] => ALL_COOKIE_NAMES.map((name) => clearCookie(name, paths));

/** The broker's cookies in a request, by name; every value of a name sent more than once. */
export type RequestCookies = ReadonlyMap<string, readonly string[]>;

/**
 * The broker's cookies in a request, by name: API Gateway (payload 2.0) gives `event.cookies` as
 * `name=value` strings. A name may come more than once (cookies of the same name on other paths or
 * domains, planted or not): every value is kept, and the caller tries each. Other cookies are
 * ignored, never read.
 */
export function brokerCookies(cookies: readonly string[] | undefined): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const pair of cookies ?? []) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    const name = pair.slice(0, eq).trim();
    if (!ALL_COOKIE_NAMES.includes(name)) continue;
    found.set(name, [...(found.get(name) ?? []), pair.slice(eq + 1).trim()]);
  }
  return found;
}

/** Seals a login cookie under the current key, the cookie's name as the purpose. */
export const sealLogin = (login: LoginState, key: SealKey): string => seal(login, key, COOKIE_NAMES.login);

/** Opens a login cookie value with the key it names; undefined when no key opens it or its shape is wrong. */
export async function openLogin(value: string, keyFor: (keyId: string | undefined) => Promise<SealKey | undefined>): Promise<LoginState | undefined> {
  const key = await keyFor(sealedKeyId(value));
  if (key === undefined) return undefined;
  const opened = unseal(value, key, COOKIE_NAMES.login);
  return isLoginState(opened) ? opened : undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

export const isLoginState = (value: unknown): value is LoginState =>
  isObject(value) &&
  value.v === 1 &&
  typeof value.stateSecret === 'string' &&
  typeof value.codeVerifier === 'string' &&
  typeof value.redirectUri === 'string' &&
  typeof value.exp === 'number';
