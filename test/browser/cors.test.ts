// CORS as Chromium enforces it against the broker as `npm start` runs it: the preflight the demo
// page's own token request causes, and a page on an origin that is not on the allow list, which
// must neither read a token answer nor get the broker to call SSO OIDC.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext } from 'playwright-core';
import {
  bodyOf,
  brokerCalls,
  eventually,
  launchChromium,
  preflights,
  recordNetwork,
  settled,
  signIn,
  startDemoBroker,
  type DemoBroker,
} from './support.js';

let broker: DemoBroker;
let browser: Browser;
let context: BrowserContext;
let tokenUrl: string;
let demoOrigin: string;

beforeAll(async () => {
  broker = await startDemoBroker();
  browser = await launchChromium();
  tokenUrl = `${broker.url}/token`;
  demoOrigin = new URL(broker.demoUrl).origin;
});

afterAll(async () => {
  await browser?.close();
  await broker?.stop();
});

// A fresh context per test: its own preflight cache (the broker allows caching for 600 s).
beforeEach(async () => {
  context = await browser.newContext();
});

afterEach(async () => {
  await context?.close();
});

const commaList = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item !== '');

it('answers the preflight of the demo page’s own token request: 204, its origin, the headers it asks for', async () => {
  const page = await context.newPage();
  const { exchanges } = await recordNetwork(context, page);
  await signIn(page, broker.demoUrl);

  const [preflight, ...more] = await settled(() => preflights(exchanges, tokenUrl), 1, 'preflights');
  expect(more).toEqual([]);
  expect(preflight!.method).toBe('OPTIONS');
  expect(preflight!.requestHeaders.origin).toBe(demoOrigin);
  expect(preflight!.requestHeaders['access-control-request-method']).toBe('POST');
  const requested = commaList(preflight!.requestHeaders['access-control-request-headers']);
  expect(requested).toContain('content-type');

  expect(preflight!.status).toBe(204);
  const answer = preflight!.responseHeaders!;
  expect(answer['access-control-allow-origin']).toBe(demoOrigin);
  expect(commaList(answer['access-control-allow-methods'])).toContain('post');
  const allowed = commaList(answer['access-control-allow-headers']);
  expect(requested.filter((header) => !allowed.includes(header))).toEqual([]);

  // GET /client, which the page reads its client id from, is a simple request: no preflight needed.
  const clientUrl = `${broker.url}/client`;
  expect(preflights(exchanges, clientUrl)).toEqual([]);
  const [client] = await settled(() => brokerCalls(exchanges, clientUrl), 1, 'GET /client calls');
  expect(client!.status).toBe(200);
  expect(client!.responseHeaders!['access-control-allow-origin']).toBe(demoOrigin);

  // The request it cleared went through, and its answer is readable by the page.
  const [call] = await settled(() => brokerCalls(exchanges, tokenUrl), 1, 'token calls');
  expect(call!.requestHeaders.origin).toBe(demoOrigin);
  expect(call!.requestHeaders['content-type']).toBe('application/json');
  expect(call!.status).toBe(200);
  expect(call!.responseHeaders!['access-control-allow-origin']).toBe(demoOrigin);
  expect(call!.failure).toBeUndefined();
  expect(call!.sent).toBe(true);
});

