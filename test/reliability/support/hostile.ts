// Generators of hostile requests for both routes, and what the broker must answer to each.
//
// A structured case starts from a valid request (a JSON object the broker would send upstream),
// encodes it in a way that keeps its meaning (whitespace, \u escapes, duplicate keys where the last
// one wins, base64 as API Gateway delivers it, any JSON media type), and applies breakers that each
// make it invalid for a known reason. The expected answer follows from the breakers by the broker's
// documented order of checks (docs/http-api.md, "Errors the broker raises itself"):
//   origin 403 > size 413 > UTF-8 400 > content type 415 > JSON 400 > forbidden key 400 >
//   not an object 400 > the members (400, or 401 for another clientId).
// A case with no breaker is valid: it must reach SSO OIDC exactly once. Nothing else may.
//
// A chaos case is anything at all (bytes, strings, JSON, content types, headers) that cannot be a
// valid request by construction (no enabled grantType, no startUrl string): always a 4xx of the
// broker's own, and no SSO OIDC call.

import fc from 'fast-check';

export const ORIGIN = 'https://app.example.com';
export const REDIRECT = 'https://app.example.com/callback';
export const DEVICE = 'urn:ietf:params:oauth:grant-type:device_code';
export const GRANTS: readonly string[] = ['authorization_code', 'refresh_token', DEVICE];
export const MAX_BODY_BYTES = 16 * 1024;
const MAX_SCOPES = 50;

export type Route = 'POST /token' | 'POST /device_authorization';
export type Expected = { readonly status: number; readonly type: string } | 'upstream';

export interface Case {
  readonly route: Route;
  /** Header names in lower case, as API Gateway passes them; duplicates already joined with commas. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | undefined;
  /** Whether the event carries the body base64-encoded (forced when it is not UTF-8). */
  readonly base64: boolean;
  readonly expected: Expected;
  /** What was done to the request, for a readable counterexample. */
  readonly why: readonly string[];
  /** Credentials the request carries (codes, verifiers, tokens): the leak check looks for them. */
  readonly credentials: readonly string[];
}

const INVALID_REQUEST = { status: 400, type: 'InvalidRequestException' } as const;
const EXPECT = {
  origin: { status: 403, type: 'ForbiddenOriginException' },
  size: { status: 413, type: 'PayloadTooLargeException' },
  mediaType: { status: 415, type: 'UnsupportedMediaTypeException' },
  unsupportedGrant: { status: 400, type: 'UnsupportedGrantTypeException' },
  otherClient: { status: 401, type: 'InvalidClientException' },
} as const;

// ---- values ---------------------------------------------------------------------------------------

/** Credentials are long and distinctive, so that the leak check can find them anywhere. */
const credential = (prefix: string): fc.Arbitrary<string> =>
  fc.stringMatching(/^[A-Za-z0-9_-]{16,60}$/).map((s) => `${prefix}-${s}`);
const verifier = fc.stringMatching(/^[A-Za-z0-9\-._~]{43,128}$/);

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const KNOWN_MEMBERS = new Set([
  'grantType', 'code', 'codeVerifier', 'redirectUri', 'refreshToken', 'deviceCode', 'scope', 'clientId', 'clientSecret', 'startUrl',
]);

function hasForbiddenKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasForbiddenKey);
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(value).some(([key, inner]) => FORBIDDEN_KEYS.has(key) || hasForbiddenKey(inner));
}

/** Any JSON value (any Unicode, lone surrogates included), without prototype-ish keys. */
const junk = (maxDepth = 3): fc.Arbitrary<unknown> =>
  fc.jsonValue({ maxDepth, depthSize: 'small' }).filter((value) => !hasForbiddenKey(value));
