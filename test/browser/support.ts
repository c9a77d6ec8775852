// Shared by the browser tests: Debian's Chromium driven by playwright-core (which downloads no
// browser), the broker started as `npm start` starts it with no configuration (demo mode: the
// emulators and the demo frontend), and a recorder of what the browser really sent and received.
// Chromium missing is a failure, not a skip: these tests are the only proof of CORS behaviour.

import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { startBroker, type BrokerProcess } from '../helpers/broker-process.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `No Chromium at ${CHROMIUM_PATH}. Install Debian's package (apt-get install chromium; .ci/run does) ` +
        'or point CHROMIUM_PATH at a Chromium binary.',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export type DemoBroker = BrokerProcess & { readonly demoUrl: string };

/** The broker as a newcomer's `npm start` runs it; `env` adds demo-mode knobs only. */
export async function startDemoBroker(env: Record<string, string> = {}): Promise<DemoBroker> {
  const broker = await startBroker(env, { demo: true });
  if (broker.demoUrl === undefined) throw new Error(`no "demo frontend:" line:\n${broker.output()}`);
  return broker as DemoBroker;
}

/** One HTTP exchange as Chromium's network stack saw it, preflights included. */
export interface Exchange {
  readonly method: string;
  readonly url: string;
  /** CDP's resource type: 'Fetch' for fetch(), 'Document' for a navigation. */
  readonly type: string;
  /** True for the CORS preflight Chromium sent on its own before a request. */
  readonly preflight: boolean;
  /** As page script asked; the network stack's own (Origin, Access-Control-Request-*) join them once sent. */
  readonly requestHeaders: Record<string, string>;
  readonly postData: string | undefined;
  /** True once the request went out on the network (a request CORS stopped beforehand never does). */
  sent: boolean;
  status?: number;
  responseHeaders?: Record<string, string>;
  /** Set when the browser failed the request (e.g. "net::ERR_FAILED" for a CORS refusal). */
  failure?: string;
  /** Chromium's reason when CORS failed it, e.g. "MissingAllowOriginHeader", "PreflightMissingAllowOriginHeader". */
  corsError?: string;
  /** The body as the network received it (readable here whatever CORS let page script see). */
  body?: string;
  /** True once Chromium finished or failed the request. */
  done: boolean;
  /** When Chromium started the request: milliseconds on the browser's monotonic clock. */
  readonly startedAt: number;
}

const lower = (headers: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), String(value)]));

/**
 * Records every request a page makes, through a CDP session: Playwright's own request events leave
 * out CORS preflights. (Never call page.route() in these tests: Playwright then answers preflights
 * itself, and the broker's answer would not be what the browser saw.)
 */
export async function recordNetwork(context: BrowserContext, page: Page): Promise<{ exchanges: Exchange[]; cdp: CDPSession }> {
  const cdp = await context.newCDPSession(page);
  const exchanges: Exchange[] = [];
  const byId = new Map<string, Exchange>();
  // The network service's "ExtraInfo" reports (headers as on the wire, and the only report of an
  // answer CORS kept from page script) may arrive before the request they belong to: kept until then.
  const early = new Map<string, ((exchange: Exchange) => void)[]>();
  const withExchange = (requestId: string, apply: (exchange: Exchange) => void): void => {
    const exchange = byId.get(requestId);
    if (exchange !== undefined) apply(exchange);
    else early.set(requestId, [...(early.get(requestId) ?? []), apply]);
  };
  cdp.on('Network.requestWillBeSentExtraInfo', (event) =>
    withExchange(event.requestId, (exchange) => {
      Object.assign(exchange.requestHeaders, lower(event.headers));
      exchange.sent = true;
    }),
  );
  cdp.on('Network.responseReceivedExtraInfo', (event) =>
    withExchange(event.requestId, (exchange) => {
      exchange.status ??= event.statusCode;
      exchange.responseHeaders = { ...lower(event.headers), ...exchange.responseHeaders };
    }),
  );
  cdp.on('Network.requestWillBeSent', (event) => {
    // Chromium reuses the id across a redirect: the redirect's answer closes the previous request.
    const redirected = byId.get(event.requestId);
    if (redirected !== undefined && event.redirectResponse !== undefined) {
      redirected.status = event.redirectResponse.status;
      redirected.responseHeaders = lower(event.redirectResponse.headers);
    }
    const exchange: Exchange = {
      method: event.request.method,
      url: event.request.url,
      type: event.type ?? 'Other',
      preflight: event.initiator.type === 'preflight',
      requestHeaders: lower(event.request.headers),
      postData: event.request.postData,
      sent: false,
      done: false,
      startedAt: event.timestamp * 1000,
    };
    byId.set(event.requestId, exchange);
    for (const apply of early.get(event.requestId) ?? []) apply(exchange);
    early.delete(event.requestId);
    exchanges.push(exchange);
  });
  cdp.on('Network.responseReceived', (event) => {
    const exchange = byId.get(event.requestId);
    if (exchange === undefined) return;
    exchange.status = event.response.status;
    exchange.responseHeaders = lower(event.response.headers);
  });
  cdp.on('Network.loadingFinished', (event) => {
    const exchange = byId.get(event.requestId);
    if (exchange === undefined) return;
    exchange.done = true;
    if (exchange.type !== 'Fetch') return;
    cdp
      .send('Network.getResponseBody', { requestId: event.requestId })
      .then((answer) => (exchange.body = answer.body))
      .catch(() => undefined);
  });
  cdp.on('Network.loadingFailed', (event) => {
    const exchange = byId.get(event.requestId);
    if (exchange === undefined) return;
    exchange.done = true;
    exchange.failure = event.errorText;
    if (event.corsErrorStatus !== undefined) exchange.corsError = event.corsErrorStatus.corsError;
  });
  await cdp.send('Network.enable');
  return { exchanges, cdp };
}

/** The page's calls to one broker route (the actual requests, not their preflights). */
export const brokerCalls = (exchanges: readonly Exchange[], url: string): Exchange[] =>
  exchanges.filter((exchange) => exchange.url === url && !exchange.preflight);

/** The CORS preflights Chromium sent for one URL. */
export const preflights = (exchanges: readonly Exchange[], url: string): Exchange[] =>
  exchanges.filter((exchange) => exchange.url === url && exchange.preflight);

/**
 * Waits until `select` finds at least `count` exchanges and Chromium has finished (or failed) them
 * all: its reports reach this process on their own schedule, after page script may have moved on.
 */
export const settled = (select: () => Exchange[], count: number, what: string): Promise<Exchange[]> =>
  eventually(() => {
    const found = select();
    return found.length >= count && found.every((exchange) => exchange.done) ? found : undefined;
  }, `${count} finished ${what}`);

/** An exchange's response body as JSON, once the network has delivered it. */
export const bodyOf = async (exchange: Exchange): Promise<Record<string, unknown>> =>
  JSON.parse(await eventually(() => exchange.body, `the body of ${exchange.method} ${exchange.url}`)) as Record<string, unknown>;

/** The demo page's masking, restated: the first 6 characters and an ellipsis. */
export const masked = (token: string): string => `${token.slice(0, 6)}…`;

/** Waits until `read` returns a value, polling; for state the page reaches asynchronously. */
export async function eventually<T>(read: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Opens the demo page and waits until it has loaded its configuration. */
export async function openDemo(page: Page, demoUrl: string): Promise<void> {
  await page.goto(demoUrl);
  await page.locator('body[data-ready]').waitFor();
}

/**
 * The whole code + PKCE sign-in as a user does it: Sign in on the demo page, "Sign in as demo user"
 * on the emulator's page, back on /callback the page exchanges the code through the broker.
 */
export async function signIn(page: Page, demoUrl: string): Promise<void> {
  await openDemo(page, demoUrl);
  await page.click('#start-sign-in');
  await page.waitForURL((url) => url.pathname === '/authorize');
  await page.click('#sign-in');
  await page.locator('#token-access').waitFor();
}