describe('a page on an origin that is not allowed', () => {
  let other: http.Server;
  let otherUrl: string;

  beforeAll(async () => {
    other = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><html lang="en"><title>Another origin</title><h1>Not on the allow list</h1></html>');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    other?.closeAllConnections();
    await new Promise((resolve) => other?.close(resolve));
  });

  it('cannot read a token answer, even with a valid refresh token, and the broker refuses it with 403', async () => {
    // A valid refresh token, obtained by the allowed page: only the origin stands in the way.
    const allowedPage = await context.newPage();
    const allowed = await recordNetwork(context, allowedPage);
    await signIn(allowedPage, broker.demoUrl);
    const [signedIn] = await settled(() => brokerCalls(allowed.exchanges, tokenUrl), 1, 'code exchanges');
    const { refreshToken } = (await bodyOf(signedIn!)) as { refreshToken: string };
    const refusalsBefore = broker.logs().filter((line) => line.outcome === 'ForbiddenOriginException').length;

    const page = await context.newPage();
    const { exchanges } = await recordNetwork(context, page);
    await page.goto(otherUrl);
    expect(new URL(page.url()).origin).not.toBe(demoOrigin);
    // Page script on that origin tries what the demo page does (JSON, which needs a preflight), and
    // a "simple" request that needs none, so that it reaches the broker without asking first.
    const outcome = await page.evaluate(
      async ({ url, body }) => {
        const attempt = async (contentType: string): Promise<string> => {
          try {
            const response = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
            return `read ${response.status}: ${await response.text()}`;
          } catch (error) {
            return `rejected: ${String(error)}`;
          }
        };
        return { json: await attempt('application/json'), simple: await attempt('text/plain') };
      },
      { url: tokenUrl, body: JSON.stringify({ grantType: 'refresh_token', refreshToken }) },
    );
    expect(outcome).toEqual({ json: 'rejected: TypeError: Failed to fetch', simple: 'rejected: TypeError: Failed to fetch' });

    const [jsonCall, simpleCall, ...moreCalls] = await settled(() => brokerCalls(exchanges, tokenUrl), 2, 'token calls');
    expect(moreCalls).toEqual([]);
    // A refused answer's status arrives in a report of its own (no responseReceived follows it).
    await eventually(() => simpleCall!.status, 'the refused answer’s status');
    // The JSON request: Chromium asked first, the broker said 403 with no CORS headers, so the POST
    // itself was never sent.
    const [preflight, ...morePreflights] = await settled(() => preflights(exchanges, tokenUrl), 1, 'preflights');
    expect(morePreflights).toEqual([]);
    expect(preflight!.requestHeaders.origin).toBe(new URL(otherUrl).origin);
    expect(preflight!.status).toBe(403);
    expect(preflight!.responseHeaders!['access-control-allow-origin']).toBeUndefined();
    expect(jsonCall!.requestHeaders['content-type']).toBe('application/json');
    expect({ sent: jsonCall!.sent, status: jsonCall!.status, corsError: jsonCall!.corsError }).toEqual({
      sent: false,
      status: undefined,
      corsError: 'PreflightMissingAllowOriginHeader',
    });
    // The simple request reached the broker, which refused it before reading it: 403, and nothing
    // that would let the page read the answer.
    expect(simpleCall!.requestHeaders['content-type']).toBe('text/plain');
    expect(simpleCall!.requestHeaders.origin).toBe(new URL(otherUrl).origin);
    expect(simpleCall!.status).toBe(403);
    expect(simpleCall!.responseHeaders!['x-amzn-errortype']).toBe('ForbiddenOriginException');
    expect(simpleCall!.responseHeaders!['access-control-allow-origin']).toBeUndefined();
    expect(simpleCall!.corsError).toBe('MissingAllowOriginHeader');

    // The broker's own record: two refusals, neither of which called SSO OIDC.
    const refusals = await eventually(() => {
      const lines = broker.logs().filter((line) => line.outcome === 'ForbiddenOriginException').slice(refusalsBefore);
      return lines.length >= 2 ? lines : undefined;
    }, 'two ForbiddenOriginException log lines');
    expect(refusals.map(({ route, status, upstreamCalls }) => ({ route, status, upstreamCalls }))).toEqual([
      { route: 'OPTIONS /{proxy+}', status: 403, upstreamCalls: 0 },
      { route: 'POST /token', status: 403, upstreamCalls: 0 },
    ]);

    // The refresh token was never used: the allowed page can still refresh with it.
    await allowedPage.click('#refresh');
    await allowedPage.waitForFunction(() => document.getElementById('token-grant')?.textContent === 'refresh_token');
    const [, refreshed] = await settled(() => brokerCalls(allowed.exchanges, tokenUrl), 2, 'token calls');
    expect(refreshed!.status).toBe(200);
  });
});
