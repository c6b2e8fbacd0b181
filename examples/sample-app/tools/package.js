"use strict";
// Packages the service into dist/ with build-info.json, from the variables the pipeline sets:
// ENVIRONMENT (the environment name) and COMMIT_ID (the source commit).
const fs = require("node:fs");
const path = require("node:path");

const environment = process.env.ENVIRONMENT;
const commit = process.env.COMMIT_ID || process.env.CODEBUILD_RESOLVED_SOURCE_VERSION;
if (!environment || !commit) {
  console.error("package: ENVIRONMENT and COMMIT_ID must be set (the pipeline's build action sets them)");
  process.exit(1);
}

const root = path.join(__dirname, "..");
const dist = path.join(root, "dist");
fs.rmSync(dist, { recursive: true, force: true });
fs.mkdirSync(dist);
fs.cpSync(path.join(root, "src"), path.join(dist, "src"), { recursive: true });
fs.copyFileSync(path.join(root, "package.json"), path.join(dist, "package.json"));
const info = { environment, commit, builtAt: new Date().toISOString() };
fs.writeFileSync(path.join(dist, "build-info.json"), JSON.stringify(info, null, 2) + "\n");
console.log(`package: dist/ for ${environment} at ${commit}`);
