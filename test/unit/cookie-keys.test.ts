// The cookie keys (lambda/cookie-keys.ts) read through the broker's secret cache (core/secret-reader.ts) like the registration, and
// their rotation steps (lambda/cookie-key-rotation.ts) against the Secrets Manager emulator.

import { GetSecretValueCommand, ResourceNotFoundException, RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { rotateCookieKey } from '../../lambda/rotation/cookie-keys.js';
import { CookieKeySource, generateCookieKey, parseCookieKey } from '../../lambda/core/cookie-keys.js';
import { BrokerError } from '../../lambda/core/errors.js';
import { SecretsManagerEmulator } from '../../local/emulators/secrets-manager.js';
import { SecretReader } from '../../lambda/core/secret-reader.js';

const k1 = { keyId: 'k1', key: 'A'.repeat(43) };
const k2 = { keyId: 'k2', key: 'B'.repeat(43) };
const k3 = { keyId: 'k3', key: 'C'.repeat(43) };

function setup() {
  const client = new SecretsManagerClient({ region: 'us-east-1' });
  const sm = mockClient(client);
  let now = 1_000_000;
  const source = new CookieKeySource({
    secretId: 'token-broker/cookie-keys',
    maxAgeSeconds: 300,
    provider: new SecretReader(client),
    previousProvider: new SecretReader(client),
    now: () => now,
  });
  return { sm, source, advance: (ms: number) => (now += ms) };
}

const stage = (name: string) => (input: { VersionStage?: string }) => (input.VersionStage ?? 'AWSCURRENT') === name;

describe('parseCookieKey', () => {
  it('accepts generated keys and GenerateSecretString-style keys', () => {
    const generated = generateCookieKey();
    expect(parseCookieKey(JSON.stringify(generated))).toEqual(generated);
    expect(generated.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(parseCookieKey(JSON.stringify({ keyId: 'initial', key: 'x'.repeat(64) })).keyId).toBe('initial');
  });

  it.each([
    [undefined, 'no SecretString'],
    ['{"keyId":"k","key":', 'not valid JSON'],
    ['{"key":"' + 'x'.repeat(43) + '"}', 'no keyId'],
    ['{"keyId":"has space","key":"' + 'x'.repeat(43) + '"}', 'no keyId'],
    ['{"keyId":"k","key":"too-short-s3cr3t"}', 'no key string'],
  ])('rejects %j with a 500 whose log detail never quotes the secret', (secretString, detail) => {
    let error: unknown;
    try {
      parseCookieKey(secretString);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BrokerError);
    expect((error as BrokerError).status).toBe(500);
    expect((error as BrokerError).logDetail).toContain(detail);
    expect(JSON.stringify({ ...(error as object), m: (error as Error).message })).not.toContain('s3cr3t');
  });
});

describe('CookieKeySource', () => {
  it('seals with AWSCURRENT and opens with AWSCURRENT or AWSPREVIOUS, each read once per max age', async () => {
    const { sm, source } = setup();
    sm.on(GetSecretValueCommand).callsFake((input) => ({ SecretString: JSON.stringify(stage('AWSPREVIOUS')(input) ? k1 : k2) }));
    expect((await source.current()).id).toBe('k2');
    expect((await source.forKeyId('k2'))?.id).toBe('k2');
    expect((await source.forKeyId('k1'))?.id).toBe('k1');
    expect((await source.forKeyId('k1'))?.key).toEqual((await source.forKeyId('k1'))?.key);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('derives a different AES key from each stored key', async () => {
    const { sm, source } = setup();
    sm.on(GetSecretValueCommand).callsFake((input) => ({ SecretString: JSON.stringify(stage('AWSPREVIOUS')(input) ? k1 : k2) }));
    const [a, b] = [await source.forKeyId('k1'), await source.forKeyId('k2')];
    expect(Buffer.from(a!.key).equals(Buffer.from(b!.key))).toBe(false);
    expect(a!.key.byteLength).toBe(32);
  });

  it('an unknown key id reads the secret again once (a fresher instance may seal with a newer key), rate-limited', async () => {
    const { sm, source, advance } = setup();
    let current = k1;
    sm.on(GetSecretValueCommand).callsFake((input) => {
      if (stage('AWSPREVIOUS')(input)) throw new ResourceNotFoundException({ message: 'no previous', $metadata: {} });
      return { SecretString: JSON.stringify(current) };
    });
    expect((await source.current()).id).toBe('k1');
    current = k2;
    expect((await source.forKeyId('k2'))?.id).toBe('k2');
    // The forced read found a new current key: what was known of AWSPREVIOUS is from before that
    // rotation, and the next look at it reads it again, once (the registration's rule, secrets.ts).
    expect(await source.forKeyId('made-up')).toBeUndefined();
    const reads = sm.commandCalls(GetSecretValueCommand).length;
    expect(await source.forKeyId('made-up')).toBeUndefined();
    expect(sm.commandCalls(GetSecretValueCommand).length).toBe(reads);
    advance(5_000);
    expect(await source.forKeyId('made-up')).toBeUndefined();
    expect(sm.commandCalls(GetSecretValueCommand).length).toBeGreaterThan(reads);
  });

  it('a retired key (neither current nor previous) opens nothing', async () => {
    const { sm, source } = setup();
    sm.on(GetSecretValueCommand).callsFake((input) => ({ SecretString: JSON.stringify(stage('AWSPREVIOUS')(input) ? k2 : k3) }));
    expect(await source.forKeyId('k1')).toBeUndefined();
    expect(await source.forKeyId(undefined)).toBeUndefined();
  });

  it('a Secrets Manager failure is a generic 500 naming only the error', async () => {
    const { sm, source } = setup();
    sm.on(GetSecretValueCommand).rejects(Object.assign(new Error('AccessDenied for s3cr3t'), { name: 'AccessDeniedException' }));
    const error = await source.current().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BrokerError);
    expect((error as BrokerError).logDetail).toMatch(/cookie keys secret could not be read: AccessDeniedException/);
    expect((error as BrokerError).logDetail).not.toContain('s3cr3t');
  });
});

describe('rotateCookieKey (Secrets Manager rotation steps)', () => {
  let emulator: SecretsManagerEmulator;
  let secrets: SecretsManagerClient;
  beforeAll(async () => {
    emulator = await SecretsManagerEmulator.start();
    secrets = new SecretsManagerClient({ region: 'us-east-1', endpoint: emulator.url, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  });
  afterAll(async () => {
    secrets.destroy();
    await emulator.stop();
  });

  async function rotate(secretId: string, logs: string[]): Promise<void> {
    const { VersionId } = await secrets.send(new RotateSecretCommand({ SecretId: secretId }));
    for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
      await rotateCookieKey({ SecretId: secretId, ClientRequestToken: VersionId!, Step }, { secrets, log: (m, f) => logs.push(JSON.stringify([m, f])) });
    }
  }
  const read = async (secretId: string, VersionStage: string) =>
    parseCookieKey((await secrets.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage }))).SecretString);

  it('makes a new random key current; the old one becomes previous; the next rotation retires it; no key in the logs', async () => {
    const original = generateCookieKey();
    emulator.putSecret('rotate-me', JSON.stringify(original));
    const logs: string[] = [];
    await rotate('rotate-me', logs);
    const second = await read('rotate-me', 'AWSCURRENT');
    expect(second.keyId).not.toBe(original.keyId);
    expect(second.key).not.toBe(original.key);
    expect((await read('rotate-me', 'AWSPREVIOUS')).keyId).toBe(original.keyId);
    await rotate('rotate-me', logs);
    expect((await read('rotate-me', 'AWSPREVIOUS')).keyId).toBe(second.keyId);
    expect((await read('rotate-me', 'AWSCURRENT')).keyId).not.toBe(second.keyId);
    expect(logs.join('\n')).not.toContain(original.key);
    expect(logs.join('\n')).not.toContain(second.key);
    expect(logs.some((line) => line.includes('the new cookie key is current'))).toBe(true);
  });

  it('passes Secrets Manager\u2019s configuration test on a new secret (a pending version with no value)', async () => {
    emulator.putSecret('config-test', JSON.stringify(generateCookieKey()));
    const { VersionId } = await secrets.send(new RotateSecretCommand({ SecretId: 'config-test' }));
    const logs: string[] = [];
    await rotateCookieKey({ SecretId: 'config-test', ClientRequestToken: VersionId!, Step: 'testSecret' }, { secrets, log: (m) => logs.push(m) });
    expect(logs).toEqual(['rotation step skipped: configuration test, the pending version has no value']);
  });

  it('finishSecret refuses to promote a pending version that is not a usable key', async () => {
    emulator.putSecret('bad-pending', JSON.stringify(generateCookieKey()));
    const { VersionId } = await secrets.send(new RotateSecretCommand({ SecretId: 'bad-pending' }));
    await expect(
      rotateCookieKey({ SecretId: 'bad-pending', ClientRequestToken: VersionId!, Step: 'finishSecret' }, { secrets, log: () => undefined }),
    ).rejects.toThrow(/not a usable cookie key/);
  });
});
