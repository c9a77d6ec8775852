// A local stand-in for the AWS IAM Identity Center OIDC service (SSO OIDC), speaking its rest-json
// wire format as the real service does (see /work/shared/NOTES.md): RegisterClient,
// StartDeviceAuthorization and CreateToken for the three grant types, plus the browser pages of
// /authorize and /device that the real service's sign-in portal provides. Tests drive it through
// real SDK clients and control it through the methods below (clock, KMS state, faults, revocation).

import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HostedEmulator, LocalServer, parseJsonObject, readBody, send, type DelayFault, type DropFault } from './http.js';

export const AUTHORIZATION_CODE = 'authorization_code';
export const REFRESH_TOKEN = 'refresh_token';
export const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code';
const ALL_GRANT_TYPES = [AUTHORIZATION_CODE, REFRESH_TOKEN, DEVICE_CODE];

/** The user every approved sign-in stands for; its claims end up in the idToken (with `idToken: true`). */
export const DEMO_USER = { sub: 'demo-user-0001', email: 'demo.user@example.com' } as const;

const DAY_SECONDS = 86_400;
const CODE_LIFETIME_MS = 10 * 60 * 1000;
const ERROR_TYPE_SUFFIX = ':http://internal.amazon.com/coral/com.amazonaws.sso.oidc/';

// The service's error table, kept here rather than imported from lambda/errors.ts on purpose: the
// emulator stands for the service, so a mistake in the broker's table must not be mirrored here.
const ERRORS = {
  AccessDeniedException: [400, 'access_denied'],
  AuthorizationPendingException: [400, 'authorization_pending'],
  ExpiredTokenException: [400, 'expired_token'],
  InternalServerException: [500, 'server_error'],
  InvalidClientException: [401, 'invalid_client'],
  InvalidClientMetadataException: [400, 'invalid_client_metadata'],
  InvalidGrantException: [400, 'invalid_grant'],
  InvalidRedirectUriException: [400, 'invalid_redirect_uri'],
  InvalidRequestException: [400, 'invalid_request'],
  InvalidScopeException: [400, 'invalid_scope'],
  SlowDownException: [400, 'slow_down'],
  UnauthorizedClientException: [400, 'unauthorized_client'],
  UnsupportedGrantTypeException: [400, 'unsupported_grant_type'],
} as const satisfies Record<string, readonly [number, string]>;

type OidcErrorType = keyof typeof ERRORS;

export interface SsoOidcEmulatorOptions {
  port?: number;
  /** Clock in epoch milliseconds; tests pass a fake one to step through expiries and polling. */
  now?: () => number;
  /** Grant types CreateToken accepts at all (an older service knew fewer). Default: all three. */
  supportedGrantTypes?: string[];
  deviceCodeExpiresInSeconds?: number;
  deviceIntervalSeconds?: number;
  accessTokenExpiresInSeconds?: number;
  refreshTokenLifetimeSeconds?: number;
  registrationLifetimeSeconds?: number;
  /** When true a refresh returns a new refresh token and revokes the old one. */
  rotateRefreshTokens?: boolean;
  /** When true GET /authorize redirects at once, as if the demo user had signed in. */
  autoApprove?: boolean;
  /**
   * When true an authorization-code sign-in also returns an unsigned idToken with DEMO_USER's
   * claims, as this emulator used to. Default false: SSO OIDC documents idToken as "not implemented
   * or supported" (CreateToken's model), and the emulator follows the documented service.
   */
  idToken?: boolean;
}

export type KmsState = 'ok' | 'disabled' | 'access_denied';

/** A fault applies to the next request on `path` (default '/token'); faults queue up. */
export type SsoOidcFault = { readonly path?: string } & (
  | {
      readonly kind: 'error';
      readonly type: string;
      readonly status: number;
      readonly error?: string;
      readonly description?: string;
      readonly reason?: string;
    }
  | DelayFault
  | DropFault
  | { readonly kind: 'raw'; readonly status: number; readonly headers?: Record<string, string>; readonly body: string }
  /** Announce `body` in full (status, headers, Content-Length), send its first `bytes` bytes, then cut the connection. */
  | {
      readonly kind: 'truncate';
      readonly status: number;
      readonly headers?: Record<string, string>;
      readonly body: string;
      readonly bytes: number;
    }
  | { readonly kind: 'extraMembers'; readonly members: Record<string, unknown> }
);

