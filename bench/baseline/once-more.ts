// One retry, for the benchmark's baseline handler and direct calls (bench/baseline/): nothing else is
// imported here, so that neither bundle carries the other's code.

const NEVER_ANSWERED = new Set(['ECONNRESET', 'EPIPE']);

/**
 * A call sent on a kept-alive connection the server closed while it sat idle (the emulators close
 * one after 5 s) fails before any answer; it is sent once more, as the broker's own HTTP handler
 * does for a request that never reached the upstream (lambda/core/http-handler.ts). It costs
 * nothing unless that happens, and keeps a long run from failing on a race of the machine's timing.
 */
export async function onceMore<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    const { code, $metadata } = error as { code?: unknown; $metadata?: { httpStatusCode?: number } };
    if ($metadata?.httpStatusCode !== undefined || typeof code !== 'string' || !NEVER_ANSWERED.has(code)) throw error;
    return send();
  }
}
