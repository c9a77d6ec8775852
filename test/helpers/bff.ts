// The token handler (/bff) driven over HTTP as a browser would: a cookie jar that applies
// Set-Cookie (Max-Age=0 removes), the CSRF header and the page's Origin on every call, and the sign-in
// legs through the front door and the SSO OIDC emulator. Also opens the broker's sealed cookies with
// the keys from the Secrets Manager emulator, so tests can name what must never leak.

import { COOKIE_NAMES, isLoginState, isSessionState, type LoginState, type SessionState } from '../../lambda/surfaces/bff/cookies.js';
import { parseCookieKey, sealKeyOf } from '../../lambda/core/cookie-keys.js';
import { deriveKey, sealedKeyId, unseal } from '../../lambda/core/seal.js';
import { get, throughSsoOidc } from './front-door.js';

/** What a browser keeps: name -> value (this broker's cookies all share one host). */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  constructor(entries: Iterable<[string, string]> = []) {
    for (const [name, value] of entries) this.cookies.set(name, value);
  }

  apply(setCookies: readonly string[]): void {
    for (const cookie of setCookies) {
      const [pair] = cookie.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      if (/;\s*Max-Age=0(;|$)/i.test(cookie)) this.cookies.delete(name);
      else this.cookies.set(name, pair!.slice(eq + 1));
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  copy(): CookieJar {
    return new CookieJar(this.cookies);
  }
}

export interface BffAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly text: string;
  readonly setCookies: string[];
  readonly headers: Headers;
}

/** One /bff call with the CSRF header, `origin` and the jar's cookies; the jar takes the answer's Set-Cookie unless told not to. */
export async function bff(
  brokerUrl: string,
  route: string,
  jar: CookieJar,
  options: { origin: string; body?: unknown; apply?: boolean },
): Promise<BffAnswer> {
  const [method, path] = route.split(' ') as [string, string];
  const response = await fetch(`${brokerUrl}${path}`, {
    method,
    headers: {
      'x-token-broker-csrf': '1',
      origin: options.origin,
      ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
      ...(jar.cookies.size > 0 ? { cookie: jar.header() } : {}),
    },
    ...(method === 'POST' ? { body: JSON.stringify(options.body ?? {}) } : {}),
  });
  const text = await response.text();
  const setCookies = response.headers.getSetCookie();
  if (options.apply !== false) jar.apply(setCookies);
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, text, setCookies, headers: response.headers };
}

/**
 * The browser's way from login/start's authorization URL back to the SPA: the broker's authorize
 * redirect, SSO OIDC's page (approved), the broker's callback, and the SPA page URL it lands on.
 */
export async function pageUrlAfterSignIn(authorizationUrl: string): Promise<string> {
  const authorize = await get(authorizationUrl);
  if (authorize.status !== 302) throw new Error(`authorize answered ${authorize.status}: ${authorize.text}`);
  const callbackUrl = await throughSsoOidc(authorize.location!);
  const back = await get(callbackUrl);
  if (back.status !== 302) throw new Error(`callback answered ${back.status}: ${back.text}`);
  return back.location!;
}

/** Reads a stored value of the Secrets Manager emulator over its wire protocol (any version stage). */
export async function readSecret(secretsUrl: string, secretId: string, stage = 'AWSCURRENT'): Promise<string> {
  const response = await fetch(secretsUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue' },
    body: JSON.stringify({ SecretId: secretId, VersionStage: stage }),
  });
  const body = (await response.json()) as { SecretString?: string };
  if (body.SecretString === undefined) throw new Error(`no ${stage} value for ${secretId}`);
  return body.SecretString;
}

/** Opens the broker's cookies with the keys secret, for tests: what is inside must never leak. */
export async function openBrokerCookies(secretsUrl: string, keysSecretId: string, registrationSecretId: string) {
  const keys = [parseCookieKey(await readSecret(secretsUrl, keysSecretId))];
  try {
    keys.push(parseCookieKey(await readSecret(secretsUrl, keysSecretId, 'AWSPREVIOUS')));
  } catch {
    // No previous key yet.
  }
  const registration = JSON.parse(await readSecret(secretsUrl, registrationSecretId)) as { clientId: string; clientSecret: string };
  const keyFor = (value: string) => keys.map(sealKeyOf).find((key) => key.id === sealedKeyId(value));
  return {
    keys,
    login(value: string): LoginState | undefined {
      const key = keyFor(value);
      const opened = key && unseal(value, key, COOKIE_NAMES.login);
      return isLoginState(opened) ? opened : undefined;
    },
    session(name: string, value: string): SessionState | undefined {
      const key = keyFor(value);
      const opened = key && unseal(value, key, name);
      return isSessionState(opened) ? opened : undefined;
    },
    /** SSO OIDC's own refresh token inside the front door's sealed one (current registration). */
    upstreamRefreshToken(sealed: string): string | undefined {
      const info = 'token-broker front door refresh_token v1';
      const opened = unseal(sealed, deriveKey(registration.clientSecret, registration.clientId, info), info) as { t?: unknown } | undefined;
      return typeof opened?.t === 'string' ? opened.t : undefined;
    },
  };
}