/** What a request looked like, without any secret, code or token (a client id is public). */
export interface SsoOidcCall {
  readonly method: string;
  readonly path: string;
  readonly grantType?: string;
  readonly clientId?: string;
  readonly at: number;
}

export interface RegisterClientInput {
  clientName: string;
  clientType: string;
  scopes?: string[];
  grantTypes?: string[];
  redirectUris?: string[];
  issuerUrl?: string;
  entitledApplicationArn?: string;
}

export interface RegisterClientOutput {
  clientId: string;
  clientSecret: string;
  clientIdIssuedAt: number;
  clientSecretExpiresAt: number;
  authorizationEndpoint: string;
  tokenEndpoint: string;
}

export interface AuthorizeInput {
  clientId: string;
  redirectUri: string;
  codeChallenge?: string;
  scopes?: string[];
  /** Only used by the HTTP flow, which echoes it in the redirect. */
  state?: string;
}

interface Client {
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

interface RefreshTokenRecord {
  readonly clientId: string;
  readonly issuedAt: number;
  revoked: boolean;
}

interface DeviceAuthorization {
  readonly clientId: string;
  readonly clientName: string;
  readonly userCode: string;
  readonly issuedAt: number;
  status: 'pending' | 'approved' | 'denied' | 'redeemed';
  lastPollAt: number | undefined;
}

interface TokenRequest {
  clientId?: string;
  clientSecret?: string;
  grantType: string;
  code?: string;
  codeVerifier?: string;
  redirectUri?: string;
  refreshToken?: string;
  deviceCode?: string;
  scope?: string[];
}

interface Reply {
  status: number;
  headers?: Record<string, string>;
  json?: Record<string, unknown>;
  html?: string;
}

/** A modeled service error; becomes the JSON error answer. */
class OidcError extends Error {
  constructor(
    readonly type: OidcErrorType,
    readonly description: string,
    readonly reason?: string,
  ) {
    super(description);
    this.name = type;
  }
}

/** A problem on a browser page (/authorize, /device): a 400 HTML page, never a redirect. */
class PageError extends Error {
  override name = 'PageError';
}

export class SsoOidcEmulator extends HostedEmulator {
  readonly calls: SsoOidcCall[] = [];
  readonly #now: () => number;
  readonly #options: Required<Omit<SsoOidcEmulatorOptions, 'port' | 'now' | 'supportedGrantTypes'>>;
  readonly #supportedGrantTypes: ReadonlySet<string>;
  readonly #clients = new Map<string, Client>();
  readonly #codes = new Map<string, AuthorizationCode>();
  readonly #refreshTokens = new Map<string, RefreshTokenRecord>();
  readonly #devices = new Map<string, DeviceAuthorization>();
  /** userCode -> deviceCode */
  readonly #userCodes = new Map<string, string>();
  readonly #faults: SsoOidcFault[] = [];
  #kmsState: KmsState = 'ok';

  private constructor(host: LocalServer, options: SsoOidcEmulatorOptions) {
    super(host);
    this.#now = options.now ?? Date.now;
    this.#supportedGrantTypes = new Set(options.supportedGrantTypes ?? ALL_GRANT_TYPES);
    this.#options = {
      deviceCodeExpiresInSeconds: options.deviceCodeExpiresInSeconds ?? 600,
      deviceIntervalSeconds: options.deviceIntervalSeconds ?? 5,
      accessTokenExpiresInSeconds: options.accessTokenExpiresInSeconds ?? 3600,
      refreshTokenLifetimeSeconds: options.refreshTokenLifetimeSeconds ?? 90 * DAY_SECONDS,
      registrationLifetimeSeconds: options.registrationLifetimeSeconds ?? 90 * DAY_SECONDS,
      rotateRefreshTokens: options.rotateRefreshTokens ?? false,
      autoApprove: options.autoApprove ?? false,
      idToken: options.idToken ?? false,
    };
  }

