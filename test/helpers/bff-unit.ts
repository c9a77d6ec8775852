// The token handler's surface (lambda/surfaces/bff/) driven as the edge drives it, with fake grants,
// keys and APIs: the unit tests' world. The grants behave like SSO OIDC rotating refresh tokens (each
// works once); the keys are a keyring a test rotates by hand.

import { randomBytes } from 'node:crypto';
import { newAudit } from '../../lambda/core/audit.js';
import type { ApiAnswer, ApiRequest } from '../../lambda/core/api-proxy.js';
import { sealKeyOf } from '../../lambda/core/cookie-keys.js';
import { BrokerError, upstreamError } from '../../lambda/core/errors.js';
import type { SealKey } from '../../lambda/core/seal.js';
import type { SessionTokens } from '../../lambda/core/session-grants.js';
import type { SignInRequest } from '../../lambda/core/sign-in.js';
import { routeIdOf } from '../../lambda/edge/routes.js';
import type { RouteRequest } from '../../lambda/surfaces/answer.js';
import { cookiePaths } from '../../lambda/surfaces/bff/cookies.js';
import { bffRoutes, type ApiDeps, type SessionDeps, type SessionPortalDeps } from '../../lambda/surfaces/bff/index.js';
import type { PortalClient } from '../../lambda/core/portal-client.js';
import { parseRolePolicy } from '../../lambda/core/role-policy.js';

export const ISSUER = 'https://auth.example.com';
export const REDIRECT = 'https://app.example.com/callback';
export const NOW_MS = 1_800_000_000_000;
export const NOW = NOW_MS / 1000;
export const key1 = sealKeyOf({ keyId: 'k1', key: 'a'.repeat(43) });
export const key2 = sealKeyOf({ keyId: 'k2', key: 'b'.repeat(43) });
export const key3 = sealKeyOf({ keyId: 'k3', key: 'c'.repeat(43) });

export type Answer = { statusCode: number; body?: unknown; cookies?: readonly string[]; passThrough?: { headers: Record<string, string>; body: Uint8Array } };

/** SSO OIDC through the session grants, rotating refresh tokens: each one works once. */
export function rotatingGrants(sizes: { refreshTokenChars?: number; accessTokenChars?: number } = {}, onIssue: (tokens: SessionTokens) => void = () => undefined) {
  const live = new Set<string>();
  let n = 0;
  // Of a given size: random base64url after the prefix, as incompressible as SSO OIDC's tokens.
  const token = (prefix: string, chars: number | undefined) =>
    chars === undefined ? `${prefix}-${++n}-`.padEnd(24, 'x') : `${prefix}-${++n}-${randomBytes(chars).toString('base64url')}`.slice(0, chars);
  const issue = (scope = 'sso:account:access'): SessionTokens => {
    const refreshToken = token('refresh', sizes.refreshTokenChars);
    live.add(refreshToken);
    const tokens = { accessToken: token('access', sizes.accessTokenChars), tokenType: 'Bearer', expiresIn: 3600, refreshToken, clientId: 'client-1', scope };
    onIssue(tokens);
    return tokens;
  };
  const calls: { grant: string; input: Record<string, unknown> }[] = [];
  const grants: SessionDeps['grants'] = {
    async signInUrl(request: SignInRequest) {
      calls.push({ grant: 'sign_in', input: { ...request } });
      const url = new URL('https://oidc.example.com/authorize');
      url.searchParams.set('state', request.clientState ?? '');
      url.searchParams.set('code_challenge', request.codeChallenge);
      url.searchParams.set('redirect', request.redirectUri);
      return url.href;
    },
    async redeemCode(input) {
      calls.push({ grant: 'authorization_code', input: { ...input } });
      if (input.code !== 'good-code') throw upstreamError({ status: 400, type: 'InvalidGrantException' });
      return issue();
    },
    async refresh(input) {
      calls.push({ grant: 'refresh_token', input: { ...input } });
      if (!live.delete(input.refreshToken)) throw upstreamError({ status: 400, type: 'InvalidGrantException', description: 'Invalid refresh token provided' });
      return issue(input.scope);
    },
  };
  return { grants, calls, issue, live };
}

/** Keys as the secret holds them: current, and previous (still opens); `failNext` fails the next reads of the current key. */
export function keyring(current: SealKey, previous?: SealKey) {
  const ring = { current, previous, failNext: 0, currentReads: 0 };
  return {
    ring,
    keys: {
      current: async () => {
        ring.currentReads += 1;
        if (ring.failNext > 0) {
          ring.failNext -= 1;
          throw new BrokerError({ status: 500, type: 'InternalServerException', error: 'server_error', logDetail: 'cookie keys secret could not be read' });
        }
        return ring.current;
      },
      forKeyId: async (id: string | undefined) => [ring.current, ring.previous].find((k) => k !== undefined && k.id === id),
    },
  };
}

