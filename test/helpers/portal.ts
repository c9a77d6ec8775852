// Signing in to the SSO OIDC emulator and calling its access portal with the real SDK clients, both
// pointed at the emulator's one URL (as AWS_ENDPOINT_URL_SSO and AWS_ENDPOINT_URL_SSO_OIDC would be).

import { SSOClient } from '@aws-sdk/client-sso';
import { CreateTokenCommand, SSOOIDCClient } from '@aws-sdk/client-sso-oidc';
import { AUTHORIZATION_CODE, DEVICE_CODE, REFRESH_TOKEN, type SsoOidcEmulator } from '../../local/emulators/sso-oidc.js';

export const REDIRECT = 'http://127.0.0.1:8400/callback';

const made: { oidc: SSOOIDCClient; sso: SSOClient }[] = [];

/** Both SDK clients for `emulator`, without retries (one request per call); destroyClients() ends them. */
export function clientsFor(emulator: SsoOidcEmulator): { oidc: SSOOIDCClient; sso: SSOClient } {
  const config = { endpoint: emulator.url, region: 'us-east-1', maxAttempts: 1 };
  const pair = { oidc: new SSOOIDCClient(config), sso: new SSOClient(config) };
  made.push(pair);
  return pair;
}

export function destroyClients(): void {
  for (const { oidc, sso } of made.splice(0)) {
    oidc.destroy();
    sso.destroy();
  }
}

/** A sign-in through an authorization code: a new session with its first tokens. */
export async function signIn(emulator: SsoOidcEmulator) {
  const { oidc, sso } = clientsFor(emulator);
  const registration = emulator.registerClient({
    clientName: 'Portal Test App',
    clientType: 'public',
    grantTypes: [AUTHORIZATION_CODE, REFRESH_TOKEN, DEVICE_CODE],
    redirectUris: [REDIRECT],
  });
  const credentials = { clientId: registration.clientId, clientSecret: registration.clientSecret };
  const code = emulator.authorize({ clientId: registration.clientId, redirectUri: REDIRECT });
  const tokens = await oidc.send(new CreateTokenCommand({ ...credentials, grantType: AUTHORIZATION_CODE, code, redirectUri: REDIRECT }));
  const refresh = (refreshToken: string) => oidc.send(new CreateTokenCommand({ ...credentials, grantType: REFRESH_TOKEN, refreshToken }));
  return { oidc, sso, credentials, accessToken: tokens.accessToken!, refreshToken: tokens.refreshToken!, refresh };
}

export type Failure = Record<string, unknown> & Error & { $metadata: { httpStatusCode?: number } };

/** The rejection of a call that must fail. */
export async function failure(call: Promise<unknown>): Promise<Failure> {
  const outcome = await call.then(
    () => undefined,
    (error: unknown) => error as Failure,
  );
  if (outcome === undefined) throw new Error('Expected the call to fail');
  return outcome;
}

/** A raw GET on a portal path, with the bearer header when a token is given. */
export function portalGet(emulator: SsoOidcEmulator, path: string, query: Record<string, string>, accessToken?: string): Promise<Response> {
  return fetch(`${emulator.url}${path}?${new URLSearchParams(query).toString()}`, {
    headers: accessToken === undefined ? {} : { 'x-amz-sso_bearer_token': accessToken },
  });
}