const unknownKey = fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }).filter((key) => !KNOWN_MEMBERS.has(key) && !FORBIDDEN_KEYS.has(key));
const unknownMembers = fc.dictionary(unknownKey, junk(), { maxKeys: 4 });
// Never null (nor NaN, which JSON writes as null): a null member counts as absent.
const notAString = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant([]),
  fc.array(fc.string(), { minLength: 1, maxLength: 3 }),
  fc.constant({}),
);
/** Now and then a long unknown member: bodies up to (and, encoded, sometimes past) the size limit. */
const bulk = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 3 },
  {
    arbitrary: fc
      .tuple(fc.constantFrom('x', 'é', '€', '😀', '\u0000'), fc.integer({ min: 1000, max: MAX_BODY_BYTES - 1000 }))
      .map(([char, bytes]) => char.repeat(Math.floor(bytes / Buffer.byteLength(char)))),
    weight: 1,
  },
);
const httpUrl = (value: string): boolean => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol);
const validScope = fc.array(fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }), { maxLength: MAX_SCOPES });

// ---- valid requests ---------------------------------------------------------------------------------

interface Request {
  readonly route: Route;
  /** The request's members, in order; a later duplicate of a key wins, as in JSON.parse. */
  readonly members: [string, unknown][];
}

const members = (record: Record<string, unknown>): [string, unknown][] =>
  Object.entries(record).filter(([, value]) => value !== undefined);

/** Optional members every route reads or ignores the same way. */
const common = (clientId: string) =>
  fc.record(
    {
      clientId: fc.constant(clientId),
      clientSecret: fc.oneof(credential('cnry-ignored-secret'), junk(2)),
      extra: unknownMembers,
      bulk,
    },
    { requiredKeys: [] },
  );

/** A valid request of each grant and route, with members of other grants (ignored) and unknown ones. */
export function validRequest(clientId: string, routes: readonly Route[] = ['POST /token', 'POST /device_authorization']): fc.Arbitrary<Request> {
  const foreign = (names: string[]) =>
    fc.record(Object.fromEntries(names.map((name) => [name, junk(2)])), { requiredKeys: [] }) as fc.Arbitrary<Record<string, unknown>>;
  const withCommon = (route: Route, required: fc.Arbitrary<Record<string, unknown>>, others: string[]) =>
    fc.tuple(required, common(clientId), foreign(others)).map(([own, { extra, ...shared }, other]) => ({
      route,
      members: members({ ...other, ...own, ...shared, ...(extra ?? {}) }),
    }));
  const scope = fc.option(validScope, { nil: undefined });
  const token: fc.Arbitrary<Request>[] = [
    withCommon(
      'POST /token',
      fc.record({ grantType: fc.constant('authorization_code'), code: credential('cnry-code'), redirectUri: fc.constant(REDIRECT), codeVerifier: verifier, scope }),
      ['refreshToken', 'deviceCode', 'startUrl'],
    ),
    withCommon(
      'POST /token',
      fc.record({ grantType: fc.constant('refresh_token'), refreshToken: credential('cnry-refresh'), scope }),
      ['code', 'codeVerifier', 'redirectUri', 'deviceCode', 'startUrl'],
    ),
    withCommon(
      'POST /token',
      fc.record({ grantType: fc.constant(DEVICE), deviceCode: credential('cnry-device'), scope }),
      ['code', 'codeVerifier', 'redirectUri', 'refreshToken', 'startUrl'],
    ),
  ];
  const device = withCommon(
    'POST /device_authorization',
    fc.record({ startUrl: fc.webUrl({ validSchemes: ['https', 'http'] }).filter(httpUrl) }),
    ['grantType', 'code', 'codeVerifier', 'redirectUri', 'refreshToken', 'deviceCode', 'scope'],
  );
  return fc.oneof(...(routes.includes('POST /token') ? token : []), ...(routes.includes('POST /device_authorization') ? [device] : []));
}

// ---- member breakers: each makes a valid request invalid for one reason ----------------------------

interface Broken {
  readonly request: Request;
  readonly expected: { readonly status: number; readonly type: string };
  readonly why: string;
}

const get = (request: Request, name: string): unknown => request.members.findLast(([key]) => key === name)?.[1];
const without = (request: Request, name: string): Request => ({ ...request, members: request.members.filter(([key]) => key !== name) });
const setMember = (request: Request, name: string, value: unknown): Request => ({ ...without(request, name), members: [...without(request, name).members, [name, value]] });

