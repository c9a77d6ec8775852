// The shipped cookie key rotation function (cookie sessions): the index.mjs synthesis writes for cookie
// mode, loaded as Lambda loads it (lambda-driver.mjs) and driven with Secrets Manager's four rotation
// events against the Secrets Manager emulator. Its own small bundle (no SSO OIDC client), and no key
// material in what it logs.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DescribeSecretCommand, GetSecretValueCommand, RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { generateCookieKey, parseCookieKey } from '../../lambda/core/cookie-keys.js';
import { SecretsManagerEmulator } from '../../local/emulators/secrets-manager.js';
import { synthesize, type Synthesis } from './synth.js';

const DRIVER = fileURLToPath(new URL('./lambda-driver.mjs', import.meta.url));
const ACCESS_KEY = 'AKIDLOCAL';
const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;

// Synthesis with bundling builds every function: up to minutes on a loaded shared machine (as bundle.test.ts).
let s: Synthesis;
let bundle: string;
let secrets: SecretsManagerEmulator;
let sm: SecretsManagerClient;
let child: ChildProcess;
let output = '';
const pending = new Map<string, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

beforeAll(async () => {
  s = synthesize(
    { cookieSessions: 'on', sessionOrigins: 'https://app.example.com', redirectUris: 'https://app.example.com/', domainName: 'auth.example.com', certificateArn: 'arn:aws:acm:us-east-1:111122223333:certificate/abcd1234-12ab-34cd-56ef-1234567890ab' },
    { bundle: true },
  );
  const fn = s.json.Resources[s.logicalId(s.stack.broker.cookieKeys!.rotationFunction)]!.Properties!;
  bundle = join(s.outdir, `asset.${String(fn.Code.S3Key).replace(/\.zip$/, '')}`, 'index.mjs');
  secrets = await SecretsManagerEmulator.start({ region: 'us-east-1' });
  sm = new SecretsManagerClient({ region: 'us-east-1', endpoint: secrets.url, credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: 'local' } });
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(AWS_|TOKEN_BROKER_|POWERTOOLS_|NODE_OPTIONS$)/.test(name)));
  child = spawn(process.execPath, [DRIVER, bundle, 'cookie-key-rotation-bundle-test', String(fn.MemorySize), String(fn.Timeout)], {
    env: {
      ...inherited,
      ...((fn.Environment?.Variables ?? {}) as Record<string, string>),
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_LAMBDA_FUNCTION_NAME: 'cookie-key-rotation-bundle-test',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.on('message', (message: { id: string; result?: unknown; error?: string }) => {
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    if (message.error !== undefined) waiting?.reject(new Error(message.error));
    else waiting?.resolve(message.result);
  });
}, 300_000);

afterAll(async () => {
  child?.kill();
  sm?.destroy();
  await secrets?.stop();
  s?.dispose();
});

let nextId = 0;
const invoke = (event: unknown): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const id = String(++nextId);
    pending.set(id, { resolve, reject });
    child.send({ id, event });
  });

const stage = async (SecretId: string, VersionStage: string) =>
  parseCookieKey((await sm.send(new GetSecretValueCommand({ SecretId, VersionStage }))).SecretString);

it('is its own bundle of cookie-key-rotation-handler.ts, without the SSO OIDC client or the broker', () => {
  const map = JSON.parse(readFileSync(`${bundle}.map`, 'utf8')) as { sources: string[] };
  expect(map.sources.some((source) => source.endsWith('lambda/rotation/cookie-key-handler.ts'))).toBe(true);
  expect(map.sources.some((source) => source.includes('client-sso-oidc'))).toBe(false);
  expect(map.sources.some((source) => source.endsWith('lambda/handler.ts'))).toBe(false);
});

it('rotates: the four steps make a new random key AWSCURRENT and the old one AWSPREVIOUS, logging no key', async () => {
  const original = generateCookieKey();
  secrets.putSecret('token-broker/cookie-keys', JSON.stringify(original));
  const arn = (await sm.send(new DescribeSecretCommand({ SecretId: 'token-broker/cookie-keys' }))).ARN!;
  const { VersionId: token } = await sm.send(new RotateSecretCommand({ SecretId: arn }));
  for (const Step of STEPS) {
    await expect(invoke({ SecretId: arn, ClientRequestToken: token, Step })).resolves.toBeFalsy();
  }
  const current = await stage(arn, 'AWSCURRENT');
  expect(current.keyId).not.toBe(original.keyId);
  expect((await stage(arn, 'AWSPREVIOUS')).keyId).toBe(original.keyId);
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(output).toContain('the new cookie key is current');
  expect(output).not.toContain(original.key);
  expect(output).not.toContain(current.key);
});
