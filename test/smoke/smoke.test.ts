// The post-deploy smoke check (npm run smoke), run as a deployer runs it, as a child process: it
// passes against `npm start`, and fails, naming the check, against a proxy on 127.0.0.1 in front of
// `npm start` that does what a misconfigured gateway, CDN or proxy would do to the broker's answers.

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  return smokeWith({}, ...args);
}

function smokeWith(env: Record<string, string>, ...args: string[]): Promise<SmokeRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/smoke.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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

type Rewrite = (status: number, headers: http.IncomingHttpHeaders, path: string) => { status: number; headers: http.IncomingHttpHeaders; body?: string };

/** A proxy on 127.0.0.1 in front of the broker that rewrites each answer; with `tls`, it serves https. */
async function proxy(
  target: string,
  rewrite: Rewrite,
  tls?: { key: Buffer; cert: Buffer },
  /** What the proxy does to the request's headers on the way in (default: nothing). */
  forwarded: (headers: http.IncomingHttpHeaders) => http.IncomingHttpHeaders = (headers) => headers,
): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...forwarded({ ...req.headers }), host: upstream.host } },
      (answer) => {
        const changed = rewrite(answer.statusCode ?? 502, { ...answer.headers }, req.url ?? '/');
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
  };
  const server = tls === undefined ? http.createServer(handle) : https.createServer(tls, handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: tls === undefined ? `http://127.0.0.1:${port}` : `https://localhost:${port}`,
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

describe('over https (a TLS-terminating proxy on 127.0.0.1 with a certificate made here)', () => {
  let dir: string;
  let tls: { key: Buffer; cert: Buffer };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'smoke-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    tls = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes TLS with a trusted certificate, naming the protocol and the days left', async () => {
    const front = await proxy(broker.url, (status, headers) => ({ status, headers }), tls);
    try {
      const run = await smokeWith({ NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') }, '--url', front.url, '--origin', ORIGIN);
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/PASS {2}TLS +TLSv1\.[23], certificate for localhost valid (29|30) more days/);
      const { [CHECKS.frontDoor]: _frontDoor, ...others } = run.verdicts;
      expect(new Set(Object.values(others))).toEqual(new Set(['PASS']));
    } finally {
      await front.close();
    }
  }, 60_000);

  it('fails TLS when the certificate is not trusted, and says why', async () => {
    const front = await proxy(broker.url, (status, headers) => ({ status, headers }), tls);
    try {
      const run = await smoke('--url', front.url, '--origin', ORIGIN);
      expect(run.status).toBe(1);
      expect(run.stdout).toMatch(/FAIL {2}TLS +handshake failed: DEPTH_ZERO_SELF_SIGNED_CERT/);
      expect(run.stdout).toContain('The certificate is not trusted for this name');
    } finally {
      await front.close();
    }
  }, 60_000);
});

describe('the access portal (on in npm start\'s demo mode)', () => {
  it('passes when ListAccounts with a made-up token comes back as the portal\'s own UnauthorizedException', async () => {
    const run = await smoke('--url', broker.url, '--origin', ORIGIN);
    expect(run.verdicts[CHECKS.portal]).toBe('PASS');
    expect(run.stdout).toMatch(/PASS {2}ListAccounts with a made-up token \(the portal answers\) +401 UnauthorizedException from the portal: Session token not found or invalid/);
  }, 60_000);

  it('fails, naming the header, when a proxy drops x-amz-sso_bearer_token (as nginx does with underscores by default)', async () => {
    const front = await proxy(broker.url, (status, headers) => ({ status, headers }), undefined, ({ 'x-amz-sso_bearer_token': _token, ...rest }) => rest);
    try {
      const run = await smoke('--url', front.url, '--origin', ORIGIN);
      expect(run.status).toBe(1);
      expect(run.stdout).toContain(`1 check failed: ${CHECKS.portal}.`);
      expect(run.stdout).toMatch(/FAIL {2}ListAccounts with a made-up token \(the portal answers\) +401 from the broker: the request reached it without the token/);
      expect(run.stdout).toContain('Something in front of the function drops the x-amz-sso_bearer_token header');
    } finally {
      await front.close();
    }
  }, 60_000);

  it('passes, saying so, when the portal is off (the gateway\'s 404 for its path)', async () => {
    const front = await proxy(broker.url, (status, headers, path) =>
      path.startsWith('/portal/') ? { status: 404, headers: { 'content-type': 'application/json' }, body: '{"message":"Not Found"}' } : { status, headers },
    );
    try {
      const run = await smoke('--url', front.url, '--origin', ORIGIN);
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/PASS {2}ListAccounts with a made-up token \(the portal answers\) +not enabled \(404\)/);
    } finally {
      await front.close();
    }
  }, 60_000);
});

describe('with the standard OAuth front door on (TOKEN_BROKER_ISSUER=self)', () => {
  let frontDoor: BrokerProcess;
  beforeAll(async () => {
    frontDoor = await startBroker({ TOKEN_BROKER_ALLOWED_ORIGINS: ORIGIN, TOKEN_BROKER_ISSUER: 'self' });
  }, 60_000);
  afterAll(async () => frontDoor?.stop());

  it('passes when the metadata names the checked URL as its issuer (RFC 8414 §3.3)', async () => {
    const run = await smoke('--url', `${frontDoor.url}/`, '--origin', ORIGIN);
    expect(run.status).toBe(0);
    expect(run.verdicts[CHECKS.frontDoor]).toBe('PASS');
    expect(run.stdout).toContain(`issuer ${frontDoor.url}`);
  }, 60_000);

  it('warns, naming both, when the issuer is another URL than the one checked (a proxy or a custom domain in front)', async () => {
    const front = await proxy(frontDoor.url, (status, headers) => ({ status, headers }));
    try {
      const run = await smoke('--url', front.url, '--origin', ORIGIN);
      expect(run.status).toBe(0);
      expect(run.verdicts[CHECKS.frontDoor]).toBe('WARN');
      expect(run.stdout).toContain(`issuer ${frontDoor.url}, not ${front.url}`);
      expect(run.stdout).toContain(`SSO OIDC must have ${frontDoor.url}/oauth2/callback registered`);
    } finally {
      await front.close();
    }
  }, 60_000);
});

it('reports the front door as not enabled where its metadata route does not exist (API Gateway: 404 Not Found)', async () => {
  const front = await proxy(broker.url, (status, headers, path) =>
    path.startsWith('/.well-known/')
      ? { status: 404, headers: { 'content-type': 'application/json' }, body: '{"message":"Not Found"}' }
      : { status, headers },
  );
  try {
    const run = await smoke('--url', front.url, '--origin', ORIGIN);
    expect(run.stdout).toMatch(/PASS {2}Front door metadata \(RFC 8414\) +not enabled \(404\)/);
  } finally {
    await front.close();
  }
}, 60_000);

it('refuses a wrong command line with the usage and status 2', async () => {
  const run = await smoke('--url', broker.url, '--origin', 'https://app.example.com/callback');
  expect(run.status).toBe(2);
  expect(run.stderr).toMatch(/--origin must be an origin[\s\S]*Usage: token-broker-smoke/);
}, 60_000);