function requiredMembers(request: Request): string[] {
  if (request.route === 'POST /device_authorization') return ['startUrl'];
  switch (get(request, 'grantType')) {
    case 'authorization_code':
      return ['code', 'redirectUri', 'codeVerifier'];
    case 'refresh_token':
      return ['refreshToken'];
    default:
      return ['deviceCode'];
  }
}

/** Any string WHATWG URL does not take for an absolute http(s) URL. */
const notHttpUrl = fc
  .oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
    fc.constantFrom('javascript:alert(1)', 'ftp://example.com/start', 'file:///etc/passwd', 'data:text/html,x', '//example.com/start', 'example.com/start', 'https//example.com'),
  )
  .filter((value) => !httpUrl(value));

export function breakMembers(request: Request, clientId: string): fc.Arbitrary<Broken> {
  const breakers: fc.Arbitrary<Broken>[] = [];
  const broken = (why: string, expected: Broken['expected']) => (next: Request) => ({ request: next, expected, why });

  // A required member missing, not a string, or empty.
  breakers.push(
    fc.constantFrom(...requiredMembers(request)).chain((name) =>
      fc.oneof(
        fc.constant(without(request, name)),
        notAString.map((value) => setMember(request, name, value)),
        fc.constant(setMember(request, name, '')),
      ).map(broken(`member ${name} missing, mistyped or empty`, INVALID_REQUEST)),
    ),
  );
  // clientId: another type, empty, or another client.
  breakers.push(
    fc.oneof(notAString, fc.constant('')).map((value) => setMember(request, 'clientId', value)).map(broken('clientId not a non-empty string', INVALID_REQUEST)),
    fc.string({ minLength: 1, maxLength: 40 }).filter((id) => id !== clientId).map((id) => setMember(request, 'clientId', id)).map(broken('another clientId', EXPECT.otherClient)),
  );
  if (request.route === 'POST /device_authorization') {
    breakers.push(notHttpUrl.map((url) => setMember(request, 'startUrl', url)).map(broken('startUrl not an http(s) URL', INVALID_REQUEST)));
    return fc.oneof(...breakers);
  }
  // grantType: missing, another type, empty, or not enabled.
  breakers.push(
    fc.oneof(fc.constant(without(request, 'grantType')), notAString.map((value) => setMember(request, 'grantType', value)), fc.constant(setMember(request, 'grantType', '')))
      .map(broken('grantType missing, mistyped or empty', INVALID_REQUEST)),
    fc
      .oneof(
        fc.constantFrom('client_credentials', 'password', 'implicit', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'REFRESH_TOKEN', 'refresh_token ', ' authorization_code', `${DEVICE}\u0000`),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }),
      )
      .filter((grant) => !GRANTS.includes(grant))
      .map((grant) => setMember(request, 'grantType', grant))
      .map(broken('grantType not enabled', EXPECT.unsupportedGrant)),
  );
  // scope: not an array of non-empty strings, or too many.
  breakers.push(
    fc
      .oneof(
        fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant({})),
        fc.tuple(validScope, fc.oneof(fc.constant(''), notAString)).map(([scope, bad]) => [...scope.slice(0, MAX_SCOPES - 1), bad]),
        fc.array(fc.string({ minLength: 1, maxLength: 8 }), { minLength: MAX_SCOPES + 1, maxLength: MAX_SCOPES + 30 }),
      )
      .map((scope) => setMember(request, 'scope', scope))
      .map(broken('scope not an array of at most 50 non-empty strings', INVALID_REQUEST)),
  );
  if (get(request, 'grantType') === 'authorization_code') {
    breakers.push(
      fc
        .oneof(
          fc.stringMatching(/^[A-Za-z0-9\-._~]{1,42}$/),
          fc.stringMatching(/^[A-Za-z0-9\-._~]{129,200}$/),
          fc.tuple(verifier, fc.constantFrom('+', '/', '=', ' ', '%', 'é', '\u0000', '😀')).map(([v, bad]) => `${v.slice(0, 60)}${bad}`),
        )
        .map((value) => setMember(request, 'codeVerifier', value))
        .map(broken('codeVerifier not RFC 7636', INVALID_REQUEST)),
      fc
        .oneof(fc.constantFrom(`${REDIRECT}/`, REDIRECT.toUpperCase(), `${REDIRECT}?x=1`, `${REDIRECT}#`, 'https://evil.example.com/callback'), fc.webUrl())
        .filter((uri) => uri !== REDIRECT)
        .map((uri) => setMember(request, 'redirectUri', uri))
        .map(broken('redirectUri not allowed', INVALID_REQUEST)),
    );
  }
  return fc.oneof(...breakers);
}

