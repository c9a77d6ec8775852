// An SSO OIDC stand-in that answers whatever the test scripts: any status, raw header lines (Latin-1,
// long, odd), any body, or a body of many megabytes streamed as fast as the client reads it. It
// checks nothing; it counts the requests that reached it and how many bytes of each answer got out.

import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedAnswer {
  readonly status: number;
  /** Header lines as [name, value] pairs, written as given (latin1). */
  readonly headers?: readonly (readonly [string, string])[];
  readonly body?: string;
  /** Streams this many bytes of `fill` after `body` (no Content-Length): an answer far over any limit. */
  readonly streamBytes?: number;
  readonly fill?: string;
}

/** A valid CreateToken answer, served when nothing is scripted. */
export const TOKEN_ANSWER: ScriptedAnswer = {
  status: 200,
  headers: [['Content-Type', 'application/json']],
  body: JSON.stringify({ accessToken: 'aoaScriptedAccessToken0123456789', tokenType: 'Bearer', expiresIn: 3600 }),
};

export class ScriptedUpstream {
  /** Requests that reached the server. */
  calls = 0;
  /** Bytes of the last answer that were written before it ended or the connection closed. */
  lastAnswerBytes = 0;
  readonly #queue: ScriptedAnswer[] = [];
  #answered: Promise<number> = Promise.resolve(0);

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(): Promise<ScriptedUpstream> {
    let upstream: ScriptedUpstream | undefined;
    const server = http.createServer((req, res) => upstream!.serve(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    upstream = new ScriptedUpstream(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return upstream;
  }

  /** The answer to the next request. */
  next(answer: ScriptedAnswer): void {
    this.#queue.push(answer);
  }

  /** Resolves with the bytes written once the last answer has ended or its connection has closed. */
  answered(): Promise<number> {
    return this.#answered;
  }

  private serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.calls += 1;
    const answer = this.#queue.shift() ?? TOKEN_ANSWER;
    let settle: (bytes: number) => void = () => undefined;
    this.#answered = new Promise<number>((resolve) => (settle = resolve));
    req.resume();
    req.on('end', () => {
      const socket = res.socket!;
      const start = socket.bytesWritten;
      res.on('close', () => {
        this.lastAnswerBytes = socket.bytesWritten - start;
        settle(this.lastAnswerBytes);
      });
      res.on('error', () => undefined);
      // Raw header lines: writeHead would refuse some of what a broken upstream may send.
      const head = [`HTTP/1.1 ${answer.status} Scripted`, ...(answer.headers ?? []).map(([name, value]) => `${name}: ${value}`)];
      const body = Buffer.from(answer.body ?? '', 'utf8');
      if (answer.streamBytes === undefined) {
        head.push(`Content-Length: ${body.length}`);
        socket.write(Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'));
        socket.write(body);
        // The response object never wrote: end the exchange as the raw bytes did.
        res.socket?.end();
        return;
      }
      head.push('Connection: close');
      socket.write(Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'));
      socket.write(body);
      const chunk = Buffer.alloc(64 * 1024, answer.fill ?? 'a');
      let left = answer.streamBytes;
      const pump = (): void => {
        while (left > 0 && !socket.destroyed) {
          left -= chunk.length;
          if (!socket.write(chunk)) {
            socket.once('drain', pump);
            return;
          }
        }
        socket.end();
      };
      socket.on('error', () => undefined);
      pump();
    });
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
