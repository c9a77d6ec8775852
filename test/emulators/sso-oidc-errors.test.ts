// The SSO OIDC emulator's CreateToken errors: every modeled error type comes from a real flow in
// the emulator, except the server fault, which only an injected fault produces; each is raised by the
// SDK as the modeled exception and written on the wire exactly as the service writes it.

import {
  AccessDeniedException,
  AuthorizationPendingException,
  CreateTokenCommand,
  ExpiredTokenException,
  InternalServerException,
  InvalidClientException,
  InvalidGrantException,
  InvalidRequestException,
  InvalidScopeException,
  SlowDownException,
  SSOOIDCServiceException,
  UnauthorizedClientException,
  UnsupportedGrantTypeException,
  type CreateTokenCommandInput,
} from '@aws-sdk/client-sso-oidc';
import { AUTHORIZATION_CODE, DEVICE_CODE, REFRESH_TOKEN } from '../../local/emulators/sso-oidc.js';
import { pkcePair } from '../helpers/pkce.js';
import {
  codeOnly,
  credentials,
  failure,
  freshCode,
  oidc,
  postJson,
  REDIRECT,
  refreshWith,
  register,
  sdk,
  setUpEmulators,
  signIn,
  startDevice,
} from './support/sso-oidc.js';

let clock = Date.UTC(2026, 10, 1);
setUpEmulators(() => clock);

const ERROR_TYPE_SUFFIX = ':http://internal.amazon.com/coral/com.amazonaws.sso.oidc/';

interface ErrorCase {
  readonly type: string;
  readonly status: number;
  readonly error: string;
  readonly reason?: string;
  readonly errorClass: abstract new (...args: never[]) => Error;
  /** A fresh CreateToken request that fails this way (called once for the SDK, once for fetch). */
  readonly setup: () => CreateTokenCommandInput | Promise<CreateTokenCommandInput>;
}

async function usedCode(): Promise<CreateTokenCommandInput> {
  const { verifier, challenge } = pkcePair();
  const registration = register();
  const code = oidc.authorize({ clientId: registration.clientId, redirectUri: REDIRECT, codeChallenge: challenge });
  const input = { ...credentials(registration), grantType: AUTHORIZATION_CODE, code, codeVerifier: verifier, redirectUri: REDIRECT };
  await sdk.send(new CreateTokenCommand(input));
  return input;
}

const ERROR_CASES: Record<string, ErrorCase> = {
  'AccessDenied: KMS access denied': {
    type: 'AccessDeniedException', status: 400, error: 'access_denied', reason: 'KMS_AccessDeniedException', errorClass: AccessDeniedException,
    setup: () => {
      oidc.setKmsState('access_denied');
      return refreshWith();
    },
  },
  'AccessDenied: the user denied the device': {
    type: 'AccessDeniedException', status: 400, error: 'access_denied', errorClass: AccessDeniedException,
    setup: async () => {
      const { device, poll } = await startDevice();
      oidc.denyDevice(device.userCode!);
      return poll;
    },
  },
  'AuthorizationPending: device not yet approved': {
    type: 'AuthorizationPendingException', status: 400, error: 'authorization_pending', errorClass: AuthorizationPendingException,
    setup: async () => (await startDevice()).poll,
  },
  'ExpiredToken: device code past its expiry': {
    type: 'ExpiredTokenException', status: 400, error: 'expired_token', errorClass: ExpiredTokenException,
    setup: async () => {
      const { poll } = await startDevice();
      clock += 600_000;
      return poll;
    },
  },
  'InternalServer: injected server fault': {
    type: 'InternalServerException', status: 500, error: 'server_error', errorClass: InternalServerException,
    setup: () => {
      oidc.injectFault({ kind: 'error', type: 'InternalServerException', status: 500, description: 'Internal failure' });
      return refreshWith();
    },
  },
  'InvalidClient: wrong secret': {
    type: 'InvalidClientException', status: 401, error: 'invalid_client', errorClass: InvalidClientException,
    setup: () => ({ ...refreshWith(), clientSecret: 'wrong' }),
  },
  'InvalidClient: unknown client': {
    type: 'InvalidClientException', status: 401, error: 'invalid_client', errorClass: InvalidClientException,
    setup: () => ({ ...refreshWith(), clientId: 'client-unknown' }),
  },
  'InvalidClient: expired registration': {
    type: 'InvalidClientException', status: 401, error: 'invalid_client', errorClass: InvalidClientException,
    setup: () => {
      const input = refreshWith();
      oidc.expireClient(input.clientId!);
      return input;
    },
  },
  'InvalidGrant: reused code': {
    type: 'InvalidGrantException', status: 400, error: 'invalid_grant', errorClass: InvalidGrantException,
    setup: usedCode,
  },
  'InvalidGrant: wrong code verifier': {
    type: 'InvalidGrantException', status: 400, error: 'invalid_grant', errorClass: InvalidGrantException,
    setup: () => freshCode({ codeVerifier: pkcePair().verifier }),
  },
  'InvalidGrant: redirect URI differs from /authorize': {
    type: 'InvalidGrantException', status: 400, error: 'invalid_grant', errorClass: InvalidGrantException,
    setup: () => freshCode({ redirectUri: 'http://127.0.0.1:8400/other' }),
  },
  'InvalidGrant: code past 10 minutes': {
    type: 'InvalidGrantException', status: 400, error: 'invalid_grant', errorClass: InvalidGrantException,
    setup: () => {
      const input = freshCode();
      clock += 600_000;
      return input;
    },
  },
  'InvalidGrant: revoked refresh token': {
    type: 'InvalidGrantException', status: 400, error: 'invalid_grant', errorClass: InvalidGrantException,
    setup: async () => {
      const { registration, tokens } = await signIn();
      oidc.revokeRefreshToken(tokens.refreshToken!);
      return { ...credentials(registration), grantType: REFRESH_TOKEN, refreshToken: tokens.refreshToken! };
    },
  },
  'InvalidRequest: KMS key disabled': {
    type: 'InvalidRequestException', status: 400, error: 'invalid_request', reason: 'KMS_DisabledException', errorClass: InvalidRequestException,
    setup: () => {
      oidc.setKmsState('disabled');
      return refreshWith();
    },
  },
  'InvalidRequest: code verifier missing': {
    type: 'InvalidRequestException', status: 400, error: 'invalid_request', errorClass: InvalidRequestException,
    setup: () => freshCode({ codeVerifier: undefined }),
  },
  'InvalidScope: scope not registered': {
    type: 'InvalidScopeException', status: 400, error: 'invalid_scope', errorClass: InvalidScopeException,
    setup: () => ({ ...refreshWith(), scope: ['openid', 'sso:admin'] }),
  },
  'SlowDown: polled again within the interval': {
    type: 'SlowDownException', status: 400, error: 'slow_down', errorClass: SlowDownException,
    setup: async () => {
      const { poll } = await startDevice();
      await failure(sdk.send(new CreateTokenCommand(poll)));
      return poll;
    },
  },
  'UnauthorizedClient: grant type not registered': {
    type: 'UnauthorizedClientException', status: 400, error: 'unauthorized_client', errorClass: UnauthorizedClientException,
    setup: () => ({ ...credentials(register(oidc, { grantTypes: [DEVICE_CODE], redirectUris: [] })), grantType: REFRESH_TOKEN, refreshToken: 'x' }),
  },
  'UnsupportedGrantType: unknown grant type': {
    type: 'UnsupportedGrantTypeException', status: 400, error: 'unsupported_grant_type', errorClass: UnsupportedGrantTypeException,
    setup: () => ({ ...refreshWith(), grantType: 'password' }),
  },
  'an unknown type, injected': {
    type: 'BrandNewException', status: 409, error: 'brand_new', reason: 'SOMETHING_NEW', errorClass: SSOOIDCServiceException,
    setup: () => {
      oidc.injectFault({ kind: 'error', type: 'BrandNewException', status: 409, error: 'brand_new', description: 'New', reason: 'SOMETHING_NEW' });
      return refreshWith();
    },
  },
};

