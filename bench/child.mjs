// A fresh Node process standing in for the Lambda runtime, for the benchmark (bench/*.ts spawns it on
// the project's Node 24). Plain JavaScript on purpose: nothing between the artifact and the runtime
// is compiled or transformed, and the broker and the baseline run in processes of the same shape.
//
//   node child.mjs cold <index.mjs|index.js> <input.json>   load the bundle, invoke `handler` once, report, exit
//   node child.mjs warm <index.mjs|index.js> <input.json>   load the bundle, then serve calls over IPC
//
// Times are read with performance.now(), which counts from the process's time origin (its start).
// Upstream calls are observed through Node's built-in http diagnostics channels, without touching
// the bundle: when each request started, when its response arrived, and whether it opened a new
// connection. input.json (bench/families.ts writes it) holds the cold start's event, and per route
// family the API Gateway v2 event of one request, the direct call it is compared with (an export of
// the direct bundle's `direct` table and its argument), and what a successful answer looks like.

const scriptStart = performance.now();

const { subscribe } = await import('node:diagnostics_channel');
const { readFileSync } = await import('node:fs');
const { pathToFileURL } = await import('node:url');
const { createRequire } = await import('node:module');

const [mode, bundle, inputFile] = process.argv.slice(2);
const input = JSON.parse(readFileSync(inputFile, 'utf8'));

/** Every upstream request: what it was, when it started and got its answer, and whether it reused a connection. */
const requests = [];
const byRequest = new WeakMap();
/** New connections by kind of request ("secret", "oidc" or "other": the access portal, an API). */
const newConnections = { secret: 0, oidc: 0, other: 0 };

function kindOf(request) {
  const target = request.getHeader('x-amz-target');
  if (typeof target === 'string' && target.startsWith('secretsmanager.')) return 'secret';
  if (typeof request.path === 'string' && /^\/(token|device_authorization)\b/.test(request.path)) return 'oidc';
  return 'other';
}

subscribe('http.client.request.start', ({ request }) => {
  const record = { kind: kindOf(request), start: performance.now(), end: undefined, reused: request.reusedSocket === true };
  if (!record.reused) newConnections[record.kind] += 1;
  byRequest.set(request, record);
  // A warm process makes thousands of calls: only the cold start's are kept.
  if (mode === 'cold') requests.push(record);
});
subscribe('http.client.response.finish', ({ request }) => {
  const record = byRequest.get(request);
  if (record !== undefined) record.end = performance.now();
});

function lambdaContext(requestId) {
  const deadline = Date.now() + 25_000;
  const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'token-broker-bench';
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

let invocations = 0;
/** A fresh event and context per invocation, as the runtime makes them, built before the clock starts. */
function nextInvocation(template) {
  invocations += 1;
  const event = JSON.parse(JSON.stringify(template));
  event.requestContext.requestId = `bench-${process.pid}-${invocations}`;
  return { event, context: lambdaContext(event.requestContext.requestId) };
}

/** The text of an answer's body (a proxied API's comes base64-encoded, as API Gateway takes bytes). */
function bodyText(result) {
  if (typeof result.body !== 'string') return undefined;
  return result.isBase64Encoded === true ? Buffer.from(result.body, 'base64').toString('utf8') : result.body;
}

/** A handler's answer is a success when it has the expected status and its body matches the pattern. */
function answered(result, expect) {
  if (result === null || typeof result !== 'object' || result.statusCode !== expect.status) return false;
  if (expect.body === undefined) return true;
  const text = bodyText(result);
  return text !== undefined && new RegExp(expect.body).test(text);
}

/** A direct call's result is a success when it has the expected member (cheap: it is inside the CPU timed). */
function returned(result, expect) {
  return result !== null && typeof result === 'object' && result[expect.direct] !== undefined;
}

/** One call of a family, through the bundle's handler (with `prepared`, an invocation built earlier) or its direct call; true when it succeeded. */
async function callOnce(target, familyName, prepared) {
  const family = input.families[familyName];
  if (family === undefined) throw new Error(`no route family ${familyName} in the input`);
  if (target === 'direct') {
    const { call, input: args } = family.direct;
    if (typeof direct?.[call] !== 'function') throw new Error(`the bundle has no direct call ${call}`);
    const started = performance.now();
    const result = await direct[call](args);
    return { ms: performance.now() - started, ok: returned(result, family.expect) };
  }
  const { event, context } = prepared ?? nextInvocation(family.event);
  const started = performance.now();
  const result = await handler(event, context);
  return { ms: performance.now() - started, ok: answered(result, family.expect) };
}

/** What went wrong, without the error's message (it could quote a request): its name, code and status. */
function describe(error) {
  const status = error?.$metadata?.httpStatusCode;
  return [error?.name ?? typeof error, error?.code, status === undefined ? undefined : `status ${status}`].filter(Boolean).join(' ');
}

/**
 * The invocations of `n` handler calls, built before a run's CPU clock starts (as a single call's
 * event is built before its timer): the runtime's work of making an event is not the handler's.
 */
function prepareCalls(n, target, familyName) {
  const family = input.families[familyName];
  return target === 'handler' && family !== undefined ? Array.from({ length: n }, () => nextInvocation(family.event)) : [];
}

/** `n` calls back to back; the number that did not succeed, and what the first failure was. */
async function callsBackToBack(n, target, family, prepared = []) {
  let failures = 0;
  let firstError;
  for (let i = 0; i < n; i += 1) {
    try {
      if (!(await callOnce(target, family, prepared[i])).ok) {
        failures += 1;
        firstError ??= 'an answer that is not a success';
      }
    } catch (error) {
      failures += 1;
      firstError ??= describe(error);
    }
  }
  return { failures, firstError };
}

/**
 * Peak RSS of this process in KB. On Linux, getrusage's maxRSS (process.resourceUsage().maxRSS)
 * carries over the parent's RSS through fork and exec, so a child of a 100 MB parent never reports
 * less than 100 MB; /proc's VmHWM belongs to this process's own address space.
 */
function peakRssKb() {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match !== null) return Number(match[1]);
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS;
}

function cpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

const importStart = performance.now();
// index.mjs is imported; a CommonJS index.js (the NodejsFunction-defaults baseline) is required, as
// Lambda's runtime loads a .js handler.
const { handler, direct } = bundle.endsWith('.mjs')
  ? await import(pathToFileURL(bundle).href)
  : createRequire(import.meta.url)(bundle);
const imported = performance.now();
const cpuAtImport = cpuMs();

if (mode === 'cold') {
  const { event, context } = nextInvocation(input.cold.event);
  let result;
  let error;
  try {
    result = await handler(event, context);
  } catch (caught) {
    error = String(caught?.stack ?? caught);
  }
  const responded = performance.now();
  const cpuAtResponse = cpuMs();
  const ok = error === undefined && answered(result, input.cold.expect);
  process.send(
    {
      ok,
      error: error ?? (ok ? undefined : JSON.stringify(result)?.slice(0, 500)),
      scriptStart,
      importStart,
      imported,
      responded,
      cpuAtImport,
      cpuAtResponse,
      maxRssKb: peakRssKb(),
      heapUsedBytes: process.memoryUsage().heapUsed,
      requests,
      node: process.version,
    },
    () => process.exit(0),
  );
} else {
  process.on('message', async (message) => {
    switch (message.op) {
      case 'call': {
        // One timed call, timed around the awaited call only (event building is outside the clock).
        let reply;
        try {
          reply = await callOnce(message.target, message.family);
        } catch {
          reply = { ms: Number.NaN, ok: false };
        }
        process.send(reply);
        break;
      }
      case 'calls': {
        // `n` calls back to back (CPU per call, work per request); only failures and CPU are reported.
        const prepared = prepareCalls(message.n, message.target, message.family);
        const cpuBefore = cpuMs();
        const { failures, firstError } = await callsBackToBack(message.n, message.target, message.family, prepared);
        process.send({ failures, cpuMs: cpuMs() - cpuBefore, firstError });
        break;
      }
      case 'stats': {
        const peak = peakRssKb();
        if (message.gc) {
          // A full collection, to tell live memory from garbage V8 had no reason to collect yet.
          const [{ setFlagsFromString }, { runInNewContext }] = await Promise.all([import('node:v8'), import('node:vm')]);
          setFlagsFromString('--expose-gc');
          runInNewContext('gc')();
        }
        const { rss, heapUsed } = process.memoryUsage();
        process.send({ maxRssKb: peak, rssKb: rss / 1024, heapUsedBytes: heapUsed, cpuMs: cpuMs(), newConnections, invocations });
        break;
      }
      case 'profile': {
        // `n` calls back to back under the V8 sampling profiler; the profile is written to `file`.
        const [{ Session }, { writeFileSync }] = await Promise.all([import('node:inspector/promises'), import('node:fs')]);
        const session = new Session();
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: message.intervalUs });
        await session.post('Profiler.start');
        const { failures } = await callsBackToBack(message.n, message.target, message.family);
        const { profile } = await session.post('Profiler.stop');
        session.disconnect();
        writeFileSync(message.file, JSON.stringify(profile));
        process.send({ failures });
        break;
      }
      case 'exit':
        // A normal exit, so that exit-time work (e.g. a --cpu-prof profile) is done.
        process.disconnect();
        process.exit(0);
        break;
      default:
        process.send({ error: `unknown op ${message.op}` });
    }
  });
  process.send({
    ready: true,
    node: process.version,
    imported,
    cpuAtImport,
    hasHandler: typeof handler === 'function',
    directCalls: Object.keys(direct ?? {}).filter((name) => typeof direct[name] === 'function'),
  });
}
