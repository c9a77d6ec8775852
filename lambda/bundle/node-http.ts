// Stands in for `node:http` in the bundle (esbuild alias, infra/bundling.ts BUNDLING). An ESM
// import of node:http makes Node build the module's ESM facade, which reads every export, and three
// of them (WebSocket, CloseEvent, MessageEvent) are lazy getters that load undici, Node's fetch:
// about 40-60 ms of a cold start for code the broker never runs (nodejs/node#57649, #59686).
// process.getBuiltinModule (Node >= 22.3) hands over the same module object without the facade.
// The names are those bundled code imports; esbuild fails the build if one is missing here.

const http = process.getBuiltinModule('node:http');

export default http;
export const {
  Agent,
  ClientRequest,
  IncomingMessage,
  METHODS,
  OutgoingMessage,
  STATUS_CODES,
  Server,
  ServerResponse,
  createServer,
  get,
  globalAgent,
  maxHeaderSize,
  request,
  setMaxIdleHTTPParsers,
  validateHeaderName,
  validateHeaderValue,
} = http;
