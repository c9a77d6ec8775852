// examples/openid-client/server.ts against `npm start`'s standard OAuth front door: a BFF built on
// openid-client discovers the broker, signs a user in (code + PKCE, state and iss checked by the
// library), keeps the tokens server-side and refreshes.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOidcBff } from '../../examples/openid-client/server.js';
import { startBroker, type BrokerProcess } from '../helpers/broker-process.js';
import { signInAtEmulator } from './support.js';

let broker: BrokerProcess;
let server: http.Server;
let appUrl: string;

beforeAll(async () => {
  server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  broker = await startBroker({ TOKEN_BROKER_REDIRECT_URIS: `${appUrl}/callback` }, { demo: true });
  server.on('request', await createOidcBff({ issuer: broker.url, publicUrl: appUrl }));
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await broker?.stop();
});

const get = (url: string | URL, cookie?: string, method = 'GET'): Promise<Response> =>
  fetch(url, { method, redirect: 'manual', headers: cookie === undefined ? {} : { cookie } });

it('signs in through /oauth2/authorize, SSO OIDC and /oauth2/callback, then refreshes, with openid-client', async () => {
  const login = await get(`${appUrl}/login`);
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const authorize = new URL(login.headers.get('location')!);
  expect(`${authorize.origin}${authorize.pathname}`).toBe(`${broker.url}/oauth2/authorize`);
  expect(authorize.searchParams.get('client_id')).toBe('token-broker');

  // The broker sends the browser to SSO OIDC, which sends it back to the broker's callback, which
  // sends it back to the app with the broker's code, the app's state and the issuer (RFC 9207).
  const toSsoOidc = await get(authorize);
  expect(toSsoOidc.status).toBe(302);
  const brokerCallback = await signInAtEmulator(toSsoOidc.headers.get('location')!);
  expect(`${brokerCallback.origin}${brokerCallback.pathname}`).toBe(`${broker.url}/oauth2/callback`);
  const toApp = await get(brokerCallback);
  const appCallback = new URL(toApp.headers.get('location')!);
  expect(`${appCallback.origin}${appCallback.pathname}`).toBe(`${appUrl}/callback`);
  expect(appCallback.searchParams.get('iss')).toBe(broker.url);

  const back = await get(appCallback, cookie);
  expect([back.status, back.headers.get('location')]).toEqual([302, '/me']);
  const me = await get(`${appUrl}/me`, cookie);
  expect([me.status, await me.json()]).toEqual([200, { signedIn: true, expiresIn: 3600, canRefresh: true }]);

  const refreshed = await get(`${appUrl}/refresh`, cookie, 'POST');
  expect([refreshed.status, await refreshed.json()]).toEqual([200, { refreshed: true, expiresIn: 3600 }]);
  const routes = broker.logs().filter((log) => log['route'] === 'POST /oauth2/token').map((log) => `${log['grantType']} ${log['status']}`);
  expect(routes).toEqual(['authorization_code 200', 'refresh_token 200']);
});
