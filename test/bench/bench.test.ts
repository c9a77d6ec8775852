// The benchmark's machinery (bench/): its pure functions, and very short runs that check the report's
// shape, the counts the warm path must keep at zero, and that a deliberately slowed broker reads as
// missed on every ratio target. Counts and ratios far from their limits, never times: wall-clock
// figures depend on the machine and are read from `npm run bench`, not asserted.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLING } from '../../infra/token-broker.js';
import { runBench } from '../../bench/bench.js';
import { esbuildOptionsOf, familyOf, packageOf } from '../../bench/bundle.js';
import { callgrindCount, callgrindInclusive, callgrindTotal, HASH_SEED_SETUP, valgrindVersion } from '../../bench/instructions.js';
import { attribute, type CpuProfile } from '../../bench/profile.js';
import { memoryEstimates } from '../../bench/report.js';
import { median, pairedRatios, percentile, perRequests, ratio, round, spread, summarize } from '../../bench/stats.js';
import { formatReport, targetsTable } from '../../bench/table.js';
import { amountTarget, pairedTarget, TARGETS, type Target } from '../../bench/targets.js';

describe('statistics', () => {
  it('interpolates percentiles between closest ranks', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([10], 99)).toBe(10);
    expect(percentile([5, 1, 3], 0)).toBe(1);
    expect(percentile([5, 1, 3], 100)).toBe(5);
    expect(percentile([0, 100], 99)).toBeCloseTo(99);
    expect(median([3, 1, 2])).toBe(2);
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it('summarizes and compares', () => {
    expect(summarize([1, 2, 3, 4, 5])).toEqual({ n: 5, min: 1, p50: 3, p90: 4.6, p99: expect.closeTo(4.96), max: 5, mean: 3 });
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(1, 0)).toBeNaN();
    expect(perRequests(0, 1000)).toBe(0);
    expect(perRequests(3, 500)).toBe(6);
    expect(round(1.23456)).toBe(1.23);
    expect(round(123.456)).toBe(123.5);
    expect(round(12345.6)).toBe(12346);
  });

  it('pairs ratios round by round, so that drift common to both arms cancels', () => {
    // The machine slows down tenfold in the third round: both arms feel it, the ratio does not.
    const subject = [11, 12, 110, 11];
    const reference = [10, 10, 100, 10];
    expect(pairedRatios(subject, reference)).toEqual([1.1, 1.2, 1.1, 1.1]);
    expect(spread(pairedRatios(subject, reference))).toEqual({ n: 4, median: expect.closeTo(1.1), p25: expect.closeTo(1.1), p75: expect.closeTo(1.125) });
    // Unpaired, the same samples read otherwise: the medians' ratio is 11.5 / 10 = 1.15.
    expect(ratio(median(subject), median(reference))).toBeCloseTo(1.15);
    // A pair without a usable reference is left out; pairs need equal counts.
    expect(pairedRatios([1, 2], [0, 2])).toEqual([1]);
    expect(() => pairedRatios([1], [1, 2])).toThrow(RangeError);
    expect(spread([])).toMatchObject({ n: 0, median: Number.NaN });
  });
});

describe('bundle analysis', () => {
  it('names the package of a bundled input, nested node_modules included', () => {
    expect(packageOf('node_modules/@smithy/core/dist-es/index.js')).toBe('@smithy/core');
    expect(packageOf('node_modules/a/node_modules/@aws-sdk/core/dist-es/x.js')).toBe('@aws-sdk/core');
    expect(packageOf('node_modules/tslib/tslib.es6.mjs')).toBe('tslib');
    expect(packageOf('lambda/handler.ts')).toBe('lambda/ (broker code)');
    expect(familyOf('@smithy/core')).toMatch(/AWS SDK/);
    expect(familyOf('@aws-lambda-powertools/logger')).toMatch(/Powertools/);
  });

  it("translates the construct's bundling options into esbuild's, and refuses options it does not know", () => {
    expect(esbuildOptionsOf(BUNDLING)).toMatchObject({ bundle: true, platform: 'node', format: 'esm', target: 'node24', minify: true });
    expect(() => esbuildOptionsOf({ ...BUNDLING, keepNames: true })).toThrow(/keepNames/);
  });
});

