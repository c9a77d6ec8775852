// What is done to a hostile request once its members are chosen: encodings that keep its meaning
// (whitespace, \u escapes, duplicate keys where the last one wins) and transport breakers applied to
// the encoded text (origin, size, UTF-8, media type, syntax, not an object, forbidden keys, depth).

import fc from 'fast-check';
import { MAX_BODY_BYTES, ORIGIN } from './hostile-checks.js';
import type { Request } from './hostile-requests.js';

// ---- encodings that keep the meaning ------------------------------------------------------------------

type Encoding = 'plain' | 'indented' | 'escaped' | 'duplicates';
export const ENCODINGS: Encoding[] = ['plain', 'indented', 'escaped', 'duplicates'];

/** Serialises like JSON.stringify, optionally \u-escaping every string and key character. */
function serialise(value: unknown, encoding: Encoding): string {
  const text = (s: string): string =>
    encoding === 'escaped'
      ? `"${Array.from({ length: s.length }, (_, i) => `\\u${s.charCodeAt(i).toString(16).padStart(4, '0')}`).join('')}"`
      : JSON.stringify(s);
  if (typeof value === 'string') return text(value);
  if (Array.isArray(value)) return `[${value.map((item) => serialise(item, encoding)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value).map(([key, inner]) => `${text(key)}:${serialise(inner, encoding)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function encodeMembers(request: Request, encoding: Encoding): string {
  switch (encoding) {
    case 'indented':
      return JSON.stringify(Object.fromEntries(request.members), null, '\t');
    case 'duplicates':
      // Each member is preceded by a decoy of the same name: JSON.parse keeps the last one.
      return `{${request.members.map(([key, value]) => `${JSON.stringify(key)}:0,${JSON.stringify(key)}:${JSON.stringify(value)}`).join(',')}}`;
    default:
      return `{${request.members.map(([key, value]) => `${serialise(key, encoding)}:${serialise(value, encoding)}`).join(',')}}`;
  }
}


export const NOT_JSON_MEDIA_TYPES = [
  'text/plain', 'text/json', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml',
  'application/octet-stream', 'application/jsonp', 'application/json-seq', 'application/json+xml', 'json', 'application/ json',
  'application/json, text/plain', 'application/x-amz-json-1.1',
];
const INVALID_UTF8 = [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80]];

// ---- transport breakers: applied to the encoded request ------------------------------------------

type Transport =
  | { kind: 'origin'; origin: string }
  | { kind: 'size'; padBytes: number; char: string }
  | { kind: 'utf8'; at: number; bytes: number[] }
  | { kind: 'mediaType'; contentType: string | undefined }
  | { kind: 'syntax'; how: 'truncate' | 'append' | 'bom' | 'single-quotes' | 'trailing-comma'; at: number }
  | { kind: 'notObject'; wrap: 'array' | 'string' | 'number' | 'null' | 'true' }
  | { kind: 'forbiddenKey'; key: '__proto__' | 'constructor'; nested: boolean }
  | { kind: 'deep'; depth: number };

export const transport: fc.Arbitrary<Transport> = fc.oneof(
  fc
    .oneof(
      fc.constantFrom('null', `${ORIGIN}/`, ORIGIN.toUpperCase(), `${ORIGIN}:443`, 'https://app.example.com.evil.com', `${ORIGIN},${ORIGIN}`, 'http://app.example.com'),
      fc.webUrl().map((url) => new URL(url).origin),
    )
    .filter((origin) => origin !== ORIGIN)
    .map((origin) => ({ kind: 'origin' as const, origin })),
  fc.record({ kind: fc.constant('size' as const), padBytes: fc.integer({ min: MAX_BODY_BYTES + 1, max: 4 * MAX_BODY_BYTES }), char: fc.constantFrom('x', 'é', '€', '😀') }),
  fc.record({ kind: fc.constant('utf8' as const), at: fc.nat(), bytes: fc.constantFrom(...INVALID_UTF8) }),
  fc.record({ kind: fc.constant('mediaType' as const), contentType: fc.option(fc.constantFrom(...NOT_JSON_MEDIA_TYPES), { nil: undefined }) }),
  fc.record({ kind: fc.constant('syntax' as const), how: fc.constantFrom('truncate' as const, 'append' as const, 'bom' as const, 'single-quotes' as const, 'trailing-comma' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('notObject' as const), wrap: fc.constantFrom('array' as const, 'string' as const, 'number' as const, 'null' as const, 'true' as const) }),
  fc.record({ kind: fc.constant('forbiddenKey' as const), key: fc.constantFrom('__proto__' as const, 'constructor' as const), nested: fc.boolean() }),
  fc.record({ kind: fc.constant('deep' as const), depth: fc.integer({ min: 500, max: 9000 }) }),
);

export function applyTransport(text: string, breaker: Transport): { text: string; bytes?: Buffer; contentType?: string | undefined; origin?: string } {
  switch (breaker.kind) {
    case 'origin':
      return { text, origin: breaker.origin };
    case 'size': {
      const pad = breaker.char.repeat(Math.ceil(breaker.padBytes / Buffer.byteLength(breaker.char)));
      return { text: `{"pad":${JSON.stringify(pad)},${text.slice(1)}` };
    }
    case 'utf8': {
      const bytes = Buffer.from(text, 'utf8');
      const at = breaker.at % (bytes.length + 1);
      return { text, bytes: Buffer.concat([bytes.subarray(0, at), Buffer.from(breaker.bytes), bytes.subarray(at)]) };
    }
    case 'mediaType':
      return { text, contentType: breaker.contentType };
    case 'syntax':
      switch (breaker.how) {
        case 'truncate':
          return { text: text.slice(0, breaker.at % text.length) };
        case 'append':
          return { text: `${text}}` };
        case 'bom':
          return { text: `\ufeff${text}` };
        case 'single-quotes':
          return { text: text.replace(/"/g, "'") };
        case 'trailing-comma':
          return { text: `${text.slice(0, -1)},}` };
      }
    case 'notObject':
      switch (breaker.wrap) {
        case 'array':
          return { text: `[${text}]` };
        case 'string':
          return { text: JSON.stringify(text) };
        case 'number':
          return { text: '42' };
        case 'null':
          return { text: 'null' };
        case 'true':
          return { text: 'true' };
      }
    case 'forbiddenKey': {
      const member = breaker.key === '__proto__' ? '"__proto__":{"polluted":true}' : '"constructor":{"prototype":{"polluted":true}}';
      return { text: breaker.nested ? `{"nest":{"list":[{${member}}]},${text.slice(1)}` : `{${member},${text.slice(1)}` };
    }
    case 'deep':
      return { text: `${'['.repeat(breaker.depth)}${text}${']'.repeat(breaker.depth)}` };
  }
}
