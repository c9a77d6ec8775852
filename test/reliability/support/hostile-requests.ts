// Hostile requests, member by member: valid requests of each grant and route (with members of other
// grants, which are ignored, and unknown ones), and the member breakers that each make a valid request
// invalid for one known reason, with the answer that reason gets (hostile-checks.ts).

import fc from 'fast-check';
import { DEVICE, EXPECT, GRANTS, INVALID_REQUEST, MAX_BODY_BYTES, REDIRECT, type Refusal, type Route } from './hostile-checks.js';

const MAX_SCOPES = 50;

// ---- values ---------------------------------------------------------------------------------------

/** Credentials are long and distinctive, so that the leak check can find them anywhere. */
const credential = (prefix: string): fc.Arbitrary<string> =>
  fc.stringMatching(/^[A-Za-z0-9_-]{16,60}$/).map((s) => `${prefix}-${s}`);
const verifier = fc.stringMatching(/^[A-Za-z0-9\-._~]{43,128}$/);

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
export const KNOWN_MEMBERS = new Set([
  'grantType', 'code', 'codeVerifier', 'redirectUri', 'refreshToken', 'deviceCode', 'scope', 'clientId', 'clientSecret', 'startUrl',
]);

function hasForbiddenKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasForbiddenKey);
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(value).some(([key, inner]) => FORBIDDEN_KEYS.has(key) || hasForbiddenKey(inner));
}

/** Any JSON value (any Unicode, lone surrogates included), without prototype-ish keys. */
export const junk = (maxDepth = 3): fc.Arbitrary<unknown> =>
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

export interface Request {
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

export interface Broken {
  readonly request: Request;
  readonly expected: Refusal;
  readonly why: string;
}

export const get = (request: Request, name: string): unknown => request.members.findLast(([key]) => key === name)?.[1];
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

