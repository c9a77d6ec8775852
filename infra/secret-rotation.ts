// One Secrets Manager rotation of one secret, built the same way for the client registration and
// for the cookie keys: every `interval`, Secrets Manager invokes the rotation function for each of
// the four steps (createSecret, setSecret, testSecret, finishSecret).
//
// Its role is written out like the broker's: logs on its own log group, the four rotation actions on
// the one secret, and the key (Decrypt to read, GenerateDataKey to write a version) only through
// Secrets Manager. The functions call nothing else that is signed (RegisterClient and CreateToken are
// unsigned), so no other permission.
//
// The RotationSchedule construct grants more than that on its own, and both are undone here:
//  - it adds secretsmanager:GetRandomPassword on `*` (neither function asks for a password) and the
//    four actions again to the function's role: the function gets an immutable view of its role,
//    which drops them, so the statements written here are the whole policy;
//  - with a key it grants kms:Encrypt, ReEncrypt* and GenerateDataKey* besides Decrypt, and for a key
//    created in the same stack writes that into the key policy: the schedule is given the secret
//    without its key (the same ARN), so it makes no KMS grant at all.
// What it adds and is kept: the permission for Secrets Manager to invoke the function, narrowed here
// to the secret's account and the secret itself, and the schedule's dependency on it.
//
// The parts are added to the given scope under `<name>Logs`, `<name>Role`, `<name>Function` and
// `<name>Schedule`, not under a construct of their own: a scope in between would change every
// CloudFormation logical id of a deployed stack.

import { Duration } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { CfnPermission } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { RotationSchedule, Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { codeOf, FUNCTION_DEFAULTS, type PrebuiltFunction } from './bundling.js';
import { keyViaSecretsManager, secretResourceArn } from './secret-access.js';

const SECRETS_MANAGER_PRINCIPAL = 'secretsmanager.amazonaws.com';

/**
 * One rotation step is at most DescribeSecret, two GetSecretValue, RegisterClient and PutSecretValue
 * (the registration's createSecret), or DescribeSecret, GetSecretValue and one CreateToken (its
 * testSecret): about a second plus a cold start. A minute leaves room for the Secrets Manager
 * client's own retries with backoff (throttling) and for a slow SSO OIDC answer; a step that still
 * does not finish fails with a timeout, which the rotation's errors alarm reports.
 */
export const ROTATION_TIMEOUT = Duration.minutes(1);
/** A few small API calls every few weeks: small, but not so small that the cold start drags. */
export const ROTATION_MEMORY_MB = 256;

export interface SecretRotationProps {
  /** The construct ids' prefix (`<name>Logs`, `<name>Role`, `<name>Function`, `<name>Schedule`). */
  readonly name: string;
  /** The id of the key-less stand-in of the secret handed to the schedule. */
  readonly keylessSecretId: string;
  readonly secret: ISecret;
  /** The secret's customer-managed key, if any. */
  readonly encryptionKey: IKey | undefined;
  readonly code: PrebuiltFunction;
  readonly functionDescription: string;
  readonly roleDescription: string;
  readonly environment?: Readonly<Record<string, string>>;
  readonly interval: Duration;
  readonly logRetention: RetentionDays;
}

export interface SecretRotation {
  readonly function: NodejsFunction;
  readonly logGroup: LogGroup;
  readonly schedule: RotationSchedule;
}

/** Adds the rotation of `props.secret` to `scope` (see the top of this file). */
export function addSecretRotation(scope: Construct, props: SecretRotationProps): SecretRotation {
  const { name, secret, encryptionKey } = props;
  const logGroup = new LogGroup(scope, `${name}Logs`, { retention: props.logRetention });
  const role = new Role(scope, `${name}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com'), description: props.roleDescription });
  role.addToPrincipalPolicy(new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: [
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'secretsmanager:PutSecretValue',
        'secretsmanager:UpdateSecretVersionStage',
      ],
      resources: [secretResourceArn(secret)],
    }),
  );
  if (encryptionKey !== undefined) role.addToPrincipalPolicy(keyViaSecretsManager(['kms:Decrypt', 'kms:GenerateDataKey'], encryptionKey, secret));

  const fn = new NodejsFunction(scope, `${name}Function`, {
    ...FUNCTION_DEFAULTS,
    description: props.functionDescription,
    ...codeOf(props.code),
    memorySize: ROTATION_MEMORY_MB,
    timeout: ROTATION_TIMEOUT,
    // An immutable view: the statements above are the whole policy.
    role: role.withoutPolicyUpdates(),
    logGroup,
    ...(props.environment === undefined ? {} : { environment: { ...props.environment } }),
  });

  // In this scope, whatever stack the secret comes from. Not at once: a new registration secret
  // holds `{}` until the operator runs `npm run register-client`, and the seeded cookie key is random
  // already, so the first rotation waits for the schedule.
  const secretWithoutKey = Secret.fromSecretAttributes(
    scope,
    props.keylessSecretId,
    secret.secretFullArn === undefined ? { secretPartialArn: secret.secretArn } : { secretCompleteArn: secret.secretFullArn },
  );
  const schedule = new RotationSchedule(scope, `${name}Schedule`, {
    secret: secretWithoutKey,
    rotationLambda: fn,
    automaticallyAfter: props.interval,
    rotateImmediatelyOnUpdate: false,
  });
  // What the schedule does to the secret it is given, on the real one: a resource policy that denies
  // secretsmanager:DeleteSecret to the whole account while rotation is configured (on a secret
  // created in this stack; an imported secret's resource policy is left alone).
  secret.denyAccountRootDelete();

  // AWS recommends aws:SourceAccount and aws:SourceArn on a rotation function's resource policy
  // (confused deputy): only Secrets Manager acting for this one secret, in its account, may invoke it.
  const invokePermissions = fn.node.children.filter(
    (child): child is CfnPermission => child instanceof CfnPermission && child.principal === SECRETS_MANAGER_PRINCIPAL,
  );
  if (invokePermissions.length !== 1) {
    throw new Error(`TokenBroker: expected the rotation schedule to add one invoke permission to ${name}Function, found ${invokePermissions.length}`);
  }
  invokePermissions[0]!.sourceAccount = secret.env.account;
  // Lambda matches SourceArn with ArnLike: a secret known by its partial ARN ends in `-??????`.
  invokePermissions[0]!.sourceArn = secretResourceArn(secret);

  return { function: fn, logGroup, schedule };
}
