// One deadline per request, which every secret read and SSO OIDC call draws from, so that a request
// ends with the broker's own answer (504) before Lambda's timeout ends it with a 500, and well inside
// the 30 s API Gateway waits. The deadline travels with the request's async context: the modules
// beneath the handler (registration reads, upstream calls) find it without every signature carrying it.

import { AsyncLocalStorage } from 'node:async_hooks';
import { ANSWER_MARGIN_MS, REQUEST_DEADLINE_MS } from './config.js';
import { brokerError, type BrokerError } from './errors.js';

export class Deadline {
  private constructor(readonly at: number) {}

  /** A deadline `ms` from now. */
  static in(ms: number, now: number = Date.now()): Deadline {
    return new Deadline(now + Math.max(0, ms));
  }

  /**
   * A request's deadline: REQUEST_DEADLINE_MS, or less when the function has less time left (the
   * time to write the answer kept back).
   */
  static forRequest(functionRemainingMs: number | undefined, now: number = Date.now()): Deadline {
    const fromFunction = functionRemainingMs === undefined ? Number.POSITIVE_INFINITY : functionRemainingMs - ANSWER_MARGIN_MS;
    return Deadline.in(Math.min(REQUEST_DEADLINE_MS, fromFunction), now);
  }

  remainingMs(now: number = Date.now()): number {
    return Math.max(0, this.at - now);
  }
}

const scope = new AsyncLocalStorage<Deadline>();

/** Runs `work` with `deadline` as the deadline of everything it awaits. */
export function withDeadline<T>(deadline: Deadline, work: () => Promise<T>): Promise<T> {
  return scope.run(deadline, work);
}

/** The deadline of the request under way; none outside a request (scripts, the cold-start prefetch). */
export function currentDeadline(): Deadline | undefined {
  return scope.getStore();
}

/** The answer when the request's time ran out before `what` finished. */
export function outOfTime(what: string): BrokerError {
  return brokerError('GatewayTimeoutException', 'The token broker could not complete the request in time.', {
    logDetail: `request deadline reached while ${what}`,
  });
}

/** No upstream call is started with less of the request's time left than this. */
export const MIN_CALL_MS = 250;

/** The time one upstream call may take, as an abort signal; `done` clears its timer. */
export interface CallTime {
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  done(): void;
}

/**
 * An upstream call's time: its own limit, or what is left of the request's deadline when that is
 * less. Undefined with less than MIN_CALL_MS left: better not sent at all than sent and abandoned (a
 * code spent for nothing). A timer cleared when the call ends, not AbortSignal.timeout: that one
 * cannot be cleared and costs a tracked timer per request for its full length (docs/performance.md).
 */
export function callTime(limitMs: number): CallTime | undefined {
  const left = currentDeadline()?.remainingMs();
  if (left !== undefined && left < MIN_CALL_MS) return undefined;
  const timeoutMs = Math.min(limitMs, left ?? Number.POSITIVE_INFINITY);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  timer.unref();
  return { timeoutMs, signal: controller.signal, done: () => clearTimeout(timer) };
}

/**
 * `work`, or the 504 when the request's deadline comes first. The work itself is left to finish
 * (each read and call has its own bound); its outcome is then ignored.
 */
export function inTime<T>(work: Promise<T>, what: string): Promise<T> {
  const deadline = currentDeadline();
  if (deadline === undefined) return work;
  const left = deadline.remainingMs();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(outOfTime(what)), left);
  });
  work.catch(() => undefined);
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
