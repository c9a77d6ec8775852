// Runs the broker the way `npm start` does, as a separate process (the local API Gateway adapter in
// front of the real handler), and keeps everything it prints so tests can search its logs.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface BrokerProcess {
  readonly url: string;
  /** The broker's process id (the child is Node itself, so its memory is the broker's). */
  readonly pid: number | undefined;
  /** The demo frontend's URL (the `demo frontend:` banner line); set when started with `{ demo: true }`. */
  readonly demoUrl: string | undefined;
  /** The cookie-session demo page (the `cookie-session demo:` banner line), on an origin of its own. */
  readonly sessionDemoUrl: string | undefined;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** JSON log lines written so far (stdout's, then stderr's), parsed. */
  logs(): Record<string, unknown>[];
  stop(): Promise<void>;
}

/** Variables of the outer environment that would point the broker somewhere else. */
const SCRUBBED = /^(AWS_|TOKEN_BROKER_|POWERTOOLS_|PORT$)/;

export interface StartOptions {
  /** Demo mode (no TOKEN_BROKER_SECRET_ID): also wait for the demo frontend's banner line. */
  readonly demo?: boolean;
  /** Extra Node options for the broker process (e.g. `--inspect=127.0.0.1:0` to read its heap). */
  readonly nodeArgs?: readonly string[];
}

export async function startBroker(env: Record<string, string>, options: StartOptions = {}): Promise<BrokerProcess> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !SCRUBBED.test(name)));
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', 'local/start.ts'], {
    cwd: ROOT,
    env: {
      ...inherited,
      PORT: '0',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
      AWS_SECRET_ACCESS_KEY: 'local-secret-key',
      AWS_EC2_METADATA_DISABLED: 'true',
      // The Lambda's JSON log lines, which logs() parses (npm start's default is one human line per request).
      TOKEN_BROKER_LOCAL_LOGS: 'json',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Powertools writes errors and warnings to stderr, the rest to stdout: both are kept.
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));

  const { url, demoUrl } = await new Promise<{ url: string; demoUrl: string | undefined }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker did not start:\n${stderr}`)), 20_000);
    const onData = (): void => {
      const match = /token broker listening on (http:\/\/\S+)/.exec(stderr);
      const demo = /demo frontend: (http:\/\/\S+)/.exec(stderr);
      if (match && (demo || !options.demo)) {
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        resolve({ url: match[1]!, demoUrl: demo?.[1] });
      }
    };
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${code}:\n${stderr}`));
    });
  });

  return {
    url,
    pid: child.pid,
    demoUrl,
    sessionDemoUrl: /cookie-session demo: (http:\/\/\S+)/.exec(stderr)?.[1],
    output: () => stdout + stderr,
    logs: () =>
      `${stdout}\n${stderr}`
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    stop: () => stopChild(child),
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** A POST with a JSON body, as a browser-less client (no Origin) sends it unless told otherwise. */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown>; text: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Left empty: tests assert on `text` for non-JSON answers.
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}
