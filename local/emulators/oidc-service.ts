// What the SSO OIDC emulator does behind its routes: registered clients, authorization codes,
// device authorizations, and CreateToken for the three grant types, with the service's checks in
// the service's order. Each sign-in starts a session in the TokenStore, which owns the tokens.

import { createHash, randomInt } from 'node:crypto';
import {
  ALL_GRANT_TYPES,
  AUTHORIZATION_CODE,
  DEVICE_CODE,
  OidcError,
  PageError,
  REFRESH_TOKEN,
  invalidGrant,
  invalidRequest,
  optionalString,
  parseTokenRequest,
  type AuthorizeInput,
  type RegisterClientInput,
  type TokenRequest,
} from './oidc-wire.js';
import { randomToken, type TokenStore } from './tokens.js';

/** The user every approved sign-in stands for; its claims end up in the idToken (with `idToken: true`). */
export const DEMO_USER = { sub: 'demo-user-0001', email: 'demo.user@example.com' } as const;

const CODE_LIFETIME_MS = 10 * 60 * 1000;

export type KmsState = 'ok' | 'disabled' | 'access_denied';

export interface RegisterClientOutput {
  clientId: string;
  clientSecret: string;
  clientIdIssuedAt: number;
  clientSecretExpiresAt: number;
  authorizationEndpoint: string;
  tokenEndpoint: string;
}

export interface OidcServiceSettings {
  /** The emulator's URL: endpoints, verification URIs and the idToken's issuer are under it. */
  readonly url: string;
  readonly now: () => number;
  readonly tokens: TokenStore;
  readonly supportedGrantTypes: readonly string[];
  readonly deviceCodeExpiresInSeconds: number;
  readonly deviceIntervalSeconds: number;
  readonly accessTokenExpiresInSeconds: number;
  readonly refreshTokenLifetimeSeconds: number;
  readonly registrationLifetimeSeconds: number;
  readonly rotateRefreshTokens: boolean;
  readonly idToken: boolean;
}

export interface Client {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly clientName: string;
  readonly grantTypes: readonly string[];
  /** Undefined when the client registered no scopes: then any scope is allowed. */
  readonly scopes: readonly string[] | undefined;
  readonly redirectUris: readonly string[];
  expiresAtSeconds: number;
}

interface AuthorizationCode {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string | undefined;
  readonly issuedAt: number;
  used: boolean;
}

export interface DeviceAuthorization {
  readonly clientId: string;
  readonly clientName: string;
  readonly userCode: string;
  readonly issuedAt: number;
  status: 'pending' | 'approved' | 'denied' | 'redeemed';
  lastPollAt: number | undefined;
}

export class OidcService {
  readonly #settings: OidcServiceSettings;
  readonly #now: () => number;
  readonly #tokens: TokenStore;
  readonly #supportedGrantTypes: ReadonlySet<string>;
  readonly #clients = new Map<string, Client>();
  readonly #codes = new Map<string, AuthorizationCode>();
  readonly #devices = new Map<string, DeviceAuthorization>();
  /** userCode -> deviceCode */
  readonly #userCodes = new Map<string, string>();
  kmsState: KmsState = 'ok';

  constructor(settings: OidcServiceSettings) {
    this.#settings = settings;
    this.#now = settings.now;
    this.#tokens = settings.tokens;
    this.#supportedGrantTypes = new Set(settings.supportedGrantTypes);
  }

