// Stands in for `node:process` in the bundle (esbuild alias, infra/substitutes.ts). An ESM import of
// node:process makes Node build the module's ESM facade, which reads every property of `process`,
// and some of them are lazy getters: stdin, stdout and stderr (streams built on first read, stdin
// with readline's helpers) and allowedNodeEnvironmentFlags (parsed from Node's option table). The
// SDK's user-agent code imports `env` and `versions` that way, so every cold start paid for them:
// about 3 % of its instructions (docs/performance.md). process.getBuiltinModule (Node >= 22.3) hands
// over the same object without the facade. The names are those bundled code imports; esbuild fails
// the build if one is missing here.

const process = globalThis.process.getBuiltinModule('node:process');

export default process;
export const { env, versions } = process;
