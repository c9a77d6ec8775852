// What every answer of the broker must look like, checked on every answer the reliability tests get,
// whether from the spawned broker over HTTP or from the handler called in-process.

import { expect } from '@jest/globals';
import type { LeakWatch } from './leaks.js';

export interface Answer {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
  /** The body parsed, or {} when it is not a JSON object (which the checks below reject). */
  readonly body: Record<string, unknown>;
}

export function toAnswer(status: number, headers: Record<string, unknown>, text: string): Answer {
  const lower: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) lower[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
  } catch {
    // Left empty; expectWellFormed reports it.
  }
  return { status, headers: lower, text, body };
}

function isJsonObject(text: string): boolean {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  } catch {
    return false;
  }
}

/** The members an error body may have: the vocabulary's, and never `code` (SDKs would read it first). */
const ERROR_MEMBERS = new Set(['__type', 'error', 'error_description', 'message', 'reason']);

/**
 * Every answer: a JSON object, uncacheable, unsniffable, HSTS. Every error: the vocabulary's shape,
 * with the type in the header and the body alike. `describedError` also requires `error_description`
 * (the broker always writes one; SSO OIDC may leave it out, and then it is passed through absent).
 */
export function expectWellFormed(answer: Answer, options: { describedError?: boolean } = {}): void {
  const context = `${answer.status} ${answer.text.slice(0, 300)}`;
  expect({ context, contentType: answer.headers['content-type'] }).toEqual({ context, contentType: 'application/json' });
  expect({ context, jsonObject: isJsonObject(answer.text) }).toEqual({ context, jsonObject: true });
  expectSecurityHeaders(answer);
  if (answer.status < 400) return;
  const { body } = answer;
  expect({ context, type: typeof body.__type, error: typeof body.error }).toEqual({ context, type: 'string', error: 'string' });
  expect({ context, header: answer.headers['x-amzn-errortype'] }).toEqual({ context, header: body.__type });
  expect({ context, unexpected: Object.keys(body).filter((member) => !ERROR_MEMBERS.has(member)) }).toEqual({ context, unexpected: [] });
  if (options.describedError) {
    expect({ context, description: typeof body.error_description }).toEqual({ context, description: 'string' });
  }
}

/** The headers every answer carries, preflight included. */
export function expectSecurityHeaders(answer: Pick<Answer, 'status' | 'headers'>): void {
  const { headers } = answer;
  expect({
    status: answer.status,
    cacheControl: headers['cache-control'],
    nosniff: headers['x-content-type-options'],
    hsts: /^max-age=\d{7,}/.test(headers['strict-transport-security'] ?? ''),
  }).toEqual({ status: answer.status, cacheControl: 'no-store', nosniff: 'nosniff', hsts: true });
}

/** An error answer of exactly this status and type, well-formed, and recorded for the leak check. */
export function expectError(answer: Answer, status: number, type: string, error?: string): void {
  expect({ status: answer.status, type: answer.body.__type, ...(error === undefined ? {} : { error: answer.body.error }) }).toEqual({
    status,
    type,
    ...(error === undefined ? {} : { error }),
  });
  expectWellFormed(answer);
}

/** Records the answer for the file's leak check and checks its shape; returns it for chaining. */
export function seen(watch: LeakWatch, label: string, answer: Answer, options: { describedError?: boolean } = {}): Answer {
  watch.answer(label, answer.status, answer.text);
  expectWellFormed(answer, options);
  return answer;
}
