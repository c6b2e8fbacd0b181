/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  // @swc/jest transpiles without type-checking; `npm run typecheck` (tsc --noEmit) checks types once.
  transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022" }, module: { type: "commonjs" } }] },
  moduleFileExtensions: ["ts", "js", "json"],
  testTimeout: 120000,
  // Jest defaults to cores - 1 workers: one on a 2-core machine. The Terraform-heavy files wait on
  // child processes much of the time, so two workers overlap them with the rest.
  maxWorkers: 2,
};
