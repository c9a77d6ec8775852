// `npm start` as a newcomer meets it: the banner names every route the configuration enables (the
// adapter's own route table is the judge), the console gets one human line per request, and a
// developer's own redirect URIs and origins work next to the demo's; the demo emulator's token
// sizes and refresh token rotation follow its variables.

import { readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { ROUTES } from '../../lambda/edge/routes.js';
import { post, startBroker, type BrokerProcess } from '../helpers/broker-process.js';
import { pkcePair } from '../helpers/pkce.js';

const brokers: BrokerProcess[] = [];
afterAll(async () => {
  await Promise.all(brokers.map((broker) => broker.stop()));
});

async function start(env: Record<string, string>): Promise<BrokerProcess> {
  const broker = await startBroker(env, { demo: true });
  brokers.push(broker);
  return broker;
}

/** The banner: everything before the first request (nothing has been asked yet when it is read). */
const bannerOf = (broker: BrokerProcess): string => broker.output();

/** True when the adapter serves the route: anything but API Gateway's own 404 for an unknown route. */
async function served(url: string, route: string): Promise<boolean> {
  const [method, path] = route.split(' ') as [string, string];
  const response = await fetch(`${url}${path}`, {
    method,
    ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}),
  });
  const text = await response.text();
  return !(response.status === 404 && text === '{"message":"Not Found"}');
}

describe("npm start's banner", () => {
  it.each([
    ['the demo defaults (all grants)', {}],
    ['no device grant', { TOKEN_BROKER_GRANT_TYPES: 'authorization_code,refresh_token' }],
  ])('names exactly the routes the configuration enables: %s', async (_name, env) => {
    const broker = await start(env);
    const banner = bannerOf(broker);
    const routes = Object.values(ROUTES).filter((route) => !route.startsWith('OPTIONS '));
    const enabled: string[] = [];
    for (const route of routes) if (await served(broker.url, route)) enabled.push(route);
    expect(enabled).toContain('POST /token');
    expect(enabled).toContain('GET /client');
    for (const route of routes) {
      const [method, path] = route.split(' ') as [string, string];
      const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const line = new RegExp(`^  ${method} ${escape(broker.url)}${escape(path)}( |$)`, 'm');
      expect([route, line.test(banner)]).toEqual([route, enabled.includes(route)]);
    }
    expect(banner).toMatch(new RegExp(`^  OPTIONS ${broker.url.replace(/[.]/g, '\\.')}/\\* +CORS preflight`, 'm'));
    // Example commands a newcomer can paste.
    expect(banner).toContain(`curl -s ${broker.url}/client`);
    expect(banner).toContain('TOKEN_BROKER_LOCAL_LOGS=json');
  });
});

