// The SSO OIDC emulator's sign-in sessions and the tokens that belong to them. Every sign-in (an
// authorization code or an approved device code redeemed at CreateToken) starts a session; the
// access tokens and refresh tokens issued for it, rotated refresh tokens included, belong to it.
// The access portal's Logout ends a session, as the service "invalidates the corresponding
// server-side IAM Identity Center sign in session": none of its tokens works afterwards.
// Nothing here logs, and no token leaves this module except to the one it is issued to.

import { randomBytes } from 'node:crypto';

/**
 * Token lengths in characters. The defaults are the lengths the emulator has always issued (a
 * three-letter prefix and 48 random bytes in base64url); the minimum still leaves 29 random
 * base64url characters (174 bits) after the prefix.
 */
export const TOKEN_CHARS = { min: 32, max: 1_048_576, defaultAccess: 67, defaultRefresh: 67 } as const;

export interface TokenSizes {
  readonly accessTokenChars: number;
  readonly refreshTokenChars: number;
}

/** One sign-in. `endedAt` is set by Logout. */
export interface Session {
  readonly clientId: string;
  readonly startedAt: number;
  endedAt: number | undefined;
}

export interface RefreshTokenRecord {
  readonly clientId: string;
  readonly session: Session;
  readonly issuedAt: number;
  revoked: boolean;
}

interface AccessTokenRecord {
  readonly session: Session;
  readonly expiresAt: number;
}

const ACCESS_PREFIX = 'aoa';
const REFRESH_PREFIX = 'aor';

export class TokenStore {
  readonly #now: () => number;
  readonly #accessTokenLifetimeMs: number;
  readonly #accessTokens = new Map<string, AccessTokenRecord>();
  readonly #refreshTokens = new Map<string, RefreshTokenRecord>();
  #sizes: TokenSizes;

  constructor(now: () => number, accessTokenExpiresInSeconds: number, sizes: Partial<TokenSizes> = {}) {
    this.#now = now;
    this.#accessTokenLifetimeMs = accessTokenExpiresInSeconds * 1000;
    this.#sizes = checkedSizes({ accessTokenChars: TOKEN_CHARS.defaultAccess, refreshTokenChars: TOKEN_CHARS.defaultRefresh }, sizes);
  }

  get sizes(): TokenSizes {
    return this.#sizes;
  }

  /** Changes the length of the tokens issued from now on; tokens already issued keep theirs. */
  setSizes(sizes: Partial<TokenSizes>): void {
    this.#sizes = checkedSizes(this.#sizes, sizes);
  }

  startSession(clientId: string): Session {
    return { clientId, startedAt: this.#now(), endedAt: undefined };
  }

  endSession(session: Session): void {
    session.endedAt ??= this.#now();
  }

  issueAccessToken(session: Session): string {
    const token = randomTokenOfLength(ACCESS_PREFIX, this.#sizes.accessTokenChars);
    this.#accessTokens.set(token, { session, expiresAt: this.#now() + this.#accessTokenLifetimeMs });
    return token;
  }

  issueRefreshToken(session: Session): string {
    const token = randomTokenOfLength(REFRESH_PREFIX, this.#sizes.refreshTokenChars);
    this.#refreshTokens.set(token, { clientId: session.clientId, session, issuedAt: this.#now(), revoked: false });
    return token;
  }

  refreshToken(token: string): RefreshTokenRecord | undefined {
    return this.#refreshTokens.get(token);
  }

  revokeRefreshToken(token: string): void {
    const record = this.#refreshTokens.get(token);
    if (record === undefined) throw new Error('Unknown refresh token');
    record.revoked = true;
  }

  revokeAllRefreshTokens(): void {
    for (const record of this.#refreshTokens.values()) record.revoked = true;
  }

  /** The session of a usable access token: undefined when it is unknown, expired, or its session has ended. */
  sessionOf(accessToken: string): Session | undefined {
    const record = this.#accessTokens.get(accessToken);
    if (record === undefined || this.#now() >= record.expiresAt || record.session.endedAt !== undefined) return undefined;
    return record.session;
  }
}

/** `prefix` and `bytes` random bytes in base64url. */
export function randomToken(prefix: string, bytes: number): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}

/** Exactly `chars` characters: `prefix`, then random base64url characters. */
function randomTokenOfLength(prefix: string, chars: number): string {
  const random = chars - prefix.length;
  return `${prefix}${randomBytes(Math.ceil((random * 3) / 4)).toString('base64url').slice(0, random)}`;
}

function checkedSizes(current: TokenSizes, change: Partial<TokenSizes>): TokenSizes {
  const sizes = {
    accessTokenChars: change.accessTokenChars ?? current.accessTokenChars,
    refreshTokenChars: change.refreshTokenChars ?? current.refreshTokenChars,
  };
  for (const [name, chars] of Object.entries(sizes)) {
    if (!Number.isInteger(chars) || chars < TOKEN_CHARS.min || chars > TOKEN_CHARS.max) {
      throw new RangeError(`${name} must be a whole number from ${TOKEN_CHARS.min} to ${TOKEN_CHARS.max}, got ${chars}`);
    }
  }
  return sizes;
}
