#!/usr/bin/env node
// `npm run smoke -- --url <base URL> --origin <an allowed origin>` (or `npx token-broker-smoke …` from
// the installed package): checks a deployed broker from outside and prints a table of what passed,
// what failed and what it saw. Exit status 0 when nothing failed (warnings allowed), 1 when a check
// failed, 2 when the command line is wrong. The checks are in scripts/smoke-checks.ts.

import { parseArgs } from 'node:util';
import { DEFAULT_REFUSED_ORIGIN, report, runSmokeChecks } from './smoke-checks.js';

const USAGE = `Usage: token-broker-smoke --url <broker base URL> --origin <an allowed origin> [--refused-origin <origin>] [--timeout <seconds>]

  --url             the broker's base URL: the stack output ApiUrl (or CustomDomainUrl)
  --origin          an origin in the broker's allowedOrigins, such as https://app.example.com
  --refused-origin  an origin the broker must refuse (default ${DEFAULT_REFUSED_ORIGIN})
  --timeout         seconds to wait for each answer (default 10)

It calls GET /client, sends two preflights, a token request from the refused origin, and one refresh
with a made-up token, which SSO OIDC refuses: no user and no real sign-in are involved.`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      url: { type: 'string' },
      origin: { type: 'string' },
      'refused-origin': { type: 'string' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }));
} catch (error) {
  fail((error as Error).message);
}
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const url = values.url as string | undefined;
const origin = values.origin as string | undefined;
if (url === undefined || !URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) fail('--url must be the broker\'s http(s) base URL');
if (origin === undefined || !URL.canParse(origin) || new URL(origin).origin !== origin.replace(/\/$/, '')) {
  fail('--origin must be an origin (scheme://host[:port]) in the broker\'s allowedOrigins');
}
const timeoutSeconds = values.timeout === undefined ? 10 : Number(values.timeout);
if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) fail('--timeout must be a number of seconds');

const results = await runSmokeChecks({
  url,
  origin: new URL(origin).origin,
  ...(typeof values['refused-origin'] === 'string' ? { refusedOrigin: values['refused-origin'] } : {}),
  timeoutMs: timeoutSeconds * 1000,
});
process.stdout.write(`Token broker smoke check of ${url}\n\n${report(results)}\n`);
process.exit(results.some((result) => result.verdict === 'fail') ? 1 : 0);
