// The benchmark as one function: build the artifacts, start the emulators, run the cold starts (and
// count their instructions under valgrind when it is there) and the warm requests of every route
// family side by side, and return the report (bench/report.ts judges it, bench/table.ts prints it).
// bench/run.ts is the command line around it; test/bench runs very short ones.

import { createHash } from 'node:crypto';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  baselineBundle,
  composition,
  defaultsBaselineBundle,
  directBundle,
  SDK_NODE_PATH,
  shippedBundle,
  slowedBundle,
  WHAT_IFS,
  whatIfBundle,
  type Artifact,
  type Composition,
  type WhatIf,
} from './bundle.js';
import { ARM, coldStarts, whatIfArm, type ColdArmResult } from './cold.js';
import { childInput, familyName, prepareFamilies, ROUTE_FAMILIES, type RouteFamily } from './families.js';
import { coldInstructions, SLOW_RUN_ENV, valgrindVersion } from './instructions.js';
import { lambdaEnvironment } from './processes.js';
import { profileBroker, type ProfileSummary } from './profile.js';
import { buildReport, type Report } from './report.js';
import { REGION, SECRET_NAME, startUpstreams, type Upstreams } from './upstream.js';
import { warmRequests, type WarmResult } from './warm.js';

export interface BenchOptions {
  /** Cold starts per arm (paired: one per arm each round). */
  readonly coldRuns: number;
  readonly coldWarmupRuns: number;
  /** Rounds of cold starts counted under callgrind (broker and same-options baseline); 0 for none. */
  readonly instructionRounds: number;
  readonly warmRounds: number;
  readonly warmWarmupRounds: number;
  /** Requests per route family counted for work per request. */
  readonly workRequests: number;
  /** Paired CPU batches per process pair, pairs of processes per warm arm, and calls per batch. */
  readonly cpuBatches: number;
  readonly cpuProcessPairs: number;
  readonly callsPerBatch: number;
  /** The route families measured warm; the first is also the cold start's request. */
  readonly families?: readonly RouteFamily[];
  /** What stands in the broker's place: the shipped artifact, or the deliberately slowed what-if (test/bench). */
  readonly subject?: 'shipped' | 'slowed';
  /** Also cold-start the broker with NODE_OPTIONS=--enable-source-maps (what the template once set). */
  readonly sourceMapArm?: boolean;
  /** Also time warm requests of the broker with its log and metric output off. */
  readonly quietArm?: boolean;
  /** Also build, cold-start and measure the CPU per call of the what-if builds (bench/bundle.ts WHAT_IF). */
  readonly whatIfArms?: boolean;
  /**
   * CPU per call (bench/warm.ts): the untimed calls every paired process makes before its batches.
   * Default: CPU_WARMUP_CALLS (or warmWarmupRounds when more); a test of the machinery asks for a few.
   */
  readonly cpuWarmupCalls?: number;
  /** V8 heap flags for a broker process standing for a small function (see DEFAULT_OPTIONS); none when undefined. */
  readonly cappedHeapFlags?: string;
  /** Where to write CPU profiles of the broker (cold starts and warm requests); none when undefined. */
  readonly profileDirectory?: string;
  readonly log?: (line: string) => void;
}

export const DEFAULT_OPTIONS: BenchOptions = {
  // 60 rounds: the cold-start CPU ratio's IQR spans 0.03 to 0.12 on this machine, and a median of 30
  // pairs still moved by about 0.01 between runs, as far as the target's margin; a round costs a second.
  coldRuns: 60,
  coldWarmupRuns: 2,
  instructionRounds: 5,
  warmRounds: 2000,
  warmWarmupRounds: 300,
  workRequests: 1000,
  // 20 paired ratios per arm: 10 pairs of processes, 2 batches each (bench/warm.ts says why several).
  // Pairs rather than batches: a process's CPU per call settles where its JIT lands (a direct fetch at
  // about 250 µs a call in one process, 550 to 700 in the next), and with 5 pairs of 4 batches one
  // pair's luck moved a family's median by more than its distance to the target.
  cpuBatches: 2,
  cpuProcessPairs: 10,
  callsPerBatch: 100,
  // About what Lambda's Node.js runtime gives a 256 MB function: it caps V8's new space near a tenth
  // of the memory (three semi-spaces) and old space below the memory size.
  cappedHeapFlags: '--max-semi-space-size=8 --max-old-space-size=230',
};

type Bundle = Omit<Artifact, 'path'>;

