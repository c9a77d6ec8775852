// SSO OIDC on the wire, in process, for the unit tests of the grants: an HTTP handler that answers the
// broker's rest-json calls (lambda/core/rest-json.ts) with scripted answers, and records what each
// call sent. The broker's own code runs whole (the request it builds, the answer it reads, the error
// it maps); only the network is left out. The emulator suites (local/emulators) run the same code
// over real HTTP.

import { Readable } from 'node:stream';
import type { BrokerConfig } from '../../../lambda/core/config.js';
import { oidcCaller } from '../../../lambda/core/upstream.js';

export type Operation = 'CreateToken' | 'StartDeviceAuthorization';

/** An answer on the wire: its status, headers and JSON body (or a text, sent as it is). */
export interface WireAnswer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** A 200 with `body`, and a request id when given. */
export const success = (body: object, requestId?: string): WireAnswer => ({
  status: 200,
  headers: requestId === undefined ? {} : { 'x-amzn-requestid': requestId },
  body,
});

/** An error answer as SSO OIDC writes one: its type in x-amzn-ErrorType (with the service's suffix), its members in the body. */
export const failure = (status: number, type: string, members: Readonly<Record<string, unknown>> = {}, requestId?: string): WireAnswer => ({
  status,
  headers: {
    'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.aws.sso.oidc/`,
    ...(requestId === undefined ? {} : { 'x-amzn-requestid': requestId }),
  },
  body: members,
});

const OPERATIONS: Readonly<Record<string, Operation>> = { '/token': 'CreateToken', '/device_authorization': 'StartDeviceAuthorization' };

type Reply = (input: Record<string, unknown>) => Promise<WireAnswer> | WireAnswer;

/**
 * A scripted SSO OIDC. `on(operation)` sets its answers (`answers` for every call, `answersOnce` for
 * the next one); `inputs(operation)` is what each call sent, the registration included; `calls()` all.
 */
export function fakeOidc(config: Pick<BrokerConfig, 'oidcRegion' | 'oidcEndpoint' | 'upstreamTimeoutMs'>) {
  const sent: { operation: Operation; input: Record<string, unknown> }[] = [];
  const once = new Map<Operation, Reply[]>();
  const always = new Map<Operation, Reply>();
  const handler = {
    async handle(request: { path: string; body?: unknown; headers: Record<string, string> }) {
      const operation = OPERATIONS[new URL(request.path, 'http://x').pathname];
      if (operation === undefined) throw new Error(`no such SSO OIDC path: ${request.path}`);
      if (request.headers['content-type'] !== 'application/json') throw new Error('not sent as application/json');
      const input = JSON.parse(String(request.body)) as Record<string, unknown>;
      sent.push({ operation, input });
      const reply = once.get(operation)?.shift() ?? always.get(operation);
      if (reply === undefined) throw new Error(`no answer scripted for ${operation}`);
      const answer = await reply(input);
      const text = typeof answer.body === 'string' ? answer.body : answer.body === undefined ? '' : JSON.stringify(answer.body);
      const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...answer.headers };
      return { response: { statusCode: answer.status, headers, body: Readable.from([Buffer.from(text)]) } };
    },
  };
  const toReply = (answer: WireAnswer | Reply): Reply => (typeof answer === 'function' ? answer : () => answer);
  return {
    /** The broker's calls to this SSO OIDC (createUpstream's second argument). */
    call: oidcCaller(config, handler as never),
    on(operation: Operation) {
      const script = {
        answers(answer: WireAnswer | Reply) {
          always.set(operation, toReply(answer));
          return script;
        },
        answersOnce(answer: WireAnswer | Reply) {
          once.set(operation, [...(once.get(operation) ?? []), toReply(answer)]);
          return script;
        },
      };
      return script;
    },
    inputs: (operation: Operation) => sent.filter((call) => call.operation === operation).map((call) => call.input),
    calls: () => [...sent],
  };
}
