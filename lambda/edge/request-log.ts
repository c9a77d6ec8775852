// The request's one log line and metrics (core/telemetry.ts), after its answer is written: the route
// (and the path, where the route's key does not say it), the status, the vocabulary's error type and
// the audit record. Never a header, body or cookie.

import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { newAudit } from '../core/audit.js';
import type { BrokerConfig } from '../core/config.js';
import type { BrokerError } from '../core/errors.js';
import { recordRequest } from '../core/telemetry.js';
import { clip } from '../core/validation.js';
import type { HttpResponse } from './responses.js';
import type { BrokerContext } from './routing.js';
import { ROUTE_TABLE, routeIdOf } from './routes.js';

type LoggedRequest = Request<APIGatewayProxyEventV2, unknown, Error, BrokerContext>;

export function requestLog(config: BrokerConfig): MiddlewareObj<APIGatewayProxyEventV2, unknown, Error, BrokerContext> {
  const record = (request: LoggedRequest, error: BrokerError | undefined): void => {
    const status = (request.response as HttpResponse | undefined)?.statusCode ?? error?.status ?? 500;
    request.context.audit ??= newAudit();
    const { routeKey, rawPath } = request.event;
    const id = routeIdOf(routeKey);
    // The path as sent when the route key does not say it (cut short: it is the caller's text).
    const path = id !== undefined && ROUTE_TABLE[id].path === rawPath ? {} : { path: clip(rawPath ?? '', 200) };
    recordRequest(
      request.context.audit,
      { route: routeKey, ...path, status, ...(error === undefined ? {} : { error }), requestId: request.context.awsRequestId, context: request.context },
      config.expiryWarningDays,
    );
  };
  return {
    after: (request) => record(request, undefined),
    // The answers middleware has turned the error into the vocabulary's by now.
    onError: (request) => record(request, request.error as BrokerError),
  };
}
