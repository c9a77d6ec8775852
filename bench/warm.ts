// Warm requests. Long-lived processes of the same shape (bench/child.mjs): a broker process per route
// family (bench/families.ts), configured as that family needs; one that has imported the baseline
// handler (it serves the cold start's family, POST /token); one that has imported the direct calls
// (bench/baseline/direct.ts), the physical limit of each family's upstream call; and optionally the
// broker with its log and metric output off, with V8's heap capped, and the what-if builds.
//
// CPU per call (the target's figure): batches of back-to-back calls in several pairs of fresh
// processes per arm; each arm's batch is run right beside a batch of a direct-call process of its
// own, with the same history (which goes first every other round), the pairs taking turns, and the
// report reads the ratios of those pairs. Latency: single calls timed inside their
// process around the awaited call only (IPC and event building are outside the clock), the arms taking
// turns call by call. Work per request: a run of each family's requests while the emulators count
// Secrets Manager calls and accepted TCP connections.

import type { WhatIf } from './bundle.js';
import { startWarm, type CallTarget, type WarmProcess, type WarmStats } from './processes.js';
import { median, summarize, type Summary } from './stats.js';
import { difference, type Counters } from './upstream.js';

/** A family as the warm run needs it: its name (bench/families.ts familyName), its broker's variables, its direct call's identity. */
export interface WarmFamily {
  readonly name: string;
  readonly env: Record<string, string>;
  /** Families whose direct calls are the same (same call, same input) share one direct arm. */
  readonly directKey: string;
  /** Connections the family's own upstream accepted so far, when the bench started one for it. */
  readonly connections?: () => number;
}

export interface WarmOptions {
  readonly brokerBundle: string;
  readonly baselineBundle: string;
  readonly directBundle: string;
  readonly inputFile: string;
  readonly env: Record<string, string>;
  readonly families: readonly WarmFamily[];
  /** The family the baseline handler, the quiet and capped brokers and the what-if builds serve (POST /token). */
  readonly baselineFamily: string;
  readonly counters: () => Counters;
  /** Untimed rounds first (JIT, connection pools). */
  readonly warmupRounds: number;
  /** Timed latency rounds, each one call per arm. */
  readonly rounds: number;
  /** Requests counted per family for work per request. */
  readonly workRequests: number;
  /** Paired CPU batches per process pair, and calls per batch. */
  readonly cpuBatches: number;
  /** Pairs of fresh processes (the arm's, its direct call's) each arm is measured in; default 1. */
  readonly cpuProcessPairs?: number;
  readonly callsPerBatch: number;
  /** Untimed calls every paired process makes before its batches (default: CPU_WARMUP_CALLS, or warmupRounds when more). */
  readonly cpuWarmupCalls?: number;
  /** Also run the broker with Powertools' output switched off (what-if). */
  readonly quietArm?: boolean;
  /** Also measure the broker with V8's heap capped by these flags (CPU per call and peak RSS only). */
  readonly cappedHeapFlags?: string;
  /** What-if builds of the broker (bench/bundle.ts), measured for CPU per call only. */
  readonly whatIfBundles?: Partial<Record<WhatIf, string>>;
}

/**
 * Untimed calls before a process's CPU batches: enough for its JIT to settle (measured: a direct
 * fetch read about 400 µs a call after 500 calls, about 200 µs after 3,000).
 */
export const CPU_WARMUP_CALLS = 2000;

