// The broker's secret reader (lambda/core/secret-reader.ts): GetSecretValue through a real SDK client
// to the Secrets Manager emulator, an answer kept for its max age, re-read when forced or expired, the
// version stage passed on, and errors as the SDK raised them.

import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretReader } from '../../lambda/core/secret-reader.js';
import { SecretsManagerEmulator } from '../../local/emulators/secrets-manager.js';

let emulator: SecretsManagerEmulator;
let client: SecretsManagerClient;
beforeAll(async () => {
  emulator = await SecretsManagerEmulator.start();
  client = new SecretsManagerClient({ region: 'us-east-1', endpoint: emulator.url, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
});
afterAll(async () => {
  client.destroy();
  await emulator.stop();
});
afterEach(() => {
  jest.restoreAllMocks();
});

const reads = () => emulator.callCount('GetSecretValue');

describe('SecretReader', () => {
  it('reads a secret once per max age, and again when forced', async () => {
    emulator.putSecret('reader/cached', 'one');
    const reader = new SecretReader(client);
    const before = reads();
    expect(await reader.get('reader/cached', { maxAge: 300 })).toBe('one');
    emulator.putSecret('reader/cached', 'two');
    expect(await reader.get('reader/cached', { maxAge: 300 })).toBe('one');
    expect(reads() - before).toBe(1);
    expect(await reader.get('reader/cached', { maxAge: 300, forceFetch: true })).toBe('two');
    expect(await reader.get('reader/cached', { maxAge: 300 })).toBe('two');
    expect(reads() - before).toBe(2);
  });

  it('reads again once the max age has passed', async () => {
    emulator.putSecret('reader/expiring', 'one');
    const reader = new SecretReader(client);
    let now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    expect(await reader.get('reader/expiring', { maxAge: 60 })).toBe('one');
    emulator.putSecret('reader/expiring', 'two');
    now += 59_999;
    expect(await reader.get('reader/expiring', { maxAge: 60 })).toBe('one');
    now += 1;
    expect(await reader.get('reader/expiring', { maxAge: 60 })).toBe('two');
  });

  it('keeps nothing with a max age of 0', async () => {
    emulator.putSecret('reader/uncached', 'one');
    const reader = new SecretReader(client);
    const before = reads();
    await reader.get('reader/uncached', { maxAge: 0 });
    await reader.get('reader/uncached', { maxAge: 0 });
    expect(reads() - before).toBe(2);
  });

  it('reads the version stage it is given (AWSPREVIOUS after a new value)', async () => {
    emulator.putSecret('reader/staged', 'old');
    emulator.putSecret('reader/staged', 'new');
    const previous = new SecretReader(client);
    expect(await previous.get('reader/staged', { maxAge: 300, sdkOptions: { VersionStage: 'AWSPREVIOUS' } })).toBe('old');
    expect(await new SecretReader(client).get('reader/staged', { maxAge: 300 })).toBe('new');
  });

  it("fails with the SDK's own error (its name and status for the log), and keeps nothing", async () => {
    const reader = new SecretReader(client);
    const before = reads();
    const failure = reader.get('reader/missing', { maxAge: 300 });
    await expect(failure).rejects.toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 400 } });
    emulator.putSecret('reader/missing', 'now here');
    expect(await reader.get('reader/missing', { maxAge: 300 })).toBe('now here');
    expect(reads() - before).toBe(2);
  });
});
