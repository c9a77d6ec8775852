// The one path to SSO OIDC for every surface: pick the registration, call once, time the call.
// A code or refresh token belongs to the client it was issued to, so a call is made with that
// registration and never repeated with another, except in one case: SSO OIDC rejected the client
// itself (InvalidClientException, which it answers before it looks at the grant, so nothing was
// spent) and the secret now holds another registration (it was rotated).

import { timed, type Audit, type UpstreamResult } from './audit.js';
import type { BrokerConfig } from './config.js';
import { brokerError, BrokerError } from './errors.js';
import type { Registration, RegistrationSource } from './registration.js';
import type { DeviceAuthorizationResponse, TokenRequest, TokenResponse, Upstream } from './upstream.js';

export interface GrantDeps {
  readonly config: BrokerConfig;
  readonly registrations: Pick<RegistrationSource, 'get' | 'forClient' | 'refresh'>;
  readonly upstream: Upstream;
}

/** One CreateToken call with `registration`, counted and timed. */
export async function createToken(
  registration: Registration,
  request: TokenRequest,
  deps: GrantDeps,
  audit: Audit,
): Promise<UpstreamResult<TokenResponse>> {
  audit.clientSecretExpiresAt = registration.clientSecretExpiresAt;
  return timed(audit, () => deps.upstream.createToken(registration, request));
}

/** One StartDeviceAuthorization call with `registration`, counted and timed. */
export async function startDeviceAuthorization(
  registration: Registration,
  startUrl: string,
  deps: GrantDeps,
  audit: Audit,
): Promise<UpstreamResult<DeviceAuthorizationResponse>> {
  audit.clientSecretExpiresAt = registration.clientSecretExpiresAt;
  return timed(audit, () => deps.upstream.startDeviceAuthorization(registration, startUrl));
}

/**
 * `call` with the registration of the client a caller names (the current one when it names none):
 * 401 InvalidClientException when the secret holds no such client. When SSO OIDC rejects the client
 * and a re-read of the secret finds another registration, one more call with that one, only if the
 * caller named no client or the new one is the client it named.
 */
export async function withNamedClient<T>(
  requestedClientId: string | undefined,
  deps: GrantDeps,
  audit: Audit,
  call: (registration: Registration) => Promise<UpstreamResult<T>>,
): Promise<UpstreamResult<T>> {
  const registration = await deps.registrations.forClient(requestedClientId);
  if (registration === undefined) {
    throw brokerError('InvalidClientException', 'The clientId does not match the client registered with this broker.');
  }
  try {
    return await call(registration);
  } catch (error) {
    if (!(error instanceof BrokerError) || !error.fromUpstream || error.type !== 'InvalidClientException') throw error;
    const { registration: fresh, changed } = await deps.registrations.refresh(registration);
    audit.registrationRefreshed = changed;
    if (!changed || (requestedClientId !== undefined && fresh.clientId !== requestedClientId)) throw error;
    return call(fresh);
  }
}
