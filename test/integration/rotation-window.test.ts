// The rotation window, over HTTP against the real emulators: a broker instance that learns of a
// rotation from a request naming the new client (as a fresher instance's GET /client hands it out)
// must serve a session begun before the rotation at once, with the registration the rotation made
// AWSPREVIOUS. Two rotations in a row, and the first rotation after someone sent a made-up client id.
// (Secrets Manager moves AWSCURRENT to AWSPREVIOUS on each new version, as the emulator does.)

import { setTimeout as sleep } from 'node:timers/promises';
import type { RegisterClientOutput } from '../../local/emulators/sso-oidc.js';
import { post } from '../helpers/broker-process.js';
import { ALL_GRANTS, startEnvironment, type Environment } from '../helpers/environment.js';
import { pkcePair } from '../helpers/pkce.js';

const REDIRECT = 'https://app.example.com/callback';
/** RegistrationSource's interval between forced reads of the secret. */
const FORCED_READ_INTERVAL_MS = 5000;

const environments: Environment[] = [];

afterAll(async () => {
  await Promise.all(environments.map((environment) => environment.stop()));
});

async function environment(name: string): Promise<Environment> {
  const started = await startEnvironment({ name, redirectUri: REDIRECT });
  environments.push(started);
  return started;
}

/** A new client registered at SSO OIDC and made AWSCURRENT, as a rotation does. */
function rotate(env: Environment, name: string): RegisterClientOutput {
  const registration = env.oidc.registerClient({
    clientName: name,
    clientType: 'public',
    grantTypes: ALL_GRANTS,
    redirectUris: [REDIRECT],
    issuerUrl: env.oidc.url,
  });
  env.secrets.putSecret(env.secretId, JSON.stringify(registration));
  return registration;
}

/** Signs in with `clientId` (a code issued to that client), naming it as a frontend that got it from GET /client does. */
async function signIn(env: Environment, clientId: string): Promise<{ status: number; error: unknown }> {
  const { verifier, challenge } = pkcePair();
  const code = env.oidc.authorize({ clientId, redirectUri: REDIRECT, codeChallenge: challenge });
  const answer = await post(`${env.broker.url}/token`, {
    grantType: 'authorization_code',
    code,
    codeVerifier: verifier,
    redirectUri: REDIRECT,
    clientId,
  });
  return { status: answer.status, error: answer.body.__type };
}

describe('a session begun before a rotation is served at once after it', () => {
  it('two rotations in a row: the client each rotation replaced is served at once', async () => {
    const env = await environment('rotation-twice');
    const first = env.registration;
    expect(await signIn(env, first.clientId)).toEqual({ status: 200, error: undefined });

    const second = rotate(env, 'rotation-twice-2');
    expect(await signIn(env, second.clientId)).toEqual({ status: 200, error: undefined });
    expect(await signIn(env, first.clientId)).toEqual({ status: 200, error: undefined });

    // Another rotation, once the broker may force a read again.
    await sleep(FORCED_READ_INTERVAL_MS + 200);
    const third = rotate(env, 'rotation-twice-3');
    expect(await signIn(env, third.clientId)).toEqual({ status: 200, error: undefined });
    // The broker had cached `first` as AWSPREVIOUS; `second` is AWSPREVIOUS now.
    expect(await signIn(env, second.clientId)).toEqual({ status: 200, error: undefined });
    expect(await signIn(env, third.clientId)).toEqual({ status: 200, error: undefined });
  });

  it('the first rotation after a made-up client id: the old client is served at once', async () => {
    const env = await environment('rotation-after-made-up');
    const first = env.registration;
    // Someone names a client that never existed: the broker learns the secret has no AWSPREVIOUS.
    expect(await signIn(env, first.clientId)).toEqual({ status: 200, error: undefined });
    const madeUp = await post(`${env.broker.url}/token`, { grantType: 'refresh_token', refreshToken: 'r', clientId: 'made-up-client' });
    expect([madeUp.status, madeUp.body.__type]).toEqual([401, 'InvalidClientException']);

    await sleep(FORCED_READ_INTERVAL_MS + 200);
    const second = rotate(env, 'rotation-after-made-up-2');
    expect(await signIn(env, second.clientId)).toEqual({ status: 200, error: undefined });
    // The memory of "no previous version" must not outlive the rotation.
    expect(await signIn(env, first.clientId)).toEqual({ status: 200, error: undefined });
  });
});
