// The token, device authorization and revocation requests of standard clients (RFC 6749 §3.2,
// §4.1.3, §6; RFC 8628 §3.1, §3.4; RFC 7009 §2.1): form-encoded, snake_case, public clients only.
// Turns a form into a request the front door may act on, or the RFC 6749 §5.2 error that names what
// is wrong. Nothing that fails here reaches an upstream service, and no value from the form is ever
// quoted back except a short grant type.

import { GRANT_TYPES, type BrokerConfig, type GrantType } from '../../core/config.js';
import { brokerError, invalidRequest } from '../../core/errors.js';
import {
  checkFormContentType,
  clip,
  parseParameters,
  PKCE_CHARACTERS,
  PKCE_VALUE,
  refuseRepeated,
  requiredParameter as required,
} from '../../core/validation.js';

type FrontDoorTokenRequest =
  | { readonly grantType: typeof GRANT_TYPES.authorizationCode; readonly clientId: string; readonly code: string; readonly redirectUri: string; readonly codeVerifier: string }
  | { readonly grantType: typeof GRANT_TYPES.refreshToken; readonly clientId: string; readonly refreshToken: string; readonly scope?: string }
  | { readonly grantType: typeof GRANT_TYPES.deviceCode; readonly clientId: string; readonly deviceCode: string };

interface FrontDoorDeviceRequest {
  readonly clientId: string;
  readonly scope?: string;
}

interface FormRequest {
  readonly body: string | undefined;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/** Parameters by which a client authenticates in the form body. */
const CLIENT_AUTHENTICATION = ['client_secret', 'client_assertion', 'client_assertion_type'] as const;

/**
 * The form's parameters once the client is known to be a public client: RFC 6749 §2.3 client
 * authentication is refused (the broker holds the only secret), with invalid_client as §5.2 says.
 */
function publicClientForm(request: FormRequest): ReadonlyMap<string, string> {
  if (request.headers.authorization !== undefined) {
    throw brokerError(
      'InvalidClientException',
      'This token endpoint serves public clients only (token_endpoint_auth_method "none"): send no Authorization header, only client_id.',
    );
  }
  checkFormContentType(request.headers['content-type']);
  const parameters = parseParameters(request.body);
  // RFC 6749 §3.2: parameters must not be included more than once.
  refuseRepeated(parameters);
  const { values } = parameters;
  // Client authentication in the body: a secret (RFC 6749 §2.3.1) or an assertion (RFC 7521 §4.2,
  // RFC 7523 §2.2). Either is refused alike, each assertion parameter even without its partner.
  const authentication = CLIENT_AUTHENTICATION.find((name) => values.has(name));
  if (authentication !== undefined) {
    throw brokerError(
      'InvalidClientException',
      `This token endpoint serves public clients only (token_endpoint_auth_method "none"): send no ${authentication}, only client_id.`,
    );
  }
  return values;
}

export function parseTokenForm(request: FormRequest, config: BrokerConfig): FrontDoorTokenRequest {
  const values = publicClientForm(request);
  const grant = required(values, 'grant_type', '(RFC 6749 section 4.1.3)');
  if (!(config.grantTypes as ReadonlySet<string>).has(grant)) {
    throw brokerError('UnsupportedGrantTypeException', `The grant type "${clip(grant)}" is not enabled on this broker.`);
  }
  // RFC 6749 §3.2.1: a public client names itself with client_id.
  const clientId = required(values, 'client_id', 'for a public client (RFC 6749 section 3.2.1)');
  switch (grant as GrantType) {
    case GRANT_TYPES.authorizationCode: {
      const why = 'for the authorization_code grant (RFC 6749 section 4.1.3)';
      const code = required(values, 'code', why);
      const redirectUri = required(values, 'redirect_uri', why);
      const codeVerifier = required(values, 'code_verifier', 'for the authorization_code grant: PKCE is mandatory (RFC 7636 section 4.5)');
      if (!PKCE_VALUE.test(codeVerifier)) {
        throw invalidRequest(`code_verifier must be ${PKCE_CHARACTERS} (RFC 7636 section 4.1).`);
      }
      return { grantType: GRANT_TYPES.authorizationCode, clientId, code, redirectUri, codeVerifier };
    }
    case GRANT_TYPES.refreshToken: {
      const refreshToken = required(values, 'refresh_token', 'for the refresh_token grant (RFC 6749 section 6)');
      const scope = values.get('scope');
      return { grantType: GRANT_TYPES.refreshToken, clientId, refreshToken, ...(scope === undefined ? {} : { scope }) };
    }
    case GRANT_TYPES.deviceCode:
      return {
        grantType: GRANT_TYPES.deviceCode,
        clientId,
        deviceCode: required(values, 'device_code', 'for the device_code grant (RFC 8628 section 3.4)'),
      };
  }
}

export function parseDeviceForm(request: FormRequest): FrontDoorDeviceRequest {
  const values = publicClientForm(request);
  const clientId = required(values, 'client_id', 'for a public client (RFC 8628 section 3.1)');
  const scope = values.get('scope');
  return { clientId, ...(scope === undefined ? {} : { scope }) };
}

/** A revocation request (RFC 7009 §2.1): the token, its optional type hint, and the public client's id. */
interface RevocationRequest {
  readonly clientId: string;
  readonly token: string;
  readonly tokenTypeHint?: string;
}

/** More than any token this broker hands out (a sealed refresh token) or passes on (an access token). */
const MAX_TOKEN_CHARS = 10_240;

export function parseRevocationForm(request: FormRequest): RevocationRequest {
  const values = publicClientForm(request);
  // RFC 7009 §2.1 authenticates the client as the token endpoint does: a public client names itself (RFC 6749 §3.2.1).
  const clientId = required(values, 'client_id', 'for a public client (RFC 7009 section 2.1, RFC 6749 section 3.2.1)');
  const token = required(values, 'token', 'to revoke a token (RFC 7009 section 2.1)');
  // It may go on in a header: visible ASCII only.
  if (token.length > MAX_TOKEN_CHARS || !/^[\x21-\x7e]+$/.test(token)) {
    throw invalidRequest(`The parameter "token" must be 1 to ${MAX_TOKEN_CHARS} visible ASCII characters.`);
  }
  const tokenTypeHint = values.get('token_type_hint');
  return { clientId, token, ...(tokenTypeHint === undefined ? {} : { tokenTypeHint }) };
}
