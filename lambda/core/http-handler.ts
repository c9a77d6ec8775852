// The HTTP handler under both SDK clients (SSO OIDC and Secrets Manager): the SDK's own
// NodeHttpHandler, with three things it lacks.
//  - Pooled (keep-alive) connections are checked before reuse: one that the server has closed, or
//    that sat idle longer than IDLE_LIMIT_MS (servers close idle connections; a Lambda environment
//    thawed after a pause holds connections the server closed long ago), is not written to.
//  - One retry, on a new connection, only when the failure proves the request never left: it was
//    given a reused connection, not one byte of an answer came back, and either writing it failed
//    (the operating system refused the write: ECONNRESET/EPIPE from `write`) or the connection was
//    closed before the request was flushed to it. Any other failure (a reset or close after the
//    whole request was written, a new connection, any byte of an answer) is answered 502, never
//    retried: a server may read a request, act on it (spend a single-use code, rotate a refresh
//    token) and then reset the connection, and a replay would then be refused as invalid_grant.
//  - Answers are read up to a limit and refused past it without reading the rest.

import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { Transform, type Readable } from 'node:stream';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * Connections idle longer than this are closed instead of reused. Servers close idle keep-alive
 * connections after a time of their own (60 s is the usual default of AWS load balancers; SSO OIDC
 * publishes none), and a request written in the instant they do is lost: staying well below it makes
 * that race rare. A new connection costs one TLS handshake, and only after a pause.
 */
const IDLE_LIMIT_MS = 30_000;

/** An answer larger than its limit: the rest of it is never read. */
export class AnswerTooLarge extends Error {
  constructor(readonly limitBytes: number) {
    super(`answer larger than ${limitBytes} bytes`);
    this.name = 'AnswerTooLarge';
  }
}

interface BrokerHttpHandlerOptions {
  /** Time to open a connection. */
  readonly connectionTimeoutMs: number;
  /** Time the socket may stay silent while a request is under way. */
  readonly requestTimeoutMs: number;
  /** Largest answer body read; a larger one fails with AnswerTooLarge. */
  readonly maxAnswerBytes: number;
  /** Connections idle longer than this are not reused. Default IDLE_LIMIT_MS. */
  readonly idleLimitMs?: number;
}

type Handle = NodeHttpHandler['handle'];

/** Errors of requests that provably never left (see the file comment). */
const unsent = new WeakSet<object>();

/** True when `error` is one of a request that provably never left. */
const neverLeft = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && unsent.has(error);

/** The parts of node:http's Agent this file uses that its types leave out. */
interface AgentInternals {
  addRequest(request: http.ClientRequest, options: http.RequestOptions): void;
  getName(options: http.RequestOptions): string;
  readonly freeSockets: NodeJS.ReadOnlyDict<Socket[]>;
}

const idleSince = new WeakMap<Socket, number>();

/** A keep-alive agent that checks a pooled connection before reusing it and marks requests that never left. */
function brokerAgent<T extends http.Agent>(agent: T, idleLimitMs: number = IDLE_LIMIT_MS): T {
  const internals = agent as unknown as AgentInternals;
  const addRequest = internals.addRequest.bind(agent);
  agent.on('free', (socket: Socket) => idleSince.set(socket, Date.now()));
  const stale = (socket: Socket): boolean =>
    socket.destroyed ||
    !socket.writable ||
    socket.readableEnded ||
    Date.now() - (idleSince.get(socket) ?? Number.NEGATIVE_INFINITY) >= idleLimitMs;
  internals.addRequest = (request, options) => {
    watch(request);
    if (!(internals.freeSockets[internals.getName(options)]?.length ?? 0)) {
      addRequest(request, options);
      return;
    }
    // One turn of the event loop first: a close the server sent while the connection sat in the pool
    // (or while Lambda was frozen) is then processed, and the connection is no longer writable.
    setImmediate(() => {
      dropFreeSockets(agent, stale);
      addRequest(request, options);
    });
  };
  return agent;
}

/** Takes matching idle connections out of the pool (at once, not when their close event comes) and closes them. */
function dropFreeSockets(agent: http.Agent, matches: (socket: Socket) => boolean = () => true): void {
  const pools = (agent as unknown as AgentInternals).freeSockets as Record<string, Socket[] | undefined>;
  for (const [name, pool] of Object.entries(pools)) {
    if (pool === undefined) continue;
    const dropped = pool.filter(matches);
    if (dropped.length === 0) continue;
    const kept = pool.filter((socket) => !matches(socket));
    if (kept.length === 0) delete pools[name];
    else pools[name] = kept;
    for (const socket of dropped) socket.destroy();
  }
}

/** How a closed connection fails a request: a reset (or a write to a reset connection), or Node's "socket hang up". */
const CLOSED_CODES = new Set(['ECONNRESET', 'EPIPE']);

