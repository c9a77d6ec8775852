// A child process standing in for the Lambda runtime: it loads a shipped index.mjs with
// lambda-driver.mjs as Lambda loads it, with the variables Lambda sets and environment credentials,
// and invokes its handler over IPC. For the bundle tests (bundle-substitutes, bundle-emulators).

import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const DRIVER = fileURLToPath(new URL('../lambda-driver.mjs', import.meta.url));
/** The access key of the environment credentials every function process gets (startLambda). */
export const ENV_ACCESS_KEY = 'AKIDLOCAL';

export interface LambdaProcess {
  readonly node: string;
  readonly handlerType: string;
  /** Invokes `handler(event, context)`; resolves with what it returned, rejects with what it threw. */
  invoke<T = unknown>(event: unknown): Promise<T>;
  /** The names of the Node built-in modules the process has loaded (process.moduleLoadList). */
  modules(): Promise<string[]>;
  /** Everything the function wrote (stdout and stderr) so far. */
  output(): string;
  /** Polls `find` until it returns something (output arrives on a pipe, after the IPC answer). */
  waitFor<T>(find: () => T | undefined, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

/** Variables of the outer environment that would point the function somewhere else. */
const SCRUBBED = /^(AWS_|TOKEN_BROKER_|POWERTOOLS_|NODE_OPTIONS$)/;

export async function startLambda(
  fnProps: Record<string, any>,
  bundlePath: string,
  env: Record<string, string>,
  functionName = 'token-broker-bundle-test',
  variables: { unset?: readonly string[]; extra?: Record<string, string> } = {},
): Promise<LambdaProcess> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !SCRUBBED.test(name)));
  const childEnv: Record<string, string | undefined> = {
    ...inherited,
    // What the Lambda runtime sets, plus environment credentials (the emulator checks their key).
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: ENV_ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: 'local-secret-key',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fnProps.MemorySize),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_EXECUTION_ENV: `AWS_Lambda_${fnProps.Runtime}`,
    ...env,
    ...variables.extra,
  };
  for (const name of variables.unset ?? []) delete childEnv[name];
  // process.execPath is the project's Node 24 (npm scripts put node_modules/.bin first on PATH).
  const child = spawn(process.execPath, [DRIVER, bundlePath, functionName, String(fnProps.MemorySize), String(fnProps.Timeout)], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));

  const pending = new Map<string, (message: DriverMessage) => void>();
  const ready = new Promise<DriverMessage>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the bundle did not load:\n${output}`)), 20_000);
    child.once('exit', (code) => reject(new Error(`the bundle exited with ${code} while loading:\n${output}`)));
    child.on('message', (message: DriverMessage) => {
      if (message.ready) {
        clearTimeout(timer);
        resolve(message);
      } else if (message.id !== undefined) {
        pending.get(message.id)?.(message);
        pending.delete(message.id);
      }
    });
  });
  const hello = await ready;

  return {
    node: hello.node ?? '',
    handlerType: hello.handlerType ?? '',
    invoke: <T>(event: unknown) =>
      new Promise<T>((resolve, reject) => {
        const id = randomUUID();
        pending.set(id, (message) => (message.error === undefined ? resolve(message.result as T) : reject(new Error(message.error))));
        child.send({ id, event });
      }),
    modules: () =>
      new Promise<string[]>((resolve) => {
        const id = randomUUID();
        pending.set(id, (message) => resolve(message.result as string[]));
        child.send({ id, op: 'modules' });
      }),
    output: () => output,
    waitFor: async (find, timeoutMs = 5000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = find();
        if (found !== undefined) return found;
        if (Date.now() > deadline) throw new Error(`not found in the function's output:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    stop: () => stopChild(child),
  };
}

interface DriverMessage {
  ready?: boolean;
  node?: string;
  handlerType?: string;
  id?: string;
  result?: unknown;
  error?: string;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
