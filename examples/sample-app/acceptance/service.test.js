"use strict";
// Acceptance tests: run by the pipeline after each deploy (buildspec-test.yml), against the
// environment's URL (APP_URL; in blue/green the idle fleet, through the test listener, before any
// traffic moves to it). They check what a user and an operator see: the release that was built
// answers, healthy, in its environment. A failure fails the pipeline's execution.
const test = require("node:test");
const assert = require("node:assert/strict");

const base = process.env.APP_URL;
if (!base) throw new Error("APP_URL is not set: the pipeline's AcceptanceTests action sets it");

async function get(path) {
  const res = await fetch(new URL(path, base), { redirect: "manual", signal: AbortSignal.timeout(10_000) });
  return { status: res.status, type: res.headers.get("content-type") ?? "", body: await res.text() };
}

test("the release that was built answers healthy, in its environment", async () => {
  const res = await get("/health");
  assert.equal(res.status, 200);
  const health = JSON.parse(res.body);
  assert.equal(health.status, "ok");
  if (process.env.COMMIT_ID) assert.equal(health.commit, process.env.COMMIT_ID);
  if (process.env.ENVIRONMENT) assert.equal(health.environment, process.env.ENVIRONMENT);
});

test("the home page greets", async () => {
  const res = await get("/");
  assert.equal(res.status, 200);
  assert.match(res.body, /\S/);
});

test("an unknown path is a 404, not an error", async () => {
  assert.equal((await get("/no-such-page")).status, 404);
});
