// An unmodified AWS SDK for JavaScript v3 SSO OIDC client, its endpoint set to the broker, sees the
// broker as it would see SSO OIDC: successes, and the modeled exception classes with their members.

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
  SSOOIDCClient,
  SSOOIDCServiceException,
  StartDeviceAuthorizationCommand,
  UnsupportedGrantTypeException,
} from '@aws-sdk/client-sso-oidc';
import type { SsoOidcEmulator } from '../../local/emulators/sso-oidc.js';
import type { BrokerProcess } from '../helpers/broker-process.js';
import { DEVICE_GRANT as DEVICE, startEnvironment, type Environment } from '../helpers/environment.js';
import { pkcePair } from '../helpers/pkce.js';

const REDIRECT = 'http://127.0.0.1:8400/callback';

let clock = Date.now();
let environment: Environment;
let oidc: SsoOidcEmulator;
let broker: BrokerProcess;
let sdk: SSOOIDCClient;
let clientId: string;

beforeAll(async () => {
  environment = await startEnvironment({
    name: 'sdk-compat',
    redirectUri: REDIRECT,
    oidc: { now: () => clock },
    scopes: ['openid'],
  });
  ({ oidc, broker } = environment);
  clientId = environment.registration.clientId;
  // No credentials: CreateToken and StartDeviceAuthorization are unsigned operations.
  sdk = new SSOOIDCClient({ region: 'us-east-1', endpoint: broker.url });
});

afterAll(async () => {
  sdk?.destroy();
  await environment?.stop();
});

// The SDK's model requires clientSecret; the broker ignores whatever is sent.
const IGNORED_SECRET = 'the-sdk-must-send-something';

function codeInput() {
  const { verifier, challenge } = pkcePair();
  const code = oidc.authorize({ clientId, redirectUri: REDIRECT, codeChallenge: challenge });
  return { clientId, clientSecret: IGNORED_SECRET, grantType: 'authorization_code', code, codeVerifier: verifier, redirectUri: REDIRECT };
}

async function rejectionOf(promise: Promise<unknown>): Promise<SSOOIDCServiceException & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as SSOOIDCServiceException & Record<string, unknown>;
  }
  throw new Error('expected the call to fail');
}

it('CreateToken succeeds with the output members typed as the SDK models them', async () => {
  const output = await sdk.send(new CreateTokenCommand(codeInput()));
  expect(output.$metadata.httpStatusCode).toBe(200);
  expect(output.tokenType).toBe('Bearer');
  expect(typeof output.accessToken).toBe('string');
  expect(typeof output.expiresIn).toBe('number');
  expect(typeof output.refreshToken).toBe('string');

  const refreshed = await sdk.send(new CreateTokenCommand({ clientId, clientSecret: IGNORED_SECRET, grantType: 'refresh_token', refreshToken: output.refreshToken! }));
  expect(refreshed.accessToken).not.toBe(output.accessToken);
});

it('a reused code raises InvalidGrantException with error, description and status', async () => {
  const input = codeInput();
  await sdk.send(new CreateTokenCommand(input));
  const error = await rejectionOf(sdk.send(new CreateTokenCommand(input)));
  expect(error).toBeInstanceOf(InvalidGrantException);
  expect(error.name).toBe('InvalidGrantException');
  expect(error.error).toBe('invalid_grant');
  expect(typeof error.error_description).toBe('string');
  expect(error.$metadata.httpStatusCode).toBe(400);
});

