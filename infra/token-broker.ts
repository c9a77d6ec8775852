// TokenBroker: the broker's function, its HTTP API, the secret holding the client registration and
// the function that rotates it, with cookie sessions the cookie keys secret and its rotation, their
// least-privilege roles, log groups, alarms and dashboard, as one construct a user can drop into
// their own stack. This file wires the parts; each part is a module of its own:
//   props.ts            the props, their defaults and their one check
//   bundling.ts         how the functions are built (esbuild options, runtime, prebuilt code)
//   function.ts         the broker function, its role and its environment
//   secret-rotation.ts  one Secrets Manager rotation, for the registration and the cookie keys alike
//   secret-access.ts    how roles reach a secret and its key
//   api.ts              the HTTP API, its routes (from the route table) and the custom domain
//   alarms.ts, dashboard.ts
// Every part is added to this construct's own scope with the ids it always had, so the
// CloudFormation logical ids stay those of stacks already deployed.

import { Annotations, RemovalPolicy, SecretValue, Stack, Token, Validations, type Duration } from 'aws-cdk-lib';
import type { HttpApi, HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret, type ISecret, type RotationSchedule } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { DEFAULTS, ENV, type GrantType } from '../lambda/core/config.js';
import { ROUTE_TABLE, routeKeysFor, type RouteKey } from '../lambda/edge/routes.js';
import { createAlarms, type TokenBrokerAlarms } from './alarms.js';
import { addCustomDomain, createBrokerApi } from './api.js';
import { TokenBrokerDashboard } from './dashboard.js';
import { createBrokerFunction } from './function.js';
import {
  checkProps,
  frontDoorOf,
  keyRotationIntervalOf,
  rotationIntervalOf,
  type TokenBrokerFrontDoorOptions,
  type TokenBrokerProps,
} from './props.js';
import { grantSecretValue } from './secret-access.js';
import { addSecretRotation } from './secret-rotation.js';
import { NO_ORIGINS_WARNING } from './validation.js';

// What this module exported before its parts moved out, for the package and its importers.
export { BUNDLING, type PrebuiltFunction } from './bundling.js';
export { DEFAULT_MEMORY_MB, FUNCTION_TIMEOUT } from './function.js';
export { ACCESS_LOG_FIELDS, DEFAULT_THROTTLE } from './api.js';
export { ROTATION_MEMORY_MB, ROTATION_TIMEOUT } from './secret-rotation.js';
export type { TokenBrokerAlarms } from './alarms.js';
export {
  DEFAULT_KEY_ROTATION_DAYS,
  DEFAULT_ROTATION_SCHEDULE,
  maxRotationDays,
  REGISTRATION_LIFETIME_DAYS,
  type CookieSessionsProps,
  type CustomDomain,
  type TokenBrokerDashboardOptions,
  type TokenBrokerFrontDoorOptions,
  type TokenBrokerPortalProps,
  type TokenBrokerProps,
} from './props.js';

/** Retention of every log group the construct makes, unless `logRetention` says otherwise. */
export const DEFAULT_LOG_RETENTION = RetentionDays.ONE_MONTH;

/** The rotation function and what belongs to it (only with rotation on). */
export interface TokenBrokerRotation {
  readonly function: NodejsFunction;
  readonly logGroup: LogGroup;
  readonly schedule: RotationSchedule;
  readonly interval: Duration;
}

/** The cookie keys secret and what rotates it (only with cookie sessions on). */
export interface TokenBrokerCookieKeys {
  readonly secret: Secret;
  readonly rotationFunction: NodejsFunction;
  readonly rotationLogGroup: LogGroup;
  readonly schedule: RotationSchedule;
  readonly interval: Duration;
}

export class TokenBroker extends Construct {
  readonly function: NodejsFunction;
  readonly functionLogGroup: LogGroup;
  readonly accessLogGroup: LogGroup;
  readonly api: HttpApi;
  readonly stage: HttpStage;
  /** The secret the function reads; put the RegisterClient answer into it. */
  readonly secret: ISecret;
  /** The secret identifier the function is given: its ARN (partial when imported by name). */
  readonly secretId: string;
  readonly encryptionKey: IKey | undefined;
  /** The API's base URL (execute-api). */
  readonly url: string;
  /** With a custom domain: `https://<domain>/` and the regional name to point DNS at. */
  readonly customDomainUrl: string | undefined;
  readonly domainTarget: string | undefined;
  readonly routeKeys: readonly RouteKey[];
  readonly alarms: TokenBrokerAlarms;
  /** Undefined when rotation is turned off. */
  readonly rotation: TokenBrokerRotation | undefined;
  /** Undefined when turned off with `dashboard: false`. */
  readonly dashboard: TokenBrokerDashboard | undefined;
  /** The front door's issuer (TOKEN_BROKER_ISSUER); undefined when the front door is off. */
  readonly issuer: string | undefined;
  /**
   * The redirect URI to register with SSO OIDC for the front door (`${issuer}/oauth2/callback`, in
   * `npm run register-client --redirect-uri`); undefined when the front door is off.
   */
  readonly frontDoorRedirectUri: string | undefined;
  /** Cookie sessions' keys secret and its rotation; undefined when cookie sessions are off. */
  readonly cookieKeys: TokenBrokerCookieKeys | undefined;

