// The validation primitives every surface uses, each with the rule it enforces: JSON members,
// application/x-www-form-urlencoded parameters (query strings and form bodies), PKCE values and
// scopes. A failed check is a 4xx BrokerError that names what is wrong and quotes at most a short
// piece of the input; nothing that fails here reaches an upstream service.

import { brokerError, invalidRequest } from './errors.js';

// ---- JSON members ----

export type JsonObject = Readonly<Record<string, unknown>>;

/** The parsed body as an object, or 400: a JSON array, string or number is not a request. */
export function asObject(body: unknown): JsonObject {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidRequest('The request body must be a JSON object.');
  }
  return body as JsonObject;
}

/**
 * A string member, or undefined when it is absent or null. Not a string, or empty: 400. With
 * `maxLength`, a longer one is refused too (and the message names the range).
 */
export function optionalString(body: JsonObject, member: string, maxLength?: number): string | undefined {
  if (!Object.hasOwn(body, member)) return undefined;
  const value = body[member];
  if (value === undefined || value === null) return undefined;
  if (maxLength !== undefined) {
    if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
      throw invalidRequest(`The member "${member}" must be a string of 1 to ${maxLength} characters.`);
    }
    return value;
  }
  if (typeof value !== 'string') throw invalidRequest(`The member "${member}" must be a string.`);
  if (value.length === 0) throw invalidRequest(`The member "${member}" must not be empty.`);
  return value;
}

/** A string member that must be there; `why` completes "is required …". */
export function requiredString(body: JsonObject, member: string, why: string): string {
  const value = optionalString(body, member);
  if (value === undefined) throw invalidRequest(`The member "${member}" is required ${why}.`);
  return value;
}

/**
 * Whether a request's Content-Type is JSON: application/json (RFC 8259 §11) or a `+json` structured
 * syntax suffix (RFC 6839 §3.1), with any parameters after optional whitespace (RFC 9110 §5.6.6:
 * `application/json ; charset=utf-8` is as valid as `application/json;charset=utf-8`). The one rule
 * every JSON route is read by.
 */
export const isJsonContentType = (contentType: string | undefined): boolean =>
  /^application\/(?:[\w!#$&^.+-]+\+)?json[ \t]*(?:;|$)/i.test(contentType ?? '');

// ---- PKCE (RFC 7636) and scopes (RFC 6749 §3.3) ----

/**
 * RFC 7636 §4.1 (code_verifier) and §4.2 (code_challenge, S256 as base64url): 43 to 128 characters
 * from the unreserved set.
 */
export const PKCE_VALUE = /^[A-Za-z0-9\-._~]{43,128}$/;
/** PKCE_VALUE in words, for the messages that refuse a value (one string in the bundle for all of them). */
export const PKCE_CHARACTERS = '43 to 128 characters of A-Z a-z 0-9 - . _ ~';

/** The message that refuses a scope which is not scope tokens (RFC 6749 §3.3), wherever it is read. */
const SCOPE_SYNTAX = 'scope must be scope tokens separated by single spaces (RFC 6749 section 3.3).';

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** More scopes than any real request: a request with more is refused. */
export const MAX_SCOPES = 50;

/**
 * The scope tokens of an RFC 6749 §3.3 scope (`scope-token *( SP scope-token )`), or undefined when
 * the text is not one: an empty token (two spaces, a leading or trailing space) or a character
 * outside the scope-token set.
 */
export function scopeTokens(scope: string): string[] | undefined {
  const tokens = scope.split(' ');
  return tokens.every((token) => SCOPE_TOKEN.test(token)) ? tokens : undefined;
}

/**
 * The tokens of a form's `scope` parameter (RFC 6749 §3.3), none when it is absent or sent without
 * a value (§3.1: omitted); otherwise what is wrong with it, for the caller's invalid_scope.
 */
export function scopeParameter(scope: string | undefined): string[] | { readonly problem: string } {
  if (scope === undefined || scope === '') return [];
  const tokens = scopeTokens(scope);
  if (tokens === undefined) return { problem: SCOPE_SYNTAX };
  return tokens.length > MAX_SCOPES ? { problem: `scope may hold at most ${MAX_SCOPES} scopes.` } : tokens;
}

// ---- application/x-www-form-urlencoded ----
// Parsed by hand rather than with URLSearchParams, because RFC 6749 §3.1 and §3.2 say a parameter
// must not be sent twice and URLSearchParams (like API Gateway's queryStringParameters, which joins
// repeats with commas) hides that, and because URLSearchParams turns bad percent-encoding into U+FFFD
// where this refuses it.

export interface Parameters {
  /** Each parameter's first value; RFC 6749 §3.1: one sent without a value counts as omitted. */
  readonly values: ReadonlyMap<string, string>;
  /** Names sent more than once (with or without values). */
  readonly repeated: ReadonlySet<string>;
}

/** More parameters than any OAuth request has: a request with more is refused, not parsed. */
const MAX_PARAMETERS = 64;

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw invalidRequest('The request has a parameter that is not valid percent-encoded UTF-8.');
  }
}

