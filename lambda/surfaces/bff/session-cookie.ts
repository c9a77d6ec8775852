// The session cookie's contents: one typed payload (SSO OIDC's refresh token and access token, the
// client id of the registration that issued them, the scope, the generation and the session's end),
// compressed, sealed once under the current cookie key, and split into numbered chunks of at most
// CHUNK_BYTES each (as ASP.NET Core and oauth2-proxy carry large tokens): `<slot name>` holds
// `<count>~<first part>`, `<slot name>.1`, `.2` the rest. Reading tries every combination of the
// values a request carries for those names (a planted cookie adds values, never replaces ours) and
// keeps the one that opens.
//
// Compressed before sealing (deflate): tokens are base64 text, which deflate brings back to about
// 6 bits a character, so the sealed, base64url-encoded cookie is about as long as the tokens
// themselves (measured: a 4 KB refresh token, a 2 KB access token and a 300-character scope make a
// 6.4 KB session, 8.8 KB uncompressed). No compression oracle (CRIME): what page script can choose
// (the scope, at sign-in) is compressed with tokens SSO OIDC issues fresh for that sign-in, and a
// cookie's length is never visible to page script.

import { brokerError } from '../../core/errors.js';
import { sealBytes, sealedKeyId, unsealBytes, type SealKey } from '../../core/seal.js';
import { clearCookie, COOKIE_NAMES, MAX_CHUNKS, SESSION_CHUNK_NAMES, setCookie, type CookiePaths, type RequestCookies, type Slot } from './cookies.js';

/** What a session cookie keeps. */
export interface SessionState {
  readonly v: 2;
  /** Increments with every rotation of the refresh token; the slot is `g % 2`. */
  readonly g: number;
  /** SSO OIDC's refresh token; absent when it issued none (the session ends with the access token). */
  readonly rt?: string;
  /** The client id of the registration that issued the tokens: a refresh uses that registration. */
  readonly c: string;
  /** The scope granted, space-separated. */
  readonly sc: string;
  /** Epoch seconds: when the session ends, whatever the browser does with Max-Age. */
  readonly exp: number;
  /** SSO OIDC's access token, used by the broker's proxies and handed to page script only in `access` mode. */
  readonly at: string;
  /** Epoch seconds: when the access token expires. */
  readonly ate: number;
}

/** Each chunk's `name=value`, well under the 4096 bytes a browser keeps of a cookie with its attributes. */
const CHUNK_BYTES = 3800;
/**
 * The most a session's `name=value` pairs may take in the Cookie header: API Gateway accepts 10,240
 * bytes of request line and headers, and a browser's other headers, the SPA site's other cookies and
 * the request line need the rest.
 */
export const MAX_SESSION_COOKIE_BYTES = 8192;
/** The most a payload may inflate to (sealed payloads are authenticated; this only bounds a bug). */
const MAX_PAYLOAD_BYTES = 64 * 1024;
/** The most combinations of planted and genuine values tried per slot. */
const MAX_TRIES = 8;
const FIRST = /^([1-9])~/;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

const isSessionState = (value: unknown): value is SessionState =>
  isObject(value) &&
  value.v === 2 &&
  Number.isSafeInteger(value.g) &&
  (value.g as number) >= 0 &&
  (value.rt === undefined || typeof value.rt === 'string') &&
  typeof value.c === 'string' &&
  typeof value.sc === 'string' &&
  typeof value.exp === 'number' &&
  typeof value.at === 'string' &&
  typeof value.ate === 'number';

/**
 * node:zlib, loaded at the first session cookie rather than with the bundle: only cookie sessions
 * use it, and loading it (with the ESM facade an import builds) cost every cold start, cookie
 * sessions on or off, a few milliseconds of CPU (docs/performance.md).
 */
let zlib: typeof import('node:zlib') | undefined;
const compression = (): typeof import('node:zlib') => (zlib ??= process.getBuiltinModule('node:zlib'));

/**
 * Output chunks zlib allocates from Node's shared Buffer pool (under half its 8 KB slab) rather than
 * as a 16 KB buffer of their own per call (its default): a session deflates to at most a few
 * kilobytes, and the per-call buffers were most of the cost of a small session, garbage collection
 * included (measured with a 9 MB live heap: deflate 15.4 against 9.6 µs, inflate 8.6 against 4.4 µs
 * for a 300-byte session; unchanged for a 6 KB one, which takes two chunks).
 */
const POOLED_CHUNK_BYTES = 4095;

/**
 * Deflate's fastest level: tokens are random base64, which only deflate's Huffman coding shortens,
 * and level 1 makes the same length as the default level 6 for less CPU (measured on a 6,386-byte
 * session: 4,658 bytes either way, 45 against 50 µs, batches interleaved).
 */
const FASTEST = { level: 1, chunkSize: POOLED_CHUNK_BYTES } as const;
const INFLATE = { maxOutputLength: MAX_PAYLOAD_BYTES, chunkSize: POOLED_CHUNK_BYTES } as const;

/** The sealed value of a session, for slot `g % 2`. */
export function sealSession(state: SessionState, key: SealKey): string {
  return sealBytes(compression().deflateRawSync(Buffer.from(JSON.stringify(state), 'utf8'), FASTEST), key, COOKIE_NAMES.session[(state.g % 2) as Slot]);
}

function openSession(sealed: string, key: SealKey, slot: Slot): SessionState | undefined {
  const plain = unsealBytes(sealed, key, COOKIE_NAMES.session[slot]);
  if (plain === undefined) return undefined;
  try {
    const state: unknown = JSON.parse(compression().inflateRawSync(plain, INFLATE).toString('utf8'));
    return isSessionState(state) && state.g % 2 === slot ? state : undefined;
  } catch {
    return undefined;
  }
}

