// Tests in three tiers, each a jest project (docs/tests.md, "Tests"):
//   unit   pure functions, no synth;                    npm run test:unit
//   synth  stacks synthesized in process, no Terraform;  npm run test:fast runs unit + synth
//   e2e    Terraform, the command-line tools, the sample app's rehearsal (child processes)
// @swc/jest transpiles without type-checking; `npm run typecheck` (tsc --noEmit) checks types once.
const transform = { "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022" }, module: { type: "commonjs" } }] };
const project = (name) => ({
  displayName: name,
  testEnvironment: "node",
  roots: [`<rootDir>/__tests__/${name}`],
  testMatch: ["**/*.test.ts"],
  transform,
  moduleFileExtensions: ["ts", "js", "json"],
  // cdktf records a full, source-mapped stack trace for every token it creates (800 per synth of
  // the five shipped stacks), only to quote it in token-resolution errors: under jest's source-map
  // support that was 80% of the time to build the stacks. Tests get a stand-in that records none.
  moduleNameMapper: { "^(\\.{1,2}/)+(tokens/)?(private/)?stack-trace$": "<rootDir>/__tests__/support/no-stack-trace.js" },
});

/** @type {import('jest').Config} */
module.exports = {
  projects: [project("unit"), project("synth"), project("e2e")],
  testTimeout: 120000,
  // Jest defaults to cores - 1 workers: one on a 2-core machine. The Terraform-heavy files wait on
  // child processes much of the time, so two workers overlap them with the rest.
  maxWorkers: 2,
};
