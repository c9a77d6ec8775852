// Secret caching and rotation, with aws-sdk-client-mock standing in for Secrets Manager behind the
// broker's own SecretReader (core/secret-reader.ts).
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { BrokerError } from '../../lambda/core/errors.js';
import { parseRegistration, RegistrationSource } from '../../lambda/core/registration.js';
import { SecretReader } from '../../lambda/core/secret-reader.js';

const first = { clientId: 'client-1', clientSecret: 'secret-1', clientSecretExpiresAt: 1_900_000_000 };
const second = { clientId: 'client-2', clientSecret: 'secret-2' };

function setup(maxAgeSeconds = 300) {
  const client = new SecretsManagerClient({ region: 'us-east-1' });
  const sm = mockClient(client);
  let now = 1_000_000;
  const source = new RegistrationSource({
    secretId: 'token-broker/registration',
    maxAgeSeconds,
    provider: new SecretReader(client),
    previousProvider: new SecretReader(client),
    now: () => now,
  });
  return { sm, source, advance: (ms: number) => (now += ms) };
}

describe('parseRegistration', () => {
  it('reads a RegisterClient answer', () => {
    const answer = { ...first, authorizationEndpoint: 'https://oidc.us-east-1.amazonaws.com/authorize' };
    expect(parseRegistration(JSON.stringify({ ...answer, tokenEndpoint: 'x', clientIdIssuedAt: 1 }))).toEqual(answer);
  });

  it.each([
    [undefined, 'has no SecretString'],
    ['{"clientId":"a","clientSecret":', 'is not valid JSON'],
    ['[1]', 'is not a JSON object'],
    ['{"clientSecret":"s"}', 'has no clientId'],
    ['{"clientId":"a"}', 'has no clientSecret'],
    ['{"clientId":"a","clientSecret":"s","clientSecretExpiresAt":"soon"}', 'clientSecretExpiresAt'],
  ])('rejects %j with a generic 500 and a log-only detail', (secretString, detail) => {
    let error: unknown;
    try {
      parseRegistration(secretString);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BrokerError);
    const brokerError = error as BrokerError;
    expect(brokerError.status).toBe(500);
    expect(brokerError.type).toBe('InternalServerException');
    expect(brokerError.logDetail).toContain(detail);
    expect(brokerError.description).toBe('The token broker could not complete the request.');
  });

  it('never quotes the secret in the log detail', () => {
    const secretString = '{"clientId":"a","clientSecret":"s3cr3t-value"';
    try {
      parseRegistration(secretString);
    } catch (error) {
      expect(JSON.stringify(error)).not.toContain('s3cr3t');
      expect((error as BrokerError).logDetail).not.toContain('s3cr3t');
      expect((error as BrokerError).message).not.toContain('s3cr3t');
    }
    expect.assertions(3);
  });
});

