// The demo as a newcomer meets it on their own machine: opened at localhost as well as 127.0.0.1,
// told what to set when opened where it was not set up for, the emulator's pages styled like it with
// no console error, and no stale state left on the page (who signed in, "Ready", the device code).

import type { Browser, BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { launchChromium, openDemo, startDemoBroker, type DemoBroker } from './support.js';

let browser: Browser;
let context: BrowserContext;
let page: Page;
let problems: string[];
/** URLs that answered a device poll (a POST of the device_code grant) with 400. */
let pendingPolls: Set<string>;
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
  problems = [];
  pendingPolls = new Set();
  // Every console error of every page (the demo's and the emulator's), e.g. a missing favicon.
  context.on('console', (message: ConsoleMessage) => {
    if (message.type() !== 'error') return;
    // A device flow polls until the person approves: RFC 8628 §3.5's authorization_pending and
    // slow_down are 400s, which Chromium reports as failed resource loads. How fast the person
    // approves (or how busy the machine is) decides how many there are. Every other failed load, and
    // every other error, is a problem.
    if (/status of 400/.test(message.text()) && pendingPolls.has(message.location().url)) return;
    problems.push(`${message.page()?.url() ?? '?'}: ${message.text()}`);
  });
  // Synchronous, so the poll is known before Chromium's console line for it (which comes when the
  // load ends, after the response event).
  context.on('response', (response) => {
    const poll = response.request().postData()?.includes('"grantType":"urn:ietf:params:oauth:grant-type:device_code"') ?? false;
    if (response.status() === 400 && poll) pendingPolls.add(response.url());
  });
  context.on('weberror', (error) => problems.push(String(error.error())));
});

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
    expect(problems).toEqual([]);
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
    // Approve as the user would on the verification page, in a tab of its own.
    const approval = await context.newPage();
    await approval.goto(link);
    expect(await approval.textContent('body')).toContain(userCode);
    expect(await approval.$eval('#approve', (button) => getComputedStyle(button).backgroundColor)).toBe('rgb(11, 92, 173)');
    await approval.click('#approve');
    await page.locator('#poll-log li', { hasText: 'approved: tokens received' }).waitFor({ timeout: 15_000 });
    expect(await page.isVisible('#device-info')).toBe(false);
    expect(await page.isVisible('#token-access')).toBe(true);
    expect(problems).toEqual([]);
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
