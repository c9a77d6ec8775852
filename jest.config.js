// jest runs the TypeScript sources as native ESM (Middy 7 is ESM-only), transpiled file by file by
// ts-jest (tsconfig's isolatedModules: no type checking here). Type checking is a separate step
// (`npm run typecheck`) that `npm test` runs first.
// Why jest 29 with ts-jest rather than jest 30 or SWC: those pull in native binaries for every
// platform as optional dependencies, which the registry reachable here serves for Linux only, so
// their lockfile entries cannot be written and `npm ci` refuses the lockfile.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }] },
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
};