describe("npm start's console", () => {
  it('prints one short human line per request by default, never a token, and no JSON or metric lines', async () => {
    const broker = await start({ TOKEN_BROKER_LOCAL_LOGS: 'human' });
    const client = await fetch(`${broker.url}/client`);
    expect(client.status).toBe(200);
    const failed = await post(`${broker.url}/token`, { grantType: 'refresh_token', refreshToken: 'aor-not-a-real-refresh-token' });
    expect(failed.status).toBe(400);

    const lines = await waitForLines(broker, 2);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d GET \/client -> 200 Success$/);
    expect(lines[1]).toMatch(/^\d\d:\d\d:\d\d POST \/token refresh_token -> 400 InvalidGrantException \(upstream 400 in \d+ ms\)$/);
    expect(broker.output()).not.toContain('aor-not-a-real-refresh-token');
    expect(broker.logs()).toEqual([]);
  });

  it('names a refused origin and TOKEN_BROKER_ALLOWED_ORIGINS in the answer and the console line, with the path as sent', async () => {
    const broker = await start({ TOKEN_BROKER_LOCAL_LOGS: 'human' });
    const origin = 'http://localhost:5173';
    const preflight = await fetch(`${broker.url}/token`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    const body = (await preflight.json()) as Record<string, string>;
    expect([preflight.status, preflight.headers.get('access-control-allow-origin')]).toEqual([403, null]);
    expect(body['error_description']).toBe(
      `The origin "${origin}" is not allowed to call the token broker: if it is yours, add it to TOKEN_BROKER_ALLOWED_ORIGINS (scheme, host and port exactly as the browser sends them).`,
    );
    const [line] = await waitForLines(broker, 1);
    expect(line).toMatch(/^\d\d:\d\d:\d\d OPTIONS \/token -> 403 ForbiddenOriginException: origin "http:\/\/localhost:5173" is not in TOKEN_BROKER_ALLOWED_ORIGINS$/);
  });

  it('a refused redirect URI: the page shows the refused value (escaped) and the nearest allowed one', async () => {
    const broker = await start({});
    const allowed = `${broker.demoUrl}/callback`;
    const authorize = new URL(`${broker.url}/oauth2/authorize`);
    // A trailing slash, and markup that must stay text.
    authorize.search = new URLSearchParams({ response_type: 'code', client_id: 'token-broker', redirect_uri: `${allowed}/?a="<b>"` }).toString();
    const page = await fetch(authorize, { redirect: 'manual' });
    const html = await page.text();
    expect([page.status, page.headers.get('content-type')]).toEqual([400, 'text/html; charset=utf-8']);
    expect(html).toContain(`: &#34;${allowed}/?a=&#34;&#60;b&#62;&#34;&#34; (TOKEN_BROKER_REDIRECT_URIS lists exact strings; the nearest allowed one is &#34;${allowed}&#34;).`);
    expect(html).not.toContain('<b>');
  });

  it('prints the error of a refused authorize on its console line, not "Success"', async () => {
    const broker = await start({ TOKEN_BROKER_LOCAL_LOGS: 'human' });
    const page = await fetch(`${broker.url}/oauth2/authorize?response_type=code&client_id=someone-else`, { redirect: 'manual' });
    expect(page.status).toBe(400);
    const [line] = await waitForLines(broker, 1);
    expect(line).toMatch(/^\d\d:\d\d:\d\d GET \/oauth2\/authorize authorize -> 400 InvalidRequestException$/);
  });

  it('prints the Lambda JSON log lines with TOKEN_BROKER_LOCAL_LOGS=json', async () => {
    const broker = await start({ TOKEN_BROKER_LOCAL_LOGS: 'json' });
    await fetch(`${broker.url}/client`);
    const deadline = Date.now() + 5000;
    while (!broker.logs().some((log) => log['message'] === 'request completed') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(broker.logs().find((log) => log['message'] === 'request completed')).toMatchObject({ route: 'GET /client', status: 200 });
  });

  it('refuses an unknown TOKEN_BROKER_LOCAL_LOGS value at start, naming it', async () => {
    await expect(startBroker({ TOKEN_BROKER_LOCAL_LOGS: 'yaml' }, { demo: true })).rejects.toThrow(
      'TOKEN_BROKER_LOCAL_LOGS must be "human" or "json", got "yaml"',
    );
  });
});

/** The request lines printed so far (each starts with a time), once there are `count` of them. */
async function waitForLines(broker: BrokerProcess, count: number): Promise<string[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const lines = broker.output().split('\n').filter((line) => /^\d\d:\d\d:\d\d /.test(line));
    if (lines.length >= count || Date.now() > deadline) return lines;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A base port whose next five ports are free too (each was free a moment ago). */
async function freePortBlock(): Promise<number> {
  for (;;) {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const base = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    if (base + 5 > 65_535) continue;
    const taken: net.Server[] = [];
    let free = true;
    for (const port of [0, 1, 2, 3, 4, 5].map((offset) => base + offset)) {
      const server = net.createServer();
      free = await new Promise<boolean>((resolve) => {
        server.once('error', () => resolve(false));
        server.listen(port, '127.0.0.1', () => resolve(true));
      });
      if (!free) break;
      taken.push(server);
    }
    await Promise.all(taken.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    if (free) return base;
  }
}

describe('the ports, as the README\'s quick start names them', () => {
  it('PORT is the broker\'s, and the demo frontend, the two emulators, the cookie-session demo and its API take the next five', async () => {
    const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('## Try it in the browser'));
    expect(quickStart).toContain(
      '`npm start` listens on `PORT` (3000) and the next five ports: the demo frontend (3001), the SSO\nOIDC emulator (3002), the Secrets Manager emulator (3003), the cookie-session demo (3004) and the\ndemo API it calls through the broker (3005).',
    );
    const base = await freePortBlock();
    const broker = await start({ PORT: String(base) });
    const banner = bannerOf(broker);
    expect(broker.url).toBe(`http://127.0.0.1:${base}`);
    expect(broker.demoUrl).toBe(`http://127.0.0.1:${base + 1}`);
    expect(banner).toContain(`embedded SSO OIDC emulator on http://127.0.0.1:${base + 2}, Secrets Manager emulator on http://127.0.0.1:${base + 3}`);
    expect(banner).toContain(`cookie-session demo: http://127.0.0.1:${base + 4}/`);
    expect(banner).toContain(`calls http://127.0.0.1:${base + 5} through the broker`);
  });
});

describe('local development that forgives', () => {
  const own = { redirectUri: 'http://127.0.0.1:8765/my-app/callback', origin: 'http://127.0.0.1:8765' };

  it("registers a developer's redirect URI with the emulator and allows their origin, next to the demo's", async () => {
    const broker = await start({ TOKEN_BROKER_REDIRECT_URIS: own.redirectUri, TOKEN_BROKER_ALLOWED_ORIGINS: own.origin });
    const banner = bannerOf(broker);
    const emulator = /embedded SSO OIDC emulator on (http:\/\/\S+),/.exec(banner)![1]!;
    const { clientId } = (await (await fetch(`${broker.url}/client`)).json()) as { clientId: string };
    const demoPort = new URL(broker.demoUrl!).port;
    const redirectUris = [own.redirectUri, `${broker.demoUrl}/callback`, `http://localhost:${demoPort}/callback`];

    for (const redirectUri of redirectUris) {
      // The emulator shows its sign-in page (a 400 error page for an unregistered redirect URI).
      const authorize = new URL(`${emulator}/authorize`);
      authorize.search = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: redirectUri, state: 's' }).toString();
      const page = await fetch(authorize);
      expect([redirectUri, page.status]).toEqual([redirectUri, 200]);
      // The broker's allow list takes it: the made-up code reaches SSO OIDC, which says invalid_grant.
      const answer = await post(`${broker.url}/token`, {
        grantType: 'authorization_code', code: 'code-made-up', codeVerifier: 'v'.repeat(43), redirectUri,
      });
      expect([redirectUri, answer.body['error']]).toEqual([redirectUri, 'invalid_grant']);
    }
    for (const origin of [own.origin, broker.demoUrl!, `http://localhost:${demoPort}`]) {
      const preflight = await fetch(`${broker.url}/token`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      expect([origin, preflight.status, preflight.headers.get('access-control-allow-origin')]).toEqual([origin, 204, origin]);
    }
    expect(banner).toContain(`your app: redirect URIs ${own.redirectUri} registered with the emulator; origins ${own.origin} allowed`);
  });

  it('tells a developer on an unregistered redirect URI which variable registers it', async () => {
    const broker = await start({});
    const emulator = /embedded SSO OIDC emulator on (http:\/\/\S+),/.exec(bannerOf(broker))![1]!;
    const { clientId } = (await (await fetch(`${broker.url}/client`)).json()) as { clientId: string };
    const authorize = new URL(`${emulator}/authorize`);
    authorize.search = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: own.redirectUri }).toString();
    const page = await fetch(authorize);
    expect(page.status).toBe(400);
    const html = await page.text();
    expect(html).toContain('redirect_uri is not registered for this client');
    expect(html).toContain('<code>TOKEN_BROKER_REDIRECT_URIS</code>');
  });
});