/** The sealed value cut into chunk values for `names`, the first carrying the count. */
function chunksOf(sealed: string, names: readonly string[]): string[] {
  const chunks: string[] = [];
  let rest = sealed;
  for (let i = 0; rest.length > 0 && i < names.length + 1; i += 1) {
    const name = names[i] ?? `${names[0]}.${i}`;
    const room = CHUNK_BYTES - name.length - 1 - (i === 0 ? 2 : 0);
    chunks.push(rest.slice(0, room));
    rest = rest.slice(room);
  }
  if (rest.length > 0) chunks.push(rest);
  return chunks.map((chunk, i) => (i === 0 ? `${chunks.length}~${chunk}` : chunk));
}

/**
 * The Set-Cookie values that store `state` in its slot, in as many chunks as it needs; chunk names
 * of that slot the request carried but the session no longer needs are cleared, and, with
 * `clearOther`, the other slot's. A session too large for any browser request is a clear error whose
 * log line names the sizes (never the values).
 */
export function sessionSetCookies(
  state: SessionState,
  key: SealKey,
  options: { readonly paths: CookiePaths; readonly nowSeconds: number; readonly present: RequestCookies; readonly clearOther: boolean },
): string[] {
  const slot = (state.g % 2) as Slot;
  const names = SESSION_CHUNK_NAMES[slot];
  const chunks = chunksOf(sealSession(state, key), names);
  const bytes = chunks.reduce((sum, chunk, i) => sum + (names[i] ?? '').length + 1 + chunk.length, 0) + 2 * (chunks.length - 1);
  if (chunks.length > MAX_CHUNKS || bytes > MAX_SESSION_COOKIE_BYTES) {
    throw brokerError(
      'SessionTooLargeException',
      `The tokens SSO OIDC issued are too large to keep in the session cookies (${bytes} bytes, over the ${MAX_SESSION_COOKIE_BYTES} a browser request may carry): sign-in cannot complete.`,
      {
        logDetail:
          `session cookies would be ${bytes} bytes in ${chunks.length} chunks, over ${MAX_SESSION_COOKIE_BYTES}: refresh token ` +
          `${state.rt?.length ?? 0} characters, access token ${state.at.length}, scope ${state.sc.length}`,
      },
    );
  }
  const maxAge = state.exp - options.nowSeconds;
  const set = chunks.map((chunk, i) => setCookie(names[i]!, chunk, options.paths.session, maxAge));
  const stale = names.slice(chunks.length);
  const other = options.clearOther ? SESSION_CHUNK_NAMES[slot === 0 ? 1 : 0] : [];
  const clears = [...stale, ...other].filter((name) => options.present.has(name)).map((name) => clearCookie(name, options.paths));
  return [...set, ...clears];
}

export interface SessionRead {
  /** The usable session with the highest generation, its slot and the id of the key it was sealed under. */
  readonly best?: { readonly slot: Slot; readonly state: SessionState; readonly keyId: string | undefined };
  /** A session cookie was sent that opened as nothing usable (altered, cut short, retired key, another format). */
  readonly unusable: boolean;
}

/** Every way the request's chunk values of a slot fit together, first value by first value, bounded. */
function assemblies(cookies: RequestCookies, slot: Slot): { sealed: string[]; malformed: boolean } {
  const names = SESSION_CHUNK_NAMES[slot];
  const sealed: string[] = [];
  let malformed = false;
  for (const first of cookies.get(names[0]!) ?? []) {
    const count = Number(FIRST.exec(first)?.[1] ?? 0);
    if (count === 0 || count > MAX_CHUNKS) {
      malformed = true;
      continue;
    }
    let partial = [first.slice(2)];
    for (const name of names.slice(1, count)) {
      partial = partial.flatMap((prefix) => (cookies.get(name) ?? []).map((value) => prefix + value)).slice(0, MAX_TRIES);
    }
    if (partial.length === 0) malformed = true;
    sealed.push(...partial);
  }
  return { sealed: sealed.slice(0, MAX_TRIES), malformed };
}

/**
 * The session the request carries: of every value that opens (under a key the keys secret holds, for
 * its own slot name, unexpired), the highest generation. Values that open as nothing are ignored when
 * one does open, so that a cookie planted beside a valid one never ends the session.
 */
export async function readSession(
  cookies: RequestCookies,
  keyFor: (keyId: string | undefined) => Promise<SealKey | undefined>,
  nowSeconds: number,
): Promise<SessionRead> {
  let best: SessionRead['best'];
  let unusable = false;
  const keys = new Map<string | undefined, Promise<SealKey | undefined>>();
  for (const slot of [0, 1] as const) {
    const { sealed, malformed } = assemblies(cookies, slot);
    unusable ||= malformed;
    const orphans = SESSION_CHUNK_NAMES[slot].slice(1).some((name) => cookies.has(name));
    if (sealed.length === 0 && orphans) unusable = true;
    for (const value of sealed) {
      const keyId = sealedKeyId(value);
      if (!keys.has(keyId)) keys.set(keyId, keyFor(keyId));
      const key = await keys.get(keyId);
      const state = key === undefined ? undefined : openSession(value, key, slot);
      if (state === undefined) {
        unusable = true;
        continue;
      }
      if (state.exp <= nowSeconds) continue;
      if (best === undefined || state.g > best.state.g) best = { slot, state, keyId };
    }
  }
  return best === undefined ? { unusable } : { best, unusable };
}
