// The demo as a newcomer meets it on their own machine: opened at localhost as well as 127.0.0.1,
// told what to set when opened where it was not set up for, the emulator's pages styled like it with
// no console error, and no stale state left on the page (who signed in, "Ready", the device code).

import type { Browser, BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { launchChromium, openDemo, startDemoBroker, type DemoBroker } from './support.js';

let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Every console error of every page (the demo's and the emulator's), e.g. a missing favicon. */
let consoleErrors: { readonly text: string; readonly url: string; readonly page: string }[];
let pageErrors: string[];
/** Device polls (POSTs of the device_code grant) answered 400: the URL and the answer's `error`. */
let pollAnswers: Promise<{ readonly url: string; readonly error: unknown }>[];
const brokers: DemoBroker[] = [];

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await Promise.all(brokers.map((broker) => broker.stop()));
});

beforeEach(async () => {
  context = await browser.newContext();
  page = await context.newPage();
  consoleErrors = [];
  pageErrors = [];
  pollAnswers = [];
  context.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') consoleErrors.push({ text: message.text(), url: message.location().url, page: message.page()?.url() ?? '?' });
  });
  context.on('response', (response) => {
    const poll = response.request().postData()?.includes('"grantType":"urn:ietf:params:oauth:grant-type:device_code"') ?? false;
    if (response.status() !== 400 || !poll) return;
    const url = response.url();
    pollAnswers.push(response.json().then((body: { error?: unknown }) => ({ url, error: body.error }), () => ({ url, error: undefined })));
  });
  context.on('weberror', (error) => pageErrors.push(String(error.error())));
});

/**
 * The console errors that are problems, judged once the flow is over (whatever order Chromium and
 * Playwright reported things in). A device flow polls until the person approves: RFC 8628 §3.5's
 * authorization_pending and slow_down are 400s, which Chromium reports as failed loads, and how many
 * there are depends on how fast the person approves and how busy the machine is. Each such answer
 * excuses one "status of 400" line for its URL; every other console error (another 400 on the same
 * URL included) and every page error is a problem.
 */
async function problems(): Promise<string[]> {
  const excused = new Map<string, number>();
  for (const { url, error } of await Promise.all(pollAnswers)) {
    if (error === 'authorization_pending' || error === 'slow_down') excused.set(url, (excused.get(url) ?? 0) + 1);
  }
  const found = [...pageErrors];
  for (const { text, url, page: where } of consoleErrors) {
    const left = excused.get(url) ?? 0;
    if (/status of 400/.test(text) && left > 0) excused.set(url, left - 1);
    else found.push(`${where}: ${text}`);
  }
  return found;
}

afterEach(async () => {
  await context?.close();
});

async function demo(env: Record<string, string> = {}): Promise<DemoBroker> {
  const broker = await startDemoBroker({ TOKEN_BROKER_DEMO_DEVICE_INTERVAL_SECONDS: '1', ...env });
  brokers.push(broker);
  return broker;
}

const text = async (selector: string): Promise<string> => (await page.textContent(selector)) ?? '';

let shared: DemoBroker | undefined;
const sharedDemo = async (): Promise<DemoBroker> => (shared ??= await demo());

/**
 * Once the person has approved: polls until the page has the tokens. The page's own schedule may be
 * far off (each slow_down adds 5 s, and a busy machine brings them on), so "Poll now" is clicked and
 * each poll's line awaited, however long it takes: the first poll sent after the approval gets the
 * tokens. A click while a poll is under way does nothing; that poll's line comes all the same.
 */
async function approved(): Promise<void> {
  const lines = page.locator('#poll-log li');
  for (;;) {
    const before = await lines.count();
    const last = (await lines.last().textContent()) ?? '';
    if (last.endsWith('approved: tokens received')) return;
    if (last.endsWith('stopped polling')) throw new Error(`the device flow ended without tokens: ${last}`);
    await page.click('#poll-now');
    await page.waitForFunction((count) => document.querySelectorAll('#poll-log li').length > count, before, { timeout: 0 });
  }
}

