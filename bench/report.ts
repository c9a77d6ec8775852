// Judging a run: ratios side by side, work per 1,000 requests, the targets (docs/performance.md), a model of what
// the measured CPU time becomes at each Lambda memory size, and the table printed to stdout.

import type { Measurements } from './bench.js';
import { WHAT_IF, WHAT_IFS } from './bundle.js';
import { ARM, whatIfArm, type ColdSummary } from './cold.js';
import { perRequests, ratio, round, type Summary } from './stats.js';
import type { CpuArm } from './warm.js';

/** Issue 13's targets, each measured side by side in one run. */
export const TARGETS = {
  /** Minified index.mjs, decimal bytes. */
  bundleBytes: 275_000,
  /** Cold start p50, broker over the same baseline bundled with NodejsFunction's defaults (what a team would deploy instead). */
  coldVsDefaults: 0.75,
  /** Cold start p50, broker over the baseline bundled with the broker's own options. */
  coldVsSameOptions: 1.05,
  /** Warm p50 through the handler minus a direct SDK CreateToken, ms. */
  warmOverheadMs: 0.25,
  /** CPU per warm call, broker over the direct SDK call. */
  cpuRatio: 1.2,
  /** Peak RSS of a cold broker process at its first answer (p50), MB. */
  coldRssMb: 72,
  secretCallsPer1000: 0,
  newConnectionsPer1000: 0,
} as const;

/** Lambda allocates CPU in proportion to memory: one full vCPU at 1,769 MB (AWS Lambda documentation). */
export const FULL_VCPU_MB = 1769;
export const MEMORY_SIZES = [128, 256, 512, 1024, 1769] as const;

export interface Target {
  readonly name: string;
  readonly target: string;
  readonly actual: string;
  readonly met: boolean;
  /** How far off, when missed ("+4.2 % over", "+32,497 bytes over"). */
  readonly miss?: string;
  /** When missed and the what-if builds were measured: the labels of those that meet it (maybe none). */
  readonly metBy?: readonly string[];
}

/**
 * One row of "what it would take": the broker as shipped, a what-if build (bench/bundle.ts WHAT_IF),
 * the broker with its output off, or the baseline handler, measured in the same run. A figure the
 * run did not measure for that row is undefined.
 */
export interface WhatIfRow {
  readonly name: string;
  readonly label: string;
  readonly bytes?: number;
  readonly coldP50Ms?: number;
  readonly coldToSameOptions?: number;
  readonly coldToDefaults?: number;
  readonly cpuMs?: number;
  readonly cpuRatio?: number;
}

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

export interface Report {
  readonly measurements: Measurements;
  readonly cold: {
    readonly broker: ColdSummary;
    readonly baseline: ColdSummary;
    /** The baseline as NodejsFunction bundles it by default. */
    readonly defaults: ColdSummary;
    /** Broker over the same-options baseline, cold start median and p90. */
    readonly ratio: { readonly p50: number; readonly p90: number };
    /** Broker over the NodejsFunction-defaults baseline, cold start median and p90. */
    readonly ratioToDefaults: { readonly p50: number; readonly p90: number };
    /** Median cold start (and its CPU time) with NODE_OPTIONS=--enable-source-maps minus without it; undefined when not measured. */
    readonly sourceMapsMs: number | undefined;
    readonly sourceMapsCpuMs: number | undefined;
  };
  readonly warm: {
    readonly p50: { readonly broker: number; readonly baseline: number; readonly direct: number; readonly quiet?: number };
    readonly p99: { readonly broker: number; readonly baseline: number; readonly direct: number; readonly quiet?: number };
    /** Broker over direct SDK call. */
    readonly ratio: { readonly p50: number; readonly p99: number };
    /** Broker over the minimal handler. */
    readonly ratioToBaseline: { readonly p50: number; readonly p99: number };
    /** Broker minus direct, ms. */
    readonly overheadMs: { readonly p50: number; readonly p99: number };
    /** Broker minus the same broker with logs and metrics off (p50, ms): what telemetry output costs. */
    readonly telemetryMs?: number;
    /** The front door's POST /oauth2/token minus the direct call (p50 and p99, ms), when measured. */
    readonly frontDoorOverheadMs?: { readonly p50: number; readonly p99: number };
  };
  readonly work: {
    readonly requests: number;
    readonly per1000: {
      readonly getSecretValue: number;
      readonly newOidcConnections: number;
      readonly newSecretsConnections: number;
      readonly createToken: number;
    };
    /** CPU per call by arm (broker, baseline, direct, quiet). */
    readonly cpuMsPerRequest: Readonly<Record<string, number>>;
  };
  readonly memory: {
    /** Peak RSS of the broker's warm process after every warm request. */
    readonly peakRssMb: number;
    /** The peak RSS the headroom is computed from: the heap-capped run's when there is one. */
    readonly sizingRssMb: number;
    /** Its RSS and heap in use after a full garbage collection at the end. */
    readonly rssAfterGcMb: number;
    readonly heapAfterGcMb: number;
    /** Peak RSS of a cold process at its first answer (median). */
    readonly coldRssMb: number;
    readonly coldCpuMs: number;
    readonly coldInitCpuMs: number;
    readonly coldWallMs: number;
    readonly estimates: readonly MemoryEstimate[];
  };
  /** Empty when the what-if arms were not run. */
  readonly whatIf: readonly WhatIfRow[];
  readonly targets: readonly Target[];
}

