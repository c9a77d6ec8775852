// Lambda entry point for Secrets Manager's rotation of the cookie keys secret (issue 11): events
// `{ SecretId, ClientRequestToken, Step }`, one per rotation step. The steps are in cookie-key-rotation.ts.

import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { rotateCookieKey, RotationError } from './cookie-key-rotation.js';
import type { RotationEvent } from './rotation.js';

const logger = new Logger({ serviceName: 'token-broker-cookie-key-rotation' });
const secrets = new SecretsManagerClient({ requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 } });

export const handler = async (event: RotationEvent): Promise<void> => {
  logger.appendKeys({ step: event.Step, secretId: event.SecretId });
  try {
    await rotateCookieKey(event, { secrets, log: (message, fields = {}) => logger.info(message, fields) });
  } catch (error) {
    // Of an SDK error only the name and status are logged, as its message could quote a request.
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
