// The benchmark's report as text (stdout of `npm run bench`): the cold starts, the instruction counts,
// every route family warm, work per request, size and memory, and the TARGETS table, in which each
// ratio is the median of paired ratios with its interquartile range, the wall-clock figure beside.

import { ARM, type ColdSummary } from './cold.js';
import type { Report } from './report.js';
import { ratio, round, type Spread, type Summary } from './stats.js';
import { times, type Target } from './targets.js';
import { cpuPerCall, WARM_ARM } from './warm.js';

const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(value < 10 ? 2 : 1) : 'n/a');
const x = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(2)}x` : 'n/a');
const kb = (bytes: number): string => `${(bytes / 1000).toFixed(1)} KB`;
const bytes = (value: number): string => `${value.toLocaleString('en-US')} B`;
const millions = (value: number): string => `${(value / 1e6).toFixed(1)} M`;

/** "1.031x" and its interquartile range "1.012-1.058 (n 30)". */
export const iqr = (s: Spread | undefined): string =>
  s === undefined || s.n === 0 ? '' : `${s.p25.toFixed(3)}-${s.p75.toFixed(3)} (n ${s.n})`;
const medianWithIqr = (s: Spread | undefined): string => (s === undefined || s.n === 0 ? 'n/a' : `${times(s.median)} [${iqr(s)}]`);

export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

/** The TARGETS table: each target, its limit, the judged median, the IQR of its pairs, the wall-clock figure, the result. */
export function targetsTable(targets: readonly Target[]): string {
  return table(
    ['', 'target', 'measured', 'IQR of the pairs', 'wall clock (paired)', 'result'],
    targets.map((t) => [
      t.name,
      t.target,
      t.actual,
      iqr(t.spread),
      t.wall === undefined ? '' : medianWithIqr(t.wall),
      t.result === 'met' ? 'met' : t.result === 'missed' ? `MISSED ${t.miss ?? ''}`.trim() : `not measured: ${t.why ?? ''}`,
    ]),
  );
}

function coldSection(report: Report): string[] {
  const m = report.measurements;
  const { broker: b, baseline: base, defaults: def } = report.cold;
  const withSm = m.cold.find((arm) => arm.name === ARM.brokerWithSourceMaps)?.summary;
  const row = (label: string, key: keyof ColdSummary, showRatio = false): string[] => [
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
  const p = report.cold.paired;
  return [
    `COLD START (ms from process start; ${b.total.n} rounds, one fresh process per arm each round, the order rotating)`,
    `  baseline = the naive handler bundled with the broker's options (substitutes included); defaults = the same handler as NodejsFunction`,
    `  bundles it by default for ${m.fn.runtime} (CommonJS, SDK external, loaded from node_modules as from the runtime; ${bytes(m.defaultsBundle.bytes)} of its own)`,
    `  ratio = of the two medians (unpaired, information)`,
    table(
      ['', `${m.subject === 'shipped' ? 'broker' : m.subject} p50`, 'p90', 'baseline p50', 'p90', 'ratio', 'defaults p50', 'p90', 'ratio', ...(withSm === undefined ? [] : ['broker + --enable-source-maps p50'])],
      [
        row('node bootstrap', 'bootstrap'),
        row('module load', 'moduleLoad', true),
        row('secret fetch (GetSecretValue)', 'secretFetch'),
        row('  secret answered at', 'secretDoneAt'),
        row('  still awaited after load', 'secretWait'),
        row('loaded -> CreateToken sent', 'beforeUpstream', true),
        row('first upstream call (CreateToken)', 'firstUpstreamCall', true),
        row('CreateToken answered -> response', 'afterUpstream', true),
        row('first request (loaded -> response)', 'firstRequest', true),
        row('TOTAL cold start', 'total', true),
        row('CPU time at module loaded', 'cpuInit', true),
        row('CPU time of the first request', 'firstRequestCpu', true),
        row('CPU time at response', 'cpuTotal', true),
        row('peak RSS at response (MB)', 'maxRssMb', true),
      ],
    ),
    'paired ratios, broker / same-options baseline round by round: median [interquartile range]',
    table(
      ['', 'CPU time', 'wall clock'],
      [
        ['cold start', medianWithIqr(p.cpu), medianWithIqr(p.wall)],
        ['first request after init', medianWithIqr(p.firstRequestCpu), medianWithIqr(p.firstRequestWall)],
        ['cold start / NodejsFunction-defaults baseline', medianWithIqr(p.defaultsCpu), medianWithIqr(p.defaultsWall)],
      ],
    ),
    ...(report.cold.sourceMapsMs === undefined
      ? []
      : [`--enable-source-maps would add ${ms(report.cold.sourceMapsMs)} ms (CPU ${ms(report.cold.sourceMapsCpuMs ?? Number.NaN)} ms) at the median`]),
    '',
    'skipped' in m.instructions
      ? `INSTRUCTIONS PER COLD START: not counted (${m.instructions.skipped})`
      : `INSTRUCTIONS PER COLD START (callgrind, ${m.instructions.valgrind}; process start to exit, all threads, less V8's random hash-seed set-up; ${p.instructions?.n ?? 0} rounds` +
        `${m.instructions.retries > 0 ? `; ${m.instructions.retries} run(s) that outran the secret read's timeout run again` : ''})`,
    ...(report.cold.instructions === undefined
      ? []
      : [
          table(
            ['', 'broker', 'baseline', 'paired ratio [IQR]'],
            [['median', millions(report.cold.instructions.broker), millions(report.cold.instructions.baseline), medianWithIqr(p.instructions)]],
          ),
        ]),
  ];
}

