// A TCP relay on 127.0.0.1 in front of an upstream (an emulator) that breaks a pooled keep-alive
// connection the way a server or the network can, at a moment the test chooses. It proves the keep-
// alive rule of lambda/core/http-handler.ts: a request is sent again only when it provably never
// left, never when the server may have acted on it.
//
// Reusable for every call the broker sends through createHttpHandler: point the SDK's endpoint
// variable at `relay.url` (AWS_ENDPOINT_URL_SSO_OIDC for CreateToken, AWS_ENDPOINT_URL_SSO for the
// access portal, AWS_ENDPOINT_URL_SECRETS_MANAGER), make one call so that a connection is pooled,
// arm a fault, and make the call under test. The portal and API-proxy cases are added this way.

import net from 'node:net';

/**
 * What happens to the next request that arrives on a connection that has already carried an answer
 * (a pooled connection the broker reuses):
 *  - `reset-after-answer`: the request is passed on whole and the upstream answers it (so it acted on
 *    it: a code spent, a refresh token rotated); the relay then resets the connection instead of
 *    passing on a byte of that answer.
 *  - `reset-on-arrival`: the connection is reset as the request arrives, before a byte of it is passed
 *    on. The broker cannot tell this from the first: its request was written whole either way.
 */
export type RelayFault = 'reset-after-answer' | 'reset-on-arrival';

interface Connection {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
  /** At least one answer byte has gone back on it. */
  answered: boolean;
  /** The client has sent nothing since the last answer bytes: it is waiting in the broker's pool. */
  idle: boolean;
  /** The fault this connection's current request was given. */
  fault: RelayFault | undefined;
}

export class Relay {
  /** Connections the relay reset, whatever the reason. */
  resets = 0;
  /** Connections accepted from the broker. */
  connections = 0;
  #armed: RelayFault | undefined;
  readonly #open = new Set<Connection>();

  private constructor(
    private readonly server: net.Server,
    readonly url: string,
  ) {}

  static async start(target: string): Promise<Relay> {
    const { hostname, port } = new URL(target);
    let relay: Relay | undefined;
    const server = net.createServer((client) => relay!.accept(client, hostname, Number(port)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    relay = new Relay(server, `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
    return relay;
  }

  /** The next request on a pooled connection meets `fault` (once). */
  arm(fault: RelayFault): void {
    this.#armed = fault;
  }

  /** Whether an armed fault is still waiting for its request. */
  get armed(): boolean {
    return this.#armed !== undefined;
  }

  /**
   * The server closes its idle connections now (its idle timer fired): every connection that has
   * carried an answer and waits for the next request is reset, before any request is written on it.
   * Returns how many.
   */
  closeIdle(): number {
    const idle = [...this.#open].filter((connection) => connection.answered && connection.idle);
    for (const connection of idle) this.reset(connection);
    return idle.length;
  }

  private accept(client: net.Socket, host: string, port: number): void {
    this.connections += 1;
    const upstream = net.connect(port, host);
    const connection: Connection = { client, upstream, answered: false, idle: false, fault: undefined };
    this.#open.add(connection);
    for (const socket of [client, upstream]) socket.on('error', () => undefined);
    upstream.on('data', (chunk: Buffer) => {
      if (connection.fault === 'reset-after-answer') {
        // The upstream has read the whole request (it answers): the answer never reaches the broker.
        this.reset(connection);
        return;
      }
      connection.answered = true;
      connection.idle = true;
      client.write(chunk);
    });
    client.on('data', (chunk: Buffer) => {
      if (connection.idle && this.#armed !== undefined) {
        connection.fault = this.#armed;
        this.#armed = undefined;
      }
      connection.idle = false;
      if (connection.fault === 'reset-on-arrival') {
        this.reset(connection);
        return;
      }
      upstream.write(chunk);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('close', () => {
      upstream.destroy();
      this.#open.delete(connection);
    });
    upstream.on('close', () => client.destroy());
  }

  private reset(connection: Connection): void {
    this.resets += 1;
    this.#open.delete(connection);
    connection.client.resetAndDestroy();
    connection.upstream.destroy();
  }

  async stop(): Promise<void> {
    for (const { client, upstream } of this.#open) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