// ---- encodings that keep the meaning ------------------------------------------------------------------

type Encoding = 'plain' | 'indented' | 'escaped' | 'duplicates';
const ENCODINGS: Encoding[] = ['plain', 'indented', 'escaped', 'duplicates'];

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

function encodeMembers(request: Request, encoding: Encoding): string {
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

const JSON_MEDIA_TYPES = ['application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/json;charset=UTF-8', 'application/vnd.api+json'];
const NOT_JSON_MEDIA_TYPES = [
  'text/plain', 'text/json', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml',
  'application/octet-stream', 'application/jsonp', 'application/json-seq', 'application/json+xml', 'json', 'application/ json',
  'application/json, text/plain', 'application/x-amz-json-1.1',
];
const INVALID_UTF8 = [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80]];

const isUtf8 = (bytes: Buffer): boolean => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
};

/** JSON.parse as the broker's parser sees it: `undefined` when it is not JSON at all. */
function parsed(text: string): { value: unknown; forbidden: boolean } | undefined {
  let forbidden = false;
  try {
    const value: unknown = JSON.parse(text, (key, inner: unknown) => {
      if (key === '__proto__' || (key === 'constructor' && typeof inner === 'object' && inner !== null && Object.hasOwn(inner, 'prototype'))) forbidden = true;
      return inner;
    });
    return { value, forbidden };
  } catch {
    return undefined;
  }
}

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

const transport: fc.Arbitrary<Transport> = fc.oneof(
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

function applyTransport(text: string, breaker: Transport): { text: string; bytes?: Buffer; contentType?: string | undefined; origin?: string } {
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

/** The answer the broker's order of checks gives; `upstream` when the request is valid. */
export function expectedFor(c: {
  origin: string | undefined;
  bytes: Buffer;
  contentType: string | undefined;
  memberExpectation: Broken['expected'] | undefined;
}): Expected {
  if (c.origin !== undefined && c.origin !== ORIGIN) return EXPECT.origin;
  if (c.bytes.length > MAX_BODY_BYTES) return EXPECT.size;
  if (!isUtf8(c.bytes)) return INVALID_REQUEST;
  if (c.contentType === undefined || !JSON_MEDIA_TYPES.includes(c.contentType)) return EXPECT.mediaType;
  const json = parsed(c.bytes.toString('utf8'));
  if (json === undefined || json.forbidden) return INVALID_REQUEST;
  if (typeof json.value !== 'object' || json.value === null || Array.isArray(json.value)) return INVALID_REQUEST;
  return c.memberExpectation ?? 'upstream';
}

const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/).filter((name) => !['origin', 'content-type', 'content-length', 'host', 'transfer-encoding', 'connection', 'expect', 'upgrade', 'te', 'trailer', 'keep-alive'].includes(name) && !name.startsWith('proxy-'));
const headerValue = fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,60}$/);
const junkHeaders = fc.dictionary(headerName, headerValue, { maxKeys: 4 });

/**
 * A structured case. `breakers`: 'none' (valid), 'some' (at least one member or transport breaker),
 * or 'any' (either).
 */
