// The SSO OIDC emulator through the AWS SDK's client over HTTP: the refresh_token grant (with and
// without rotation, to the end of its lifetime) and the device code flow (pending, slow_down,
// approval or denial on the page, expiry, single use).

import {
  AccessDeniedException,
  AuthorizationPendingException,
  CreateTokenCommand,
  ExpiredTokenException,
  InvalidClientException,
  InvalidGrantException,
  SlowDownException,
  SSOOIDCClient,
  StartDeviceAuthorizationCommand,
} from '@aws-sdk/client-sso-oidc';
import { REFRESH_TOKEN } from '../../local/emulators/sso-oidc.js';
import {
  credentials,
  failure,
  oidc,
  REFRESH_LIFETIME_SECONDS,
  register,
  rotating,
  sdk,
  sdkFor,
  setUpEmulators,
  signIn,
  START_URL,
  startDevice,
} from './support/sso-oidc.js';

let clock = Date.UTC(2026, 10, 1);
setUpEmulators(() => clock);

describe('refresh_token', () => {
  const refresh = (client: SSOOIDCClient, registration: { clientId: string; clientSecret: string }, refreshToken: string) =>
    client.send(new CreateTokenCommand({ ...credentials(registration), grantType: REFRESH_TOKEN, refreshToken }));

  test('without rotation returns no new refresh token, keeps the old one valid, and ends at its lifetime', async () => {
    const { registration, tokens } = await signIn();
    const first = await refresh(sdk, registration, tokens.refreshToken!);
    expect(first).toMatchObject({ tokenType: 'Bearer', expiresIn: 3600 });
    expect(first.accessToken).not.toBe(tokens.accessToken);
    expect(first.refreshToken).toBeUndefined();
    expect(first.idToken).toBeUndefined();
    await expect(refresh(sdk, registration, tokens.refreshToken!)).resolves.toBeDefined();

    clock += REFRESH_LIFETIME_SECONDS * 1000;
    const expired = await failure(refresh(sdk, registration, tokens.refreshToken!));
    expect(expired).toBeInstanceOf(ExpiredTokenException);
    expect(expired).toMatchObject({ error: 'expired_token' });
  });

  test('with rotation returns a new refresh token and revokes the old one', async () => {
    const client = sdkFor(rotating);
    const { registration, tokens } = await signIn(rotating, client);
    const rotated = await refresh(client, registration, tokens.refreshToken!);
    expect(rotated.refreshToken).toMatch(/^[\w-]{40,}$/);
    expect(rotated.refreshToken).not.toBe(tokens.refreshToken);

    const reused = await failure(refresh(client, registration, tokens.refreshToken!));
    expect(reused).toBeInstanceOf(InvalidGrantException);
    await expect(refresh(client, registration, rotated.refreshToken!)).resolves.toBeDefined();
    client.destroy();
  });
});

describe('device code', () => {
  test('pending, slow_down, approval through the page, tokens, then single use', async () => {
    const { device, poll } = await startDevice();
    expect(device.userCode).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    expect(device).toMatchObject({
      verificationUri: `${oidc.url}/device`,
      verificationUriComplete: `${oidc.url}/device?user_code=${device.userCode}`,
      expiresIn: 600,
      interval: 5,
    });

    expect(await failure(sdk.send(new CreateTokenCommand(poll)))).toBeInstanceOf(AuthorizationPendingException);
    clock += 4_999;
    const tooFast = await failure(sdk.send(new CreateTokenCommand(poll)));
    expect(tooFast).toBeInstanceOf(SlowDownException);
    expect(tooFast).toMatchObject({ error: 'slow_down' });
    clock += 5_000;
    expect(await failure(sdk.send(new CreateTokenCommand(poll)))).toBeInstanceOf(AuthorizationPendingException);

    const page = await fetch(device.verificationUriComplete!);
    const html = await page.text();
    expect(html).toContain('id="approve"');
    expect(html).toContain('id="deny"');
    const approved = await fetch(`${oidc.url}/device`, {
      method: 'POST',
      body: new URLSearchParams({ user_code: device.userCode!, decision: 'approve' }),
    });
    expect(approved.status).toBe(200);

    clock += 5_000;
    const tokens = await sdk.send(new CreateTokenCommand(poll));
    expect(tokens).toMatchObject({ tokenType: 'Bearer', expiresIn: 3600 });
    expect(tokens.accessToken).toBeDefined();
    expect(tokens.refreshToken).toBeDefined();
    expect(await failure(sdk.send(new CreateTokenCommand(poll)))).toBeInstanceOf(InvalidGrantException);
  });

  test('a user who denies on the page gets AccessDeniedException without a reason', async () => {
    const { device, poll } = await startDevice();
    const denied = await fetch(`${oidc.url}/device`, {
      method: 'POST',
      body: new URLSearchParams({ user_code: device.userCode!, decision: 'deny' }),
    });
    expect(denied.status).toBe(200);
    const error = await failure(sdk.send(new CreateTokenCommand(poll)));
    expect(error).toBeInstanceOf(AccessDeniedException);
    expect(error.reason).toBeUndefined();
  });

  test('a device code past its expiry gives ExpiredTokenException, and its page is gone', async () => {
    const { device, poll } = await startDevice();
    clock += 600_000;
    expect(await failure(sdk.send(new CreateTokenCommand(poll)))).toBeInstanceOf(ExpiredTokenException);
    expect((await fetch(device.verificationUriComplete!)).status).toBe(400);
  });

  test('StartDeviceAuthorization checks the client and the KMS key', async () => {
    const registration = register();
    const wrong = await failure(
      sdk.send(new StartDeviceAuthorizationCommand({ clientId: registration.clientId, clientSecret: 'wrong', startUrl: START_URL })),
    );
    expect(wrong).toBeInstanceOf(InvalidClientException);
    oidc.setKmsState('disabled');
    const kms = await failure(sdk.send(new StartDeviceAuthorizationCommand({ ...credentials(registration), startUrl: START_URL })));
    expect(kms).toMatchObject({ name: 'InvalidRequestException', reason: 'KMS_DisabledException' });
  });
});
