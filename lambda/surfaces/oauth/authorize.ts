// GET /oauth2/authorize (RFC 6749 §4.1.1, RFC 7636 §4.3): checks a standard authorization request
// and sends the browser on to SSO OIDC's /authorize in SSO OIDC's own dialect, with the broker's
// registered client, its own callback as redirect URI, and the client's redirect URI and state
// sealed into the `state` it sends (so the callback needs no server-side storage).
// Never an open redirector: until the redirect URI is known to be on the allow list, every problem
// is a page; after that, problems go back to the client's redirect URI (RFC 6749 §4.1.2.1).

import type { Audit } from '../../core/audit.js';
import { ENV } from '../../core/config.js';
import type { FrontDoorDeps } from '../../core/front-door-grants.js';
import { invalidRequest } from '../../core/errors.js';
import { isSessionRedirectUri, upstreamAuthorizeUrl } from '../../core/sign-in.js';
import { clip, parseParameters, PKCE_CHARACTERS, PKCE_VALUE, refusedRedirectUri, scopeParameter, sentTwice } from '../../core/validation.js';
import type { Answer } from '../answer.js';
import { redirectTo } from './shared.js';

const MAX_STATE_CHARS = 1024;

/** A refusal before the redirect URI is known good: the edge writes it as a page (the route's error format). */
const refused = (message: string): never => {
  throw invalidRequest(message);
};

export async function authorize(rawQuery: string | undefined, deps: FrontDoorDeps, audit: Audit): Promise<Answer> {
  const { config, issuer } = deps;
  audit.grantType = 'authorize';
  const { values, repeated } = parseParameters(rawQuery);

  // Before the redirect URI is validated: a page, never a redirect (RFC 6749 §4.1.2.1).
  if (config.redirectUris.size === 0) {
    return refused(`This token broker allows no redirect URI yet: list your application's redirect URIs in ${ENV.redirectUris}.`);
  }
  for (const name of ['client_id', 'redirect_uri']) {
    if (repeated.has(name)) return refused(sentTwice(name));
  }
  const clientId = values.get('client_id');
  if (clientId === undefined) return refused('The parameter "client_id" is required (RFC 6749 section 4.1.1).');
  const registration = await deps.registrations.get();
  audit.clientSecretExpiresAt = registration.clientSecretExpiresAt;
  if (clientId !== config.publicClientId && clientId !== registration.clientId) {
    return refused(`The client_id "${clip(clientId)}" is not a client of this token broker.`);
  }
  const redirectUri = values.get('redirect_uri');
  if (redirectUri === undefined) return refused('The parameter "redirect_uri" is required by this token broker.');
  // Exact string match (RFC 6749 §3.1.2.3): no case folding, no normalisation, no prefixes.
  if (!config.redirectUris.has(redirectUri)) {
    return refused(`The redirect_uri is not one this token broker allows${refusedRedirectUri(redirectUri, config.redirectUris, ENV.redirectUris)}`);
  }
  // A redirect URI on a cookie-session origin is reserved for the broker's own cookie sessions: a
  // public client's code sent there could be redeemed by page script on that origin.
  if (isSessionRedirectUri(redirectUri, config.cookieSessions?.origins)) {
    return refused(
      `The redirect_uri is on a cookie-session origin (${ENV.sessionOrigins}): sign-ins to it start at the broker's cookie sessions, not at this endpoint.`,
    );
  }

  // From here on the client hears about problems at its redirect URI, with its state and our issuer.
  const state = values.get('state');
  const fail = (error: string, description: string): Answer =>
    redirectTo(redirectUri, { error, error_description: description, state, iss: issuer });
  const [firstRepeated] = repeated;
  if (firstRepeated !== undefined) {
    return fail('invalid_request', sentTwice(clip(firstRepeated)));
  }
  if (state !== undefined && state.length > MAX_STATE_CHARS) {
    return fail('invalid_request', `The parameter "state" is longer than ${MAX_STATE_CHARS} characters.`);
  }
  const responseType = values.get('response_type');
  if (responseType === undefined) return fail('invalid_request', 'The parameter "response_type" is required.');
  if (responseType !== 'code') return fail('unsupported_response_type', 'Only response_type=code is supported.');
  const responseMode = values.get('response_mode');
  if (responseMode !== undefined && responseMode !== 'query') {
    return fail('invalid_request', 'Only response_mode=query is supported.');
  }
  const codeChallenge = values.get('code_challenge');
  const method = values.get('code_challenge_method');
  if (codeChallenge === undefined) {
    return fail('invalid_request', 'PKCE is required: send code_challenge and code_challenge_method=S256 (RFC 7636 section 4.3).');
  }
  if (method !== 'S256') {
    return fail('invalid_request', 'code_challenge_method must be S256 (RFC 7636 section 4.3): plain is not supported.');
  }
  if (!PKCE_VALUE.test(codeChallenge)) {
    return fail('invalid_request', `code_challenge must be ${PKCE_CHARACTERS} (RFC 7636 section 4.2).`);
  }
  const scopes = scopeParameter(values.get('scope'));
  if ('problem' in scopes) return fail('invalid_scope', scopes.problem);

  const location = await upstreamAuthorizeUrl({ redirectUri, ...(state === undefined ? {} : { clientState: state }), scopes, codeChallenge, forSession: false }, deps, audit);
  return { statusCode: 302, location };
}
