// GET /oauth2/callback: where SSO OIDC sends the browser back after sign-in. Opens the sealed state
// (with the registration that sent the browser to SSO OIDC), checks the client's redirect URI
// against the allow list again, and sends the browser on to it with a sealed authorization code,
// the client's state and the issuer (RFC 9207). Errors SSO OIDC sent back reach the client only as
// RFC 6749 §4.1.2.1 allows them. A state that does not open or has expired is a page: there is
// nowhere safe to redirect to.

import type { Audit } from '../../core/audit.js';
import { sealCode, type FrontDoorDeps } from '../../core/front-door-grants.js';
import { isExpired, openSealed } from '../../core/sealed.js';
import { AUTHORIZATION_ERRORS, invalidRequest } from '../../core/errors.js';
import { errorDescription, errorUri, parseParameters, sentTwice } from '../../core/validation.js';
import type { Answer } from '../answer.js';
import { redirectTo } from './shared.js';

/** A refusal with nowhere safe to redirect to: the edge writes it as a page (the route's error format). */
const refused = (message: string): never => {
  throw invalidRequest(message);
};
const START_AGAIN = 'This sign-in link is not valid or has expired. Go back to the application and sign in again.';

export async function callback(rawQuery: string | undefined, deps: FrontDoorDeps, audit: Audit): Promise<Answer> {
  const { issuer } = deps;
  audit.grantType = 'callback';
  const { values, repeated } = parseParameters(rawQuery);
  if (repeated.has('state')) return refused(sentTwice('state'));
  const state = values.get('state');
  if (state === undefined) return refused(START_AGAIN);
  const opened = await openSealed('state', state, deps.registrations);
  if (opened === undefined || isExpired(opened.value.expiresAt)) return refused(START_AGAIN);
  const { redirectUri, clientState, scope } = opened.value;
  // The allow list may have changed since the sign-in began.
  if (!deps.config.redirectUris.has(redirectUri)) {
    return refused('The application this sign-in would return to is no longer allowed by this token broker.');
  }
  audit.clientSecretExpiresAt = opened.registration.clientSecretExpiresAt;
  const back = (params: Record<string, string | undefined>): Answer => redirectTo(redirectUri, { ...params, state: clientState, iss: issuer });

  const [firstRepeated] = repeated;
  if (firstRepeated !== undefined) {
    return back({ error: 'invalid_request', error_description: 'SSO OIDC sent a parameter more than once.' });
  }
  const error = values.get('error');
  if (error !== undefined) {
    // Only what RFC 6749 §4.1.2.1 allows reaches the client, under the broker's `iss`: a registered
    // code (else server_error), a description in its character set, an https error_uri.
    if (!AUTHORIZATION_ERRORS.has(error)) {
      return back({ error: 'server_error', error_description: 'SSO OIDC answered with an error that is not an RFC 6749 authorization error code.' });
    }
    return back({ error, error_description: errorDescription(values.get('error_description')), error_uri: errorUri(values.get('error_uri')) });
  }
  const code = values.get('code');
  if (code === undefined) {
    return back({ error: 'server_error', error_description: 'SSO OIDC answered with neither a code nor an error.' });
  }
  return back({ code: sealCode(code, redirectUri, scope, opened.registration, opened.value.forSession === true) });
}