describe('profile attribution', () => {
  it('charges each sample to its cause: source maps, undici, writes, or the package of the nearest bundle frame', () => {
    const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({
      id,
      callFrame: { functionName, url, lineNumber: 0, columnNumber: 0 },
      children,
    });
    const profile: CpuProfile = {
      nodes: [
        frame(1, '(root)', '', [2, 5, 7, 8]),
        frame(2, 'handler', 'file:///x/index.mjs', [3]),
        frame(3, 'log', 'file:///x/index.mjs', [4]),
        frame(4, 'writeUtf8String', ''),
        frame(5, 'maybeCacheSourceMap', 'node:internal/source_map/source_map_cache', [6]),
        frame(6, 'lineLengths', 'node:internal/source_map/source_map_cache'),
        frame(7, '(idle)', ''),
        frame(8, '(garbage collector)', ''),
      ],
      samples: [4, 6, 6, 7, 8, 3],
      timeDeltas: [10, 20, 20, 1000, 5, 7],
    };
    expect(Object.fromEntries(attribute([profile], '/index.mjs', undefined))).toEqual({
      'stdout writes (log lines, EMF)': 10,
      'source maps (--enable-source-maps)': 40,
      'garbage collection': 5,
      'bundle top-level code (unmapped)': 7,
    });
  });
});

describe('profile attribution through the source map', () => {
  it("charges broker code to the broker whatever the checkout's folder is called (this one may be bench/)", () => {
    const map = new SourceMap({ version: 3, file: 'index.mjs', sourceRoot: '', sources: ['../../../work/wt/bench/lambda/core/upstream.ts'], sourcesContent: [], names: [], mappings: 'AAAA' });
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: 0, columnNumber: 0 }, children: [2] },
        { id: 2, callFrame: { functionName: 'send', url: 'file:///x/index.mjs', lineNumber: 0, columnNumber: 0 }, children: [] },
      ],
      samples: [2],
      timeDeltas: [9],
    };
    expect(Object.fromEntries(attribute([profile], '/index.mjs', map))).toEqual({ 'lambda/ (broker code)': 9 });
  });
});