  /** Ends the registration now: its secret stops working, as after clientSecretExpiresAt. */
  expireClient(clientId: string): void {
    const client = this.#clients.get(clientId);
    if (client === undefined) throw new Error('Unknown client');
    client.expiresAtSeconds = Math.floor(this.#now() / 1000);
  }

  registerClient(input: RegisterClientInput): RegisterClientOutput {
    const grantTypes = input.grantTypes ?? [DEVICE_CODE, REFRESH_TOKEN];
    const redirectUris = input.redirectUris ?? [];
    if (input.clientName === '') throw new OidcError('InvalidClientMetadataException', 'clientName is required');
    if (input.clientType !== 'public') {
      throw new OidcError('InvalidClientMetadataException', 'clientType must be public');
    }
    if (grantTypes.some((grantType) => !ALL_GRANT_TYPES.includes(grantType))) {
      throw new OidcError('InvalidClientMetadataException', 'Invalid grant type requested');
    }
    if (grantTypes.includes(AUTHORIZATION_CODE) && redirectUris.length === 0) {
      throw new OidcError('InvalidClientMetadataException', 'redirectUris are required for authorization_code');
    }
    if (redirectUris.some((uri) => !isAbsoluteUri(uri))) {
      throw new OidcError('InvalidRedirectUriException', 'Invalid redirect URI provided');
    }
    const issuedAt = Math.floor(this.#now() / 1000);
    const client: Client = {
      clientId: randomToken('client-', 16),
      clientSecret: randomToken('secret-', 48),
      clientName: input.clientName,
      grantTypes: [...grantTypes],
      scopes: input.scopes === undefined ? undefined : [...input.scopes],
      redirectUris: [...redirectUris],
      expiresAtSeconds: issuedAt + this.#settings.registrationLifetimeSeconds,
    };
    this.#clients.set(client.clientId, client);
    return {
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      clientIdIssuedAt: issuedAt,
      clientSecretExpiresAt: client.expiresAtSeconds,
      authorizationEndpoint: `${this.#settings.url}/authorize`,
      tokenEndpoint: `${this.#settings.url}/token`,
    };
  }

  /** Issues an authorization code as an approved /authorize would. */
  authorize(input: AuthorizeInput): string {
    const client = this.checkAuthorize(input);
    const code = randomToken('code-', 32);
    this.#codes.set(code, {
      clientId: client.clientId,
      redirectUri: input.redirectUri,
      codeChallenge: input.codeChallenge,
      issuedAt: this.#now(),
      used: false,
    });
    return code;
  }