describe("the demo emulator's token sizes and rotation", () => {
  it('issues the access and refresh token lengths asked for, rotates refresh tokens, and serves the access portal on its URL', async () => {
    const broker = await start({
      TOKEN_BROKER_DEMO_ACCESS_TOKEN_CHARS: '2048',
      TOKEN_BROKER_DEMO_REFRESH_TOKEN_CHARS: '4096',
      TOKEN_BROKER_DEMO_ROTATE_REFRESH_TOKENS: 'true',
    });
    const emulator = /embedded SSO OIDC emulator on (http:\/\/\S+),/.exec(bannerOf(broker))![1]!;
    const { clientId } = (await (await fetch(`${broker.url}/client`)).json()) as { clientId: string };
    const redirectUri = `${broker.demoUrl}/callback`;
    const { verifier, challenge } = pkcePair();
    const form = new URLSearchParams({
      response_type: 'code', client_id: clientId, redirect_uri: redirectUri, state: 's',
      code_challenge: challenge, code_challenge_method: 'S256', decision: 'allow',
    });
    const approved = await fetch(`${emulator}/authorize`, { method: 'POST', body: form, redirect: 'manual' });
    const code = new URL(approved.headers.get('location')!).searchParams.get('code')!;

    const signedIn = await post(`${broker.url}/token`, { grantType: 'authorization_code', code, codeVerifier: verifier, redirectUri });
    const { accessToken, refreshToken } = signedIn.body as { accessToken: string; refreshToken: string };
    expect([signedIn.status, accessToken.length, refreshToken.length]).toEqual([200, 2048, 4096]);
    const accounts = await fetch(`${emulator}/assignment/accounts`, { headers: { 'x-amz-sso_bearer_token': accessToken } });
    expect(accounts.status).toBe(200);

    const refreshed = await post(`${broker.url}/token`, { grantType: 'refresh_token', refreshToken });
    expect([refreshed.status, String(refreshed.body['refreshToken']).length]).toEqual([200, 4096]);
    expect(refreshed.body['refreshToken']).not.toBe(refreshToken);
    // Rotated: the first refresh token was revoked by its use.
    const reused = await post(`${broker.url}/token`, { grantType: 'refresh_token', refreshToken });
    expect([reused.status, reused.body['error']]).toEqual([400, 'invalid_grant']);
  });

  it('refuses a token length out of range at start, naming the variable', async () => {
    await expect(startBroker({ TOKEN_BROKER_DEMO_REFRESH_TOKEN_CHARS: '16' }, { demo: true })).rejects.toThrow(
      'TOKEN_BROKER_DEMO_REFRESH_TOKEN_CHARS must be a whole number from 32 to 1048576, got "16"',
    );
  });
});

