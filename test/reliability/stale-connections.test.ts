// Pooled (keep-alive) connections that the server closed, against the broker as `npm start` runs it.
// A TCP relay on 127.0.0.1 sits in front of each emulator and, when told to, resets a connection that
// has already carried an answer at the moment the next request is written on it, before passing on a
// byte: the server closing an idle connection just as the client reuses it. That request never
// reached the server, so the broker sends it again, once, on a new connection. A request that did
// reach the server and then lost its connection is never sent again (it may have spent a code).

import net from 'node:net';
import { SecretsManagerEmulator } from '../../local/emulators/secrets-manager.js';
import { SsoOidcEmulator } from '../../local/emulators/sso-oidc.js';
import { startBroker, type BrokerProcess } from '../helpers/broker-process.js';
import { pkcePair } from '../helpers/pkce.js';
import { seen } from './support/answers.js';
import { LeakWatch } from './support/leaks.js';
import { logLineFor, postJson } from './support/net.js';

const REDIRECT = 'https://app.example.com/callback';
const SECRET_ID = 'stale/registration';

/** A relay to `target` that can reset reused connections as the next request arrives. */
class IdleClosingRelay {
  /** When true, a connection that already carried an answer is reset when the next request starts. */
  closeIdleOnNextRequest = false;
  /** Connections reset that way. */
  resets = 0;
  readonly #sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly url: string,
  ) {}

  static async start(target: string): Promise<IdleClosingRelay> {
    const { hostname, port } = new URL(target);
    let relay: IdleClosingRelay | undefined;
    const server = net.createServer((client) => relay!.accept(client, hostname, Number(port)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    relay = new IdleClosingRelay(server, `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
    return relay;
  }

  private accept(client: net.Socket, host: string, port: number): void {
    const upstream = net.connect(port, host);
    let answered = false;
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => this.#sockets.delete(socket));
    }
    upstream.on('data', (chunk) => {
      answered = true;
      client.write(chunk);
    });
    client.on('data', (chunk) => {
      if (answered && this.closeIdleOnNextRequest) {
        // The server's idle timer fired just as this request came in: nothing of it is read.
        this.resets += 1;
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const watch = new LeakWatch();
let oidc: SsoOidcEmulator;
let secrets: SecretsManagerEmulator;
let oidcRelay: IdleClosingRelay;
let secretsRelay: IdleClosingRelay;
let broker: BrokerProcess;
let clientId: string;

beforeAll(async () => {
  oidc = await SsoOidcEmulator.start();
  secrets = await SecretsManagerEmulator.start();
  const registration = oidc.registerClient({
    clientName: 'stale-connections',
    clientType: 'public',
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [REDIRECT],
    issuerUrl: oidc.url,
  });
  clientId = registration.clientId;
  watch.remember(registration.clientSecret);
  secrets.putSecret(SECRET_ID, JSON.stringify(registration));
  oidcRelay = await IdleClosingRelay.start(oidc.url);
  secretsRelay = await IdleClosingRelay.start(secrets.url);
  broker = await startBroker({
    AWS_ENDPOINT_URL_SSO_OIDC: oidcRelay.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsRelay.url,
    TOKEN_BROKER_SECRET_ID: SECRET_ID,
    TOKEN_BROKER_REDIRECT_URIS: REDIRECT,
    // Every request reads the secret, so the Secrets Manager client's pool is exercised too.
    TOKEN_BROKER_SECRET_MAX_AGE_SECONDS: '0',
  });
});

afterEach(() => {
  oidcRelay.closeIdleOnNextRequest = false;
  secretsRelay.closeIdleOnNextRequest = false;
});

afterAll(async () => {
  await broker?.stop();
  await oidcRelay?.stop();
  await secretsRelay?.stop();
  await oidc?.stop();
  await secrets?.stop();
});

async function exchange(label: string) {
  const { verifier, challenge } = pkcePair();
  const code = oidc.authorize({ clientId, redirectUri: REDIRECT, codeChallenge: challenge });
  watch.remember(code, verifier);
  return seen(watch, label, await postJson(`${broker.url}/token`, { grantType: 'authorization_code', code, codeVerifier: verifier, redirectUri: REDIRECT }));
}

describe('a pooled connection the server closed as the next request was written', () => {
  it('SSO OIDC: the request is sent again on a new connection: 200, and SSO OIDC saw it once', async () => {
    expect((await exchange('warm-up')).status).toBe(200);
    oidcRelay.closeIdleOnNextRequest = true;
    const calls = oidc.callCount('/token');
    const connections = oidc.connections;

    const answer = await exchange('after the idle close');
    expect(answer.status).toBe(200);
    expect(oidcRelay.resets).toBe(1);
    expect(oidc.callCount('/token') - calls).toBe(1);
    expect(oidc.connections - connections).toBe(1);
    const line = await logLineFor(broker, answer);
    expect([line.status, line.upstreamCalls, line.upstreamStatus]).toEqual([200, 1, 200]);
  });

  it('Secrets Manager: the read is sent again on a new connection: 200', async () => {
    expect((await exchange('warm-up (secrets)')).status).toBe(200);
    secretsRelay.closeIdleOnNextRequest = true;
    const reads = secrets.callCount('GetSecretValue');

    const answer = await exchange('after the idle close (secrets)');
    expect(answer.status).toBe(200);
    expect(secretsRelay.resets).toBe(1);
    expect(secrets.callCount('GetSecretValue') - reads).toBe(1);
  });

  it('a request that reached SSO OIDC and then lost its connection is not sent again: 502, one call', async () => {
    expect((await exchange('warm-up (drop)')).status).toBe(200);
    const calls = oidc.callCount('/token');
    // On the pooled connection: SSO OIDC reads the request, then closes without answering.
    oidc.injectFault({ kind: 'drop' });
    const dropped = await exchange('dropped after reading');
    expect([dropped.status, dropped.body.__type]).toEqual([502, 'BadGatewayException']);
    expect(oidc.callCount('/token') - calls).toBe(1);

    // Cut mid-answer on a pooled connection: some bytes came back, so it is not sent again either.
    expect((await exchange('warm-up (truncate)')).status).toBe(200);
    const before = oidc.callCount('/token');
    oidc.injectFault({ kind: 'truncate', status: 200, headers: { 'Content-Type': 'application/json' }, body: '{"accessToken":"aoaTruncated0123456789","expiresIn":3600}', bytes: 10 });
    expect((await exchange('cut mid-answer')).status).toBe(502);
    expect(oidc.callCount('/token') - before).toBe(1);
  });

  it('no secret, code or verifier reached a log or another answer', () => {
    expect(watch.findIn(broker.output())).toEqual([]);
    expect(watch.leakingAnswers()).toEqual([]);
  });
});
