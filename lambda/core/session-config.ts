// Cookie sessions' configuration (the token handler under /bff), parsed by loadConfig (config.ts)
// with the rest: the switch, the keys secret, the session's lifetime, whether page script receives
// access tokens, the origins that use cookie sessions (kept apart from the origins that may acquire
// tokens), and the APIs the bearer proxy reaches. Every problem is added to the caller's list.

import { isOn, list, type Env } from './env.js';

/** Names of the variables read here; config.ts ENV spreads them in. */
export const SESSION_ENV = {
  cookieSessions: 'TOKEN_BROKER_COOKIE_SESSIONS',
  cookieKeysSecretId: 'TOKEN_BROKER_COOKIE_KEYS_SECRET_ID',
  sessionMaxAgeSeconds: 'TOKEN_BROKER_SESSION_MAX_AGE_SECONDS',
  pageTokens: 'TOKEN_BROKER_PAGE_TOKENS',
  sessionOrigins: 'TOKEN_BROKER_SESSION_ORIGINS',
  apis: 'TOKEN_BROKER_APIS',
  apiTimeoutMs: 'TOKEN_BROKER_API_TIMEOUT_MS',
} as const;

/**
 * What page script receives from /bff/login/end and /bff/refresh. `none` (the default): no token at
 * all, the page calls APIs through the broker (/bff/api, /bff/portal), the backend-for-frontend
 * pattern of the IETF's "OAuth 2.0 for Browser-Based Applications". `access`: the access token too,
 * as before the broker proxied APIs.
 */
export type PageTokens = 'none' | 'access';
const PAGE_TOKENS: readonly PageTokens[] = ['none', 'access'];

/** The methods the bearer proxy may forward (an API allows a subset; GET by default). */
const API_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type ApiMethod = (typeof API_METHODS)[number];

/** One API the bearer proxy reaches at /bff/api/<name>/…. */
export interface ApiTarget {
  readonly name: string;
  /** Absolute http(s) URL without query, fragment or trailing slash; the proxied path is appended. */
  readonly url: string;
  readonly methods: ReadonlySet<ApiMethod>;
}

/** Cookie mode: the SPA's refresh token lives in an encrypted HttpOnly cookie (surfaces/bff/). */
export interface CookieSessionConfig {
  /** Name or ARN of the secret holding the cookie keys (AWSCURRENT seals, AWSPREVIOUS still opens). */
  readonly keysSecretId: string;
  /**
   * How long a session cookie lives, from sign-in. SSO OIDC does not say how long a refresh token
   * lives (it follows the Identity Center session duration, which the deployer knows).
   */
  readonly sessionMaxAgeSeconds: number;
  readonly pageTokens: PageTokens;
  /**
   * The browser origins that use cookie sessions. Only they may call /bff routes, and no route that
   * acquires tokens answers them: page script there can never obtain a token of its own.
   */
  readonly origins: ReadonlySet<string>;
  /** The APIs of the bearer proxy, by name. */
  readonly apis: ReadonlyMap<string, ApiTarget>;
  /** Whole-call deadline of one proxied API call (within the request's deadline). */
  readonly apiTimeoutMs: number;
}

export const SESSION_DEFAULTS = {
  // Identity Center's default session duration.
  sessionMaxAgeSeconds: 8 * 3600,
  pageTokens: 'none' as PageTokens,
  apiTimeoutMs: 8000,
  apiMethods: ['GET'] as ApiMethod[],
} as const;


/** What loadConfig lends: its problem list and its checks of shared shapes. */
export interface SessionParseContext {
  readonly problems: string[];
  readonly int: (name: string, fallback: number, min: number, max: number) => number;
  readonly isOrigin: (value: string) => boolean;
  /** TOKEN_BROKER_ALLOWED_ORIGINS, parsed: a session origin may not be among them. */
  readonly allowedOrigins: ReadonlySet<string>;
  /** TOKEN_BROKER_REDIRECT_URIS, parsed: sign-in needs one on a session origin. */
  readonly redirectUris: ReadonlySet<string>;
  readonly allowedOriginsName: string;
  readonly redirectUrisName: string;
}

