// A local stand-in for the AWS IAM Identity Center OIDC service (SSO OIDC), speaking its rest-json
// wire format as the real service does (see /work/shared/NOTES.md): RegisterClient,
// StartDeviceAuthorization and CreateToken for the three grant types, plus the browser pages of
// /authorize and /device that the real service's sign-in portal provides. On the same server, the
// AWS access portal API (service `sso`: ListAccounts, ListAccountRoles, GetRoleCredentials, Logout),
// which the access tokens issued here are for. Tests drive it through real SDK clients and control
// it through the methods below (clock, KMS state, faults, revocation, token sizes).
//
// This module is the HTTP front and the test controls; the rest lives beside it: oidc-wire.ts
// (errors, request parsing), oidc-service.ts (clients, codes, devices, grants), pages.ts (the
// browser pages), tokens.ts (sessions and tokens), portal.ts (the access portal).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { HostedEmulator, LocalServer, parseJsonObject, readBody, send, writeReply, type DelayFault, type DropFault, type Reply } from './http.js';
import {
  ALL_GRANT_TYPES,
  OidcError,
  PageError,
  errorReply,
  knownError,
  oidcErrorReply,
  parseRegisterInput,
  type AuthorizeInput,
  type RegisterClientInput,
} from './oidc-wire.js';
import { OidcService, type KmsState, type RegisterClientOutput } from './oidc-service.js';
import { authorizeDecision, authorizePage, deviceDecision, devicePage, pageErrorReply } from './pages.js';
import { PORTAL_BEARER_HEADER, Portal, isPortalPath, portalErrorReply, type PortalAccount } from './portal.js';
import { TokenStore, type TokenSizes } from './tokens.js';

export { AUTHORIZATION_CODE, DEVICE_CODE, REFRESH_TOKEN, type AuthorizeInput, type RegisterClientInput } from './oidc-wire.js';
export { DEMO_USER, type KmsState, type RegisterClientOutput } from './oidc-service.js';
export { DEMO_ASSIGNMENTS, PORTAL_BEARER_HEADER, PORTAL_PATHS, type PortalAccount } from './portal.js';
export { TOKEN_CHARS, type TokenSizes } from './tokens.js';

const DAY_SECONDS = 86_400;

export interface SsoOidcEmulatorOptions {
  port?: number;
  /** Clock in epoch milliseconds; tests pass a fake one to step through expiries and polling. */
  now?: () => number;
  /** Grant types CreateToken accepts at all (an older service knew fewer). Default: all three. */
  supportedGrantTypes?: string[];
  deviceCodeExpiresInSeconds?: number;
  deviceIntervalSeconds?: number;
  /** How long an access token lasts, for CreateToken's `expiresIn` and for the access portal. */
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
  /** Length of the access tokens issued, in characters (TOKEN_CHARS: 32 to 1,048,576; default 67). */
  accessTokenChars?: number;
  /** Length of the refresh tokens issued, in characters (TOKEN_CHARS: 32 to 1,048,576; default 67). */
  refreshTokenChars?: number;
  /** The demo user's accounts and roles in the access portal. Default: DEMO_ASSIGNMENTS. */
  assignments?: readonly PortalAccount[];
}

/**
 * A fault applies to the next request on `path` (default '/token'; PORTAL_PATHS for the access
 * portal); faults queue up. An `error` answers in the shape of the path's service: SSO OIDC's
 * (`error`, `error_description`, `reason`, the type with its coral suffix) or the portal's (the
 * bare type in x-amzn-ErrorType, `{"message": message}`). A header cannot carry CR/LF: a type with
 * them goes in a `raw` body (`__type`), as a hostile upstream would send it.
 */
