// The broker's orchestration with a scripted SSO OIDC on the wire (support/oidc-wire.ts): what is
// sent, when it is sent again (only after a rotation), and how answers and failures map onto the vocabulary.
import { jest } from '@jest/globals';
import { newAudit, type Audit } from '../../lambda/core/audit.js';
import type { GrantDeps } from '../../lambda/core/grants.js';
import { awsJsonRoutes } from '../../lambda/surfaces/aws-json/index.js';
import { loadConfig } from '../../lambda/core/config.js';
import { BrokerError } from '../../lambda/core/errors.js';
import type { Registration } from '../../lambda/core/registration.js';
import type { RestJsonAnswer } from '../../lambda/core/rest-json.js';
import { createUpstream, errorOf } from '../../lambda/core/upstream.js';
import { failure, fakeOidc, success } from './support/oidc-wire.js';

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

function setup(refreshed: Registration = newRegistration) {
  const oidc = fakeOidc(config);
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
    upstream: createUpstream(config, oidc.call),
  };
  return { oidc, deps, refresh };
}

const invalidClient = () => failure(401, 'InvalidClientException', { error: 'invalid_client' }, 'req-1');

describe('exchangeToken', () => {
  it('sends the registration and the request, and returns only modeled members', async () => {
    const { oidc, deps } = setup();
    oidc.on('CreateToken').answers(success({ accessToken: 'at', tokenType: 'Bearer', expiresIn: 3600, unexpected: 'member' }, 'req-9'));
    const audit = newAudit();
    const result = await exchangeToken(refreshBody, deps, audit);
    expect(result).toEqual({ statusCode: 200, body: { accessToken: 'at', tokenType: 'Bearer', expiresIn: 3600 } });
    expect(oidc.inputs('CreateToken')[0]).toEqual({
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
      .on('CreateToken')
      .answersOnce(invalidClient())
      .answers(success({ accessToken: 'at', tokenType: 'Bearer', expiresIn: 1 }));
    const audit = newAudit();
    await expect(exchangeToken(refreshBody, deps, audit)).resolves.toMatchObject({ statusCode: 200 });
    expect(refresh).toHaveBeenCalledTimes(1);
    const secrets = oidc.inputs('CreateToken').map((input) => input.clientSecret);
    expect(secrets).toEqual(['secret-old', 'secret-new']);
    expect(audit).toMatchObject({ upstreamCalls: 2, registrationRefreshed: true });
  });

  it('does not retry when the secret still holds the rejected registration', async () => {
    const { oidc, deps, refresh } = setup(oldRegistration);
    oidc.on('CreateToken').answers(invalidClient());
    // (refreshed with the same secret: nothing changed)
    await expect(exchangeToken(refreshBody, deps, newAudit())).rejects.toMatchObject({ status: 401, type: 'InvalidClientException', fromUpstream: true });
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(oidc.inputs('CreateToken')).toHaveLength(1);
  });

  it('does not retry with a rotated registration of another client than the one the caller named', async () => {
    const { oidc, deps, refresh } = setup({ clientId: 'client-2', clientSecret: 'secret-2' });
    oidc.on('CreateToken').answers(invalidClient());
    await expect(exchangeToken({ ...refreshBody, clientId: 'client-1' }, deps, newAudit())).rejects.toMatchObject({ status: 401, type: 'InvalidClientException' });
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(oidc.inputs('CreateToken')).toHaveLength(1);
  });

  it('does not re-read the secret or retry for other errors', async () => {
    const { oidc, deps, refresh } = setup();
    oidc.on('CreateToken').answers(failure(400, 'InvalidGrantException', { error: 'invalid_grant', error_description: 'used' }, 'req-1'));
    const refused = (await exchangeToken(refreshBody, deps, newAudit()).catch((e: unknown) => e)) as BrokerError;
    expect(refused.toWire()).toEqual({ __type: 'InvalidGrantException', error: 'invalid_grant', error_description: 'used' });
    expect(refused.upstream?.requestId).toBe('req-1');
    expect(refresh).not.toHaveBeenCalled();
    expect(oidc.inputs('CreateToken')).toHaveLength(1);
  });
});

describe('startDeviceAuthorization', () => {
  it('sends the start URL with the registration', async () => {
    const { oidc, deps } = setup();
    oidc.on('StartDeviceAuthorization').answers(success({ deviceCode: 'dc', userCode: 'UC', interval: 5 }));
    const result = await startDeviceAuthorization({ startUrl: 'https://d.awsapps.com/start' }, deps, newAudit());
    expect(result).toEqual({ statusCode: 200, body: { deviceCode: 'dc', userCode: 'UC', interval: 5 } });
    expect(oidc.inputs('StartDeviceAuthorization')[0]).toEqual({
      clientId: 'client-1',
      clientSecret: 'secret-old',
      startUrl: 'https://d.awsapps.com/start',
    });
  });
});

describe('errorOf: SSO OIDC\'s error answers', () => {
  const answer = (status: number, headers: Record<string, string>, body: unknown, requestId?: string): RestJsonAnswer => ({ status, headers, body, requestId });

  it('passes an unknown error type through with its status and members', () => {
    const brandNew = answer(409, { 'x-amzn-errortype': 'BrandNewException:http://internal.amazon.com/coral/x/' }, { error: 'brand_new', error_description: 'd', reason: 'R' });
    expect(errorOf(brandNew).toWire()).toEqual({ __type: 'BrandNewException', error: 'brand_new', error_description: 'd', reason: 'R' });
  });

  it('reads the type as the SDKs do: x-amzn-ErrorType, else the body\'s code, else its __type (after #)', () => {
    expect(errorOf(answer(400, {}, { code: 'InvalidGrantException', __type: 'Other' })).type).toBe('InvalidGrantException');
    expect(errorOf(answer(400, {}, { __type: 'com.amazonaws.ssooidc#InvalidGrantException' })).type).toBe('InvalidGrantException');
  });

  it('an error without a type, with a body that is not JSON, or with an unusable type or code is the broker\'s 502', () => {
    const unreadable = { status: 502, type: 'BadGatewayException', description: 'SSO OIDC gave an answer the broker could not read.' };
    expect(errorOf(answer(503, {}, undefined))).toMatchObject(unreadable);
    expect(errorOf(answer(400, {}, { error: 'invalid_grant' }))).toMatchObject(unreadable);
    expect(errorOf(answer(400, { 'x-amzn-errortype': 'Unknown' }, {}))).toMatchObject(unreadable);
    expect(errorOf(answer(400, { 'x-amzn-errortype': 'InvalidGrantException' }, null))).toMatchObject(unreadable);
    expect(errorOf(answer(400, { 'x-amzn-errortype': 'Invalid Grant' }, {}))).toMatchObject(unreadable);
    expect(errorOf(answer(302, { 'x-amzn-errortype': 'InvalidGrantException' }, {}))).toMatchObject(unreadable);
    expect(errorOf(answer(400, { 'x-amzn-errortype': 'InvalidGrantException' }, { error: 'in"valid' }))).toMatchObject(unreadable);
  });

  it('never keeps a request id that quotes the client secret (it would be echoed in x-amzn-RequestId and logged)', async () => {
    const { oidc, deps } = setup();
    oidc.on('CreateToken').answers(failure(400, 'InvalidGrantException', { error: 'invalid_grant' }, 'id-secret-old-1'));
    const quoted = (await exchangeToken(refreshBody, deps, newAudit()).catch((e: unknown) => e)) as BrokerError;
    expect(quoted.upstream).toEqual({ status: 400, requestId: undefined });
    oidc.on('CreateToken').answers(failure(400, 'InvalidGrantException', { error: 'invalid_grant' }, 'id-another-1'));
    const plain = (await exchangeToken(refreshBody, deps, newAudit()).catch((e: unknown) => e)) as BrokerError;
    expect(plain.upstream).toEqual({ status: 400, requestId: 'id-another-1' });
    // The same for an answer that was not an error: a 200 the broker could not use.
    oidc.on('CreateToken').answers(success({}, 'x-secret-old-y'));
    const audit = newAudit();
    const failed = (await exchangeToken(refreshBody, deps, audit).catch((e: unknown) => e)) as BrokerError;
    expect([failed.status, failed.upstream?.requestId, audit.upstreamRequestId]).toEqual([502, undefined, undefined]);
  });

  it('passes no text that quotes the client secret, and refuses a success that does', async () => {
    const { oidc, deps } = setup();
    oidc.on('CreateToken').answers(failure(400, 'InvalidGrantException', { error: 'invalid_grant', error_description: 'not secret-old, no' }));
    const redacted = (await exchangeToken(refreshBody, deps, newAudit()).catch((e: unknown) => e)) as BrokerError;
    expect(redacted.toWire()).toEqual({ __type: 'InvalidGrantException', error: 'invalid_grant', error_description: 'not [redacted], no' });
    oidc.on('CreateToken').answers(success({ accessToken: 'at-secret-old' }));
    await expect(exchangeToken(refreshBody, deps, newAudit())).rejects.toMatchObject({ status: 502 });
  });
});
