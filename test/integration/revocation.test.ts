// RFC 7009 revocation at the front door (POST /oauth2/revoke), as openid-client's tokenRevocation()
// uses it unchanged, against the broker as `npm start` runs it and the SSO OIDC emulator over HTTP:
// revoking the access token or the sealed refresh token ends the IAM Identity Center session (the
// access portal's Logout), after which the refresh is invalid_grant and the access token is refused
// by the portal; an unknown or already-invalid token is a 200 (§2.2); a portal that fails is an error,
// never a 200. The access portal routes are off here: revocation is the front door's.

import { ListAccountsCommand, SSOClient, UnauthorizedException } from '@aws-sdk/client-sso';
import * as client from 'openid-client';
import { PORTAL_PATHS } from '../../local/emulators/sso-oidc.js';
import { startEnvironment, type Environment } from '../helpers/environment.js';
import { LOOPBACK_CALLBACK, PUBLIC_CLIENT_ID, frontDoorEnv, get, postForm, throughSsoOidc } from '../helpers/front-door.js';

const REDIRECT = 'https://bff.example.com/auth/callback';

let environment: Environment;
let config: client.Configuration;
/** The emulator's portal, called directly: did the session end? */
let portal: SSOClient;
const sensitive = new Set<string>();

beforeAll(async () => {
  environment = await startEnvironment({ name: 'revocation', redirectUri: REDIRECT, extraRedirectUris: [LOOPBACK_CALLBACK], brokerEnv: frontDoorEnv() });
  config = await client.discovery(new URL(environment.broker.url), PUBLIC_CLIENT_ID, undefined, client.None(), { execute: [client.allowInsecureRequests] });
  portal = new SSOClient({ region: 'us-east-1', endpoint: environment.oidc.url, maxAttempts: 1 });
});

afterAll(async () => {
  portal?.destroy();
  await environment?.stop();
});

async function signIn(): Promise<{ accessToken: string; refreshToken: string }> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const authorizationUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'sso:account:access',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  const authorize = await get(authorizationUrl.href);
  const callback = await get(await throughSsoOidc(authorize.location!));
  const tokens = await client.authorizationCodeGrant(config, new URL(callback.location!), { pkceCodeVerifier: verifier, expectedState: state });
  for (const value of [verifier, tokens.access_token, tokens.refresh_token]) if (value) sensitive.add(value);
  return { accessToken: tokens.access_token, refreshToken: tokens.refresh_token! };
}

/** Both halves of a signed-out session: the refresh is invalid_grant, the access token is refused by the portal. */
async function expectSignedOut(tokens: { accessToken: string; refreshToken: string }): Promise<void> {
  const refresh = await client.refreshTokenGrant(config, tokens.refreshToken).catch((error: unknown) => error);
  expect(refresh).toBeInstanceOf(client.ResponseBodyError);
  expect((refresh as client.ResponseBodyError).error).toBe('invalid_grant');
  await expect(portal.send(new ListAccountsCommand({ accessToken: tokens.accessToken }))).rejects.toBeInstanceOf(UnauthorizedException);
}

const revokeUrl = () => `${environment.broker.url}/oauth2/revoke`;

it('the metadata names the revocation endpoint, for public clients (RFC 8414 §2)', () => {
  const metadata = config.serverMetadata();
  expect(metadata.revocation_endpoint).toBe(revokeUrl());
  expect(metadata.revocation_endpoint_auth_methods_supported).toEqual(['none']);
});

it('tokenRevocation(access_token) ends the Identity Center session with one Logout', async () => {
  const tokens = await signIn();
  environment.oidc.resetCalls();
  await client.tokenRevocation(config, tokens.accessToken, { token_type_hint: 'access_token' });
  expect(environment.oidc.calls.map((call) => call.path)).toEqual([PORTAL_PATHS.logout]);
  await expectSignedOut(tokens);
});

it('tokenRevocation(refresh_token): the sealed refresh token is redeemed once, and that access token ends the session', async () => {
  const tokens = await signIn();
  environment.oidc.resetCalls();
  await client.tokenRevocation(config, tokens.refreshToken, { token_type_hint: 'refresh_token' });
  expect(environment.oidc.calls.map((call) => [call.path, call.grantType])).toEqual([
    ['/token', 'refresh_token'],
    [PORTAL_PATHS.logout, undefined],
  ]);
  await expectSignedOut(tokens);
});

it('RFC 7009 §2.2: revoking again, or a token never issued, is 200 with nothing to read', async () => {
  const tokens = await signIn();
  for (const token of [tokens.accessToken, tokens.accessToken, tokens.refreshToken, 'aoa-never-issued']) {
    const answer = await postForm(revokeUrl(), { token, client_id: PUBLIC_CLIENT_ID });
    expect([answer.status, answer.text]).toEqual([200, '']);
    expect(answer.headers.get('cache-control')).toBe('no-store');
  }
});

it('RFC 7009 §2.2.1: when the portal fails, the answer is an error and the session goes on', async () => {
  const tokens = await signIn();
  environment.oidc.injectFault({ path: PORTAL_PATHS.logout, kind: 'error', type: 'TooManyRequestsException', status: 429, message: 'Rate exceeded' });
  const answer = await postForm(revokeUrl(), { token: tokens.accessToken, client_id: PUBLIC_CLIENT_ID });
  expect([answer.status, answer.body.error]).toEqual([429, 'temporarily_unavailable']);
  // Still signed in: a client may try again.
  await expect(portal.send(new ListAccountsCommand({ accessToken: tokens.accessToken }))).resolves.toBeDefined();
});

it('refuses what RFC 7009 §2.1 does not allow, calling nothing', async () => {
  environment.oidc.resetCalls();
  const cases: [Record<string, string> | string, Record<string, string>, number, string][] = [
    [{ client_id: PUBLIC_CLIENT_ID }, {}, 400, 'invalid_request'],
    [{ token: 'aoa-x' }, {}, 400, 'invalid_request'],
    [{ token: 'aoa-x', client_id: 'another-client' }, {}, 401, 'invalid_client'],
    [{ token: 'aoa-x', client_id: PUBLIC_CLIENT_ID, client_secret: 's' }, {}, 401, 'invalid_client'],
    [{ token: 'aoa-x', client_id: PUBLIC_CLIENT_ID }, { authorization: 'Basic dG9rZW4tYnJva2VyOnM=' }, 401, 'invalid_client'],
    [`token=a&token=b&client_id=${PUBLIC_CLIENT_ID}`, {}, 400, 'invalid_request'],
  ];
  for (const [form, headers, status, error] of cases) {
    const answer = await postForm(revokeUrl(), form, headers);
    expect([form, answer.status, answer.body.error]).toEqual([form, status, error]);
  }
  expect(environment.oidc.calls).toEqual([]);
});

it('no token or code in any log line', () => {
  const output = environment.broker.output();
  expect(output).toContain('POST /oauth2/revoke');
  expect(sensitive.size).toBeGreaterThan(10);
  expect([...sensitive].filter((value) => output.includes(value))).toEqual([]);
});
