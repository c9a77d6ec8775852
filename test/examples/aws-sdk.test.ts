// examples/aws-sdk/device-sign-in.ts, run as a reader runs it against `npm start`: an unmodified
// SSOOIDCClient whose endpoint is the broker signs in with the device grant and refreshes.

import { startBroker, type BrokerProcess } from '../helpers/broker-process.js';
import { approveAtEmulator, runExample } from './support.js';

let broker: BrokerProcess;

beforeAll(async () => {
  broker = await startBroker({ TOKEN_BROKER_DEMO_DEVICE_INTERVAL_SECONDS: '1' }, { demo: true });
});

afterAll(async () => {
  await broker?.stop();
});

it('signs in with the device grant and refreshes through the broker, printing masked tokens only', async () => {
  const example = runExample('examples/aws-sdk/device-sign-in.ts', { BROKER_URL: broker.url });
  try {
    const [, link, userCode] = await example.waitFor(/^Open (\S+) and approve the code ([A-Z]{4}-[A-Z]{4})$/m);
    expect(new URL(link!).searchParams.get('user_code')).toBe(userCode);
    await approveAtEmulator(link!);

    const { code, stderr } = await example.exited;
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = example.stdout().trim().split('\n');
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^Signed in: accessToken aoa\S{3}…, expires in 3600 s, refreshToken aor\S{3}…$/),
      expect.stringMatching(/^Refreshed: accessToken aoa\S{3}…, expires in 3600 s$/),
      'A bad refresh token: InvalidGrantException (invalid_grant: Invalid refresh token provided)',
    ]);
    // It went through the broker: the broker's log has the device grant and the refreshes.
    const grants = broker.logs().filter((log) => log['message'] === 'request completed' || log['message'] === 'request failed').map((log) => `${log['route']} ${log['grantType']} ${log['status']}`);
    expect(grants).toContain('POST /device_authorization device_authorization 200');
    expect(grants).toContain('POST /token device_code 200');
    expect(grants).toContain('POST /token refresh_token 200');
  } finally {
    example.stop();
  }
});
