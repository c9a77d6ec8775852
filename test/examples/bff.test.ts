// examples/bff/server.ts against `npm start`: a developer's own BFF, its redirect URI configured with
// TOKEN_BROKER_REDIRECT_URIS, signs a user in through the emulator, keeps the tokens server-side (the
// browser holds only an HttpOnly session cookie) and refreshes through the broker's JSON API.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBff } from '../../examples/bff/server.js';
import { startBroker, type BrokerProcess } from '../helpers/broker-process.js';
import { runExample, signInAtEmulator } from './support.js';

let broker: BrokerProcess;
let server: http.Server;
let bffUrl: string;

beforeAll(async () => {
  // The BFF's address first: its redirect URI is what the broker and the emulator are told about.
  server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  bffUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  broker = await startBroker({ TOKEN_BROKER_REDIRECT_URIS: `${bffUrl}/callback` }, { demo: true });
  server.on('request', createBff({ brokerUrl: broker.url, publicUrl: bffUrl }));
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await broker?.stop();
});

/** A request as the browser sends it: with the session cookie, never following redirects itself. */
const browser = (path: string | URL, cookie: string | undefined, method = 'GET'): Promise<Response> =>
  fetch(new URL(path, bffUrl), { method, redirect: 'manual', headers: cookie === undefined ? {} : { cookie } });

it('signs in, keeps the tokens server-side, answers /me, refreshes and logs out', async () => {
  const login = await browser('/login', undefined);
  expect(login.status).toBe(302);
  const setCookie = login.headers.get('set-cookie')!;
  expect(setCookie).toMatch(/^bff_session=[\w-]{32}; HttpOnly; SameSite=Lax; Path=\/$/);
  const cookie = setCookie.split(';')[0]!;
  const authorize = new URL(login.headers.get('location')!);
  expect(authorize.searchParams.get('redirect_uri')).toBe(`${bffUrl}/callback`);
  expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');

  const callback = await signInAtEmulator(authorize.href);
  expect(`${callback.origin}${callback.pathname}`).toBe(`${bffUrl}/callback`);
  const back = await browser(callback, cookie);
  expect([back.status, back.headers.get('location')]).toEqual([302, '/me']);

  const me = await browser('/me', cookie);
  const body = (await me.json()) as Record<string, unknown>;
  expect(me.status).toBe(200);
  expect(body).toEqual({ signedIn: true, expiresInSeconds: expect.any(Number), canRefresh: true });
  expect(body['expiresInSeconds']).toBeGreaterThan(3500);

  const refreshed = await browser('/refresh', cookie, 'POST');
  expect([refreshed.status, await refreshed.json()]).toEqual([200, { refreshed: true, expiresInSeconds: expect.any(Number) }]);
  // Both token calls went to the broker, which named the grants in its log.
  const grants = broker.logs().filter((log) => log['route'] === 'POST /token').map((log) => `${log['grantType']} ${log['status']}`);
  expect(grants).toEqual(['authorization_code 200', 'refresh_token 200']);

  // Another browser (no cookie) is not signed in; after logout this one is not either.
  expect((await browser('/me', undefined)).status).toBe(401);
  expect((await browser('/logout', cookie, 'POST')).status).toBe(204);
  expect((await browser('/me', cookie)).status).toBe(401);
});

it('refuses a callback whose state it did not issue, without calling the broker', async () => {
  const login = await browser('/login', undefined);
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const before = broker.logs().length;
  const forged = await browser('/callback?code=code-forged&state=forged', cookie);
  expect([forged.status, await forged.json()]).toEqual([400, { error: 'state_mismatch' }]);
  // Had the BFF called the broker, its log line would be written before the answer: give the pipe time.
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(broker.logs().length).toBe(before);
});

it('runs as a program, printing where it listens and what to register', async () => {
  const example = runExample('examples/bff/server.ts', { PORT: '0', BROKER_URL: broker.url });
  try {
    const [, url] = await example.waitFor(/^BFF listening on (http:\/\/127\.0\.0\.1:\d+): open \1\/login \(redirect URI \1\/callback, broker (\S+)\)$/m);
    expect(example.stdout()).toContain(`broker ${broker.url})`);
    const me = await fetch(`${url}/me`);
    expect([me.status, await me.json()]).toEqual([401, { signedIn: false }]);
  } finally {
    example.stop();
  }
});