const pct = (value: number): string => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)} %`;

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

/**
 * A target met when `value <= limit`; when missed, by how much: bytes and amounts as the difference,
 * ratios as the difference and its share of the limit. A value that could not be measured is missed.
 */
export function atMost(
  name: string,
  value: number,
  limit: number,
  show: (value: number) => string,
  kind: 'bytes' | 'ratio' | 'amount',
): Target {
  const met = Number.isFinite(value) && value <= limit;
  const over = value - limit;
  const miss =
    met || !Number.isFinite(value)
      ? undefined
      : kind === 'bytes'
        ? `+${Math.round(over).toLocaleString('en-US')} B (${pct(over / limit)}) over`
        : kind === 'ratio'
          ? `+${over.toFixed(3)} (${pct(over / limit)}) over`
          : `+${round(over)} over`;
  return { name, target: `<= ${show(limit)}`, actual: Number.isFinite(value) ? show(value) : 'not measured', met, ...(miss === undefined ? {} : { miss }) };
}

export function buildReport(m: Measurements): Report {
  const arm = (name: string) => m.cold.find((result) => result.name === name);
  const broker = arm(ARM.broker);
  const baseline = arm(ARM.baseline);
  const defaults = arm(ARM.defaults);
  if (broker === undefined || baseline === undefined || defaults === undefined) throw new Error('the cold start run lacks the broker or a baseline arm');
  const withSourceMaps = arm(ARM.brokerWithSourceMaps);
  const { broker: warmBroker, baseline: warmBaseline, direct, quiet, frontDoor } = m.warm.latency;
  if (warmBroker === undefined || warmBaseline === undefined || direct === undefined) throw new Error('the warm run lacks an arm');
  const work = m.warm.work;
  const per1000 = {
    getSecretValue: perRequests(work.counters.getSecretValue, work.requests),
    newOidcConnections: perRequests(work.counters.oidcConnections, work.requests),
    newSecretsConnections: perRequests(work.counters.secretsConnections, work.requests),
    createToken: perRequests(work.counters.createToken, work.requests),
  };
  const peakRssMb = m.warm.broker.maxRssKb / 1024;
  // V8 on a big machine lets the heap grow far past what it needs; the capped run is the better guide.
  const sizingRssMb = m.warm.capped === undefined ? peakRssMb : m.warm.capped.stats.maxRssKb / 1024;
  const coldWallMs = broker.summary.total.p50;
  const coldCpuMs = broker.summary.cpuTotal.p50;
  const cpu = work.cpuMsPerRequest;

  const coldRatio = ratio(broker.summary.total.p50, baseline.summary.total.p50);
  const coldToDefaults = ratio(broker.summary.total.p50, defaults.summary.total.p50);
  const warmRatio = ratio(warmBroker.p50, direct.p50);
  const overheadMs = warmBroker.p50 - direct.p50;
  const cpuRatio = ratio(cpu.broker ?? Number.NaN, cpu.direct ?? Number.NaN);
  const coldRssMb = broker.summary.maxRssMb.p50;
  const newConnections = per1000.newOidcConnections + per1000.newSecretsConnections;
  const whatIf: WhatIfRow[] = [];
  const whatIfMeasured = WHAT_IFS.filter((name) => arm(whatIfArm(name)) !== undefined && m.whatIfBundles[name] !== undefined);
  if (whatIfMeasured.length > 0) {
    const cold = (summary: ColdSummary) => ({
      coldP50Ms: summary.total.p50,
      coldToSameOptions: ratio(summary.total.p50, baseline.summary.total.p50),
      coldToDefaults: ratio(summary.total.p50, defaults.summary.total.p50),
    });
    const cpuOf = (name: CpuArm) => {
      const value = cpu[name];
      return value === undefined ? {} : { cpuMs: value, cpuRatio: ratio(value, cpu.direct ?? Number.NaN) };
    };
    whatIf.push({ name: 'broker', label: 'the broker as shipped', bytes: m.bundle.bytes, ...cold(broker.summary), ...cpuOf('broker') });
    for (const name of whatIfMeasured) {
      whatIf.push({ name, label: WHAT_IF[name].label, bytes: m.whatIfBundles[name]!.bytes, ...cold(arm(whatIfArm(name))!.summary), ...cpuOf(name) });
    }
    if (cpu.quiet !== undefined) whatIf.push({ name: 'quiet', label: 'the broker with no log or metric output', ...cpuOf('quiet') });
    whatIf.push({ name: 'baseline', label: 'the baseline handler (none of the broker)', bytes: m.baselineBundle.bytes, ...cold(baseline.summary), ...cpuOf('baseline') });
  }
  /** The labels of the what-if rows (not the broker's or the baseline's own) whose `key` is at most `limit`. */
  const metBy = (target: Target, key: keyof WhatIfRow, limit: number): Target =>
    target.met || whatIf.length === 0
      ? target
      : {
          ...target,
          metBy: whatIf
            .filter((row) => row.name !== 'broker' && row.name !== 'baseline' && typeof row[key] === 'number' && (row[key] as number) <= limit)
            .map((row) => row.label),
        };

  const targets: Target[] = [
    metBy(
      atMost('bundle size (minified index.mjs)', m.bundle.bytes, TARGETS.bundleBytes, (v) => `${Math.round(v).toLocaleString('en-US')} B`, 'bytes'),
      'bytes',
      TARGETS.bundleBytes,
    ),
    metBy(
      atMost('cold start p50 / NodejsFunction-defaults baseline', coldToDefaults, TARGETS.coldVsDefaults, (v) => `${v.toFixed(3)}x`, 'ratio'),
      'coldToDefaults',
      TARGETS.coldVsDefaults,
    ),
    metBy(
      atMost('cold start p50 / same-options baseline', coldRatio, TARGETS.coldVsSameOptions, (v) => `${v.toFixed(3)}x`, 'ratio'),
      'coldToSameOptions',
      TARGETS.coldVsSameOptions,
    ),
    atMost('warm overhead p50 over the direct SDK call', overheadMs, TARGETS.warmOverheadMs, (v) => `${v >= 0 ? '+' : ''}${v.toFixed(3)} ms`, 'amount'),
    metBy(atMost('CPU per call / direct SDK call', cpuRatio, TARGETS.cpuRatio, (v) => `${v.toFixed(3)}x`, 'ratio'), 'cpuRatio', TARGETS.cpuRatio),
    atMost('peak RSS at the first answer (cold p50)', coldRssMb, TARGETS.coldRssMb, (v) => `${v.toFixed(1)} MB`, 'amount'),
    atMost('Secrets Manager calls per 1,000 warm requests', per1000.getSecretValue, TARGETS.secretCallsPer1000, (v) => String(round(v)), 'amount'),
    atMost('new upstream connections per 1,000 warm requests', newConnections, TARGETS.newConnectionsPer1000, (v) => String(round(v)), 'amount'),
  ];

  return {
    measurements: m,
    cold: {
      broker: broker.summary,
      baseline: baseline.summary,
      defaults: defaults.summary,
      ratio: { p50: coldRatio, p90: ratio(broker.summary.total.p90, baseline.summary.total.p90) },
      ratioToDefaults: { p50: coldToDefaults, p90: ratio(broker.summary.total.p90, defaults.summary.total.p90) },
      sourceMapsMs: withSourceMaps === undefined ? undefined : withSourceMaps.summary.total.p50 - broker.summary.total.p50,
      sourceMapsCpuMs: withSourceMaps === undefined ? undefined : withSourceMaps.summary.cpuTotal.p50 - broker.summary.cpuTotal.p50,
    },
    warm: {
      p50: { broker: warmBroker.p50, baseline: warmBaseline.p50, direct: direct.p50, ...(quiet === undefined ? {} : { quiet: quiet.p50 }) },
      p99: { broker: warmBroker.p99, baseline: warmBaseline.p99, direct: direct.p99, ...(quiet === undefined ? {} : { quiet: quiet.p99 }) },
      ratio: { p50: warmRatio, p99: ratio(warmBroker.p99, direct.p99) },
      ratioToBaseline: { p50: ratio(warmBroker.p50, warmBaseline.p50), p99: ratio(warmBroker.p99, warmBaseline.p99) },
      overheadMs: { p50: overheadMs, p99: warmBroker.p99 - direct.p99 },
      ...(quiet === undefined ? {} : { telemetryMs: warmBroker.p50 - quiet.p50 }),
      ...(frontDoor === undefined ? {} : { frontDoorOverheadMs: { p50: frontDoor.p50 - direct.p50, p99: frontDoor.p99 - direct.p99 } }),
    },
    work: { requests: work.requests, per1000, cpuMsPerRequest: cpu },
    memory: {
      peakRssMb,
      sizingRssMb,
      rssAfterGcMb: m.warm.broker.rssKb / 1024,
      heapAfterGcMb: m.warm.broker.heapUsedBytes / 2 ** 20,
      coldRssMb,
      coldCpuMs,
      coldInitCpuMs: broker.summary.cpuInit.p50,
      coldWallMs,
      estimates: memoryEstimates(
        { wallMs: coldWallMs, cpuMs: coldCpuMs },
        { cpuMs: cpu.broker ?? Number.NaN, directCpuMs: cpu.direct ?? Number.NaN },
        sizingRssMb,
      ),
    },
    whatIf,
    targets,
  };
}

// ---- the table ------------------------------------------------------------------------------------

const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(value < 10 ? 2 : 1) : 'n/a');
const x = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(2)}x` : 'n/a');
const kb = (bytes: number): string => `${(bytes / 1000).toFixed(1)} KB`;

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

