// Judging a run: the paired ratios (cold starts round by round, warm CPU batch by batch), work per
// 1,000 requests, memory, a model of what the measured CPU time becomes at each Lambda memory size,
// and the targets (bench/targets.ts). bench/table.ts prints the result.

import type { Measurements } from './bench.js';
import { WHAT_IF, WHAT_IFS } from './bundle.js';
import { ARM, byRound, whatIfArm, type ColdBreakdown, type ColdSummary } from './cold.js';
import { median, pairedRatios, perRequests, round, spread, type Spread } from './stats.js';
import { amountTarget, pairedTarget, TARGETS, type Target } from './targets.js';
import { cpuPerCall, WARM_ARM, whatIfWarmArm } from './warm.js';

/** Lambda allocates CPU in proportion to memory: one full vCPU at 1,769 MB (AWS Lambda documentation). */
export const FULL_VCPU_MB = 1769;
export const MEMORY_SIZES = [128, 256, 512, 1024, 1769] as const;

export interface MemoryEstimate {
  readonly memoryMb: number;
  /** The vCPU share Lambda gives that memory size. */
  readonly vcpu: number;
  /** Cold start if its CPU-bound part stretches by 1/vcpu and its waits do not (local CPU speed). */
  readonly coldStartMs: number;
  /** CPU per warm request in the broker's process (SDK included), stretched the same way. */
  readonly warmCpuMs: number;
  /** The part of it the broker adds over a bare SDK call. */
  readonly warmOverheadMs: number;
  /** Memory size minus the broker's peak RSS (heap-capped run when there is one). */
  readonly headroomMb: number;
}

/** One route family, warm: its CPU per call against its direct call, paired batch by batch. */
export interface FamilyFigures {
  readonly name: string;
  readonly direct: string;
  readonly cpuMs: number;
  readonly directCpuMs: number;
  /** CPU per call over the direct call's, batch by batch. */
  readonly cpu: Spread;
  /** Latency over the direct call's, round by round (information). */
  readonly wall: Spread;
  readonly per1000: { readonly getSecretValue: number; readonly newConnections: number };
}

/** A what-if build beside the broker (when measured): cold CPU over the baseline's and CPU per call over the direct call's, paired. */
export interface WhatIfRow {
  readonly name: string;
  readonly label: string;
  readonly bytes?: number;
  readonly coldCpu?: Spread;
  readonly warmCpu?: Spread;
}

export interface Report {
  readonly measurements: Measurements;
  readonly cold: {
    readonly broker: ColdSummary;
    readonly baseline: ColdSummary;
    readonly defaults: ColdSummary;
    /** Broker over the same-options baseline, round by round: CPU and wall of the cold start and of the first request. */
    readonly paired: {
      readonly cpu: Spread;
      readonly wall: Spread;
      readonly firstRequestCpu: Spread;
      readonly firstRequestWall: Spread;
      readonly instructions?: Spread;
      /** Broker over the NodejsFunction-defaults baseline (information). */
      readonly defaultsCpu: Spread;
      readonly defaultsWall: Spread;
    };
    /** Median instructions per cold start, when counted. */
    readonly instructions?: { readonly broker: number; readonly baseline: number };
    /** Median cold start (and its CPU) with NODE_OPTIONS=--enable-source-maps minus without it, when measured. */
    readonly sourceMapsMs?: number;
    readonly sourceMapsCpuMs?: number;
  };
  readonly families: readonly FamilyFigures[];
  readonly work: {
    /** Over every family's work run. */
    readonly requests: number;
    readonly per1000: { readonly getSecretValue: number; readonly newConnections: number };
  };
  readonly memory: {
    /** Peak RSS of the cold start's family's warm broker process after every warm request. */
    readonly peakRssMb: number;
    /** The peak RSS the headroom is computed from: the heap-capped run's when there is one. */
    readonly sizingRssMb: number;
    readonly rssAfterGcMb: number;
    readonly heapAfterGcMb: number;
    /** Peak RSS of a cold process at its first answer (median). */
    readonly coldRssMb: number;
    readonly estimates: readonly MemoryEstimate[];
  };
  readonly whatIf: readonly WhatIfRow[];
  readonly targets: readonly Target[];
}