  constructor(scope: Construct, id: string, givenProps: TokenBrokerProps = {}) {
    super(scope, id);
    const props = this.checkedProps(givenProps);
    const grantTypes: readonly GrantType[] = props.grantTypes ?? DEFAULTS.grantTypes;
    const frontDoor = frontDoorOf(props);
    this.routeKeys = routeKeysFor(grantTypes, {
      frontDoor: frontDoor !== undefined,
      cookieSessions: props.cookieSessions !== undefined,
      apis: Object.keys(props.cookieSessions?.apis ?? {}).length > 0,
      portal: props.portal !== undefined,
    });
    const logRetention = props.logRetention ?? DEFAULT_LOG_RETENTION;
    const rotationInterval = rotationIntervalOf(props);
    const oidcRegion = props.oidcRegion ?? Stack.of(this).region;

    this.secret = props.secret ?? this.createSecret(props.encryptionKey, rotationInterval !== undefined);
    this.checkSecretRegion();
    this.encryptionKey = props.encryptionKey ?? props.secret?.encryptionKey;
    // The complete ARN when known; an import by name only has the partial ARN, which GetSecretValue accepts.
    this.secretId = this.secret.secretFullArn ?? this.secret.secretArn;

    // Before the function: its environment names the keys secret.
    const cookieKeysSecret = props.cookieSessions === undefined ? undefined : this.createCookieKeysSecret(props.encryptionKey);
    this.functionLogGroup = new LogGroup(this, 'FunctionLogs', { retention: logRetention });
    this.function = createBrokerFunction(this, {
      props,
      grantTypes,
      secretId: this.secretId,
      oidcRegion,
      logGroup: this.functionLogGroup,
      cookieKeysSecret,
    });
    grantSecretValue(this.function, this.secret, this.encryptionKey);

    if (cookieKeysSecret !== undefined) {
      // The broker reads the keys (AWSPREVIOUS is a version of the same secret); the rotation writes them.
      grantSecretValue(this.function, cookieKeysSecret, props.encryptionKey);
      const interval = keyRotationIntervalOf(props);
      const rotation = addSecretRotation(this, {
        name: 'CookieKeyRotation',
        keylessSecretId: 'RotatedCookieKeys',
        secret: cookieKeysSecret,
        encryptionKey: props.encryptionKey,
        code: 'cookie-key-rotation',
        functionDescription: 'Rotates the cookie session keys of the token broker (Secrets Manager rotation)',
        roleDescription: 'Token broker cookie key rotation: writes its own logs and rotates the cookie keys secret',
        interval,
        logRetention,
      });
      this.cookieKeys = {
        secret: cookieKeysSecret,
        rotationFunction: rotation.function,
        rotationLogGroup: rotation.logGroup,
        schedule: rotation.schedule,
        interval,
      };
    }

    if (rotationInterval !== undefined) {
      // Registers the client again with the request stored in the secret, stages the answer as
      // AWSPENDING, proves SSO OIDC accepts it and makes it AWSCURRENT (lambda/rotation/).
      const rotation = addSecretRotation(this, {
        name: 'Rotation',
        keylessSecretId: 'RotatedSecret',
        secret: this.secret,
        encryptionKey: this.encryptionKey,
        code: 'rotation',
        functionDescription: 'Rotates the SSO OIDC client registration of the token broker (Secrets Manager rotation)',
        roleDescription: 'Token broker rotation function: writes its own logs and rotates its one secret',
        // The rotation handler reads only the Identity Center region (the secret comes in each event).
        environment: { [ENV.oidcRegion]: oidcRegion },
        interval: rotationInterval,
        logRetention,
      });
      this.rotation = { ...rotation, interval: rotationInterval };
    }

    const { api, stage, accessLogGroup } = createBrokerApi(this, {
      function: this.function,
      routeKeys: this.routeKeys,
      throttle: props.throttle,
      logRetention,
    });
    this.accessLogGroup = accessLogGroup;
    this.api = api;
    this.stage = stage;
    this.url = stage.url;
    if (props.customDomain !== undefined) {
      const domain = addCustomDomain(this, api, stage, props.customDomain);
      this.customDomainUrl = `https://${props.customDomain.domainName}/`;
      this.domainTarget = domain.regionalDomainName;
    }

    this.issuer = frontDoor === undefined ? undefined : this.frontDoorIssuer(frontDoor, props);
    this.frontDoorRedirectUri = this.issuer === undefined ? undefined : `${this.issuer}${ROUTE_TABLE.oauthCallback.path}`;
    if (this.issuer !== undefined) this.function.addEnvironment(ENV.issuer, this.issuer);

    this.alarms = createAlarms(this, {
      brokerFunction: this.function,
      stage: this.stage,
      rotationFunction: this.rotation?.function,
      cookieKeyRotationFunction: this.cookieKeys?.rotationFunction,
      expiryWarningDays: props.expiryWarningDays,
      api5xxAlarmThreshold: props.api5xxAlarmThreshold,
      upstreamErrorAlarmThreshold: props.upstreamErrorAlarmThreshold,
      alarmActions: props.alarmActions,
    });
    this.dashboard = props.dashboard === false ? undefined : this.createDashboard(props);
  }

