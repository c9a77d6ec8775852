// Warm requests. Long-lived processes of the same shape (bench/child.mjs): one has imported the
// broker's bundle, one the baseline's, and optionally a third the broker's with its log and metric
// output switched off by Powertools' own variables. Each call is timed inside its process, around
// the awaited call only (IPC and event building are outside the clock), and the arms take turns
// call by call, the order rotating, so that they share the machine's state and noise:
//   broker    the shipped handler, an API Gateway v2 refresh-token event in, the HTTP answer out
//   baseline  the minimal handler (bench/baseline/handler.ts): parse, CreateToken, stringify
//   direct    a bare SDK CreateToken on the baseline's warm client: the physical limit
//   quiet     (what-if) the shipped handler with POWERTOOLS_LOG_LEVEL=SILENT, POWERTOOLS_METRICS_DISABLED=true
//   frontDoor the shipped handler with the front door on (TOKEN_BROKER_ISSUER): POST /oauth2/token,
//             a form-encoded refresh with a sealed refresh token
// Work per request: a run of broker-only requests while the emulators count Secrets Manager calls
// and accepted TCP connections; then, for CPU time per call, batches of calls, the arms taking turns.

import type { WhatIf } from './bundle.js';
import { startWarm, type CallKind, type WarmProcess, type WarmStats } from './processes.js';
import { median, summarize, type Summary } from './stats.js';
import { difference, type Counters } from './upstream.js';

export interface WarmOptions {
  readonly brokerBundle: string;
  readonly baselineBundle: string;
  readonly inputFile: string;
  readonly env: Record<string, string>;
  readonly counters: () => Counters;
  /** Untimed rounds first (JIT, connection pools). */
  readonly warmupRounds: number;
  /** Timed rounds, each one call per arm. */
  readonly rounds: number;
  /** Broker-only requests counted for work per request. */
  readonly workRequests: number;
  /** Also run the "quiet" what-if arm. */
  readonly quietArm: boolean;
  /**
   * Also time the front door's POST /oauth2/token (a refresh with a sealed refresh token), in a
   * broker process of its own with these extra variables (TOKEN_BROKER_ISSUER).
   */
  readonly frontDoorEnv?: Record<string, string>;
  /** Also measure the broker with V8's heap capped by these flags (CPU per call and peak RSS only). */
  readonly cappedHeapFlags?: string;
  /** CPU per call: batches per arm, calls per batch, warm-up calls per arm (defaults below). */
  readonly cpuPerCall?: { readonly batches: number; readonly callsPerBatch: number; readonly warmupCalls: number };
  /** What-if builds of the broker (bench/bundle.ts), measured for CPU per call only. */
  readonly whatIfBundles?: Partial<Record<WhatIf, string>>;
}

export type WarmArm = 'broker' | 'baseline' | 'direct' | 'quiet' | 'frontDoor';
/** Arms measured for CPU per call only: the latency arms and, optionally, the heap-capped broker and the what-if builds. */
export type CpuArm = WarmArm | 'capped' | WhatIf;