export function memoryEstimates(
  cold: { wallMs: number; cpuMs: number },
  warm: { cpuMs: number; directCpuMs: number },
  peakRssMb: number,
  sizes: readonly number[] = MEMORY_SIZES,
): MemoryEstimate[] {
  const waits = Math.max(0, cold.wallMs - cold.cpuMs);
  return sizes.map((memoryMb) => {
    const vcpu = Math.min(1, memoryMb / FULL_VCPU_MB);
    return {
      memoryMb,
      vcpu: round(vcpu),
      coldStartMs: round(waits + cold.cpuMs / vcpu),
      warmCpuMs: round(warm.cpuMs / vcpu),
      warmOverheadMs: round(Math.max(0, warm.cpuMs - warm.directCpuMs) / vcpu),
      headroomMb: round(memoryMb - peakRssMb),
    };
  });
}

export function buildReport(m: Measurements): Report {
  const summary = (name: string) => m.cold.find((result) => result.name === name)?.summary;
  const broker = summary(ARM.broker);
  const baseline = summary(ARM.baseline);
  const defaults = summary(ARM.defaults);
  if (broker === undefined || baseline === undefined || defaults === undefined) throw new Error('the cold start run lacks the broker or a baseline arm');
  const pairedCold = (arm: string, reference: string, key: keyof ColdBreakdown) =>
    spread(pairedRatios(byRound(m.cold, arm, key), byRound(m.cold, reference, key)));
  const counts = 'counts' in m.instructions ? m.instructions.counts : undefined;
  const instructions =
    counts === undefined ? undefined : spread(pairedRatios(counts[ARM.broker] ?? [], counts[ARM.baseline] ?? []));
  const withSourceMaps = summary(ARM.brokerWithSourceMaps);

  const warm = m.warm;
  const pairedCpu = (arm: string): Spread => {
    const pairs = warm.cpuPairs[arm];
    return spread(pairs === undefined ? [] : pairedRatios(pairs.subject, pairs.direct));
  };
  const families: FamilyFigures[] = warm.families.map((family) => {
    const done = warm.work[family.name]!;
    const newConnections =
      done.counters.oidcConnections + done.counters.secretsConnections + done.counters.apiConnections;
    return {
      name: family.name,
      direct: m.families.find((one) => one.name === family.name)?.direct ?? 'direct call',
      cpuMs: cpuPerCall(warm, family.arm),
      // Of the direct-call process that stood beside this family's.
      directCpuMs: median(warm.cpuPairs[family.arm]?.direct ?? []),
      cpu: pairedCpu(family.arm),
      wall: spread(pairedRatios(warm.latencySamples[family.arm] ?? [], warm.latencySamples[family.directArm] ?? [])),
      per1000: { getSecretValue: perRequests(done.counters.getSecretValue, done.requests), newConnections: perRequests(newConnections, done.requests) },
    };
  });
  const requests = families.reduce((sum, family) => sum + warm.work[family.name]!.requests, 0);
  const totals = families.reduce(
    (sum, family) => {
      const { counters } = warm.work[family.name]!;
      return {
        getSecretValue: sum.getSecretValue + counters.getSecretValue,
        newConnections: sum.newConnections + counters.oidcConnections + counters.secretsConnections + counters.apiConnections,
      };
    },
    { getSecretValue: 0, newConnections: 0 },
  );
  const per1000 = { getSecretValue: perRequests(totals.getSecretValue, requests), newConnections: perRequests(totals.newConnections, requests) };

  const coldFamily = families[0]!;
  const brokerStats = warm.brokers[coldFamily.name]!;
  const peakRssMb = brokerStats.maxRssKb / 1024;
  // V8 on a big machine lets the heap grow far past what it needs; the capped run is the better guide.
  const sizingRssMb = warm.capped === undefined ? peakRssMb : warm.capped.stats.maxRssKb / 1024;

  const whatIf: WhatIfRow[] = [];
  const measuredWhatIfs = WHAT_IFS.filter((name) => summary(whatIfArm(name)) !== undefined);
  if (measuredWhatIfs.length > 0 || warm.latency[WARM_ARM.quiet] !== undefined) {
    const warmOf = (arm: string) => (warm.cpuPairs[arm] === undefined ? {} : { warmCpu: pairedCpu(arm) });
    whatIf.push({ name: 'broker', label: 'the broker as measured', bytes: m.bundle.bytes, coldCpu: pairedCold(ARM.broker, ARM.baseline, 'cpuTotal'), ...warmOf(warm.families[0]!.arm) });
    for (const name of measuredWhatIfs) {
      whatIf.push({
        name,
        label: WHAT_IF[name].label,
        ...(m.whatIfBundles[name] === undefined ? {} : { bytes: m.whatIfBundles[name]!.bytes }),
        coldCpu: pairedCold(whatIfArm(name), ARM.baseline, 'cpuTotal'),
        ...warmOf(whatIfWarmArm(name)),
      });
    }
    if (warm.cpuBatches[WARM_ARM.quiet] !== undefined) whatIf.push({ name: 'quiet', label: 'the broker with no log or metric output', ...warmOf(WARM_ARM.quiet) });
    whatIf.push({ name: 'baseline', label: 'the baseline handler (none of the broker)', bytes: m.baselineBundle.bytes, ...warmOf(WARM_ARM.baseline) });
  }

  const paired = {
    cpu: pairedCold(ARM.broker, ARM.baseline, 'cpuTotal'),
    wall: pairedCold(ARM.broker, ARM.baseline, 'total'),
    firstRequestCpu: pairedCold(ARM.broker, ARM.baseline, 'firstRequestCpu'),
    firstRequestWall: pairedCold(ARM.broker, ARM.baseline, 'firstRequest'),
    ...(instructions === undefined ? {} : { instructions }),
    defaultsCpu: pairedCold(ARM.broker, ARM.defaults, 'cpuTotal'),
    defaultsWall: pairedCold(ARM.broker, ARM.defaults, 'total'),
  };
  const mb = (v: number) => `${v.toFixed(1)} MB`;
  const count = (v: number) => String(round(v));
  const targets: Target[] = [
    pairedTarget('cold start CPU / same-options baseline', paired.cpu, TARGETS.coldCpu, paired.wall),
    pairedTarget(
      'cold start instructions / same-options baseline',
      instructions,
      TARGETS.coldInstructions,
      undefined,
      'skipped' in m.instructions ? m.instructions.skipped : 'not measured',
    ),
    pairedTarget('first request after init CPU / same-options baseline', paired.firstRequestCpu, TARGETS.firstRequestCpu, paired.firstRequestWall),
    ...families.map((family) => pairedTarget(`warm CPU per call, ${family.name} / ${family.direct}`, family.cpu, TARGETS.warmCpu, family.wall)),
    amountTarget('peak RSS at the first answer (cold median)', broker.maxRssMb.p50, TARGETS.coldRssMb, mb, 'amount'),
    amountTarget('Secrets Manager calls per 1,000 warm requests', per1000.getSecretValue, TARGETS.secretCallsPer1000, count, 'amount'),
    amountTarget('new upstream connections per 1,000 warm requests', per1000.newConnections, TARGETS.newConnectionsPer1000, count, 'amount'),
    amountTarget('bundle (minified index.mjs, every surface)', m.bundle.bytes, TARGETS.bundleBytes, (v) => `${Math.round(v).toLocaleString('en-US')} B`, 'bytes'),
  ];

  return {
    measurements: m,
    cold: {
      broker,
      baseline,
      defaults,
      paired,
      ...(counts === undefined
        ? {}
        : { instructions: { broker: spread(counts[ARM.broker] ?? []).median, baseline: spread(counts[ARM.baseline] ?? []).median } }),
      ...(withSourceMaps === undefined
        ? {}
        : { sourceMapsMs: withSourceMaps.total.p50 - broker.total.p50, sourceMapsCpuMs: withSourceMaps.cpuTotal.p50 - broker.cpuTotal.p50 }),
    },
    families,
    work: { requests, per1000 },
    memory: {
      peakRssMb,
      sizingRssMb,
      rssAfterGcMb: brokerStats.rssKb / 1024,
      heapAfterGcMb: brokerStats.heapUsedBytes / 2 ** 20,
      coldRssMb: broker.maxRssMb.p50,
      estimates: memoryEstimates(
        { wallMs: broker.total.p50, cpuMs: broker.cpuTotal.p50 },
        { cpuMs: coldFamily.cpuMs, directCpuMs: coldFamily.directCpuMs },
        sizingRssMb,
      ),
    },
    whatIf,
    targets,
  };
}
