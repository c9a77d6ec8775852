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
  const tokens = (await answer.json()) as { refreshToken?: string };
  if (!answer.ok || typeof tokens.refreshToken !== 'string') {
    throw new Error(`the SSO OIDC emulator gave no refresh token (${answer.status})`);
  }
  const refreshToken = tokens.refreshToken;

  return {
    oidc,
    secrets,
    clientId: registration.clientId,
    clientSecret: registration.clientSecret,
    refreshToken,
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

/** The issuer the front door arm runs with (TOKEN_BROKER_ISSUER); nothing is fetched from it. */
export const FRONT_DOOR_ISSUER = 'https://broker.example.com';

/**
 * The front door's refresh (RFC 6749 §6): POST /oauth2/token, form-encoded, a public client naming
 * itself with client_id, and the refresh token the front door hands out (the upstream one, sealed).
 */
export function frontDoorRefreshEvent(sealedRefreshToken: string, clientId: string): Record<string, unknown> {
  const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: sealedRefreshToken, client_id: clientId }).toString();
  return apiEvent('POST /oauth2/token', '/oauth2/token', 'application/x-www-form-urlencoded', body);
}

/** The API Gateway HTTP API (payload 2.0) event of a refresh-token exchange, as a browser's fetch would arrive. */
export function refreshEvent(refreshToken: string): Record<string, unknown> {
  return apiEvent('POST /token', '/token', 'application/json', JSON.stringify({ grantType: 'refresh_token', refreshToken }));
}

function apiEvent(routeKey: string, path: string, contentType: string, body: string): Record<string, unknown> {
  const host = 'abc123.execute-api.us-east-1.amazonaws.com';
  const now = Date.now();
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: '',
    headers: {
      host,
      'content-type': contentType,
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': 'token-broker-bench',
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-proto': 'https',
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: host,
      domainPrefix: 'abc123',
      http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'token-broker-bench' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    body,
    isBase64Encoded: false,
  };
}