/** Parses `a=1&b=2` (a query without `?`, or a form body). Throws invalid_request on bad encoding. */
export function parseParameters(text: string | undefined): Parameters {
  const values = new Map<string, string>();
  const seen = new Set<string>();
  const repeated = new Set<string>();
  const pairs = (text ?? '').split('&').filter((pair) => pair !== '');
  if (pairs.length > MAX_PARAMETERS) throw invalidRequest(`The request has more than ${MAX_PARAMETERS} parameters.`);
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    const name = decode(equals === -1 ? pair : pair.slice(0, equals));
    const value = equals === -1 ? '' : decode(pair.slice(equals + 1));
    if (seen.has(name)) repeated.add(name);
    seen.add(name);
    if (value !== '' && !values.has(name)) values.set(name, value);
  }
  return { values, repeated };
}

/** Refuses a request that repeats any parameter (RFC 6749 §3.1 and §3.2), naming the first. */
export function refuseRepeated(parameters: Parameters): void {
  const [first] = parameters.repeated;
  if (first !== undefined) throw invalidRequest(sentTwice(clip(first)));
}

/** The message that refuses a repeated parameter (RFC 6749 §3.1), wherever one is refused. */
export const sentTwice = (name: string): string => `The parameter "${name}" is sent more than once (RFC 6749 section 3.1).`;

/** A parameter that must be there; `why` completes "is required …". */
export function requiredParameter(values: ReadonlyMap<string, string>, name: string, why: string): string {
  const value = values.get(name);
  if (value === undefined) throw invalidRequest(`The parameter "${name}" is required ${why}.`);
  return value;
}

/** A form body's media type must be application/x-www-form-urlencoded (RFC 6749 §3.2), in UTF-8. */
export function checkFormContentType(contentType: string | undefined): void {
  const [type, ...params] = (contentType ?? '').split(';').map((part) => part.trim().toLowerCase());
  const charset = params.find((param) => param.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (type !== 'application/x-www-form-urlencoded' || (charset !== undefined && charset !== 'utf-8')) {
    throw brokerError(
      'UnsupportedMediaTypeException',
      'The request body must be application/x-www-form-urlencoded (RFC 6749 section 3.2), in UTF-8.',
    );
  }
}

// ---- error parameters (RFC 6749 §4.1.2.1, §5.2) ----

/** error_description's characters (RFC 6749 §4.1.2.1): printable ASCII but `"` and `\`. */
const ERROR_DESCRIPTION = /^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,512}$/;

/** An `error_description` as RFC 6749 §4.1.2.1 allows it (and no longer than any real one), or undefined. */
export const errorDescription = (text: string | undefined): string | undefined =>
  text !== undefined && ERROR_DESCRIPTION.test(text) ? text : undefined;

/**
 * An `error_uri` as RFC 6749 §4.1.2.1 allows it (`%x21 / %x23-5B / %x5D-7E`) and a browser may be
 * sent to safely: an absolute https URL. Anything else (javascript:, data:, http:) is undefined.
 */
export function errorUri(text: string | undefined): string | undefined {
  if (text === undefined || !/^[\x21\x23-\x5b\x5d-\x7e]{1,2048}$/.test(text) || !URL.canParse(text)) return undefined;
  return new URL(text).protocol === 'https:' ? text : undefined;
}

/** A name or value quoted in an answer, cut short: an answer should not mirror kilobytes of input. */
export const clip = (text: string, max = 64): string => (text.length > max ? `${text.slice(0, max)}…` : text);

/** Longer values are compared by their start only: a refusal's hint is not worth more work. */
const MAX_COMPARED_CHARS = 512;

/** Single-character insertions, deletions and substitutions that turn `a` into `b` (Levenshtein). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The allowed value nearest to a refused one (fewest single-character edits; the first listed on a
 * tie), so that a refusal can show what was probably meant: a trailing slash, `http` for `https`,
 * another port. Undefined when nothing is allowed.
 */
export function nearest(value: string, allowed: Iterable<string>): string | undefined {
  const compared = value.slice(0, MAX_COMPARED_CHARS);
  let best: { value: string; distance: number } | undefined;
  for (const candidate of allowed) {
    const distance = editDistance(compared, candidate.slice(0, MAX_COMPARED_CHARS));
    if (best === undefined || distance < best.distance) best = { value: candidate, distance };
  }
  return best?.value;
}

/**
 * The end of a redirect URI's refusal, for the person who must fix it: the refused value (cut short)
 * and the nearest one the broker allows, which makes a trailing slash or a port visible.
 */
export function refusedRedirectUri(refused: string, allowed: ReadonlySet<string>, variable: string): string {
  const near = nearest(refused, allowed);
  return `: "${clip(refused, 256)}" (${variable} lists exact strings${near === undefined ? '' : `; the nearest allowed one is "${clip(near, 256)}"`}).`;
}
