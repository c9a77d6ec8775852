// The route table's columns for people (lambda/edge/routes.ts has the rest of each row): each
// route's note in `npm start`'s banner and the reason it needs no API Gateway authorizer (cdk-nag
// AwsSolutions-APIG4), read by local/start.ts and the CDK construct, never by the function, so the
// function's bundle leaves them out (about 3.5 KB). Typed complete: every route of the table has a row.

import type { RouteId } from './routes.js';

/** The table's columns for people: read by `npm start`'s banner and the CDK construct, never by the function. */
export interface RouteDocs {
  /** What the route is for, in `npm start`'s banner. */
  readonly note: string;
  /** Why the route has no API Gateway authorizer (cdk-nag AwsSolutions-APIG4). */
  readonly publicBecause: string;
}

const SESSION_PORTAL =
  'The AWS access portal for cookie sessions: the credential is the encrypted HttpOnly session cookie holding the ' +
  'access token, opened and authenticated by the function, which also enforces the CSRF header, the session origins ' +
  'and the role policy (TOKEN_BROKER_PORTAL_ROLES) before the portal is called.';

/** Each route's banner note and why it needs no authorizer. */
export const ROUTE_DOCS: { readonly [K in RouteId]: RouteDocs } = {
  token: {
    note: 'CreateToken without the secret (JSON, camelCase members)',
    publicBecause:
      'An OAuth token endpoint for public clients: like SSO OIDC CreateToken itself (unsigned, noAuth), callers ' +
      'prove themselves with the authorization code and PKCE verifier, the refresh token or the device code. The ' +
      'function enforces the origin list, body limits and redirect URIs; default-stage throttling bounds abuse.',
  },
  client: {
    note: 'the client id and authorize endpoint, for frontends',
    publicBecause:
      'Returns only the public half of the registration (clientId, authorization endpoint), which a frontend needs ' +
      'before any user has signed in, so there is no credential to check; the clientSecret never leaves the function.',
  },
  preflight: {
    note: 'CORS preflight, any path',
    publicBecause:
      'CORS preflight requests carry no credentials by definition (Fetch standard); the function answers them from ' +
      'the allowed-origins list and they never reach SSO OIDC.',
  },
  deviceAuthorization: {
    note: 'StartDeviceAuthorization (device grant)',
    publicBecause:
      'Starts a device authorization for a public client, like SSO OIDC StartDeviceAuthorization itself (unsigned, ' +
      'noAuth): the caller has no credentials yet, that is what the flow obtains. Throttled at the stage.',
  },
  oauthMetadata: {
    note: 'front door: the same metadata, at its RFC 8414 name',
    publicBecause:
      'RFC 8414 authorization server metadata: public by definition (clients read it before they have anything), ' +
      'built from configuration only.',
  },
  openidConfiguration: {
    note: 'front door: metadata (RFC 8414; also at /.well-known/oauth-authorization-server)',
    publicBecause:
      'The same RFC 8414 metadata at the name OIDC libraries read: public by definition, built from configuration only.',
  },
  oauthAuthorize: {
    note: 'front door: authorization endpoint (code + PKCE S256)',
    publicBecause:
      "The front door's authorization endpoint (RFC 6749 section 4.1.1): a browser navigation before anyone has " +
      'signed in, so there is no credential to check; the function allows only listed redirect URIs and requires PKCE.',
  },
  oauthCallback: {
    note: 'front door: where SSO OIDC sends the browser back',
    publicBecause:
      'Where SSO OIDC sends the browser back after sign-in: a navigation carrying a code and a state the function ' +
      'sealed itself (AES-GCM); anything it cannot open is refused with a page, never redirected.',
  },
  oauthToken: {
    note: 'front door: token endpoint (form-encoded, RFC 6749)',
    publicBecause:
      "The front door's token endpoint for public clients (RFC 6749 section 3.2, client authentication \"none\"): " +
      'callers prove themselves with the sealed code and PKCE verifier, the sealed refresh token or device code. ' +
      'The function enforces the origin list and body limits; default-stage throttling bounds abuse.',
  },
  oauthDeviceAuthorization: {
    note: 'front door: device authorization (RFC 8628)',
    publicBecause:
      'Starts a device authorization for a public client (RFC 8628 section 3.1), like SSO OIDC ' +
      'StartDeviceAuthorization itself: the caller has no credentials yet. Throttled at the stage.',
  },
  oauthRevoke: {
    note: 'front door: token revocation (RFC 7009), ends the IAM Identity Center session',
    publicBecause:
      "The front door's revocation endpoint for public clients (RFC 7009 section 2.1): the token to revoke is the " +
      'credential. The function sends it only to the AWS access portal\'s Logout (a sealed refresh token first ' +
      'redeemed once with SSO OIDC), answers nothing about it, and enforces the origin list and body limits.',
  },
  portalAccounts: {
    note: 'access portal: ListAccounts (accounts with a role the policy allows)',
    publicBecause:
      'Passes the AWS access portal\'s ListAccounts through: like the portal itself (unsigned, noAuth), the caller ' +
      'proves itself with the IAM Identity Center access token in x-amz-sso_bearer_token, which the portal checks. ' +
      'The function checks the input, applies the role policy and enforces the origin list; throttled at the stage.',
  },
  portalRoles: {
    note: 'access portal: ListAccountRoles (only the roles the policy allows)',
    publicBecause:
      'Passes the AWS access portal\'s ListAccountRoles through: the credential is the IAM Identity Center access ' +
      'token the portal checks (unsigned, noAuth, as the portal itself); the function answers only the roles its role ' +
      'policy allows and enforces the origin list.',
  },
  portalCredentials: {
    note: 'access portal: GetRoleCredentials (refused outside the role policy)',
    publicBecause:
      'Passes the AWS access portal\'s GetRoleCredentials through for the roles of the role policy only (others are ' +
      'refused before any call): the credential is the IAM Identity Center access token the portal checks, as for ' +
      'the portal itself (unsigned, noAuth); the origin list is enforced.',
  },
  portalLogout: {
    note: 'access portal: Logout (ends the IAM Identity Center session)',
    publicBecause:
      'Passes the AWS access portal\'s Logout through: the credential is the access token of the session it ends, ' +
      'checked by the portal (unsigned, noAuth, as the portal itself); the origin list is enforced.',
  },
  bffLoginStart: {
    note: 'cookie sessions: begin a sign-in (the SPA gets the authorize URL)',
    publicBecause:
      'Starts a browser sign-in for a user who has no credential yet: the function makes the PKCE verifier and state ' +
      'itself and keeps them in a sealed login cookie; the CSRF header, origin list and JSON content type are enforced.',
  },
  bffLoginEnd: {
    note: 'cookie sessions: finish it; the session (SSO OIDC\u2019s tokens, sealed) goes into HttpOnly cookies',
    publicBecause:
      'Finishes a browser sign-in: the caller proves itself with the authorization code and the sealed login cookie ' +
      '(state and PKCE verifier) set by login/start, under the CSRF header, origin list and JSON content type rules.',
  },
  bffSession: {
    note: 'cookie sessions: whether the user is signed in',
    publicBecause:
      'Tells a page whether its browser holds a session: the credential is the encrypted HttpOnly session cookie, ' +
      'authenticated (AES-GCM) by the function; the custom CSRF header forces a CORS preflight from other origins.',
  },
  bffRefresh: {
    note: 'cookie sessions: a new access token',
    publicBecause:
      'Refreshes an access token: the credential is the encrypted HttpOnly session cookie holding the refresh token, ' +
      'opened and authenticated by the function, which also enforces the CSRF header and the origin allow list.',
  },
  bffLogout: {
    note: 'cookie sessions: sign out (the portal\u2019s Logout with the session\u2019s token, when on) and clear the cookies',
    publicBecause:
      'Signs the calling browser out: the credential is the encrypted HttpOnly session cookie, whose access token ' +
      'the function sends to the portal\u2019s Logout when the portal is on; it returns no credential, and the CSRF ' +
      'header with the origin allow list keeps other sites from logging a user out.',
  },
  bffApi: {
    note: 'cookie sessions: call an API of TOKEN_BROKER_APIS with the session\u2019s access token',
    publicBecause:
      'A bearer proxy for cookie sessions: the credential is the encrypted HttpOnly session cookie, opened and ' +
      'authenticated by the function, which also enforces the CSRF header, the session origins, the API allow list, ' +
      'its methods and a header allow list; the API itself checks the bearer token the function adds.',
  },
  bffPortalAccounts: {
    note: 'cookie sessions: ListAccounts (the role policy applies), with the session\u2019s access token',
    publicBecause: SESSION_PORTAL,
  },
  bffPortalRoles: {
    note: 'cookie sessions: ListAccountRoles (the role policy applies)',
    publicBecause: SESSION_PORTAL,
  },
  bffPortalCredentials: {
    note: 'cookie sessions: GetRoleCredentials (the role policy applies)',
    publicBecause: SESSION_PORTAL,
  },
};