/** An API as the bearer proxy sees it: answers 401 to any token but the ones `accepts` names. */
export function fakeApi() {
  const calls: { request: ApiRequest; token: string }[] = [];
  const accepted = new Set<string>();
  let answer: (request: ApiRequest, token: string) => ApiAnswer = (_request, token): ApiAnswer =>
    accepted.has(token)
      ? { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"ok":true}') }
      : { status: 401, headers: {}, body: Buffer.from('{"message":"invalid_token"}') };
  return {
    calls,
    accepted,
    answerWith(next: typeof answer) {
      answer = next;
    },
    callApi: async (request: ApiRequest, token: string): Promise<ApiAnswer> => {
      calls.push({ request, token });
      return answer(request, token);
    },
  };
}

/** The access portal as a cookie session sees it: a token works until its session logs out. */
export function fakePortal() {
  const live = new Set<string>();
  const calls: { operation: string; token: string; query: Readonly<Record<string, string>> }[] = [];
  const unauthorized = () => new BrokerError({ status: 401, type: 'UnauthorizedException', error: 'invalid_token', description: 'Session token not found or invalid', fromUpstream: true });
  const client: PortalClient = {
    async call(operation, token, query = {}) {
      calls.push({ operation, token, query });
      if (!live.has(token)) throw unauthorized();
      if (operation === 'Logout') {
        live.clear();
        return { status: 200, body: undefined, requestId: undefined };
      }
      if (operation === 'ListAccounts') return { status: 200, body: { accountList: [{ accountId: '111122223333', accountName: 'sandbox' }, { accountId: '444455556666' }] }, requestId: undefined };
      if (operation === 'ListAccountRoles') return { status: 200, body: { roleList: [{ roleName: 'ReadOnly', accountId: query.account_id }, { roleName: 'Admin', accountId: query.account_id }] }, requestId: undefined };
      return { status: 200, body: { roleCredentials: { accessKeyId: 'ASIAX', secretAccessKey: 'secret', sessionToken: 'session', expiration: NOW_MS + 3600_000 } }, requestId: undefined };
    },
  };
  return { client, live, calls };
}

export function setup(options: { current?: SealKey; previous?: SealKey; pageTokens?: 'none' | 'access'; sizes?: Parameters<typeof rotatingGrants>[0] } = {}) {
  const { ring, keys } = keyring(options.current ?? key1, options.previous);
  const portal = fakePortal();
  // Every access token SSO OIDC issues works at the portal until a Logout.
  const upstream = rotatingGrants(options.sizes, (tokens) => portal.live.add(tokens.accessToken));
  const api = fakeApi();
  const clock = { ms: NOW_MS };
  const deps: SessionDeps & ApiDeps & SessionPortalDeps = {
    issuer: ISSUER,
    redirectUris: [REDIRECT, 'https://app.example.com/other'],
    sessionMaxAgeSeconds: 8 * 3600,
    pageTokens: options.pageTokens ?? 'none',
    keys,
    paths: cookiePaths(''),
    grants: upstream.grants,
    apis: new Map([['orders', { name: 'orders', url: 'https://api.example.com/v1', methods: new Set(['GET', 'POST'] as const) }]]),
    callApi: api.callApi,
    portalClient: portal.client,
    portal: { client: portal.client, policy: parseRolePolicy(['*/ReadOnly']).policy },
    now: () => clock.ms,
  };
  const call = async (route: string, body: unknown = {}, cookies: readonly string[] = [], request: Partial<RouteRequest> = {}): Promise<Answer> => {
    const handler = bffRoutes(deps)[routeIdOf(route) as keyof ReturnType<typeof bffRoutes>];
    return (await handler({ body, rawQuery: '', headers: {}, cookies, ...request }, newAudit())) as Answer;
  };
  return { deps, ring, upstream, api, portal, clock, call };
}

/** The `name=value` pairs a browser would send back for Set-Cookie values (Max-Age=0 ones dropped), applied over `before`. */
export function jar(setCookies: readonly string[] | undefined, before: readonly string[] = []): string[] {
  const cookies = new Map(before.map((pair) => [pair.slice(0, pair.indexOf('=')), pair]));
  for (const cookie of setCookies ?? []) {
    const pair = cookie.split(';')[0]!;
    const name = pair.slice(0, pair.indexOf('='));
    if (/Max-Age=0\b/.test(cookie)) cookies.delete(name);
    else cookies.set(name, pair);
  }
  return [...cookies.values()];
}

export const cleared = (setCookies: readonly string[] | undefined): string[] =>
  (setCookies ?? []).filter((c) => /Max-Age=0\b/.test(c)).map((c) => c.split('=')[0]!);

export const names = (cookies: readonly string[]): string[] => cookies.map((c) => c.slice(0, c.indexOf('=')));

export async function rejected(promise: Promise<unknown>): Promise<BrokerError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BrokerError) return error;
    throw error;
  }
  throw new Error('expected a BrokerError');
}
