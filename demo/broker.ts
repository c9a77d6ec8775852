// Talking to the broker from page script: one call (a JSON POST, or a GET), its answer as page
// script can read it, and the error panel that shows what could be read of a refusal.

import { element, page, setStatus, setText } from './page.js';

/** An error answer as page script can read it; `status` 0 means no answer could be read at all. */
export interface BrokerError {
  readonly status: number;
  readonly type: string | null;
  readonly requestId: string | null;
  readonly error?: string | undefined;
  readonly description?: string | undefined;
  readonly reason?: string | undefined;
}

export type BrokerAnswer<T> = { readonly ok: true; readonly body: T } | { readonly ok: false; readonly error: BrokerError };

/** A POST with a JSON body, or with no body a GET; the answer as page script can read it. */
export async function callBroker<T>(path: string, body?: Record<string, unknown>): Promise<BrokerAnswer<T>> {
  let response: Response;
  try {
    response = await fetch(
      `${page.config.brokerUrl}${path}`,
      body === undefined
        ? { method: 'GET' }
        : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
    );
  } catch {
    // A network failure and a CORS refusal look the same to page script, by design.
    return {
      ok: false,
      error: {
        status: 0,
        type: null,
        requestId: null,
        description: 'No answer could be read: the broker is unreachable, or it did not allow this origin (CORS).',
      },
    };
  }
  const json = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  if (response.ok && json !== undefined) return { ok: true, body: json as T };
  const text = (key: string): string | undefined => (typeof json?.[key] === 'string' ? (json[key] as string) : undefined);
  return {
    ok: false,
    error: {
      status: response.status,
      // Readable only because the broker lists these in Access-Control-Expose-Headers.
      type: response.headers.get('x-amzn-ErrorType'),
      requestId: response.headers.get('x-amzn-RequestId'),
      error: text('error'),
      description: text('error_description'),
      reason: text('reason'),
    },
  };
}

export function showError(error: BrokerError): void {
  const show = (value: string | null | undefined, absent: string): string => value ?? absent;
  setText('error-heading', error.status === 0 ? 'No answer could be read from the broker' : 'The broker answered with an error');
  setText('error-status', error.status === 0 ? 'no answer' : String(error.status));
  setText('error-type', show(error.type, error.status === 0 ? '(no answer)' : '(not readable)'));
  setText('error-code', show(error.error, '(none)'));
  setText('error-description', show(error.description, '(none)'));
  setText('error-reason', show(error.reason, '(none)'));
  setText('error-request-id', show(error.requestId, error.status === 0 ? '(no answer)' : '(not readable)'));
  element('error').hidden = false;
}

/** A problem found by the page itself (e.g. a state mismatch), shown in the same panel. */
export function showPageError(error: string, description: string): void {
  showError({ status: 0, type: null, requestId: null, error, description });
  setStatus('The sign-in did not complete (see below). Click Sign in to try again.');
  setText('error-heading', 'The sign-in did not complete');
  setText('error-status', '(no request made)');
  setText('error-type', '(no request made)');
  setText('error-request-id', '(no request made)');
}

export function clearError(): void {
  element('error').hidden = true;
}
