// The post-deploy smoke check (npm run smoke), run as a deployer runs it, as a child process: it
// passes against `npm start`, and fails, naming the check, against a proxy on 127.0.0.1 in front of
// `npm start` that does what a misconfigured gateway, CDN or proxy would do to the broker's answers.

import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CHECKS } from '../../scripts/smoke-checks.js';
import { startBroker, type BrokerProcess } from '../helpers/broker-process.js';
import { ROOT } from '../infra/synth.js';

const ORIGIN = 'https://app.example.com';

interface SmokeRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The table's rows by check name: PASS, FAIL or WARN. */
  readonly verdicts: Record<string, string>;
}

function smoke(...args: string[]): Promise<SmokeRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/smoke.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve) =>
    child.on('close', (status) => {
      const verdicts: Record<string, string> = {};
      for (const name of Object.values(CHECKS)) {
        const row = stdout.split('\n').find((line) => line.slice(6).startsWith(`${name} `));
        if (row !== undefined) verdicts[name] = row.slice(0, 4);
      }
      resolve({ status, stdout, stderr, verdicts });
    }),
  );
}

type Rewrite = (status: number, headers: http.IncomingHttpHeaders) => { status: number; headers: http.IncomingHttpHeaders; body?: string };

/** A proxy on 127.0.0.1 in front of the broker that rewrites each answer. */
async function proxy(target: string, rewrite: Rewrite): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        const changed = rewrite(answer.statusCode ?? 502, { ...answer.headers });
        if (changed.body !== undefined) {
          answer.resume();
          const { 'content-length': _length, ...headers } = changed.headers;
          res.writeHead(changed.status, headers);
          res.end(changed.body);
          return;
        }
        res.writeHead(changed.status, changed.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

let broker: BrokerProcess;
beforeAll(async () => {
  broker = await startBroker({ TOKEN_BROKER_ALLOWED_ORIGINS: ORIGIN });
}, 60_000);
afterAll(async () => broker?.stop());

it('passes against npm start, with TLS a warning on a loopback http URL, and exits 0', async () => {
  const run = await smoke('--url', broker.url, '--origin', ORIGIN);
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  const { [CHECKS.tls]: tls, ...others } = run.verdicts;
  expect(tls).toBe('WARN');
  expect(run.stdout).toMatch(/WARN {2}TLS +not applicable: plain http on 127\.0\.0\.1/);
  expect(Object.keys(others).sort()).toEqual(Object.values(CHECKS).filter((name) => name !== CHECKS.tls).sort());
  expect(new Set(Object.values(others))).toEqual(new Set(['PASS']));
  expect(run.stdout).toMatch(/All checks passed \(1 warning\)\.$/m);
}, 60_000);

it('fails the error type check when a proxy strips x-amzn-ErrorType, and says what it means', async () => {
  const front = await proxy(broker.url, (status, headers) => {
    delete headers['x-amzn-errortype'];
    return { status, headers };
  });
  try {
    const run = await smoke('--url', front.url, '--origin', ORIGIN);
    expect(run.status).toBe(1);
    expect(run.verdicts[CHECKS.errorTypeHeader]).toBe('FAIL');
    // The body still carries the type, which is why SDKs keep working.
    expect(run.verdicts[CHECKS.bodyType]).toBe('PASS');
    expect(run.stdout).toMatch(/FAIL {2}x-amzn-ErrorType survives the gateway +missing/);
    expect(run.stdout).toContain(`1 check failed: ${CHECKS.errorTypeHeader}.`);
    expect(run.stdout).toMatch(/FAIL x-amzn-ErrorType survives the gateway: The function sends x-amzn-ErrorType .* AWS SDKs then fall back to the body's __type/);
  } finally {
    await front.close();
  }
}, 60_000);

it('names the renamed header when a gateway remaps x-amzn-ErrorType', async () => {
  const front = await proxy(broker.url, (status, headers) => {
    const { 'x-amzn-errortype': type, ...rest } = headers;
    return { status, headers: type === undefined ? rest : { ...rest, 'x-amzn-remapped-x-amzn-errortype': type } };
  });
  try {
    const run = await smoke('--url', front.url, '--origin', ORIGIN);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/FAIL {2}x-amzn-ErrorType survives the gateway +missing \(found x-amzn-remapped-x-amzn-errortype\)/);
  } finally {
    await front.close();
  }
}, 60_000);

it('fails the CORS checks when a proxy rewrites CORS headers to allow every origin', async () => {
  const front = await proxy(broker.url, (status, headers) => ({
    status,
    headers: { ...headers, 'access-control-allow-origin': '*', 'access-control-expose-headers': 'content-type' },
  }));
  try {
    const run = await smoke('--url', front.url, '--origin', ORIGIN);
    expect(run.status).toBe(1);
    expect(run.verdicts).toMatchObject({
      [CHECKS.preflightAllowed]: 'FAIL',
      [CHECKS.preflightRefused]: 'FAIL',
      [CHECKS.refusedOrigin]: 'FAIL',
      [CHECKS.corsOnAnswer]: 'FAIL',
      [CHECKS.errorTypeHeader]: 'PASS',
    });
    expect(run.stdout).toMatch(/FAIL Preflight from a refused origin: A page on https:\/\/smoke-check\.invalid may call the broker/);
    expect(run.stdout).toMatch(/checks failed: .*Preflight from the allowed origin/);
  } finally {
    await front.close();
  }
}, 60_000);

it('fails every check that needs an answer when a proxy answers 5xx, saying the answer is not the broker\'s', async () => {
  const front = await proxy(broker.url, (_status, headers) => ({
    status: 503,
    headers: { 'content-type': headers['content-type'] ?? 'application/json' },
    body: '{"message":"Service Unavailable"}',
  }));
  try {
    const run = await smoke('--url', front.url, '--origin', ORIGIN);
    expect(run.status).toBe(1);
    expect(run.verdicts).toMatchObject({
      [CHECKS.client]: 'FAIL',
      [CHECKS.preflightAllowed]: 'FAIL',
      [CHECKS.preflightRefused]: 'FAIL',
      [CHECKS.refusedOrigin]: 'FAIL',
      [CHECKS.upstreamAnswer]: 'FAIL',
      [CHECKS.securityHeaders]: 'FAIL',
    });
    expect(run.stdout).toMatch(/FAIL {2}GET \/client +503/);
    expect(run.stdout).toContain("This 5xx is not the broker's own JSON answer");
  } finally {
    await front.close();
  }
}, 60_000);

it('fails TLS for a plain http URL that is not a loopback address', async () => {
  const run = await smoke('--url', 'http://broker.example.invalid/', '--origin', ORIGIN, '--timeout', '3');
  expect(run.status).toBe(1);
  expect(run.verdicts[CHECKS.tls]).toBe('FAIL');
  expect(run.stdout).toMatch(/FAIL {2}TLS +plain http to broker\.example\.invalid/);
  expect(run.stdout).toContain('Tokens would cross the network unencrypted');
}, 60_000);

it('refuses a wrong command line with the usage and status 2', async () => {
  const run = await smoke('--url', broker.url, '--origin', 'https://app.example.com/callback');
  expect(run.status).toBe(2);
  expect(run.stderr).toMatch(/--origin must be an origin[\s\S]*Usage: token-broker-smoke/);
}, 60_000);
