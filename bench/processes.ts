// Child processes of the benchmark (bench/child.mjs on the project's Node 24): their environment,
// one-shot cold starts, and long-lived warm processes driven one call at a time over IPC.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./child.mjs', import.meta.url));
const OUTPUT_TAIL = 4096;

export interface LambdaSettings {
  readonly memorySize: number;
  readonly runtime: string;
  /** The template's literal variables (TOKEN_BROKER_*, NODE_OPTIONS). */
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * The environment of every child, broker and baseline alike: what the Lambda runtime sets, the
 * template's variables, and the emulators' endpoints. Built from scratch (only PATH is inherited) so
 * nothing of the shell leaks in; HOME is an empty directory so no ~/.aws file is read.
 */
export function lambdaEnvironment(
  settings: LambdaSettings,
  upstream: { secretId: string; region: string; oidcUrl: string; secretsUrl: string },
  home: string,
): Record<string, string> {
  const functionName = 'token-broker-bench';
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    AWS_REGION: upstream.region,
    AWS_DEFAULT_REGION: upstream.region,
    // Static credentials, as the runtime provides them (the emulators do not check signatures).
    AWS_ACCESS_KEY_ID: 'AKIDBENCH',
    AWS_SECRET_ACCESS_KEY: 'bench-secret-key',
    AWS_SESSION_TOKEN: 'bench-session-token',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(settings.memorySize),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'bench',
    AWS_EXECUTION_ENV: `AWS_Lambda_${settings.runtime}`,
    ...settings.environment,
    TOKEN_BROKER_SECRET_ID: upstream.secretId,
    TOKEN_BROKER_OIDC_REGION: upstream.region,
    AWS_ENDPOINT_URL_SSO_OIDC: upstream.oidcUrl,
    // The access portal API (service `sso`) is served by the same emulator.
    AWS_ENDPOINT_URL_SSO: upstream.oidcUrl,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: upstream.secretsUrl,
  };
}

export interface UpstreamRequest {
  readonly kind: 'secret' | 'oidc' | 'other';
  readonly start: number;
  readonly end: number | undefined;
  readonly reused: boolean;
}

/** What one cold child reports; times in ms since its process started. */
export interface ColdSample {
  readonly ok: boolean;
  readonly error?: string;
  readonly scriptStart: number;
  /** Just before import() of the bundle. */
  readonly importStart: number;
  /** import() resolved: the module is loaded and its init code has run. */
  readonly imported: number;
  readonly responded: number;
  readonly cpuAtImport: number;
  readonly cpuAtResponse: number;
  readonly maxRssKb: number;
  readonly heapUsedBytes: number;
  readonly requests: readonly UpstreamRequest[];
  readonly node: string;
}

/**
 * A child on this Node, or under `wrap` (a command and its arguments that run the rest: valgrind).
 * Node passes the IPC channel's descriptor in NODE_CHANNEL_FD, which survives a wrapper that execs it.
 */
function spawnChild(mode: 'cold' | 'warm', bundle: string, inputFile: string, env: Record<string, string>, wrap: readonly string[] = []) {
  const [command, ...args] = [...wrap, process.execPath, CHILD, mode, bundle, inputFile];
  const child = spawn(command!, args, { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  // The function's output (its log lines and EMF metrics) is drained as Lambda's log capture would;
  // only a tail is kept, to explain a failure.
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, output: () => tail };
}

export interface ColdRunOptions {
  readonly timeoutMs?: number;
  /** A command the child runs under (bench/instructions.ts: valgrind's callgrind). */
  readonly wrap?: readonly string[];
}

/** One fresh process: imports the bundle, serves one request, reports and exits. */
export function runCold(bundle: string, inputFile: string, env: Record<string, string>, options: ColdRunOptions = {}): Promise<ColdSample> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const { child, output } = spawnChild('cold', bundle, inputFile, env, options.wrap);
  return new Promise((resolve, reject) => {
    let sample: ColdSample | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cold start timed out after ${timeoutMs} ms:\n${output()}`));
    }, timeoutMs);
    child.once('message', (message: ColdSample) => (sample = message));
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (sample === undefined) reject(new Error(`the cold child exited with ${code} without a report:\n${output()}`));
      else if (!sample.ok) reject(new Error(`the cold start's request failed: ${sample.error}\n${output()}`));
      else resolve(sample);
    });
  });
}