  static async start(options: SsoOidcEmulatorOptions = {}): Promise<SsoOidcEmulator> {
    let emulator: SsoOidcEmulator | undefined;
    const host = await LocalServer.listen(options.port ?? 0, (req, res) => emulator!.#handle(req, res));
    emulator = new SsoOidcEmulator(host, options);
    return emulator;
  }


  // ---- test controls ------------------------------------------------------------------------

  setKmsState(state: KmsState): void {
    this.#kmsState = state;
  }

  /** Ends the registration now: its secret stops working, as after clientSecretExpiresAt. */
  expireClient(clientId: string): void {
    this.#client(clientId).expiresAtSeconds = Math.floor(this.#now() / 1000);
  }

  revokeRefreshToken(token: string): void {
    const record = this.#refreshTokens.get(token);
    if (record === undefined) throw new Error('Unknown refresh token');
    record.revoked = true;
  }

  /** Revokes every refresh token issued so far, as an administrator ending all sessions would. */
  revokeAllRefreshTokens(): void {
    for (const record of this.#refreshTokens.values()) record.revoked = true;
  }

  injectFault(fault: SsoOidcFault): void {
    this.#faults.push(fault);
  }

  callCount(path: string): number {
    return this.calls.filter((call) => call.path === path).length;
  }

  resetCalls(): void {
    this.calls.length = 0;
  }

  // ---- direct methods (the same logic as the HTTP routes) -------------------------------------

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
      expiresAtSeconds: issuedAt + this.#options.registrationLifetimeSeconds,
    };
    this.#clients.set(client.clientId, client);
    return {
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      clientIdIssuedAt: issuedAt,
      clientSecretExpiresAt: client.expiresAtSeconds,
      authorizationEndpoint: `${this.url}/authorize`,
      tokenEndpoint: `${this.url}/token`,
    };
  }

  /** Issues an authorization code as an approved /authorize would (for tests that skip the browser). */
  authorize(input: AuthorizeInput): string {
    const client = this.#checkAuthorize(input);
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

  approveDevice(userCode: string): void {
    this.#pendingDevice(userCode).status = 'approved';
  }

  denyDevice(userCode: string): void {
    this.#pendingDevice(userCode).status = 'denied';
  }

  // ---- HTTP -------------------------------------------------------------------------------------

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    const text = await readBody(req);
    const json = parseJsonObject(text);
    const grantType = url.pathname === '/token' ? json?.['grantType'] : undefined;
    const clientId = json?.['clientId'];
    this.calls.push({
      method,
      path: url.pathname,
      ...(typeof grantType === 'string' ? { grantType } : {}),
      ...(typeof clientId === 'string' ? { clientId } : {}),
      at: this.#now(),
    });

    // An error/drop/raw/truncate fault answers before the request is processed, so it changes no state: an
    // authorization code or device code sent with it stays usable. This models an upstream failure
    // in front of the service (load balancer, throttling). "Consumed, then failed" can be set up by
    // redeeming the code directly and injecting the fault for the next attempt.
    const fault = this.#takeFault(url.pathname);
    switch (fault?.kind) {
      case 'drop':
        req.socket.destroy();
        return;
      case 'raw':
        send(res, fault.status, fault.headers ?? {}, fault.body);
        return;
      case 'truncate': {
        const body = Buffer.from(fault.body, 'utf8');
        res.writeHead(fault.status, { ...fault.headers, 'Content-Length': String(body.length) });
        // Cut only once the partial body has been handed to the socket, so the caller really gets it.
        res.write(body.subarray(0, fault.bytes), () => req.socket.destroy());
        return;
      }
      case 'error':
        write(res, errorReply(fault.type, fault.status, fault.error ?? knownError(fault.type), fault.description, fault.reason));
        return;
      case 'delay':
        await this.host.delay(fault.ms);
        break;
    }
    const reply = this.#route(method, url, text, json);
    write(res, reply, fault?.kind === 'extraMembers' ? fault.members : undefined);
  }

