// What the template tests (template-defaults, template-configured) look up in a synthesized
// template: the broker function's properties, one role's statements, who may invoke a function, and
// the actions a rotation function needs on its secret.

import { expect } from '@jest/globals';
import { resourcesOf, type Synthesis, type TemplateJson } from '../synth.js';

/** The broker function's properties. */
export function functionOf(s: Synthesis): Record<string, any> {
  return s.json.Resources[s.logicalId(s.stack.broker.function)]!.Properties!;
}

/** The statements of the one policy attached to a role (fails when there are none or several). */
export function statementsOf(json: TemplateJson, roleId: string): Record<string, any>[] {
  const policies = Object.values(resourcesOf(json, 'AWS::IAM::Policy')).filter(
    (policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]),
  );
  expect(policies).toHaveLength(1);
  return policies[0]!.Properties.PolicyDocument.Statement;
}

/** The permissions that let someone invoke a function, by logical id. */
export function permissionsFor(json: TemplateJson, functionId: string): Record<string, Record<string, any>> {
  return Object.fromEntries(
    Object.entries(resourcesOf(json, 'AWS::Lambda::Permission')).filter(
      ([, permission]) => JSON.stringify(permission.Properties.FunctionName) === JSON.stringify({ 'Fn::GetAtt': [functionId, 'Arn'] }),
    ),
  );
}

export const ROTATION_ACTIONS = [
  'secretsmanager:DescribeSecret',
  'secretsmanager:GetSecretValue',
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecretVersionStage',
];
