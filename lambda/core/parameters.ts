// application/x-www-form-urlencoded parsing for the front door's query strings and form bodies,
// by hand rather than with URLSearchParams, because RFC 6749 §3.1 and §3.2 say a parameter must not
// be sent twice and URLSearchParams (like API Gateway's queryStringParameters, which joins repeats
// with commas) hides that.

import { brokerError, invalidRequest } from './errors.js';

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

/** Parses `a=1&b=2` (the query without `?`, or a form body). Throws invalid_request on bad encoding. */
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
  if (first !== undefined) throw invalidRequest(`The parameter "${clip(first)}" is sent more than once (RFC 6749 section 3.1).`);
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

/** A name or value quoted in an answer, cut short: an answer should not mirror kilobytes of input. */
export const clip = (text: string): string => (text.length > 64 ? `${text.slice(0, 64)}…` : text);
