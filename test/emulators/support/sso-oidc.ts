// What the SSO OIDC emulator tests (sso-oidc-sign-in, -tokens, -errors, -faults) share: the
// emulators each file starts (plain with the file's clock, rotating refresh tokens, auto-approving,
// code-only) and the SDK client on the plain one, set by setUpEmulators()'s beforeAll, and the
// registrations, codes and calls they build.

import { afterAll, afterEach, beforeAll } from '@jest/globals';
import { CreateTokenCommand, SSOOIDCClient, StartDeviceAuthorizationCommand, type CreateTokenCommandInput } from '@aws-sdk/client-sso-oidc';
import {
  AUTHORIZATION_CODE,
  DEVICE_CODE,
  REFRESH_TOKEN,
  SsoOidcEmulator,
  type RegisterClientInput,
} from '../../../local/emulators/sso-oidc.js';
import { pkcePair } from '../../helpers/pkce.js';

export const REDIRECT = 'http://127.0.0.1:8400/callback';
export const START_URL = 'https://d-1234567890.awsapps.com/start';
export const SCOPES = ['openid', 'email', 'sso:account:access'];
export const REFRESH_LIFETIME_SECONDS = 8 * 3600;

export let oidc: SsoOidcEmulator;
export let rotating: SsoOidcEmulator;
export let autoApproving: SsoOidcEmulator;
export let codeOnly: SsoOidcEmulator;
export let sdk: SSOOIDCClient;

export const sdkFor = (emulator: SsoOidcEmulator): SSOOIDCClient =>
  new SSOOIDCClient({
    endpoint: emulator.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });

/** Starts the file's emulators (the plain one on the file's clock) before its tests and stops them after. */
export function setUpEmulators(now: () => number): void {
  beforeAll(async () => {
    oidc = await SsoOidcEmulator.start({ now, refreshTokenLifetimeSeconds: REFRESH_LIFETIME_SECONDS });
    rotating = await SsoOidcEmulator.start({ rotateRefreshTokens: true });
    autoApproving = await SsoOidcEmulator.start({ autoApprove: true });
    codeOnly = await SsoOidcEmulator.start({ supportedGrantTypes: [AUTHORIZATION_CODE, REFRESH_TOKEN] });
    sdk = sdkFor(oidc);
  });

  afterAll(async () => {
    sdk?.destroy();
    await Promise.all([oidc, rotating, autoApproving, codeOnly].map((emulator) => emulator?.stop()));
  });

  afterEach(() => oidc.setKmsState('ok'));
}

export function register(emulator = oidc, overrides: Partial<RegisterClientInput> = {}) {
  return emulator.registerClient({
    clientName: 'Emulator Test App',
    clientType: 'public',
    grantTypes: [AUTHORIZATION_CODE, REFRESH_TOKEN, DEVICE_CODE],
    redirectUris: [REDIRECT],
    issuerUrl: 'https://identitycenter.example.com',
    scopes: SCOPES,
    ...overrides,
  });
}

/** The rejection of a call that must fail. */
export async function failure(call: Promise<unknown>): Promise<Record<string, unknown> & Error> {
  const outcome = await call.then(
    () => undefined,
    (error: unknown) => error as Record<string, unknown> & Error,
  );
  if (outcome === undefined) throw new Error('Expected the call to fail');
  return outcome;
}

export const postJson = (emulator: SsoOidcEmulator, path: string, body: unknown): Promise<Response> =>
  fetch(`${emulator.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

/** Tokens for a fresh client through an authorization code issued directly. */
export async function signIn(emulator = oidc, client = sdk) {
  const registration = register(emulator);
  const { verifier, challenge } = pkcePair();
  const code = emulator.authorize({ clientId: registration.clientId, redirectUri: REDIRECT, codeChallenge: challenge });
  const tokens = await client.send(
    new CreateTokenCommand({ ...credentials(registration), grantType: AUTHORIZATION_CODE, code, codeVerifier: verifier, redirectUri: REDIRECT }),
  );
  return { registration, tokens };
}

export const credentials = ({ clientId, clientSecret }: { clientId?: string | undefined; clientSecret?: string | undefined }) => ({
  clientId,
  clientSecret,
});

export async function startDevice(registration = register()) {
  const device = await sdk.send(new StartDeviceAuthorizationCommand({ ...credentials(registration), startUrl: START_URL }));
  const poll: CreateTokenCommandInput = { ...credentials(registration), grantType: DEVICE_CODE, deviceCode: device.deviceCode };
  return { registration, device, poll };
}


export function freshCode(overrides: Partial<CreateTokenCommandInput> = {}): CreateTokenCommandInput {
  const { verifier, challenge } = pkcePair();
  const registration = register();
  const code = oidc.authorize({ clientId: registration.clientId, redirectUri: REDIRECT, codeChallenge: challenge });
  return { ...credentials(registration), grantType: AUTHORIZATION_CODE, code, codeVerifier: verifier, redirectUri: REDIRECT, ...overrides };
}

export const refreshWith = (refreshToken = 'aor-unknown'): CreateTokenCommandInput => ({
  ...credentials(register()),
  grantType: REFRESH_TOKEN,
  refreshToken,
});
