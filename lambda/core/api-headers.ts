// The bearer proxy's header policy: which request headers go from the page to the API, and which
// answer headers come back. Allow lists both ways, and a list of headers that never cross whatever a
// list says, checked by the compiler: a cookie, the CSRF header or a credential never reaches the API
// (the lesson of Duende BFF's GHSA-vvg7-p7jw-8qr3, which forwarded the browser's Cookie header), and
// the API's Set-Cookie never reaches the browser.

/** Headers that never cross the proxy, in either direction. */
export const NEVER_FORWARDED = [
  'cookie',
  'set-cookie',
  'authorization',
  'proxy-authorization',
  'www-authenticate',
  'x-token-broker-csrf',
  'x-amz-sso_bearer_token',
  'host',
  'origin',
  'referer',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'content-length',
  'content-encoding',
  'accept-encoding',
  'location',
  'cache-control',
  'access-control-allow-origin',
  'access-control-allow-credentials',
] as const;

type Never = (typeof NEVER_FORWARDED)[number];

/** A list of lower-case header names none of which is in NEVER_FORWARDED; the compiler refuses one that is. */
type AllowList<T extends readonly string[]> = [Extract<T[number], Never>] extends [never] ? T : { readonly refused: Extract<T[number], Never> };

const allowList = <const T extends readonly Lowercase<string>[]>(list: T & AllowList<T>): T => list;

/**
 * What a page's request may carry to the API: content negotiation, the body's type and
 * conditional-request headers, and a correlation id. The broker adds `authorization` itself.
 */
export const REQUEST_HEADERS = allowList([
  'accept',
  'accept-language',
  'content-type',
  'content-language',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
  'x-request-id',
]);

/**
 * What an API's answer may carry back to the page. Not `location` (a redirect would send the browser
 * to the API itself, without the token), not caching headers (the broker's answers are `no-store`:
 * they are a user's own data), not `set-cookie`.
 */
export const ANSWER_HEADERS = allowList([
  'content-type',
  'content-language',
  'content-disposition',
  'etag',
  'last-modified',
  'retry-after',
  'x-request-id',
]);

/** The longest header value passed on either way; a longer one is dropped. */
const MAX_HEADER_VALUE_CHARS = 2048;

/** The headers of `headers` (lower-case names) that `list` allows, with values that are plain text. */
export function pickHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  list: readonly string[],
): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of list) {
    const raw = headers[name];
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    // Visible ASCII and spaces only (RFC 9110 §5.5 field values, no obs-text): no CR/LF, nothing to smuggle.
    if (value !== undefined && value.length <= MAX_HEADER_VALUE_CHARS && /^[\x20-\x7e\t]*$/.test(value)) picked[name] = value;
  }
  return picked;
}