  /**
   * A new secret holds `{}` until the operator puts a RegisterClient answer into it (see
   * docs/deploy-reference.md, "First registration"): an obvious placeholder, where a generated random string would look like
   * a value. Until then the function answers a generic 500 and logs "no clientId". CloudFormation
   * only writes SecretString when the template's value changes, so later deployments leave the
   * operator's registration alone; RETAIN keeps it if the stack is deleted.
   */
  private createSecret(encryptionKey: IKey | undefined, rotated: boolean): Secret {
    const secret = new Secret(this, 'Registration', {
      description: 'SSO OIDC RegisterClient answer (clientId, clientSecret, clientSecretExpiresAt) for the token broker',
      // Not a secret: the empty placeholder is the only value ever written by the template.
      secretStringValue: SecretValue.unsafePlainText('{}'),
      encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // With rotation on, the rotation schedule satisfies AwsSolutions-SMG4; without it, say why not.
    if (!rotated) {
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Rotation was turned off for this deployment (rotation: false, or the rotationDays=0 context). The secret ' +
          'holds an SSO OIDC client registration that lasts about 90 days: the operator registers again with ' +
          '`npm run register-client` before clientSecretExpiresAt (the ClientSecretExpiry alarm warns 14 days ahead), ' +
          'and the broker picks the new registration up within its max age, or at once on InvalidClientException.',
      });
    }
    return secret;
  }

  /**
   * The cookie keys secret: `{ keyId, key }` (lambda/core/cookie-keys.ts), seeded by CloudFormation
   * with 64 random letters and digits (about 380 bits; the key is HKDF input, not the AES key itself),
   * then replaced by its rotation function on its schedule. Encrypted with the registration's key
   * when one is given. Destroyed with the stack: without the broker, its sessions mean nothing.
   */
  private createCookieKeysSecret(encryptionKey: IKey | undefined): Secret {
    return new Secret(this, 'CookieKeys', {
      description: 'Token broker cookie session keys ({ keyId, key }): AWSCURRENT seals, AWSPREVIOUS still opens',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ keyId: 'initial' }),
        generateStringKey: 'key',
        passwordLength: 64,
        excludePunctuation: true,
        includeSpace: false,
      },
      encryptionKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  /**
   * The function's Secrets Manager client calls its own region's endpoint, which does not serve
   * secrets of other regions. Checked when both regions are known at synthesis; an env-agnostic
   * stack can only document it.
   */
  private checkSecretRegion(): void {
    const stackRegion = Stack.of(this).region;
    const secretRegion = this.secret.env.region;
    if (!Token.isUnresolved(stackRegion) && !Token.isUnresolved(secretRegion) && stackRegion !== secretRegion) {
      throw new Error(`TokenBroker: the secret is in ${secretRegion} but the function in ${stackRegion}; use a secret (or a replica) in ${stackRegion}`);
    }
  }

  /**
   * The given issuer, else the custom domain, else the API's own URL (the $default stage has no
   * path): what clients reach the broker at, with no trailing slash (RFC 8414 issuer).
   */
  private frontDoorIssuer(frontDoor: TokenBrokerFrontDoorOptions, props: TokenBrokerProps): string {
    if (frontDoor.issuer !== undefined) return frontDoor.issuer;
    if (props.customDomain !== undefined) return `https://${props.customDomain.domainName}`;
    const stack = Stack.of(this);
    return `https://${this.api.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`;
  }

  private createDashboard(props: TokenBrokerProps): TokenBrokerDashboard {
    const options = typeof props.dashboard === 'object' ? props.dashboard : {};
    return new TokenBrokerDashboard(this, 'Dashboard', {
      brokerFunction: this.function,
      functionLogGroup: this.functionLogGroup,
      stage: this.stage,
      rotationFunction: this.rotation?.function,
      cookieKeyRotationFunction: this.cookieKeys?.rotationFunction,
      expiryWarningDays: props.expiryWarningDays ?? DEFAULTS.expiryWarningDays,
      alarms: Object.values(this.alarms).filter((alarm) => alarm !== undefined),
      ...(options.dashboardName === undefined ? {} : { dashboardName: options.dashboardName }),
    });
  }

  /**
   * Every problem with the props at once, named by prop (infra/props.ts); what was normalised and a
   * broker no browser may call are warnings, which `cdk synth` prints.
   */
  private checkedProps(given: TokenBrokerProps): TokenBrokerProps {
    const { props, notes } = checkProps(given);
    notes.forEach((note, index) => Annotations.of(this).addWarningV2(`token-broker:normalised:${index}`, note));
    // A broker whose cookie sessions have origins of their own is called by browsers there.
    if (!props.allowedOrigins?.length && !props.cookieSessions?.origins.length) Annotations.of(this).addWarningV2('token-broker:no-allowed-origins', NO_ORIGINS_WARNING);
    return props;
  }
}
