// The broker's orchestration with aws-sdk-client-mock standing in for SSO OIDC: what is sent, when it
import { jest } from '@jest/globals';
// is sent again (only after a rotation), and how SDK failures map onto the vocabulary.
import {
  CreateTokenCommand,
  InvalidClientException,
  InvalidGrantException,
  SSOOIDCServiceException,
  StartDeviceAuthorizationCommand,
} from '@aws-sdk/client-sso-oidc';
import { mockClient } from 'aws-sdk-client-mock';
import { newAudit, type Audit } from '../../lambda/core/audit.js';
import type { GrantDeps } from '../../lambda/core/grants.js';
import { awsJsonRoutes } from '../../lambda/surfaces/aws-json/index.js';
import { loadConfig } from '../../lambda/core/config.js';
import { BrokerError } from '../../lambda/core/errors.js';
import type { Registration } from '../../lambda/core/registration.js';
import { createOidcClient, createUpstream, toUpstreamError } from '../../lambda/core/upstream.js';

/** The JSON dialect's POST /token and POST /device_authorization, as the edge calls them. */
const request = (body: unknown) => ({ body, rawQuery: '', headers: {}, cookies: [] });
const exchangeToken = (body: unknown, deps: GrantDeps, audit: Audit) => awsJsonRoutes(deps).token(request(body), audit);
const startDeviceAuthorization = (body: unknown, deps: GrantDeps, audit: Audit) => awsJsonRoutes(deps).deviceAuthorization(request(body), audit);

const config = loadConfig({
  TOKEN_BROKER_SECRET_ID: 's',
  AWS_REGION: 'us-east-1',
  TOKEN_BROKER_GRANT_TYPES: 'authorization_code,refresh_token,urn:ietf:params:oauth:grant-type:device_code',
});
const oldRegistration: Registration = { clientId: 'client-1', clientSecret: 'secret-old' };
const newRegistration: Registration = { clientId: 'client-1', clientSecret: 'secret-new' };
const refreshBody = { grantType: 'refresh_token', refreshToken: 'rt-1' };
const meta = { httpStatusCode: 400, requestId: 'req-1', attempts: 1, totalRetryDelay: 0 };

function setup(refreshed: Registration = newRegistration) {
  const client = createOidcClient(config);
  const oidc = mockClient(client);
  const refresh = jest.fn(async () => ({
    registration: refreshed,
    changed: refreshed.clientSecret !== oldRegistration.clientSecret,
  }));
  const deps: GrantDeps = {
    config,
    registrations: {
      get: async () => oldRegistration,
      forClient: async (id: string | undefined) => (id === undefined || id === oldRegistration.clientId ? oldRegistration : undefined),
      refresh,
    },
    upstream: createUpstream(config, client),
  };
  return { oidc, deps, refresh };
}

const invalidClient = () =>
  new InvalidClientException({ message: 'UnknownError', $metadata: { ...meta, httpStatusCode: 401 }, error: 'invalid_client' });

describe('exchangeToken', () => {
  it('sends the registration and the request, and returns only modeled members', async () => {
    const { oidc, deps } = setup();
    oidc.on(CreateTokenCommand).resolves({
      $metadata: { httpStatusCode: 200, requestId: 'req-9' },
      accessToken: 'at',
      tokenType: 'Bearer',
      expiresIn: 3600,
      ...({ unexpected: 'member' } as object),
    });
    const audit = newAudit();
    const result = await exchangeToken(refreshBody, deps, audit);
    expect(result).toEqual({ statusCode: 200, body: { accessToken: 'at', tokenType: 'Bearer', expiresIn: 3600 } });
    expect(oidc.commandCalls(CreateTokenCommand)[0]!.args[0].input).toEqual({
      clientId: 'client-1',
      clientSecret: 'secret-old',
      grantType: 'refresh_token',
      refreshToken: 'rt-1',
    });
    expect(audit).toMatchObject({ grantType: 'refresh_token', upstreamCalls: 1, upstreamStatus: 200, upstreamRequestId: 'req-9' });
  });

  it('never calls upstream for a request it rejects', async () => {
    const { oidc, deps } = setup();
    await expect(exchangeToken({ grantType: 'refresh_token' }, deps, newAudit())).rejects.toBeInstanceOf(BrokerError);
    await expect(exchangeToken({ ...refreshBody, clientId: 'other' }, deps, newAudit())).rejects.toMatchObject({
      status: 401,
      type: 'InvalidClientException',
    });
    expect(oidc.calls()).toHaveLength(0);
  });

  it('after InvalidClientException re-reads the secret and retries once with a rotated registration', async () => {
    const { oidc, deps, refresh } = setup();
    oidc
      .on(CreateTokenCommand)
      .rejectsOnce(invalidClient())
      .resolves({ $metadata: { httpStatusCode: 200 }, accessToken: 'at', tokenType: 'Bearer', expiresIn: 1 });
    const audit = newAudit();
    await expect(exchangeToken(refreshBody, deps, audit)).resolves.toMatchObject({ statusCode: 200 });
    expect(refresh).toHaveBeenCalledTimes(1);
    const secrets = oidc.commandCalls(CreateTokenCommand).map((call) => call.args[0].input.clientSecret);
    expect(secrets).toEqual(['secret-old', 'secret-new']);
    expect(audit).toMatchObject({ upstreamCalls: 2, registrationRefreshed: true });
  });

  it('does not retry when the secret still holds the rejected registration', async () => {
    const { oidc, deps, refresh } = setup(oldRegistration);
    oidc.on(CreateTokenCommand).rejects(invalidClient());
    // (refreshed with the same secret: nothing changed)
    await expect(exchangeToken(refreshBody, deps, newAudit())).rejects.toMatchObject({ status: 401, type: 'InvalidClientException', fromUpstream: true });
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(oidc.commandCalls(CreateTokenCommand)).toHaveLength(1);
  });

  it('does not retry with a rotated registration of another client than the one the caller named', async () => {
    const { oidc, deps, refresh } = setup({ clientId: 'client-2', clientSecret: 'secret-2' });
    oidc.on(CreateTokenCommand).rejects(invalidClient());
    await expect(exchangeToken({ ...refreshBody, clientId: 'client-1' }, deps, newAudit())).rejects.toMatchObject({ status: 401, type: 'InvalidClientException' });
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(oidc.commandCalls(CreateTokenCommand)).toHaveLength(1);
  });

  it('does not re-read the secret or retry for other errors', async () => {
    const { oidc, deps, refresh } = setup();
    oidc.on(CreateTokenCommand).rejects(
      new InvalidGrantException({ message: 'UnknownError', $metadata: meta, error: 'invalid_grant', error_description: 'used' }),
    );
    const failure = (await exchangeToken(refreshBody, deps, newAudit()).catch((e: unknown) => e)) as BrokerError;
    expect(failure.toWire()).toEqual({ __type: 'InvalidGrantException', error: 'invalid_grant', error_description: 'used' });
    expect(failure.upstream?.requestId).toBe('req-1');
    expect(refresh).not.toHaveBeenCalled();
    expect(oidc.commandCalls(CreateTokenCommand)).toHaveLength(1);
  });
});

