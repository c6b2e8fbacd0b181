"use strict";

const fs = require("node:fs");

const UNKNOWN = { commit: "unknown" };
const NO_RUNTIME_CONFIG = { environment: "unknown", settings: {}, secrets: {} };

/**
 * What the pipeline built: the commit, written by `npm run package` from the COMMIT_ID variable
 * the pipeline sets for the build. The same package runs in every environment it is promoted to.
 */
function loadBuildInfo(file) {
  try {
    const info = JSON.parse(fs.readFileSync(file, "utf8"));
    return { commit: String(info.commit) };
  } catch {
    return UNKNOWN;
  }
}

/**
 * Where it runs, and that environment's settings and secrets, as the deployment's render_config.sh
 * wrote them (RUNTIME_CONFIG names the file). No file named: none. A file named but unreadable
 * fails the start, so that the deployment's ValidateService fails and CodeDeploy rolls back.
 */
function loadRuntimeConfig(file) {
  if (!file) return NO_RUNTIME_CONFIG;
  const parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  return { environment: String(parsed.environment ?? "unknown"), settings: { ...parsed.settings }, secrets: { ...parsed.secrets } };
}

function send(res, status, type, body) {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
  res.end(body);
}

/**
 * The request handler: `/` greets (with the GREETING setting when the environment sets one),
 * `/health` reports what is running, which setting it greets with, and which secrets it holds (by
 * name: a value never leaves the process); anything else is 404.
 */
function createHandler(info, runtime = NO_RUNTIME_CONFIG) {
  const greeting = runtime.settings.GREETING ?? null;
  const secretsPresent = Object.keys(runtime.secrets)
    .filter((name) => typeof runtime.secrets[name] === "string" && runtime.secrets[name].length > 0)
    .sort();
  return (req, res) => {
    const path = new URL(req.url, "http://localhost").pathname;
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain", "method not allowed\n");
    if (path === "/") return send(res, 200, "text/plain", `${greeting ?? `Hello from ${runtime.environment}`}\n`);
    if (path === "/health") {
      const body = { status: "ok", environment: runtime.environment, commit: info.commit, greeting, secretsPresent };
      return send(res, 200, "application/json", JSON.stringify(body));
    }
    return send(res, 404, "text/plain", "not found\n");
  };
}

module.exports = { createHandler, loadBuildInfo, loadRuntimeConfig };