  #takeFault(path: string): SsoOidcFault | undefined {
    const index = this.#faults.findIndex((fault) => (fault.path ?? '/token') === path);
    return index === -1 ? undefined : this.#faults.splice(index, 1)[0];
  }

  #route(method: string, url: URL, text: string, json: Record<string, unknown> | undefined): Reply {
    try {
      switch (`${method} ${url.pathname}`) {
        case 'POST /client/register':
          return { status: 200, json: { ...this.registerClient(parseRegisterInput(json)) } };
        case 'POST /device_authorization':
          return { status: 200, json: this.#startDeviceAuthorization(json) };
        case 'POST /token':
          return { status: 200, json: this.#createToken(json) };
        case 'GET /authorize':
          return this.#authorizePage(url.searchParams);
        case 'POST /authorize':
          return this.#authorizeDecision(new URLSearchParams(text));
        case 'GET /device':
          return this.#devicePage(url.searchParams);
        case 'POST /device':
          return this.#deviceDecision(new URLSearchParams(text));
        default:
          return { status: 404, json: { message: 'Not Found' } };
      }
    } catch (error) {
      if (error instanceof OidcError) {
        const [status, code] = ERRORS[error.type];
        return errorReply(error.type, status, code, error.description, error.reason);
      }
      if (error instanceof PageError) return { status: 400, html: page('Error', `<p>${escapeHtml(error.message)}</p>${pageErrorHint(error.message)}`) };
      // An emulator bug: say so in the service's own shape rather than hang the caller.
      return errorReply('InternalServerException', 500, 'server_error', `Emulator failure: ${String(error)}`);
    }
  }

  // ---- StartDeviceAuthorization / CreateToken -------------------------------------------------

  #startDeviceAuthorization(json: Record<string, unknown> | undefined): Record<string, unknown> {
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
      verificationUri: `${this.url}/device`,
      verificationUriComplete: `${this.url}/device?user_code=${userCode}`,
      expiresIn: this.#options.deviceCodeExpiresInSeconds,
      interval: this.#options.deviceIntervalSeconds,
    };
  }

  #createToken(json: Record<string, unknown> | undefined): Record<string, unknown> {
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
    return this.#issueTokens(client, this.#options.idToken);
  }

  #refresh(client: Client, request: TokenRequest): Record<string, unknown> {
    if (request.refreshToken === undefined) invalidRequest('refreshToken is required');
    const record = this.#refreshTokens.get(request.refreshToken);
    if (record === undefined || record.revoked || record.clientId !== client.clientId) {
      throw invalidGrant('Invalid refresh token provided');
    }
    if (this.#now() - record.issuedAt >= this.#options.refreshTokenLifetimeSeconds * 1000) {
      throw new OidcError('ExpiredTokenException', 'Refresh token has expired');
    }
    const tokens: Record<string, unknown> = {
      accessToken: randomToken('aoa', 48),
      tokenType: 'Bearer',
      expiresIn: this.#options.accessTokenExpiresInSeconds,
    };
    if (this.#options.rotateRefreshTokens) {
      record.revoked = true;
      tokens['refreshToken'] = this.#issueRefreshToken(client);
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
      const tooSoon = device.lastPollAt !== undefined && now - device.lastPollAt < this.#options.deviceIntervalSeconds * 1000;
      device.lastPollAt = now;
      if (tooSoon) throw new OidcError('SlowDownException', 'Client is polling too quickly');
      throw new OidcError('AuthorizationPendingException', 'Authorization is still pending');
    }
    device.status = 'redeemed';
    return this.#issueTokens(client, false);
  }

  #issueTokens(client: Client, withIdToken: boolean): Record<string, unknown> {
    return {
      accessToken: randomToken('aoa', 48),
      tokenType: 'Bearer',
      expiresIn: this.#options.accessTokenExpiresInSeconds,
      ...(client.grantTypes.includes(REFRESH_TOKEN) ? { refreshToken: this.#issueRefreshToken(client) } : {}),
      ...(withIdToken ? { idToken: this.#idToken(client) } : {}),
    };
  }

  #issueRefreshToken(client: Client): string {
    const token = randomToken('aor', 48);
    this.#refreshTokens.set(token, { clientId: client.clientId, issuedAt: this.#now(), revoked: false });
    return token;
  }

  /** An unsigned JWT (alg "none"): the broker must not trust it, only pass it on. */
  #idToken(client: Client): string {
    const iat = Math.floor(this.#now() / 1000);
    const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    const claims = { iss: this.url, sub: DEMO_USER.sub, aud: client.clientId, iat, exp: iat + this.#options.accessTokenExpiresInSeconds, email: DEMO_USER.email };
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
    if (this.#kmsState === 'disabled') {
      throw new OidcError('InvalidRequestException', 'The KMS key is disabled', 'KMS_DisabledException');
    }
    if (this.#kmsState === 'access_denied') {
      throw new OidcError('AccessDeniedException', 'Access to the KMS key was denied', 'KMS_AccessDeniedException');
    }
  }

  // ---- browser pages ------------------------------------------------------------------------

  #authorizePage(params: URLSearchParams): Reply {
    const input = this.#authorizeParams(params);
    const client = this.#checkAuthorize(input);
    if (this.#options.autoApprove) return redirect(input.redirectUri, { code: this.authorize(input), state: input.state });
    const hidden = [...params]
      .filter(([name]) => AUTHORIZE_PARAMS.includes(name))
      .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
      .join('\n');
    return {
      status: 200,
      html: page(
        'IAM Identity Center (local emulator)',
        `<p>Sign in to <strong>${escapeHtml(client.clientName)}</strong></p>
<form method="post" action="/authorize">
${hidden}
<button id="sign-in" name="decision" value="allow">Sign in as demo user</button>
<button id="deny" name="decision" value="deny">Cancel</button>
</form>`,
      ),
    };
  }

  #authorizeDecision(form: URLSearchParams): Reply {
    const input = this.#authorizeParams(form);
    this.#checkAuthorize(input);
    switch (form.get('decision')) {
      case 'allow':
        return redirect(input.redirectUri, { code: this.authorize(input), state: input.state });
      case 'deny':
        return redirect(input.redirectUri, { error: 'access_denied', state: input.state });
      default:
        throw new PageError('Unknown decision');
    }
  }

  /** The /authorize query or form as an AuthorizeInput; checks what only the HTTP form carries. */
  #authorizeParams(params: URLSearchParams): AuthorizeInput {
    const get = (name: string): string | undefined => params.get(name) ?? undefined;
    if (get('response_type') !== 'code') throw new PageError('response_type must be code');
    const codeChallenge = get('code_challenge');
    const method = get('code_challenge_method');
    if ((codeChallenge !== undefined || method !== undefined) && (codeChallenge === undefined || method !== 'S256')) {
      throw new PageError('PKCE requires code_challenge with code_challenge_method=S256');
    }
    const scopes = get('scopes')?.split(/[\s,]+/).filter((scope) => scope !== '');
    return {
      clientId: get('client_id') ?? '',
      redirectUri: get('redirect_uri') ?? '',
      ...(codeChallenge === undefined ? {} : { codeChallenge }),
      ...(scopes === undefined ? {} : { scopes }),
      ...(params.has('state') ? { state: get('state') } : {}),
    };
  }

  /** Checks made before anything is redirected anywhere: never redirect to an unregistered URI. */
  #checkAuthorize(input: AuthorizeInput): Client {
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

  #devicePage(params: URLSearchParams): Reply {
    const userCode = params.get('user_code');
    if (userCode === null) {
      // The verificationUri without a code: ask for it, as the real page does.
      return {
        status: 200,
        html: page(
          'IAM Identity Center (local emulator)',
          `<form method="get" action="/device"><label>Code <input name="user_code"></label><button>Next</button></form>`,
        ),
      };
    }
    const device = this.#pendingDevice(userCode);
    return {
      status: 200,
      html: page(
        'IAM Identity Center (local emulator)',
        `<p>Allow <strong>${escapeHtml(device.clientName)}</strong> to access your data? Code: <code>${escapeHtml(userCode)}</code></p>
<form method="post" action="/device">
<input type="hidden" name="user_code" value="${escapeHtml(userCode)}">
<button id="approve" name="decision" value="approve">Allow</button>
<button id="deny" name="decision" value="deny">Deny</button>
</form>`,
      ),
    };
  }

  #deviceDecision(form: URLSearchParams): Reply {
    const userCode = form.get('user_code') ?? '';
    switch (form.get('decision')) {
      case 'approve':
        this.approveDevice(userCode);
        return { status: 200, html: page('Request approved', '<p>Request approved. You can close this window.</p>') };
      case 'deny':
        this.denyDevice(userCode);
        return { status: 200, html: page('Request denied', '<p>Request denied. You can close this window.</p>') };
      default:
        throw new PageError('Unknown decision');
    }
  }

  // ---- helpers ----------------------------------------------------------------------------------

  #client(clientId: string): Client {
    const client = this.#clients.get(clientId);
    if (client === undefined) throw new Error('Unknown client');
    return client;
  }

  #pendingDevice(userCode: string): DeviceAuthorization {
    const deviceCode = this.#userCodes.get(userCode);
    const device = deviceCode === undefined ? undefined : this.#devices.get(deviceCode);
    if (device === undefined || device.status !== 'pending' || this.#deviceExpired(device)) {
      throw new PageError('This code is not valid or has expired');
    }
    return device;
  }

  #deviceExpired(device: DeviceAuthorization): boolean {
    return this.#now() - device.issuedAt >= this.#options.deviceCodeExpiresInSeconds * 1000;
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

