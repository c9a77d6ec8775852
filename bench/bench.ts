// The benchmark as one function: build the artifacts, start the emulators, run the cold starts and
// the warm requests side by side, and return the report (bench/report.ts turns it into the table).
// bench/run.ts is the command line around it; test/bench runs a very short one.

import { cpus, tmpdir, totalmem } from 'node:os';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  baselineBundle,
  composition,
  defaultsBaselineBundle,
  SDK_NODE_PATH,
  shippedBundle,
  WHAT_IFS,
  whatIfBundle,
  type Artifact,
  type Composition,
  type WhatIf,
} from './bundle.js';
import { ARM, coldStarts, whatIfArm, type ColdArmResult } from './cold.js';
import { lambdaEnvironment } from './processes.js';
import { profileBroker, type ProfileSummary } from './profile.js';
import { buildReport, type Report } from './report.js';
import { DEFAULTS, ENV } from '../lambda/core/config.js';
import { sealFor } from '../lambda/core/sealed.js';
import { FRONT_DOOR_ISSUER, REGION, SECRET_NAME, frontDoorRefreshEvent, refreshEvent, startUpstreams, type Upstreams } from './upstream.js';
import { warmRequests, type WarmResult } from './warm.js';

export interface BenchOptions {
  /** Cold starts per arm. */
  readonly coldRuns: number;
  readonly coldWarmupRuns: number;
  readonly warmRounds: number;
  readonly warmWarmupRounds: number;
  readonly workRequests: number;
  /** Also cold-start the broker with NODE_OPTIONS=--enable-source-maps (what the template once set). */
  readonly sourceMapArm: boolean;
  /** Also time warm requests of the broker with its log and metric output off. */
  readonly quietArm: boolean;
  /** Also time the front door's POST /oauth2/token (a refresh), beside POST /token. */
  readonly frontDoorArm?: boolean;
  /**
   * Also build, cold-start and measure the CPU per call of the broker's what-if builds
   * (bench/bundle.ts WHAT_IF): what the front door's code and Powertools cost, for the targets' report.
   */
  readonly whatIfArms?: boolean;
  /**
   * CPU per call (bench/warm.ts): how many batches per arm, how many calls a batch, and how many
   * warm-up calls per arm first. Defaults: 20 batches of at least 50 calls, after 500 warm-up calls.
   */
  readonly cpuPerCall?: { readonly batches: number; readonly callsPerBatch: number; readonly warmupCalls: number };
  /** V8 heap flags for a broker process standing for a small function (see DEFAULT_OPTIONS); none when undefined. */
  readonly cappedHeapFlags?: string;
  /** Where to write CPU profiles of the broker (cold starts and warm requests); none when undefined. */
  readonly profileDirectory?: string;
  readonly log?: (line: string) => void;
}

export const DEFAULT_OPTIONS: BenchOptions = {
  coldRuns: 30,
  coldWarmupRuns: 2,
  warmRounds: 2000,
  warmWarmupRounds: 300,
  workRequests: 2000,
  sourceMapArm: true,
  quietArm: true,
  frontDoorArm: true,
  whatIfArms: true,
  // About what Lambda's Node.js runtime gives a 256 MB function: it caps V8's new space near a tenth
  // of the memory (three semi-spaces) and old space below the memory size.
  cappedHeapFlags: '--max-semi-space-size=8 --max-old-space-size=230',
};

/** What a run measured, before it is judged against the targets. */
export interface Measurements {
  readonly options: BenchOptions;
  readonly startedAt: string;
  readonly seconds: number;
  readonly machine: { node: string; platform: string; arch: string; cpu: string; cores: number; memoryMb: number };
  readonly fn: { memorySize: number; runtime: string; architecture: string; nodeOptions: string | undefined };
  readonly bundle: Omit<Artifact, 'path'>;
  readonly baselineBundle: Omit<Artifact, 'path'>;
  /** The baseline as NodejsFunction bundles it by default for nodejs24.x (the SDK not included). */
  readonly defaultsBundle: Omit<Artifact, 'path'>;
  /** The what-if builds measured, when they were. */
  readonly whatIfBundles: Partial<Record<WhatIf, Omit<Artifact, 'path'>>>;
  readonly composition: Composition;
  readonly cold: readonly ColdArmResult[];
  readonly warm: WarmResult;
  readonly profile?: ProfileSummary;
}

const PROFILE_COLD_RUNS = 5;
const PROFILE_WARM_REQUESTS = 2000;

