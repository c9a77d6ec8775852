// The TokenBroker construct with the standard OAuth 2.0 front door: its routes on the HTTP API
// (metadata only as GET, each route by its method), TOKEN_BROKER_ISSUER set to the API's own URL or
// the custom domain, TOKEN_BROKER_START_URL and the public client id passed on, cdk-nag satisfied,
// and the props the core would refuse refused at synthesis.

import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ENV, GRANT_TYPES } from '../../lambda/core/config.js';
import { ROUTES, routeKeysFor } from '../../lambda/edge/routes.js';
import { TokenBroker, type TokenBrokerProps } from '../../infra/token-broker.js';
import { CDK_JSON_CONTEXT, synthesize } from './synth.js';

function brokerIn(props: TokenBrokerProps | ((stack: Stack) => TokenBrokerProps)) {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'UserStack', { env: { account: '111122223333', region: 'eu-west-1' } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  // An origin, so that the construct's empty-origins warning does not fill the output.
  const given = typeof props === 'function' ? props(stack) : props;
  const broker = new TokenBroker(stack, 'Broker', { allowedOrigins: ['https://app.example.com'], ...given });
  return { app, stack, broker, template: () => Template.fromStack(stack) };
}

const FRONT_DOOR_ROUTES = [
  'GET /.well-known/oauth-authorization-server',
  'GET /.well-known/openid-configuration',
  'GET /oauth2/authorize',
  'GET /oauth2/callback',
  'POST /oauth2/token',
];

const routeKeysOf = (template: Template): string[] =>
  Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((route) => route.Properties.RouteKey as string);

it('is off by default: no front-door route, no issuer', () => {
  const { broker, template } = brokerIn({});
  expect(routeKeysOf(template())).not.toEqual(expect.arrayContaining([ROUTES.oauthToken]));
  expect(broker.issuer).toBeUndefined();
  const variables = Object.values(template().findResources('AWS::Lambda::Function')).map((fn) => fn.Properties.Environment?.Variables ?? {});
  expect(variables.some((vars) => ENV.issuer in vars)).toBe(false);
});

it('exposes the front door routes, metadata only as GET, and sets the issuer to the API URL', () => {
  const { broker, template } = brokerIn({ frontDoor: true, redirectUris: ['https://app.example.com/callback'] });
  const keys = routeKeysOf(template());
  expect(keys.sort()).toEqual([...routeKeysFor([GRANT_TYPES.authorizationCode, GRANT_TYPES.refreshToken], { frontDoor: true })].sort());
  expect(keys).toEqual(expect.arrayContaining(FRONT_DOOR_ROUTES));
  expect(keys).not.toContain('POST /oauth2/device_authorization');
  expect(keys.filter((key) => key.includes('/.well-known/')).every((key) => key.startsWith('GET '))).toBe(true);
  // The $default stage's URL, without a trailing slash: https://<api id>.execute-api.<region>.<suffix>
  template().hasResourceProperties('AWS::Lambda::Function', {
    Environment: {
      Variables: Match.objectLike({
        [ENV.issuer]: {
          'Fn::Join': ['', ['https://', { Ref: Match.stringLikeRegexp('BrokerApi') }, '.execute-api.eu-west-1.', { Ref: 'AWS::URLSuffix' }]],
        },
      }),
    },
  });
  expect(broker.frontDoorRedirectUri).toMatch(/\/oauth2\/callback$/);
});

it('with a custom domain the issuer is that domain; start URL and public client id are passed on; the device route exists with the device grant', () => {
  const { broker, template } = brokerIn((stack) => ({
    grantTypes: Object.values(GRANT_TYPES),
    customDomain: { domainName: 'auth.example.com', certificate: Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:eu-west-1:111122223333:certificate/abc') },
    frontDoor: { startUrl: 'https://d-1234567890.awsapps.com/start', publicClientId: 'my-spa' },
  }));
  expect(broker.issuer).toBe('https://auth.example.com');
  expect(broker.frontDoorRedirectUri).toBe('https://auth.example.com/oauth2/callback');
  expect(routeKeysOf(template())).toContain('POST /oauth2/device_authorization');
  template().hasResourceProperties('AWS::Lambda::Function', {
    Environment: {
      Variables: Match.objectLike({
        [ENV.issuer]: 'https://auth.example.com',
        [ENV.startUrl]: 'https://d-1234567890.awsapps.com/start',
        [ENV.publicClientId]: 'my-spa',
      }),
    },
  });
});

it('an explicit issuer wins', () => {
  const { broker, template } = brokerIn({ frontDoor: { issuer: 'https://login.example.com/broker' } });
  expect(broker.issuer).toBe('https://login.example.com/broker');
  template().hasResourceProperties('AWS::Lambda::Function', {
    Environment: { Variables: Match.objectLike({ [ENV.issuer]: 'https://login.example.com/broker' }) },
  });
});

it('refuses at synthesis what the function would refuse at cold start, named by prop', () => {
  expect(() => brokerIn({ grantTypes: Object.values(GRANT_TYPES), frontDoor: true })).toThrow(/frontDoor\.startUrl is required/);
  expect(() => brokerIn({ frontDoor: { issuer: 'http://login.example.com' } })).toThrow(/frontDoor\.issuer/);
  expect(() => brokerIn({ frontDoor: { issuer: 'https://login.example.com/' } })).toThrow(/frontDoor\.issuer/);
});

it('passes cdk-nag: every front-door route has its written reason for having no authorizer', () => {
  const { app } = brokerIn({ grantTypes: Object.values(GRANT_TYPES), frontDoor: { startUrl: 'https://d-1234567890.awsapps.com/start' } });
  // Throws on any unacknowledged finding.
  expect(() => app.synth()).not.toThrow();
});

describe('the deployable stack, from CDK context', () => {
  it('frontDoor=true with startUrl and the device grant: the routes, the variables, and the two outputs an operator needs', () => {
    const synthesis = synthesize({
      frontDoor: 'true',
      startUrl: 'https://d-1234567890.awsapps.com/start',
      publicClientId: 'my-app',
      grantTypes: 'authorization_code,refresh_token,device_code',
      allowedOrigins: 'https://app.example.com',
    });
    try {
      const keys = routeKeysOf(synthesis.template);
      expect(keys).toEqual(expect.arrayContaining([...FRONT_DOOR_ROUTES, 'POST /oauth2/device_authorization']));
      synthesis.template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ [ENV.startUrl]: 'https://d-1234567890.awsapps.com/start', [ENV.publicClientId]: 'my-app', [ENV.issuer]: Match.anyValue() }) },
      });
      expect(Object.keys(synthesis.json.Outputs ?? {})).toEqual(expect.arrayContaining(['FrontDoorIssuer', 'FrontDoorRedirectUri']));
      expect(JSON.stringify(synthesis.json.Outputs!.FrontDoorRedirectUri!.Value)).toContain('/oauth2/callback');
    } finally {
      synthesis.dispose();
    }
  });

  it('without frontDoor=true there is no front door, and its settings alone are refused by name', () => {
    const plain = synthesize({ allowedOrigins: 'https://app.example.com' });
    try {
      expect(routeKeysOf(plain.template)).not.toContain('POST /oauth2/token');
      expect(Object.keys(plain.json.Outputs ?? {})).not.toContain('FrontDoorIssuer');
    } finally {
      plain.dispose();
    }
    expect(() => synthesize({ startUrl: 'https://d-1234567890.awsapps.com/start' })).toThrow(/startUrl is a setting of the front door/);
    expect(() => synthesize({ frontDoor: 'true', issuer: 'http://auth.example.com' })).toThrow(/issuer/);
  });
});