export function formatReport(report: Report): string {
  const m = report.measurements;
  const b = report.cold.broker;
  const base = report.cold.baseline;
  const def = report.cold.defaults;
  const withSm = m.cold.find((arm) => arm.name === ARM.brokerWithSourceMaps)?.summary;
  const coldRow = (label: string, key: keyof ColdSummary, showRatio = false): string[] => [
    label,
    ms(b[key].p50),
    ms(b[key].p90),
    ms(base[key].p50),
    ms(base[key].p90),
    showRatio ? x(ratio(b[key].p50, base[key].p50)) : '',
    ms(def[key].p50),
    ms(def[key].p90),
    showRatio ? x(ratio(b[key].p50, def[key].p50)) : '',
    ...(withSm === undefined ? [] : [ms(withSm[key].p50)]),
  ];
  const w: Partial<Record<string, Summary>> = m.warm.latency;
  const cpu = report.work.cpuMsPerRequest;
  const c = m.composition;
  const warmRow = (label: string, key: string): string[] => {
    const s = w[key]!;
    return [label, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max), x(ratio(s.p50, w.direct!.p50)), x(ratio(s.p99, w.direct!.p99)), ms(cpu[key] ?? Number.NaN)];
  };
  const out: string[] = [];
  out.push(
    `token broker benchmark: ${m.startedAt}, ${m.seconds.toFixed(0)} s, Node ${m.machine.node}, ${m.machine.cpu} x${m.machine.cores}`,
    `function as synthesized: ${m.fn.runtime} ${m.fn.architecture}, ${m.fn.memorySize} MB, NODE_OPTIONS=${m.fn.nodeOptions ?? '(none)'}`,
    '',
    `COLD START (ms from process start; ${b.total.n} fresh processes per arm, interleaved)`,
    `  baseline = the naive handler bundled with the broker's options; defaults = the same handler as NodejsFunction bundles it by default`,
    `  for ${m.fn.runtime} (CommonJS, SDK external, loaded from node_modules as from the runtime; ${m.defaultsBundle.bytes.toLocaleString('en-US')} B of its own)`,
    table(
      [
        '',
        'broker p50',
        'p90',
        'baseline p50',
        'p90',
        'ratio',
        'defaults p50',
        'p90',
        'ratio',
        ...(withSm === undefined ? [] : ['what-if: broker + --enable-source-maps p50']),
      ],
      [
        coldRow('node bootstrap', 'bootstrap'),
        coldRow('module load', 'moduleLoad', true),
        coldRow('secret fetch (GetSecretValue)', 'secretFetch'),
        coldRow('  secret answered at', 'secretDoneAt'),
        coldRow('  still awaited after load', 'secretWait'),
        coldRow('loaded -> CreateToken sent', 'beforeUpstream', true),
        coldRow('first upstream call (CreateToken)', 'firstUpstreamCall', true),
        coldRow('CreateToken answered -> response', 'afterUpstream', true),
        coldRow('TOTAL cold start', 'total', true),
        coldRow('CPU time at module loaded', 'cpuInit', true),
        coldRow('CPU time at response', 'cpuTotal', true),
        coldRow('peak RSS at response (MB)', 'maxRssMb', true),
      ],
    ),
    `cold start p50: ${x(report.cold.ratio.p50)} the same-options baseline (p90 ${x(report.cold.ratio.p90)}), ` +
      `${x(report.cold.ratioToDefaults.p50)} the NodejsFunction-defaults baseline (p90 ${x(report.cold.ratioToDefaults.p90)})` +
      (report.cold.sourceMapsMs === undefined
        ? ''
        : `; --enable-source-maps would add ${ms(report.cold.sourceMapsMs)} ms (CPU ${ms(report.cold.sourceMapsCpuMs ?? Number.NaN)} ms)`),
    '',
    `WARM REQUESTS (ms per call, timed in-process; ${m.warm.rounds} interleaved rounds after ${m.options.warmWarmupRounds} untimed)`,
    table(
      ['', 'p50', 'p90', 'p99', 'max', 'p50 ratio', 'p99 ratio', 'CPU/call'],
      [
        warmRow('direct SDK CreateToken (the limit)', 'direct'),
        warmRow('baseline handler', 'baseline'),
        warmRow('broker handler, POST /token', 'broker'),
        ...(w.frontDoor === undefined ? [] : [warmRow('broker handler, POST /oauth2/token', 'frontDoor')]),
        ...(w.quiet === undefined ? [] : [warmRow('what-if: broker, logs + metrics off', 'quiet')]),
      ],
    ),
    `broker overhead over the direct call: p50 +${ms(report.warm.overheadMs.p50)} ms, p99 +${ms(report.warm.overheadMs.p99)} ms` +
      (report.warm.telemetryMs === undefined ? '' : `; of the p50, log + metric output is ${ms(report.warm.telemetryMs)} ms`),
    ...(report.warm.frontDoorOverheadMs === undefined
      ? []
      : [
          `front door POST /oauth2/token (form, sealed refresh token opened, RFC 6749 answer) over the direct call: p50 +${ms(report.warm.frontDoorOverheadMs.p50)} ms, p99 +${ms(report.warm.frontDoorOverheadMs.p99)} ms`,
        ]),
    ...(m.profile === undefined
      ? []
      : [
          '',
          `WHERE THE BROKER'S CPU GOES (V8 profiles of ${m.profile.coldRuns} cold starts and ${m.profile.warmRequests} warm requests; the profiler inflates absolute times: read the shares)`,
          table(
            ['cold start', 'ms per start', 'share'],
            m.profile.cold.map((row) => [row.name, ms(row.value), `${(row.share * 100).toFixed(1)} %`]),
          ),
          table(
            ['warm request', 'us per request', 'share'],
            m.profile.warm.map((row) => [row.name, row.value.toFixed(0), `${(row.share * 100).toFixed(1)} %`]),
          ),
          `profiles (open in Chrome DevTools): ${m.profile.directory}`,
        ]),
    '',
    `WORK PER 1,000 WARM REQUESTS (broker only, ${report.work.requests} requests, emulator-side counts)`,
    table(
      ['', 'per 1,000'],
      [
        ['Secrets Manager GetSecretValue calls', String(round(report.work.per1000.getSecretValue))],
        ['new TCP connections to SSO OIDC', String(round(report.work.per1000.newOidcConnections))],
        ['new TCP connections to Secrets Manager', String(round(report.work.per1000.newSecretsConnections))],
        ['CreateToken calls', String(round(report.work.per1000.createToken))],
      ],
    ),
    '',
    'SIZE AND MEMORY',
    table(
      ['', 'value'],
      [
        ['bundle index.mjs (minified)', `${m.bundle.bytes.toLocaleString('en-US')} B (${kb(m.bundle.bytes)})`],
        ['  gzip -9 (information)', `${m.bundle.gzipBytes.toLocaleString('en-US')} B`],
        ['  index.mjs.map (kept beside it, not read at start-up)', `${m.bundle.sourceMapBytes.toLocaleString('en-US')} B`],
        ['baseline index.mjs', `${m.baselineBundle.bytes.toLocaleString('en-US')} B`],
        ['NodejsFunction-defaults baseline index.js (SDK not included)', `${m.defaultsBundle.bytes.toLocaleString('en-US')} B`],
        ['peak RSS, broker process, cold (p50)', `${report.memory.coldRssMb.toFixed(1)} MB`],
        ['peak RSS, broker process after all warm requests', `${report.memory.peakRssMb.toFixed(1)} MB`],
        ['  RSS / heap used after a full GC', `${report.memory.rssAfterGcMb.toFixed(1)} MB / ${report.memory.heapAfterGcMb.toFixed(1)} MB`],
        ['peak RSS, baseline process after all warm requests', `${(m.warm.baseline.maxRssKb / 1024).toFixed(1)} MB`],
        ...(m.warm.capped === undefined
          ? []
          : [
              [`peak RSS, broker with ${m.warm.capped.flags}`, `${(m.warm.capped.stats.maxRssKb / 1024).toFixed(1)} MB`],
              [
                '  its CPU per request (uncapped run in brackets)',
                `${ms(m.warm.capped.cpuMsPerRequest)} ms (${ms(report.work.cpuMsPerRequest.broker ?? Number.NaN)} ms)`,
              ],
            ]),
      ],
    ),
    '',
    `BUNDLE COMPOSITION (esbuild metafile; rebuild ${c.identicalToShipped ? 'byte-identical to' : 'DIFFERS FROM'} the shipped index.mjs)`,
    table(
      ['family', 'bytes', 'share'],
      c.families.map((family) => [family.name, family.bytes.toLocaleString('en-US'), `${(family.share * 100).toFixed(1)} %`]),
    ),
    table(
      ['largest packages', 'bytes', 'share'],
      c.packages.slice(0, 12).map((pkg) => [pkg.name, pkg.bytes.toLocaleString('en-US'), `${(pkg.share * 100).toFixed(1)} %`]),
    ),
    `SDK default credential chain only (unused in Lambda): ${c.credentialChain.bytes.toLocaleString('en-US')} B in ${c.credentialChain.packages.length} packages`,
    '',
    `MEMORY SIZE MODEL (CPU-bound time / vCPU share, waits unchanged; local CPU, not Graviton)`,
    table(
      ['memory', 'vCPU', 'est. cold start ms', 'warm CPU/request ms', 'of it broker overhead ms', `headroom over ${report.memory.sizingRssMb.toFixed(0)} MB peak RSS`],
      report.memory.estimates.map((e) => [
        `${e.memoryMb} MB`,
        e.vcpu.toFixed(2),
        ms(e.coldStartMs),
        ms(e.warmCpuMs),
        ms(e.warmOverheadMs),
        e.headroomMb.toFixed(0),
      ]),
    ),
    ...(report.whatIf.length === 0
      ? []
      : [
          '',
          "WHAT IT WOULD TAKE (what-if builds of the broker, never shipped, measured in this run beside it: bench/bundle.ts WHAT_IF)",
          table(
            ['', 'bundle B', 'cold p50 ms', '/ same-options', '/ defaults', 'CPU/call ms', '/ direct'],
            report.whatIf.map((row) => [
              row.label,
              row.bytes === undefined ? '' : row.bytes.toLocaleString('en-US'),
              row.coldP50Ms === undefined ? '' : ms(row.coldP50Ms),
              row.coldToSameOptions === undefined ? '' : `${row.coldToSameOptions.toFixed(3)}x`,
              row.coldToDefaults === undefined ? '' : `${row.coldToDefaults.toFixed(3)}x`,
              row.cpuMs === undefined ? '' : row.cpuMs.toFixed(3),
              row.cpuRatio === undefined ? '' : `${row.cpuRatio.toFixed(3)}x`,
            ]),
          ),
        ]),
    '',
    'TARGETS',
    table(
      ['', 'target', 'measured', 'result'],
      report.targets.map((t) => [t.name, t.target, t.actual, t.met ? 'met' : `MISSED ${t.miss ?? ''}`.trim()]),
    ),
    ...report.targets
      .filter((t) => t.metBy !== undefined)
      .map((t) => `  ${t.name}: ${t.metBy!.length === 0 ? 'no what-if build meets it' : `met by: ${t.metBy!.join('; ')}`}`),
  );
  return out.join('\n');
}