describe('RegistrationSource', () => {
  it('reads the secret once per max age and shares one read between concurrent callers', async () => {
    const { sm, source } = setup();
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(first) });
    const reads = await Promise.all([source.get(), source.get(), source.get()]);
    expect(reads).toEqual([first, first, first]);
    await source.get();
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(sm.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual({ SecretId: 'token-broker/registration' });
  });

  it('parses a value once: later requests get the same registration until the secret holds another', async () => {
    const { sm, source } = setup(0);
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify(first) })
      .resolvesOnce({ SecretString: JSON.stringify(first) })
      .resolves({ SecretString: JSON.stringify(second) });
    const a = await source.get();
    const b = await source.get();
    // Read twice (max age 0), parsed once: the very same object.
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(b).toBe(a);
    const c = await source.get();
    expect(c).toEqual(second);
    expect(c).not.toBe(a);
  });

  it('reads again once the max age has passed', async () => {
    const { sm, source } = setup(0);
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(first) });
    await source.get();
    await source.get();
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('refresh() bypasses the cache and reports a rotated registration', async () => {
    const { sm, source } = setup();
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify(first) })
      .resolves({ SecretString: JSON.stringify(second) });
    const used = await source.get();
    await expect(source.refresh(used)).resolves.toEqual({ registration: second, changed: true });
    await expect(source.get()).resolves.toEqual(second);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('refresh() compares with the registration the caller used, not with the last one read', async () => {
    const { sm, source } = setup();
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify(first) })
      .resolves({ SecretString: JSON.stringify(second) });
    const used = await source.get();
    // Another request's forced read has already found the rotated registration.
    await source.refresh(used);
    await expect(source.refresh(used)).resolves.toEqual({ registration: second, changed: true });
  });

  it('refresh() reports an unchanged registration and is rate-limited', async () => {
    const { sm, source, advance } = setup();
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(first) });
    const used = await source.get();
    await expect(source.refresh(used)).resolves.toEqual({ registration: first, changed: false });
    await expect(source.refresh(used)).resolves.toEqual({ registration: first, changed: false });
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    advance(5_000);
    await source.refresh(used);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(3);
  });

  it('turns a Secrets Manager failure into a generic 500 and recovers on the next call', async () => {
    const { sm, source } = setup();
    const notFound = Object.assign(new Error("Secrets Manager can't find the specified secret."), {
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 400 },
    });
    sm.on(GetSecretValueCommand).rejectsOnce(notFound).resolves({ SecretString: JSON.stringify(first) });
    const error = (await source.get().catch((caught: unknown) => caught)) as BrokerError;
    expect(error.status).toBe(500);
    expect(error.logDetail).toBe('client registration secret could not be read: ResourceNotFoundException 400');
    await expect(source.get()).resolves.toEqual(first);
  });

  it('prefetch() starts the read without waiting for a request and swallows its failure', async () => {
    const { sm, source } = setup();
    sm.on(GetSecretValueCommand).rejectsOnce(new Error('down')).resolves({ SecretString: JSON.stringify(first) });
    source.prefetch();
    await new Promise((resolve) => setImmediate(resolve));
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    await expect(source.get()).resolves.toEqual(first);
  });

  it('forClient() serves the current registration, or the previous one for a client rotated out', async () => {
    const { sm, source } = setup();
    sm.on(GetSecretValueCommand, { SecretId: 'token-broker/registration' }).resolves({ SecretString: JSON.stringify(second) });
    sm.on(GetSecretValueCommand, { SecretId: 'token-broker/registration', VersionStage: 'AWSPREVIOUS' }).resolves({
      SecretString: JSON.stringify(first),
    });
    await expect(source.forClient(undefined)).resolves.toEqual(second);
    await expect(source.forClient('client-2')).resolves.toEqual(second);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    await expect(source.forClient('client-1')).resolves.toEqual(first);
    await expect(source.forClient('client-1')).resolves.toEqual(first);
    // One read of each version: both are cached for the max age.
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    // An unknown client makes one forced read of both, then no more within the interval.
    await expect(source.forClient('client-3')).resolves.toBeUndefined();
    await expect(source.forClient('client-3')).resolves.toBeUndefined();
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(4);
  });

  it('forClient() remembers that the secret has no previous version, and reads again only rate-limited', async () => {
    const { sm, source, advance } = setup();
    sm.on(GetSecretValueCommand, { SecretId: 'token-broker/registration' }).resolves({ SecretString: JSON.stringify(second) });
    sm.on(GetSecretValueCommand, { SecretId: 'token-broker/registration', VersionStage: 'AWSPREVIOUS' }).rejects(
      Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }),
    );
    // Made-up client ids from anonymous callers: 1 current read, then 1 previous read, then one
    // forced pair; after that nothing until the interval has passed.
    for (let i = 0; i < 5; i += 1) await expect(source.forClient(`made-up-${i}`)).resolves.toBeUndefined();
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(4);
    advance(5_000);
    await expect(source.forClient('made-up')).resolves.toBeUndefined();
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(6);
  });

  it('forClient() finds a client a fresher instance already serves by reading the secret again', async () => {
    const { sm, source } = setup();
    sm.on(GetSecretValueCommand, { SecretId: 'token-broker/registration' })
      .resolvesOnce({ SecretString: JSON.stringify(first) })
      .resolves({ SecretString: JSON.stringify(second) });
    sm.on(GetSecretValueCommand, { SecretId: 'token-broker/registration', VersionStage: 'AWSPREVIOUS' }).rejects(
      Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }),
    );
    await expect(source.get()).resolves.toEqual(first);
    await expect(source.forClient('client-2')).resolves.toEqual(second);
  });

  it('forClient() answers a failed read of the previous version with a 500, not a 401', async () => {
    const { sm, source } = setup();
    sm.on(GetSecretValueCommand, { SecretId: 'token-broker/registration' }).resolves({ SecretString: JSON.stringify(second) });
    sm.on(GetSecretValueCommand, { SecretId: 'token-broker/registration', VersionStage: 'AWSPREVIOUS' }).rejects(
      Object.assign(new Error('slow down'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }),
    );
    await expect(source.forClient('client-1')).rejects.toMatchObject({
      status: 500,
      logDetail: 'previous client registration could not be read: ThrottlingException 400',
    });
  });

  it('reads a malformed secret again instead of serving it from the cache for the max age', async () => {
    const { sm, source, advance } = setup();
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: '{}' })
      .resolvesOnce({ SecretString: '{}' })
      .resolves({ SecretString: JSON.stringify(first) });
    await expect(source.get()).rejects.toMatchObject({ status: 500 });
    // The operator has not fixed it yet: read again, then not again within the interval.
    await expect(source.get()).rejects.toMatchObject({ status: 500 });
    await expect(source.get()).rejects.toMatchObject({ status: 500 });
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    advance(5_000);
    await expect(source.get()).resolves.toEqual(first);
    await expect(source.get()).resolves.toEqual(first);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(3);
  });

  it('gives up on a read that takes longer than its deadline', async () => {
    const source = new RegistrationSource({
      secretId: 'token-broker/registration',
      maxAgeSeconds: 300,
      timeoutMs: 20,
      provider: { get: () => new Promise(() => undefined) },
    });
    await expect(source.get()).rejects.toMatchObject({
      status: 500,
      logDetail: 'client registration secret could not be read: ReadTimeout',
    });
  });
});

