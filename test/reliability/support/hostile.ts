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
//
// The parts: hostile-requests.ts (valid requests, member breakers), hostile-encodings.ts (encodings,
// transport breakers), hostile-checks.ts (the expected answer).

import fc from 'fast-check';
import { couldBeValid, expectedFor, GRANTS, isUtf8, JSON_MEDIA_TYPES, ORIGIN, type Expected, type Route } from './hostile-checks.js';
import { applyTransport, ENCODINGS, encodeMembers, NOT_JSON_MEDIA_TYPES, transport } from './hostile-encodings.js';
import { breakMembers, get, junk, KNOWN_MEMBERS, validRequest, type Request } from './hostile-requests.js';

export { DEVICE, ORIGIN, REDIRECT } from './hostile-checks.js';

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
