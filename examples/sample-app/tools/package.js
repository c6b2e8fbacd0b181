"use strict";
// Packages the service into dist/ with build-info.json, naming the commit the pipeline builds
// (COMMIT_ID). Not the environment: the package is promoted unchanged from one environment to the
// next (docs/pipelines.md, "Build once, promote"), and learns where it runs at deployment, from
// the instance's platform file (scripts/render_config.sh).
const fs = require("node:fs");
const path = require("node:path");

const commit = process.env.COMMIT_ID || process.env.CODEBUILD_RESOLVED_SOURCE_VERSION;
if (!commit) {
  console.error("package: COMMIT_ID must be set (the pipeline's build action sets it)");
  process.exit(1);
}

const root = path.join(__dirname, "..");
const dist = path.join(root, "dist");
fs.rmSync(dist, { recursive: true, force: true });
fs.mkdirSync(dist);
fs.cpSync(path.join(root, "src"), path.join(dist, "src"), { recursive: true });
fs.copyFileSync(path.join(root, "package.json"), path.join(dist, "package.json"));
const info = { commit, builtAt: new Date().toISOString() };
fs.writeFileSync(path.join(dist, "build-info.json"), JSON.stringify(info, null, 2) + "\n");
console.log(`package: dist/ at ${commit}`);
