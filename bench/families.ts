// The route families the benchmark measures warm, each one entry: the route (a row of the route
// table), what the broker process serving it is configured with, the API Gateway event of one
// request, the direct call it is compared with (bench/baseline/direct.ts: the same upstream call
// with nothing around it), and any upstream of its own the bench must start. `npm run bench` runs a
// broker process per family, measures its CPU per call against the direct call in paired batches,
// counts its Secrets Manager calls and new connections, and judges it against the warm target.
//
// Adding a family (a new surface's routes) is one entry in ROUTE_FAMILIES: its ROUTE_TABLE id (and,
// for a `{proxy+}` route, a concrete path and method), what the direct call is, and `prepare`, which
// returns the variables that turn the route on, what one request carries, the direct call (a name
// in bench/baseline/direct.ts and its input) and what a success looks like; a family whose upstream
// the bench does not otherwise run starts it there and returns `connections` and `stop`
// (bench/api-upstream.ts is such a server). The portal and the API proxy below are examples of both.

import { ROUTE_TABLE, type RouteId } from '../lambda/edge/routes.js';
import { CSRF_HEADER } from '../lambda/edge/cors.js';
import { ENV, DEFAULTS } from '../lambda/core/config.js';
import { generateCookieKey, parseCookieKey, sealKeyOf } from '../lambda/core/cookie-keys.js';
import { PORTAL_BEARER_HEADER } from '../lambda/core/portal-config.js';
import { sealFor } from '../lambda/core/sealed.js';
import { cookiePaths } from '../lambda/surfaces/bff/cookies.js';
import { sessionSetCookies } from '../lambda/surfaces/bff/session-cookie.js';
import { startApiUpstream } from './api-upstream.js';
import type { DirectCall } from './baseline/direct.js';
import { apiEvent, type RequestShape, type Upstreams } from './upstream.js';

/** What a successful call looks like: the handler's status and a pattern its body matches; a member the direct call's result has. */
export interface Expectation {
  readonly status: number;
  readonly body?: string;
  readonly direct: string;
}

/** A family made ready against the bench's upstreams. */
export interface PreparedFamily {
  /** Variables of the broker process serving the family, beyond the function's own (the feature that turns the route on). */
  readonly env: Record<string, string>;
  /** What one request carries besides the route: headers, body, cookies (and the method of an ANY route). */
  readonly request: Omit<RequestShape, 'routeKey' | 'path'>;
  readonly direct: { readonly call: DirectCall; readonly input: unknown };
  readonly expect: Expectation;
  /** Connections the family's own upstream accepted so far, when the bench started one for it. */
  readonly connections?: () => number;
  readonly stop?: () => Promise<void>;
}

export interface RouteFamily {
  readonly route: RouteId;
  /** The concrete path, for a route whose path is a template (`/{proxy+}`). */
  readonly path?: string;
  /** The request's method, for a route of any method (ANY). */
  readonly method?: string;
  /** What the direct call is, for the table. */
  readonly direct: string;
  prepare(upstreams: Upstreams): PreparedFamily | Promise<PreparedFamily>;
}

/** The issuer the front door runs with (TOKEN_BROKER_ISSUER); nothing is fetched from it. */
export const FRONT_DOOR_ISSUER = 'https://broker.example.com';
/** The single-page app's origin, a cookie-session origin of the token handler's broker. */
export const APP_ORIGIN = 'https://app.example.com';
export const COOKIE_KEYS_SECRET = 'token-broker/bench-cookie-keys';

/** The refresh token the front door hands out for the bench's upstream one: sealed with the registration. */
const sealedRefreshToken = (u: Upstreams): string =>
  sealFor('refresh_token', { refreshToken: u.refreshToken, scope: '' }, { clientId: u.clientId, clientSecret: u.clientSecret });

/** The refresh every token route makes: a bare SDK CreateToken with the registration and the same refresh token. */
const directRefresh = (u: Upstreams): PreparedFamily['direct'] => ({
  call: 'createToken',
  input: { clientId: u.clientId, clientSecret: u.clientSecret, grantType: 'refresh_token', refreshToken: u.refreshToken },
});

