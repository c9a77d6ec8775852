// The broker's alarms: the function's errors and throttles, the API's 5xx answers, SSO OIDC's server
// errors, the registration nearing its expiry, and each rotation function's errors. Every alarm's
// ALARM and OK transitions go to the same actions. The broker's own metrics are the ones the function
// emits (lambda/core/metric-names.ts), never retyped.

import { Duration } from 'aws-cdk-lib';
import type { IHttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, Metric, Stats, TreatMissingData, type IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { DEFAULTS } from '../lambda/core/config.js';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../lambda/core/metric-names.js';

const ALARM_PERIOD = Duration.minutes(5);

export interface TokenBrokerAlarms {
  readonly functionErrors: Alarm;
  readonly functionThrottles: Alarm;
  readonly api5xx: Alarm;
  readonly upstreamServerErrors: Alarm;
  readonly clientSecretExpiry: Alarm;
  /** Only with rotation on: the rotation function failed a step. */
  readonly rotationErrors?: Alarm;
  /** Only with cookie sessions: the cookie key rotation function failed a step. */
  readonly cookieKeyRotationErrors?: Alarm;
}

export interface BrokerAlarmsProps {
  readonly brokerFunction: IFunction;
  readonly stage: IHttpStage;
  /** The registration's rotation function, when rotation is on. */
  readonly rotationFunction: IFunction | undefined;
  /** The cookie keys' rotation function, with cookie sessions. */
  readonly cookieKeyRotationFunction: IFunction | undefined;
  /** Default: 14. */
  readonly expiryWarningDays?: number;
  /** Default: 5. */
  readonly api5xxAlarmThreshold?: number;
  /** Default: 3. */
  readonly upstreamErrorAlarmThreshold?: number;
  readonly alarmActions?: readonly IAlarmAction[];
}

/** The alarms, in `scope` under `<Name>Alarm`. */
export function createAlarms(scope: Construct, props: BrokerAlarmsProps): TokenBrokerAlarms {
  // The broker's own alarm metrics carry only the service dimension (telemetry.ts).
  const brokerMetric = (metricName: string, statistic: string, period: Duration): Metric =>
    new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: SERVICE_NAME }, statistic, period });
  const atLeast = (threshold: number) => ({
    threshold,
    evaluationPeriods: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    // No data means nothing happened: no errors.
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });

  const alarms: TokenBrokerAlarms = {
    functionErrors: new Alarm(scope, 'FunctionErrorsAlarm', {
      alarmDescription:
        'The token broker function failed an invocation (crash, timeout, out of memory, or a configuration error at cold start). ' +
        'Answers the broker gives itself, 4xx or 5xx, are not function errors.',
      metric: props.brokerFunction.metricErrors({ period: ALARM_PERIOD, statistic: Stats.SUM }),
      ...atLeast(1),
    }),
    functionThrottles: new Alarm(scope, 'FunctionThrottlesAlarm', {
      alarmDescription: 'Lambda throttled the token broker function: the account or function concurrency limit was reached.',
      metric: props.brokerFunction.metricThrottles({ period: ALARM_PERIOD, statistic: Stats.SUM }),
      ...atLeast(1),
    }),
    api5xx: new Alarm(scope, 'Api5xxAlarm', {
      alarmDescription:
        'The token broker API answered 5xx: upstream server errors passed through, SSO OIDC unreachable (502) or slow (504), ' +
        'an unreadable or empty registration secret (500), or function failures.',
      metric: props.stage.metricServerError({ period: ALARM_PERIOD, statistic: Stats.SUM }),
      ...atLeast(props.api5xxAlarmThreshold ?? 5),
    }),
    upstreamServerErrors: new Alarm(scope, 'UpstreamServerErrorsAlarm', {
      alarmDescription: 'SSO OIDC answered InternalServerException (5xx) to the token broker; the answers were passed through to callers.',
      metric: brokerMetric(METRIC.upstreamServerErrors, Stats.SUM, ALARM_PERIOD),
      ...atLeast(props.upstreamErrorAlarmThreshold ?? 3),
    }),
    clientSecretExpiry: new Alarm(scope, 'ClientSecretExpiryAlarm', {
      alarmDescription:
        'The client registration in the secret expires soon: the scheduled rotation failed or is off. Register the ' +
        'client again with `npm run register-client` (see RotationErrors and the rotation function log first).',
      // The smallest days-to-expiry any request saw in the hour.
      metric: brokerMetric(METRIC.clientSecretDaysToExpiry, Stats.MINIMUM, Duration.hours(1)),
      threshold: props.expiryWarningDays ?? DEFAULTS.expiryWarningDays,
      evaluationPeriods: 1,
      // `<=` as the function's own log warning (telemetry.ts), so both start on the same day.
      comparisonOperator: ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
      // The metric exists only while requests flow. An expiring registration is a standing
      // condition, not an event: keep the last state through quiet hours rather than flip to OK
      // overnight (not breaching) and alarm again every morning. A new registration clears it at
      // the next request. An idle broker emits nothing, so this alarm cannot see it.
      treatMissingData: TreatMissingData.IGNORE,
    }),
    ...(props.rotationFunction === undefined
      ? {}
      : {
          rotationErrors: new Alarm(scope, 'RotationErrorsAlarm', {
            alarmDescription:
              'The rotation function failed a step, so the client registration was not renewed. Its log says why ' +
              '("rotation step failed"); a secret without registrationRequest needs `npm run register-client` once. ' +
              'Brokers keep using the current registration until it expires (see the ClientSecretExpiry alarm).',
            metric: props.rotationFunction.metricErrors({ period: ALARM_PERIOD, statistic: Stats.SUM }),
            ...atLeast(1),
          }),
        }),
    ...(props.cookieKeyRotationFunction === undefined
      ? {}
      : {
          cookieKeyRotationErrors: new Alarm(scope, 'CookieKeyRotationErrorsAlarm', {
            alarmDescription:
              'The cookie key rotation function failed a step, so the cookie keys were not renewed. Its log says why ' +
              '("rotation step failed"). Sessions keep working with the current key meanwhile.',
            metric: props.cookieKeyRotationFunction.metricErrors({ period: ALARM_PERIOD, statistic: Stats.SUM }),
            ...atLeast(1),
          }),
        }),
  };
  for (const alarm of Object.values(alarms).filter((alarm) => alarm !== undefined)) {
    for (const action of props.alarmActions ?? []) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }
  return alarms;
}
