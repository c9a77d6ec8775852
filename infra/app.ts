// The CDK app entry (cdk.json runs it with tsx): one env-agnostic TokenBroker stack configured from
// CDK context, checked by cdk-nag. Mistakes in the context (or in the props they become) are printed
// as one list naming the context keys, without a stack trace, and the synthesis exits with status 1.

import { ContextError } from './context.js';
import { TokenBrokerPropsError } from './props.js';
import { buildApp } from './stack.js';

try {
  buildApp().app.synth();
} catch (error) {
  if (!(error instanceof ContextError || error instanceof TokenBrokerPropsError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
