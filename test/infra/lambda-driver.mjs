// Runs in a child process on the project's Node, standing in for the Lambda runtime: imports the
// bundle that synthesis wrote (argv[2]) exactly as Lambda would load index.mjs, then invokes its
// `handler` with each event the parent sends over IPC (API Gateway or Secrets Manager rotation
// events alike) and sends back the result. Plain JavaScript on purpose: nothing between the
// artifact and the runtime is compiled or transformed.

import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const [bundle, functionName, memory, timeoutSeconds] = process.argv.slice(2);
const { handler } = await import(pathToFileURL(bundle).href);

function lambdaContext(requestId) {
  const deadline = Date.now() + Number(timeoutSeconds) * 1000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: memory,
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'bundle-test',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

process.on('message', async ({ id, event, op }) => {
  // Which of Node's own modules this process has loaded (the bundle tests look for undici).
  if (op === 'modules') return process.send({ id, result: process.moduleLoadList });
  try {
    // An API Gateway event carries its request id; other events get one, as Lambda gives every invocation.
    const result = await handler(event, lambdaContext(event?.requestContext?.requestId ?? randomUUID()));
    process.send({ id, result });
  } catch (error) {
    process.send({ id, error: String(error?.stack ?? error) });
  }
});
process.send({ ready: true, node: process.version, handlerType: typeof handler });
