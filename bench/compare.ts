// `npm run bench:compare -- <base> [<head>]`: the broker at two git revisions, side by side, as
// `npm run bench` measures it: cold starts interleaved round by round, instruction counts under
// callgrind (when valgrind is there), and CPU per warm call of every route family in batches taking
// turns, each figure read as the median of head/base ratios paired round by round or batch by batch.
// <head> defaults to the working tree. Each side is lambda/ bundled with the bundling options of its
// own revision (infra/bundling.ts, the substitutes included), against this checkout's node_modules:
// a change to the code or to the substitutes is measured, not a change of dependencies.
//
//   npm run bench:compare -- HEAD                                the uncommitted change against HEAD
//   npm run bench:compare -- main~3 main --cold 30 --instructions 5
//
// It prints a table and asserts nothing; test/bench checks the machinery with a very short run.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build, type BuildOptions } from 'esbuild';
import { baselineBundle, directBundle, SHIPPED_ESBUILD_OPTIONS, shippedBundle } from './bundle.js';
import { breakdown, type ColdBreakdown } from './cold.js';
import { childInput, prepareFamilies, ROUTE_FAMILIES } from './families.js';
import { coldInstructions, valgrindVersion } from './instructions.js';
import { lambdaEnvironment, runCold, startWarm, type CallTarget, type WarmProcess } from './processes.js';
import { median, pairedRatios, spread, type Spread } from './stats.js';
import { iqr, table } from './table.js';
import { REGION, SECRET_NAME, startUpstreams } from './upstream.js';
import { failed } from './warm.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface CompareOptions {
  readonly base: string;
  /** A revision, or undefined for the working tree. */
  readonly head?: string;
  readonly coldRuns: number;
  /** Rounds of base/head cold starts under callgrind; 0 for none. */
  readonly instructionRounds: number;
  readonly cpuBatches: number;
  readonly callsPerBatch: number;
  readonly log?: (line: string) => void;
}

export interface CompareSide {
  readonly name: string;
  readonly bytes: number;
  /** Cold start medians: wall and CPU (ms) of the whole start and of the first request. */
  readonly cold: { readonly total: number; readonly cpuTotal: number; readonly firstRequestCpu: number };
  readonly instructions?: number;
}

export interface Comparison {
  readonly base: CompareSide;
  readonly head: CompareSide;
  /** Head over base, paired. */
  readonly paired: {
    readonly coldCpu: Spread;
    readonly coldWall: Spread;
    readonly firstRequestCpu: Spread;
    readonly instructions?: Spread;
  };
  /** Per route family: CPU per call of each side (median batch, ms), head over base and each over the direct call, paired. */
  readonly families: readonly {
    readonly name: string;
    readonly baseMs: number;
    readonly headMs: number;
    readonly headOverBase: Spread;
    readonly baseOverDirect: Spread;
    readonly headOverDirect: Spread;
  }[];
  readonly instructionsSkipped?: string;
}

/**
 * The esbuild options of the BUNDLING a checked-out revision's infra/ declares (its substitutes and
 * their build-time check included), read in a process of its own on tsx so that the revision's
 * TypeScript is loaded as that revision wrote it, apart from this process's modules.
 */
function bundlingOptionsAt(tree: string, revision: string): BuildOptions {
  const module = ['infra/bundling.ts', 'infra/token-broker.ts'].map((file) => join(tree, file)).find((file) => existsSync(file));
  if (module === undefined) throw new Error(`no infra/bundling.ts at ${revision}`);
  const script = [
    `const { BUNDLING } = await import(${JSON.stringify(pathToFileURL(module).href)});`,
    `const { esbuildOptionsOf } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'bench/bundle.ts')).href)});`,
    'process.stdout.write(JSON.stringify(esbuildOptionsOf(BUNDLING)));',
  ].join('\n');
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 * 2 ** 20 });
  return JSON.parse(out) as BuildOptions;
}

/** lambda/ and infra/ of `revision` (undefined: this checkout), lambda/handler.ts bundled with that revision's BUNDLING into `outdir`. */
async function bundleAt(revision: string | undefined, outdir: string): Promise<{ path: string; bytes: number }> {
  let tree = ROOT;
  if (revision !== undefined) {
    // Beside its bundle: two sides may name the same revision.
    tree = join(outdir, 'tree');
    mkdirSync(tree, { recursive: true });
    // The revision's files as committed (git archive: no worktree to clean up), this checkout's dependencies.
    const archive = execFileSync('git', ['-C', ROOT, 'archive', '--format=tar', revision, 'lambda', 'infra'], { maxBuffer: 64 * 2 ** 20 });
    execFileSync('tar', ['-x', '-C', tree], { input: archive });
    symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'), 'dir');
    // As in the project: its TypeScript is ESM.
    writeFileSync(join(tree, 'package.json'), '{ "type": "module" }\n');
  }
  mkdirSync(outdir, { recursive: true });
  const outfile = join(outdir, 'index.mjs');
  const options = { ...(revision === undefined ? SHIPPED_ESBUILD_OPTIONS : bundlingOptionsAt(tree, revision)), absWorkingDir: tree };
  const result = await build({ ...options, entryPoints: [join(tree, 'lambda/handler.ts')], outfile, write: true, metafile: true });
  return { path: outfile, bytes: Object.values(result.metafile.outputs).find((output) => output.entryPoint !== undefined)!.bytes };
}

