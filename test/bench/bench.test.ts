// The benchmark's machinery (bench/): its pure functions, and a very short run that checks the
// report's shape and the counts the warm path must keep at zero. Counts, never times: wall-clock
// figures depend on the machine and are read from `npm run bench`, not asserted.

import { BUNDLING } from '../../infra/token-broker.js';
import { runBench } from '../../bench/bench.js';
import { compare, formatComparison } from '../../bench/compare.js';
import { esbuildOptionsOf, familyOf, packageOf } from '../../bench/bundle.js';
import { attribute, type CpuProfile } from '../../bench/profile.js';
import { atMost, memoryEstimates, TARGETS } from '../../bench/report.js';
import { median, percentile, perRequests, ratio, round, summarize } from '../../bench/stats.js';

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

  it('translates the construct\'s bundling options into esbuild\'s, and refuses options it does not know', () => {
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
    const totals = attribute([profile], '/index.mjs', undefined);
    expect(Object.fromEntries(totals)).toEqual({
      'stdout writes (log lines, EMF)': 10,
      'source maps (--enable-source-maps)': 40,
      'garbage collection': 5,
      'bundle top-level code (unmapped)': 7,
    });
  });
});

describe('targets', () => {
  it('are met at or under the limit, and say by how much they are missed', () => {
    const bytes = (v: number) => `${v} B`;
    expect(atMost('size', 275_000, 275_000, bytes, 'bytes')).toEqual({ name: 'size', target: '<= 275000 B', actual: '275000 B', met: true });
    expect(atMost('size', 280_500, 275_000, bytes, 'bytes')).toMatchObject({ met: false, miss: '+5,500 B (+2.0 %) over' });
    expect(atMost('cold', 0.8, 0.75, (v) => `${v}x`, 'ratio')).toMatchObject({ met: false, miss: '+0.050 (+6.7 %) over' });
    expect(atMost('overhead', 0.31, 0.25, (v) => `${v} ms`, 'amount')).toMatchObject({ met: false, miss: '+0.06 over' });
    expect(atMost('cpu', Number.NaN, 1.2, String, 'ratio')).toMatchObject({ met: false, actual: 'not measured' });
  });
});

describe('memory model', () => {
  it('stretches CPU time by the vCPU share and leaves waits alone', () => {
    const [small, full] = memoryEstimates({ wallMs: 200, cpuMs: 100 }, { cpuMs: 1, directCpuMs: 0.5 }, 80, [442.25, 1769]);
    expect(full).toEqual({ memoryMb: 1769, vcpu: 1, coldStartMs: 200, warmCpuMs: 1, warmOverheadMs: 0.5, headroomMb: 1689 });
    expect(small!.vcpu).toBe(0.25);
    expect(small!.coldStartMs).toBe(500);
    expect(small!.warmCpuMs).toBe(4);
    expect(small!.warmOverheadMs).toBe(2);
  });
});

