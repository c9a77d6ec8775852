// The two operations the broker offers, as pure orchestration over its parts: validate the request,
// read the registration, call SSO OIDC once, and, only when SSO OIDC rejected the client and the
// secret now holds another registration (it was rotated), call once more with the new one. Client
// authentication fails before SSO OIDC consumes a code, so that second call replays nothing.

import type { BrokerConfig } from './config.js';
import type { Registration, RegistrationSource } from './registration.js';
import { brokerError } from './errors.js';
import { parseDeviceAuthorizationRequest, parseTokenRequest, requestedClientId } from '../surfaces/aws-json/request.js';
import {
  UpstreamFailure,
  type DeviceAuthorizationResponse,
  type TokenResponse,
  type Upstream,
  type UpstreamResult,
} from './upstream.js';

/** What one request did, for its log line and metrics. Holds no request data. */
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

export interface BrokerDeps {
  readonly config: BrokerConfig;
  readonly registrations: Pick<RegistrationSource, 'get' | 'forClient' | 'refresh'>;
  readonly upstream: Upstream;
}

export async function exchangeToken(
  body: unknown,
  deps: BrokerDeps,
  audit: Audit,
): Promise<UpstreamResult<TokenResponse>> {
  const request = parseTokenRequest(body, deps.config);
  audit.grantType = request.grantType;
  return callWithRegistration(body, deps, audit, (registration) => deps.upstream.createToken(registration, request));
}

export async function startDeviceAuthorization(
  body: unknown,
  deps: BrokerDeps,
  audit: Audit,
): Promise<UpstreamResult<DeviceAuthorizationResponse>> {
  const { startUrl } = parseDeviceAuthorizationRequest(body);
  audit.grantType = 'device_authorization';
  return callWithRegistration(body, deps, audit, (registration) =>
    deps.upstream.startDeviceAuthorization(registration, startUrl),
  );
}

/** The registration's public members, for frontends: never the secret. */
export interface PublicClient {
  readonly clientId: string;
  readonly authorizationEndpoint?: string;
}

export async function describeClient(deps: BrokerDeps, audit: Audit): Promise<PublicClient> {
  const registration = await deps.registrations.get();
  audit.clientSecretExpiresAt = registration.clientSecretExpiresAt;
  return registration.authorizationEndpoint === undefined
    ? { clientId: registration.clientId }
    : { clientId: registration.clientId, authorizationEndpoint: registration.authorizationEndpoint };
}

async function callWithRegistration<T>(
  body: unknown,
  deps: BrokerDeps,
  audit: Audit,
  call: (registration: Registration) => Promise<UpstreamResult<T>>,
): Promise<UpstreamResult<T>> {
  const requested = requestedClientId(body);
  const registration = await deps.registrations.forClient(requested);
  if (registration === undefined) {
    throw brokerError('InvalidClientException', 'The clientId does not match the client registered with this broker.');
  }
  audit.clientSecretExpiresAt = registration.clientSecretExpiresAt;
  try {
    return await timed(audit, () => call(registration));
  } catch (error) {
    if (!(error instanceof UpstreamFailure) || error.answer.type !== 'InvalidClientException') throw error;
    const { registration: fresh, changed } = await deps.registrations.refresh(registration);
    audit.registrationRefreshed = changed;
    // A caller that named its client gets a retry only with that client (its code belongs to it).
    if (!changed || (requested !== undefined && fresh.clientId !== requested)) throw error;
    audit.clientSecretExpiresAt = fresh.clientSecretExpiresAt;
    return timed(audit, () => call(fresh));
  }
}

/** Counts and times one SSO OIDC call for the audit record. */
export async function timed<T>(audit: Audit, call: () => Promise<UpstreamResult<T>>): Promise<UpstreamResult<T>> {
  const started = performance.now();
  audit.upstreamCalls += 1;
  try {
    const result = await call();
    audit.upstreamStatus = result.status;
    audit.upstreamRequestId = result.requestId;
    return result;
  } catch (error) {
    if (error instanceof UpstreamFailure) {
      audit.upstreamStatus = error.status;
      audit.upstreamRequestId = error.requestId;
    }
    throw error;
  } finally {
    audit.upstreamLatencyMs = Math.round((performance.now() - started) * 10) / 10;
  }
}