/** What a run measured, before it is judged against the targets. */
export interface Measurements {
  readonly options: BenchOptions;
  readonly subject: 'shipped' | 'slowed';
  readonly startedAt: string;
  readonly seconds: number;
  /** The machine's load average (1, 5, 15 minutes) when the run started and ended. */
  readonly load: { readonly start: readonly number[]; readonly end: readonly number[] };
  readonly machine: { node: string; platform: string; arch: string; cpu: string; cores: number; memoryMb: number };
  readonly fn: { memorySize: number; runtime: string; architecture: string; nodeOptions: string | undefined };
  /** The artifact measured in the broker's place (the shipped one unless `subject` says otherwise). */
  readonly bundle: Bundle;
  readonly baselineBundle: Bundle;
  /** The baseline as NodejsFunction bundles it by default for nodejs24.x (the SDK not included). */
  readonly defaultsBundle: Bundle;
  readonly whatIfBundles: Partial<Record<WhatIf, Bundle>>;
  readonly composition: Composition;
  /** The route families measured, by name, with their direct call's label; the first is the cold start's. */
  readonly families: readonly { readonly name: string; readonly direct: string }[];
  readonly cold: readonly ColdArmResult[];
  /** Instructions per cold start by arm and round; undefined when not counted, with why. */
  readonly instructions:
    | {
        readonly counts: Readonly<Record<string, readonly number[]>>;
        /** What each count leaves out: V8's random hash-seed set-up (bench/instructions.ts). */
        readonly hashSeed: Readonly<Record<string, readonly number[]>>;
        readonly retries: number;
        readonly valgrind: string;
      }
    | { readonly skipped: string };
  readonly warm: WarmResult;
  readonly profile?: ProfileSummary;
}

const PROFILE_COLD_RUNS = 5;
const PROFILE_WARM_REQUESTS = 2000;

const strip = ({ bytes, gzipBytes, sourceMapBytes }: Artifact): Bundle => ({ bytes, gzipBytes, sourceMapBytes });
const loadAverage = (): number[] => loadavg().map((value) => Math.round(value * 100) / 100);