describe('a short benchmark run', () => {
  it('measures every arm and keeps Secrets Manager calls and new connections off the warm path', async () => {
    const report = await runBench({
      coldRuns: 2,
      coldWarmupRuns: 0,
      warmRounds: 40,
      warmWarmupRounds: 10,
      workRequests: 100,
      sourceMapArm: false,
      quietArm: true,
      frontDoorArm: true,
      whatIfArms: true,
      // The machinery, not the figures: a few calls per arm, where `npm run bench` makes 1,500 (20
      // batches of 50 after 500 warm-up calls, for each of 8 arms), which on a busy machine alone took
      // minutes.
      cpuPerCall: { batches: 2, callsPerBatch: 5, warmupCalls: 10 },
    });
    const m = report.measurements;

    // The artifact measured is the one CDK ships, and the composition is of that artifact.
    expect(m.composition.identicalToShipped).toBe(true);
    expect(m.bundle.bytes).toBeGreaterThan(0);
    expect(m.composition.packages.reduce((sum, pkg) => sum + pkg.bytes, 0)).toBeLessThanOrEqual(m.bundle.bytes);
    expect(m.machine.node).toMatch(/^v24\./);

    // Every cold start made its calls and answered; the phases are in order.
    expect(m.cold.map((arm) => arm.name)).toEqual([
      'broker',
      'baseline',
      'baseline, NodejsFunction defaults',
      'what-if: withoutFrontDoor',
      'what-if: handBuiltTelemetry',
      'what-if: neither',
    ]);
    // The defaults baseline leaves the SDK out (loaded from node_modules): its own bundle is small.
    expect(m.defaultsBundle.bytes).toBeLessThan(10_000);
    expect(m.baselineBundle.bytes).toBeGreaterThan(100_000);
    for (const arm of m.cold) {
      expect(arm.runs).toBe(2);
      for (const sample of arm.samples) {
        expect(sample.total).toBeGreaterThan(sample.bootstrap);
        expect(sample.secretDoneAt).toBeGreaterThan(sample.secretStartAt);
        expect(sample.maxRssMb).toBeGreaterThan(0);
      }
    }

    // Warm: every arm measured; the work the warm path must not do, as counts.
    expect(m.warm.arms).toEqual(['broker', 'baseline', 'direct', 'quiet', 'frontDoor']);
    expect(report.warm.frontDoorOverheadMs?.p50).toEqual(expect.any(Number));
    for (const arm of m.warm.arms) expect(m.warm.samples[arm]).toHaveLength(40);
    expect(report.work.per1000).toEqual({ getSecretValue: 0, newOidcConnections: 0, newSecretsConnections: 0, createToken: 1000 });
    expect(m.warm.work.childNewConnections).toEqual({ secret: 0, oidc: 0 });
    expect(m.warm.timedRunCounters).toMatchObject({ getSecretValue: 0, secretsConnections: 0, oidcConnections: 0 });

    expect(report.targets.map((target) => target.name)).toEqual([
      'bundle size (minified index.mjs)',
      'cold start p50 / NodejsFunction-defaults baseline',
      'cold start p50 / same-options baseline',
      'warm overhead p50 over the direct SDK call',
      'CPU per call / direct SDK call',
      'peak RSS at the first answer (cold p50)',
      'Secrets Manager calls per 1,000 warm requests',
      'new upstream connections per 1,000 warm requests',
    ]);
    expect(report.targets.find((target) => target.name.startsWith('Secrets Manager'))?.met).toBe(true);
    expect(report.targets.find((target) => target.name.startsWith('new upstream'))?.met).toBe(true);
    expect(report.targets.find((target) => target.name.startsWith('bundle'))?.met).toBe(m.bundle.bytes <= TARGETS.bundleBytes);
    expect(report.memory.estimates.map((estimate) => estimate.memoryMb)).toEqual([128, 256, 512, 1024, 1769]);

    // What it would take: each what-if build answered its cold starts (above) and its warm CPU
    // batches with tokens, and leaves out what it says it does: smaller than the broker, the two
    // together smaller than either.
    const sizes = m.whatIfBundles;
    expect(sizes.withoutFrontDoor!.bytes).toBeLessThan(m.bundle.bytes);
    expect(sizes.handBuiltTelemetry!.bytes).toBeLessThan(m.bundle.bytes);
    expect(sizes.neither!.bytes).toBeLessThan(Math.min(sizes.withoutFrontDoor!.bytes, sizes.handBuiltTelemetry!.bytes));
    expect(report.whatIf.map((row) => row.name)).toEqual(['broker', 'withoutFrontDoor', 'handBuiltTelemetry', 'neither', 'quiet', 'baseline']);
    for (const row of report.whatIf) expect(row.cpuMs).toEqual(expect.any(Number));
    // A missed target names the what-if builds that would meet it (perhaps none); a met one does not.
    for (const target of report.targets) {
      const judged = ['bundle', 'cold start', 'CPU per call'].some((prefix) => target.name.startsWith(prefix));
      if (judged && !target.met) expect(target.metBy).toEqual(expect.any(Array));
      else expect(target.metBy).toBeUndefined();
    }
    const bundleTarget = report.targets.find((target) => target.name.startsWith('bundle'))!;
    if (!bundleTarget.met) {
      expect(bundleTarget.metBy).toEqual(
        report.whatIf.filter((row) => !['broker', 'baseline'].includes(row.name) && row.bytes !== undefined && row.bytes <= TARGETS.bundleBytes).map((row) => row.label),
      );
    }
  }, 240_000);
});

describe('comparing two revisions (npm run bench:compare)', () => {
  it('bundles lambda/ at a revision and in the working tree, and measures both beside the baseline', async () => {
    // The same revision on both sides, too: each side has its own copy of the tree.
    const same = await compare({ base: 'HEAD', head: 'HEAD', coldRuns: 1, cpuBatches: 1, callsPerBatch: 2 });
    expect(same.head.bytes).toBe(same.base.bytes);
    const result = await compare({ base: 'HEAD', coldRuns: 1, cpuBatches: 2, callsPerBatch: 5 });
    expect(result.base.name).toBe('HEAD');
    expect(result.head.name).toBe('working tree');
    for (const side of [result.base, result.head, result.baseline]) {
      expect(side.bytes).toBeGreaterThan(100_000);
      expect(side.cold.total).toBeGreaterThan(side.cold.moduleLoad);
      expect(side.cpuMs).toBeGreaterThan(0);
    }
    // The broker's code is in both sides, not in the baseline.
    expect(result.base.bytes).toBeGreaterThan(result.baseline.bytes);
    expect(formatComparison(result)).toMatch(/^head against base: bundle -?[\d,]+ B/m);
    // A revision that does not exist is refused, not measured as something else.
    await expect(compare({ base: 'no-such-revision-here', coldRuns: 1, cpuBatches: 1, callsPerBatch: 1 })).rejects.toThrow();
  }, 180_000);
});
