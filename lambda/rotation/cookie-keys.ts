// Secrets Manager rotation of the cookie keys secret (token-handler sessions), in the
// service's four steps: createSecret stages a new random key as AWSPENDING, testSecret checks it is
// one the broker can use, finishSecret makes it AWSCURRENT; the key it replaces becomes AWSPREVIOUS,
// which brokers still open cookies with (cookie-keys.ts). The rotation after that retires it: its
// sessions end cleanly with 401 session_expired. The function needs no network access but Secrets
// Manager's, and never logs key material.

import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { generateCookieKey, parseCookieKey } from '../core/cookie-keys.js';
// Not from rotation.ts: the registration's rotation module would bring the SSO OIDC client into this bundle.
import { CURRENT, PENDING, pendingVersions, promotePending, RotationError, type RotationEvent } from './steps.js';

export interface KeyRotationDeps {
  readonly secrets: SecretsManagerClient;
  /** Receives one line per step; lines never hold key material. */
  readonly log: (message: string, fields?: Record<string, unknown>) => void;
}

export async function rotateCookieKey(event: RotationEvent, deps: KeyRotationDeps): Promise<void> {
  const { SecretId: secretId, ClientRequestToken: token, Step: step } = event;
  const versions = await pendingVersions(event, deps.secrets, deps.log);
  if (versions === undefined) return;

  switch (step) {
    case 'createSecret': {
      if (await pendingValue(secretId, token, deps)) {
        deps.log('rotation step skipped: pending version exists', { step });
        return;
      }
      const key = generateCookieKey();
      await deps.secrets.send(
        new PutSecretValueCommand({ SecretId: secretId, ClientRequestToken: token, SecretString: JSON.stringify(key), VersionStages: [PENDING] }),
      );
      deps.log('rotation step done: generated a new cookie key', { step, keyId: key.keyId });
      return;
    }
    case 'setSecret':
      // Nothing outside the secret holds the key.
      deps.log('rotation step done', { step });
      return;
    case 'testSecret': {
      const value = await pendingValue(secretId, token, deps);
      // Secrets Manager's configuration test of a new schedule stages a version of its own with no
      // value (or a copy of the current one): nothing to test then.
      if (value === undefined) {
        deps.log('rotation step skipped: configuration test, the pending version has no value', { step });
        return;
      }
      const pending = parsed(value);
      const current = parsed(await currentValue(secretId, deps));
      if (pending !== undefined && current !== undefined && pending.keyId === current.keyId) {
        deps.log('rotation step skipped: configuration test, the pending version is the current key', { step });
        return;
      }
      if (pending === undefined) throw new RotationError('the pending version is not a usable cookie key');
      deps.log('rotation step done: the pending key is usable', { step, keyId: pending.keyId });
      return;
    }
    case 'finishSecret': {
      const pending = parsed(await pendingValue(secretId, token, deps));
      if (pending === undefined) throw new RotationError('the pending version is not a usable cookie key: not promoting it');
      await promotePending(deps.secrets, secretId, token, versions);
      deps.log('rotation step done: the new cookie key is current', { step, keyId: pending.keyId });
      return;
    }
    default:
      throw new RotationError(`unknown rotation step ${String(step)}`);
  }
}

function parsed(value: string | undefined): { keyId: string } | undefined {
  try {
    return value === undefined ? undefined : { keyId: parseCookieKey(value).keyId };
  } catch {
    return undefined;
  }
}

async function pendingValue(secretId: string, token: string, deps: KeyRotationDeps): Promise<string | undefined> {
  try {
    const value = await deps.secrets.send(new GetSecretValueCommand({ SecretId: secretId, VersionId: token, VersionStage: PENDING }));
    return value.SecretString;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

async function currentValue(secretId: string, deps: KeyRotationDeps): Promise<string | undefined> {
  const value = await deps.secrets.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: CURRENT }));
  return value.SecretString;
}