describe('instruction counts', () => {
  it("reads callgrind's total, and refuses an output without one", () => {
    expect(callgrindTotal('version: 1\ncreator: callgrind-3.19.0\nevents: Ir\nsummary: 1234\n\nfl=(1)\ntotals: 98765\n')).toBe(98765);
    expect(callgrindTotal('events: Ir\nsummary: 4321\n')).toBe(4321);
    expect(() => callgrindTotal('events: Ir\n')).toThrow(/no totals/);
  });

  // A callgrind output as the format writes it: names compressed to numbers after their first use,
  // each `calls=` line followed by the call's inclusive cost, last on the line.
  const OUTPUT = [
    'events: Ir',
    'fl=(1) ???',
    'fn=(1) main',
    '0 1000',
    'cfn=(2) v8::internal::HashSeed::InitializeRoots(v8::internal::Isolate*)',
    'calls=1 0',
    '0 700',
    'cfn=(3) v8::internal::Heap::SetUp()',
    'calls=1 0',
    '0 50',
    'fn=(4) other',
    'cfn=(2)',
    'calls=2 0',
    '0 300',
    'fn=(2)',
    '0 900',
    'cfn=(2)',
    'calls=1 0',
    '0 80',
    'totals: 5000',
    '',
  ].join('\n');

  it("leaves V8's hash-seed set-up out of a count: every call to it, inclusive, by its compressed name, a recursive call once", () => {
    expect(callgrindInclusive(OUTPUT, HASH_SEED_SETUP)).toBe(1000);
    expect(callgrindInclusive(OUTPUT, 'v8::internal::Heap::SetUp')).toBe(50);
    expect(callgrindInclusive(OUTPUT, 'nothing::called')).toBe(0);
    expect(callgrindCount(OUTPUT)).toEqual({ count: 4000, hashSeed: 1000 });
  });

  // The name is V8's, and could change with a Node release: then nothing would be left out, and
  // counts would carry the dice again. Counted on the project's own Node, as the bench runs it.
  it("finds V8's hash-seed set-up in a real callgrind run of this project's Node", () => {
    const dir = mkdtempSync(join(tmpdir(), 'callgrind-'));
    try {
      const out = join(dir, 'callgrind.out');
      const run = spawnSync('valgrind', ['--tool=callgrind', '--quiet', `--callgrind-out-file=${out}`, process.execPath, '-e', '0'], { encoding: 'utf8' });
      expect(run.status).toBe(0);
      const text = readFileSync(out, 'utf8');
      const { count, hashSeed } = callgrindCount(text);
      expect(hashSeed).toBeGreaterThan(100_000);
      expect(count + hashSeed).toBe(callgrindTotal(text));
      expect(hashSeed).toBeLessThan(count);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('targets', () => {
  const pairs = (...values: number[]) => spread(values);

  it('judge a ratio on the median of its pairs, and keep the interquartile range beside it', () => {
    const met = pairedTarget('cold', pairs(1.0, 1.02, 1.04, 1.09), 1.05, pairs(1.2, 1.3));
    expect(met).toMatchObject({ result: 'met', value: 1.03, actual: '1.030x', target: '<= 1.050x', spread: { n: 4, p75: expect.closeTo(1.0525) } });
    expect(met.wall).toMatchObject({ n: 2 });
    // Half the pairs over the limit is a miss, however good the best pair looks.
    expect(pairedTarget('cold', pairs(0.9, 1.06, 1.07), 1.05)).toMatchObject({ result: 'missed', miss: '+0.010 (+1.0 %) over' });
    // Nothing measured is not met.
    expect(pairedTarget('instructions', undefined, 1.08, undefined, 'valgrind is not installed')).toMatchObject({
      result: 'not measured',
      actual: 'not measured',
      why: 'valgrind is not installed',
    });
    expect(pairedTarget('warm', pairs(), 1.35).result).toBe('not measured');
  });

  it('judge amounts at or under their limit, and say by how much they are missed', () => {
    const show = (v: number) => `${v} B`;
    expect(amountTarget('size', 300_000, 300_000, show, 'bytes')).toMatchObject({ result: 'met', actual: '300000 B' });
    expect(amountTarget('size', 306_000, 300_000, show, 'bytes')).toMatchObject({ result: 'missed', miss: '+6,000 B (+2.0 %) over' });
    expect(amountTarget('secret calls', 0.5, 0, String, 'amount')).toMatchObject({ result: 'missed', miss: '+0.5 over' });
    expect(amountTarget('rss', Number.NaN, 72, String, 'amount').result).toBe('not measured');
  });

  it('print as a table: one row per target with its limit, median, IQR, wall clock and result', () => {
    const targets: Target[] = [
      pairedTarget('cold start CPU', pairs(1.01, 1.02, 1.03), 1.05, pairs(1.1, 1.2, 1.3)),
      pairedTarget('warm CPU', pairs(1.5, 1.6), 1.35),
      pairedTarget('instructions', undefined, 1.08, undefined, 'valgrind is not installed'),
    ];
    const lines = targetsTable(targets).split('\n');
    expect(lines[0]).toMatch(/^\s+target\s+measured\s+IQR of the pairs\s+wall clock \(paired\)\s+result$/);
    expect(lines[1]).toMatch(/^[- ]+$/);
    expect(lines[2]).toMatch(/^cold start CPU\s+<= 1\.050x\s+1\.020x\s+1\.015-1\.025 \(n 3\)\s+1\.200x \[1\.150-1\.250 \(n 3\)\]\s+met$/);
    expect(lines[3]).toMatch(/^warm CPU\s+<= 1\.350x\s+1\.550x\s+1\.525-1\.575 \(n 2\)\s+MISSED \+0\.200 \(\+14\.8 %\) over$/);
    expect(lines[4]).toMatch(/^instructions\s+<= 1\.080x\s+not measured\s+not measured: valgrind is not installed$/);
    expect(lines).toHaveLength(5);
  });
});

describe('memory model', () => {
  it('stretches CPU time by the vCPU share and leaves waits alone', () => {
    const [small, full] = memoryEstimates({ wallMs: 200, cpuMs: 100 }, { cpuMs: 1, directCpuMs: 0.5 }, 80, [442.25, 1769]);
    expect(full).toEqual({ memoryMb: 1769, vcpu: 1, coldStartMs: 200, warmCpuMs: 1, warmOverheadMs: 0.5, headroomMb: 1689 });
    expect(small).toMatchObject({ vcpu: 0.25, coldStartMs: 500, warmCpuMs: 4, warmOverheadMs: 2 });
  });
});

/** The TARGETS section of a printed report: its rows, by target name. */
function targetRows(text: string, targets: readonly Target[]): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.startsWith('TARGETS'));
  expect(start).toBeGreaterThan(0);
  const rows = lines.slice(start + 3);
  expect(rows).toHaveLength(targets.length);
  rows.forEach((row, i) => expect(row.startsWith(targets[i]!.name)).toBe(true));
  return rows;
}

const SHORT = {
  coldRuns: 3,
  coldWarmupRuns: 0,
  warmRounds: 30,
  warmWarmupRounds: 10,
  workRequests: 100,
  cpuBatches: 3,
  cpuProcessPairs: 2,
  callsPerBatch: 20,
  // The machinery, not the figures: a few untimed calls per paired process before the CPU batches,
  // where `npm run bench` makes 500 in each of a dozen processes, which on a busy machine alone took minutes.
  cpuWarmupCalls: 10,
} as const;

/** Every route family, each against its direct call: the token routes, the access portal, the API proxy. */
const FAMILIES = [
  ['POST /token', 'SDK CreateToken'],
  ['POST /oauth2/token', 'SDK CreateToken'],
  ['POST /bff/refresh', 'SDK CreateToken'],
  ['GET /portal/federation/credentials', 'SSOClient GetRoleCredentials'],
  ['GET /bff/api/orders/items', 'fetch of the same API'],
] as const;
const WARM_TARGETS = FAMILIES.map(([name, direct]) => `warm CPU per call, ${name} / ${direct}`);

const RATIO_TARGETS = [
  'cold start CPU / same-options baseline',
  'cold start instructions / same-options baseline',
  'first request after init CPU / same-options baseline',
  ...WARM_TARGETS,
];

describe('a short benchmark run', () => {
  it('measures every route family, prints the TARGETS table with paired ratios and IQRs, and keeps the warm path off Secrets Manager and new connections', async () => {
    const report = await runBench({ ...SHORT, instructionRounds: 1, cappedHeapFlags: '--max-semi-space-size=8 --max-old-space-size=230' });
    const m = report.measurements;

    // The artifact measured is the one CDK ships, and the composition is of that artifact.
    expect(m.subject).toBe('shipped');
    expect(m.composition.identicalToShipped).toBe(true);
    expect(m.machine.node).toMatch(/^v24\./);
    expect(m.cold.map((arm) => arm.name)).toEqual(['broker', 'baseline', 'baseline, NodejsFunction defaults']);
    for (const arm of m.cold) {
      expect(arm.runs).toBe(3);
      for (const sample of arm.samples) {
        expect(sample.total).toBeGreaterThan(sample.bootstrap);
        expect(sample.firstRequestCpu).toBeGreaterThan(0);
        expect(sample.secretDoneAt).toBeGreaterThan(sample.secretStartAt);
      }
    }

    // Every route family, warm, each against its direct call, the pairs one per batch.
    expect(m.families.map((family) => [family.name, family.direct])).toEqual(FAMILIES.map((family) => [...family]));
    for (const family of report.families) {
      expect(family.cpu.n).toBe(SHORT.cpuBatches * SHORT.cpuProcessPairs);
      expect(family.wall.n).toBe(SHORT.warmRounds);
      expect(family.cpuMs).toBeGreaterThan(0);
      // The counts the warm path must keep at zero, family by family.
      expect(family.per1000).toEqual({ getSecretValue: 0, newConnections: 0 });
      expect(m.warm.work[family.name]!.childNewConnections).toEqual({ secret: 0, oidc: 0, other: 0 });
    }
    // The token routes call CreateToken once a request; the portal and the API proxy never.
    expect(Object.values(m.warm.work).map((work) => work.counters.createToken)).toEqual([100, 100, 100, 0, 0]);
    expect(m.warm.timedRunCounters).toMatchObject({ getSecretValue: 0, secretsConnections: 0, oidcConnections: 0 });

    // The targets: every ratio from pairs (the cold ones one per round), in this order.
    expect(report.targets.map((target) => target.name)).toEqual([
      ...RATIO_TARGETS,
      'peak RSS at the first answer (cold median)',
      'Secrets Manager calls per 1,000 warm requests',
      'new upstream connections per 1,000 warm requests',
      'bundle (minified index.mjs, every surface)',
    ]);
    const byName = (name: string) => report.targets.find((target) => target.name === name)!;
    expect(byName('cold start CPU / same-options baseline').spread?.n).toBe(SHORT.coldRuns);
    expect(byName('cold start CPU / same-options baseline').wall?.n).toBe(SHORT.coldRuns);
    expect(byName('first request after init CPU / same-options baseline').spread?.n).toBe(SHORT.coldRuns);
    const instructions = byName('cold start instructions / same-options baseline');
    if (valgrindVersion() === undefined) expect(instructions).toMatchObject({ result: 'not measured', why: expect.stringMatching(/valgrind/) });
    else {
      expect(instructions.spread?.n).toBe(1);
      expect(report.cold.instructions!.broker).toBeGreaterThan(report.cold.instructions!.baseline);
    }
    expect(byName('Secrets Manager calls per 1,000 warm requests').result).toBe('met');
    expect(byName('new upstream connections per 1,000 warm requests').result).toBe('met');
    expect(byName('bundle (minified index.mjs, every surface)').result).toBe(m.bundle.bytes <= TARGETS.bundleBytes ? 'met' : 'missed');

    const text = formatReport(report);
    const rows = targetRows(text, report.targets);
    for (const [i, target] of report.targets.entries()) {
      if (target.spread !== undefined) expect(rows[i]).toMatch(/\d\.\d{3}x\s+\d\.\d{3}-\d\.\d{3} \(n \d+\)/);
      expect(rows[i]).toMatch(target.result === 'met' ? /met$/ : target.result === 'missed' ? /MISSED \+/ : /not measured: /);
    }
    for (const family of m.families) expect(text).toContain(`broker, ${family.name}`);
  }, 600_000);

  it('reads a deliberately slowed broker (busy loops in proportion to its own CPU) as missed on every ratio target', async () => {
    const report = await runBench({ ...SHORT, instructionRounds: 0, subject: 'slowed' });
    expect(report.measurements.subject).toBe('slowed');
    const results = Object.fromEntries(report.targets.map((target) => [target.name, target.result]));
    expect(results).toMatchObject({
      'cold start CPU / same-options baseline': 'missed',
      'cold start instructions / same-options baseline': 'not measured',
      'first request after init CPU / same-options baseline': 'missed',
      ...Object.fromEntries(WARM_TARGETS.map((name) => [name, 'missed'])),
    });
    // The slowed build still does the broker's work: the counts stay at zero.
    expect(results['Secrets Manager calls per 1,000 warm requests']).toBe('met');
    const rows = targetRows(formatReport(report), report.targets);
    expect(rows.filter((row) => /MISSED \+/.test(row)).length).toBeGreaterThanOrEqual(2 + WARM_TARGETS.length);
    expect(formatReport(report)).toMatch(/MEASURED IN THE BROKER'S PLACE: the slowed what-if build/);
  }, 600_000);
});