/** What a developer can do about an error page (an unregistered redirect URI is the usual one). */
function pageErrorHint(message: string): string {
  return message.startsWith('redirect_uri is not registered')
    ? '<p>npm start registers the demo frontend\'s redirect URIs and every URI in <code>TOKEN_BROKER_REDIRECT_URIS</code>: add yours there and restart it.</p>'
    : '';
}

const AUTHORIZE_PARAMS = ['response_type', 'client_id', 'redirect_uri', 'state', 'code_challenge', 'code_challenge_method', 'scopes'];

function write(res: ServerResponse, reply: Reply, extraMembers?: Record<string, unknown>): void {
  const headers: Record<string, string> = { 'x-amzn-RequestId': randomUUID(), ...reply.headers };
  if (reply.json !== undefined) {
    send(res, reply.status, { ...headers, 'Content-Type': 'application/json' }, JSON.stringify({ ...reply.json, ...extraMembers }));
  } else if (reply.html !== undefined) {
    send(res, reply.status, { ...headers, 'Content-Type': 'text/html; charset=utf-8' }, reply.html);
  } else {
    send(res, reply.status, headers, '');
  }
}

/** The service's error shape: the type in a header, OAuth-style members in the body, no `message`. */
function errorReply(type: string, status: number, error: string | undefined, description?: string, reason?: string): Reply {
  // JSON.stringify leaves out undefined members, as the service leaves out absent ones.
  return {
    status,
    headers: { 'x-amzn-ErrorType': `${type}${ERROR_TYPE_SUFFIX}` },
    json: { error, error_description: description, reason },
  };
}

