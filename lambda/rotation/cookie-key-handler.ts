// Lambda entry point for Secrets Manager's rotation of the cookie keys secret: events
// `{ SecretId, ClientRequestToken, Step }`, one per rotation step. The steps are in cookie-key-rotation.ts.

import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { rotateCookieKey } from './cookie-keys.js';
import { rotationHandler } from './steps.js';

const logger = new Logger({ serviceName: 'token-broker-cookie-key-rotation' });
// Standard retry, set rather than read from AWS_RETRY_MODE: adaptive retry is not bundled (lambda/bundle/retry.ts).
const secrets = new SecretsManagerClient({ retryMode: 'standard', requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 } });

export const handler = rotationHandler(logger, (event) =>
  rotateCookieKey(event, { secrets, log: (message, fields = {}) => logger.info(message, fields) }),
);