export async function compare(options: CompareOptions): Promise<Comparison> {
  const log = options.log ?? (() => undefined);
  const work = mkdtempSync(join(tmpdir(), 'token-broker-compare-'));
  const warm: WarmProcess[] = [];
  let shipped: ReturnType<typeof shippedBundle> | undefined;
  let upstreams: Awaited<ReturnType<typeof startUpstreams>> | undefined;
  let stopFamilies: (() => Promise<void>) | undefined;
  try {
    log(`bundling lambda/ at ${options.base} and at ${options.head ?? 'the working tree'}, each with its own bundling options …`);
    const sides = [
      { name: options.base, ...(await bundleAt(options.base, join(work, 'base'))) },
      { name: options.head ?? 'working tree', ...(await bundleAt(options.head, join(work, 'head'))) },
    ];
    // The function's settings (memory, runtime, the template's variables), as `npm run bench` takes them.
    shipped = shippedBundle();
    upstreams = await startUpstreams();
    const baseline = await baselineBundle(join(work, 'baseline'));
    const direct = await directBundle(join(work, 'direct'));
    const ready = await prepareFamilies(ROUTE_FAMILIES, upstreams);
    stopFamilies = ready.stop;
    const inputFile = join(work, 'input.json');
    writeFileSync(inputFile, JSON.stringify(childInput([...ready.prepared.values()][0]!, ready.prepared)));
    mkdirSync(join(work, 'home'));
    const env = lambdaEnvironment(
      shipped,
      { secretId: SECRET_NAME, region: REGION, oidcUrl: upstreams.oidc.url, secretsUrl: upstreams.secrets.url },
      join(work, 'home'),
    );

    log(`cold starts: ${options.coldRuns} rounds of base / head / baseline handler, interleaved …`);
    const coldArms = [...sides, { name: 'baseline handler', path: baseline.path }];
    const cold = coldArms.map(() => [] as ColdBreakdown[]);
    for (let round = 0; round < options.coldRuns + 2; round += 1) {
      for (let i = 0; i < coldArms.length; i += 1) {
        const index = (i + round) % coldArms.length;
        const sample = breakdown(await runCold(coldArms[index]!.path, inputFile, env));
        if (round >= 2) cold[index]!.push(sample);
      }
    }

    const valgrind = options.instructionRounds > 0 ? valgrindVersion() : undefined;
    let counts: Record<string, number[]> | undefined;
    if (valgrind !== undefined) {
      log(`instruction counts: ${options.instructionRounds} rounds of base / head under callgrind …`);
      ({ counts } = await coldInstructions(
        sides.map((side, i) => ({ name: String(i), bundle: side.path, env })),
        { rounds: options.instructionRounds, inputFile, directory: join(work, 'callgrind') },
      ));
    }

    log(`CPU per call: ${options.cpuBatches} rounds of base / head / direct batches of ${options.callsPerBatch} calls per route family …`);
    const directProcess = await startWarm(direct.path, inputFile, env, 'direct');
    warm.push(directProcess);
    // Per family, its base, head and direct arms, whose batches run side by side (the order rotating).
    const triples: { name: string; arms: { process: WarmProcess; target: CallTarget }[] }[] = [];
    for (const [name] of ready.prepared) {
      const arms: { process: WarmProcess; target: CallTarget }[] = [];
      for (const side of sides) {
        const process = await startWarm(side.path, inputFile, { ...env, ...ready.prepared.get(name)!.prepared.env });
        warm.push(process);
        arms.push({ process, target: 'handler' });
      }
      arms.push({ process: directProcess, target: 'direct' });
      for (const arm of arms) await arm.process.calls(500, arm.target, name);
      triples.push({ name, arms });
    }
    // cpu[family][0 base | 1 head | 2 direct][round]
    const cpu: Record<string, number[][]> = Object.fromEntries(triples.map((t) => [t.name, [[], [], []]]));
    for (let round = 0; round < options.cpuBatches; round += 1) {
      for (let f = 0; f < triples.length; f += 1) {
        const { name, arms } = triples[(f + round) % triples.length]!;
        for (let i = 0; i < arms.length; i += 1) {
          const index = (i + round) % arms.length;
          const { process, target } = arms[index]!;
          const run = await process.calls(options.callsPerBatch, target, name);
          if (run.failures > 0) throw failed(run, `${name} calls`, process);
          cpu[name]![index]!.push(run.cpuMs / options.callsPerBatch);
        }
      }
    }

    const side = (index: number): CompareSide => ({
      name: sides[index]!.name,
      bytes: sides[index]!.bytes,
      cold: {
        total: median(cold[index]!.map((s) => s.total)),
        cpuTotal: median(cold[index]!.map((s) => s.cpuTotal)),
        firstRequestCpu: median(cold[index]!.map((s) => s.firstRequestCpu)),
      },
      ...(counts === undefined ? {} : { instructions: median(counts[String(index)]!) }),
    });
    const pairedCold = (key: keyof ColdBreakdown) => spread(pairedRatios(cold[1]!.map((s) => s[key]), cold[0]!.map((s) => s[key])));
    return {
      base: side(0),
      head: side(1),
      paired: {
        coldCpu: pairedCold('cpuTotal'),
        coldWall: pairedCold('total'),
        firstRequestCpu: pairedCold('firstRequestCpu'),
        ...(counts === undefined ? {} : { instructions: spread(pairedRatios(counts['1']!, counts['0']!)) }),
      },
      families: triples.map(({ name }) => {
        const [b, h, d] = cpu[name]! as [number[], number[], number[]];
        return {
          name,
          baseMs: median(b),
          headMs: median(h),
          headOverBase: spread(pairedRatios(h, b)),
          baseOverDirect: spread(pairedRatios(b, d)),
          headOverDirect: spread(pairedRatios(h, d)),
        };
      }),
      ...(options.instructionRounds > 0 && valgrind === undefined ? { instructionsSkipped: 'valgrind is not installed' } : {}),
    };
  } finally {
    for (const process of warm) await process.stop();
    await stopFamilies?.();
    await upstreams?.stop();
    shipped?.dispose();
    rmSync(work, { recursive: true, force: true });
  }
}

