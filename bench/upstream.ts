// The upstreams the benchmark runs against: the local SSO OIDC and Secrets Manager emulators, in the
// bench process, with one registered client in the secret and one refresh token that every request
// exchanges (the emulator does not rotate refresh tokens unless asked, so one token serves all runs).

import { randomUUID } from 'node:crypto';
import { SecretsManagerEmulator } from '../local/emulators/secrets-manager.js';
import { SsoOidcEmulator } from '../local/emulators/sso-oidc.js';

export const REGION = 'us-east-1';
export const SECRET_NAME = 'token-broker/bench-registration';
const REDIRECT = 'https://app.example.com/callback';

export interface Upstreams {
  readonly oidc: SsoOidcEmulator;
  readonly secrets: SecretsManagerEmulator;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly refreshToken: string;
  /** An access token from the same sign-in, for the access portal API (it lasts an hour). */
  readonly accessToken: string;
  /** The counters a warm request must not move. */
  counters(): Counters;
  stop(): Promise<void>;
}

export interface Counters {
  readonly getSecretValue: number;
  readonly secretsConnections: number;
  readonly oidcConnections: number;
  readonly createToken: number;
}

export function difference(after: Counters, before: Counters): Counters {
  return {
    getSecretValue: after.getSecretValue - before.getSecretValue,
    secretsConnections: after.secretsConnections - before.secretsConnections,
    oidcConnections: after.oidcConnections - before.oidcConnections,
    createToken: after.createToken - before.createToken,
  };
}

export async function startUpstreams(): Promise<Upstreams> {
  const oidc = await SsoOidcEmulator.start({ rotateRefreshTokens: false });
  const secrets = await SecretsManagerEmulator.start({ region: REGION });
  const registration = oidc.registerClient({
    clientName: 'token-broker-bench',
    clientType: 'public',
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [REDIRECT],
    issuerUrl: oidc.url,
  });
  secrets.putSecret(SECRET_NAME, JSON.stringify(registration));

  // One code exchanged over HTTP for the refresh token every benchmark request then uses.
  const code = oidc.authorize({ clientId: registration.clientId, redirectUri: REDIRECT });
  const answer = await fetch(`${oidc.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      clientId: registration.clientId,
      clientSecret: registration.clientSecret,
      grantType: 'authorization_code',
      code,
      redirectUri: REDIRECT,
    }),
  });
  const tokens = (await answer.json()) as { refreshToken?: string; accessToken?: string };
  if (!answer.ok || typeof tokens.refreshToken !== 'string' || typeof tokens.accessToken !== 'string') {
    throw new Error(`the SSO OIDC emulator gave no refresh token (${answer.status})`);
  }
  const { refreshToken, accessToken } = tokens;

  return {
    oidc,
    secrets,
    clientId: registration.clientId,
    clientSecret: registration.clientSecret,
    refreshToken,
    accessToken,
    counters: () => ({
      getSecretValue: secrets.callCount('GetSecretValue'),
      secretsConnections: secrets.connections,
      oidcConnections: oidc.connections,
      createToken: oidc.callCount('/token'),
    }),
    stop: async () => {
      await oidc.stop();
      await secrets.stop();
    },
  };
}

/** What one request of the API Gateway HTTP API (payload 2.0) carries, beyond what every request has. */
export interface RequestShape {
  /** The route key as API Gateway writes it: the table's method and path ("POST /token"). */
  readonly routeKey: string;
  /** The concrete path (a proxy route's template filled in). */
  readonly path: string;
  /** The method, when the route key's is ANY. */
  readonly method?: string;
  /** The query string, without `?`. */
  readonly rawQuery?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Cookies as API Gateway gives them: `name=value` strings. */
  readonly cookies?: readonly string[];
}

/** The API Gateway v2 event of one request, as a browser's or a server's call would arrive. */
export function apiEvent(shape: RequestShape): Record<string, unknown> {
  const host = 'abc123.execute-api.us-east-1.amazonaws.com';
  const now = Date.now();
  const method = shape.method ?? shape.routeKey.slice(0, shape.routeKey.indexOf(' '));
  const body = shape.body;
  return {
    version: '2.0',
    routeKey: shape.routeKey,
    rawPath: shape.path,
    rawQueryString: shape.rawQuery ?? '',
    ...(shape.rawQuery === undefined ? {} : { queryStringParameters: Object.fromEntries(new URLSearchParams(shape.rawQuery)) }),
    ...(shape.cookies === undefined ? {} : { cookies: [...shape.cookies] }),
    headers: {
      host,
      ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
      'user-agent': 'token-broker-bench',
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-proto': 'https',
      ...shape.headers,
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: host,
      domainPrefix: 'abc123',
      http: { method, path: shape.path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'token-broker-bench' },
      requestId: randomUUID(),
      routeKey: shape.routeKey,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: false,
  };
}
