// A bounded load run with autocannon against the broker as `npm start` runs it: some thousands of
// requests over tens of connections, mixing successes (code exchanges, refreshes, device starts) and
// errors (SSO OIDC's invalid_grant, the broker's own invalid_request). It asserts correctness, never
// speed: every answer is the one its request calls for, SSO OIDC sees exactly one call per request
// that should reach it, the secret is read at most once per max age, and memory stays flat: the
// broker's resident memory after warm-up within a generous bound, and its live heap (after a full
// garbage collection, read through the inspector) within a tight one, which is what a leak would
// move. The figures go to artifacts/load-report.json and one summary line.

import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import autocannon from 'autocannon';
import type { SecretsManagerEmulator } from '../../local/emulators/secrets-manager.js';
import type { SsoOidcEmulator } from '../../local/emulators/sso-oidc.js';
import type { BrokerProcess } from '../helpers/broker-process.js';
import { startEnvironment, type Environment } from '../helpers/environment.js';
import { LeakWatch } from './support/leaks.js';
import { liveHeapBytes, postJson, rssBytes } from './support/net.js';

const REDIRECT = 'https://app.example.com/callback';
const CONNECTIONS = 32;
const WARMUP_REQUESTS = 2000;
const REQUESTS = 4000;
const SECRET_MAX_AGE_SECONDS = 2;
const MAX_RSS_GROWTH_MB = 50;
const MAX_LIVE_HEAP_GROWTH_MB = 10;
const REPORT = new URL('../../artifacts/load-report.json', import.meta.url);

const watch = new LeakWatch();
let oidc: SsoOidcEmulator;
let secrets: SecretsManagerEmulator;
let broker: BrokerProcess;
let brokerStartedAt: number;
const refreshTokens: string[] = [];

let environment: Environment;

beforeAll(async () => {
  brokerStartedAt = performance.now();
  environment = await startEnvironment({
    name: 'load',
    redirectUri: REDIRECT,
    brokerEnv: { TOKEN_BROKER_SECRET_MAX_AGE_SECONDS: String(SECRET_MAX_AGE_SECONDS) },
    brokerOptions: { nodeArgs: ['--inspect=127.0.0.1:0'] },
  });
  ({ oidc, secrets, broker } = environment);
  watch.remember(environment.registration.clientSecret);
  // Refresh tokens to refresh with under load (the emulator does not rotate them).
  for (let i = 0; i < 16; i++) {
    const answer = await postJson(`${broker.url}/token`, codeExchange());
    expect(answer.status).toBe(200);
    watch.answer('setup', answer.status, answer.text);
    refreshTokens.push(answer.body.refreshToken as string);
  }
});

afterAll(async () => {
  await environment?.stop();
});

function codeExchange(): Record<string, string> {
  const { body, code, verifier } = environment.codeExchange();
  watch.remember(code, verifier);
  return body;
}

interface Kind {
  readonly path: '/token' | '/device_authorization';
  readonly status: number;
  /** The error type, or the member every success must carry. */
  readonly expect: string;
  readonly body: () => string;
  responses: number;
  readonly unexpected: string[];
}

let refreshes = 0;
const KINDS: Record<string, Kind> = {
  codeExchange: { path: '/token', status: 200, expect: 'accessToken', body: () => JSON.stringify(codeExchange()), responses: 0, unexpected: [] },
  refresh: {
    path: '/token',
    status: 200,
    expect: 'accessToken',
    body: () => JSON.stringify({ grantType: 'refresh_token', refreshToken: refreshTokens[refreshes++ % refreshTokens.length] }),
    responses: 0,
    unexpected: [],
  },
  deviceStart: { path: '/device_authorization', status: 200, expect: 'deviceCode', body: () => JSON.stringify({ startUrl: 'https://d-1234567890.awsapps.com/start' }), responses: 0, unexpected: [] },
  unknownRefreshToken: {
    path: '/token',
    status: 400,
    expect: 'InvalidGrantException',
    body: () => {
      const refreshToken = `aor-unknown-${randomUUID()}`;
      watch.remember(refreshToken);
      return JSON.stringify({ grantType: 'refresh_token', refreshToken });
    },
    responses: 0,
    unexpected: [],
  },
  missingMember: { path: '/token', status: 400, expect: 'InvalidRequestException', body: () => '{"grantType":"refresh_token"}', responses: 0, unexpected: [] },
};

