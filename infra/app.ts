// The CDK app entry (cdk.json runs it with tsx): one env-agnostic TokenBroker stack configured from
// CDK context, checked by cdk-nag. Context mistakes are printed as a list, without a stack trace.

import { ContextError } from './context.js';
import { buildApp } from './stack.js';

try {
  buildApp().app.synth();
} catch (error) {
  if (!(error instanceof ContextError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