const API_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The cookie-session settings, or undefined when the mode is off. */
export function parseCookieSessions(env: Env, context: SessionParseContext): CookieSessionConfig | undefined {
  const { problems } = context;
  const on = isOn(env, SESSION_ENV.cookieSessions, problems);
  // Identity Center sessions last from 15 minutes to 90 days.
  const sessionMaxAgeSeconds = context.int(SESSION_ENV.sessionMaxAgeSeconds, SESSION_DEFAULTS.sessionMaxAgeSeconds, 300, 90 * 86400);
  const apiTimeoutMs = context.int(SESSION_ENV.apiTimeoutMs, SESSION_DEFAULTS.apiTimeoutMs, 100, 25_000);
  if (!on) return undefined;

  const keysSecretId = env[SESSION_ENV.cookieKeysSecretId]?.trim() ?? '';
  if (keysSecretId === '') {
    problems.push(`${SESSION_ENV.cookieKeysSecretId} is required when ${SESSION_ENV.cookieSessions}=on (the cookie keys secret's name or ARN)`);
  }
  const rawPageTokens = (env[SESSION_ENV.pageTokens] ?? '').trim();
  let pageTokens = SESSION_DEFAULTS.pageTokens;
  if (rawPageTokens !== '') {
    if ((PAGE_TOKENS as readonly string[]).includes(rawPageTokens)) pageTokens = rawPageTokens as PageTokens;
    else problems.push(`${SESSION_ENV.pageTokens} must be one of ${PAGE_TOKENS.join(', ')}, got "${rawPageTokens}"`);
  }
  return { keysSecretId, sessionMaxAgeSeconds, pageTokens, origins: sessionOrigins(env, context), apis: apis(env, context), apiTimeoutMs };
}

/**
 * The cookie-session origins: required, disjoint from the token-API origins (an origin on both
 * lists would let page script acquire tokens after all), and with at least one redirect URI to
 * sign in to.
 */
function sessionOrigins(env: Env, context: SessionParseContext): ReadonlySet<string> {
  const { problems } = context;
  const name = SESSION_ENV.sessionOrigins;
  const origins = new Set<string>();
  for (const origin of list(env[name])) {
    if (!context.isOrigin(origin)) problems.push(`${name}: "${origin}" is not an origin (scheme://host[:port], no path, no wildcard)`);
    else if (context.allowedOrigins.has(origin)) {
      problems.push(
        `${name}: "${origin}" is also in ${context.allowedOriginsName}: a cookie-session origin must not be able to acquire tokens (list it in one of the two only)`,
      );
    } else origins.add(origin);
  }
  if (origins.size === 0 && list(env[name]).length === 0) {
    problems.push(
      `${name} is required when ${SESSION_ENV.cookieSessions}=on: the origins of the SPAs that use cookie sessions ` +
        `(kept apart from ${context.allowedOriginsName}, whose pages may acquire tokens)`,
    );
  } else if (origins.size > 0 && ![...context.redirectUris].some((uri) => origins.has(new URL(uri).origin))) {
    problems.push(
      `${context.redirectUrisName} must hold at least one redirect URI on a cookie-session origin (${name}): ` +
        'cookie sessions sign in to it, and it is reserved for their login/end route',
    );
  }
  return origins;
}

/** `name=url [METHOD …]`, comma-separated: the bearer proxy's APIs. */
function apis(env: Env, context: SessionParseContext): ReadonlyMap<string, ApiTarget> {
  const { problems } = context;
  const variable = SESSION_ENV.apis;
  const found = new Map<string, ApiTarget>();
  for (const entry of list(env[variable])) {
    const eq = entry.indexOf('=');
    const name = eq < 0 ? '' : entry.slice(0, eq).trim();
    const [url = '', ...methodWords] = entry
      .slice(eq + 1)
      .trim()
      .split(/\s+/);
    if (!API_NAME.test(name)) {
      problems.push(`${variable}: "${entry}" must be name=url [METHOD ...], the name 1 to 32 of a-z 0-9 - (starting with a letter or digit)`);
      continue;
    }
    if (found.has(name)) problems.push(`${variable}: the API "${name}" is named twice`);
    const problem = apiUrlProblem(url);
    if (problem !== undefined) problems.push(`${variable}: the URL of "${name}" ${problem}`);
    const methods = new Set<ApiMethod>(methodWords.length === 0 ? SESSION_DEFAULTS.apiMethods : []);
    for (const word of methodWords) {
      const method = word.toUpperCase();
      if ((API_METHODS as readonly string[]).includes(method)) methods.add(method as ApiMethod);
      else problems.push(`${variable}: the method "${word}" of "${name}" is not one of ${API_METHODS.join(', ')}`);
    }
    found.set(name, { name, url: url.replace(/\/+$/, ''), methods });
  }
  return found;
}

/** Why a value is not a usable API base URL, or undefined. https, or http on loopback for local runs. */
function apiUrlProblem(value: string): string | undefined {
  if (!URL.canParse(value)) return `"${value}" is not an absolute URL`;
  const url = new URL(value);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    return `"${value}" must use https (http only for 127.0.0.1, localhost or [::1])`;
  }
  if (url.username !== '' || url.password !== '' || value.includes('?') || value.includes('#')) {
    return `"${value}" must have no user name, password, query or fragment`;
  }
  return undefined;
}