export function structuredCase(clientId: string, breakers: 'none' | 'some' | 'any', routes?: readonly Route[]): fc.Arbitrary<Case> {
  return validRequest(clientId, routes)
    .chain((request) =>
      fc.record({
        request: fc.constant(request),
        member: breakers === 'none' ? fc.constant(undefined) : fc.option(breakMembers(request, clientId), { nil: undefined, freq: 2 }),
        transport: breakers === 'none' ? fc.constant(undefined) : fc.option(transport, { nil: undefined, freq: 2 }),
        encoding: fc.constantFrom(...ENCODINGS),
        contentType: fc.constantFrom(...JSON_MEDIA_TYPES),
        origin: fc.option(fc.constant(ORIGIN), { nil: undefined }),
        base64: fc.boolean(),
        headers: junkHeaders,
      }),
    )
    .filter(({ member, transport: t }) => breakers !== 'some' || member !== undefined || t !== undefined)
    .map(({ request, member, transport: t, encoding, contentType, origin, base64, headers }) => {
      const final = member?.request ?? request;
      const applied = t === undefined ? { text: encodeMembers(final, encoding) } : applyTransport(encodeMembers(final, encoding), t);
      const bytes = applied.bytes ?? Buffer.from(applied.text, 'utf8');
      const sentType = applied.contentType !== undefined || t?.kind === 'mediaType' ? applied.contentType : contentType;
      const sentOrigin = applied.origin ?? origin;
      const allHeaders: Record<string, string> = { ...headers };
      if (sentType !== undefined) allHeaders['content-type'] = sentType;
      if (sentOrigin !== undefined) allHeaders.origin = sentOrigin;
      return {
        route: request.route,
        headers: allHeaders,
        body: bytes,
        base64: base64 || !isUtf8(bytes),
        expected: expectedFor({ origin: sentOrigin, bytes, contentType: sentType, memberExpectation: member?.expected }),
        why: [`${request.route} ${JSON.stringify(get(request, 'grantType') ?? '')}`, encoding, ...(member ? [member.why] : []), ...(t ? [t.kind] : [])],
        credentials: credentialsOf(final),
      };
    });
}

function credentialsOf(request: Request): string[] {
  return ['code', 'codeVerifier', 'refreshToken', 'deviceCode', 'clientSecret']
    .map((name) => get(request, name))
    .filter((value): value is string => typeof value === 'string');
}

/** True when a body could be a valid request (so the chaos generator leaves it out). */
function couldBeValid(route: Route, bytes: Buffer): boolean {
  for (const text of [bytes.toString('utf8'), bytes.toString('latin1')]) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
    const body = value as Record<string, unknown>;
    if (route === 'POST /token' && typeof body.grantType === 'string' && GRANTS.includes(body.grantType)) return true;
    if (route === 'POST /device_authorization' && typeof body.startUrl === 'string') return true;
  }
  return false;
}

/** Anything at all that cannot be a valid request: the broker answers it with a 4xx of its own. */
export function chaosCase(): fc.Arbitrary<Case> {
  const body = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s, 'utf8')),
    fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
    junk(6).map((value) => Buffer.from(JSON.stringify(value), 'utf8')),
    fc.dictionary(fc.constantFrom(...KNOWN_MEMBERS, '__proto__', 'constructor'), fc.oneof(junk(2), fc.constantFrom(...GRANTS)), { maxKeys: 6 }).map((value) =>
      Buffer.from(JSON.stringify(value), 'utf8'),
    ),
    fc.integer({ min: 1, max: 9000 }).map((depth) => Buffer.from(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`)),
    fc.constant(undefined),
  );
  const contentType = fc.option(fc.oneof(fc.constantFrom(...JSON_MEDIA_TYPES, ...NOT_JSON_MEDIA_TYPES), fc.stringMatching(/^[\x20-\x7e]{0,40}$/)), { nil: undefined });
  return fc
    .record({
      route: fc.constantFrom<Route>('POST /token', 'POST /device_authorization'),
      body,
      contentType,
      origin: fc.option(fc.oneof(fc.constant(ORIGIN), fc.webUrl().map((url) => new URL(url).origin)), { nil: undefined }),
      base64: fc.boolean(),
      headers: junkHeaders,
    })
    .filter(({ route, body: bytes }) => bytes === undefined || !couldBeValid(route, bytes))
    .map(({ route, body: bytes, contentType: type, origin, base64, headers }) => {
      const allHeaders: Record<string, string> = { ...headers };
      if (type !== undefined) allHeaders['content-type'] = type;
      if (origin !== undefined) allHeaders.origin = origin;
      return {
        route,
        headers: allHeaders,
        body: bytes,
        base64: bytes !== undefined && (base64 || !isUtf8(bytes)),
        expected: { status: 0, type: 'any 4xx' },
        why: ['chaos'],
        credentials: [],
      };
    });
}
