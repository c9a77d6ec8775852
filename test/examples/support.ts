// Shared by the example tests: the broker as `npm start` runs it, and the emulator's sign-in and
// device pages driven over plain HTTP, as a user's clicks would submit them.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The value of each hidden <input> of the emulator's sign-in form. */
function hiddenInputs(html: string): URLSearchParams {
  const form = new URLSearchParams();
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    form.set(match[1]!, match[2]!.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))));
  }
  return form;
}

/**
 * Opens an SSO OIDC /authorize URL on the emulator and clicks "Sign in as demo user": returns where
 * the emulator redirects the browser (the client's redirect URI with `code` and `state`).
 */
export async function signInAtEmulator(authorizeUrl: string): Promise<URL> {
  const page = await fetch(authorizeUrl);
  const html = await page.text();
  if (page.status !== 200) throw new Error(`the emulator's sign-in page answered ${page.status}: ${html}`);
  const form = hiddenInputs(html);
  form.set('decision', 'allow');
  const decision = await fetch(new URL('/authorize', authorizeUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    redirect: 'manual',
  });
  const location = decision.headers.get('location');
  if (decision.status !== 302 || location === null) throw new Error(`no redirect from the sign-in page: ${decision.status}`);
  return new URL(location);
}

/** Opens a device verification URL (with its user code) and clicks "Allow". */
export async function approveAtEmulator(verificationUriComplete: string): Promise<void> {
  const url = new URL(verificationUriComplete);
  const userCode = url.searchParams.get('user_code') ?? '';
  const answer = await fetch(new URL('/device', url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ user_code: userCode, decision: 'approve' }).toString(),
  });
  if (answer.status !== 200) throw new Error(`the emulator refused the approval: ${answer.status}`);
}

export interface Program {
  /** Everything it printed to stdout so far. */
  stdout(): string;
  /** Resolves when a stdout line matches, with the match. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves with the exit code and stderr once it exits. */
  exited: Promise<{ code: number | null; stderr: string }>;
  stop(): void;
}

/** Runs an example as a reader would (`npx tsx examples/…`), on the Node that runs the tests. */
export function runExample(file: string, env: Record<string, string>): Program {
  const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
  return {
    stdout: () => stdout,
    exited,
    waitFor: async (pattern, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(stdout);
        if (match !== null) return match;
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`${file} did not print ${pattern}:\n${stdout}\n${stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    stop: () => {
      if (child.exitCode === null) child.kill('SIGTERM');
    },
  };
}
