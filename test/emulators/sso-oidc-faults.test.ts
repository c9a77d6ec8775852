// The SSO OIDC emulator's injected faults (errors, delays, dropped connections, raw and altered
// answers) as the AWS SDK's client meets them, and its bookkeeping: the calls it records (without
// secrets, codes or tokens), its TCP connections, stop(), and a JSON 404 for anything else.

import {
  CreateTokenCommand,
  InvalidGrantException,
  RegisterClientCommand,
  SlowDownException,
  SSOOIDCServiceException,
  StartDeviceAuthorizationCommand,
  type CreateTokenCommandOutput,
} from '@aws-sdk/client-sso-oidc';
import { AUTHORIZATION_CODE, DEVICE_CODE, SsoOidcEmulator } from '../../local/emulators/sso-oidc.js';
import {
  credentials,
  failure,
  freshCode,
  oidc,
  postJson,
  refreshWith,
  register,
  sdk,
  sdkFor,
  setUpEmulators,
  START_URL,
  startDevice,
} from './support/sso-oidc.js';

const clock = Date.UTC(2026, 10, 1);
setUpEmulators(() => clock);

describe('faults', () => {
  test('an error fault changes no state: the code still works afterwards', async () => {
    const input = freshCode();
    oidc.injectFault({ kind: 'error', type: 'InternalServerException', status: 500 });
    const error = await failure(sdk.send(new CreateTokenCommand(input)));
    expect(error).toMatchObject({ name: 'InternalServerException', error: 'server_error' });
    await expect(sdk.send(new CreateTokenCommand(input))).resolves.toMatchObject({ tokenType: 'Bearer' });
  });

  test('faults queue up and apply only to requests on their path', async () => {
    const registration = register();
    oidc.injectFault({ kind: 'error', type: 'SlowDownException', status: 400, path: '/device_authorization' });
    oidc.injectFault({ kind: 'error', type: 'InternalServerException', status: 500 });
    oidc.injectFault({ kind: 'error', type: 'InternalServerException', status: 503 });

    expect((await failure(sdk.send(new CreateTokenCommand(refreshWith())))).$metadata).toMatchObject({ httpStatusCode: 500 });
    const slow = await failure(sdk.send(new StartDeviceAuthorizationCommand({ ...credentials(registration), startUrl: START_URL })));
    expect(slow).toBeInstanceOf(SlowDownException);
    expect((await failure(sdk.send(new CreateTokenCommand(refreshWith())))).$metadata).toMatchObject({ httpStatusCode: 503 });
    expect(await failure(sdk.send(new CreateTokenCommand(refreshWith())))).toBeInstanceOf(InvalidGrantException);
  });

  test('delay answers normally, late', async () => {
    oidc.injectFault({ kind: 'delay', ms: 300 });
    const started = performance.now();
    await expect(sdk.send(new CreateTokenCommand(freshCode()))).resolves.toMatchObject({ tokenType: 'Bearer' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  test('drop: the SDK reports the reset connection as a TimeoutError, with no status', async () => {
    const input = freshCode();
    oidc.injectFault({ kind: 'drop' });
    const error = await failure(sdk.send(new CreateTokenCommand(input)));
    // @smithy/node-http-handler renames ECONNRESET, EPIPE and ETIMEDOUT errors to "TimeoutError", so
    // under plain Node this is { name: 'TimeoutError', code: 'ECONNRESET', message: 'socket hang up' }.
    // Under jest's vm modules Node's error comes from another realm, fails the SDK's
    // `instanceof Error` and is wrapped: name 'Error', no code, message
    // 'AWS SDK error wrapper for TimeoutError: socket hang up'. This holds in both.
    expect(`${error.name}: ${error.message}`).toMatch(/TimeoutError: socket hang up$/);
    expect(error).not.toBeInstanceOf(SSOOIDCServiceException);
    expect(error.$metadata).not.toHaveProperty('httpStatusCode');
    // The dropped request changed nothing.
    await expect(sdk.send(new CreateTokenCommand(input))).resolves.toBeDefined();
  });

  test('raw: a non-JSON or truncated 200, or an HTML 502, is a SyntaxError from the SDK', async () => {
    for (const [status, body] of [
      [200, 'not json'],
      [200, '{"accessToken":"aoa'],
      [502, '<html>Bad Gateway</html>'],
    ] as const) {
      oidc.injectFault({ kind: 'raw', status, headers: { 'Content-Type': 'text/html' }, body });
      const error = await failure(sdk.send(new CreateTokenCommand(refreshWith())));
      expect(error.name).toBe('SyntaxError');
      expect(error).not.toBeInstanceOf(SSOOIDCServiceException);
      expect(error.$metadata).toMatchObject({ httpStatusCode: status });
    }
  });

  test('extraMembers: unknown members are dropped from an SDK output but copied onto an SDK exception', async () => {
    oidc.injectFault({ kind: 'extraMembers', members: { surprise: 'yes' } });
    const tokens = await sdk.send(new CreateTokenCommand(freshCode()));
    expect(tokens).not.toHaveProperty('surprise');

    oidc.injectFault({ kind: 'extraMembers', members: { surprise: 'yes' } });
    const raw = await postJson(oidc, '/token', freshCode());
    expect(await raw.json()).toMatchObject({ accessToken: expect.any(String), surprise: 'yes' });

    oidc.injectFault({ kind: 'extraMembers', members: { error_uri: 'https://example.com/help' } });
    const error = await failure(sdk.send(new CreateTokenCommand(refreshWith())));
    expect(error).toBeInstanceOf(InvalidGrantException);
    expect(error.error_uri).toBe('https://example.com/help');
  });
});

describe('bookkeeping', () => {
  test('records calls with the (public) client id, without secrets, codes or tokens', async () => {
    oidc.resetCalls();
    const input = freshCode();
    const tokens: CreateTokenCommandOutput = await sdk.send(new CreateTokenCommand(input));
    const { poll } = await startDevice();
    await failure(sdk.send(new CreateTokenCommand(poll)));

    expect(oidc.callCount('/token')).toBe(2);
    expect(oidc.callCount('/device_authorization')).toBe(1);
    expect(oidc.calls).toEqual([
      { method: 'POST', path: '/token', grantType: AUTHORIZATION_CODE, clientId: input.clientId, at: clock },
      { method: 'POST', path: '/device_authorization', clientId: poll.clientId, at: clock },
      { method: 'POST', path: '/token', grantType: DEVICE_CODE, clientId: poll.clientId, at: clock },
    ]);
    const recorded = JSON.stringify(oidc.calls);
    for (const secret of [input.clientSecret, input.code, input.codeVerifier, poll.deviceCode, tokens.accessToken, tokens.refreshToken]) {
      expect(recorded).not.toContain(secret);
    }
    oidc.resetCalls();
    expect(oidc.calls).toEqual([]);
  });

  test('counts TCP connections: one SDK client keeps one alive', async () => {
    const client = sdkFor(oidc);
    const before = oidc.connections;
    for (let i = 0; i < 3; i += 1) await client.send(new CreateTokenCommand(freshCode()));
    expect(oidc.connections - before).toBe(1);
    client.destroy();
  });

  test('stop() closes keep-alive connections and frees the port', async () => {
    const emulator = await SsoOidcEmulator.start();
    const client = sdkFor(emulator);
    await client.send(new RegisterClientCommand({ clientName: 'x', clientType: 'public' }));
    const started = performance.now();
    await emulator.stop();
    expect(performance.now() - started).toBeLessThan(1000);
    await expect(fetch(`${emulator.url}/token`)).rejects.toThrow();
    client.destroy();
  });

  test('anything else is a JSON 404', async () => {
    const answer = await fetch(`${oidc.url}/nowhere`);
    expect(answer.status).toBe(404);
    expect(await answer.json()).toEqual({ message: 'Not Found' });
  });
});
