// The client registration's life: `npm run register-client` registers and stores it, the broker
// warns as it nears expiry, Secrets Manager rotation (the four steps of lambda/rotation.ts, driven
// here as the service drives them) replaces it, and a running broker moves to the new one: within its
// max age, or at once with one internal retry when SSO OIDC rejects the old one.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GetSecretValueCommand, RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSOOIDCClient } from '@aws-sdk/client-sso-oidc';
import type { StoredRegistration } from '../../lambda/core/client-registration.js';
import { rotate } from '../../lambda/rotation/registration.js';
import type { RotationStep } from '../../lambda/rotation/steps.js';
import { SecretsManagerEmulator } from '../../local/emulators/secrets-manager.js';
import { SsoOidcEmulator } from '../../local/emulators/sso-oidc.js';
import { post, startBroker, type BrokerProcess } from '../helpers/broker-process.js';
import { pkcePair } from '../helpers/pkce.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DAY_MS = 86_400_000;
const DEVICE = 'urn:ietf:params:oauth:grant-type:device_code';
const REDIRECT = 'https://app.example.com/callback';
const SECRET = 'broker/registration';
const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret-key' };

let clock = Date.now();
let oidc: SsoOidcEmulator;
let secrets: SecretsManagerEmulator;
let sm: SecretsManagerClient;
const brokers: BrokerProcess[] = [];

beforeAll(async () => {
  oidc = await SsoOidcEmulator.start({ now: () => clock });
  secrets = await SecretsManagerEmulator.start();
  // As the CDK construct creates it: a secret that holds no registration yet.
  secrets.putSecret(SECRET, '{}');
  sm = new SecretsManagerClient({ region: 'us-east-1', endpoint: secrets.url, credentials });
});

afterAll(async () => {
  sm?.destroy();
  await Promise.all(brokers.map((broker) => broker.stop()));
  await oidc?.stop();
  await secrets?.stop();
});

function registerClientCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/register-client.ts', ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ENDPOINT_URL_SSO_OIDC: oidc.url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

const REGISTER_ARGS = [
  '--secret-id', SECRET,
  '--issuer-url', 'https://identitycenter.amazonaws.com/ssoins-1234567890abcdef',
  '--redirect-uri', REDIRECT,
  '--grant-types', `authorization_code,refresh_token,${DEVICE}`,
  '--scopes', 'openid,email',
  '--client-name', 'lifecycle-test',
];

async function current(): Promise<StoredRegistration & { versionId: string }> {
  const value = await sm.send(new GetSecretValueCommand({ SecretId: SECRET }));
  return { ...(JSON.parse(value.SecretString!) as StoredRegistration), versionId: value.VersionId! };
}

/** Secrets Manager's rotation: RotateSecret stages a version, then the function runs each step. */
async function runRotation(): Promise<void> {
  const { VersionId: token } = await sm.send(new RotateSecretCommand({ SecretId: SECRET }));
  const oidcClient = new SSOOIDCClient({ region: 'us-east-1', endpoint: oidc.url, maxAttempts: 1 });
  const steps: RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];
  try {
    for (const step of steps) {
      await rotate({ SecretId: SECRET, ClientRequestToken: token!, Step: step }, { secrets: sm, oidc: oidcClient, log: () => undefined });
    }
  } finally {
    oidcClient.destroy();
  }
}

/** A frontend's sign-in: it asks the broker for the client id, gets a code for it, exchanges it. */
async function signIn(broker: BrokerProcess): Promise<{ status: number; clientId: string }> {
  const { clientId } = (await (await fetch(`${broker.url}/client`)).json()) as { clientId: string };
  const { verifier, challenge } = pkcePair();
  const code = oidc.authorize({ clientId, redirectUri: REDIRECT, codeChallenge: challenge });
  const response = await post(`${broker.url}/token`, { grantType: 'authorization_code', code, codeVerifier: verifier, redirectUri: REDIRECT, clientId });
  return { status: response.status, clientId };
}

function startLifecycleBroker(maxAgeSeconds: number): Promise<BrokerProcess> {
  return startBroker({
    AWS_ENDPOINT_URL_SSO_OIDC: oidc.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    TOKEN_BROKER_SECRET_ID: SECRET,
    TOKEN_BROKER_GRANT_TYPES: `authorization_code,refresh_token,${DEVICE}`,
    TOKEN_BROKER_SECRET_MAX_AGE_SECONDS: String(maxAgeSeconds),
  }).then((broker) => {
    brokers.push(broker);
    return broker;
  });
}

describe('npm run register-client', () => {
  it('explains itself', async () => {
    const { code, stdout } = await registerClientCli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: npm run register-client');
    expect(stdout).toContain('--dry-run');
  });

  it('refuses incomplete arguments with exit code 2', async () => {
    const { code, stderr } = await registerClientCli(['--secret-id', SECRET]);
    expect(code).toBe(2);
    expect(stderr).toContain('--issuer-url is required');
  });

  it('--dry-run shows the request and calls nothing', async () => {
    const { code, stdout } = await registerClientCli([...REGISTER_ARGS, '--dry-run']);
    expect(code).toBe(0);
    expect(stdout).toContain('"clientName": "lifecycle-test"');
    expect(stdout).toContain(REDIRECT);
    expect(oidc.callCount('/client/register')).toBe(0);
    expect(secrets.callCount('PutSecretValue')).toBe(0);
  });

  it('registers the client and stores the answer as a new version, never printing the secret', async () => {
    // Registered 80 days ago, as far as this registration's expiry is concerned.
    const realNow = clock;
    clock = realNow - 80 * DAY_MS;
    const { code, stdout, stderr } = await registerClientCli(REGISTER_ARGS);
    clock = realNow;
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });

    const stored = await current();
    expect(stored.clientSecret).toEqual(expect.any(String));
    expect(stored.registrationRequest).toMatchObject({ clientName: 'lifecycle-test', clientType: 'public', redirectUris: [REDIRECT] });
    expect(stdout).toContain(`registered client ${stored.clientId}`);
    expect(stdout).toContain(`stored as version ${stored.versionId} (AWSCURRENT)`);
    expect(stdout + stderr).not.toContain(stored.clientSecret);
  });
});