export async function runBench(options: BenchOptions = DEFAULT_OPTIONS): Promise<Report> {
  const log = options.log ?? (() => undefined);
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const loadAtStart = loadAverage();
  const families = options.families ?? ROUTE_FAMILIES;
  if (families.length === 0) throw new Error('no route family to measure');
  log('synthesizing the stack with bundling (the artifact CDK ships) …');
  const shipped = shippedBundle();
  const work = mkdtempSync(join(tmpdir(), 'token-broker-bench-'));
  let upstreams: Upstreams | undefined;
  let stopFamilies: (() => Promise<void>) | undefined;
  try {
    upstreams = await startUpstreams();
    log('bundling the baseline and the direct calls with the same esbuild options, weighing the bundle …');
    const subject = options.subject === 'slowed' ? await slowedBundle(join(work, 'slowed')) : shipped;
    const baseline = await baselineBundle(join(work, 'baseline'));
    const direct = await directBundle(join(work, 'direct'));
    log("bundling the baseline with NodejsFunction's defaults (CommonJS, SDK external) …");
    const defaults = defaultsBaselineBundle(join(work, 'defaults'));
    const weights = await composition(shipped, join(work, 'metafile'));
    const whatIfs: Partial<Record<WhatIf, Artifact>> = {};
    if (options.whatIfArms) {
      log(`building the what-if variants of the broker (${WHAT_IFS.join(', ')}) …`);
      for (const whatIf of WHAT_IFS) whatIfs[whatIf] = await whatIfBundle(whatIf, join(work, 'what-if', whatIf));
    }

    const ready = await prepareFamilies(families, upstreams);
    stopFamilies = ready.stop;
    const [coldFamily] = ready.prepared.values();
    const inputFile = join(work, 'input.json');
    writeFileSync(inputFile, JSON.stringify(childInput(coldFamily!, ready.prepared)));
    const home = join(work, 'home');
    mkdirSync(home);
    // The shipped template's environment, with the longest secret and upstream timeouts the
    // configuration allows (as under callgrind): on a machine whose two CPUs are saturated, the secret
    // read a cold start begins at init can outrun its 2 s default while the bundle loads beside it, and
    // the run would end there. Only the point at which a read gives up moves: the work measured is the
    // same, every arm gets the same variables, and the baselines do not read them.
    const env = {
      ...lambdaEnvironment(
        shipped,
        { secretId: SECRET_NAME, region: REGION, oidcUrl: upstreams.oidc.url, secretsUrl: upstreams.secrets.url },
        home,
      ),
      ...SLOW_RUN_ENV,
    };
    const brokerArm = { name: ARM.broker, bundle: subject.path, env };
    const baselineArm = { name: ARM.baseline, bundle: baseline.path, env };
    const arms = [
      brokerArm,
      baselineArm,
      // Lambda's NODE_PATH leads to the runtime's SDK; here, to this project's node_modules.
      { name: ARM.defaults, bundle: defaults.path, env: { ...env, NODE_PATH: SDK_NODE_PATH } },
      ...(options.sourceMapArm
        ? [{ name: ARM.brokerWithSourceMaps, bundle: subject.path, env: { ...env, NODE_OPTIONS: [env.NODE_OPTIONS, '--enable-source-maps'].filter(Boolean).join(' ') } }]
        : []),
      ...(Object.entries(whatIfs) as [WhatIf, Artifact][]).map(([whatIf, artifact]) => ({ name: whatIfArm(whatIf), bundle: artifact.path, env })),
    ];
    log(`cold starts: ${options.coldRuns} rounds of ${arms.map((arm) => arm.name).join(' / ')}, interleaved …`);
    const cold = await coldStarts(arms, {
      runs: options.coldRuns,
      warmupRuns: options.coldWarmupRuns,
      inputFile,
      onProgress: (done, total) => {
        if (done % 10 === 0 || done === total) log(`  round ${done}/${total}`);
      },
    });

    const valgrind = options.instructionRounds > 0 ? valgrindVersion() : undefined;
    let instructions: Measurements['instructions'];
    if (options.instructionRounds === 0) instructions = { skipped: 'not asked for' };
    else if (valgrind === undefined) instructions = { skipped: 'valgrind is not installed (scripts/ensure-valgrind.sh)' };
    else {
      log(`instruction counts: ${options.instructionRounds} rounds of broker / baseline under callgrind (${valgrind}) …`);
      const { counts, hashSeed, retries } = await coldInstructions([brokerArm, baselineArm], {
        rounds: options.instructionRounds,
        inputFile,
        directory: join(work, 'callgrind'),
        onProgress: (done, total) => log(`  round ${done}/${total}`),
      });
      instructions = { counts, hashSeed, retries, valgrind };
    }

    log(`warm requests: ${families.length} route families (${[...ready.prepared.keys()].join(', ')}) …`);
    const warm = await warmRequests(
      {
        brokerBundle: subject.path,
        baselineBundle: baseline.path,
        directBundle: direct.path,
        inputFile,
        env,
        families: [...ready.prepared].map(([name, { prepared }]) => ({
          name,
          env: prepared.env,
          // An id, not the input itself: the input carries the registration's secret.
          directKey: `${prepared.direct.call}-${createHash('sha256').update(JSON.stringify(prepared.direct)).digest('hex').slice(0, 8)}`,
          ...(prepared.connections === undefined ? {} : { connections: prepared.connections }),
        })),
        baselineFamily: familyName(coldFamily!.family),
        counters: upstreams.counters,
        warmupRounds: options.warmWarmupRounds,
        rounds: options.warmRounds,
        workRequests: options.workRequests,
        cpuBatches: options.cpuBatches,
        cpuProcessPairs: options.cpuProcessPairs,
        callsPerBatch: options.callsPerBatch,
        ...(options.quietArm ? { quietArm: true } : {}),
        ...(options.cappedHeapFlags === undefined ? {} : { cappedHeapFlags: options.cappedHeapFlags }),
        ...(options.cpuWarmupCalls === undefined ? {} : { cpuWarmupCalls: options.cpuWarmupCalls }),
        whatIfBundles: Object.fromEntries((Object.entries(whatIfs) as [WhatIf, Artifact][]).map(([whatIf, artifact]) => [whatIf, artifact.path])),
      },
      (phase) => log(`  ${phase}`),
    );

    let profile: ProfileSummary | undefined;
    if (options.profileDirectory !== undefined) {
      log(`CPU profiles of the broker (${PROFILE_COLD_RUNS} cold starts, ${PROFILE_WARM_REQUESTS} warm requests) …`);
      profile = await profileBroker({
        bundle: subject.path,
        inputFile,
        env,
        directory: options.profileDirectory,
        coldRuns: PROFILE_COLD_RUNS,
        warmRequests: PROFILE_WARM_REQUESTS,
        family: familyName(coldFamily!.family),
      });
    }

    const measurements: Measurements = {
      options: { ...options, log: undefined, families: undefined },
      subject: options.subject ?? 'shipped',
      startedAt,
      seconds: (performance.now() - started) / 1000,
      load: { start: loadAtStart, end: loadAverage() },
      machine: {
        node: process.version,
        platform: process.platform,
        arch: process.arch,
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: cpus().length,
        memoryMb: Math.round(totalmem() / 2 ** 20),
      },
      fn: {
        memorySize: shipped.memorySize,
        runtime: shipped.runtime,
        architecture: shipped.architecture,
        nodeOptions: shipped.environment.NODE_OPTIONS,
      },
      bundle: strip(subject),
      baselineBundle: strip(baseline),
      defaultsBundle: strip(defaults),
      whatIfBundles: Object.fromEntries((Object.entries(whatIfs) as [WhatIf, Artifact][]).map(([whatIf, artifact]) => [whatIf, strip(artifact)])),
      composition: weights,
      families: [...ready.prepared].map(([name, { family }]) => ({ name, direct: family.direct })),
      cold,
      instructions,
      warm,
      ...(profile === undefined ? {} : { profile }),
    };
    return buildReport(measurements);
  } finally {
    await stopFamilies?.();
    await upstreams?.stop();
    shipped.dispose();
    rmSync(work, { recursive: true, force: true });
  }
}
