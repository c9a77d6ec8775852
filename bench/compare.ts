// `npm run bench:compare -- <base> [<head>]`: the broker's code at two git revisions, side by side:
// cold starts interleaved and CPU per warm call in batches taking turns, as `npm run bench` measures
// them, with the naive baseline handler as a fixed point. <head> defaults to the working tree. Both
// sides are bundled with this checkout's esbuild options and node_modules (bench/bundle.ts), so what
// differs is the broker's code (lambda/), not its bundling or its dependencies' versions.
//
//   npm run bench:compare -- HEAD                   the uncommitted change against HEAD
//   npm run bench:compare -- main~3 main --cold 30  two commits
//
// It prints a table and asserts nothing; test/bench checks the machinery with a very short run.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { baselineBundle, SHIPPED_ESBUILD_OPTIONS, shippedBundle } from './bundle.js';
import { breakdown, type ColdBreakdown } from './cold.js';
import { lambdaEnvironment, runCold, startWarm, type CallKind, type WarmProcess } from './processes.js';
import { median, ratio } from './stats.js';
import { REGION, SECRET_NAME, refreshEvent, startUpstreams } from './upstream.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface CompareOptions {
  readonly base: string;
  /** A revision, or undefined for the working tree. */
  readonly head?: string;
  readonly coldRuns: number;
  readonly cpuBatches: number;
  readonly callsPerBatch: number;
  readonly log?: (line: string) => void;
}

export interface CompareSide {
  readonly name: string;
  readonly bytes: number;
  /** Cold start p50s (ms): total, module load, CPU at the answer. */
  readonly cold: { readonly total: number; readonly moduleLoad: number; readonly cpuTotal: number };
  /** CPU per warm call, ms: the median batch. */
  readonly cpuMs: number;
}

export interface Comparison {
  readonly base: CompareSide;
  readonly head: CompareSide;
  readonly baseline: CompareSide;
  readonly directCpuMs: number;
}

/** lambda/handler.ts of `revision` (undefined: the working tree) bundled into `outdir`; its size. */
async function bundleAt(revision: string | undefined, outdir: string): Promise<{ path: string; bytes: number }> {
  let tree = ROOT;
  if (revision !== undefined) {
    // Beside its bundle: two sides may name the same revision.
    tree = join(outdir, 'tree');
    mkdirSync(tree, { recursive: true });
    // The revision's files as committed (git archive: no worktree to clean up), this checkout's dependencies.
    const archive = execFileSync('git', ['-C', ROOT, 'archive', '--format=tar', revision, 'lambda'], { maxBuffer: 64 * 2 ** 20 });
    execFileSync('tar', ['-x', '-C', tree], { input: archive });
    symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'), 'dir');
  }
  mkdirSync(outdir, { recursive: true });
  const outfile = join(outdir, 'index.mjs');
  const result = await build({ ...SHIPPED_ESBUILD_OPTIONS, absWorkingDir: tree, entryPoints: [join(tree, 'lambda/handler.ts')], outfile, write: true, metafile: true });
  return { path: outfile, bytes: Object.values(result.metafile.outputs).find((output) => output.entryPoint !== undefined)!.bytes };
}

