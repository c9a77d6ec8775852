// Instruction counts of cold starts, under valgrind's callgrind: every instruction the process executes
// from its start to its exit, all threads together. Unlike times, the count hardly moves with what
// else the machine is doing (a few tenths of a percent from V8's background threads and hash seeds),
// so a paired ratio of counts is the steadiest cold-start figure the bench has. Callgrind runs a cold
// start 30 to 100 times slower; the count is all it is run for. Optional: without valgrind
// (scripts/ensure-valgrind.sh installs Debian's) the bench reports the counts as not measured.

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
  /** Instructions per cold start of each arm, by round: `counts[arm][i]` was counted in round i. */
  readonly counts: Record<string, number[]>;
  /** Runs that failed and were run again (the failed run counts nothing). */
  readonly retries: number;
}

export async function coldInstructions(arms: readonly ColdArm[], options: InstructionOptions): Promise<InstructionCounts> {
  mkdirSync(options.directory, { recursive: true });
  const counts: Record<string, number[]> = Object.fromEntries(arms.map((arm) => [arm.name, []]));
  let file = 0;
  let retries = 0;
  const count = async (arm: ColdArm): Promise<number> => {
    for (let attempt = 1; ; attempt += 1) {
      file += 1;
      const out = join(options.directory, `callgrind.${file}.out`);
      try {
        await runCold(arm.bundle, options.inputFile, { ...arm.env, ...SLOW_RUN_ENV }, {
          wrap: ['valgrind', '--tool=callgrind', '--quiet', `--callgrind-out-file=${out}`],
          timeoutMs: 600_000,
        });
        return callgrindTotal(readFileSync(out, 'utf8'));
      } catch (error) {
        if (attempt >= ATTEMPTS) throw error;
        retries += 1;
      }
    }
  };
  try {
    for (let round = 0; round < options.rounds; round += 1) {
      const order = arms.map((_, i) => arms[(i + round) % arms.length]!);
      for (const arm of order) counts[arm.name]!.push(await count(arm));
      options.onProgress?.(round + 1, options.rounds);
    }
  } finally {
    rmSync(options.directory, { recursive: true, force: true });
  }
  return { counts, retries };
}
