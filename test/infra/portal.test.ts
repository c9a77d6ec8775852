// The TokenBroker construct with the AWS access portal (`portal` prop, `portalRoles` context key): its
// four routes on the HTTP API with cdk-nag's reasons, TOKEN_BROKER_PORTAL and the role policy passed
// to the function, and a portal without a role policy (or with a rule the function would refuse)
// refused at synthesis, named by prop or context key. No IAM permission is added: the portal's
// operations are unsigned (the caller's access token is the credential).

import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ENV } from '../../lambda/core/config.js';
import { PORTAL_BASE_PATH, ROUTES } from '../../lambda/edge/routes.js';
import { TokenBroker, type TokenBrokerProps } from '../../infra/token-broker.js';
import { CDK_JSON_CONTEXT, synthesize } from './synth.js';

const PORTAL_ROUTES = [ROUTES.portalAccounts, ROUTES.portalRoles, ROUTES.portalCredentials, ROUTES.portalLogout];

function brokerIn(props: TokenBrokerProps) {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'UserStack', { env: { account: '111122223333', region: 'eu-west-1' } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const broker = new TokenBroker(stack, 'Broker', { allowedOrigins: ['https://app.example.com'], ...props });
  return { app, broker, template: () => Template.fromStack(stack) };
}

const routeKeysOf = (template: Template): string[] =>
  Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((route) => route.Properties.RouteKey as string);

const policyActions = (template: Template): string[] =>
  Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
    (policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((statement) => statement.Action),
  );

it('is off by default: no portal route, no portal variable', () => {
  const { template } = brokerIn({});
  expect(routeKeysOf(template())).not.toEqual(expect.arrayContaining([ROUTES.portalAccounts]));
  const variables = Object.values(template().findResources('AWS::Lambda::Function')).map((fn) => fn.Properties.Environment?.Variables ?? {});
  expect(variables.some((vars) => ENV.portal in vars || ENV.portalRoles in vars)).toBe(false);
});

it('portal: the four routes, TOKEN_BROKER_PORTAL=on and the role policy, and no IAM permission for the portal', () => {
  const { broker, template } = brokerIn({ portal: { roles: [' */ReadOnlyAccess', '111122223333/PowerUserAccess'] } });
  expect(routeKeysOf(template())).toEqual(expect.arrayContaining(PORTAL_ROUTES));
  expect(broker.routeKeys).toEqual(expect.arrayContaining(PORTAL_ROUTES));
  template().hasResourceProperties('AWS::Lambda::Function', {
    Environment: { Variables: Match.objectLike({ [ENV.portal]: 'on', [ENV.portalRoles]: '*/ReadOnlyAccess,111122223333/PowerUserAccess' }) },
  });
  expect(policyActions(template()).filter((action) => action.startsWith('sso:'))).toEqual([]);
});

it('with the front door, the revocation endpoint is a route too', () => {
  const { template } = brokerIn({ frontDoor: true });
  expect(routeKeysOf(template())).toContain(ROUTES.oauthRevoke);
});

it('refuses a portal without a role policy at synthesis: there is no default that allows every role', () => {
  expect(() => brokerIn({ portal: { roles: [] } })).toThrow(/portal\.roles must list at least one role .*no default that allows every role/);
  expect(() => brokerIn({ portal: {} as never })).toThrow(/portal\.roles must list at least one role/);
});

it('refuses every rule the function would refuse, named by prop', () => {
  let message = '';
  try {
    brokerIn({ portal: { roles: ['ReadOnlyAccess', '*/*', '123/ReadOnlyAccess'] } });
  } catch (error) {
    message = String(error);
  }
  expect(message.match(/portal\.roles: /g)).toHaveLength(3);
  expect(message).toContain('"*/*": name the role');
});

it('passes cdk-nag: every portal route, and the revocation endpoint, has its written reason for having no authorizer', () => {
  const { app } = brokerIn({ frontDoor: true, portal: { roles: ['*/ReadOnlyAccess'] } });
  expect(() => app.synth()).not.toThrow();
});

describe('the deployable stack, from CDK context', () => {
  it('portalRoles turns the portal on, with its policy and the endpoint as an output', () => {
    const synthesis = synthesize({ portalRoles: '*/ReadOnlyAccess,111122223333/PowerUserAccess', allowedOrigins: 'https://app.example.com' });
    try {
      expect(routeKeysOf(synthesis.template)).toEqual(expect.arrayContaining(PORTAL_ROUTES));
      synthesis.template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ [ENV.portalRoles]: '*/ReadOnlyAccess,111122223333/PowerUserAccess' }) },
      });
      expect(JSON.stringify(synthesis.json.Outputs!.PortalEndpoint!.Value)).toContain(PORTAL_BASE_PATH.slice(1));
    } finally {
      synthesis.dispose();
    }
  });

  it('a bad rule in portalRoles is refused by key, and an empty one by the construct', () => {
    expect(() => synthesize({ portalRoles: '*/*' })).toThrow(/portalRoles: "\*\/\*": name the role/);
    expect(() => synthesize({ portalRoles: ' , ' })).toThrow(/portal\.roles must list at least one role/);
  });
});
