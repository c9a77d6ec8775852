// Answers: a surface's Answer written as HTTP after the handler, and on any error the one vocabulary
// (core/errors.ts) written in the route's error format. Errors that are not the vocabulary's (a bug,
// a library's) become a generic 500 whose log line holds their name and stack frames only.

import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { BrokerConfig } from '../core/config.js';
import { BrokerError, internalError, invalidRequest } from '../core/errors.js';
import { logger } from '../core/telemetry.js';
import type { Answer } from '../surfaces/answer.js';
import { answerResponse, errorResponse, type HttpResponse } from './responses.js';
import { replyContext, type BrokerContext } from './routing.js';
import { ROUTE_TABLE } from './routes.js';

export function answers(config: BrokerConfig): MiddlewareObj<APIGatewayProxyEventV2, HttpResponse | Answer, Error, BrokerContext> {
  return {
    after(request) {
      request.response = answerResponse(request.response as Answer, replyContext(request, config));
    },
    onError(request) {
      const error = toBrokerError(request.error, request.context);
      // The request log (request-log.ts) reads the vocabulary's error.
      request.error = error;
      const route = request.context.route as BrokerContext['route'] | undefined;
      const format = route === undefined ? 'aws' : ROUTE_TABLE[route].errors;
      request.response = errorResponse(error, format, replyContext(request, config), request.event.headers?.authorization !== undefined);
    },
  };
}

/** Maps anything thrown on the way to the vocabulary. Unexpected errors are logged by name and stack only. */
function toBrokerError(error: unknown, context: BrokerContext): BrokerError {
  if (error instanceof BrokerError) return error;
  const status = (error as { statusCode?: unknown }).statusCode;
  const message = (error as { message?: unknown }).message;
  // @middy/http-json-body-parser's errors (the content type is checked before it, in bodies.ts): 422 for the JSON itself.
  if (status === 422) {
    return message === 'Forbidden key in JSON body'
      ? invalidRequest('The request body contains a forbidden key ("__proto__" or "constructor").')
      : invalidRequest('The request body is not valid JSON.');
  }
  const name = (error as { name?: unknown }).name;
  // The stack repeats the message, which may quote input: only its `at` lines are logged.
  const frames = String((error as { stack?: unknown }).stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .slice(0, 5)
    .join('\n');
  logger(context).error('unexpected error', { errorName: typeof name === 'string' ? name : typeof error, frames });
  return internalError(`unexpected ${typeof name === 'string' ? name : 'error'}`);
}
