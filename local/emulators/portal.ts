// The AWS access portal API (service `sso`, endpoint portal.sso.<region>.amazonaws.com), served by
// the SSO OIDC emulator on its own server: the paths do not collide with SSO OIDC's, so
// AWS_ENDPOINT_URL_SSO and AWS_ENDPOINT_URL_SSO_OIDC can both name the emulator's URL. rest-json
// and unsigned, as the model (botocore `sso` 2019-06-10) says: the access token CreateToken issued
// travels in the header x-amz-sso_bearer_token, inputs in the query, errors as the type in
// x-amzn-ErrorType and `{"message": ...}` in the body. Where the model is silent the emulator answers
// as the service is seen to (/work/shared/NOTES.md): a role the user lacks is ForbiddenException
// "No access" (403), which the model does not list.

import { randomBytes, randomInt } from 'node:crypto';
import type { Reply } from './http.js';
import type { Session, TokenStore } from './tokens.js';

/** An AWS account assigned to the user, with the roles (permission sets) the user has in it. */
export interface PortalAccount {
  readonly accountId: string;
  readonly accountName: string;
  readonly emailAddress: string;
  readonly roles: readonly string[];
}

const assigned = (accountId: string, accountName: string, roles: string[]): PortalAccount =>
  Object.freeze({ accountId, accountName, emailAddress: `aws-${accountName}@example.com`, roles: Object.freeze(roles) });

/** The demo user's assignments, unless the emulator is started with others. */
export const DEMO_ASSIGNMENTS: readonly PortalAccount[] = Object.freeze([
  assigned('111122223333', 'demo-sandbox', ['AdministratorAccess', 'PowerUserAccess', 'ReadOnlyAccess']),
  assigned('444455556666', 'demo-staging', ['PowerUserAccess', 'ReadOnlyAccess']),
  assigned('777788889999', 'demo-production', ['ViewOnlyAccess']),
]);

export const PORTAL_PATHS = {
  listAccounts: '/assignment/accounts',
  listAccountRoles: '/assignment/roles',
  getRoleCredentials: '/federation/credentials',
  logout: '/logout',
} as const;

const PATHS: ReadonlySet<string> = new Set(Object.values(PORTAL_PATHS));

export function isPortalPath(path: string): boolean {
  return PATHS.has(path);
}

/** The request header that carries the access token (AccessTokenType's location in the model). */
export const PORTAL_BEARER_HEADER = 'x-amz-sso_bearer_token';

const ERRORS = {
  InvalidRequestException: 400,
  UnauthorizedException: 401,
  ForbiddenException: 403,
  ResourceNotFoundException: 404,
  TooManyRequestsException: 429,
} as const;

type PortalErrorType = keyof typeof ERRORS;

/**
 * The first two are what the service is seen to say; the rest are the emulator's own wording. An
 * injected error fault that names no message gets these.
 */
const MESSAGES: Record<string, string> = {
  UnauthorizedException: 'Session token not found or invalid',
  ForbiddenException: 'No access',
  TooManyRequestsException: 'Rate exceeded',
  ResourceNotFoundException: 'Resource not found',
  InvalidRequestException: 'Invalid request',
};

/** MaxResultType is 1-100; the message is the one the service is reported to give outside that range. */
const MAX_RESULTS = 100;
const BAD_MAX_RESULTS = 'ResultSize parameter must be within the valid limits of: 1-100';
/** The model names no default page size; this one keeps the demo's lists on one page. */
const DEFAULT_PAGE_SIZE = 20;
/** Role credentials last an hour, a permission set's default session duration. */
const ROLE_SESSION_MS = 3600 * 1000;

