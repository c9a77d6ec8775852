// The benchmark's targets (docs/performance.md), and how a figure is judged against one. Every ratio
// target is judged on paired ratios: one ratio per round of cold starts, or per batch of warm calls,
// each pair measured side by side; the median decides, the interquartile range says how far to trust
// it. Wall-clock figures are printed beside, for information: on a shared machine they move with
// everything else that runs, while CPU time and instruction counts move far less.

import type { Spread } from './stats.js';

export const TARGETS = {
  /** Cold start (process start to the first answer), CPU time, broker over the same-options baseline. */
  coldCpu: 1.05,
  /** The same cold start in instructions (valgrind's callgrind), when counted. */
  coldInstructions: 1.08,
  /** The first request after init (module loaded to the answer), CPU time, broker over the same-options baseline. */
  firstRequestCpu: 1.1,
  /** CPU per warm call, each route family over its direct call. */
  warmCpu: 1.35,
  /** Peak RSS of a cold broker process at its first answer (median), MB. */
  coldRssMb: 72,
  secretCallsPer1000: 0,
  newConnectionsPer1000: 0,
  /** Minified index.mjs with every surface in it, decimal bytes. */
  bundleBytes: 300_000,
} as const;

export type Result = 'met' | 'missed' | 'not measured';

export interface Target {
  readonly name: string;
  /** The limit as printed: "<= 1.05x". */
  readonly target: string;
  readonly limit: number;
  /** The figure judged (the median paired ratio, or the value); NaN when not measured. */
  readonly value: number;
  /** The figure as printed. */
  readonly actual: string;
  /** Paired ratios: their median and interquartile range. */
  readonly spread?: Spread;
  /** The wall-clock figure beside it (paired ratios too), for information only. */
  readonly wall?: Spread;
  readonly result: Result;
  /** How far off, when missed ("+0.042 (+4.0 %) over", "+4,210 B (+1.4 %) over"). */
  readonly miss?: string;
  /** Why it was not measured. */
  readonly why?: string;
}

const pct = (value: number): string => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)} %`;
export const times = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(3)}x` : 'n/a');

/**
 * A ratio target, judged on the median of paired ratios: met when the median is at most the limit.
 * No pairs (the figure was not measured) is "not measured", with `why`, never met.
 */
export function pairedTarget(name: string, spread: Spread | undefined, limit: number, wall?: Spread, why = 'not measured'): Target {
  const base = { name, target: `<= ${times(limit)}`, limit, ...(wall === undefined ? {} : { wall }) };
  if (spread === undefined || spread.n === 0 || !Number.isFinite(spread.median)) {
    return { ...base, value: Number.NaN, actual: 'not measured', result: 'not measured', why };
  }
  const met = spread.median <= limit;
  const over = spread.median - limit;
  return {
    ...base,
    value: spread.median,
    actual: times(spread.median),
    spread,
    result: met ? 'met' : 'missed',
    ...(met ? {} : { miss: `+${over.toFixed(3)} (${pct(over / limit)}) over` }),
  };
}

/** A target on an amount (bytes, MB, a count): met when `value <= limit`; NaN is not measured. */
export function amountTarget(name: string, value: number, limit: number, show: (value: number) => string, kind: 'bytes' | 'amount'): Target {
  const base = { name, target: `<= ${show(limit)}`, limit };
  if (!Number.isFinite(value)) return { ...base, value, actual: 'not measured', result: 'not measured', why: 'not measured' };
  const met = value <= limit;
  const over = value - limit;
  const miss =
    kind === 'bytes' ? `+${Math.round(over).toLocaleString('en-US')} B (${pct(over / limit)}) over` : `+${Math.round(over * 100) / 100} over`;
  return { ...base, value, actual: show(value), result: met ? 'met' : 'missed', ...(met ? {} : { miss }) };
}
