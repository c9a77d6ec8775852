// What the two Secrets Manager rotations (rotation.ts, the client registration; cookie-key-rotation.ts,
// the cookie keys) share: the event, the opening check of every step, the promotion in finishSecret
// and the Lambda handler wrapper. Imports nothing but the Secrets Manager client: the cookie key
// rotation bundle must not carry the SSO OIDC client.

import { DescribeSecretCommand, UpdateSecretVersionStageCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export type RotationStep = 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';

export interface RotationEvent {
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  readonly Step: RotationStep;
}

export const CURRENT = 'AWSCURRENT';
export const PENDING = 'AWSPENDING';

export class RotationError extends Error {
  override readonly name = 'RotationError';
}

type Log = (message: string, fields?: Record<string, unknown>) => void;

/**
 * The check every step opens with: the event's token must be a version of the secret staged
 * AWSPENDING. Returns the secret's versions and their stages, or undefined when the version is
 * already AWSCURRENT (the step has nothing left to do).
 */
export async function pendingVersions(
  event: RotationEvent,
  secrets: SecretsManagerClient,
  log: Log,
): Promise<Record<string, string[]> | undefined> {
  const { SecretId: secretId, ClientRequestToken: token, Step: step } = event;
  const described = await secrets.send(new DescribeSecretCommand({ SecretId: secretId }));
  const versions = described.VersionIdsToStages ?? {};
  const stages = versions[token];
  if (stages === undefined) throw new RotationError(`version ${token} is not a version of the secret`);
  if (stages.includes(CURRENT)) {
    log('rotation step skipped: version is already current', { step });
    return undefined;
  }
  if (!stages.includes(PENDING)) throw new RotationError(`version ${token} is not staged ${PENDING}`);
  return versions;
}

/** finishSecret's move: AWSCURRENT to the pending version, taken from the version holding it. */
export async function promotePending(
  secrets: SecretsManagerClient,
  secretId: string,
  token: string,
  versions: Record<string, string[]>,
): Promise<void> {
  const current = Object.entries(versions).find(([, stages]) => stages.includes(CURRENT))?.[0];
  // Secrets Manager moves AWSPREVIOUS to the version AWSCURRENT leaves.
  await secrets.send(
    new UpdateSecretVersionStageCommand({
      SecretId: secretId,
      VersionStage: CURRENT,
      MoveToVersionId: token,
      ...(current ? { RemoveFromVersionId: current } : {}),
    }),
  );
}

/** The part of the Powertools logger the handler uses (structural, so as to import nothing here). */
export interface RotationLogger {
  appendKeys(keys: Record<string, unknown>): void;
  resetKeys(): void;
  error(message: string, fields: Record<string, unknown>): void;
}

/** A rotation function's Lambda handler: one event per step, the step and secret on every log line. */
export function rotationHandler(
  logger: RotationLogger,
  rotateFn: (event: RotationEvent) => Promise<void>,
): (event: RotationEvent) => Promise<void> {
  return async (event) => {
    logger.appendKeys({ step: event.Step, secretId: event.SecretId });
    try {
      await rotateFn(event);
    } catch (error) {
      // Our own RotationError says what is wrong; of an SDK error only the name and status are
      // logged, as its message could quote a request.
      const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      logger.error('rotation step failed', {
        errorName: name,
        reason: error instanceof RotationError ? error.message : [name, $metadata?.httpStatusCode].filter(Boolean).join(' '),
      });
      throw error;
    } finally {
      logger.resetKeys();
    }
  };
}