describe('the demo on a developer machine', () => {
  it('signs in when opened at localhost instead of 127.0.0.1, with no setting, and no console error on any page', async () => {
    const broker = await sharedDemo();
    const localhost = broker.demoUrl.replace('127.0.0.1', 'localhost');
    expect(localhost).toMatch(/^http:\/\/localhost:\d+$/);
    await openDemo(page, localhost);
    await page.click('#start-sign-in');
    await page.waitForURL((url) => url.pathname === '/authorize');
    // The emulator's page looks like the demo: its primary button in the demo's accent colour.
    expect(await page.$eval('#sign-in', (button) => getComputedStyle(button).backgroundColor)).toBe('rgb(11, 92, 173)');
    await page.click('#sign-in');
    await page.locator('#token-access').waitFor();
    expect(page.url()).toBe(`${localhost}/`);
    expect(await text('#status')).toBe('Signed in.');
    expect(await page.isVisible('#error')).toBe(false);
    expect(await problems()).toEqual([]);
  });

  it('no longer says who signed in once an answer carries no idToken (the refresh)', async () => {
    // The emulator sends an idToken only when asked (SSO OIDC documents none).
    const broker = await demo({ TOKEN_BROKER_DEMO_ID_TOKEN: 'true' });
    await openDemo(page, broker.demoUrl);
    await page.click('#start-sign-in');
    await page.click('#sign-in');
    await page.locator('#token-access').waitFor();
    expect(await page.isVisible('#signed-in-as')).toBe(true);
    await page.click('#refresh');
    await page.waitForFunction(() => document.getElementById('token-grant')?.textContent === 'refresh_token');
    expect(await page.isVisible('#token-id')).toBe(false);
    expect(await page.isVisible('#signed-in-as')).toBe(false);
  });

  it('does not say "Ready" beside a sign-in that did not complete', async () => {
    const broker = await sharedDemo();
    await openDemo(page, `${broker.demoUrl}/callback?code=code-forged&state=forged`);
    expect(await page.isVisible('#error')).toBe(true);
    expect(await text('#status')).toBe('The sign-in did not complete (see below). Click Sign in to try again.');
  });

  it('hides the user code and verification link once the device flow has ended', async () => {
    const broker = await sharedDemo();
    await openDemo(page, broker.demoUrl);
    await page.click('#start-device');
    await page.locator('#device-info').waitFor();
    const userCode = await text('#user-code');
    const link = (await page.getAttribute('#verification-link', 'href'))!;
    // At least one poll answered authorization_pending first (a 400, and Chromium's console line for
    // it), however long the machine takes to get there.
    await page.locator('#poll-log li', { hasText: 'authorization_pending' }).first().waitFor({ timeout: 0 });
    // Approve as the user would on the verification page, in a tab of its own.
    const approval = await context.newPage();
    await approval.goto(link);
    expect(await approval.textContent('body')).toContain(userCode);
    expect(await approval.$eval('#approve', (button) => getComputedStyle(button).backgroundColor)).toBe('rgb(11, 92, 173)');
    await approval.click('#approve');
    await approved();
    expect(await page.isVisible('#device-info')).toBe(false);
    expect(await page.isVisible('#token-access')).toBe(true);
    expect(await problems()).toEqual([]);
    // The 400s were there, and excused one by one.
    expect(consoleErrors.filter(({ text }) => /status of 400/.test(text)).length).toBe(pollAnswers.length);
    expect(pollAnswers.length).toBeGreaterThan(0);
  });

  it('names the variable to set when opened at an origin it was not set up for', async () => {
    // Set up for another origin than the one the page is opened at.
    const broker = await demo({ TOKEN_BROKER_DEMO_ORIGIN: 'http://localhost:1' });
    const served = /demo frontend: \S+ \(served on (http:\/\/\S+)\)/.exec(broker.output())![1]!;
    await openDemo(page, served);
    expect(await text('#status')).toBe(
      `This page is open at ${served}, but the demo is set up for http://localhost:1. Open http://localhost:1, ` +
        `or restart npm start with TOKEN_BROKER_DEMO_ORIGIN=${served}.`,
    );
    expect(await page.isDisabled('#start-sign-in')).toBe(true);
  });
});
