// Cold starts: fresh processes, one request each, the arms interleaved round by round (the order
// rotating), so that drift on a noisy machine lands on every arm alike. Each process reports when
// it started user code, loaded the bundle, read the secret, called SSO OIDC and answered.

import { runCold, type ColdSample } from './processes.js';
import { summarize, type Summary } from './stats.js';

/**
 * The arms' names: the shipped broker; the baseline bundled with the broker's options; the same
 * baseline as NodejsFunction bundles it by default (CommonJS, SDK from node_modules), what a team
 * would deploy instead; and (what-if) the broker with NODE_OPTIONS=--enable-source-maps, as shipped
 * until the template stopped setting it.
 */
export const ARM = {
  broker: 'broker',
  baseline: 'baseline',
  defaults: 'baseline, NodejsFunction defaults',
  brokerWithSourceMaps: 'broker, --enable-source-maps',
} as const;

/** Each arm's samples of one figure, by round: `values[arm][i]` was measured in round i. */
export const byRound = (results: readonly ColdArmResult[], arm: string, key: keyof ColdBreakdown): number[] =>
  (results.find((result) => result.name === arm)?.samples ?? []).map((sample) => sample[key]);

/** The cold-start arm of a what-if build (bench/bundle.ts WHAT_IF). */
export const whatIfArm = (whatIf: string): string => `what-if: ${whatIf}`;

export interface ColdArm {
  readonly name: string;
  readonly bundle: string;
  readonly env: Record<string, string>;
}

/** One cold start, decomposed along its critical path (ms; "at" times count from process start). */
export interface ColdBreakdown {
  /** Process start to the first line of user code: Node's own bootstrap. */
  readonly bootstrap: number;
  /** import() of the bundle: parse, compile and run its init code (config, clients, the secret read's start). */
  readonly moduleLoad: number;
  /** The first GetSecretValue, request start to answer (it runs while the module finishes loading). */
  readonly secretFetch: number;
  readonly secretStartAt: number;
  readonly secretDoneAt: number;
  /** How long the first request still waited for the secret after the module had loaded. */
  readonly secretWait: number;
  /** Module loaded to CreateToken sent: handler and middleware work, plus any secret wait. */
  readonly beforeUpstream: number;
  /** The first CreateToken, request start to answer (new connection included). */
  readonly firstUpstreamCall: number;
  /** CreateToken answered to handler resolved: deserialising, the response, the log line and metrics. */
  readonly afterUpstream: number;
  /** Process start to the response being ready: the cold start. */
  readonly total: number;
  /** Module loaded to the response: the first request after init (waits included). */
  readonly firstRequest: number;
  /** CPU time (all threads) from module loaded to the response: the first request's own work. */
  readonly firstRequestCpu: number;
  /** CPU time (user + system, all threads) at module loaded and at response. */
  readonly cpuInit: number;
  readonly cpuTotal: number;
  readonly maxRssMb: number;
}

export function breakdown(sample: ColdSample): ColdBreakdown {
  const secret = sample.requests.find((request) => request.kind === 'secret');
  const oidc = sample.requests.find((request) => request.kind === 'oidc');
  if (secret?.end === undefined || oidc?.end === undefined) {
    throw new Error(`the cold start made no complete ${secret?.end === undefined ? 'GetSecretValue' : 'CreateToken'} call`);
  }
  return {
    bootstrap: sample.scriptStart,
    moduleLoad: sample.imported - sample.importStart,
    secretFetch: secret.end - secret.start,
    secretStartAt: secret.start,
    secretDoneAt: secret.end,
    secretWait: Math.max(0, secret.end - sample.imported),
    beforeUpstream: oidc.start - sample.imported,
    firstUpstreamCall: oidc.end - oidc.start,
    afterUpstream: sample.responded - oidc.end,
    total: sample.responded,
    firstRequest: sample.responded - sample.imported,
    firstRequestCpu: sample.cpuAtResponse - sample.cpuAtImport,
    cpuInit: sample.cpuAtImport,
    cpuTotal: sample.cpuAtResponse,
    maxRssMb: sample.maxRssKb / 1024,
  };
}

export type ColdSummary = { readonly [K in keyof ColdBreakdown]: Summary };

export interface ColdArmResult {
  readonly name: string;
  readonly runs: number;
  readonly summary: ColdSummary;
  readonly samples: readonly ColdBreakdown[];
}

export function summarizeBreakdowns(samples: readonly ColdBreakdown[]): ColdSummary {
  const keys = Object.keys(samples[0] ?? {}) as (keyof ColdBreakdown)[];
  return Object.fromEntries(keys.map((key) => [key, summarize(samples.map((sample) => sample[key]))])) as unknown as ColdSummary;
}

export interface ColdOptions {
  readonly runs: number;
  /** Discarded runs per arm first (file cache, CPU frequency). */
  readonly warmupRuns: number;
  readonly inputFile: string;
  readonly onProgress?: (done: number, total: number) => void;
}

export async function coldStarts(arms: readonly ColdArm[], options: ColdOptions): Promise<ColdArmResult[]> {
  const samples = new Map<string, ColdBreakdown[]>(arms.map((arm) => [arm.name, []]));
  const rounds = options.warmupRuns + options.runs;
  for (let round = 0; round < rounds; round += 1) {
    // broker, baseline, …; then baseline, …, broker: no arm always goes first.
    const order = arms.map((_, i) => arms[(i + round) % arms.length]!);
    for (const arm of order) {
      const sample = breakdown(await runCold(arm.bundle, options.inputFile, arm.env));
      if (round >= options.warmupRuns) samples.get(arm.name)!.push(sample);
    }
    options.onProgress?.(round + 1, rounds);
  }
  return arms.map((arm) => {
    const list = samples.get(arm.name)!;
    return { name: arm.name, runs: list.length, summary: summarizeBreakdowns(list), samples: list };
  });
}
