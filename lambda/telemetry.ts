// Structured logs and EMF metrics (Powertools). One log line and one metric set per request,
// built from the Audit record, which holds no request data: never a secret, token, code or verifier.

import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import type { Audit } from './broker.js';
import { daysToExpiry as daysUntil } from './client-registration.js';
import type { BrokerError } from './errors.js';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from './metric-names.js';


export const logger = new Logger({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

const SHORT_GRANT: Record<string, string> = {
  'urn:ietf:params:oauth:grant-type:device_code': 'device_code',
};

const UNREACHABLE = new Set(['BadGatewayException', 'GatewayTimeoutException']);
const EXPIRY_REPORT_INTERVAL_MS = 60_000;
let lastExpiryReportAt = Number.NEGATIVE_INFINITY;

export interface Outcome {
  readonly route: string;
  readonly status: number;
  readonly error?: BrokerError;
}

export function recordRequest(audit: Audit, outcome: Outcome, expiryWarningDays: number, nowMs = Date.now()): void {
  const grantType = audit.grantType === undefined ? 'none' : (SHORT_GRANT[audit.grantType] ?? audit.grantType);
  const result = outcome.error?.type ?? 'Success';
  const daysToExpiry = daysUntil(audit, nowMs);

  const fields = {
    route: outcome.route,
    grantType,
    outcome: result,
    status: outcome.status,
    fromUpstream: outcome.error?.fromUpstream ?? audit.upstreamCalls > 0,
    upstreamCalls: audit.upstreamCalls,
    upstreamStatus: audit.upstreamStatus,
    upstreamLatencyMs: audit.upstreamLatencyMs,
    upstreamRequestId: audit.upstreamRequestId,
    registrationRefreshed: audit.registrationRefreshed,
    clientSecretDaysToExpiry: daysToExpiry,
  };
  if (outcome.status >= 500) logger.error('request failed', { ...fields, detail: outcome.error?.logDetail });
  else logger.info('request completed', fields);

  // Days to expiry changes once a day: reported at most once a minute per environment (the alarm
  // takes the hourly minimum), which keeps a Metrics instance and a log line off most requests.
  const reportExpiry = daysToExpiry !== undefined && nowMs - lastExpiryReportAt >= EXPIRY_REPORT_INTERVAL_MS;
  if (reportExpiry) lastExpiryReportAt = nowMs;
  if (reportExpiry && daysToExpiry <= expiryWarningDays) {
    logger.warn('client registration expires soon: register the client again and update the secret', {
      clientSecretDaysToExpiry: daysToExpiry,
    });
  }

  metrics.addDimensions({ GrantType: grantType, Outcome: result });
  metrics.addMetric(METRIC.requests, MetricUnit.Count, 1);
  if (audit.upstreamLatencyMs !== undefined) {
    metrics.addMetric(METRIC.upstreamLatency, MetricUnit.Milliseconds, audit.upstreamLatencyMs);
  }
  // Alarm metrics carry only the service dimension so one alarm covers every grant type. SSO OIDC
  // failing counts whether it said so (500) or could not be reached or read (502, 504).
  if (outcome.error !== undefined && outcome.error.status >= 500 && (outcome.error.fromUpstream || UNREACHABLE.has(outcome.error.type))) {
    metrics.singleMetric().addMetric(METRIC.upstreamServerErrors, MetricUnit.Count, 1);
  }
  if (reportExpiry) {
    metrics.singleMetric().addMetric(METRIC.clientSecretDaysToExpiry, MetricUnit.Count, daysToExpiry);
  }
}