function knownError(type: string): string | undefined {
  return type in ERRORS ? ERRORS[type as OidcErrorType][1] : undefined;
}

function redirect(uri: string, params: Record<string, string | undefined>): Reply {
  const location = new URL(uri);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) location.searchParams.set(name, value);
  }
  return { status: 302, headers: { Location: location.href } };
}

function invalidRequest(description: string): never {
  throw new OidcError('InvalidRequestException', description);
}

function invalidGrant(description: string): OidcError {
  return new OidcError('InvalidGrantException', description);
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') invalidRequest(`${key} must be a string`);
  return value;
}

function optionalStrings(
  body: Record<string, unknown>,
  key: string,
  fail: (description: string) => never,
): string[] | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) fail(`${key} must be a list of strings`);
  return value as string[];
}

function parseTokenRequest(json: Record<string, unknown> | undefined): TokenRequest {
  const body = json ?? invalidRequest('Invalid JSON body');
  const grantType = optionalString(body, 'grantType');
  if (grantType === undefined || grantType === '') invalidRequest('grantType is required');
  const request: TokenRequest = { grantType };
  for (const key of ['clientId', 'clientSecret', 'code', 'codeVerifier', 'redirectUri', 'refreshToken', 'deviceCode'] as const) {
    const value = optionalString(body, key);
    if (value !== undefined) request[key] = value;
  }
  const scope = optionalStrings(body, 'scope', invalidRequest);
  if (scope !== undefined) request.scope = scope;
  return request;
}

