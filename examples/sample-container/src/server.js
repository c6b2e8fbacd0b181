"use strict";
// A small HTTP service, as a container workload runs it (docs/workloads.md in the project,
// "Containers"): it listens on PORT, answers the target group's health check on /health, reads
// its settings from its environment (the task definition's `secrets`: ECS fetches each setting
// from Parameter Store and each secret from Secrets Manager when the task starts), and writes
// nothing to disk (the root file system is read-only; /tmp is the one writable folder).
const http = require("node:http");

/** What the service says about itself: the commit it was built from and where it runs. */
function info(env = process.env) {
  return { commit: env.COMMIT_ID || "unknown", environment: env.ENVIRONMENT || "unknown" };
}

function createServer(env = process.env) {
  return http.createServer((req, res) => {
    const send = (status, body) => {
      res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify(body));
    };
    const { pathname } = new URL(req.url, "http://localhost");
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, { error: "method not allowed" });
    if (pathname === "/health") return send(200, { status: "ok", ...info(env) });
    if (pathname === "/") return send(200, { message: env.GREETING || "Hello", ...info(env) });
    return send(404, { error: "not found" });
  });
}

if (require.main === module) {
  const port = Number(process.env.PORT || 8080);
  const server = createServer().listen(port, () => console.log(`listening on ${port}, ${JSON.stringify(info())}`));
  // ECS stops a task with SIGTERM, then SIGKILL 30 seconds later: finish the requests in flight.
  process.on("SIGTERM", () => server.close(() => process.exit(0)));
}

module.exports = { createServer, info };
