// The Secrets Manager emulator, driven through the AWS SDK's client over HTTP as the broker drives
// the real service, plus raw fetch where the exact wire form matters.

import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InternalServiceError,
  InvalidParameterException,
  InvalidRequestException,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { SecretsManagerEmulator } from '../../local/emulators/secrets-manager.js';

let secrets: SecretsManagerEmulator;
let elsewhere: SecretsManagerEmulator;
let sdk: SecretsManagerClient;
let secretNumber = 0;

const sdkFor = (emulator: SecretsManagerEmulator): SecretsManagerClient =>
  new SecretsManagerClient({
    endpoint: emulator.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });

beforeAll(async () => {
  secrets = await SecretsManagerEmulator.start();
  elsewhere = await SecretsManagerEmulator.start({ region: 'eu-west-1', accountId: '111122223333' });
  sdk = sdkFor(secrets);
});

afterAll(async () => {
  sdk?.destroy();
  await secrets?.stop();
  await elsewhere?.stop();
});

/** A name no other test uses. */
const uniqueName = (): string => `broker/test-${++secretNumber}`;

/** The rejection of a call that must fail. */
async function failure(call: Promise<unknown>): Promise<Record<string, unknown> & Error> {
  const outcome = await call.then(
    () => undefined,
    (error: unknown) => error as Record<string, unknown> & Error,
  );
  if (outcome === undefined) throw new Error('Expected the call to fail');
  return outcome;
}

const stagesOf = async (secretId: string) =>
  (await sdk.send(new DescribeSecretCommand({ SecretId: secretId }))).VersionIdsToStages;

describe('reading and writing', () => {
  test('CreateSecret, then GetSecretValue by name and by ARN', async () => {
    const name = uniqueName();
    const created = await sdk.send(new CreateSecretCommand({ Name: name, SecretString: '{"a":1}' }));
    expect(created.ARN).toMatch(new RegExp(`^arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-[A-Za-z0-9]{6}$`));
    expect(created.Name).toBe(name);

    for (const secretId of [name, created.ARN!]) {
      const value = await sdk.send(new GetSecretValueCommand({ SecretId: secretId }));
      expect(value).toMatchObject({ ARN: created.ARN, Name: name, VersionId: created.VersionId, SecretString: '{"a":1}', VersionStages: ['AWSCURRENT'] });
      expect(value.CreatedDate).toBeInstanceOf(Date);
      expect(Math.abs(value.CreatedDate!.getTime() - Date.now())).toBeLessThan(60_000);
    }
  });

  test('the ARN carries the configured region and account', async () => {
    elsewhere.putSecret('x', 'y');
    const client = sdkFor(elsewhere);
    const value = await client.send(new GetSecretValueCommand({ SecretId: 'x' }));
    client.destroy();
    expect(value.ARN).toMatch(/^arn:aws:secretsmanager:eu-west-1:111122223333:secret:x-[A-Za-z0-9]{6}$/);
  });

  test('putSecret creates a secret or adds an AWSCURRENT version, returning its VersionId', async () => {
    const name = uniqueName();
    const first = secrets.putSecret(name, 'one');
    const second = secrets.putSecret(name, 'two');
    expect(second).not.toBe(first);
    await expect(sdk.send(new GetSecretValueCommand({ SecretId: name }))).resolves.toMatchObject({ VersionId: second, SecretString: 'two' });
    expect(await stagesOf(name)).toEqual({ [first]: ['AWSPREVIOUS'], [second]: ['AWSCURRENT'] });
  });

  test('PutSecretValue makes the new version AWSCURRENT and the old one AWSPREVIOUS', async () => {
    const name = uniqueName();
    const first = secrets.putSecret(name, 'one');
    const put = await sdk.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'two' }));
    expect(put).toMatchObject({ Name: name, VersionStages: ['AWSCURRENT'] });
    const second = put.VersionId!;
    expect(await stagesOf(name)).toEqual({ [first]: ['AWSPREVIOUS'], [second]: ['AWSCURRENT'] });
    await expect(sdk.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPREVIOUS' }))).resolves.toMatchObject({ SecretString: 'one' });
    await expect(sdk.send(new GetSecretValueCommand({ SecretId: name, VersionId: first }))).resolves.toMatchObject({ SecretString: 'one' });

    // A third version pushes the first out of the labelled versions.
    const third = (await sdk.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'three' }))).VersionId!;
    expect(await stagesOf(name)).toEqual({ [second]: ['AWSPREVIOUS'], [third]: ['AWSCURRENT'] });
  });

  test('a ClientRequestToken makes PutSecretValue idempotent; reusing it for other content is refused', async () => {
    const name = uniqueName();
    secrets.putSecret(name, 'one');
    const token = 'e2b0c5a6-1d7f-4f59-9a4e-3a8b6c1d2e3f';
    const put = () => sdk.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'two', ClientRequestToken: token }));
    expect((await put()).VersionId).toBe(token);
    expect((await put()).VersionId).toBe(token);
    const reused = await failure(sdk.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'other', ClientRequestToken: token })));
    expect(reused).toBeInstanceOf(ResourceExistsException);
  });

  test('rotation: stage AWSPENDING, then move AWSCURRENT onto it', async () => {
    const name = uniqueName();
    const current = secrets.putSecret(name, 'old');
    const pending = await sdk.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'new', VersionStages: ['AWSPENDING'] }));
    expect(pending.VersionStages).toEqual(['AWSPENDING']);
    await expect(sdk.send(new GetSecretValueCommand({ SecretId: name }))).resolves.toMatchObject({ SecretString: 'old' });

    const unnamed = await failure(
      sdk.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSCURRENT', MoveToVersionId: pending.VersionId })),
    );
    expect(unnamed).toBeInstanceOf(InvalidParameterException);

    await sdk.send(
      new UpdateSecretVersionStageCommand({
        SecretId: name,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: pending.VersionId,
        RemoveFromVersionId: current,
      }),
    );
    expect(await stagesOf(name)).toEqual({ [current]: ['AWSPREVIOUS'], [pending.VersionId!]: ['AWSPENDING', 'AWSCURRENT'] });
    await sdk.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSPENDING', RemoveFromVersionId: pending.VersionId }));
    await expect(sdk.send(new GetSecretValueCommand({ SecretId: name }))).resolves.toMatchObject({
      SecretString: 'new',
      VersionStages: ['AWSCURRENT'],
    });
  });
});

