// The token handler (/bff) driven over HTTP as a browser would: a cookie jar that applies
// Set-Cookie (Max-Age=0 removes), the CSRF header and the page's Origin on every call, and the sign-in
// legs through the front door and the SSO OIDC emulator. Also opens the broker's sealed cookies with
// the keys from the Secrets Manager emulator, so tests can name what must never leak.

import { brokerCookies, cookiePaths, COOKIE_NAMES, isLoginState, type LoginState } from '../../lambda/surfaces/bff/cookies.js';
import { readSession, sessionSetCookies, type SessionState } from '../../lambda/surfaces/bff/session-cookie.js';
import { parseCookieKey, sealKeyOf, type CookieKey } from '../../lambda/core/cookie-keys.js';
import { sealedKeyId, unseal } from '../../lambda/core/seal.js';
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
 * The browser's way from login/start's authorization URL back to the SPA: SSO OIDC's page
 * (approved), the broker's callback, and the SPA page URL it lands on.
 */
export async function pageUrlAfterSignIn(authorizationUrl: string): Promise<string> {
  const callbackUrl = await throughSsoOidc(authorizationUrl);
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

/** The `name=value` pairs of a session sealed under `key`, in its chunks, as a browser would send them. */
export function sessionCookiePairs(state: SessionState, key: CookieKey): string[] {
  const set = sessionSetCookies(state, sealKeyOf(key), { paths: cookiePaths(''), nowSeconds: Math.floor(Date.now() / 1000), present: new Map(), clearOther: false });
  return set.map((cookie) => cookie.split(';')[0]!);
}

/** Opens the broker's cookies with the keys secret, for tests: what is inside must never leak. */
export async function openBrokerCookies(secretsUrl: string, keysSecretId: string) {
  const keys = [parseCookieKey(await readSecret(secretsUrl, keysSecretId))];
  try {
    keys.push(parseCookieKey(await readSecret(secretsUrl, keysSecretId, 'AWSPREVIOUS')));
  } catch {
    // No previous key yet.
  }
  const sealKeys = keys.map(sealKeyOf);
  return {
    keys,
    login(value: string): LoginState | undefined {
      const key = sealKeys.find((k) => k.id === sealedKeyId(value));
      const opened = key && unseal(value, key, COOKIE_NAMES.login);
      return isLoginState(opened) ? opened : undefined;
    },
    /** The session a browser's cookies (`name=value` pairs, chunks and all) hold. */
    async session(pairs: readonly string[]): Promise<SessionState | undefined> {
      const read = await readSession(brokerCookies(pairs), async (id) => sealKeys.find((k) => k.id === id), Math.floor(Date.now() / 1000));
      return read.best?.state;
    },
  };
}