describe('the access portal in demo mode', () => {
  it('is on, with a role policy that grants some of the demo user\'s roles and refuses others, and the page is told so', async () => {
    const broker = await start({});
    const banner = bannerOf(broker);
    expect(banner).toContain(`AWS access portal: endpoint ${broker.url}/portal for an SSOClient, boto3 or aws sso --endpoint-url`);
    expect(banner).toContain('  role policy: 111122223333/PowerUserAccess, */ReadOnlyAccess');
    expect(banner).toContain(`aws sso list-accounts --endpoint-url ${broker.url}/portal --region us-east-1 --access-token <accessToken>`);
    const config = (await (await fetch(`${broker.demoUrl}/config.json`)).json()) as { portal: unknown };
    expect(config.portal).toEqual({
      endpoint: `${broker.url}/portal`,
      roles: ['111122223333/PowerUserAccess', '*/ReadOnlyAccess'],
      refused: { accountId: '111122223333', roleName: 'AdministratorAccess' },
    });
  });

  it('TOKEN_BROKER_PORTAL=off turns it off: no route, no banner line, nothing for the page', async () => {
    const broker = await start({ TOKEN_BROKER_PORTAL: 'off' });
    expect(await served(broker.url, ROUTES.portalAccounts)).toBe(false);
    expect(bannerOf(broker)).not.toContain('AWS access portal');
    expect(((await (await fetch(`${broker.demoUrl}/config.json`)).json()) as { portal: unknown }).portal).toBeNull();
  });
});