class PortalError extends Error {
  constructor(
    readonly type: PortalErrorType,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

/** The portal's error shape: the type in x-amzn-ErrorType, the message in the body. */
export function portalErrorReply(type: string, status: number, message = MESSAGES[type]): Reply {
  // JSON.stringify leaves out an undefined message.
  return { status, headers: { 'x-amzn-ErrorType': type }, json: { message } };
}

/** Where a next token leads: the same list, from `offset` on. */
interface Cursor {
  readonly list: string;
  readonly offset: number;
}

export class Portal {
  readonly #tokens: TokenStore;
  readonly #now: () => number;
  readonly #accounts: ReadonlyMap<string, PortalAccount>;
  /** Next tokens are opaque: random strings naming a cursor kept here. */
  readonly #cursors = new Map<string, Cursor>();

  constructor(tokens: TokenStore, now: () => number, assignments: readonly PortalAccount[] = DEMO_ASSIGNMENTS) {
    this.#tokens = tokens;
    this.#now = now;
    const accounts = new Map(assignments.map((account) => [account.accountId, { ...account, roles: [...account.roles] }]));
    if (accounts.size !== assignments.length) throw new Error('assignments: each accountId may appear once');
    this.#accounts = accounts;
  }

  /** The answer to a request on one of PORTAL_PATHS: the token is checked first, then the input. */
  handle(method: string, url: URL, bearer: string | undefined): Reply {
    const query = url.searchParams;
    try {
      switch (`${method} ${url.pathname}`) {
        case `GET ${PORTAL_PATHS.listAccounts}`:
          this.#session(bearer);
          return { status: 200, json: this.#listAccounts(query) };
        case `GET ${PORTAL_PATHS.listAccountRoles}`:
          this.#session(bearer);
          return { status: 200, json: this.#listAccountRoles(query) };
        case `GET ${PORTAL_PATHS.getRoleCredentials}`:
          this.#session(bearer);
          return { status: 200, json: this.#getRoleCredentials(query) };
        case `POST ${PORTAL_PATHS.logout}`:
          this.#tokens.endSession(this.#session(bearer));
          return { status: 200 };
        default:
          return { status: 404, json: { message: 'Not Found' } };
      }
    } catch (error) {
      if (error instanceof PortalError) return portalErrorReply(error.type, ERRORS[error.type], error.message);
      // An emulator bug: say so rather than hang the caller.
      return portalErrorReply('InternalServerException', 500, `Emulator failure: ${String(error)}`);
    }
  }

  /** A missing, unknown, expired or logged-out token is the same UnauthorizedException. */
  #session(bearer: string | undefined): Session {
    const session = bearer === undefined || bearer === '' ? undefined : this.#tokens.sessionOf(bearer);
    if (session === undefined) throw new PortalError('UnauthorizedException', MESSAGES['UnauthorizedException']!);
    return session;
  }

  // Every session is the demo user's, so all see the same assignments.
  #listAccounts(query: URLSearchParams): Record<string, unknown> {
    const accounts = [...this.#accounts.values()].map(({ accountId, accountName, emailAddress }) => ({ accountId, accountName, emailAddress }));
    const { items, nextToken } = this.#page('accounts', accounts, query);
    return { accountList: items, nextToken };
  }

  #listAccountRoles(query: URLSearchParams): Record<string, unknown> {
    const accountId = required(query, 'account_id');
    const size = pageSize(query);
    const account = this.#accounts.get(accountId);
    if (account === undefined) throw new PortalError('ResourceNotFoundException', 'The account was not found');
    const roles = account.roles.map((roleName) => ({ roleName, accountId }));
    const { items, nextToken } = this.#page(`roles:${accountId}`, roles, query, size);
    return { roleList: items, nextToken };
  }

  #getRoleCredentials(query: URLSearchParams): Record<string, unknown> {
    const roleName = required(query, 'role_name');
    const accountId = required(query, 'account_id');
    if (this.#accounts.get(accountId)?.roles.includes(roleName) !== true) throw new PortalError('ForbiddenException', 'No access');
    return {
      roleCredentials: {
        accessKeyId: `ASIA${randomChars(UPPER_ALNUM, 16)}`,
        secretAccessKey: randomChars(BASE64, 40),
        // Real STS session tokens begin so; the rest is random.
        sessionToken: `IQoJb3JpZ2luX2Vj${randomBytes(600).toString('base64')}`,
        expiration: this.#now() + ROLE_SESSION_MS,
      },
    };
  }

  /** One page of `items`, from the next token's offset (or the start), and the token for the rest. */
  #page<T>(list: string, items: readonly T[], query: URLSearchParams, size = pageSize(query)): { items: T[]; nextToken?: string } {
    const token = query.get('next_token');
    let offset = 0;
    if (token !== null && token !== '') {
      const cursor = this.#cursors.get(token);
      if (cursor === undefined || cursor.list !== list) throw new PortalError('InvalidRequestException', 'Invalid next token');
      offset = cursor.offset;
    }
    const end = offset + size;
    if (end >= items.length) return { items: items.slice(offset) };
    const nextToken = randomBytes(48).toString('base64url');
    this.#cursors.set(nextToken, { list, offset: end });
    return { items: items.slice(offset, end), nextToken };
  }
}

function required(query: URLSearchParams, name: string): string {
  const value = query.get(name);
  if (value === null || value === '') throw new PortalError('InvalidRequestException', `${name} is required`);
  return value;
}

function pageSize(query: URLSearchParams): number {
  const raw = query.get('max_result');
  if (raw === null) return DEFAULT_PAGE_SIZE;
  const size = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(size >= 1 && size <= MAX_RESULTS)) throw new PortalError('InvalidRequestException', BAD_MAX_RESULTS);
  return size;
}

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function randomChars(alphabet: string, length: number): string {
  return Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('');
}