  /** Checks made before anything is redirected anywhere: never redirect to an unregistered URI. */
  checkAuthorize(input: AuthorizeInput): Client {
    const client = this.#clients.get(input.clientId);
    if (client === undefined || this.#now() >= client.expiresAtSeconds * 1000) throw new PageError('Unknown client');
    if (!client.grantTypes.includes(AUTHORIZATION_CODE)) throw new PageError('Client is not registered for authorization_code');
    if (!client.redirectUris.some((registered) => redirectUriMatches(registered, input.redirectUri))) {
      throw new PageError('redirect_uri is not registered for this client');
    }
    const allowed = client.scopes;
    if (allowed !== undefined && input.scopes?.some((scope) => !allowed.includes(scope))) {
      throw new PageError('A requested scope is not registered for this client');
    }
    return client;
  }

  /** The device authorization a user code names, while it waits for the user's decision. */
  pendingDevice(userCode: string): DeviceAuthorization {
    const deviceCode = this.#userCodes.get(userCode);
    const device = deviceCode === undefined ? undefined : this.#devices.get(deviceCode);
    if (device === undefined || device.status !== 'pending' || this.#deviceExpired(device)) {
      throw new PageError('This code is not valid or has expired');
    }
    return device;
  }

  startDeviceAuthorization(json: Record<string, unknown> | undefined): Record<string, unknown> {
    const body = json ?? invalidRequest('Invalid JSON body');
    const [clientId, clientSecret, startUrl] = ['clientId', 'clientSecret', 'startUrl'].map((key) => optionalString(body, key));
    const client = this.#authenticate(clientId, clientSecret);
    this.#checkKms();
    if (startUrl === undefined || startUrl === '') invalidRequest('startUrl is required');
    if (!client.grantTypes.includes(DEVICE_CODE)) {
      throw new OidcError('UnauthorizedClientException', 'Client is not authorized for the device code grant');
    }
    const deviceCode = randomToken('device-', 32);
    const userCode = this.#newUserCode();
    this.#devices.set(deviceCode, {
      clientId: client.clientId,
      clientName: client.clientName,
      userCode,
      issuedAt: this.#now(),
      status: 'pending',
      lastPollAt: undefined,
    });
    this.#userCodes.set(userCode, deviceCode);
    return {
      deviceCode,
      userCode,
      verificationUri: `${this.#settings.url}/device`,
      verificationUriComplete: `${this.#settings.url}/device?user_code=${userCode}`,
      expiresIn: this.#settings.deviceCodeExpiresInSeconds,
      interval: this.#settings.deviceIntervalSeconds,
    };
  }

  createToken(json: Record<string, unknown> | undefined): Record<string, unknown> {
    const request = parseTokenRequest(json);
    if (!this.#supportedGrantTypes.has(request.grantType)) {
      throw new OidcError('UnsupportedGrantTypeException', 'Unsupported grant type');
    }
    const client = this.#authenticate(request.clientId, request.clientSecret);
    this.#checkKms();
    if (!client.grantTypes.includes(request.grantType)) {
      throw new OidcError('UnauthorizedClientException', 'Client is not authorized for this grant type');
    }
    const allowed = client.scopes;
    if (allowed !== undefined && request.scope?.some((scope) => !allowed.includes(scope))) {
      throw new OidcError('InvalidScopeException', 'Invalid scope requested');
    }
    switch (request.grantType) {
      case AUTHORIZATION_CODE:
        return this.#redeemCode(client, request);
      case REFRESH_TOKEN:
        return this.#refresh(client, request);
      default:
        return this.#redeemDeviceCode(client, request);
    }
  }

  #redeemCode(client: Client, request: TokenRequest): Record<string, unknown> {
    if (request.code === undefined) invalidRequest('code is required');
    const code = this.#codes.get(request.code);
    if (code === undefined || code.used) throw invalidGrant('Invalid authorization code provided');
    // Single use: the first presentation consumes the code, whatever happens next.
    code.used = true;
    if (code.clientId !== client.clientId || this.#now() - code.issuedAt >= CODE_LIFETIME_MS) {
      throw invalidGrant('Invalid authorization code provided');
    }
    if (request.redirectUri !== code.redirectUri) throw invalidGrant('Redirect URI mismatch');
    if (code.codeChallenge !== undefined) {
      if (request.codeVerifier === undefined) invalidRequest('codeVerifier is required');
      if (s256(request.codeVerifier) !== code.codeChallenge) throw invalidGrant('Code verifier mismatch');
    }
    return this.#signIn(client, this.#settings.idToken);
  }

  #refresh(client: Client, request: TokenRequest): Record<string, unknown> {
    if (request.refreshToken === undefined) invalidRequest('refreshToken is required');
    const record = this.#tokens.refreshToken(request.refreshToken);
    // A session ended by the access portal's Logout takes all its refresh tokens with it.
    if (record === undefined || record.revoked || record.clientId !== client.clientId || record.session.endedAt !== undefined) {
      throw invalidGrant('Invalid refresh token provided');
    }
    if (this.#now() - record.issuedAt >= this.#settings.refreshTokenLifetimeSeconds * 1000) {
      throw new OidcError('ExpiredTokenException', 'Refresh token has expired');
    }
    const tokens: Record<string, unknown> = {
      accessToken: this.#tokens.issueAccessToken(record.session),
      tokenType: 'Bearer',
      expiresIn: this.#settings.accessTokenExpiresInSeconds,
    };
    if (this.#settings.rotateRefreshTokens) {
      record.revoked = true;
      tokens['refreshToken'] = this.#tokens.issueRefreshToken(record.session);
    }
    return tokens;
  }

  #redeemDeviceCode(client: Client, request: TokenRequest): Record<string, unknown> {
    if (request.deviceCode === undefined) invalidRequest('deviceCode is required');
    const device = this.#devices.get(request.deviceCode);
    if (device === undefined || device.status === 'redeemed' || device.clientId !== client.clientId) {
      throw invalidGrant('Invalid device code provided');
    }
    const now = this.#now();
    if (this.#deviceExpired(device)) throw new OidcError('ExpiredTokenException', 'Device code has expired');
    if (device.status === 'denied') throw new OidcError('AccessDeniedException', 'Access denied by the user');
    if (device.status === 'pending') {
      const tooSoon = device.lastPollAt !== undefined && now - device.lastPollAt < this.#settings.deviceIntervalSeconds * 1000;
      device.lastPollAt = now;
      if (tooSoon) throw new OidcError('SlowDownException', 'Client is polling too quickly');
      throw new OidcError('AuthorizationPendingException', 'Authorization is still pending');
    }
    device.status = 'redeemed';
    return this.#signIn(client, false);
  }

  /** A completed sign-in: a new session and its first tokens. */
  #signIn(client: Client, withIdToken: boolean): Record<string, unknown> {
    const session = this.#tokens.startSession(client.clientId);
    return {
      accessToken: this.#tokens.issueAccessToken(session),
      tokenType: 'Bearer',
      expiresIn: this.#settings.accessTokenExpiresInSeconds,
      ...(client.grantTypes.includes(REFRESH_TOKEN) ? { refreshToken: this.#tokens.issueRefreshToken(session) } : {}),
      ...(withIdToken ? { idToken: this.#idToken(client) } : {}),
    };
  }

  /** An unsigned JWT (alg "none"): the broker must not trust it, only pass it on. */
  #idToken(client: Client): string {
    const iat = Math.floor(this.#now() / 1000);
    const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    const exp = iat + this.#settings.accessTokenExpiresInSeconds;
    const claims = { iss: this.#settings.url, sub: DEMO_USER.sub, aud: client.clientId, iat, exp, email: DEMO_USER.email };
    return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
  }

  #authenticate(clientId: string | undefined, clientSecret: string | undefined): Client {
    const client = clientId === undefined ? undefined : this.#clients.get(clientId);
    if (client === undefined || client.clientSecret !== clientSecret) {
      throw new OidcError('InvalidClientException', 'Invalid client provided');
    }
    if (this.#now() >= client.expiresAtSeconds * 1000) {
      throw new OidcError('InvalidClientException', 'Client registration has expired');
    }
    return client;
  }

  #checkKms(): void {
    if (this.kmsState === 'disabled') {
      throw new OidcError('InvalidRequestException', 'The KMS key is disabled', 'KMS_DisabledException');
    }
    if (this.kmsState === 'access_denied') {
      throw new OidcError('AccessDeniedException', 'Access to the KMS key was denied', 'KMS_AccessDeniedException');
    }
  }

  #deviceExpired(device: DeviceAuthorization): boolean {
    return this.#now() - device.issuedAt >= this.#settings.deviceCodeExpiresInSeconds * 1000;
  }

  #newUserCode(): string {
    // Letters people cannot confuse with each other or with digits, as device-flow codes usually use.
    const alphabet = 'BCDFGHJKLMNPQRSTVWXZ';
    const letters = (): string => Array.from({ length: 4 }, () => alphabet[randomInt(alphabet.length)]).join('');
    let code: string;
    do code = `${letters()}-${letters()}`;
    while (this.#userCodes.has(code));
    return code;
  }
}

/**
 * Exact match, except that a loopback IP redirect URI matches on any port (RFC 8252 §7.3), as the
 * service does: the AWS CLI registers http://127.0.0.1/oauth/callback and signs in with
 * http://127.0.0.1:<port>/oauth/callback (awscli/botocore/utils.py, SSOTokenFetcherAuth).
 */
function redirectUriMatches(registered: string, presented: string): boolean {
  if (registered === presented) return true;
  if (!URL.canParse(registered) || !URL.canParse(presented)) return false;
  const [a, b] = [new URL(registered), new URL(presented)];
  const loopback = (url: URL): boolean => url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === '[::1]');
  if (!loopback(a) || !loopback(b) || a.port !== '') return false;
  b.port = '';
  return a.href === b.href && !presented.includes('#');
}

/** RFC 3986 absolute-URI: a scheme, and no fragment (which RFC 6749 forbids in redirect URIs). */
function isAbsoluteUri(uri: string): boolean {
  return URL.canParse(uri) && !uri.includes('#');
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}