/** Powertools' own switches: no log lines below SILENT, no EMF output. */
export const QUIET_ENV = { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' } as const;

export interface WorkPerRequest {
  readonly requests: number;
  /** Emulator-side counts over the broker-only run. */
  readonly counters: Counters;
  /** New connections the broker's process opened in that run, by its own count (http diagnostics channel). */
  readonly childNewConnections: { readonly secret: number; readonly oidc: number };
  /** CPU time (user + system, the whole process) per call: the median of the batches per arm (by default 20 of at least 50 calls each), arms taking turns. */
  readonly cpuMsPerRequest: Partial<Record<CpuArm, number>>;
}

export interface WarmResult {
  readonly rounds: number;
  readonly arms: readonly WarmArm[];
  readonly latency: Partial<Record<WarmArm, Summary>>;
  readonly work: WorkPerRequest;
  /** Emulator-side counts over the timed rounds, all arms together (a reconnect anywhere shows here). */
  readonly timedRunCounters: Counters;
  /** At the end, after a full garbage collection (the peak RSS is from before it). */
  readonly broker: WarmStats;
  readonly baseline: WarmStats;
  /** The broker with V8's heap capped: its flags, CPU per call and stats after the same calls. */
  readonly capped?: { readonly flags: string; readonly cpuMsPerRequest: number; readonly stats: WarmStats };
  readonly samples: Partial<Record<WarmArm, number[]>>;
}

export async function warmRequests(options: WarmOptions, onProgress?: (phase: string) => void): Promise<WarmResult> {
  const started: WarmProcess[] = [];
  const start = async (bundle: string, env: Record<string, string>) => {
    const process = await startWarm(bundle, options.inputFile, env);
    started.push(process);
    return process;
  };
  try {
    const broker = await start(options.brokerBundle, options.env);
    const baseline = await start(options.baselineBundle, options.env);
    const quiet = options.quietArm ? await start(options.brokerBundle, { ...options.env, ...QUIET_ENV }) : undefined;
    const frontDoor = options.frontDoorEnv === undefined ? undefined : await start(options.brokerBundle, { ...options.env, ...options.frontDoorEnv });
    const targets: Partial<Record<WarmArm, { process: WarmProcess; kind: CallKind }>> = {
      broker: { process: broker, kind: 'handler' },
      baseline: { process: baseline, kind: 'handler' },
      direct: { process: baseline, kind: 'direct' },
      ...(quiet === undefined ? {} : { quiet: { process: quiet, kind: 'handler' as const } }),
      ...(frontDoor === undefined ? {} : { frontDoor: { process: frontDoor, kind: 'frontDoor' as const } }),
    };
    const arms = Object.keys(targets) as WarmArm[];
    const samples: Partial<Record<WarmArm, number[]>> = Object.fromEntries(arms.map((arm) => [arm, []]));
    const round = async (index: number, record: boolean) => {
      for (let i = 0; i < arms.length; i += 1) {
        const arm = arms[(i + index) % arms.length]!;
        const { process, kind } = targets[arm]!;
        const { ms, ok } = await process.call(kind);
        if (!ok) throw new Error(`a warm ${arm} call failed:\n${process.output()}`);
        if (record) samples[arm]!.push(ms);
      }
    };

    onProgress?.('warm-up');
    for (let i = 0; i < options.warmupRounds; i += 1) await round(i, false);

    onProgress?.('work per request');
    const before = options.counters();
    const statsBefore = await broker.stats();
    const { failures } = await broker.calls(options.workRequests, 'handler');
    const counters = difference(options.counters(), before);
    const statsAfter = await broker.stats();
    if (failures > 0) throw new Error(`${failures} of ${options.workRequests} warm broker requests failed:\n${broker.output()}`);

    // Lambda's runtime sizes V8's heap from the function's memory; here, flags stand in for that.
    const capped =
      options.cappedHeapFlags === undefined
        ? undefined
        : await start(options.brokerBundle, {
            ...options.env,
            NODE_OPTIONS: [options.env.NODE_OPTIONS, options.cappedHeapFlags].filter(Boolean).join(' '),
          });
    if (capped !== undefined) await capped.calls(options.warmupRounds, 'handler');
    const whatIfs: Partial<Record<CpuArm, { process: WarmProcess; kind: CallKind }>> = {};
    for (const [whatIf, bundle] of Object.entries(options.whatIfBundles ?? {}) as [WhatIf, string][]) {
      const process = await start(bundle, options.env);
      await process.calls(options.warmupRounds, 'handler');
      whatIfs[whatIf] = { process, kind: 'handler' };
    }

    // CPU per call: batches of back-to-back calls, the arms taking turns batch by batch.
    const cpuTargets: Partial<Record<CpuArm, { process: WarmProcess; kind: CallKind }>> = {
      ...targets,
      ...(capped === undefined ? {} : { capped: { process: capped, kind: 'handler' as const } }),
      ...whatIfs,
    };
    // The median batch, not the total: on a shared machine a batch that met a major GC or another
    // process's burst would otherwise weigh on one arm only.
    const cpuArms = Object.keys(cpuTargets) as CpuArm[];
    const batches = options.cpuPerCall?.batches ?? 20;
    // At least 50 calls a batch: a batch of a few calls measures the timer's resolution and the GC's
    // timing more than the calls. (A test that checks the machinery, not the figures, asks for fewer.)
    const perBatch = options.cpuPerCall?.callsPerBatch ?? Math.max(50, Math.round(options.workRequests / batches));
    // Every arm's process the same number of calls into its run first (the broker's has served the
    // work-per-request run, a what-if's only its warm-up): JIT tiers and heap growth alike.
    for (const arm of cpuArms) {
      const { process, kind } = cpuTargets[arm]!;
      const { failures: warmUpFailures } = await process.calls(options.cpuPerCall?.warmupCalls ?? Math.max(options.warmupRounds, 500), kind);
      if (warmUpFailures > 0) throw new Error(`${warmUpFailures} warm ${arm} calls failed:\n${process.output()}`);
    }
    const cpuPerCall: Partial<Record<CpuArm, number[]>> = {};
    for (let batch = 0; batch < batches; batch += 1) {
      for (let i = 0; i < cpuArms.length; i += 1) {
        const arm = cpuArms[(i + batch) % cpuArms.length]!;
        const { process, kind } = cpuTargets[arm]!;
        const run = await process.calls(perBatch, kind);
        if (run.failures > 0) throw new Error(`${run.failures} warm ${arm} calls failed:\n${process.output()}`);
        (cpuPerCall[arm] ??= []).push(run.cpuMs / perBatch);
      }
    }
    const cpuMsPerRequest = Object.fromEntries(cpuArms.map((arm) => [arm, median(cpuPerCall[arm]!)]));
    const cappedResult: WarmResult['capped'] =
      capped === undefined || options.cappedHeapFlags === undefined
        ? undefined
        : { flags: options.cappedHeapFlags, cpuMsPerRequest: cpuMsPerRequest.capped!, stats: await capped.stats(true) };

    const work: WorkPerRequest = {
      requests: options.workRequests,
      counters,
      childNewConnections: {
        secret: statsAfter.newConnections.secret - statsBefore.newConnections.secret,
        oidc: statsAfter.newConnections.oidc - statsBefore.newConnections.oidc,
      },
      cpuMsPerRequest,
    };

    onProgress?.('latency');
    const timedBefore = options.counters();
    for (let i = 0; i < options.rounds; i += 1) await round(i, true);
    const timedRunCounters = difference(options.counters(), timedBefore);

    return {
      rounds: options.rounds,
      arms,
      latency: Object.fromEntries(arms.map((arm) => [arm, summarize(samples[arm]!)])),
      work,
      timedRunCounters,
      broker: await broker.stats(true),
      baseline: await baseline.stats(true),
      ...(cappedResult === undefined ? {} : { capped: cappedResult }),
      samples,
    };
  } finally {
    for (const process of started) await process.stop();
  }
}
