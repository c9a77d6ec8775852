// Rotation safety of the front door, with Secrets Manager rotation run as the service runs it (the
// four steps of lambda/rotation.ts against the emulators): a sign-in begun before the rotation and a
// session (refresh token) issued before it both finish after it, each with exactly one SSO OIDC
// call, made with the registration that issued the code or token, while standard clients keep the
// one public client_id throughout and new sign-ins move to the new registration.

import { RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSOOIDCClient } from '@aws-sdk/client-sso-oidc';
import type { StoredRegistration } from '../../lambda/core/client-registration.js';
import { rotate } from '../../lambda/rotation/registration.js';
import type { RotationStep } from '../../lambda/rotation/steps.js';
import { ALL_GRANTS, startEnvironment, type Environment } from '../helpers/environment.js';
import { LOOPBACK_CALLBACK, PUBLIC_CLIENT_ID, authorizeUrl, beginSignIn, finishSignIn, frontDoorEnv, get, postForm } from '../helpers/front-door.js';

const REDIRECT = 'https://app.example.com/callback';
const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret-key' };

let environment: Environment;

beforeAll(async () => {
  environment = await startEnvironment({
    name: 'front-door-rotation',
    redirectUri: REDIRECT,
    extraRedirectUris: [LOOPBACK_CALLBACK],
    // A short max age, so that the broker moves to the rotated registration within the test.
    brokerEnv: frontDoorEnv({ TOKEN_BROKER_SECRET_MAX_AGE_SECONDS: '1' }),
  });
  // As `npm run register-client` stores it: the answer with the request that made it, which the
  // rotation function registers again.
  const stored: StoredRegistration = {
    ...environment.registration,
    registrationRequest: {
      clientName: 'front-door-rotation',
      clientType: 'public',
      grantTypes: ALL_GRANTS,
      redirectUris: [REDIRECT, LOOPBACK_CALLBACK],
      issuerUrl: environment.oidc.url,
    },
  };
  environment.secrets.putSecret(environment.secretId, JSON.stringify(stored));
});

afterAll(async () => {
  await environment?.stop();
});

/** Secrets Manager's rotation: RotateSecret stages a version, then the function runs each step. */
async function runRotation(): Promise<void> {
  const sm = new SecretsManagerClient({ region: 'us-east-1', endpoint: environment.secrets.url, credentials });
  const oidc = new SSOOIDCClient({ region: 'us-east-1', endpoint: environment.oidc.url, maxAttempts: 1 });
  try {
    const { VersionId: token } = await sm.send(new RotateSecretCommand({ SecretId: environment.secretId }));
    const steps: RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];
    for (const step of steps) {
      await rotate({ SecretId: environment.secretId, ClientRequestToken: token!, Step: step }, { secrets: sm, oidc, log: () => undefined });
    }
  } finally {
    sm.destroy();
    oidc.destroy();
  }
}

const tokenCalls = () => environment.oidc.calls.filter((call) => call.path === '/token');

/** The client id the broker sends new sign-ins to SSO OIDC with. */
async function upstreamClientOfNewSignIns(): Promise<string | null> {
  const authorize = await get(authorizeUrl(environment.broker.url, { redirectUri: REDIRECT }));
  return new URL(authorize.location!).searchParams.get('client_id');
}

it('a sign-in begun and a session issued before a rotation both finish after it, one SSO OIDC call each, with the old registration', async () => {
  const tokenUrl = `${environment.broker.url}/oauth2/token`;
  const old = environment.registration.clientId;

  // A session issued before the rotation.
  const first = await finishSignIn(await beginSignIn(environment, { redirectUri: REDIRECT, state: 'session-a', scope: 'sso:account:access' }));
  const session = await postForm(tokenUrl, { grant_type: 'authorization_code', client_id: PUBLIC_CLIENT_ID, code: first.code, redirect_uri: REDIRECT, code_verifier: first.verifier });
  expect(session.status).toBe(200);
  // A sign-in begun before the rotation: the person is at SSO OIDC when it happens.
  const begun = await beginSignIn(environment, { redirectUri: REDIRECT, state: 'sign-in-b', scope: 'sso:account:access' });
  expect(new URL(begun.callbackUrl).searchParams.get('code')).toBeTruthy();

  await runRotation();
  // Once the broker's cache (1 s) has expired, new sign-ins go out with the new registration.
  await new Promise((resolve) => setTimeout(resolve, 1300));
  const renewed = await upstreamClientOfNewSignIns();
  expect(renewed).not.toBe(old);
  expect(renewed).toMatch(/^client-/);

  // The sign-in finishes: the callback opens the state with AWSPREVIOUS, the code is redeemed once, with it.
  const finished = await finishSignIn(begun);
  expect(finished.state).toBe('sign-in-b');
  const callsBefore = tokenCalls().length;
  const exchanged = await postForm(tokenUrl, { grant_type: 'authorization_code', client_id: PUBLIC_CLIENT_ID, code: finished.code, redirect_uri: REDIRECT, code_verifier: finished.verifier });
  expect(exchanged.status).toBe(200);
  expect(tokenCalls().slice(callsBefore).map((call) => call.clientId)).toEqual([old]);

  // The session refreshes: once, with the registration that issued its refresh token.
  const refreshBefore = tokenCalls().length;
  const refreshed = await postForm(tokenUrl, { grant_type: 'refresh_token', client_id: PUBLIC_CLIENT_ID, refresh_token: String(session.body.refresh_token) });
  expect(refreshed.status).toBe(200);
  expect(refreshed.body.access_token).toEqual(expect.any(String));
  expect(tokenCalls().slice(refreshBefore).map((call) => ({ grantType: call.grantType, clientId: call.clientId }))).toEqual([
    { grantType: 'refresh_token', clientId: old },
  ]);

  // And a sign-in begun after the rotation is redeemed with the new registration.
  const fresh = await finishSignIn(await beginSignIn(environment, { redirectUri: REDIRECT, state: 'after' }));
  const freshBefore = tokenCalls().length;
  const freshTokens = await postForm(tokenUrl, { grant_type: 'authorization_code', client_id: PUBLIC_CLIENT_ID, code: fresh.code, redirect_uri: REDIRECT, code_verifier: fresh.verifier });
  expect(freshTokens.status).toBe(200);
  expect(tokenCalls().slice(freshBefore).map((call) => call.clientId)).toEqual([renewed]);
});