export type SsoOidcFault = { readonly path?: string } & (
  | {
      readonly kind: 'error';
      readonly type: string;
      readonly status: number;
      readonly error?: string;
      readonly description?: string;
      readonly reason?: string;
      /** The portal's `message` (default: what the service says for the type). */
      readonly message?: string;
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

/**
 * What a request looked like, without any secret, code or token (a client id is public, and so
 * are the account id and role name an access portal call names).
 */
export interface SsoOidcCall {
  readonly method: string;
  readonly path: string;
  readonly grantType?: string;
  readonly clientId?: string;
  readonly accountId?: string;
  readonly roleName?: string;
  readonly at: number;
}

export class SsoOidcEmulator extends HostedEmulator {
  readonly calls: SsoOidcCall[] = [];
  readonly #now: () => number;
  readonly #autoApprove: boolean;
  readonly #tokens: TokenStore;
  readonly #service: OidcService;
  readonly #portal: Portal;
  readonly #faults: SsoOidcFault[] = [];

  private constructor(host: LocalServer, options: SsoOidcEmulatorOptions) {
    super(host);
    this.#now = options.now ?? Date.now;
    this.#autoApprove = options.autoApprove ?? false;
    const accessTokenExpiresInSeconds = options.accessTokenExpiresInSeconds ?? 3600;
    this.#tokens = new TokenStore(this.#now, accessTokenExpiresInSeconds, {
      accessTokenChars: options.accessTokenChars,
      refreshTokenChars: options.refreshTokenChars,
    });
    this.#service = new OidcService({
      url: host.url,
      now: this.#now,
      tokens: this.#tokens,
      supportedGrantTypes: options.supportedGrantTypes ?? ALL_GRANT_TYPES,
      deviceCodeExpiresInSeconds: options.deviceCodeExpiresInSeconds ?? 600,
      deviceIntervalSeconds: options.deviceIntervalSeconds ?? 5,
      accessTokenExpiresInSeconds,
      refreshTokenLifetimeSeconds: options.refreshTokenLifetimeSeconds ?? 90 * DAY_SECONDS,
      registrationLifetimeSeconds: options.registrationLifetimeSeconds ?? 90 * DAY_SECONDS,
      rotateRefreshTokens: options.rotateRefreshTokens ?? false,
      idToken: options.idToken ?? false,
    });
    this.#portal = new Portal(this.#tokens, this.#now, options.assignments);
  }

  static async start(options: SsoOidcEmulatorOptions = {}): Promise<SsoOidcEmulator> {
    let emulator: SsoOidcEmulator | undefined;
    const host = await LocalServer.listen(options.port ?? 0, (req, res) => emulator!.#handle(req, res));
    try {
      emulator = new SsoOidcEmulator(host, options);
    } catch (error) {
      // Options it refuses (a token size out of range, an account listed twice) leave no server behind.
      await host.stop();
      throw error;
    }
    return emulator;
  }

  // ---- test controls ------------------------------------------------------------------------

  setKmsState(state: KmsState): void {
    this.#service.kmsState = state;
  }

  /** Ends the registration now: its secret stops working, as after clientSecretExpiresAt. */
  expireClient(clientId: string): void {
    this.#service.expireClient(clientId);
  }

  revokeRefreshToken(token: string): void {
    this.#tokens.revokeRefreshToken(token);
  }

  /** Revokes every refresh token issued so far, as an administrator ending all sessions would. */
  revokeAllRefreshTokens(): void {
    this.#tokens.revokeAllRefreshTokens();
  }

  /** The lengths of the tokens issued from now on. */
  get tokenSizes(): TokenSizes {
    return this.#tokens.sizes;
  }

  /** Changes the lengths of the tokens issued from now on (TOKEN_CHARS bounds); those issued keep theirs. */
  setTokenSizes(sizes: Partial<TokenSizes>): void {
    this.#tokens.setSizes(sizes);
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
    return this.#service.registerClient(input);
  }

  /** Issues an authorization code as an approved /authorize would (for tests that skip the browser). */
  authorize(input: AuthorizeInput): string {
    return this.#service.authorize(input);
  }

  approveDevice(userCode: string): void {
    this.#service.pendingDevice(userCode).status = 'approved';
  }

  denyDevice(userCode: string): void {
    this.#service.pendingDevice(userCode).status = 'denied';
  }

  // ---- HTTP -------------------------------------------------------------------------------------

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    const text = await readBody(req);
    const json = parseJsonObject(text);
    const grantType = url.pathname === '/token' ? json?.['grantType'] : undefined;
    const clientId = json?.['clientId'];
    const portal = isPortalPath(url.pathname);
    const accountId = portal ? url.searchParams.get('account_id') : null;
    const roleName = portal ? url.searchParams.get('role_name') : null;
    this.calls.push({
      method,
      path: url.pathname,
      ...(typeof grantType === 'string' ? { grantType } : {}),
      ...(typeof clientId === 'string' ? { clientId } : {}),
      ...(accountId === null ? {} : { accountId }),
      ...(roleName === null ? {} : { roleName }),
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
        writeReply(
          res,
          portal
            ? portalErrorReply(fault.type, fault.status, fault.message)
            : errorReply(fault.type, fault.status, fault.error ?? knownError(fault.type), fault.description, fault.reason),
        );
        return;
      case 'delay':
        await this.host.delay(fault.ms);
        break;
    }
    const bearer = req.headers[PORTAL_BEARER_HEADER];
    const reply = portal
      ? this.#portal.handle(method, url, typeof bearer === 'string' ? bearer : undefined)
      : this.#route(method, url, text, json);
    writeReply(res, reply, fault?.kind === 'extraMembers' ? fault.members : undefined);
  }

  #takeFault(path: string): SsoOidcFault | undefined {
    const index = this.#faults.findIndex((fault) => (fault.path ?? '/token') === path);
    return index === -1 ? undefined : this.#faults.splice(index, 1)[0];
  }

  #route(method: string, url: URL, text: string, json: Record<string, unknown> | undefined): Reply {
    try {
      switch (`${method} ${url.pathname}`) {
        case 'POST /client/register':
          return { status: 200, json: { ...this.#service.registerClient(parseRegisterInput(json)) } };
        case 'POST /device_authorization':
          return { status: 200, json: this.#service.startDeviceAuthorization(json) };
        case 'POST /token':
          return { status: 200, json: this.#service.createToken(json) };
        case 'GET /authorize':
          return authorizePage(this.#service, url.searchParams, this.#autoApprove);
        case 'POST /authorize':
          return authorizeDecision(this.#service, new URLSearchParams(text));
        case 'GET /device':
          return devicePage(this.#service, url.searchParams);
        case 'POST /device':
          return deviceDecision(this.#service, new URLSearchParams(text));
        default:
          return { status: 404, json: { message: 'Not Found' } };
      }
    } catch (error) {
      if (error instanceof OidcError) return oidcErrorReply(error);
      if (error instanceof PageError) return pageErrorReply(error);
      // An emulator bug: say so in the service's own shape rather than hang the caller.
      return errorReply('InternalServerException', 500, 'server_error', `Emulator failure: ${String(error)}`);
    }
  }
}
