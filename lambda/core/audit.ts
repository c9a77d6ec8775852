// What one request did, for its log line and metrics (telemetry.ts), and the timing of upstream
// calls into it. The record holds no request data: never a secret, token, code or verifier.

import { BrokerError } from './errors.js';

export interface Audit {
  grantType?: string;
  upstreamCalls: number;
  upstreamStatus?: number;
  upstreamLatencyMs?: number;
  upstreamRequestId?: string;
  registrationRefreshed?: boolean;
  clientSecretExpiresAt?: number;
  /** The bearer proxy's API (TOKEN_BROKER_APIS name), its answer's status and the call's time. */
  api?: string;
  apiStatus?: number;
  apiLatencyMs?: number;
  /** The API could not be reached or read: a 502 or 504 that is not SSO OIDC's doing. */
  apiFailed?: boolean;
}

export const newAudit = (): Audit => ({ upstreamCalls: 0 });

/** What an upstream call answered, with its HTTP status and request id for the log. */
export interface UpstreamResult<T> {
  readonly body: T;
  readonly status: number;
  readonly requestId: string | undefined;
}

/** Counts and times one upstream call for the audit record. */
export async function timed<T>(audit: Audit, call: () => Promise<UpstreamResult<T>>): Promise<UpstreamResult<T>> {
  const started = performance.now();
  audit.upstreamCalls += 1;
  try {
    const result = await call();
    audit.upstreamStatus = result.status;
    audit.upstreamRequestId = result.requestId;
    return result;
  } catch (error) {
    if (error instanceof BrokerError && error.upstream !== undefined) {
      audit.upstreamStatus = error.upstream.status;
      audit.upstreamRequestId = error.upstream.requestId;
    }
    throw error;
  } finally {
    audit.upstreamLatencyMs = Math.round((performance.now() - started) * 10) / 10;
  }
}

/** Times one call of the bearer proxy to an API for the audit record (not counted as an SSO OIDC call). */
export async function timedApiCall<T>(audit: Audit, call: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await call();
  } finally {
    audit.apiLatencyMs = Math.round((performance.now() - started) * 10) / 10;
  }
}
