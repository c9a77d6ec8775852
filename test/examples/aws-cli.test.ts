// The README's AWS CLI lines, run as a reader pastes them into bash against `npm start`: Debian's
// `awscli` (by its absolute path: a machine may have another `aws` first on its PATH), with empty
// configuration and credentials files, so that nothing on this machine leaks in. Only the broker's
// URL is changed (the test's broker listens on a free port, not 3000).

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startBroker, type BrokerProcess } from '../helpers/broker-process.js';
import { approveAtEmulator, ROOT } from './support.js';

const AWS_CLI = '/usr/bin/aws';
const README_BROKER = 'http://127.0.0.1:3000';

/** The README's shell block that runs the AWS CLI. */
function readmeCliLines(): string {
  const blocks = [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
  const cli = blocks.filter((block) => /\baws sso-oidc\b/.test(block));
  if (cli.length !== 1) throw new Error(`expected one README shell block with "aws sso-oidc", found ${cli.length}`);
  return cli[0]!;
}

let broker: BrokerProcess;
let home: string;

beforeAll(async () => {
  broker = await startBroker({ TOKEN_BROKER_DEMO_DEVICE_INTERVAL_SECONDS: '1' }, { demo: true });
  home = mkdtempSync(join(tmpdir(), 'aws-cli-'));
});

afterAll(async () => {
  await broker?.stop();
  rmSync(home, { recursive: true, force: true });
});

it('the README\'s AWS CLI lines sign in with the device grant through the broker, as written', async () => {
  expect(existsSync(AWS_CLI)).toBe(true);
  const lines = readmeCliLines();
  expect(lines).toContain(`broker=${README_BROKER}\n`);
  const config = join(home, 'config');
  const credentials = join(home, 'credentials');
  writeFileSync(config, '');
  writeFileSync(credentials, '');
  // The environment of a fresh shell: no AWS_* or proxy variable of this machine, Node on the PATH.
  const env = {
    PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
    HOME: home,
    AWS_CONFIG_FILE: config,
    AWS_SHARED_CREDENTIALS_FILE: credentials,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  const script = `aws() { ${AWS_CLI} "$@"; }\n${lines.replace(`broker=${README_BROKER}`, `broker=${broker.url}`)}`;
  const bash = spawn('/bin/bash', ['-c', script], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  bash.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  bash.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => bash.once('exit', resolve));
  try {
    // The prompt, once the device authorization has started; each line of output is an event, not a timer.
    const prompt = /^Open (\S+) and approve, then press Enter$/m;
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (prompt.test(stdout)) resolve();
      };
      bash.stdout.on('data', check);
      bash.once('exit', () => reject(new Error(`bash exited before the prompt:\n${stdout}\n${stderr}`)));
      check();
    });
    const url = prompt.exec(stdout)![1]!;
    expect(new URL(url).searchParams.get('user_code')).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    await approveAtEmulator(url);
    bash.stdin.end('\n');
    expect({ code: await exited, stderr }).toEqual({ code: 0, stderr: '' });
    const answer = JSON.parse(stdout.slice(stdout.indexOf('\n') + 1)) as Record<string, unknown>;
    expect(answer).toEqual({ accessToken: expect.stringMatching(/^aoa/), tokenType: 'Bearer', expiresIn: 3600, refreshToken: expect.stringMatching(/^aor/) });
    // Both calls went through the broker, with the registration's client.
    const grants = broker
      .logs()
      .filter((log) => log['message'] === 'request completed')
      .map((log) => `${log['route']} ${log['grantType']} ${log['status']}`);
    expect(grants).toEqual(expect.arrayContaining(['GET /client none 200', 'POST /device_authorization device_authorization 200', 'POST /token device_code 200']));
  } finally {
    if (bash.exitCode === null) bash.kill('SIGTERM');
  }
});