it('the device flow raises AuthorizationPending, SlowDown, then succeeds; expiry raises ExpiredToken', async () => {
  const device = await sdk.send(new StartDeviceAuthorizationCommand({ clientId, clientSecret: IGNORED_SECRET, startUrl: 'https://d-1.awsapps.com/start' }));
  const poll = () => sdk.send(new CreateTokenCommand({ clientId, clientSecret: IGNORED_SECRET, grantType: DEVICE, deviceCode: device.deviceCode! }));
  expect(await rejectionOf(poll())).toBeInstanceOf(AuthorizationPendingException);
  const slow = await rejectionOf(poll());
  expect(slow).toBeInstanceOf(SlowDownException);
  expect(slow.error).toBe('slow_down');
  oidc.approveDevice(device.userCode!);
  clock += (device.interval! + 1) * 1000;
  expect((await poll()).tokenType).toBe('Bearer');

  const late = await sdk.send(new StartDeviceAuthorizationCommand({ clientId, clientSecret: IGNORED_SECRET, startUrl: 'https://d-1.awsapps.com/start' }));
  clock += (late.expiresIn! + 1) * 1000;
  const expired = await rejectionOf(sdk.send(new CreateTokenCommand({ clientId, clientSecret: IGNORED_SECRET, grantType: DEVICE, deviceCode: late.deviceCode! })));
  expect(expired).toBeInstanceOf(ExpiredTokenException);
});

it('KMS errors arrive as AccessDeniedException and InvalidRequestException with their reason', async () => {
  oidc.setKmsState('access_denied');
  const denied = await rejectionOf(sdk.send(new CreateTokenCommand(codeInput())));
  oidc.setKmsState('disabled');
  const disabled = await rejectionOf(sdk.send(new CreateTokenCommand(codeInput())));
  oidc.setKmsState('ok');
  expect(denied).toBeInstanceOf(AccessDeniedException);
  expect(denied.reason).toBe('KMS_AccessDeniedException');
  expect(disabled).toBeInstanceOf(InvalidRequestException);
  expect(disabled.reason).toBe('KMS_DisabledException');
});

it('scope, client and grant errors arrive as their classes, broker-raised or passed through', async () => {
  const scope = await rejectionOf(sdk.send(new CreateTokenCommand({ ...codeInput(), scope: ['not-registered'] })));
  expect(scope).toBeInstanceOf(InvalidScopeException);
  const client = await rejectionOf(sdk.send(new CreateTokenCommand({ ...codeInput(), clientId: 'someone-else' })));
  expect(client).toBeInstanceOf(InvalidClientException);
  expect(client.$metadata.httpStatusCode).toBe(401);
  const grant = await rejectionOf(sdk.send(new CreateTokenCommand({ clientId, clientSecret: IGNORED_SECRET, grantType: 'password' })));
  expect(grant).toBeInstanceOf(UnsupportedGrantTypeException);
  expect(grant.error).toBe('unsupported_grant_type');
});

it('the broker\'s own errors carry a message the SDK shows (error.message), SSO OIDC\'s own arrive as they came', async () => {
  const client = await rejectionOf(sdk.send(new CreateTokenCommand({ ...codeInput(), clientId: 'someone-else' })));
  expect(client).toBeInstanceOf(InvalidClientException);
  expect(client.message).toBe('The clientId does not match the client registered with this broker.');
  expect(client.message).toBe(client.error_description);
  const grant = await rejectionOf(sdk.send(new CreateTokenCommand({ clientId, clientSecret: IGNORED_SECRET, grantType: 'password' })));
  expect(grant.message).toBe('The grant type "password" is not enabled on this broker.');
  // SSO OIDC's answer has no message member, and none is added: the SDK's own placeholder stays.
  const input = codeInput();
  await sdk.send(new CreateTokenCommand(input));
  const reused = await rejectionOf(sdk.send(new CreateTokenCommand(input)));
  expect(reused).toBeInstanceOf(InvalidGrantException);
  expect(reused.message).toBe('UnknownError');
});

it('a server fault arrives as InternalServerException (the SDK client, not the broker, decides to retry)', async () => {
  const noRetry = new SSOOIDCClient({ region: 'us-east-1', endpoint: broker.url, maxAttempts: 1 });
  oidc.injectFault({ kind: 'error', type: 'InternalServerException', status: 500, error: 'server_error', description: 'boom' });
  const error = await rejectionOf(noRetry.send(new CreateTokenCommand(codeInput())));
  noRetry.destroy();
  expect(error).toBeInstanceOf(InternalServerException);
  expect(error.$metadata.httpStatusCode).toBe(500);
  expect(error.error_description).toBe('boom');
});
