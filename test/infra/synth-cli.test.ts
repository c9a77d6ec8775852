// `cdk synth` as a deployer runs it: the real CDK CLI in a child process, with context on the command
// line. Mistakes end the synthesis with status 1 and one list naming every context key at fault, and
// no stack trace; a harmless form is normalised with a warning; no allowed origin is a warning.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENV } from '../../lambda/core/config.js';
import { ROOT } from './synth.js';

const CDK = join(ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk');
const STACK_TRACE_LINE = /^\s+at .+[(:]\d+/m;

interface Run {
  readonly status: number | null;
  readonly output: string;
  readonly outdir: string;
}

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function cdkSynth(context: Record<string, string>): Promise<Run> {
  const outdir = mkdtempSync(join(tmpdir(), 'token-broker-cli-'));
  outdirs.push(outdir);
  const args = [CDK, 'synth', '--quiet', '--no-notices', '--output', outdir];
  for (const [key, value] of Object.entries(context)) args.push('--context', `${key}=${value}`);
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    // cdk.json runs the app with `npx tsx`: the project's own binaries (and Node 24) first.
    env: { ...process.env, PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`, CDK_DISABLE_CLI_TELEMETRY: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, output, outdir })));
}

function functionEnvironment(outdir: string): Record<string, string> {
  const template = JSON.parse(readFileSync(join(outdir, 'TokenBroker.template.json'), 'utf8')) as {
    Resources: Record<string, { Type: string; Properties: { Description?: string; Environment?: { Variables: Record<string, string> } } }>;
  };
  const fn = Object.values(template.Resources).find(
    (resource) => resource.Type === 'AWS::Lambda::Function' && resource.Properties.Description === 'SSO OIDC token broker',
  );
  return fn!.Properties.Environment!.Variables;
}

it('exits 1 listing every bad context key by name, with what would be accepted, and no stack trace', async () => {
  const run = await cdkSynth({
    allowedOrigins: 'https://app.example.com/, https://admin.example.com/console',
    redirectUris: 'https://app.example.com/callback#done',
    oidcRegion: 'Europe',
  });
  expect(run.status).toBe(1);
  expect(run.output).toContain('Invalid CDK context for the token broker (3 problems');
  expect(run.output).toMatch(/- allowedOrigins: "https:\/\/admin\.example\.com\/console" has a path.*scheme:\/\/host\[:port\].*here perhaps https:\/\/admin\.example\.com/);
  expect(run.output).toMatch(/- redirectUris: "https:\/\/app\.example\.com\/callback#done" has a fragment/);
  expect(run.output).toMatch(/- oidcRegion: "Europe" is not an AWS region name; give one such as eu-west-1/);
  // The good origin with a trailing slash is not a problem, only normalised.
  expect(run.output).toMatch(/Accepted after normalising:\n\s+- allowedOrigins: "https:\/\/app\.example\.com\/" is read as "https:\/\/app\.example\.com"/);
  // Named as the user typed them, not by the function's variables.
  expect(run.output).not.toContain(ENV.allowedOrigins);
  expect(run.output).not.toMatch(STACK_TRACE_LINE);
}, 120_000);

it('normalises an origin with a trailing slash, with a warning, and synthesizes', async () => {
  const run = await cdkSynth({ allowedOrigins: 'https://App.Example.com/' });
  expect(run.status).toBe(0);
  expect(run.output).toMatch(/allowedOrigins: "https:\/\/App\.Example\.com\/" is read as "https:\/\/app\.example\.com"/);
  expect(run.output).not.toMatch(/allowedOrigins is empty/);
  expect(functionEnvironment(run.outdir)[ENV.allowedOrigins]).toBe('https://app.example.com');
}, 120_000);

it('warns, and still synthesizes, when no browser origin is allowed', async () => {
  const run = await cdkSynth({ redirectUris: 'https://app.example.com/callback' });
  expect(run.status).toBe(0);
  expect(run.output).toMatch(/WARNING allowedOrigins is empty: every browser request .* refused with 403 ForbiddenOriginException/);
  expect(run.output).toContain('token-broker:no-allowed-origins');
  expect(functionEnvironment(run.outdir)[ENV.allowedOrigins]).toBeUndefined();
}, 120_000);
