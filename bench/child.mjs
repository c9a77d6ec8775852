// A fresh Node process standing in for the Lambda runtime, for the benchmark (bench/*.ts spawns it on
// the project's Node 24). Plain JavaScript on purpose: nothing between the artifact and the runtime
// is compiled or transformed, and the broker and the baseline run in processes of the same shape.
//
//   node child.mjs cold <index.mjs|index.js> <input.json>   load the bundle, invoke `handler` once, report, exit
//   node child.mjs warm <index.mjs|index.js> <input.json>   load the bundle, then serve timed calls over IPC
//
// Times are read with performance.now(), which counts from the process's time origin (its start).
// Upstream calls are observed through Node's built-in http diagnostics channels, without touching
// the bundle: when each request started, when its response arrived, and whether it opened a new
// connection. input.json holds { event, frontDoorEvent, direct }: the API Gateway v2 events (POST
// /token, and POST /oauth2/token for the front door), and the CreateToken input of the warm "direct" arm.

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
/** New connections by kind of request ("secret" or "oidc"). */
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
/**
 * A fresh event and context per invocation, as the runtime makes them, built before the clock starts:
 * the POST /token event, or for the `frontDoor` arm the POST /oauth2/token one.
 */
function nextInvocation(arm) {
  invocations += 1;
  const event = JSON.parse(JSON.stringify(arm === 'frontDoor' ? input.frontDoorEvent : input.event));
  event.requestContext.requestId = `bench-${process.pid}-${invocations}`;
  return { event, context: lambdaContext(event.requestContext.requestId) };
}

/** True when the answer is a token response (the handler's 200 with an access token, or the SDK's output). */
function isToken(result) {
  if (result && typeof result.statusCode === 'number') {
    return result.statusCode === 200 && typeof result.body === 'string' && /"access_?[tT]oken"/.test(result.body);
  }
  return typeof result?.accessToken === 'string';
}

/**
 * Peak RSS of this process in KB. On Linux, getrusage's maxRSS (process.resourceUsage().maxRSS)
 * carries over the parent's RSS through fork and exec, so a child of a 100 MB parent never reports
 * less than 100 MB; /proc's VmHWM belongs to this process's own address space.
 */
/** `n` calls of one arm back to back; the number that did not answer with tokens. */
async function callsBackToBack(n, arm) {
  let failures = 0;
  for (let i = 0; i < n; i += 1) {
    const { event, context } = nextInvocation(arm);
    try {
      if (!isToken(arm === 'direct' ? await createToken(input.direct) : await handler(event, context))) failures += 1;
    } catch {
      failures += 1;
    }
  }
  return failures;
}

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
const { handler, createToken } = bundle.endsWith('.mjs')
  ? await import(pathToFileURL(bundle).href)
  : createRequire(import.meta.url)(bundle);
const imported = performance.now();
const cpuAtImport = cpuMs();

if (mode === 'cold') {
  const { event, context } = nextInvocation();
  let result;
  let error;
  try {
    result = await handler(event, context);
  } catch (caught) {
    error = String(caught?.stack ?? caught);
  }
  const responded = performance.now();
  const cpuAtResponse = cpuMs();
  process.send(
    {
      ok: error === undefined && isToken(result),
      error: error ?? (isToken(result) ? undefined : JSON.stringify(result)?.slice(0, 500)),
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
        // One timed call: the bundle's handler, or a bare SDK CreateToken on the bundle's warm client.
        const { event, context } = nextInvocation(message.arm);
        let ok = false;
        const started = performance.now();
        try {
          ok = isToken(message.arm === 'direct' ? await createToken(input.direct) : await handler(event, context));
        } catch {
          ok = false;
        }
        process.send({ ms: performance.now() - started, ok });
        break;
      }
      case 'calls': {
        // `n` calls back to back (the work-per-request run); only failures and CPU are reported.
        const cpuBefore = cpuMs();
        const failures = await callsBackToBack(message.n, message.arm);
        process.send({ failures, cpuMs: cpuMs() - cpuBefore });
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
        const failures = await callsBackToBack(message.n, message.arm);
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
  process.send({ ready: true, node: process.version, imported, cpuAtImport, hasHandler: typeof handler === 'function', hasCreateToken: typeof createToken === 'function' });
}