describe('expiry and rotation', () => {
  it('a broker warns when the registration is inside the warning window', async () => {
    const broker = await startLifecycleBroker(300);
    expect((await signIn(broker)).status).toBe(200);
    const warning = broker.logs().find((line) => String(line.message).startsWith('client registration expires soon'));
    expect(warning).toMatchObject({ level: 'WARN', clientSecretDaysToExpiry: 9 });
  });

  it('rotation replaces the about-to-expire registration; a broker picks it up within its max age', async () => {
    const broker = await startLifecycleBroker(1);
    const before = await current();
    expect((await signIn(broker)).clientId).toBe(before.clientId);

    await runRotation();
    const after = await current();
    expect(after.clientId).not.toBe(before.clientId);
    expect(after.clientSecretExpiresAt! - before.clientSecretExpiresAt!).toBeGreaterThan(79 * 86_400);
    expect(after.registrationRequest).toEqual(before.registrationRequest);
    const previous = await sm.send(new GetSecretValueCommand({ SecretId: SECRET, VersionStage: 'AWSPREVIOUS' }));
    expect(previous.VersionId).toBe(before.versionId);

    // The old registration stays valid until it expires: sign-ins keep succeeding throughout.
    const rotatedAt = Date.now();
    const results: { status: number; clientId: string; at: number }[] = [];
    while (Date.now() - rotatedAt < 2500) results.push({ ...(await signIn(broker)), at: Date.now() });
    expect(results.every((result) => result.status === 200)).toBe(true);
    // After the max age (1 s, plus a request's time) every sign-in uses the new registration.
    const late = results.filter((result) => result.at - rotatedAt > 1500);
    expect(late.length).toBeGreaterThan(0);
    expect(late.every((result) => result.clientId === after.clientId)).toBe(true);
  });

  it('a session begun before a rotation keeps refreshing with the previous registration', async () => {
    const broker = await startLifecycleBroker(1);
    const old = await current();
    const { verifier, challenge } = pkcePair();
    const code = oidc.authorize({ clientId: old.clientId, redirectUri: REDIRECT, codeChallenge: challenge });
    const signedIn = await post(`${broker.url}/token`, { grantType: 'authorization_code', code, codeVerifier: verifier, redirectUri: REDIRECT, clientId: old.clientId });
    expect(signedIn.status).toBe(200);

    await runRotation();
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const refresh = { grantType: 'refresh_token', refreshToken: signedIn.body.refreshToken };
    // Named, the old client is found in AWSPREVIOUS; unnamed, the current client is used, and SSO
    // OIDC refuses a refresh token issued to another client.
    expect((await post(`${broker.url}/token`, { ...refresh, clientId: old.clientId })).status).toBe(200);
    expect((await post(`${broker.url}/token`, refresh)).body.error).toBe('invalid_grant');
    expect((await post(`${broker.url}/token`, { ...refresh, clientId: 'never-registered' })).status).toBe(401);
  });

  it('a broker still holding an expired registration recovers with one internal retry', async () => {
    const broker = await startLifecycleBroker(3600);
    const old = await current();
    expect((await signIn(broker)).clientId).toBe(old.clientId);

    await runRotation();
    const renewed = await current();
    oidc.expireClient(old.clientId);
    const startedAt = oidc.calls.length;

    // The broker's cache still holds the expired client: SSO OIDC rejects it, the broker re-reads
    // the secret, finds the rotated registration and calls again with it.
    const device = await post(`${broker.url}/device_authorization`, { startUrl: 'https://d-1.awsapps.com/start' });
    expect(device.status).toBe(200);
    const upstream = oidc.calls.slice(startedAt).map((call) => call.clientId);
    expect(upstream).toEqual([old.clientId, renewed.clientId]);
    const log = broker.logs().filter((line) => line.route === 'POST /device_authorization').at(-1);
    expect(log).toMatchObject({ upstreamCalls: 2, registrationRefreshed: true, status: 200 });

    // From then on the broker and the frontends it serves use the new registration only.
    expect(await signIn(broker)).toEqual({ status: 200, clientId: renewed.clientId });
    const afterRecovery = oidc.calls.slice(startedAt + 2).filter((call) => call.path === '/token');
    expect(afterRecovery.map((call) => call.clientId)).toEqual([renewed.clientId]);
  });

  it('a rotation refuses a secret that was never registered by the CLI', async () => {
    secrets.putSecret(SECRET, JSON.stringify({ clientId: 'hand-made', clientSecret: 'hand-made-secret' }));
    await expect(runRotation()).rejects.toThrow(/no registrationRequest/);
  });
});
