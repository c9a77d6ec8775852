// The route families the benchmark measures warm, each one entry: the route (a row of the route
// table), what the broker process serving it is configured with, the API Gateway event of one
// request, the direct call it is compared with (bench/baseline/direct.ts: the same upstream call
// with nothing around it), and any upstream of its own the bench must start. `npm run bench` runs a
// broker process per family, measures its CPU per call against the direct call in paired batches,
// counts its Secrets Manager calls and new connections, and judges it against the warm target.
//
// Adding a family (a new surface's routes) is one entry in ROUTE_FAMILIES:
//   {
//     route: 'portalAccounts',                     // its ROUTE_TABLE id
//     path: ...,                                   // only for a proxy route: the concrete path
//     direct: 'SSOClient ListAccounts',            // what the direct call is, for the table
//     prepare: (upstreams) => ({
//       env: { ... },                              // what turns the route on
//       request: { headers: { ... } },             // what one request carries (a bearer token, cookies)
//       direct: { call: 'listAccounts', input: { accessToken: upstreams.accessToken } },
//       expect: { status: 200, body: '"accountList"', direct: 'accountList' },
//     }),
//   }
// and, for a family whose upstream the bench does not run yet (an API behind /bff/api), `prepare`
// starts it and returns `stop` and `connections` (bench/api-upstream.ts is such a server).

import { ROUTE_TABLE, type RouteId } from '../lambda/edge/routes.js';
import { CSRF_HEADER } from '../lambda/edge/cors.js';
import { ENV, DEFAULTS } from '../lambda/core/config.js';
import { generateCookieKey, parseCookieKey, sealKeyOf } from '../lambda/core/cookie-keys.js';
import { sealFor } from '../lambda/core/sealed.js';
import { COOKIE_NAMES, sealCookie } from '../lambda/surfaces/bff/cookies.js';
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
  /** What one request carries besides the route: headers, body, cookies. */
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
  /** What the direct call is, for the table. */
  readonly direct: string;
  prepare(upstreams: Upstreams): PreparedFamily | Promise<PreparedFamily>;
}

/** The issuer the front door runs with (TOKEN_BROKER_ISSUER); nothing is fetched from it. */
export const FRONT_DOOR_ISSUER = 'https://broker.example.com';
/** The single-page app's origin, on the allow list of the token handler's broker. */
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

/**
 * POST /bff/refresh: the token handler's refresh, from an allowed origin with the CSRF header and a
 * session cookie sealed with the cookie keys secret the bench puts in the emulator. The emulator does
 * not rotate refresh tokens, so the one cookie serves every request, as a session between rotations.
 */
const bffRefresh: RouteFamily = {
  route: 'bffRefresh',
  direct: 'SDK CreateToken',
  prepare: (u) => {
    const stored = generateCookieKey();
    u.secrets.putSecret(COOKIE_KEYS_SECRET, JSON.stringify(stored));
    const name = COOKIE_NAMES.session[0];
    const exp = Math.floor(Date.now() / 1000) + DEFAULTS.sessionMaxAgeSeconds;
    const cookie = sealCookie(name, { v: 1, g: 0, rt: sealedRefreshToken(u), exp }, sealKeyOf(parseCookieKey(JSON.stringify(stored))));
    return {
      env: {
        [ENV.issuer]: FRONT_DOOR_ISSUER,
        [ENV.cookieSessions]: 'on',
        [ENV.cookieKeysSecretId]: COOKIE_KEYS_SECRET,
        [ENV.allowedOrigins]: APP_ORIGIN,
      },
      request: {
        headers: { 'content-type': 'application/json', origin: APP_ORIGIN, [CSRF_HEADER]: '1' },
        body: '{}',
        cookies: [`${name}=${cookie}`],
      },
      direct: directRefresh(u),
      expect: TOKEN_ANSWER,
    };
  },
};

export const ROUTE_FAMILIES: readonly RouteFamily[] = [awsJsonToken, oauthToken, bffRefresh];

/** A family's name in tables and reports: the route key, "POST /token". */
export function familyName(family: RouteFamily): string {
  const route = ROUTE_TABLE[family.route];
  return `${route.method} ${family.path ?? route.path}`;
}

/** The family's API Gateway event. */
export function familyEvent(family: RouteFamily, prepared: PreparedFamily): Record<string, unknown> {
  const route = ROUTE_TABLE[family.route];
  return apiEvent({ routeKey: `${route.method} ${route.path}`, path: family.path ?? route.path, ...prepared.request });
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
