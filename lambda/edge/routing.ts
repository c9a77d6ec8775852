// Routing: the request's row of the route table (routes.ts), or 404. API Gateway only invokes the
// function for the routes it was given; this also refuses a preflight for a path no enabled route
// has, so that a browser sees a readable 404 rather than a CORS failure on the request that follows.
// Any OPTIONS request is a preflight, whichever route API Gateway matched it to (a route of method
// ANY matches OPTIONS too, and may be more specific than OPTIONS /{proxy+}).

import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { newAudit, type Audit } from '../core/audit.js';
import type { BrokerConfig } from '../core/config.js';
import { brokerError } from '../core/errors.js';
import type { ReplyContext } from './responses.js';
import { ROUTE_TABLE, routeIdOf, routesForPath, type RouteId } from './routes.js';

export interface BrokerContext extends Context {
  audit: Audit;
  route: RouteId;
  /** A cookie-session route, or the preflight of one: credentialed CORS. */
  credentials: boolean;
  /** For a preflight: the routes of its path (their door, methods and headers). */
  preflightOf: readonly RouteId[];
}

export function routing(routes: readonly RouteId[]): MiddlewareObj<APIGatewayProxyEventV2, unknown, Error, BrokerContext> {
  const enabled = new Set(routes);
  return {
    before({ event, context }) {
      context.audit = newAudit();
      context.preflightOf = [];
      const matched = routeIdOf(event.routeKey);
      const route = event.requestContext?.http?.method === 'OPTIONS' && matched !== undefined ? 'preflight' : matched;
      if (route === 'preflight') {
        context.preflightOf = routesForPath(event.rawPath, routes);
        context.credentials = context.preflightOf.some((id) => ROUTE_TABLE[id].session);
      } else {
        context.credentials = route !== undefined && ROUTE_TABLE[route].session;
      }
      if (route === undefined || !enabled.has(matched!) || (route === 'preflight' && context.preflightOf.length === 0)) {
        throw brokerError('NotFoundException', 'The token broker has no such route.');
      }
      context.route = route;
    },
  };
}

/** What every answer to this request needs: who asked, the configuration, the id to quote. */
export function replyContext(request: Request<APIGatewayProxyEventV2, unknown, Error, BrokerContext>, config: BrokerConfig): ReplyContext {
  return {
    origin: request.event.headers?.origin,
    config,
    requestId: request.context.audit?.upstreamRequestId ?? request.context.awsRequestId,
    credentials: request.context.credentials ?? false,
  };
}
