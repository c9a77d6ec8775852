// The broker's HTTP API: a $default stage with throttling and JSON access logs, one route per row
// of the route table (lambda/edge/routes.ts) that the configuration enables, each acknowledged for
// cdk-nag with its row's own reason, and the optional custom domain.
//
// CORS is deliberately not configured on the API (`corsPreflight`): API Gateway would answer
// preflight itself and ignore the function's headers. The function answers CORS and preflight
// (`OPTIONS /{proxy+}`) from TOKEN_BROKER_ALLOWED_ORIGINS, the same setting it enforces, so local
// (`npm start`) and deployed behaviour come from one code path.

import { Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  ApiMapping,
  DomainName,
  HttpApi,
  type HttpMethod,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
  PayloadFormatVersion,
  SecurityPolicy,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Certificate, CertificateValidation } from 'aws-cdk-lib/aws-certificatemanager';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ARecord, AaaaRecord, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { ApiGatewayv2DomainProperties } from 'aws-cdk-lib/aws-route53-targets';
import type { Construct } from 'constructs';
import { ROUTE_DOCS } from '../lambda/edge/route-docs.js';
import { routeIdOf, type RouteId, type RouteKey } from '../lambda/edge/routes.js';
import type { CustomDomain } from './props.js';

export const DEFAULT_THROTTLE = { rateLimit: 50, burstLimit: 100 } as const;

/** The access log line: JSON, no headers, query strings or bodies (they may hold codes or tokens). */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  requestTime: '$context.requestTime',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integration.latency',
  integrationRequestId: '$context.integration.requestId',
  integrationError: '$context.integrationErrorMessage',
  error: '$context.error.message',
} as const;

export interface BrokerApiProps {
  /** The function every route integrates with (payload format 2.0). */
  readonly function: IFunction;
  /** Exactly the routes to create (the core's routeKeysFor()). */
  readonly routeKeys: readonly RouteKey[];
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number } | undefined;
  readonly logRetention: RetentionDays;
}

export interface BrokerApi {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogGroup: LogGroup;
}

/** The access log group, the API and its stage, and the routes (`AccessLogs`, `Api`, `DefaultStage`, `Route-<id>` in `scope`). */
export function createBrokerApi(scope: Construct, props: BrokerApiProps): BrokerApi {
  const accessLogGroup = new LogGroup(scope, 'AccessLogs', { retention: props.logRetention });
  const api = new HttpApi(scope, 'Api', {
    apiName: `${Stack.of(scope).stackName}-${scope.node.id}`,
    description: 'SSO OIDC token broker',
    // The default stage is created below, with throttling and access logs.
    createDefaultStage: false,
  });
  const throttle = props.throttle ?? DEFAULT_THROTTLE;
  const stage = new HttpStage(scope, 'DefaultStage', {
    httpApi: api,
    stageName: '$default',
    autoDeploy: true,
    throttle: { rateLimit: throttle.rateLimit, burstLimit: throttle.burstLimit },
    accessLogSettings: {
      destination: new LogGroupLogDestination(accessLogGroup),
      format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
    },
  });

  const integration = new HttpLambdaIntegration('Function', props.function, {
    payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
  });
  for (const routeKey of props.routeKeys) {
    const [method, path] = routeKey.split(' ') as [HttpMethod, string];
    const id: RouteId = routeIdOf(routeKey)!;
    // `Route-<id>`: the construct id, hence the CloudFormation logical id, follows the table's row id.
    const route = new HttpRoute(scope, `Route-${id}`, {
      httpApi: api,
      routeKey: HttpRouteKey.with(path, method),
      integration,
    });
    // Every route of the table says why it needs no authorizer (a route without one would fail cdk-nag).
    Validations.of(route).acknowledge({ id: 'AwsSolutions-APIG4', reason: ROUTE_DOCS[id].publicBecause });
  }
  return { api, stage, accessLogGroup };
}

/**
 * The custom domain (`Domain`, `DomainMapping` in `scope`), mapped at its root to the $default stage
 * (https://<domain>/token). With a hosted zone instead of a certificate: a DNS-validated certificate
 * (`DomainCertificate`) and A/AAAA aliases (`DomainAlias`, `DomainAliasIpv6`) in that zone. The props
 * check made sure one of the two is given.
 */
export function addCustomDomain(scope: Construct, api: HttpApi, stage: HttpStage, customDomain: CustomDomain): DomainName {
  const { domainName, hostedZone } = customDomain;
  const certificate =
    customDomain.certificate ?? new Certificate(scope, 'DomainCertificate', { domainName, validation: CertificateValidation.fromDns(hostedZone) });
  const domain = new DomainName(scope, 'Domain', { domainName, certificate, securityPolicy: SecurityPolicy.TLS_1_2 });
  new ApiMapping(scope, 'DomainMapping', { api, domainName: domain, stage });
  if (hostedZone !== undefined) {
    const target = RecordTarget.fromAlias(new ApiGatewayv2DomainProperties(domain.regionalDomainName, domain.regionalHostedZoneId));
    new ARecord(scope, 'DomainAlias', { zone: hostedZone, recordName: domainName, target });
    new AaaaRecord(scope, 'DomainAliasIpv6', { zone: hostedZone, recordName: domainName, target });
  }
  return domain;
}