describe('startDeviceAuthorization', () => {
  it('sends the start URL with the registration', async () => {
    const { oidc, deps } = setup();
    oidc.on(StartDeviceAuthorizationCommand).resolves({ $metadata: { httpStatusCode: 200 }, deviceCode: 'dc', userCode: 'UC', interval: 5 });
    const result = await startDeviceAuthorization({ startUrl: 'https://d.awsapps.com/start' }, deps, newAudit());
    expect(result).toEqual({ statusCode: 200, body: { deviceCode: 'dc', userCode: 'UC', interval: 5 } });
    expect(oidc.commandCalls(StartDeviceAuthorizationCommand)[0]!.args[0].input).toEqual({
      clientId: 'client-1',
      clientSecret: 'secret-old',
      startUrl: 'https://d.awsapps.com/start',
    });
  });
});

describe('the SSO OIDC client', () => {
  it('is built never to retry, so a code is never replayed', async () => {
    expect(await createOidcClient(config).config.maxAttempts()).toBe(1);
  });
});

describe('toUpstreamError', () => {
  it('passes an unknown error type through with its status and members', () => {
    const error = Object.assign(new SSOOIDCServiceException({ name: 'BrandNewException', $fault: 'client', $metadata: { httpStatusCode: 409 } }), {
      error: 'brand_new',
      error_description: 'd',
      reason: 'R',
    });
    expect(toUpstreamError(error, false, 1000).toWire()).toEqual({ __type: 'BrandNewException', error: 'brand_new', error_description: 'd', reason: 'R' });
  });

  it('never keeps a request id that quotes the client secret (it would be echoed in x-amzn-RequestId and logged)', async () => {
    const quoting = Object.assign(new SSOOIDCServiceException({ name: 'InvalidGrantException', $fault: 'client', $metadata: { httpStatusCode: 400, requestId: 'id-secret-old-1' } }), {
      error: 'invalid_grant',
    });
    expect(toUpstreamError(quoting, false, 1000, 'secret-old').upstream).toEqual({ status: 400, requestId: undefined });
    expect(toUpstreamError(quoting, false, 1000, 'another-secret').upstream).toEqual({ status: 400, requestId: 'id-secret-old-1' });
    // The same for an answer that was not an error: a 200 the broker could not use.
    const { oidc, deps } = setup();
    oidc.on(CreateTokenCommand).resolves({ $metadata: { httpStatusCode: 200, requestId: 'x-secret-old-y' } });
    const audit = newAudit();
    const failure = (await exchangeToken(refreshBody, deps, audit).catch((e: unknown) => e)) as BrokerError;
    expect([failure.status, failure.upstream?.requestId, audit.upstreamRequestId]).toEqual([502, undefined, undefined]);
  });

  it('answers 504 when the deadline passed and 502 when the connection failed or the answer was unreadable', () => {
    expect(toUpstreamError(new Error('aborted'), true, 8000)).toMatchObject({ status: 504, type: 'GatewayTimeoutException' });
    expect(toUpstreamError(Object.assign(new Error('x'), { name: 'TimeoutError' }), false, 8000).status).toBe(504);
    const refused = toUpstreamError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), false, 8000);
    expect(refused).toMatchObject({ status: 502, type: 'BadGatewayException', description: 'SSO OIDC could not be reached.' });
    // The SDK's HTTP handler names a reset connection TimeoutError; it is a connection failure.
    const reset = toUpstreamError(Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' }), false, 8000);
    expect(reset).toMatchObject({ status: 502, description: 'SSO OIDC could not be reached.' });
    const garbled = toUpstreamError(new SyntaxError('Unexpected token < in JSON'), false, 8000);
    expect(garbled).toMatchObject({ status: 502, description: 'SSO OIDC gave an answer the broker could not read.' });
  });
});