export async function compare(options: CompareOptions): Promise<Comparison> {
  const log = options.log ?? (() => undefined);
  const work = mkdtempSync(join(tmpdir(), 'token-broker-compare-'));
  const warm: WarmProcess[] = [];
  let shipped: ReturnType<typeof shippedBundle> | undefined;
  let upstreams: Awaited<ReturnType<typeof startUpstreams>> | undefined;
  try {
    log(`bundling lambda/ at ${options.base} and at ${options.head ?? 'the working tree'} …`);
    const sides = [
      { name: options.base, ...(await bundleAt(options.base, join(work, 'base'))) },
      { name: options.head ?? 'working tree', ...(await bundleAt(options.head, join(work, 'head'))) },
    ];
    // The function's settings (memory, runtime, the template's variables), as `npm run bench` takes them.
    shipped = shippedBundle();
    upstreams = await startUpstreams();
    const baseline = await baselineBundle(join(work, 'baseline'));
    const arms = [...sides, { name: 'baseline handler', path: baseline.path, bytes: baseline.bytes }];
    const inputFile = join(work, 'input.json');
    writeFileSync(
      inputFile,
      JSON.stringify({
        event: refreshEvent(upstreams.refreshToken),
        frontDoorEvent: {},
        direct: { clientId: upstreams.clientId, clientSecret: upstreams.clientSecret, grantType: 'refresh_token', refreshToken: upstreams.refreshToken },
      }),
    );
    mkdirSync(join(work, 'home'));
    const env = lambdaEnvironment(
      shipped,
      { secretId: SECRET_NAME, region: REGION, oidcUrl: upstreams.oidc.url, secretsUrl: upstreams.secrets.url },
      join(work, 'home'),
    );

    log(`cold starts: ${options.coldRuns} per side, interleaved …`);
    const cold = arms.map(() => [] as ColdBreakdown[]);
    for (let round = 0; round < options.coldRuns + 2; round += 1) {
      for (let i = 0; i < arms.length; i += 1) {
        const index = (i + round) % arms.length;
        const sample = breakdown(await runCold(arms[index]!.path, inputFile, env));
        if (round >= 2) cold[index]!.push(sample);
      }
    }

    log(`CPU per call: ${options.cpuBatches} batches of ${options.callsPerBatch} calls per side, taking turns …`);
    for (const arm of arms) warm.push(await startWarm(arm.path, inputFile, env));
    const targets: { process: WarmProcess; kind: CallKind }[] = [
      ...warm.map((process) => ({ process, kind: 'handler' as const })),
      { process: warm[warm.length - 1]!, kind: 'direct' },
    ];
    for (const { process, kind } of targets) await process.calls(500, kind);
    const cpu = targets.map(() => [] as number[]);
    for (let batch = 0; batch < options.cpuBatches; batch += 1) {
      for (let i = 0; i < targets.length; i += 1) {
        const index = (i + batch) % targets.length;
        const { process, kind } = targets[index]!;
        const run = await process.calls(options.callsPerBatch, kind);
        if (run.failures > 0) throw new Error(`${run.failures} calls failed:\n${process.output()}`);
        cpu[index]!.push(run.cpuMs / options.callsPerBatch);
      }
    }

    const side = (index: number): CompareSide => ({
      name: arms[index]!.name,
      bytes: arms[index]!.bytes,
      cold: {
        total: median(cold[index]!.map((s) => s.total)),
        moduleLoad: median(cold[index]!.map((s) => s.moduleLoad)),
        cpuTotal: median(cold[index]!.map((s) => s.cpuTotal)),
      },
      cpuMs: median(cpu[index]!),
    });
    return { base: side(0), head: side(1), baseline: side(2), directCpuMs: median(cpu[3]!) };
  } finally {
    for (const process of warm) await process.stop();
    await upstreams?.stop();
    shipped?.dispose();
    rmSync(work, { recursive: true, force: true });
  }
}

export function formatComparison(c: Comparison): string {
  const row = (s: CompareSide) => [
    s.name,
    s.bytes.toLocaleString('en-US'),
    s.cold.total.toFixed(1),
    `${ratio(s.cold.total, c.baseline.cold.total).toFixed(3)}x`,
    s.cold.moduleLoad.toFixed(1),
    s.cold.cpuTotal.toFixed(1),
    s.cpuMs.toFixed(3),
    `${ratio(s.cpuMs, c.directCpuMs).toFixed(3)}x`,
  ];
  const head = ['', 'bundle B', 'cold p50 ms', '/ baseline', 'module load', 'cold CPU ms', 'CPU/call ms', '/ direct'];
  const rows = [row(c.base), row(c.head), row(c.baseline), ['direct SDK CreateToken', '', '', '', '', '', c.directCpuMs.toFixed(3), '1.000x']];
  const widths = head.map((cell, i) => Math.max(cell.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [
    line(head),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(line),
    `head against base: bundle ${(c.head.bytes - c.base.bytes).toLocaleString('en-US')} B, cold p50 ${(c.head.cold.total - c.base.cold.total).toFixed(1)} ms ` +
      `(CPU ${(c.head.cold.cpuTotal - c.base.cold.cpuTotal).toFixed(1)} ms), CPU per call ${((c.head.cpuMs - c.base.cpuMs) * 1000).toFixed(0)} µs`,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { cold: { type: 'string', default: '20' }, batches: { type: 'string', default: '20' }, calls: { type: 'string', default: '100' } },
  });
  if (positionals.length < 1 || positionals.length > 2) {
    process.stderr.write('usage: npm run bench:compare -- <base revision> [<head revision>] [--cold N] [--batches N] [--calls N]\n');
    process.exit(2);
  }
  const count = (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`not a positive whole number: ${value}`);
    return n;
  };
  const result = await compare({
    base: positionals[0]!,
    ...(positionals[1] === undefined ? {} : { head: positionals[1] }),
    coldRuns: count(values.cold),
    cpuBatches: count(values.batches),
    callsPerBatch: count(values.calls),
    log: (line) => process.stderr.write(`[compare] ${line}\n`),
  });
  process.stdout.write(`${formatComparison(result)}\n`);
}
