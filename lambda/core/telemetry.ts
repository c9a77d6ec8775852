// Structured logs and EMF metrics (Powertools). One line per request, written once: the request's
// EMF record carries its log fields as metadata (level, message, request id, route, outcome, ...), so
// the same JSON line is the log line and the metrics (Requests, UpstreamLatency by GrantType and
// Outcome). Built from the Audit record, which holds no request data: never a secret, token, code or
// verifier. The alarms' metrics (service dimension only) go out in one record of their own, at most
// once a minute for the expiry and only on failure for upstream errors.
// Measured (npm run bench, docs/performance.md): each write to stdout costs 25-30 µs and Powertools
// Logger's formatting about as much again; a Logger line plus an EMF line per request became one line.

import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import type { Audit } from './audit.js';
import { daysToExpiry as daysUntil } from './client-registration.js';
import type { BrokerError } from './errors.js';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from './metric-names.js';

/** A Lambda context, as Powertools types it. */
type Context = Parameters<Logger['addContext']>[0];

/** Powertools' Logger, which can be told it was made after the cold start (its cold_start field is then false). */
class LateLogger extends Logger {
  madeAfterColdStart(): void {
    this.getColdStart();
  }
}

let otherLines: LateLogger | undefined;
let requestsRecorded = 0;

/**
 * The Logger for lines other than the per-request one (unexpected errors, expiry warnings), made at
 * the first such line: almost no request writes one, and a Logger made at init cost every cold start
 * its configuration and Console (docs/performance.md). With `context`, the line carries the request's
 * Lambda context (function_request_id, cold_start, ...) as Powertools' injectLambdaContext adds it.
 */
export function logger(context?: Context): Logger {
  if (otherLines === undefined) {
    otherLines = new LateLogger({ serviceName: SERVICE_NAME });
    // Made after the environment's first request: that one was its cold start, not this one.
    if (requestsRecorded > 0) otherLines.madeAfterColdStart();
  }
  if (context !== undefined) otherLines.addContext(context);
  return otherLines;
}
/**
 * The request's record, and after it the alarms' (one instance for both: publishing clears the
 * request's metrics, dimensions and metadata, so the alarms' record carries the service dimension
 * alone; a second instance cost every cold start its configuration and Console, docs/performance.md).
 */
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

const SHORT_GRANT: Record<string, string> = {
  'urn:ietf:params:oauth:grant-type:device_code': 'device_code',
};

const UNREACHABLE = new Set(['BadGatewayException', 'GatewayTimeoutException']);
const EXPIRY_REPORT_INTERVAL_MS = 60_000;
let lastExpiryReportAt = Number.NEGATIVE_INFINITY;

export interface Outcome {
  readonly route: string;
  /** The path, when the route's key does not say it (the preflight's `/{proxy+}`, a 404). */
  readonly path?: string;
  readonly status: number;
  readonly error?: BrokerError;
  /** The Lambda request id, logged as function_request_id (as Powertools Logger names it). */
  readonly requestId?: string;
  /** The Lambda context, for a line of its own (the expiry warning). */
  readonly context?: Context;
}

/** Metadata typed as string by Powertools, stored and written as given: numbers and booleans stay JSON numbers and booleans. */
function meta(key: string, value: string | number | boolean | undefined): void {
  if (value !== undefined) metrics.addMetadata(key, value as string);
}

export function recordRequest(audit: Audit, outcome: Outcome, expiryWarningDays: number, nowMs = Date.now()): void {
  const grantType = audit.grantType === undefined ? 'none' : (SHORT_GRANT[audit.grantType] ?? audit.grantType);
  const result = outcome.error?.type ?? 'Success';
  const daysToExpiry = daysUntil(audit, nowMs);

  // The log fields, in the order they are written (after `_aws`), added one by one: no object per
  // request to build and walk. Undefined values are left out, as JSON.stringify would.
  const failed = outcome.status >= 500;
  meta('level', failed ? 'ERROR' : 'INFO');
  meta('message', failed ? 'request failed' : 'request completed');
  meta('timestamp', new Date(nowMs).toISOString());
  meta('function_request_id', outcome.requestId);
  meta('route', outcome.route);
  meta('path', outcome.path);
  meta('grantType', grantType);
  meta('outcome', result);
  meta('status', outcome.status);
  meta('fromUpstream', outcome.error?.fromUpstream ?? audit.upstreamCalls > 0);
  meta('upstreamCalls', audit.upstreamCalls);
  meta('upstreamStatus', audit.upstreamStatus);
  meta('upstreamLatencyMs', audit.upstreamLatencyMs);
  meta('upstreamRequestId', audit.upstreamRequestId);
  meta('registrationRefreshed', audit.registrationRefreshed);
  meta('clientSecretDaysToExpiry', daysToExpiry);
  meta('api', audit.api);
  meta('apiStatus', audit.apiStatus);
  meta('apiLatencyMs', audit.apiLatencyMs);
  meta('detail', outcome.error?.logDetail);
  metrics.addDimensions({ GrantType: grantType, Outcome: result });
  metrics.addMetric(METRIC.requests, MetricUnit.Count, 1);
  if (audit.upstreamLatencyMs !== undefined) {
    metrics.addMetric(METRIC.upstreamLatency, MetricUnit.Milliseconds, audit.upstreamLatencyMs);
  }
  metrics.publishStoredMetrics();

  // Days to expiry changes once a day: reported at most once a minute per environment (the alarm
  // takes the hourly minimum), which keeps a second record and a log line off most requests.
  const reportExpiry = daysToExpiry !== undefined && nowMs - lastExpiryReportAt >= EXPIRY_REPORT_INTERVAL_MS;
  if (reportExpiry) lastExpiryReportAt = nowMs;
  if (reportExpiry && daysToExpiry <= expiryWarningDays) {
    logger(outcome.context).warn('client registration expires soon: register the client again and update the secret', {
      clientSecretDaysToExpiry: daysToExpiry,
    });
  }
  // Alarm metrics carry only the service dimension so one alarm covers every grant type. SSO OIDC
  // failing counts whether it said so (500) or could not be reached or read (502, 504).
  // A deployer's API failing (the bearer proxy) is not SSO OIDC failing.
  const upstreamFailed =
    outcome.error !== undefined &&
    audit.apiFailed !== true &&
    outcome.error.status >= 500 &&
    (outcome.error.fromUpstream || UNREACHABLE.has(outcome.error.type));
  if (upstreamFailed) metrics.addMetric(METRIC.upstreamServerErrors, MetricUnit.Count, 1);
  if (reportExpiry) metrics.addMetric(METRIC.clientSecretDaysToExpiry, MetricUnit.Count, daysToExpiry);
  if (upstreamFailed || reportExpiry) metrics.publishStoredMetrics();
  requestsRecorded += 1;
}