/** Marks the request's error when the request provably never left (see the file comment). */
function watch(request: http.ClientRequest): void {
  let reused = false;
  let socket: Socket | undefined;
  let bytesReadBefore = 0;
  // 'finish': the whole request was handed to the operating system (the write callback of its
  // last chunk ran). From then on the server may have it, whatever happens to the connection.
  let flushed = false;
  request.once('socket', (assigned: Socket) => {
    socket = assigned;
    reused = request.reusedSocket;
    bytesReadBefore = assigned.bytesRead;
  });
  request.once('finish', () => (flushed = true));
  request.once('error', (error: NodeJS.ErrnoException) => {
    if (!reused || socket === undefined || socket.bytesRead !== bytesReadBefore || !CLOSED_CODES.has(String(error.code))) return;
    // The write itself failed: the operating system took none of its last chunk, so the server
    // cannot hold the whole request.
    const writeFailed = error.syscall === 'write';
    if (writeFailed || !flushed) unsent.add(error);
  });
}

/** Reads `body` up to `limitBytes`; past that it fails with AnswerTooLarge and the connection is closed. */
export function capAnswer(body: Readable & { headers?: http.IncomingHttpHeaders }, limitBytes: number): Readable {
  // A declared length decides (RFC 9112 section 6.3): over the limit, nothing is read; within it,
  // Node's parser ends the body after exactly that many bytes, so the answer is already bounded and
  // needs no counting stream (one less stream per answer on the warm path). Transfer-Encoding
  // overrides Content-Length (section 6.3, item 3), and Node refuses an answer with both.
  const declared = lengthOf(body.headers);
  if (declared !== undefined && declared > limitBytes) {
    body.destroy();
    const refused = new Transform();
    process.nextTick(() => refused.destroy(new AnswerTooLarge(limitBytes)));
    return refused;
  }
  if (declared !== undefined) return body;
  let seen = 0;
  const capped = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > limitBytes) done(new AnswerTooLarge(limitBytes));
      else done(null, chunk);
    },
  });
  // Closing the source closes its connection: nothing more is read, nothing more is buffered.
  capped.once('error', () => body.destroy());
  body.once('error', (error) => capped.destroy(error));
  body.pipe(capped);
  return capped;
}

/**
 * The whole of an answer body, or its stream's error; `signal` aborting (the call's time running
 * out) ends the read, whatever the HTTP handler still watches once the headers are in. Read with
 * events rather than `for await`: an async iterator over a stream costs a promise and a turn per
 * chunk, and more CPU per answer than the reading itself (docs/performance.md).
 */
export function readBody(body: Readable, signal: AbortSignal): Promise<Buffer> {
  const abort = (): void => {
    body.destroy(new Error('aborted'));
  };
  if (signal.aborted) abort();
  else signal.addEventListener('abort', abort, { once: true });
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    body.on('data', (chunk: Buffer | string) => chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
    body.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    body.once('error', reject);
    // A stream destroyed before its end without an error emits 'close' alone: what `for await` throws then.
    body.once('close', () => {
      if (!body.readableEnded) reject(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    });
  }).finally(() => signal.removeEventListener('abort', abort));
}

/** The answer's Content-Length when it alone delimits the body: a single decimal value and no Transfer-Encoding. */
function lengthOf(headers: http.IncomingHttpHeaders | undefined): number | undefined {
  const value = headers?.['content-length'];
  if (headers === undefined || headers['transfer-encoding'] !== undefined || value === undefined || !/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

/** The handler both SDK clients are built with (their `requestHandler`). */
export function createHttpHandler(options: BrokerHttpHandlerOptions): NodeHttpHandler {
  const idleLimitMs = options.idleLimitMs ?? IDLE_LIMIT_MS;
  // The SDK's defaults (keep-alive, 50 sockets); local emulators and tests use plain http.
  const agents = [
    brokerAgent(new http.Agent({ keepAlive: true, maxSockets: 50 }), idleLimitMs),
    brokerAgent(new https.Agent({ keepAlive: true, maxSockets: 50 }), idleLimitMs),
  ] as const;
  const inner = new NodeHttpHandler({
    connectionTimeout: options.connectionTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    httpAgent: agents[0],
    httpsAgent: agents[1],
  });
  const send = inner.handle.bind(inner);
  const handle: Handle = async (request, handlerOptions) => {
    let result: Awaited<ReturnType<Handle>>;
    try {
      result = await send(request, handlerOptions);
    } catch (error) {
      if (!neverLeft(error) || handlerOptions?.abortSignal?.aborted) throw error;
      // The other idle connections to that server are as old as the one it reset: none is reused.
      for (const agent of agents) dropFreeSockets(agent);
      result = await send(request, handlerOptions);
    }
    const { response } = result;
    response.body = capAnswer(response.body as Readable, options.maxAnswerBytes);
    return result;
  };
  // The SDK calls the handler's other methods (configuration, destroy) on the same object.
  return Object.assign(inner, { handle });
}
