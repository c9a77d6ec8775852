// The benchmark's what-if builds (bench/bundle.ts WHAT_IF) are only worth their figures if they do
// what the broker does. Here the hand-built telemetry stand-in, which replaces Powertools, is checked
// against the broker's own output: per request, the same single JSON line, an EMF record with the
// same namespace, dimensions, metrics and fields; and the front-door-less build answers POST /token
// with tokens as the broker does. Both run in the benchmark's own Lambda-like child process.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { SHIPPED_ESBUILD_OPTIONS, whatIfBundle } from '../../bench/bundle.js';
import { lambdaEnvironment, startWarm, type WarmProcess } from '../../bench/processes.js';
import { childInput, familyName, prepareFamilies, ROUTE_FAMILIES } from '../../bench/families.js';
import { REGION, SECRET_NAME, startUpstreams, type Upstreams } from '../../bench/upstream.js';

let work: string;
let upstreams: Upstreams;
let env: Record<string, string>;
let inputFile: string;
let family: string;
const processes: WarmProcess[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'token-broker-what-if-'));
  upstreams = await startUpstreams();
  inputFile = join(work, 'input.json');
  // POST /token only: the what-if builds answer it as the broker does.
  const ready = await prepareFamilies(ROUTE_FAMILIES.slice(0, 1), upstreams);
  family = familyName(ROUTE_FAMILIES[0]!);
  writeFileSync(inputFile, JSON.stringify(childInput(ready.prepared.get(family)!, ready.prepared)));
  mkdirSync(join(work, 'home'));
  env = lambdaEnvironment(
    { memorySize: 1024, runtime: 'nodejs24.x', environment: {} },
    { secretId: SECRET_NAME, region: REGION, oidcUrl: upstreams.oidc.url, secretsUrl: upstreams.secrets.url },
    join(work, 'home'),
  );
}, 60_000);

afterAll(async () => {
  for (const process of processes) await process.stop();
  await upstreams?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** The JSON lines a warm process wrote for `requests` POST /token requests, after its first (cold) one. */
async function linesOf(bundle: string, requests: number): Promise<Record<string, any>[]> {
  const process = await startWarm(bundle, inputFile, env);
  processes.push(process);
  // The first request also reports the registration's expiry (once a minute): left out.
  expect((await process.call('handler', family)).ok).toBe(true);
  const before = process.output().length;
  for (let i = 0; i < requests; i += 1) expect((await process.call('handler', family)).ok).toBe(true);
  return process
    .output()
    .slice(before)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, any>);
}

/** A record's shape: its keys, and its EMF declaration (values and times vary). */
const shape = (record: Record<string, any>) => ({
  keys: Object.keys(record).sort(),
  metrics: record._aws?.CloudWatchMetrics,
});

describe('what-if builds', () => {
  it('the hand-built telemetry writes what Powertools writes for the broker: one EMF line per request, same shape', async () => {
    const broker = join(work, 'broker', 'index.mjs');
    await build({ ...SHIPPED_ESBUILD_OPTIONS, entryPoints: [join(process.cwd(), 'lambda/handler.ts')], outfile: broker });
    const handBuilt = await whatIfBundle('handBuiltTelemetry', join(work, 'hand-built'));

    const expected = await linesOf(broker, 3);
    const actual = await linesOf(handBuilt.path, 3);
    expect(expected).toHaveLength(3);
    expect(actual).toHaveLength(3);
    expect(actual.map(shape)).toEqual(expected.map(shape));
    expect(expected[0]).toMatchObject({ level: 'INFO', message: 'request completed', route: 'POST /token', outcome: 'Success', Requests: 1 });
    expect(actual[0]).toMatchObject({ level: 'INFO', message: 'request completed', route: 'POST /token', outcome: 'Success', Requests: 1 });
  }, 120_000);

  it('the build without the front door and token handler answers POST /token as the broker does', async () => {
    const withoutFrontDoor = await whatIfBundle('withoutFrontDoor', join(work, 'without-front-door'));
    const [line] = await linesOf(withoutFrontDoor.path, 1);
    expect(line).toMatchObject({ route: 'POST /token', outcome: 'Success', status: 200 });
  }, 120_000);
});
