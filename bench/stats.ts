// Pure statistics for the benchmark: percentiles, summaries and ratios. No I/O, no clock.

/** The p-th percentile (0..100) of the values, by linear interpolation between closest ranks. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  if (p < 0 || p > 100) throw new RangeError(`percentile ${p} is outside 0..100`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

export const median = (values: readonly number[]): number => percentile(values, 50);

export interface Summary {
  readonly n: number;
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export function summarize(values: readonly number[]): Summary {
  const n = values.length;
  return {
    n,
    min: n === 0 ? Number.NaN : Math.min(...values),
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
    max: n === 0 ? Number.NaN : Math.max(...values),
    mean: n === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / n,
  };
}

/** subject / reference, NaN when the reference is not a positive number. */
export function ratio(subject: number, reference: number): number {
  return reference > 0 && Number.isFinite(reference) && Number.isFinite(subject) ? subject / reference : Number.NaN;
}

/** A count scaled to "per `per` requests" (e.g. per 1,000). */
export function perRequests(count: number, requests: number, per = 1000): number {
  return requests > 0 ? (count * per) / requests : Number.NaN;
}

/** Rounds for display and JSON: 2 decimals below 10, 1 below 1000, integers above. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  const abs = Math.abs(value);
  const digits = abs < 10 ? 2 : abs < 1000 ? 1 : 0;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}


/**
 * Paired ratios: subject[i] / reference[i] for each pair measured side by side (one round of cold
 * starts, one batch of warm calls taking turns). A pair whose reference is not a positive number is
 * left out. Drift on a shared machine moves both members of a pair alike, so the ratios are far
 * steadier than a ratio of two medians measured apart.
 */
export function pairedRatios(subject: readonly number[], reference: readonly number[]): number[] {
  if (subject.length !== reference.length) throw new RangeError(`pairs need equal counts, got ${subject.length} and ${reference.length}`);
  return subject.map((value, i) => ratio(value, reference[i]!)).filter((value) => Number.isFinite(value));
}

/** The median and the interquartile range (25th to 75th percentile) of some values. */
export interface Spread {
  readonly n: number;
  readonly median: number;
  readonly p25: number;
  readonly p75: number;
}

export function spread(values: readonly number[]): Spread {
  return { n: values.length, median: percentile(values, 50), p25: percentile(values, 25), p75: percentile(values, 75) };
}
