"use strict";
// Acceptance tests: run by the pipeline after each deploy (buildspec-test.yml), against APP_URL
// (in blue/green the replacement tasks, through the test listener, before any traffic moves to
// them). A failure fails the pipeline's execution; in blue/green no traffic has moved.
const test = require("node:test");
const assert = require("node:assert/strict");

const base = process.env.APP_URL;
if (!base) throw new Error("APP_URL is not set: the pipeline's AcceptanceTests action sets it");

async function get(path) {
  const res = await fetch(new URL(path, base), { redirect: "manual", signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: await res.text() };
}

test("the release that was built answers healthy, in its environment", async () => {
  const res = await get("/health");
  assert.equal(res.status, 200);
  const health = JSON.parse(res.body);
  assert.equal(health.status, "ok");
  if (process.env.COMMIT_ID) assert.equal(health.commit, process.env.COMMIT_ID);
  if (process.env.ENVIRONMENT) assert.equal(health.environment, process.env.ENVIRONMENT);
});

test("an unknown path is a 404, not an error", async () => {
  assert.equal((await get("/no-such-page")).status, 404);
});
