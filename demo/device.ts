// Device authorization: starts one, shows the user code and link, and polls (RFC 8628: wait
// `interval` seconds between polls, and 5 seconds more after every slow_down).

import { callBroker, clearError, showError } from './broker.js';
import { button, clock, element, page, setStatus, setText, withClientId } from './page.js';
import { showTokens, type TokenResponse } from './tokens.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const SLOW_DOWN_STEP_SECONDS = 5;

interface DeviceAuthorization {
  readonly deviceCode: string;
  readonly userCode: string;
  readonly verificationUri: string;
  readonly verificationUriComplete?: string;
  readonly expiresIn: number;
  readonly interval?: number;
}

let device: { deviceCode: string; clientId: string | undefined; intervalSeconds: number; expiresAt: number } | undefined;
let pollTimer: ReturnType<typeof setTimeout> | undefined;
let polling = false;

function logPoll(text: string): void {
  const item = document.createElement('li');
  const time = document.createElement('time');
  time.textContent = clock();
  item.append(time, ` ${text}`);
  element('poll-log').append(item);
}

function stopPolling(): void {
  clearTimeout(pollTimer);
  pollTimer = undefined;
  device = undefined;
  button('poll-now').disabled = true;
  // The user code and link are dead once the flow has ended, whichever way it ended.
  element('device-info').hidden = true;
}

function schedulePoll(): void {
  clearTimeout(pollTimer);
  if (device !== undefined) pollTimer = setTimeout(() => void poll(), device.intervalSeconds * 1000);
}

export async function startDevice(): Promise<void> {
  stopPolling();
  clearError();
  element('poll-log').replaceChildren();
  element('device-info').hidden = true;
  const { config } = page;
  if (config.deviceStartUrl === null) return;
  setStatus('Starting a device authorization…');
  const clientId = page.client?.clientId;
  const answer = await callBroker<DeviceAuthorization>('/device_authorization', {
    ...withClientId(clientId),
    startUrl: config.deviceStartUrl,
  });
  if (!answer.ok) {
    showError(answer.error);
    setStatus('The device authorization could not be started.');
    return;
  }
  const started = answer.body;
  device = {
    deviceCode: started.deviceCode,
    clientId,
    intervalSeconds: started.interval ?? 5,
    expiresAt: Date.now() + started.expiresIn * 1000,
  };
  setText('user-code', started.userCode);
  const link = element<HTMLAnchorElement>('verification-link');
  link.href = started.verificationUriComplete ?? started.verificationUri;
  element('device-info').hidden = false;
  button('poll-now').disabled = false;
  logPoll(`started: user code ${started.userCode}; polling every ${device.intervalSeconds} s`);
  setStatus('Approve the user code on the verification page; this page polls the broker meanwhile.');
  schedulePoll();
}

export async function poll(): Promise<void> {
  if (device === undefined || polling) return;
  clearTimeout(pollTimer);
  if (Date.now() >= device.expiresAt) {
    logPoll('the device code expired: stopped polling');
    stopPolling();
    return;
  }
  polling = true;
  const current = device;
  const answer = await callBroker<TokenResponse>('/token', {
    grantType: DEVICE_GRANT,
    ...withClientId(current.clientId),
    deviceCode: current.deviceCode,
  });
  polling = false;
  if (device !== current) return; // restarted meanwhile

  if (answer.ok) {
    logPoll('approved: tokens received');
    stopPolling();
    showTokens(answer.body, 'device_code', current.clientId);
    setStatus('Signed in with the device code.');
    return;
  }
  const { error } = answer;
  const seen = `${error.status} ${error.type ?? '?'} / ${error.error ?? '?'}`;
  switch (error.error) {
    case 'authorization_pending':
      logPoll(`${seen}: not approved yet; next poll in ${current.intervalSeconds} s`);
      schedulePoll();
      break;
    case 'slow_down':
      current.intervalSeconds += SLOW_DOWN_STEP_SECONDS;
      logPoll(`${seen}: polled too soon; interval raised to ${current.intervalSeconds} s`);
      schedulePoll();
      break;
    default:
      logPoll(`${seen}: stopped polling`);
      stopPolling();
      showError(error);
      setStatus('The device authorization ended with an error.');
  }
}
