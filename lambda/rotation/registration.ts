// Secrets Manager rotation of the client registration, in the service's four steps. A rotation
// registers the same client again (RegisterClient with the request stored in the secret), stages
// the new registration as AWSPENDING, proves SSO OIDC accepts it, and makes it AWSCURRENT.
// The old registration stays valid until its own expiry, so brokers still holding it in their cache
// keep working; they move to the new one within their max age, or at once on InvalidClientException.

import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { CreateTokenCommand, type SSOOIDCClient } from '@aws-sdk/client-sso-oidc';
import { randomBytes } from 'node:crypto';
import { describeRegistration, registerClient, type StoredRegistration } from '../core/client-registration.js';
import { GRANT_TYPES } from '../core/config.js';
import { CURRENT, PENDING, pendingVersions, promotePending, RotationError, type RotationEvent } from './steps.js';

export interface RotationDeps {
  readonly secrets: SecretsManagerClient;
  readonly oidc: SSOOIDCClient;
  /** Receives one line per step; lines never hold the secret. */
  readonly log: (message: string, fields?: Record<string, unknown>) => void;
}

export async function rotate(event: RotationEvent, deps: RotationDeps): Promise<void> {
  const { SecretId: secretId, ClientRequestToken: token, Step: step } = event;
  const versions = await pendingVersions(event, deps.secrets, deps.log);
  if (versions === undefined) return;

  switch (step) {
    case 'createSecret':
      return createSecret(secretId, token, deps);
    case 'setSecret':
      // Nothing to set: SSO OIDC made the registration live when it answered RegisterClient.
      deps.log('rotation step done', { step });
      return;
    case 'testSecret':
      return testSecret(secretId, token, deps);
    case 'finishSecret':
      return finishSecret(secretId, token, versions, deps);
    default:
      throw new RotationError(`unknown rotation step ${String(step)}`);
  }
}

async function read(secretId: string, deps: RotationDeps, version: { VersionId?: string; VersionStage: string }) {
  const value = await deps.secrets.send(new GetSecretValueCommand({ SecretId: secretId, ...version }));
  try {
    return JSON.parse(value.SecretString ?? '') as StoredRegistration;
  } catch {
    throw new RotationError(`the ${version.VersionStage} version of the secret is not JSON`);
  }
}

async function createSecret(secretId: string, token: string, deps: RotationDeps): Promise<void> {
  try {
    await deps.secrets.send(new GetSecretValueCommand({ SecretId: secretId, VersionId: token, VersionStage: PENDING }));
    deps.log('rotation step skipped: pending version exists', { step: 'createSecret' });
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  const current = await read(secretId, deps, { VersionStage: CURRENT });
  if (!current.registrationRequest) {
    throw new RotationError(
      'the current registration has no registrationRequest: register once with `npm run register-client`',
    );
  }
  const renewed = await registerClient(deps.oidc, current.registrationRequest);
  await deps.secrets.send(
    new PutSecretValueCommand({
      SecretId: secretId,
      ClientRequestToken: token,
      SecretString: JSON.stringify(renewed),
      VersionStages: [PENDING],
    }),
  );
  deps.log('rotation step done: registered a new client', {
    step: 'createSecret',
    registration: describeRegistration(renewed),
  });
}

/**
 * Proves SSO OIDC authenticates the pending client without signing anyone in: a CreateToken with a
 * made-up code must fail on the code (InvalidGrantException), not on the client (InvalidClientException).
 *
 * Secrets Manager also runs this step alone when a rotation schedule is created without an immediate
 * rotation, on an AWSPENDING version of its own (with no value, or a copy of the current one, which
 * on a new secret is `{}`). A version createSecret did not write (no clientId or registrationRequest)
 * has nothing to test: passing it lets the first deployment create its schedule.
 */
async function testSecret(secretId: string, token: string, deps: RotationDeps): Promise<void> {
  let pending: StoredRegistration;
  try {
    pending = await read(secretId, deps, { VersionId: token, VersionStage: PENDING });
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    deps.log('rotation step skipped: configuration test, the pending version has no value', { step: 'testSecret' });
    return;
  }
  const request = pending.registrationRequest;
  if (typeof pending.clientId !== 'string' || typeof pending.clientSecret !== 'string' || request === undefined) {
    deps.log('rotation step skipped: configuration test, the pending version holds no registration', { step: 'testSecret' });
    return;
  }
  try {
    await deps.oidc.send(
      new CreateTokenCommand({
        clientId: pending.clientId,
        clientSecret: pending.clientSecret,
        grantType: GRANT_TYPES.authorizationCode,
        code: `rotation-test-${randomBytes(16).toString('hex')}`,
        codeVerifier: randomBytes(32).toString('base64url'),
        redirectUri: request.redirectUris[0],
      }),
    );
  } catch (error) {
    if ((error as { name?: string }).name === 'InvalidClientException') {
      throw new RotationError('SSO OIDC rejects the pending client (InvalidClientException)');
    }
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === undefined || status >= 500) throw error;
    // Any other 4xx was about the made-up grant: the client itself was accepted.
    deps.log('rotation step done: SSO OIDC accepts the pending client', {
      step: 'testSecret',
      answer: (error as { name?: string }).name,
    });
    return;
  }
  throw new RotationError('SSO OIDC issued tokens for a made-up code');
}

async function finishSecret(
  secretId: string,
  token: string,
  versions: Record<string, string[]>,
  deps: RotationDeps,
): Promise<void> {
  // Only a registration the broker can use becomes current (testSecret lets through versions it has
  // nothing to test, such as Secrets Manager's own configuration test).
  const pending = await read(secretId, deps, { VersionId: token, VersionStage: PENDING });
  if (typeof pending.clientId !== 'string' || typeof pending.clientSecret !== 'string') {
    throw new RotationError('the pending version holds no registration: not promoting it');
  }
  await promotePending(deps.secrets, secretId, token, versions);
  deps.log('rotation step done: new registration is current', { step: 'finishSecret' });
}