describe('RegistrationSource across rotations: a session begun before a rotation is served at once', () => {
  const third = { clientId: 'client-3', clientSecret: 'secret-3' };
  const notFound = () => Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' });

  /** A secret whose versions move as Secrets Manager moves them: each rotation makes AWSCURRENT AWSPREVIOUS. */
  function rotatingSecret(sm: ReturnType<typeof setup>['sm'], versions: Record<string, unknown>[]) {
    let current = 0;
    sm.on(GetSecretValueCommand, { SecretId: 'token-broker/registration' }).callsFake(() => ({ SecretString: JSON.stringify(versions[current]) }));
    sm.on(GetSecretValueCommand, { SecretId: 'token-broker/registration', VersionStage: 'AWSPREVIOUS' }).callsFake(() => {
      if (current === 0) throw notFound();
      return { SecretString: JSON.stringify(versions[current - 1]) };
    });
    return { rotate: () => (current += 1) };
  }

  it('two rotations in a row: after each, the client it replaced is found without waiting', async () => {
    const { sm, source, advance } = setup();
    const secret = rotatingSecret(sm, [first, second, third]);
    await expect(source.forClient('client-1')).resolves.toEqual(first);

    secret.rotate();
    // A request naming the new client (as a fresher instance's GET /client hands out) forces a read...
    await expect(source.forClient('client-2')).resolves.toEqual(second);
    // ...and a session begun before the rotation keeps working at once.
    await expect(source.forClient('client-1')).resolves.toEqual(first);

    advance(5_000);
    secret.rotate();
    await expect(source.forClient('client-3')).resolves.toEqual(third);
    // client-1 was cached as AWSPREVIOUS: without the fix this is undefined (a 401) until the max age.
    await expect(source.forClient('client-2')).resolves.toEqual(second);
    // client-1 is two rotations old: neither version holds it any more.
    advance(5_000);
    await expect(source.forClient('client-1')).resolves.toBeUndefined();
  });

  it('the first rotation after a made-up client id: the memory of "no previous version" does not outlive it', async () => {
    const { sm, source, advance } = setup();
    const secret = rotatingSecret(sm, [first, second]);
    await expect(source.forClient('made-up')).resolves.toBeUndefined();
    advance(5_000);

    secret.rotate();
    await expect(source.forClient('client-2')).resolves.toEqual(second);
    // Without the fix: undefined (a 401) for the max age, although client-1 is now AWSPREVIOUS.
    await expect(source.forClient('client-1')).resolves.toEqual(first);
  });

  it('a rotation found by refresh() (SSO OIDC rejected the old client) also renews what is known of the previous one', async () => {
    const { sm, source, advance } = setup();
    const secret = rotatingSecret(sm, [first, second]);
    const used = await source.get();
    await expect(source.forClient('made-up')).resolves.toBeUndefined();
    advance(5_000);
    secret.rotate();
    await expect(source.refresh(used)).resolves.toEqual({ registration: second, changed: true });
    await expect(source.forClient('client-1')).resolves.toEqual(first);
  });

  it('a failed read of the previous version after a rotation is tried again by the next request', async () => {
    const { sm, source, advance } = setup();
    let current: Record<string, unknown> = first;
    let previousFails = false;
    sm.on(GetSecretValueCommand, { SecretId: 'token-broker/registration' }).callsFake(() => ({ SecretString: JSON.stringify(current) }));
    sm.on(GetSecretValueCommand, { SecretId: 'token-broker/registration', VersionStage: 'AWSPREVIOUS' }).callsFake(() => {
      if (previousFails) throw Object.assign(new Error('slow down'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
      if (current === first) throw notFound();
      return { SecretString: JSON.stringify(first) };
    });
    await expect(source.forClient('made-up')).resolves.toBeUndefined();
    advance(5_000);
    current = second;
    await expect(source.forClient('client-2')).resolves.toEqual(second);
    previousFails = true;
    await expect(source.forClient('client-1')).rejects.toMatchObject({ status: 500 });
    previousFails = false;
    await expect(source.forClient('client-1')).resolves.toEqual(first);
  });
});
