// Plumbing shared by the local emulators: a node:http server on 127.0.0.1 that counts the TCP
// connections it accepts (so tests can prove keep-alive), reads bodies, writes replies and stops
// without waiting for idle keep-alive sockets. Nothing here logs: tests search logs for secrets.

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Answer normally, but only after `ms` milliseconds. */
export interface DelayFault {
  readonly kind: 'delay';
  readonly ms: number;
}

/** Destroy the socket without answering, after the request was read. */
export interface DropFault {
  readonly kind: 'drop';
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export class LocalServer {
  readonly #server: Server;
  readonly #stopping = new AbortController();
  #connections = 0;
  #url = '';

  private constructor(handler: Handler) {
    // A handler that throws must not take the test process down: the caller sees a dropped connection.
    this.#server = createServer((req, res) => void handler(req, res).catch(() => res.destroy()));
    this.#server.on('connection', () => {
      this.#connections += 1;
    });
  }

  static async listen(port: number, handler: Handler): Promise<LocalServer> {
    const local = new LocalServer(handler);
    const server = local.#server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    local.#url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return local;
  }

  get url(): string {
    return this.#url;
  }

  /** TCP connections accepted so far. */
  get connections(): number {
    return this.#connections;
  }

  /** Waits `ms`, or less when the server stops meanwhile, so a pending delay never holds a test open. */
  async delay(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.#stopping.signal }).catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.#stopping.abort();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    // close() alone waits for idle keep-alive sockets to time out.
    this.#server.closeAllConnections();
    await closed;
  }
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The body as a JSON object, or undefined when it is not one. */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Writes a complete answer. Content-Length is computed unless the headers set one on purpose. */
export function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  const hasLength = Object.keys(headers).some((name) => name.toLowerCase() === 'content-length');
  res.writeHead(status, hasLength ? headers : { ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(body);
}

/** An answer as the SSO OIDC emulator's routes (SSO OIDC, its pages, the access portal) return it. */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  json?: Record<string, unknown>;
  html?: string;
}

/** Writes a Reply with a request id, as AWS services do; `extraMembers` are added to a JSON body. */
export function writeReply(res: ServerResponse, reply: Reply, extraMembers?: Record<string, unknown>): void {
  const headers: Record<string, string> = { 'x-amzn-RequestId': randomUUID(), ...reply.headers };
  if (reply.json !== undefined) {
    send(res, reply.status, { ...headers, 'Content-Type': 'application/json' }, JSON.stringify({ ...reply.json, ...extraMembers }));
  } else if (reply.html !== undefined) {
    send(res, reply.status, { ...headers, 'Content-Type': 'text/html; charset=utf-8' }, reply.html);
  } else {
    send(res, reply.status, headers, '');
  }
}

/** What every emulator offers its tests: where it listens, how many connections it took, stop. */
export abstract class HostedEmulator {
  protected constructor(protected readonly host: LocalServer) {}

  get url(): string {
    return this.host.url;
  }

  /** TCP connections accepted so far. */
  get connections(): number {
    return this.host.connections;
  }

  async stop(): Promise<void> {
    await this.host.stop();
  }
}
