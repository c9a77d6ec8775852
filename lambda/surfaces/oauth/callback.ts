// GET /oauth2/callback: where SSO OIDC sends the browser back after sign-in. Opens the sealed state
// (with the registration that sent the browser to SSO OIDC), checks the client's redirect URI
// against the allow list again, and sends the browser on to it with a sealed authorization code,
// the client's state and the issuer (RFC 9207). Errors SSO OIDC sent back reach the client as they
// came. A state that does not open or has expired is a page: there is nowhere safe to redirect to.

import type { Audit, BrokerDeps } from '../../core/grants.js';
import type { RouteResult } from '../../edge/middleware.js';
import { parseParameters } from '../../core/parameters.js';
import { expiresIn, isExpired, openSealed, sealFor } from '../../core/sealed.js';
import { redirectTo, requireIssuer } from './shared.js';

/** RFC 6749 §4.1.2 recommends at most 10 minutes; SSO OIDC's own code lives about as long. */
export const CODE_LIFETIME_SECONDS = 5 * 60;

const refused = (message: string): RouteResult => ({ statusCode: 400, page: { title: 'Sign-in could not be completed', message } });
const START_AGAIN = 'This sign-in link is not valid or has expired. Go back to the application and sign in again.';

export async function callback(rawQuery: string | undefined, deps: BrokerDeps, audit: Audit): Promise<RouteResult> {
  const issuer = requireIssuer(deps.config);
  audit.grantType = 'callback';
  const { values, repeated } = parseParameters(rawQuery);
  if (repeated.has('state')) return refused('The parameter "state" is sent more than once (RFC 6749 section 3.1).');
  const state = values.get('state');
  if (state === undefined) return refused(START_AGAIN);
  const opened = await openSealed(state, 'state', deps.registrations);
  if (opened === undefined || isExpired(opened.value.e)) return refused(START_AGAIN);
  const { r: redirectUri, s: clientState, sc: scope } = opened.value;
  // The allow list may have changed since the sign-in began.
  if (typeof redirectUri !== 'string' || !deps.config.redirectUris.has(redirectUri)) {
    return refused('The application this sign-in would return to is no longer allowed by this token broker.');
  }
  audit.clientSecretExpiresAt = opened.registration.clientSecretExpiresAt;
  const back = (params: Record<string, string | undefined>): RouteResult =>
    redirectTo(redirectUri, { ...params, state: typeof clientState === 'string' ? clientState : undefined, iss: issuer });

  const [firstRepeated] = repeated;
  if (firstRepeated !== undefined) {
    return back({ error: 'invalid_request', error_description: 'SSO OIDC sent a parameter more than once.' });
  }
  const error = values.get('error');
  if (error !== undefined) {
    return back({ error, error_description: values.get('error_description'), error_uri: values.get('error_uri') });
  }
  const code = values.get('code');
  if (code === undefined) {
    return back({ error: 'server_error', error_description: 'SSO OIDC answered with neither a code nor an error.' });
  }
  const sealedCode = sealFor(
    { c: code, r: redirectUri, sc: typeof scope === 'string' ? scope : '', e: expiresIn(CODE_LIFETIME_SECONDS) },
    opened.registration,
    'code',
  );
  return back({ code: sealedCode });
}