describe('CreateToken errors', () => {
  test('covers all 11 modeled CreateToken error types and an unknown one', () => {
    const types = new Set(Object.values(ERROR_CASES).map((c) => c.type));
    expect(types.size).toBe(12);
  });

  test.each(Object.entries(ERROR_CASES))('%s: the SDK raises the modeled exception', async (_, c) => {
    const error = await failure(sdk.send(new CreateTokenCommand(await c.setup())));
    expect(error).toBeInstanceOf(c.errorClass);
    expect(error.name).toBe(c.type);
    expect(error.$metadata).toMatchObject({ httpStatusCode: c.status, requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(error.error).toBe(c.error);
    expect(error.error_description).toEqual(expect.any(String));
    expect(error.reason).toBe(c.reason);
    // The body has no `message`, so the SDK falls back to this.
    expect(error.message).toBe('UnknownError');
  });

  test.each(Object.entries(ERROR_CASES))('%s: the wire form is exactly the service’s', async (_, c) => {
    const answer = await postJson(oidc, '/token', await c.setup());
    expect(answer.status).toBe(c.status);
    expect(answer.headers.get('x-amzn-ErrorType')).toBe(`${c.type}${ERROR_TYPE_SUFFIX}`);
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(answer.headers.get('x-amzn-RequestId')).toMatch(/^[0-9a-f-]{36}$/);
    const body = (await answer.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(c.reason === undefined ? ['error', 'error_description'] : ['error', 'error_description', 'reason']);
    expect(body).toMatchObject({ error: c.error, ...(c.reason === undefined ? {} : { reason: c.reason }) });
    expect(body).not.toHaveProperty('message');
  });

  test('a body that is not JSON is an InvalidRequestException', async () => {
    const answer = await fetch(`${oidc.url}/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"grantType":' });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('x-amzn-ErrorType')).toBe(`InvalidRequestException${ERROR_TYPE_SUFFIX}`);
  });

  test('checks run in the service’s order', async () => {
    // An unsupported grant type is reported before the client is even looked up.
    const unsupported = await postJson(codeOnly, '/token', { clientId: 'nobody', clientSecret: 'x', grantType: DEVICE_CODE, deviceCode: 'x' });
    expect(unsupported.headers.get('x-amzn-ErrorType')).toMatch(/^UnsupportedGrantTypeException:/);
    // A bad secret is reported before the KMS key, the KMS key before the client's grant types.
    oidc.setKmsState('disabled');
    const wrongSecret = await postJson(oidc, '/token', { ...refreshWith(), clientSecret: 'wrong' });
    expect(wrongSecret.status).toBe(401);
    const deviceOnly = register(oidc, { grantTypes: [DEVICE_CODE], redirectUris: [] });
    const kms = await postJson(oidc, '/token', { ...credentials(deviceOnly), grantType: REFRESH_TOKEN, refreshToken: 'x' });
    expect(kms.headers.get('x-amzn-ErrorType')).toMatch(/^InvalidRequestException:/);
  });

  test('a code is consumed by its first use even when the verifier is wrong', async () => {
    const input = freshCode();
    expect(await failure(sdk.send(new CreateTokenCommand({ ...input, codeVerifier: pkcePair().verifier })))).toBeInstanceOf(InvalidGrantException);
    expect(await failure(sdk.send(new CreateTokenCommand(input)))).toBeInstanceOf(InvalidGrantException);
  });
});