export async function runBench(options: BenchOptions = DEFAULT_OPTIONS): Promise<Report> {
  const log = options.log ?? (() => undefined);
  const started = performance.now();
  const startedAt = new Date().toISOString();
  log('synthesizing the stack with bundling (the artifact CDK ships) …');
  const shipped = shippedBundle();
  const work = mkdtempSync(join(tmpdir(), 'token-broker-bench-'));
  let upstreams: Upstreams | undefined;
  try {
    upstreams = await startUpstreams();
    log('bundling the baseline with the same esbuild options, weighing the bundle …');
    const baseline = await baselineBundle(join(work, 'baseline'));
    log("bundling the baseline with NodejsFunction's defaults (CommonJS, SDK external) …");
    const defaults = defaultsBaselineBundle(join(work, 'defaults'));
    const weights = await composition(shipped, join(work, 'metafile'));
    const whatIfs: Partial<Record<WhatIf, Artifact>> = {};
    if (options.whatIfArms) {
      log(`building the what-if variants of the broker (${WHAT_IFS.join(', ')}) …`);
      for (const whatIf of WHAT_IFS) whatIfs[whatIf] = await whatIfBundle(whatIf, join(work, 'what-if', whatIf));
    }

    const inputFile = join(work, 'input.json');
    writeFileSync(
      inputFile,
      JSON.stringify({
        event: refreshEvent(upstreams.refreshToken),
        // The refresh token the front door would have handed out for the same upstream one.
        frontDoorEvent: frontDoorRefreshEvent(
          sealFor('refresh_token', { refreshToken: upstreams.refreshToken, scope: '' }, { clientId: upstreams.clientId, clientSecret: upstreams.clientSecret }),
          DEFAULTS.publicClientId,
        ),
        direct: {
          clientId: upstreams.clientId,
          clientSecret: upstreams.clientSecret,
          grantType: 'refresh_token',
          refreshToken: upstreams.refreshToken,
        },
      }),
    );
    const home = join(work, 'home');
    mkdirSync(home);
    const env = lambdaEnvironment(
      shipped,
      { secretId: SECRET_NAME, region: REGION, oidcUrl: upstreams.oidc.url, secretsUrl: upstreams.secrets.url },
      home,
    );
    const arms = [
      { name: ARM.broker, bundle: shipped.path, env },
      { name: ARM.baseline, bundle: baseline.path, env },
      // Lambda's NODE_PATH leads to the runtime's SDK; here, to this project's node_modules.
      { name: ARM.defaults, bundle: defaults.path, env: { ...env, NODE_PATH: SDK_NODE_PATH } },
      ...(options.sourceMapArm
        ? [{ name: ARM.brokerWithSourceMaps, bundle: shipped.path, env: { ...env, NODE_OPTIONS: [env.NODE_OPTIONS, '--enable-source-maps'].filter(Boolean).join(' ') } }]
        : []),
      ...(Object.entries(whatIfs) as [WhatIf, Artifact][]).map(([whatIf, artifact]) => ({ name: whatIfArm(whatIf), bundle: artifact.path, env })),
    ];
    log(`cold starts: ${options.coldRuns} per arm (${arms.map((arm) => arm.name).join(' / ')}), interleaved …`);
    const cold = await coldStarts(arms, {
      runs: options.coldRuns,
      warmupRuns: options.coldWarmupRuns,
      inputFile,
      onProgress: (done, total) => {
        if (done % 10 === 0 || done === total) log(`  round ${done}/${total}`);
      },
    });

    log(`warm requests: ${options.warmRounds} interleaved rounds, ${options.workRequests} broker requests counted …`);
    const warm = await warmRequests(
      {
        brokerBundle: shipped.path,
        baselineBundle: baseline.path,
        inputFile,
        env,
        counters: upstreams.counters,
        warmupRounds: options.warmWarmupRounds,
        rounds: options.warmRounds,
        workRequests: options.workRequests,
        quietArm: options.quietArm,
        ...(options.frontDoorArm ? { frontDoorEnv: { [ENV.issuer]: FRONT_DOOR_ISSUER } } : {}),
        ...(options.cappedHeapFlags === undefined ? {} : { cappedHeapFlags: options.cappedHeapFlags }),
        ...(options.cpuPerCall === undefined ? {} : { cpuPerCall: options.cpuPerCall }),
        whatIfBundles: Object.fromEntries((Object.entries(whatIfs) as [WhatIf, Artifact][]).map(([whatIf, artifact]) => [whatIf, artifact.path])),
      },
      (phase) => log(`  ${phase}`),
    );

    let profile: ProfileSummary | undefined;
    if (options.profileDirectory !== undefined) {
      log(`CPU profiles of the broker (${PROFILE_COLD_RUNS} cold starts, ${PROFILE_WARM_REQUESTS} warm requests) …`);
      profile = await profileBroker({
        bundle: shipped.path,
        inputFile,
        env,
        directory: options.profileDirectory,
        coldRuns: PROFILE_COLD_RUNS,
        warmRequests: PROFILE_WARM_REQUESTS,
      });
    }

    const { path: _shippedPath, ...bundle } = shipped;
    const { path: _baselinePath, ...baselineArtifact } = baseline;
    const { path: _defaultsPath, ...defaultsArtifact } = defaults;
    const measurements: Measurements = {
      options: { ...options, log: undefined },
      startedAt,
      seconds: (performance.now() - started) / 1000,
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
      bundle: { bytes: bundle.bytes, gzipBytes: bundle.gzipBytes, sourceMapBytes: bundle.sourceMapBytes },
      baselineBundle: baselineArtifact,
      defaultsBundle: defaultsArtifact,
      whatIfBundles: Object.fromEntries((Object.entries(whatIfs) as [WhatIf, Artifact][]).map(([whatIf, { path: _path, ...artifact }]) => [whatIf, artifact])),
      composition: weights,
      cold,
      warm,
      ...(profile === undefined ? {} : { profile }),
    };
    return buildReport(measurements);
  } finally {
    await upstreams?.stop();
    shipped.dispose();
    rmSync(work, { recursive: true, force: true });
  }
}