export interface WarmStats {
  /** Peak RSS so far. */
  readonly maxRssKb: number;
  /** RSS and heap in use now (after a full collection when asked with `gc`). */
  readonly rssKb: number;
  readonly heapUsedBytes: number;
  readonly cpuMs: number;
  readonly newConnections: { readonly secret: number; readonly oidc: number; readonly other: number };
  readonly invocations: number;
}

/** Who serves a call: the bundle's Lambda handler, or its direct call (the direct bundle's `direct` table). */
export type CallTarget = 'handler' | 'direct';

export interface WarmProcess {
  /** One timed call of a route family (bench/families.ts) through `target`. */
  call(target: CallTarget, family: string): Promise<{ ms: number; ok: boolean }>;
  /** `n` calls back to back: failures (and what the first was: an error's name and code) and the CPU time they took. */
  calls(n: number, target: CallTarget, family: string): Promise<{ failures: number; cpuMs: number; firstError?: string }>;
  /** With `gc`, after a full garbage collection. */
  stats(gc?: boolean): Promise<WarmStats>;
  /** `n` calls under the V8 sampling profiler, the .cpuprofile written to `file`. */
  profile(n: number, target: CallTarget, family: string, file: string, intervalUs: number): Promise<{ failures: number }>;
  output(): string;
  stop(): Promise<void>;
}

/**
 * A long-lived process that has imported the bundle; answers one message at a time. `serves` says
 * what the bundle must export: a handler, or a direct call table.
 */
export async function startWarm(bundle: string, inputFile: string, env: Record<string, string>, serves: CallTarget = 'handler'): Promise<WarmProcess> {
  const { child, output } = spawnChild('warm', bundle, inputFile, env);
  let pending: { resolve: (value: any) => void; reject: (error: Error) => void } | undefined;
  let exited = false;
  child.on('message', (message: Record<string, unknown>) => {
    const waiter = pending;
    pending = undefined;
    if (typeof message.error === 'string') waiter?.reject(new Error(message.error));
    else waiter?.resolve(message);
  });
  child.once('exit', (code) => {
    exited = true;
    pending?.reject(new Error(`the warm child exited with ${code}:\n${output()}`));
    pending = undefined;
  });
  const ask = <T>(message: Record<string, unknown> | undefined): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (exited) return reject(new Error(`the warm child has exited:\n${output()}`));
      if (pending !== undefined) return reject(new Error('one message at a time'));
      pending = { resolve, reject };
      if (message !== undefined) child.send(message);
    });

  const hello = await ask<{ ready: boolean; hasHandler: boolean; directCalls: string[] }>(undefined);
  const servesIt = serves === 'handler' ? hello.hasHandler : hello.directCalls.length > 0;
  if (!hello.ready || !servesIt) {
    await stopChild(child);
    throw new Error(`the bundle exports no ${serves === 'handler' ? 'handler' : 'direct calls'}:\n${output()}`);
  }
  return {
    call: (target, family) => ask({ op: 'call', target, family }),
    calls: (n, target, family) => ask({ op: 'calls', n, target, family }),
    stats: (gc = false) => ask({ op: 'stats', gc }),
    profile: (n, target, family, file, intervalUs) => ask({ op: 'profile', n, target, family, file, intervalUs }),
    output,
    stop: () => stopChild(child),
  };
}

/** Asks the child to exit normally; kills it if it has not within a few seconds. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.connected) child.send({ op: 'exit' });
    else child.kill('SIGTERM');
  });
}
