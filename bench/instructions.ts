// Instruction counts of cold starts, under valgrind's callgrind: every instruction the process executes
// from its start to its exit, all threads together, less one part that is dice, not code: V8 derives
// its string-hashing secret from a random seed at every start (HashSeed::InitializeRoots, a search for
// primes), which took 5 to 26 M instructions a process here, whatever the process then ran (measured:
// two baseline cold starts 309.7 and 330.3 M on the main thread, 303.5 and 304.3 M without it). Less
// that, the count hardly moves with what else the machine is doing (a few tenths of a percent from
// V8's background threads), so a paired ratio of counts is the steadiest cold-start figure the bench
// has. Taking the same amount from both arms raises the broker's ratio slightly; it never flatters it.
// Callgrind runs a cold start 30 to 100 times slower; the count is all it is run for. Optional:
// without valgrind (scripts/ensure-valgrind.sh installs Debian's) the bench reports the counts as not
// measured.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ColdArm } from './cold.js';
import { ENV } from '../lambda/core/config.js';
import { runCold } from './processes.js';

/** The valgrind version, or undefined when there is none on PATH. */
export function valgrindVersion(): string | undefined {
  const result = spawnSync('valgrind', ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** The total of the `Ir` event in a callgrind output file (its `totals:` line, else `summary:`). */
export function callgrindTotal(text: string): number {
  const match = /^totals:\s+(\d+)/m.exec(text) ?? /^summary:\s+(\d+)/m.exec(text);
  if (match === null) throw new Error('the callgrind output has no totals or summary line');
  return Number(match[1]);
}

/**
 * What a cold start under callgrind needs besides the arm's own variables: every part is 30 to 100
 * times slower, so the secret read's own timeout (2 s by default) would end it; the longest the
 * configuration allows that still fits the request's deadline (4 reads and 2 upstream calls within
 * 24 s: core/config.ts) are set instead. Both arms alike; the work counted is the same.
 */
export const SLOW_RUN_ENV: Readonly<Record<string, string>> = {
  [ENV.secretTimeoutMs]: '5000',
  [ENV.upstreamTimeoutMs]: '2000',
};

/** The function whose calls `callgrindCount` leaves out: V8's random hash-seed set-up. */
export const HASH_SEED_SETUP = 'v8::internal::HashSeed::InitializeRoots';

/**
 * The instructions spent inside calls to functions whose name starts with `name` (inclusive: what
 * they called too), read from callgrind's output format: each `calls=` line is followed by the cost
 * line of that call, which carries its inclusive count last; `cfn=` names the callee, by a number
 * once its name has been given (name compression, shared with `fn=`). Recursive calls (a caller of
 * the same name) are not counted twice.
 */
export function callgrindInclusive(text: string, name: string): number {
  const names = new Map<string, string>();
  const nameOf = (spec: string): string => {
    const match = /^\((\d+)\)(?: (.*))?$/.exec(spec);
    if (match === null) return spec;
    if (match[2] !== undefined) names.set(match[1]!, match[2]);
    return names.get(match[1]!) ?? '';
  };
  let caller = '';
  let callee = '';
  let costLineFollows = false;
  let total = 0;
  for (const line of text.split('\n')) {
    if (costLineFollows) {
      costLineFollows = false;
      if (callee.startsWith(name) && !caller.startsWith(name)) total += Number(line.trim().split(/\s+/).at(-1));
    } else if (line.startsWith('fn=')) caller = nameOf(line.slice(3));
    else if (line.startsWith('cfn=')) callee = nameOf(line.slice(4));
    else if (line.startsWith('calls=')) costLineFollows = true;
  }
  return total;
}

/** A cold start's count: callgrind's total less V8's hash-seed set-up (see the top of this file). */
export function callgrindCount(text: string): { readonly count: number; readonly hashSeed: number } {
  const hashSeed = callgrindInclusive(text, HASH_SEED_SETUP);
  return { count: callgrindTotal(text) - hashSeed, hashSeed };
}

export interface InstructionOptions {
  /** Rounds; each round counts every arm once, the order rotating. */
  readonly rounds: number;
  readonly inputFile: string;
  /** Where callgrind's output files go (removed afterwards). */
  readonly directory: string;
  readonly onProgress?: (done: number, total: number) => void;
}

/** A cold start under callgrind that fails (its secret read outran even those timeouts on a loaded machine) is run again, this many times at most. */
const ATTEMPTS = 3;

export interface InstructionCounts {
  /** Instructions per cold start of each arm, by round (`counts[arm][i]` was counted in round i), less V8's hash-seed set-up. */
  readonly counts: Record<string, number[]>;
  /** What was left out of each count, by arm and round: V8's hash-seed set-up. */
  readonly hashSeed: Record<string, number[]>;
  /** Runs that failed and were run again (the failed run counts nothing). */
  readonly retries: number;
}

export async function coldInstructions(arms: readonly ColdArm[], options: InstructionOptions): Promise<InstructionCounts> {
  mkdirSync(options.directory, { recursive: true });
  const counts: Record<string, number[]> = Object.fromEntries(arms.map((arm) => [arm.name, []]));
  const hashSeed: Record<string, number[]> = Object.fromEntries(arms.map((arm) => [arm.name, []]));
  let file = 0;
  let retries = 0;
  const count = async (arm: ColdArm): Promise<ReturnType<typeof callgrindCount>> => {
    for (let attempt = 1; ; attempt += 1) {
      file += 1;
      const out = join(options.directory, `callgrind.${file}.out`);
      try {
        await runCold(arm.bundle, options.inputFile, { ...arm.env, ...SLOW_RUN_ENV }, {
          wrap: ['valgrind', '--tool=callgrind', '--quiet', `--callgrind-out-file=${out}`],
          timeoutMs: 600_000,
        });
        return callgrindCount(readFileSync(out, 'utf8'));
      } catch (error) {
        if (attempt >= ATTEMPTS) throw error;
        retries += 1;
      }
    }
  };
  try {
    for (let round = 0; round < options.rounds; round += 1) {
      const order = arms.map((_, i) => arms[(i + round) % arms.length]!);
      for (const arm of order) {
        const counted = await count(arm);
        counts[arm.name]!.push(counted.count);
        hashSeed[arm.name]!.push(counted.hashSeed);
      }
      options.onProgress?.(round + 1, options.rounds);
    }
  } finally {
    rmSync(options.directory, { recursive: true, force: true });
  }
  return { counts, hashSeed, retries };
}
