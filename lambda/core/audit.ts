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
