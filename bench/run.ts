// `npm run bench`: the benchmark (docs/performance.md). Prints the table to stdout, progress to stderr, and
// writes everything (summaries and raw samples) to artifacts/bench.json.
//
//   npm run bench                       the full run (about a minute on two cores)
//   npm run bench -- --quick            a short run, to try the machinery (figures not meaningful)
//   npm run bench -- --cold 20 --rounds 1000 --out artifacts/other.json

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_OPTIONS, runBench, type BenchOptions } from './bench.js';
import { formatReport } from './report.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    cold: { type: 'string' },
    rounds: { type: 'string' },
    work: { type: 'string' },
    'no-what-if': { type: 'boolean', default: false },
    'no-profile': { type: 'boolean', default: false },
    out: { type: 'string', default: 'artifacts/bench.json' },
  },
});

const count = (value: string | undefined, fallback: number): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`not a positive whole number: ${value}`);
  return n;
};

const base: BenchOptions = values.quick
  ? { ...DEFAULT_OPTIONS, coldRuns: 3, coldWarmupRuns: 1, warmRounds: 100, warmWarmupRounds: 20, workRequests: 100 }
  : DEFAULT_OPTIONS;
const options: BenchOptions = {
  ...base,
  coldRuns: count(values.cold, base.coldRuns),
  warmRounds: count(values.rounds, base.warmRounds),
  workRequests: count(values.work, base.workRequests),
  sourceMapArm: base.sourceMapArm && !values['no-what-if'],
  quietArm: base.quietArm && !values['no-what-if'],
  ...(values['no-what-if'] ? { cappedHeapFlags: undefined } : {}),
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
