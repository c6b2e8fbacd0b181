"use strict";

const fs = require("node:fs");

const UNKNOWN = { environment: "unknown", commit: "unknown" };

/**
 * What the pipeline built: the environment and the commit, written by `npm run package` from the
 * ENVIRONMENT and COMMIT_ID variables the pipeline sets for the build.
 */
function loadBuildInfo(file) {
  try {
    const info = JSON.parse(fs.readFileSync(file, "utf8"));
    return { environment: String(info.environment), commit: String(info.commit) };
  } catch {
    return UNKNOWN;
  }
}

function send(res, status, type, body) {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
  res.end(body);
}

/** The request handler: `/` greets, `/health` reports what is running, anything else is 404. */
function createHandler(info) {
  return (req, res) => {
    const path = new URL(req.url, "http://localhost").pathname;
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain", "method not allowed\n");
    if (path === "/") return send(res, 200, "text/plain", `Hello from ${info.environment}\n`);
    if (path === "/health") {
      return send(res, 200, "application/json", JSON.stringify({ status: "ok", environment: info.environment, commit: info.commit }));
    }
    return send(res, 404, "text/plain", "not found\n");
  };
}

module.exports = { createHandler, loadBuildInfo };
