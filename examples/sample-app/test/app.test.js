"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { createHandler, loadBuildInfo, loadRuntimeConfig } = require("../src/app");

/** Calls the handler with a fake request and collects the response. */
function call(handler, method, url) {
  return new Promise((resolve) => {
    const res = {
      writeHead(status, headers) {
        this.status = status;
        this.headers = headers;
      },
      end(body) {
        resolve({ status: this.status, headers: this.headers, body });
      },
    };
    handler({ method, url }, res);
  });
}

const info = { commit: "0123abc" };
const dev = { environment: "dev", settings: {}, secrets: {} };

test("/health reports the environment it runs in and the commit it was built from", async () => {
  const r = await call(createHandler(info, dev), "GET", "/health");
  assert.equal(r.status, 200);
  assert.equal(r.headers["content-type"], "application/json");
  assert.deepEqual(JSON.parse(r.body), { status: "ok", environment: "dev", commit: "0123abc", greeting: null, secretsPresent: [] });
});

const runtime = { environment: "dev", settings: { GREETING: "Hi from dev" }, secrets: { DATABASE_PASSWORD: "s3cr3t-value", EMPTY: "" } };

test("/health shows the GREETING setting and the names of the secrets it holds, never a value", async () => {
  const r = await call(createHandler(info, runtime), "GET", "/health");
  assert.deepEqual(JSON.parse(r.body).greeting, "Hi from dev");
  assert.deepEqual(JSON.parse(r.body).secretsPresent, ["DATABASE_PASSWORD"]);
  assert.equal(r.body.includes("s3cr3t-value"), false);
});

test("/ greets with the GREETING setting when there is one", async () => {
  assert.equal((await call(createHandler(info, runtime), "GET", "/")).body, "Hi from dev\n");
});

test("runtime configuration: none without a file named, an error when the named file is missing", () => {
  assert.deepEqual(loadRuntimeConfig(undefined), { environment: "unknown", settings: {}, secrets: {} });
  assert.throws(() => loadRuntimeConfig(path.join(os.tmpdir(), "no-such-runtime.json")), /ENOENT/);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "runtime-")), "runtime.json");
  fs.writeFileSync(file, JSON.stringify(runtime));
  assert.deepEqual(loadRuntimeConfig(file), runtime);
});

test("/ greets with the environment name", async () => {
  const r = await call(createHandler(info, dev), "GET", "/?x=1");
  assert.equal(r.status, 200);
  assert.equal(r.body, "Hello from dev\n");
});

test("unknown paths are 404 and other methods 405", async () => {
  assert.equal((await call(createHandler(info), "GET", "/nope")).status, 404);
  assert.equal((await call(createHandler(info), "POST", "/health")).status, 405);
});

test("build info is read from the packaged file, and is 'unknown' without one", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "build-info-"));
  const file = path.join(dir, "build-info.json");
  assert.deepEqual(loadBuildInfo(file), { commit: "unknown" });
  fs.writeFileSync(file, JSON.stringify({ commit: "feed42" }));
  assert.deepEqual(loadBuildInfo(file), { commit: "feed42" });
});

test("one package serves any environment: the environment comes from the deployment, not the build", async () => {
  for (const environment of ["qa", "prod"]) {
    const r = await call(createHandler(info, { ...dev, environment }), "GET", "/health");
    assert.equal(JSON.parse(r.body).environment, environment);
  }
});