/** Powertools' own switches: no log lines below SILENT, no EMF output. */
export const QUIET_ENV = { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' } as const;

/** Arm ids: `family:<name>`, `direct:<key>`, and these. */
export const WARM_ARM = { baseline: 'baseline', quiet: 'quiet', capped: 'capped' } as const;
export const familyArm = (name: string): string => `family:${name}`;
export const directArm = (key: string): string => `direct:${key}`;
export const whatIfWarmArm = (whatIf: string): string => `what-if:${whatIf}`;

export interface FamilyWork {
  readonly requests: number;
  /** Emulator-side counts over the family's run (the family's own upstream's connections in `apiConnections`). */
  readonly counters: Counters & { readonly apiConnections: number };
  /** New connections the family's broker process opened in that run, by its own count (http diagnostics channel). */
  readonly childNewConnections: { readonly secret: number; readonly oidc: number; readonly other: number };
}

export interface WarmResult {
  readonly rounds: number;
  readonly families: readonly { readonly name: string; readonly arm: string; readonly directArm: string }[];
  /** Latency per arm (ms). */
  readonly latency: Readonly<Record<string, Summary>>;
  readonly latencySamples: Readonly<Record<string, readonly number[]>>;
  /** CPU ms per call, one value per batch, by arm (and by direct-call process, "<direct arm> beside <arm>"). */
  readonly cpuBatches: Readonly<Record<string, readonly number[]>>;
  /**
   * Each handler arm's batches paired with those of a direct-call process of its own, run right
   * beside them (before or after, alternately): `subject[i]` and `direct[i]` are one pair.
   */
  readonly cpuPairs: Readonly<Record<string, { readonly subject: readonly number[]; readonly direct: readonly number[]; readonly directArm: string }>>;
  readonly callsPerBatch: number;
  readonly work: Readonly<Record<string, FamilyWork>>;
  /** Emulator-side counts over the timed rounds, all arms together (a reconnect anywhere shows here). */
  readonly timedRunCounters: Counters;
  /** Each family's broker process at the end, after a full garbage collection (the peak RSS is from before it). */
  readonly brokers: Readonly<Record<string, WarmStats>>;
  readonly baseline: WarmStats;
  /** The broker with V8's heap capped: its flags and its stats after the same calls. */
  readonly capped?: { readonly flags: string; readonly stats: WarmStats };
}

interface Arm {
  readonly id: string;
  readonly process: WarmProcess;
  readonly target: CallTarget;
  readonly family: string;
  /** The direct arm a handler arm is paired with for CPU per call. */
  readonly direct?: Arm;
}

/** An arm measured for CPU per call: what its processes load, serve, and are paired with. */
interface CpuArm {
  readonly id: string;
  readonly bundle: string;
  readonly env: Record<string, string>;
  readonly family: string;
  readonly direct: Arm;
}

export async function warmRequests(options: WarmOptions, onProgress?: (phase: string) => void): Promise<WarmResult> {
  const started: WarmProcess[] = [];
  const start = async (bundle: string, env: Record<string, string>, serves: CallTarget = 'handler') => {
    const process = await startWarm(bundle, options.inputFile, env, serves);
    started.push(process);
    return process;
  };
  try {
    const direct = await start(options.directBundle, options.env, 'direct');
    const baseline = await start(options.baselineBundle, options.env);
    const brokers = new Map<string, WarmProcess>();
    const latencyArms: Arm[] = [];
    const directArms = new Map<string, Arm>();
    for (const family of options.families) {
      const process = await start(options.brokerBundle, { ...options.env, ...family.env });
      brokers.set(family.name, process);
      if (!directArms.has(family.directKey)) {
        directArms.set(family.directKey, { id: directArm(family.directKey), process: direct, target: 'direct', family: family.name });
      }
      latencyArms.push({ id: familyArm(family.name), process, target: 'handler', family: family.name, direct: directArms.get(family.directKey)! });
    }
    // The baseline handler and the broker's variants serve the cold start's family, against its direct call.
    const baselineDirect = directArms.get(options.families.find((family) => family.name === options.baselineFamily)?.directKey ?? '');
    if (baselineDirect === undefined) throw new Error(`the baseline's family ${options.baselineFamily} is not among the route families`);
    latencyArms.push(...directArms.values(), { id: WARM_ARM.baseline, process: baseline, target: 'handler', family: options.baselineFamily, direct: baselineDirect });
    if (options.quietArm) {
      const quiet = await start(options.brokerBundle, { ...options.env, ...QUIET_ENV });
      latencyArms.push({ id: WARM_ARM.quiet, process: quiet, target: 'handler', family: options.baselineFamily, direct: baselineDirect });
    }

    const samples: Record<string, number[]> = Object.fromEntries(latencyArms.map((arm) => [arm.id, []]));
    const round = async (index: number, record: boolean) => {
      for (let i = 0; i < latencyArms.length; i += 1) {
        const arm = latencyArms[(i + index) % latencyArms.length]!;
        const { ms, ok } = await arm.process.call(arm.target, arm.family);
        if (!ok) throw new Error(`a warm ${arm.id} call failed:\n${arm.process.output()}`);
        if (record) samples[arm.id]!.push(ms);
      }
    };
    onProgress?.('warm-up');
    for (let i = 0; i < options.warmupRounds; i += 1) await round(i, false);

    onProgress?.('work per request');
    const work: Record<string, FamilyWork> = {};
    for (const family of options.families) {
      const process = brokers.get(family.name)!;
      // A family's process has waited while the others ran, longer than a server keeps an idle
      // connection open (the emulators: Node's 5 s keep-alive timeout): a few calls first, so that
      // what is counted is warm requests, not a reconnect after idling.
      const prime = await process.calls(10, 'handler', family.name);
      if (prime.failures > 0) throw failed(prime, `warm ${family.name} requests`, process);
      const before = options.counters();
      const apiBefore = family.connections?.() ?? 0;
      const statsBefore = await process.stats();
      const run = await process.calls(options.workRequests, 'handler', family.name);
      const counters = { ...difference(options.counters(), before), apiConnections: (family.connections?.() ?? 0) - apiBefore };
      const statsAfter = await process.stats();
      if (run.failures > 0) throw failed(run, `of ${options.workRequests} warm ${family.name} requests`, process);
      const opened = (kind: 'secret' | 'oidc' | 'other') => statsAfter.newConnections[kind] - statsBefore.newConnections[kind];
      work[family.name] = {
        requests: options.workRequests,
        counters,
        childNewConnections: { secret: opened('secret'), oidc: opened('oidc'), other: opened('other') },
      };
    }

    // The arms measured for CPU per call, each against its direct call: every latency arm that has
    // one, the broker with V8's heap capped as Lambda's runtime caps it for a small function, and the what-if builds.
    const familyEnv = new Map(options.families.map((family) => [familyArm(family.name), { ...options.env, ...family.env }]));
    const cpuArms: CpuArm[] = [];
    for (const family of options.families) {
      const directOf = directArms.get(family.directKey)!;
      cpuArms.push({ id: familyArm(family.name), bundle: options.brokerBundle, env: familyEnv.get(familyArm(family.name))!, family: family.name, direct: directOf });
    }
    cpuArms.push({ id: WARM_ARM.baseline, bundle: options.baselineBundle, env: options.env, family: options.baselineFamily, direct: baselineDirect });
    if (options.quietArm) {
      cpuArms.push({ id: WARM_ARM.quiet, bundle: options.brokerBundle, env: { ...options.env, ...QUIET_ENV }, family: options.baselineFamily, direct: baselineDirect });
    }
    if (options.cappedHeapFlags !== undefined) {
      const env = { ...options.env, NODE_OPTIONS: [options.env.NODE_OPTIONS, options.cappedHeapFlags].filter(Boolean).join(' ') };
      cpuArms.push({ id: WARM_ARM.capped, bundle: options.brokerBundle, env, family: options.baselineFamily, direct: baselineDirect });
    }
    for (const [whatIf, bundle] of Object.entries(options.whatIfBundles ?? {}) as [WhatIf, string][]) {
      cpuArms.push({ id: whatIfWarmArm(whatIf), bundle, env: options.env, family: options.baselineFamily, direct: baselineDirect });
    }

    onProgress?.('CPU per call');
    // Each arm is measured in several pairs of fresh processes: one of the arm's and one of its direct
    // call's, both first making the same untimed calls (JIT tiers, heap growth, connection pools), so
    // that the two members of a pair have the same history. Several pairs, not one: a process's CPU
    // per call settles where its JIT happens to land, and stays there (measured: one bundle 383, 395
    // and 519 µs a call in three processes, a direct fetch 192, 200 and 368 µs), so that one pair
    // made a target's verdict hang on one process's luck.
    const pairs: { arm: Arm; twin: Arm }[] = [];
    for (const spec of cpuArms) {
      for (let p = 0; p < (options.cpuProcessPairs ?? 1); p += 1) {
        const arm: Arm = { id: spec.id, process: await start(spec.bundle, spec.env), target: 'handler', family: spec.family, direct: spec.direct };
        const twin: Arm = { id: `${spec.direct.id} beside ${spec.id}`, process: await start(options.directBundle, options.env, 'direct'), target: 'direct', family: spec.direct.family };
        pairs.push({ arm, twin });
      }
    }
    for (const { arm, twin } of pairs) {
      for (const one of [arm, twin]) {
        const run = await one.process.calls(options.cpuWarmupCalls ?? Math.max(options.warmupRounds, CPU_WARMUP_CALLS), one.target, one.family);
        if (run.failures > 0) throw failed(run, `warm ${one.id} calls`, one.process);
      }
    }
    const cpuBatches: Record<string, number[]> = {};
    const cpuPairs: Record<string, { subject: number[]; direct: number[]; directArm: string }> = {};
    const batchOf = async (arm: Arm): Promise<number> => {
      const run = await arm.process.calls(options.callsPerBatch, arm.target, arm.family);
      if (run.failures > 0) throw failed(run, `warm ${arm.id} calls`, arm.process);
      const perCall = run.cpuMs / options.callsPerBatch;
      (cpuBatches[arm.id] ??= []).push(perCall);
      return perCall;
    };
    // Each pair's two batches right beside each other, the direct call first every other round; the
    // pairs take turns, the order rotating.
    for (let round = 0; round < options.cpuBatches; round += 1) {
      for (let i = 0; i < pairs.length; i += 1) {
        const { arm, twin } = pairs[(i + round) % pairs.length]!;
        const pair = (cpuPairs[arm.id] ??= { subject: [], direct: [], directArm: arm.direct!.id });
        if (round % 2 === 0) {
          pair.subject.push(await batchOf(arm));
          pair.direct.push(await batchOf(twin));
        } else {
          pair.direct.push(await batchOf(twin));
          pair.subject.push(await batchOf(arm));
        }
      }
    }
    const cappedProcess = pairs.find(({ arm }) => arm.id === WARM_ARM.capped)?.arm.process;

    onProgress?.('latency');
    // Some processes sat idle through the CPU batches, longer than the emulators keep a connection:
    // a few untimed rounds first, so that the timed ones (and their counts) are of warm requests.
    for (let i = 0; i < 5; i += 1) await round(i, false);
    const timedBefore = options.counters();
    for (let i = 0; i < options.rounds; i += 1) await round(i, true);
    const timedRunCounters = difference(options.counters(), timedBefore);

    const brokerStats: Record<string, WarmStats> = {};
    for (const [name, process] of brokers) brokerStats[name] = await process.stats(true);
    return {
      rounds: options.rounds,
      families: options.families.map((family) => ({ name: family.name, arm: familyArm(family.name), directArm: directArm(family.directKey) })),
      latency: Object.fromEntries(latencyArms.map((arm) => [arm.id, summarize(samples[arm.id]!)])),
      latencySamples: samples,
      cpuBatches,
      cpuPairs,
      callsPerBatch: options.callsPerBatch,
      work,
      timedRunCounters,
      brokers: brokerStats,
      baseline: await baseline.stats(true),
      ...(cappedProcess === undefined || options.cappedHeapFlags === undefined
        ? {}
        : { capped: { flags: options.cappedHeapFlags, stats: await cappedProcess.stats(true) } }),
    };
  } finally {
    for (const process of started) await process.stop();
  }
}

/** The error for a run of calls that did not all succeed: how many, the first one's name and code, the process's output. */
export function failed(run: { failures: number; firstError?: string }, what: string, process: WarmProcess): Error {
  return new Error(`${run.failures} ${what} failed (the first: ${run.firstError ?? 'unknown'}):\n${process.output()}`);
}

/**
 * The median CPU per call of an arm's batches (ms); for a direct arm, of the batches of every
 * direct-call process that stood beside an arm; NaN when it was not measured.
 */
export const cpuPerCall = (result: WarmResult, arm: string): number => {
  const batches =
    result.cpuBatches[arm] ?? Object.values(result.cpuPairs).flatMap((pair) => (pair.directArm === arm ? [...pair.direct] : []));
  return batches.length === 0 ? Number.NaN : median(batches);
};
