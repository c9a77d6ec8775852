// What the broker must answer a hostile request (the checks the generators in hostile.ts are held
// to): its documented order of checks (docs/http-api.md, "Errors the broker raises itself"):
//   origin 403 > size 413 > UTF-8 400 > content type 415 > JSON 400 > forbidden key 400 >
//   not an object 400 > the members (400, or 401 for another clientId);
// a request with none of these faults reaches SSO OIDC. And the test that keeps a chaos case from
// being valid by accident.

export const ORIGIN = 'https://app.example.com';
export const REDIRECT = 'https://app.example.com/callback';
export const DEVICE = 'urn:ietf:params:oauth:grant-type:device_code';
export const GRANTS: readonly string[] = ['authorization_code', 'refresh_token', DEVICE];
export const MAX_BODY_BYTES = 16 * 1024;

export type Route = 'POST /token' | 'POST /device_authorization';
/** A refusal of the broker's own: its status and error type. */
export type Refusal = { readonly status: number; readonly type: string };
export type Expected = Refusal | 'upstream';

export const INVALID_REQUEST = { status: 400, type: 'InvalidRequestException' } as const;
export const EXPECT = {
  origin: { status: 403, type: 'ForbiddenOriginException' },
  size: { status: 413, type: 'PayloadTooLargeException' },
  mediaType: { status: 415, type: 'UnsupportedMediaTypeException' },
  unsupportedGrant: { status: 400, type: 'UnsupportedGrantTypeException' },
  otherClient: { status: 401, type: 'InvalidClientException' },
} as const;

export const JSON_MEDIA_TYPES = ['application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/json;charset=UTF-8', 'application/vnd.api+json'];

export const isUtf8 = (bytes: Buffer): boolean => {
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

/** The answer the broker's order of checks gives; `upstream` when the request is valid. */
export function expectedFor(c: {
  origin: string | undefined;
  bytes: Buffer;
  contentType: string | undefined;
  memberExpectation: Refusal | undefined;
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

/** True when a body could be a valid request (so the chaos generator leaves it out). */
export function couldBeValid(route: Route, bytes: Buffer): boolean {
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
