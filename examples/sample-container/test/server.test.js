"use strict";
// Unit tests, run in the image's test stage (Dockerfile): a failing test fails the image build,
// so no image of a failing commit is ever pushed.
const test = require("node:test");
const assert = require("node:assert/strict");
const { createServer } = require("../src/server");

async function withServer(env, run) {
  const server = createServer(env).listen(0);
  await new Promise((resolve) => server.once("listening", resolve));
  try {
    return await run(`http://127.0.0.1:${server.address().port}`);
  } finally {
    server.close();
  }
}

test("answers the health check with its commit and environment", async () => {
  await withServer({ COMMIT_ID: "abc123", ENVIRONMENT: "dev" }, async (base) => {
    const res = await fetch(`${base}/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok", commit: "abc123", environment: "dev" });
  });
});

test("greets with its setting", async () => {
  await withServer({ GREETING: "Bonjour" }, async (base) => {
    assert.equal((await (await fetch(base)).json()).message, "Bonjour");
  });
});

test("answers 404 for an unknown path and 405 for a write", async () => {
  await withServer({}, async (base) => {
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    assert.equal((await fetch(base, { method: "POST" })).status, 405);
  });
});
