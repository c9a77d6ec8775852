// Routing: the request's row of the route table (routes.ts), or 404. API Gateway only invokes the
// function for the routes it was given; this also refuses a preflight for a path no enabled route
// has, so that a browser sees a readable 404 rather than a CORS failure on the request that follows.

import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { newAudit, type Audit } from '../core/audit.js';
import type { BrokerConfig } from '../core/config.js';
import { brokerError } from '../core/errors.js';
import type { ReplyContext } from './responses.js';
import { ROUTE_TABLE, routeIdOf, type Route, type RouteId } from './routes.js';

export interface BrokerContext extends Context {
  audit: Audit;
  route: RouteId;
  /** A cookie-session route, or the preflight of one: credentialed CORS. */
  credentials: boolean;
  /** The preflight of a path whose route takes the portal's bearer header: the header is allowed. */
  bearer: boolean;
}

export function routing(routes: readonly RouteId[]): MiddlewareObj<APIGatewayProxyEventV2, unknown, Error, BrokerContext> {
  const enabled = new Set(routes);
  const paths = new Set<string>(routes.filter((id) => id !== 'preflight').map((id) => ROUTE_TABLE[id].path));
  const sessionPaths = new Set<string>(routes.filter((id) => ROUTE_TABLE[id].session).map((id) => ROUTE_TABLE[id].path));
  const bearerPaths = new Set<string>(routes.filter((id) => (ROUTE_TABLE[id] as Route).bearer === true).map((id) => ROUTE_TABLE[id].path));
  return {
    before({ event, context }) {
      context.audit = newAudit();
      const route = routeIdOf(event.routeKey);
      context.credentials = route === 'preflight' ? sessionPaths.has(event.rawPath) : route !== undefined && ROUTE_TABLE[route].session;
      context.bearer = route === 'preflight' && bearerPaths.has(event.rawPath);
      if (route === undefined || !enabled.has(route) || (route === 'preflight' && !paths.has(event.rawPath))) {
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
    bearer: request.context.bearer ?? false,
  };
}
