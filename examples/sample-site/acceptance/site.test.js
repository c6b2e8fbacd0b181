"use strict";
// Acceptance tests: run by the pipeline after each release of the site (buildspec-test.yml),
// against its URL (APP_URL, the distribution). They check what a browser gets: the page, a deep
// link served by the same page, the security headers, and the assets it names.
const test = require("node:test");
const assert = require("node:assert/strict");

const base = process.env.APP_URL;
if (!base) throw new Error("APP_URL is not set: the pipeline's AcceptanceTests action sets it");

async function get(path) {
  const res = await fetch(new URL(path, base), { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

test("the home page is served, with the distribution's security headers", async () => {
  const res = await get("/");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /text\/html/);
  assert.match(res.headers.get("content-security-policy") ?? "", /default-src 'self'/);
  assert.match(res.body, /<script[^>]+src=/);
});

test("a deep link is served by the same page (client-side routing)", async () => {
  const [home, deep] = await Promise.all([get("/"), get("/orders/42")]);
  assert.equal(deep.status, 200);
  assert.equal(deep.body, home.body);
});

test("every script the page names is there", async () => {
  const { body } = await get("/");
  const scripts = [...body.matchAll(/<script[^>]+src="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(scripts.length > 0);
  for (const src of scripts) assert.equal((await get(src)).status, 200, src);
});
