// How the construct's roles reach a secret: on that one secret's ARN (never `*`), and on its
// customer-managed key only when Secrets Manager uses the key on the caller's behalf.

import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';

/**
 * The secret's ARN for IAM: the complete one, or, for a secret imported by name (its suffix is not
 * known here), the partial one plus exactly six suffix characters (`-??????`), never `*`.
 */
export function secretResourceArn(secret: ISecret): string {
  return secret.secretFullArn ?? `${secret.secretArn}-??????`;
}

/** The secret's key, only when Secrets Manager uses it on the caller's behalf, in the secret's region. */
export function keyViaSecretsManager(actions: string[], key: IKey, secret: ISecret): PolicyStatement {
  return new PolicyStatement({
    actions,
    resources: [key.keyArn],
    conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${secret.env.region}.amazonaws.com` } },
  });
}

/**
 * GetSecretValue on one secret (every version, AWSPREVIOUS included), written out: `secret.grantRead`
 * would add DescribeSecret, which the broker does not need; and Decrypt through Secrets Manager when
 * the secret has a customer-managed key.
 */
export function grantSecretValue(fn: IFunction, secret: ISecret, key: IKey | undefined): void {
  fn.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secretResourceArn(secret)] }));
  if (key !== undefined) fn.addToRolePolicy(keyViaSecretsManager(['kms:Decrypt'], key, secret));
}
