"use strict";

const http = require("node:http");
const path = require("node:path");
const { createHandler, loadBuildInfo, loadRuntimeConfig } = require("./app");

const port = Number(process.env.PORT || 8080);
const info = loadBuildInfo(path.join(__dirname, "..", "build-info.json"));
const runtime = loadRuntimeConfig(process.env.RUNTIME_CONFIG);
const server = http.createServer(createHandler(info, runtime));

server.listen(port, () => {
  const settings = Object.keys(runtime.settings).sort().join(", ") || "none";
  const secrets = Object.keys(runtime.secrets).sort().join(", ") || "none";
  console.log(
    `listening on ${port}: environment ${runtime.environment}, commit ${info.commit}; settings: ${settings}; secrets: ${secrets}`,
  );
});

// Stop promptly: finish requests in flight, but do not wait for idle keep-alive connections (the
// ALB's, for one) to time out, or every deployment's ApplicationStop would wait on them.
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  });
}
