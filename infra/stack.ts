// The deployable stack: one TokenBroker configured from CDK context (infra/context.ts), and the
// outputs an operator needs after `cdk deploy`. Env-agnostic (no account or region at synth time), so
// `cdk synth` works offline and without credentials; the region is the one deployed to.

import { Annotations, App, ArnFormat, CfnOutput, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { Key, type IKey } from 'aws-cdk-lib/aws-kms';
import { HostedZone } from 'aws-cdk-lib/aws-route53';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { PORTAL_BASE_PATH } from '../lambda/edge/routes.js';
import { readContext, unknownContextKeys, type ContextSettings } from './context.js';
import type { CookieSessionApi } from './props.js';
import { DEFAULT_THROTTLE, TokenBroker } from './token-broker.js';

export const STACK_NAME = 'TokenBroker';

/**
 * The app as `cdk synth` builds it: the stack from the app's context, and cdk-nag's AwsSolutions
 * checks, which fail the synthesis on any unacknowledged finding. Tests build the same app.
 */
export function buildApp(app: App = new App()): { app: App; stack: TokenBrokerStack } {
  const notes: string[] = [];
  const settings = readContext((key) => app.node.tryGetContext(key), notes);
  const stack = new TokenBrokerStack(app, STACK_NAME, { settings });
  notes.forEach((note, index) => Annotations.of(stack).addWarningV2(`token-broker:context-normalised:${index}`, note));
  for (const key of unknownContextKeys(app.node.getAllContext())) {
    Annotations.of(stack).addWarningV2(
      `token-broker:unknown-context:${key}`,
      `context key "${key}" is not used by the token broker (a typo?)`,
    );
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

export interface TokenBrokerStackProps extends StackProps {
  readonly settings?: ContextSettings;
}

export class TokenBrokerStack extends Stack {
  readonly broker: TokenBroker;

  constructor(scope: Construct, id: string, props: TokenBrokerStackProps = {}) {
    super(scope, id, { description: 'SSO OIDC (IAM Identity Center) token broker', ...props });
    const settings = props.settings ?? {};

    const encryptionKey = settings.kmsKeyArn === undefined ? undefined : Key.fromKeyArn(this, 'SecretKey', settings.kmsKeyArn);
    const hasThrottle = settings.throttleRateLimit !== undefined || settings.throttleBurstLimit !== undefined;
    this.broker = new TokenBroker(this, 'TokenBroker', {
      allowedOrigins: settings.allowedOrigins,
      redirectUris: settings.redirectUris,
      grantTypes: settings.grantTypes,
      oidcRegion: settings.oidcRegion,
      logRetention: settings.logRetention,
      secret: this.importSecret(settings, encryptionKey),
      encryptionKey,
      throttle: hasThrottle
        ? {
            rateLimit: settings.throttleRateLimit ?? DEFAULT_THROTTLE.rateLimit,
            burstLimit: settings.throttleBurstLimit ?? DEFAULT_THROTTLE.burstLimit,
          }
        : undefined,
      // Absent: the construct's default (on, every 60 days); 0: off.
      rotation: settings.rotationDays === undefined ? undefined : settings.rotationDays > 0,
      rotationSchedule: settings.rotationDays ? Duration.days(settings.rotationDays) : undefined,
      dashboard: settings.dashboard,
      frontDoor:
        settings.frontDoor === true
          ? {
              ...(settings.issuer === undefined ? {} : { issuer: settings.issuer }),
              ...(settings.startUrl === undefined ? {} : { startUrl: settings.startUrl }),
              ...(settings.publicClientId === undefined ? {} : { publicClientId: settings.publicClientId }),
            }
          : undefined,
      customDomain:
        settings.customDomain === undefined
          ? undefined
          : {
              domainName: settings.customDomain.domainName,
              ...(settings.customDomain.certificateArn === undefined
                ? {}
                : { certificate: Certificate.fromCertificateArn(this, 'Certificate', settings.customDomain.certificateArn) }),
              // A hosted zone to make the certificate and alias records in (for cookie sessions).
              ...(settings.customDomain.hostedZone === undefined
                ? {}
                : { hostedZone: HostedZone.fromHostedZoneAttributes(this, 'HostedZone', settings.customDomain.hostedZone) }),
            },
      portal: settings.portalRoles === undefined ? undefined : { roles: settings.portalRoles },
      cookieSessions:
        settings.cookieSessions === undefined
          ? undefined
          : {
              origins: settings.cookieSessions.origins,
              ...(settings.cookieSessions.sessionMaxAgeSeconds === undefined
                ? {}
                : { sessionMaxAge: Duration.seconds(settings.cookieSessions.sessionMaxAgeSeconds) }),
              ...(settings.cookieSessions.pageTokens === undefined ? {} : { pageTokens: settings.cookieSessions.pageTokens }),
              ...(settings.cookieSessions.apis === undefined ? {} : { apis: settings.cookieSessions.apis as Record<string, CookieSessionApi> }),
            },
    });

    new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of the token broker: POST <ApiUrl>token',
      value: this.broker.url,
    });
    new CfnOutput(this, 'SecretArn', {
      description: 'The secret holding the client registration: give it to `npm run register-client -- --secret-id`',
      value: this.broker.secretId,
    });
    if (this.broker.dashboard !== undefined) {
      new CfnOutput(this, 'DashboardUrl', {
        description: 'The CloudWatch dashboard of the token broker',
        value: `https://console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards/dashboard/${this.broker.dashboard.dashboard.dashboardName}`,
      });
    }
    if (this.broker.issuer !== undefined && this.broker.frontDoorRedirectUri !== undefined) {
      new CfnOutput(this, 'FrontDoorIssuer', {
        description: 'The standard OAuth 2.0 front door: configure client libraries with this issuer (authority)',
        value: this.broker.issuer,
      });
      new CfnOutput(this, 'FrontDoorRedirectUri', {
        description: 'Register this redirect URI with SSO OIDC (npm run register-client -- --redirect-uri)',
        value: this.broker.frontDoorRedirectUri,
      });
    }
    if (settings.portalRoles !== undefined) {
      new CfnOutput(this, 'PortalEndpoint', {
        description: 'The AWS access portal through the broker: the endpoint for an SSOClient, boto3 or aws sso --endpoint-url',
        value: `${this.broker.url}${PORTAL_BASE_PATH.slice(1)}`,
      });
    }
    if (this.broker.rotation !== undefined) {
      new CfnOutput(this, 'RotationLogGroup', {
        description: 'Log group of the rotation function: "rotation step failed" lines say why a rotation failed',
        value: this.broker.rotation.logGroup.logGroupName,
      });
    }
    if (this.broker.cookieKeys !== undefined) {
      new CfnOutput(this, 'CookieKeysSecretArn', {
        description: 'The cookie session keys secret (rotated on its own schedule; rotate it twice to end every session)',
        value: this.broker.cookieKeys.secret.secretArn,
      });
    }
    if (this.broker.customDomainUrl !== undefined && this.broker.domainTarget !== undefined) {
      new CfnOutput(this, 'CustomDomainUrl', {
        description: 'Base URL of the token broker on the custom domain',
        value: this.broker.customDomainUrl,
      });
      new CfnOutput(this, 'CustomDomainTarget', {
        description: 'Point a CNAME (or a Route 53 alias) for the custom domain at this name',
        value: this.broker.domainTarget,
      });
    }
  }

  private importSecret(settings: ContextSettings, encryptionKey: IKey | undefined): ISecret | undefined {
    if (settings.secretArn !== undefined) {
      return Secret.fromSecretAttributes(this, 'ImportedSecret', { secretCompleteArn: settings.secretArn, encryptionKey });
    }
    if (settings.secretName !== undefined) {
      // In the stack's account and region; the random suffix of its ARN is not known here.
      const secretPartialArn = this.formatArn({
        service: 'secretsmanager',
        resource: 'secret',
        resourceName: settings.secretName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      return Secret.fromSecretAttributes(this, 'ImportedSecret', { secretPartialArn, encryptionKey });
    }
    return undefined;
  }
}
