// What the edge unit tests (edge-guards, edge-answers, edge-errors) share: the two configurations,
// the origins, the security headers every answer carries, and what the process writes (the request's
// EMF line and the Logger's lines), captured per test.

import { afterEach, beforeEach, jest } from '@jest/globals';
import { loadConfig, type BrokerConfig } from '../../../lambda/core/config.js';
import { CSRF_HEADER } from '../../../lambda/edge/cors.js';
import type { HttpResponse } from '../../../lambda/edge/responses.js';
import { edgeOf as composedEdge } from '../../helpers/edge.js';

export const ORIGIN = 'https://app.example.com';
/** The cookie-session SPA's origin: a door of its own (TOKEN_BROKER_SESSION_ORIGINS). */
export const SESSION_ORIGIN = 'https://spa.example.com';
export const FOREIGN = 'https://evil.example';
export const ISSUER = 'https://auth.example.com';
const BASE_ENV = { TOKEN_BROKER_SECRET_ID: 'registration', AWS_REGION: 'us-east-1', TOKEN_BROKER_ALLOWED_ORIGINS: ORIGIN };

/** Every surface on: front door and cookie sessions (the default grants: no device routes). */
export const FULL = loadConfig({
  ...BASE_ENV,
  TOKEN_BROKER_REDIRECT_URIS: `${ORIGIN}/callback,${SESSION_ORIGIN}/`,
  TOKEN_BROKER_ISSUER: ISSUER,
  TOKEN_BROKER_COOKIE_SESSIONS: 'on',
  TOKEN_BROKER_COOKIE_KEYS_SECRET_ID: 'cookie-keys',
  TOKEN_BROKER_SESSION_ORIGINS: SESSION_ORIGIN,
  TOKEN_BROKER_APIS: 'orders=https://api.example.com/v1 GET PUT',
});
/** The AWS JSON dialect only. */
export const PLAIN = loadConfig(BASE_ENV);

export const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'x-content-type-options': 'nosniff',
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'referrer-policy': 'no-referrer',
};

export const json = (response: HttpResponse): Record<string, unknown> => JSON.parse(String(response.body)) as Record<string, unknown>;
export const sessionHeaders = (extra: Record<string, string> = {}) => ({ origin: SESSION_ORIGIN, [CSRF_HEADER]: '1', 'content-type': 'application/json', ...extra });
export const preflightHeaders = (origin?: string) => ({
  ...(origin === undefined ? {} : { origin }),
  'access-control-request-method': 'POST',
  'access-control-request-headers': 'content-type',
});

export type LogRecord = Record<string, unknown>;

/**
 * Captures stdout and stderr for each test of the calling file (call it once, at the top level):
 * `written()` is all the process wrote, `records()` its JSON lines, `requestLines()` the per-request
 * lines (EMF records that carry the request's log fields).
 */
export function captureOutput() {
  let output = '';
  const restore: (() => void)[] = [];
  beforeEach(() => {
    output = '';
    for (const stream of [process.stdout, process.stderr]) {
      const spy = jest.spyOn(stream, 'write').mockImplementation((chunk: unknown) => {
        output += String(chunk);
        return true;
      });
      restore.push(() => spy.mockRestore());
    }
  });
  afterEach(() => {
    while (restore.length > 0) restore.pop()!();
  });
  const records = (): LogRecord[] =>
    output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogRecord);
  return {
    written: () => output,
    records,
    requestLines: (): LogRecord[] => records().filter((r) => '_aws' in r && /^request (completed|failed)$/.test(String(r.message))),
  };
}

/** The edge with its log middlewares, as every edge unit test drives it. */
export const edgeOf = (config: BrokerConfig) => composedEdge(config, { logged: true });
