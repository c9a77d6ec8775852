// What every surface is given and gives back: plain data, no HTTP types. The edge (lambda/edge/)
// reads the request into a RouteRequest, calls the route's handler and writes its Answer (headers,
// CORS, cookies, the error formats) the same way for every surface.

import type { Audit } from '../core/audit.js';

export interface RouteRequest {
  /** JSON routes: the parsed body; form routes: the body's text; raw routes: its bytes (a Buffer); other routes: undefined. */
  readonly body: unknown;
  /** The request's method, upper-case: what a route of method ANY reads (others know theirs). */
  readonly method?: string;
  /** The path parameters of the route's path (`{name}`, `{proxy+}`), as sent (not decoded). */
  readonly pathParameters?: Readonly<Record<string, string | undefined>>;
  /** The query string as sent, without `?`. */
  readonly rawQuery: string;
  /** Lower-case header names, as API Gateway (payload 2.0) gives them. Never logged. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The request's cookies as `name=value` strings. Never logged, never forwarded. */
  readonly cookies: readonly string[];
}

/**
 * A route's answer: JSON data (with Set-Cookie values), another service's answer passed on (its
 * allow-listed headers and its body's bytes), a readable page for a person whose browser was sent
 * here, or a redirect to a location the route has validated.
 */
export type Answer =
  | { readonly statusCode: number; readonly body: unknown; readonly cookies?: readonly string[] }
  | {
      readonly statusCode: number;
      readonly passThrough: { readonly headers: Readonly<Record<string, string>>; readonly body: Uint8Array };
      readonly cookies?: readonly string[];
    }
  | { readonly statusCode: number; readonly page: { readonly title: string; readonly message: string } }
  | { readonly statusCode: 302; readonly location: string };

export type RouteHandler = (request: RouteRequest, audit: Audit) => Promise<Answer>;