/** Checks one answer against what its kind of request calls for. */
function record(kind: Kind, status: number, text: string, headers: Record<string, string | string[]>): void {
  kind.responses += 1;
  watch.answer(kind.path, status, text);
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Reported below.
  }
  const header = (name: string): string | undefined => {
    const found = Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
    return Array.isArray(found) ? found.join(', ') : found;
  };
  const ok =
    status === kind.status &&
    (kind.status === 200 ? typeof body[kind.expect] === 'string' : body.__type === kind.expect && header('x-amzn-errortype') === kind.expect) &&
    header('cache-control') === 'no-store' &&
    header('x-content-type-options') === 'nosniff' &&
    /^max-age=\d+/.test(header('strict-transport-security') ?? '');
  if (!ok && kind.unexpected.length < 10) kind.unexpected.push(`${status} ${text.slice(0, 200)}`);
}

function requests(): autocannon.Request[] {
  return Object.values(KINDS).map((kind) => ({
    method: 'POST',
    path: kind.path,
    headers: { 'content-type': 'application/json' },
    setupRequest: (request) => ({ ...request, body: kind.body() }),
    onResponse: (status, body, _context, headers) => record(kind, status, body, headers),
  }));
}

const mb = (bytes: number | undefined): number | undefined => (bytes === undefined ? undefined : Math.round((bytes / 1024 / 1024) * 10) / 10);

