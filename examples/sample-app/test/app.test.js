"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { createHandler, loadBuildInfo } = require("../src/app");

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

const info = { environment: "dev", commit: "0123abc" };

test("/health reports the environment and the commit", async () => {
  const r = await call(createHandler(info), "GET", "/health");
  assert.equal(r.status, 200);
  assert.equal(r.headers["content-type"], "application/json");
  assert.deepEqual(JSON.parse(r.body), { status: "ok", environment: "dev", commit: "0123abc" });
});

test("/ greets with the environment name", async () => {
  const r = await call(createHandler(info), "GET", "/?x=1");
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
  assert.deepEqual(loadBuildInfo(file), { environment: "unknown", commit: "unknown" });
  fs.writeFileSync(file, JSON.stringify({ environment: "qa", commit: "feed42" }));
  assert.deepEqual(loadBuildInfo(file), { environment: "qa", commit: "feed42" });
});