function parseRegisterInput(json: Record<string, unknown> | undefined): RegisterClientInput {
  const body = json ?? invalidRequest('Invalid JSON body');
  const metadata: (description: string) => never = (description) => {
    throw new OidcError('InvalidClientMetadataException', description);
  };
  const text = (key: string): string | undefined => {
    const value = body[key];
    if (value !== undefined && value !== null && typeof value !== 'string') metadata(`${key} must be a string`);
    return (value ?? undefined) as string | undefined;
  };
  const clientName = text('clientName');
  const clientType = text('clientType');
  if (clientName === undefined || clientType === undefined) metadata('clientName and clientType are required');
  const input: RegisterClientInput = { clientName, clientType };
  for (const key of ['scopes', 'grantTypes', 'redirectUris'] as const) {
    const value = optionalStrings(body, key, metadata);
    if (value !== undefined) input[key] = value;
  }
  for (const key of ['issuerUrl', 'entitledApplicationArn'] as const) {
    const value = text(key);
    if (value !== undefined) input[key] = value;
  }
  return input;
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

function randomToken(prefix: string, bytes: number): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// The emulator's pages look like the demo frontend (demo/style.css's palette), so a developer sees
// one product; the favicon is inline so the browser asks for no /favicon.ico (no console error).
const PAGE_STYLE = `:root{color-scheme:light;--text:#1b1f24;--muted:#4d5661;--line:#d5dae1;--accent:#0b5cad;--accent-dark:#084a8c;
font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;line-height:1.5;color:var(--text);background:#f3f5f8}
body{margin:0 auto;max-width:32rem;padding:3rem 1.25rem}
main{background:#fff;border:1px solid var(--line);border-radius:8px;padding:1.25rem 1.5rem}
h1{font-size:1.3rem;margin:0 0 .75rem}p{margin:0 0 .75rem}.note{color:var(--muted);font-size:.85rem;margin:1rem 0 0}
code{font-family:ui-monospace,'SFMono-Regular',Menlo,Consolas,'Liberation Mono',monospace;font-size:1.05em;letter-spacing:.05em}
form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:1rem 0 0}
input{font:inherit;padding:.4rem .6rem;border:1px solid var(--line);border-radius:6px}
button{font:inherit;padding:.45rem 1rem;border-radius:6px;border:1px solid var(--line);background:#fff;color:var(--text);cursor:pointer}
button:first-of-type{background:var(--accent);border-color:var(--accent);color:#fff}
button:first-of-type:hover{background:var(--accent-dark)}
button:focus-visible,input:focus-visible{outline:3px solid #8ab4e8;outline-offset:1px}`;
const FAVICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%230b5cad'/%3E%3Cpath d='M5 7V5a3 3 0 0 1 6 0v2h1v6H4V7zm2 0h2V5a1 1 0 0 0-2 0z' fill='%23fff'/%3E%3C/svg%3E";

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="${FAVICON}">
<style>${PAGE_STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
<p class="note">Local SSO OIDC emulator started by <code>npm start</code>: no AWS account, a demo user.</p>
</main>
</body>
</html>
`;
}