const x = (s: Spread | undefined): string => (s === undefined || s.n === 0 ? 'n/a' : `${s.median.toFixed(3)}x [${iqr(s)}]`);

export function formatComparison(c: Comparison): string {
  const millions = (value: number | undefined) => (value === undefined ? 'n/a' : `${(value / 1e6).toFixed(1)} M`);
  return [
    table(
      ['', 'bundle B', 'cold ms', 'cold CPU ms', 'first request CPU ms', 'instructions'],
      [c.base, c.head].map((s) => [
        s.name,
        s.bytes.toLocaleString('en-US'),
        s.cold.total.toFixed(1),
        s.cold.cpuTotal.toFixed(1),
        s.cold.firstRequestCpu.toFixed(1),
        millions(s.instructions),
      ]),
    ),
    'head / base, paired: median [interquartile range]',
    table(
      ['', 'head / base'],
      [
        ['cold start CPU', x(c.paired.coldCpu)],
        ['cold start wall clock', x(c.paired.coldWall)],
        ['first request CPU', x(c.paired.firstRequestCpu)],
        ['cold start instructions', c.paired.instructions === undefined ? `not counted${c.instructionsSkipped ? ` (${c.instructionsSkipped})` : ''}` : x(c.paired.instructions)],
      ],
    ),
    table(
      ['CPU per warm call', 'base ms', 'head ms', 'head / base', 'base / direct', 'head / direct'],
      c.families.map((f) => [f.name, f.baseMs.toFixed(3), f.headMs.toFixed(3), x(f.headOverBase), x(f.baseOverDirect), x(f.headOverDirect)]),
    ),
    `head against base: bundle ${(c.head.bytes - c.base.bytes).toLocaleString('en-US')} B`,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      cold: { type: 'string', default: '20' },
      instructions: { type: 'string', default: '3' },
      batches: { type: 'string', default: '20' },
      calls: { type: 'string', default: '100' },
    },
  });
  if (positionals.length < 1 || positionals.length > 2) {
    process.stderr.write('usage: npm run bench:compare -- <base revision> [<head revision>] [--cold N] [--instructions N] [--batches N] [--calls N]\n');
    process.exit(2);
  }
  const count = (value: string, min = 1) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new Error(`not a whole number of at least ${min}: ${value}`);
    return n;
  };
  const result = await compare({
    base: positionals[0]!,
    ...(positionals[1] === undefined ? {} : { head: positionals[1] }),
    coldRuns: count(values.cold),
    instructionRounds: count(values.instructions, 0),
    cpuBatches: count(values.batches),
    callsPerBatch: count(values.calls),
    log: (line) => process.stderr.write(`[compare] ${line}\n`),
  });
  process.stdout.write(`${formatComparison(result)}\n`);
}