it('serves thousands of mixed requests correctly, reads the secret once per max age, and keeps memory flat', async () => {
  const rss: { phase: string; at: number; bytes: number | undefined }[] = [];
  let phase = 'warmup';
  const sampler = setInterval(() => rss.push({ phase, at: performance.now(), bytes: rssBytes(broker.pid) }), 200);
  const before = { token: oidc.callCount('/token'), device: oidc.callCount('/device_authorization') };
  try {
    rss.push({ phase: 'start', at: performance.now(), bytes: rssBytes(broker.pid) });
    const warmup = await autocannon({ url: broker.url, connections: CONNECTIONS, amount: WARMUP_REQUESTS, timeout: 10, requests: requests() });
    expect([warmup.errors, warmup.timeouts]).toEqual([0, 0]);
    // Both RSS figures are taken right after the live-heap reading's full collection: RSS read
    // between collections swings by ~100 MB with the garbage of the last few thousand requests.
    const heapAfterWarmup = await liveHeapBytes(broker.output());
    const afterWarmup = rssBytes(broker.pid);
    rss.push({ phase: 'after warmup', at: performance.now(), bytes: afterWarmup });

    phase = 'run';
    const result = await autocannon({ url: broker.url, connections: CONNECTIONS, amount: REQUESTS, timeout: 10, requests: requests() });
    const heapAtEnd = await liveHeapBytes(broker.output());
    const end = rssBytes(broker.pid);
    rss.push({ phase: 'end', at: performance.now(), bytes: end });
    const lifetimeSeconds = (performance.now() - brokerStartedAt) / 1000;
    const secretReads = secrets.callCount('GetSecretValue');

    const kinds = Object.fromEntries(Object.entries(KINDS).map(([name, kind]) => [name, { responses: kind.responses, unexpected: kind.unexpected.length }]));
    const peak = Math.max(...rss.filter((s) => s.phase === 'run').map((s) => s.bytes ?? 0));
    const report = {
      requests: { warmup: WARMUP_REQUESTS, run: REQUESTS, connections: CONNECTIONS },
      durationSeconds: result.duration,
      requestsPerSecond: Math.round(result.requests.average),
      latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
      answers: { '2xx': result['2xx'], '4xx': result['4xx'], '5xx': result['5xx'], errors: result.errors, timeouts: result.timeouts },
      kinds,
      secret: { reads: secretReads, maxAgeSeconds: SECRET_MAX_AGE_SECONDS, brokerLifetimeSeconds: Math.round(lifetimeSeconds * 10) / 10 },
      rssMB: { start: mb(rss[0]?.bytes), afterWarmup: mb(afterWarmup), peak: mb(peak || undefined), end: mb(end), growthAfterWarmup: end !== undefined && afterWarmup !== undefined ? mb(end - afterWarmup) : undefined },
      liveHeapMB: { afterWarmup: mb(heapAfterWarmup), end: mb(heapAtEnd), growth: mb(heapAtEnd - heapAfterWarmup) },
      rssSamplesMB: rss.map((s) => [s.phase, Math.round(s.at - rss[0]!.at), mb(s.bytes)]),
    };
    mkdirSync(new URL('.', REPORT), { recursive: true });
    writeFileSync(REPORT, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(
      `\nload: ${REQUESTS} requests (+${WARMUP_REQUESTS} warm-up) over ${CONNECTIONS} connections in ${result.duration.toFixed(1)} s, ` +
        `${report.requestsPerSecond} req/s, latency p50 ${result.latency.p50} ms p99 ${result.latency.p99} ms, ` +
        `RSS ${report.rssMB.afterWarmup} → ${report.rssMB.end} MB, live heap ${report.liveHeapMB.afterWarmup} → ${report.liveHeapMB.end} MB, ` +
        `secret reads ${secretReads} in ${report.secret.brokerLifetimeSeconds} s\n`,
    );

    // Every request got the answer it calls for: none that should succeed failed, no error, no timeout.
    expect([result.errors, result.timeouts, result['5xx']]).toEqual([0, 0, 0]);
    for (const [name, kind] of Object.entries(KINDS)) expect({ name, unexpected: kind.unexpected }).toEqual({ name, unexpected: [] });
    const total = Object.values(KINDS).reduce((sum, kind) => sum + kind.responses, 0);
    expect(total).toBe(WARMUP_REQUESTS + REQUESTS);
    for (const kind of Object.values(KINDS)) expect(kind.responses).toBeGreaterThan(total / 10);

    // SSO OIDC saw exactly the requests that should reach it, once each: nothing lost, nothing replayed.
    const upstream = (path: Kind['path']) => Object.values(KINDS).filter((k) => k.path === path && k.expect !== 'InvalidRequestException').reduce((sum, k) => sum + k.responses, 0);
    expect({ token: oidc.callCount('/token') - before.token, device: oidc.callCount('/device_authorization') - before.device }).toEqual({
      token: upstream('/token'),
      device: upstream('/device_authorization'),
    });

    // The registration is read at most once per max age, whatever the concurrency.
    expect(secretReads).toBeLessThanOrEqual(Math.ceil(lifetimeSeconds / SECRET_MAX_AGE_SECONDS) + 1);

    // Memory: what the broker holds on to does not grow with the requests it served, and its
    // resident size, once warmed up, stays within a generous bound (Linux /proc; skipped elsewhere).
    expect(mb(heapAtEnd - heapAfterWarmup)!).toBeLessThan(MAX_LIVE_HEAP_GROWTH_MB);
    if (afterWarmup !== undefined && end !== undefined) {
      expect(mb(end - afterWarmup)!).toBeLessThan(MAX_RSS_GROWTH_MB);
    }
  } finally {
    clearInterval(sampler);
  }
}, 120_000);

it('leaks no secret, token, code or verifier into its logs or into any answer but its own', () => {
  const output = broker.output();
  expect(watch.size).toBeGreaterThan(REQUESTS);
  expect(watch.answers).toBeGreaterThanOrEqual(WARMUP_REQUESTS + REQUESTS);
  expect(watch.findIn(output)).toEqual([]);
  expect(watch.leakingAnswers()).toEqual([]);
  expect(broker.logs().filter((line) => line.level === 'ERROR')).toEqual([]);
});
