// Synthesizes the app the way `cdk synth` does (buildApp, cdk.json's feature flags, cdk-nag) into a
// temporary directory, for the infra tests. Bundling with esbuild is skipped unless asked for: the
// template tests do not need the artifact, the bundle test does.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { IConstruct } from 'constructs';
import { buildApp, STACK_NAME, type TokenBrokerStack } from '../../infra/stack.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** cdk.json's context (feature flags), so a test synthesizes the same template as the CLI. */
export const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> })
  .context;

export interface Synthesis {
  readonly app: App;
  readonly stack: TokenBrokerStack;
  readonly assembly: CloudAssembly;
  readonly template: Template;
  /** The template as JSON, for exact comparisons. */
  readonly json: TemplateJson;
  readonly outdir: string;
  /** The logical id CloudFormation will see for a construct (or its default child). */
  logicalId(construct: IConstruct): string;
  dispose(): void;
}

export interface TemplateJson {
  Resources: Record<string, { Type: string; Properties?: Record<string, any>; [key: string]: unknown }>;
  Outputs?: Record<string, { Value: unknown; Description?: string }>;
  [key: string]: unknown;
}

export interface SynthesizeOptions {
  /** Run esbuild and write the function's asset (slower). */
  readonly bundle?: boolean;
  /** Changes the stack before synthesis, as a user's own additions would. */
  readonly before?: (stack: TokenBrokerStack) => void;
}

export function synthesize(context: Record<string, unknown> = {}, options: SynthesizeOptions = {}): Synthesis {
  const outdir = mkdtempSync(join(tmpdir(), 'token-broker-synth-'));
  const app = new App({
    outdir,
    context: {
      ...CDK_JSON_CONTEXT,
      // An empty list of stacks to bundle makes NodejsFunction skip esbuild.
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...context,
    },
  });
  let stack: TokenBrokerStack;
  let assembly: CloudAssembly;
  try {
    stack = buildApp(app).stack;
    options.before?.(stack);
    // Throws on any unacknowledged cdk-nag finding (the plugin buildApp registers).
    assembly = app.synth();
  } catch (error) {
    rmSync(outdir, { recursive: true, force: true });
    throw error;
  }
  const json = assembly.getStackByName(STACK_NAME).template as TemplateJson;
  return {
    app,
    stack,
    assembly,
    json,
    template: Template.fromJSON(json),
    outdir,
    logicalId: (construct) => {
      const element = (construct.node.defaultChild ?? construct) as CfnElement;
      return stack.resolve(element.logicalId) as string;
    },
    dispose: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

/** The resources of one type, by logical id, without CDK's Metadata (construct paths, asset paths). */
export function resourcesOf(json: TemplateJson, type: string): Record<string, Record<string, any>> {
  return Object.fromEntries(
    Object.entries(json.Resources)
      .filter(([, resource]) => resource.Type === type)
      .map(([id, { Metadata: _metadata, ...resource }]) => [id, resource]),
  );
}

/** The only resource of a type (fails when there are none or several). */
export function onlyResource(json: TemplateJson, type: string): { id: string; resource: Record<string, any> } {
  const entries = Object.entries(resourcesOf(json, type));
  if (entries.length !== 1) throw new Error(`expected one ${type}, found ${entries.length}`);
  const [id, resource] = entries[0]!;
  return { id, resource };
}