const TOKEN_ANSWER = { status: 200, body: '"access_?[tT]oken"', direct: 'accessToken' } as const;

/** POST /token: the AWS JSON dialect's refresh, camelCase JSON in and out. */
const awsJsonToken: RouteFamily = {
  route: 'token',
  direct: 'SDK CreateToken',
  prepare: (u) => ({
    env: {},
    request: {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grantType: 'refresh_token', refreshToken: u.refreshToken }),
    },
    direct: directRefresh(u),
    expect: TOKEN_ANSWER,
  }),
};

/** POST /oauth2/token: the front door's refresh (RFC 6749 §6), form-encoded, a public client, a sealed refresh token. */
const oauthToken: RouteFamily = {
  route: 'oauthToken',
  direct: 'SDK CreateToken',
  prepare: (u) => ({
    env: { [ENV.issuer]: FRONT_DOOR_ISSUER },
    request: {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: sealedRefreshToken(u), client_id: DEFAULTS.publicClientId }).toString(),
    },
    direct: directRefresh(u),
    expect: TOKEN_ANSWER,
  }),
};

/** The single-page app's origin: a cookie-session origin (TOKEN_BROKER_SESSION_ORIGINS), with its redirect URI. */
const SESSION_VARIABLES = {
  [ENV.issuer]: FRONT_DOOR_ISSUER,
  [ENV.cookieSessions]: 'on',
  [ENV.cookieKeysSecretId]: COOKIE_KEYS_SECRET,
  [ENV.sessionOrigins]: APP_ORIGIN,
  [ENV.redirectUris]: `${APP_ORIGIN}/callback`,
} as const;

/**
 * A signed-in browser's session cookies, sealed with a cookie key the bench puts in the Secrets
 * Manager emulator, holding the bench's refresh token and an access token valid for an hour. The
 * emulator does not rotate refresh tokens, so the one session serves every request.
 */
function sessionCookies(u: Upstreams): string[] {
  const stored = generateCookieKey();
  u.secrets.putSecret(COOKIE_KEYS_SECRET, JSON.stringify(stored));
  const now = Math.floor(Date.now() / 1000);
  const state = { v: 2, g: 0, rt: u.refreshToken, c: u.clientId, sc: '', exp: now + DEFAULTS.sessionMaxAgeSeconds, at: u.accessToken, ate: now + 3600 } as const;
  const setCookies = sessionSetCookies(state, sealKeyOf(parseCookieKey(JSON.stringify(stored))), {
    paths: cookiePaths(''),
    nowSeconds: now,
    present: new Map(),
    clearOther: false,
  });
  // What a browser sends back: each cookie's name=value.
  return setCookies.map((cookie) => cookie.slice(0, cookie.indexOf(';')));
}

/** What a page on the session origin sends with every /bff call: its origin, the CSRF header, the cookies. */
const sessionRequest = (u: Upstreams) => ({ headers: { origin: APP_ORIGIN, [CSRF_HEADER]: '1' }, cookies: sessionCookies(u) });

/** POST /bff/refresh: the token handler's refresh, from the session origin with its session cookies. */
const bffRefresh: RouteFamily = {
  route: 'bffRefresh',
  direct: 'SDK CreateToken',
  prepare: (u) => {
    const { headers, cookies } = sessionRequest(u);
    return {
      env: SESSION_VARIABLES,
      request: { headers: { ...headers, 'content-type': 'application/json' }, body: '{}', cookies },
      direct: directRefresh(u),
      expect: { status: 200, body: '"isLoggedIn":true', direct: 'accessToken' },
    };
  },
};

/** The account and role the portal family asks credentials for (the emulator's demo user has it). */
const PORTAL_ACCOUNT = '111122223333';
const PORTAL_ROLE = 'ReadOnlyAccess';

/**
 * GET /portal/federation/credentials: the access portal's GetRoleCredentials through the broker (its
 * role policy allowing the one role), against a direct SSOClient GetRoleCredentials. The route a web
 * app calls for credentials, one portal call each; ListAccounts is not the family's route because the
 * broker makes one ListAccountRoles per account besides (its role policy), which no single direct
 * call does.
 */