function warmSection(report: Report): string[] {
  const m = report.measurements;
  const w = m.warm;
  const latencyRow = (label: string, arm: string): string[] => {
    const s: Summary | undefined = w.latency[arm];
    return s === undefined ? [label] : [label, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max), ms(cpuPerCall(w, arm))];
  };
  // One direct arm per distinct direct call, labelled by what the families call it.
  const directArms = new Map(w.families.map((family, i) => [family.directArm, report.families[i]?.direct ?? family.directArm]));
  return [
    `WARM REQUESTS (ms per call, timed in-process; ${w.rounds} interleaved rounds after ${m.options.warmWarmupRounds} untimed; CPU per call: ` +
      `median of ${w.cpuBatches[w.families[0]!.arm]?.length ?? 0} batches of ${w.callsPerBatch}, each beside a batch of its direct call)`,
    table(
      ['', 'p50', 'p90', 'p99', 'max', 'CPU/call'],
      [
        ...[...directArms].map(([arm, label]) => latencyRow(`direct: ${label}`, arm)),
        latencyRow('baseline handler, POST /token event', WARM_ARM.baseline),
        ...w.families.map((family) => latencyRow(`broker, ${family.name}`, family.arm)),
        ...(w.latency[WARM_ARM.quiet] === undefined ? [] : [latencyRow('what-if: broker, logs + metrics off', WARM_ARM.quiet)]),
      ],
    ),
    'route families, broker / direct call: CPU per call paired with the direct batch beside it, wall clock round by round: median [interquartile range]',
    table(
      ['route family', 'compared with', 'CPU/call ms', 'direct ms', 'CPU ratio', 'wall-clock ratio'],
      report.families.map((f) => [f.name, f.direct, ms(f.cpuMs), ms(f.directCpuMs), medianWithIqr(f.cpu), medianWithIqr(f.wall)]),
    ),
  ];
}