describe('errors', () => {
  test('an unknown secret is a ResourceNotFoundException', async () => {
    const error = await failure(sdk.send(new GetSecretValueCommand({ SecretId: 'broker/missing' })));
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error.name).toBe('ResourceNotFoundException');
    expect(error.message).toBe("Secrets Manager can't find the specified secret.");
    expect(error.$metadata).toMatchObject({ httpStatusCode: 400 });
  });

  test('the wire form: 400, x-amzn-ErrorType, and __type and message in the body', async () => {
    const answer = await fetch(secrets.url, {
      method: 'POST',
      headers: { 'x-amz-target': 'secretsmanager.GetSecretValue', 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify({ SecretId: 'broker/missing' }),
    });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('x-amzn-ErrorType')).toBe('ResourceNotFoundException');
    expect(answer.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await answer.json()).toEqual({ __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
  });

  test('an unknown action is an UnknownOperationException', async () => {
    const answer = await fetch(secrets.url, {
      method: 'POST',
      headers: { 'x-amz-target': 'secretsmanager.ListSecrets', 'content-type': 'application/x-amz-json-1.1' },
      body: '{}',
    });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('x-amzn-ErrorType')).toBe('UnknownOperationException');
    expect(await answer.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });

  test('creating an existing secret is a ResourceExistsException', async () => {
    const name = uniqueName();
    secrets.putSecret(name, 'x');
    expect(await failure(sdk.send(new CreateSecretCommand({ Name: name, SecretString: 'y' })))).toBeInstanceOf(ResourceExistsException);
  });

  test('deleteSecret: gone at once, or marked for deletion (InvalidRequestException)', async () => {
    const gone = uniqueName();
    secrets.putSecret(gone, 'x');
    secrets.deleteSecret(gone);
    expect(await failure(sdk.send(new GetSecretValueCommand({ SecretId: gone })))).toBeInstanceOf(ResourceNotFoundException);

    const marked = uniqueName();
    secrets.putSecret(marked, 'x');
    secrets.deleteSecret(marked, { markForDeletion: true });
    const error = await failure(sdk.send(new GetSecretValueCommand({ SecretId: marked })));
    expect(error).toBeInstanceOf(InvalidRequestException);
    expect(error.message).toMatch(/marked for deletion/);
    await expect(sdk.send(new DescribeSecretCommand({ SecretId: marked }))).resolves.toMatchObject({ DeletedDate: expect.any(Date) });
  });
});

describe('faults', () => {
  test('error: a modeled type raises its class, an unmodeled one the service exception with its name', async () => {
    const name = uniqueName();
    secrets.putSecret(name, 'x');
    secrets.injectFault({ kind: 'error', type: 'InternalServiceError', status: 500, message: 'Internal failure' });
    secrets.injectFault({ kind: 'error', type: 'ThrottlingException', status: 400, message: 'Rate exceeded' });

    const server = await failure(sdk.send(new GetSecretValueCommand({ SecretId: name })));
    expect(server).toBeInstanceOf(InternalServiceError);
    expect(server).toMatchObject({ $fault: 'server', message: 'Internal failure', $metadata: { httpStatusCode: 500 } });
    const throttled = await failure(sdk.send(new GetSecretValueCommand({ SecretId: name })));
    expect(throttled).toBeInstanceOf(SecretsManagerServiceException);
    expect(throttled).toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded' });
    // Faults apply to one request each.
    await expect(sdk.send(new GetSecretValueCommand({ SecretId: name }))).resolves.toMatchObject({ SecretString: 'x' });
  });

  test('delay answers normally, late', async () => {
    const name = uniqueName();
    secrets.putSecret(name, 'x');
    secrets.injectFault({ kind: 'delay', ms: 300 });
    const started = performance.now();
    await expect(sdk.send(new GetSecretValueCommand({ SecretId: name }))).resolves.toMatchObject({ SecretString: 'x' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  test('drop: the connection resets without an answer', async () => {
    secrets.injectFault({ kind: 'drop' });
    const error = await failure(sdk.send(new GetSecretValueCommand({ SecretId: 'anything' })));
    // See the SSO OIDC emulator's test: a "TimeoutError", wrapped under jest's vm modules.
    expect(`${error.name}: ${error.message}`).toMatch(/TimeoutError: socket hang up$/);
    expect(error.$metadata).not.toHaveProperty('httpStatusCode');
  });
});

describe('bookkeeping', () => {
  test('records the action and secret id of each call, never the secret value', async () => {
    const name = uniqueName();
    secrets.putSecret(name, 'top-secret-value');
    secrets.resetCalls();
    await sdk.send(new GetSecretValueCommand({ SecretId: name }));
    await sdk.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'another-secret-value' }));
    await sdk.send(new GetSecretValueCommand({ SecretId: name }));

    expect(secrets.callCount('GetSecretValue')).toBe(2);
    expect(secrets.callCount('PutSecretValue')).toBe(1);
    expect(secrets.calls.map(({ action, secretId }) => ({ action, secretId }))).toEqual([
      { action: 'GetSecretValue', secretId: name },
      { action: 'PutSecretValue', secretId: name },
      { action: 'GetSecretValue', secretId: name },
    ]);
    expect(JSON.stringify(secrets.calls)).not.toMatch(/secret-value/);
    secrets.resetCalls();
    expect(secrets.callCount('GetSecretValue')).toBe(0);
  });

  test('counts TCP connections: one SDK client keeps one alive', async () => {
    const name = uniqueName();
    secrets.putSecret(name, 'x');
    const client = sdkFor(secrets);
    const before = secrets.connections;
    for (let i = 0; i < 3; i += 1) await client.send(new GetSecretValueCommand({ SecretId: name }));
    expect(secrets.connections - before).toBe(1);
    client.destroy();
  });
});

describe('with accessKeyIds: which credentials signed a request', () => {
  it('serves requests signed with a listed access key, refuses others as the service does, and records the key', async () => {
    const strict = await SecretsManagerEmulator.start({ accessKeyIds: ['AKIDEXAMPLE'] });
    const client = sdkFor(strict);
    const stranger = new SecretsManagerClient({
      endpoint: strict.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDSTRANGER', secretAccessKey: 'secret' },
      maxAttempts: 1,
    });
    try {
      strict.putSecret('broker/signed', '{"a":1}');
      expect((await client.send(new GetSecretValueCommand({ SecretId: 'broker/signed' }))).SecretString).toBe('{"a":1}');
      const refused = await failure(stranger.send(new GetSecretValueCommand({ SecretId: 'broker/signed' })));
      expect(refused.name).toBe('UnrecognizedClientException');
      expect((refused.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(400);
      const unsigned = await fetch(strict.url, {
        method: 'POST',
        headers: { 'x-amz-target': 'secretsmanager.GetSecretValue', 'content-type': 'application/x-amz-json-1.1' },
        body: JSON.stringify({ SecretId: 'broker/signed' }),
      });
      expect(unsigned.status).toBe(400);
      expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
      expect(strict.calls.map((call) => call.accessKeyId)).toEqual(['AKIDEXAMPLE', 'AKIDSTRANGER', undefined]);
    } finally {
      client.destroy();
      stranger.destroy();
      await strict.stop();
    }
  });
});
