// Checks shared by the CDK context (infra/context.ts) and the construct's props (infra/props.ts), so
// a value means the same whichever way it is given. Each check either accepts a value (normalised
// when the change cannot alter its meaning, with a note saying so) or refuses it with a message that
// says what would be accepted. Messages never start with the key or prop: the caller names it.

import { parseRoleRule } from '../lambda/core/role-policy.js';

export type Checked<T> =
  | { readonly ok: true; readonly value: T; readonly note?: string }
  | { readonly ok: false; readonly problem: string };

const accept = <T>(value: T, note?: string): Checked<T> => (note === undefined ? { ok: true, value } : { ok: true, value, note });
const refuse = <T>(problem: string): Checked<T> => ({ ok: false, problem });

/** Hosts for which plain http is acceptable: the machine itself (RFC 8252 §8.3 treats them alike). */
export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]']);

export const isLoopbackHost = (hostname: string): boolean => LOOPBACK_HOSTS.has(hostname.toLowerCase());

const ORIGIN_FORM = 'an origin is scheme://host[:port] with nothing after it, such as https://app.example.com or http://localhost:3000';

/**
 * A browser origin as the Fetch standard serialises it (the value of the `Origin` header the broker
 * compares exactly). Case, a default port and a trailing "/" cannot change which page is meant, so
 * they are normalised; a path, query or fragment suggests a URL was given where an origin belongs
 * (a redirect URI, perhaps) and is refused.
 */
export function checkOrigin(raw: string): Checked<string> {
  const value = raw.trim();
  if (value.includes('*')) return refuse(`"${value}" is a wildcard: list every origin exactly; ${ORIGIN_FORM}`);
  if (!URL.canParse(value)) return refuse(`"${value}" is not a URL; ${ORIGIN_FORM}`);
  const url = new URL(value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return refuse(`"${value}" is not an http(s) origin; ${ORIGIN_FORM}`);
  }
  if (url.username !== '' || url.password !== '') return refuse(`"${value}" holds a user name or password; ${ORIGIN_FORM}`);
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || /[?#]/.test(value)) {
    return refuse(`"${value}" has a path, query or fragment; ${ORIGIN_FORM} (here perhaps ${url.origin})`);
  }
  return url.origin === value ? accept(value) : accept(url.origin, `"${value}" is read as "${url.origin}"`);
}

/**
 * A client's redirect URI. The broker and SSO OIDC compare it as a string, exactly as the client
 * sends it, so it is never rewritten (only trimmed). RFC 6749 §3.1.2: absolute, and no fragment.
 */
export function checkRedirectUri(raw: string): Checked<string> {
  const value = raw.trim();
  const form = 'a redirect URI is an absolute URI without a fragment, written exactly as your frontend sends it, such as https://app.example.com/callback';
  if (value.includes('*')) return refuse(`"${value}" is a wildcard: redirect URIs are compared exactly; ${form}`);
  if (!URL.canParse(value)) return refuse(`"${value}" is not an absolute URI; ${form}`);
  if (value.includes('#')) return refuse(`"${value}" has a fragment (RFC 6749 §3.1.2); ${form}`);
  return accept(value);
}

/**
 * The base URL of a service (an issuer, a start URL): https, or http on a loopback host; no query or
 * fragment; a trailing "/" is removed (the broker appends paths to it). Exported for the settings
 * that take one.
 */
export function checkBaseUrl(raw: string, example = 'https://auth.example.com'): Checked<string> {
  const value = raw.trim();
  const form = `a base URL is https://host[:port][/path] with no query, fragment or trailing "/" (http only on 127.0.0.1, localhost or [::1]), such as ${example}`;
  if (!URL.canParse(value)) return refuse(`"${value}" is not an absolute URL; ${form}`);
  const url = new URL(value);
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
  if (!secure) return refuse(`"${value}" is not https; ${form}`);
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '' || /[?#]/.test(value)) {
    return refuse(`"${value}" has a query, fragment or user name; ${form}`);
  }
  const normal = `${url.origin}${url.pathname}`.replace(/\/+$/, '');
  return normal === value ? accept(value) : accept(normal, `"${value}" is read as "${normal}"`);
}

/** Same shape as lambda/core/config.ts's region check, so a value accepted here is accepted by the function. */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

export function checkRegion(raw: string): Checked<string> {
  const value = raw.trim().toLowerCase();
  if (!REGION.test(value)) return refuse(`"${raw}" is not an AWS region name; give one such as eu-west-1`);
  return value === raw ? accept(value) : accept(value, `"${raw}" is read as "${value}"`);
}

/** Checks each item of a list, keeping every problem and note; duplicates after normalising are dropped. */
export function checkEach(items: readonly string[], check: (item: string) => Checked<string>): {
  values: string[];
  problems: string[];
  notes: string[];
} {
  const values: string[] = [];
  const problems: string[] = [];
  const notes: string[] = [];
  for (const item of items) {
    const result = check(item);
    if (!result.ok) {
      problems.push(result.problem);
      continue;
    }
    if (result.note !== undefined) notes.push(result.note);
    if (!values.includes(result.value)) values.push(result.value);
  }
  return { values, problems, notes };
}

/** The warning when no browser origin may call the broker (the default): it is easy to miss until a browser fails. */
export const NO_ORIGINS_WARNING =
  'allowedOrigins is empty: every browser request (any request with an Origin header) will be refused with ' +
  '403 ForbiddenOriginException, preflight included. Servers and CLIs are unaffected. Set allowedOrigins to ' +
  "your frontend's origin (such as https://app.example.com) unless no browser will call the broker.";

/** One rule of the access portal's role policy (`accountId/roleName`, `*` for any account), as the function reads it. */
export function checkRoleRule(raw: string): Checked<string> {
  const value = raw.trim();
  const parsed = parseRoleRule(value);
  return 'problem' in parsed ? refuse(parsed.problem) : accept(value);
}
