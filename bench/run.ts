// `npm run bench`: the benchmark (docs/performance.md). Prints the table to stdout, progress to stderr, and
// writes everything (summaries, paired ratios, raw samples, instruction counts) to artifacts/bench.json.
//
//   npm run bench                       the full run (a few minutes on two cores, most of it callgrind)
//   npm run bench -- --quick            a short run, to try the machinery (figures not meaningful)
//   npm run bench -- --instructions 0   no instruction counts (no valgrind needed)
//   npm run bench -- --what-if          also the what-if arms: source maps, logs off, the builds of bench/bundle.ts WHAT_IF
//   npm run bench -- --slowed           the deliberately slowed build in the broker's place (every ratio target misses)
//   npm run bench -- --cold 20 --rounds 1000 --work 500 --batches 4 --pairs 5 --calls 50 --out artifacts/other.json

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_OPTIONS, runBench, type BenchOptions } from './bench.js';
import { formatReport } from './table.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    cold: { type: 'string' },
    instructions: { type: 'string' },
    rounds: { type: 'string' },
    work: { type: 'string' },
    batches: { type: 'string' },
    pairs: { type: 'string' },
    calls: { type: 'string' },
    'what-if': { type: 'boolean', default: false },
    slowed: { type: 'boolean', default: false },
    'no-profile': { type: 'boolean', default: false },
    out: { type: 'string', default: 'artifacts/bench.json' },
  },
});

const count = (value: string | undefined, fallback: number, min = 1): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`not a whole number of at least ${min}: ${value}`);
  return n;
};

const base: BenchOptions = values.quick
  ? { ...DEFAULT_OPTIONS, coldRuns: 3, coldWarmupRuns: 1, instructionRounds: 1, warmRounds: 100, warmWarmupRounds: 20, workRequests: 100, cpuBatches: 2, cpuProcessPairs: 2, callsPerBatch: 50, cpuWarmupCalls: 100 }
  : DEFAULT_OPTIONS;
const options: BenchOptions = {
  ...base,
  coldRuns: count(values.cold, base.coldRuns),
  instructionRounds: count(values.instructions, base.instructionRounds, 0),
  warmRounds: count(values.rounds, base.warmRounds),
  workRequests: count(values.work, base.workRequests),
  cpuBatches: count(values.batches, base.cpuBatches),
  cpuProcessPairs: count(values.pairs, base.cpuProcessPairs),
  callsPerBatch: count(values.calls, base.callsPerBatch),
  sourceMapArm: values['what-if'],
  quietArm: values['what-if'],
  whatIfArms: values['what-if'],
  subject: values.slowed ? 'slowed' : 'shipped',
  ...(values['no-profile'] ? {} : { profileDirectory: resolve(ROOT, dirname(values.out), 'bench-profiles') }),
  log: (line) => process.stderr.write(`[bench] ${line}\n`),
};

if (!process.version.startsWith('v24.')) {
  process.stderr.write(`[bench] warning: running on Node ${process.version}; the function runs on Node 24 (use npm run bench)\n`);
}

const report = await runBench(options);
const out = resolve(ROOT, values.out);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(report, (_key, value: unknown) => (typeof value === 'number' ? Math.round(value * 1000) / 1000 : value), 2)}\n`);
process.stdout.write(`${formatReport(report)}\n\nwritten to ${values.out}\n`);