const portalCredentials: RouteFamily = {
  route: 'portalCredentials',
  direct: 'SSOClient GetRoleCredentials',
  prepare: (u) => ({
    env: { [ENV.portal]: 'on', [ENV.portalRoles]: `${PORTAL_ACCOUNT}/${PORTAL_ROLE}` },
    request: { headers: { [PORTAL_BEARER_HEADER]: u.accessToken }, rawQuery: `role_name=${PORTAL_ROLE}&account_id=${PORTAL_ACCOUNT}` },
    direct: { call: 'getRoleCredentials', input: { accessToken: u.accessToken, accountId: PORTAL_ACCOUNT, roleName: PORTAL_ROLE } },
    expect: { status: 200, body: '"roleCredentials"', direct: 'roleCredentials' },
  }),
};

/**
 * GET /bff/api/orders/items: the bearer proxy, from the session origin with its cookies, to an API
 * the bench starts (bench/api-upstream.ts, which accepts only the session's access token), against a
 * direct fetch of the same URL with the same token.
 */
const bffApi: RouteFamily = {
  route: 'bffApi',
  path: '/bff/api/orders/items',
  method: 'GET',
  direct: 'fetch of the same API',
  prepare: async (u) => {
    const api = await startApiUpstream(u.accessToken);
    return {
      env: { ...SESSION_VARIABLES, [ENV.apis]: `orders=${api.url}` },
      request: sessionRequest(u),
      direct: { call: 'fetch', input: { url: `${api.url}/items`, headers: { authorization: `Bearer ${u.accessToken}` } } },
      expect: { status: 200, body: '"items"', direct: 'body' },
      connections: api.connections,
      stop: api.stop,
    };
  },
};

export const ROUTE_FAMILIES: readonly RouteFamily[] = [awsJsonToken, oauthToken, bffRefresh, portalCredentials, bffApi];

/** A family's name in tables and reports: the route key, "POST /token". */
export function familyName(family: RouteFamily): string {
  const route = ROUTE_TABLE[family.route];
  return `${family.method ?? route.method} ${family.path ?? route.path}`;
}

/** The family's API Gateway event. */
export function familyEvent(family: RouteFamily, prepared: PreparedFamily): Record<string, unknown> {
  const route = ROUTE_TABLE[family.route];
  return apiEvent({
    routeKey: `${route.method} ${route.path}`,
    path: family.path ?? route.path,
    ...(family.method === undefined ? {} : { method: family.method }),
    ...prepared.request,
  });
}

/** Each family prepared, by name; stopping them stops what they started. */
export async function prepareFamilies(
  families: readonly RouteFamily[],
  upstreams: Upstreams,
): Promise<{ readonly prepared: ReadonlyMap<string, { family: RouteFamily; prepared: PreparedFamily }>; stop(): Promise<void> }> {
  const prepared = new Map<string, { family: RouteFamily; prepared: PreparedFamily }>();
  const stop = async () => {
    for (const { prepared: one } of prepared.values()) await one.stop?.();
  };
  try {
    for (const family of families) {
      const name = familyName(family);
      if (prepared.has(name)) throw new Error(`two route families named ${name}`);
      prepared.set(name, { family, prepared: await family.prepare(upstreams) });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { prepared, stop };
}

/** The input file's contents (bench/child.mjs): the cold start's request, and every family's. */
export function childInput(
  cold: { family: RouteFamily; prepared: PreparedFamily },
  prepared: ReadonlyMap<string, { family: RouteFamily; prepared: PreparedFamily }>,
): Record<string, unknown> {
  return {
    cold: { event: familyEvent(cold.family, cold.prepared), expect: cold.prepared.expect },
    families: Object.fromEntries(
      [...prepared].map(([name, { family, prepared: one }]) => [
        name,
        { event: familyEvent(family, one), direct: one.direct, expect: one.expect },
      ]),
    ),
  };
}
