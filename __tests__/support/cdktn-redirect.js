// Test-only (__tests__/e2e/cdktn.test.ts): loaded with `node --require`, it resolves every
// require("cdktf"), the project's (modules/lib/cdk.ts) and the provider bindings' alike, to CDK
// Terrain's `cdktn`, and on exit writes to CDKTN_PROOF_REPORT which of the two was loaded.
const Module = require("module");
const fs = require("fs");

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const renamed = request === "cdktf" || request.startsWith("cdktf/") ? `cdktn${request.slice("cdktf".length)}` : request;
  return resolve.call(this, renamed, ...rest);
};

process.on("exit", () => {
  const loaded = Object.keys(require.cache);
  const count = (name) => loaded.filter((f) => f.includes(`/node_modules/${name}/`)).length;
  if (process.env.CDKTN_PROOF_REPORT) {
    fs.writeFileSync(process.env.CDKTN_PROOF_REPORT, JSON.stringify({ cdktf: count("cdktf"), cdktn: count("cdktn") }));
  }
});