export function formatReport(report: Report): string {
  const m = report.measurements;
  const c = m.composition;
  const out: string[] = [
    `token broker benchmark: ${m.startedAt}, ${m.seconds.toFixed(0)} s, Node ${m.machine.node}, ${m.machine.cpu} x${m.machine.cores}, ` +
      `load average ${m.load.start.join(' ')} at the start, ${m.load.end.join(' ')} at the end`,
    `function as synthesized: ${m.fn.runtime} ${m.fn.architecture}, ${m.fn.memorySize} MB, NODE_OPTIONS=${m.fn.nodeOptions ?? '(none)'}` +
      (m.subject === 'shipped' ? '' : `; MEASURED IN THE BROKER'S PLACE: the ${m.subject} what-if build`),
    '',
    ...coldSection(report),
    '',
    ...warmSection(report),
  ];
  if (m.profile !== undefined) {
    out.push(
      '',
      `WHERE THE BROKER'S CPU GOES (V8 profiles of ${m.profile.coldRuns} cold starts and ${m.profile.warmRequests} warm requests; the profiler inflates absolute times: read the shares)`,
      table(['cold start', 'ms per start', 'share'], m.profile.cold.map((row) => [row.name, ms(row.value), `${(row.share * 100).toFixed(1)} %`])),
      table(['warm request', 'us per request', 'share'], m.profile.warm.map((row) => [row.name, row.value.toFixed(0), `${(row.share * 100).toFixed(1)} %`])),
      `profiles (open in Chrome DevTools): ${m.profile.directory}`,
    );
  }
  out.push(
    '',
    `WORK PER 1,000 WARM REQUESTS (${m.options.workRequests} requests per route family, emulator-side counts)`,
    table(
      ['route family', 'GetSecretValue calls', 'new connections'],
      report.families.map((f) => [f.name, String(round(f.per1000.getSecretValue)), String(round(f.per1000.newConnections))]),
    ),
    '',
    'SIZE AND MEMORY',
    table(
      ['', 'value'],
      [
        ['bundle index.mjs (minified)', `${bytes(m.bundle.bytes)} (${kb(m.bundle.bytes)})`],
        ['  gzip -9 (information)', bytes(m.bundle.gzipBytes)],
        ['  index.mjs.map (kept beside it, not read at start-up)', bytes(m.bundle.sourceMapBytes)],
        ['baseline index.mjs', bytes(m.baselineBundle.bytes)],
        ['NodejsFunction-defaults baseline index.js (SDK not included)', bytes(m.defaultsBundle.bytes)],
        ['peak RSS, broker process, cold (median)', `${report.memory.coldRssMb.toFixed(1)} MB`],
        ['peak RSS, broker process after all warm requests', `${report.memory.peakRssMb.toFixed(1)} MB`],
        ['  RSS / heap used after a full GC', `${report.memory.rssAfterGcMb.toFixed(1)} MB / ${report.memory.heapAfterGcMb.toFixed(1)} MB`],
        ['peak RSS, baseline process after all warm requests', `${(m.warm.baseline.maxRssKb / 1024).toFixed(1)} MB`],
        ...(m.warm.capped === undefined
          ? []
          : [
              [`peak RSS, broker with ${m.warm.capped.flags}`, `${(m.warm.capped.stats.maxRssKb / 1024).toFixed(1)} MB`],
              ['  its CPU per request', `${ms(cpuPerCall(m.warm, WARM_ARM.capped))} ms`],
            ]),
      ],
    ),
    '',
    `BUNDLE COMPOSITION (esbuild metafile; rebuild ${c.identicalToShipped ? 'byte-identical to' : 'DIFFERS FROM'} the shipped index.mjs)`,
    table(['family', 'bytes', 'share'], c.families.map((f) => [f.name, f.bytes.toLocaleString('en-US'), `${(f.share * 100).toFixed(1)} %`])),
    table(['largest packages', 'bytes', 'share'], c.packages.slice(0, 12).map((p) => [p.name, p.bytes.toLocaleString('en-US'), `${(p.share * 100).toFixed(1)} %`])),
    `SDK default credential chain only (unused in Lambda): ${c.credentialChain.bytes.toLocaleString('en-US')} B in ${c.credentialChain.packages.length} packages`,
    '',
    'MEMORY SIZE MODEL (CPU-bound time / vCPU share, waits unchanged; local CPU, not Graviton)',
    table(
      ['memory', 'vCPU', 'est. cold start ms', 'warm CPU/request ms', 'of it broker overhead ms', `headroom over ${report.memory.sizingRssMb.toFixed(0)} MB peak RSS`],
      report.memory.estimates.map((e) => [`${e.memoryMb} MB`, e.vcpu.toFixed(2), ms(e.coldStartMs), ms(e.warmCpuMs), ms(e.warmOverheadMs), e.headroomMb.toFixed(0)]),
    ),
  );
  if (report.whatIf.length > 0) {
    out.push(
      '',
      'WHAT-IF BUILDS (never shipped; measured beside the broker in this run: bench/bundle.ts WHAT_IF), paired ratios [IQR]',
      table(
        ['', 'bundle B', 'cold CPU / baseline', 'CPU per call / direct'],
        report.whatIf.map((row) => [row.label, row.bytes === undefined ? '' : row.bytes.toLocaleString('en-US'), medianWithIqr(row.coldCpu), medianWithIqr(row.warmCpu)]),
      ),
    );
  }
  out.push('', 'TARGETS (ratios: the median of paired ratios, judged against the target; IQR: their interquartile range)', targetsTable(report.targets));
  return out.join('\n');
}
