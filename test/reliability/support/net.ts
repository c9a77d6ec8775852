// Network plumbing for the reliability tests: requests to the spawned broker (fetch, or raw bytes
// through node:http), a port nobody listens on, a TCP forwarder that makes it answer later, the
// broker's log line for one request, and the broker's memory.

import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BrokerProcess } from '../../helpers/broker-process.js';
import { toAnswer, type Answer } from './answers.js';

/** The local adapter names each request's id in this header; the handler logs it as function_request_id. */
export const REQUEST_ID_HEADER = 'apigw-requestid';

/** A POST with a JSON body (or a string as it is), as a server-side caller sends it. */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return toAnswer(response.status, Object.fromEntries(response.headers), await response.text());
}

/** Any method, headers and bytes, exactly as given (fetch would normalise or refuse some of them). */
export async function rawRequest(
  url: string,
  options: { method?: string; headers?: [string, string][]; body?: Buffer },
): Promise<Answer> {
  const target = new URL(url);
  const body = options.body ?? Buffer.alloc(0);
  return new Promise<Answer>((resolve, reject) => {
    const request = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: options.method ?? 'POST',
        // A flat list keeps duplicates and the given case, as a raw client sends them (and then
        // Node adds no Host of its own).
        headers: ['host', target.host, ...(options.headers ?? []).flat(), 'content-length', String(body.length)],
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve(toAnswer(response.statusCode ?? 0, response.headers, Buffer.concat(chunks).toString('utf8'))));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Listens on `port` and pipes every connection to `target`: a refused endpoint coming back. */
export async function forward(port: number, target: string): Promise<{ stop(): Promise<void> }> {
  const { hostname, port: targetPort } = new URL(target);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(targetPort), hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

export type LogLine = Record<string, unknown>;

/**
 * The log line the broker wrote for one request (found by the request id the adapter put in the
 * answer's headers). The line travels through a pipe, so it may arrive just after the answer.
 */
export async function logLineFor(broker: BrokerProcess, answer: Answer): Promise<LogLine> {
  const requestId = answer.headers[REQUEST_ID_HEADER];
  if (requestId === undefined) throw new Error('the answer carries no request id');
  for (let waited = 0; waited < 3000; waited += 10) {
    const line = broker
      .logs()
      .find((l) => l.function_request_id === requestId && (l.message === 'request completed' || l.message === 'request failed'));
    if (line !== undefined) return line;
    await sleep(10);
  }
  throw new Error(`no log line for request ${requestId}`);
}

/** Resident memory of a process in bytes (Linux /proc), or undefined where there is no /proc. */
export function rssBytes(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The live heap of a Node process started with `--inspect=127.0.0.1:0` (its inspector URL is in its
 * output): a full garbage collection first, so that what remains is what the process holds on to.
 */
export async function liveHeapBytes(output: string): Promise<number> {
  const url = /Debugger listening on (ws:\/\/\S+)/.exec(output)?.[1];
  if (url === undefined) throw new Error('the process has no inspector');
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error('cannot reach the inspector')), { once: true });
  });
  let next = 0;
  const call = (method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> =>
    new Promise((resolve) => {
      const id = ++next;
      const onMessage = (event: MessageEvent): void => {
        const message = JSON.parse(String(event.data)) as { id?: number; result?: Record<string, unknown> };
        if (message.id !== id) return;
        socket.removeEventListener('message', onMessage);
        resolve(message.result ?? {});
      };
      socket.addEventListener('message', onMessage);
      socket.send(JSON.stringify({ id, method, params }));
    });
  try {
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    const evaluated = await call('Runtime.evaluate', { expression: 'process.memoryUsage().heapUsed', returnByValue: true });
    return Number((evaluated.result as { value?: unknown } | undefined)?.value);
  } finally {
    // A debugger still attached would keep the process from exiting.
    socket.close();
  }
}
