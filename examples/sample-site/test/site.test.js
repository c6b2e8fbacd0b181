"use strict";
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { test } = require("node:test");
const { route } = require("../src/app.js");
const { build, contentHash } = require("../tools/build.js");
const { pageProblems } = require("../tools/lint.js");

const SRC = path.join(__dirname, "..", "src");

test("routes the home page, an order and anything else", () => {
  assert.equal(route("/").title, "Home");
  assert.equal(route("/orders/42").title, "Order 42");
  assert.equal(route("/orders/42/").title, "Order 42");
  assert.equal(route("/orders/a-b-C").title, "Order a-b-C");
  assert.equal(route("/missing").notFound, true);
  assert.equal(route("/orders/").notFound, true);
  assert.equal(route("/orders/<img>").notFound, true);
  assert.equal(route("/orders/42/items").notFound, true);
});

function buildInto(srcDir, environment = "dev", commit = "abc1234") {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "sample-site-"));
  return { outDir, result: build({ srcDir, outDir, environment, commit }) };
}

test("names every asset after its content and points the page at those names", () => {
  const { outDir, result } = buildInto(SRC);
  assert.deepEqual(Object.keys(result.assets).sort(), ["app.js", "styles.css"]);
  const html = fs.readFileSync(path.join(outDir, "Pages", "index.html"), "utf8");
  for (const [source, hashed] of Object.entries(result.assets)) {
    assert.match(hashed, /^[a-z]+\.[0-9a-f]{12}\.[a-z]+$/);
    const content = fs.readFileSync(path.join(outDir, "Assets", "assets", hashed));
    assert.deepEqual(content, fs.readFileSync(path.join(SRC, source)));
    assert.equal(hashed.split(".")[1], contentHash(content));
    assert.ok(html.includes(`"/assets/${hashed}"`), `index.html names ${hashed}`);
  }
  assert.ok(!/"\/assets\/(app\.js|styles\.css)"/.test(html), "no unhashed name is left in the page");
  assert.deepEqual(fs.readdirSync(path.join(outDir, "Pages")), ["index.html"]);
  fs.rmSync(outDir, { recursive: true });
});

test("a changed file gets a new name; an unchanged one keeps its name", () => {
  const changed = fs.mkdtempSync(path.join(os.tmpdir(), "sample-site-src-"));
  fs.cpSync(SRC, changed, { recursive: true });
  fs.appendFileSync(path.join(changed, "styles.css"), "\nh1 { color: #0b5; }\n");
  const before = buildInto(SRC).result.assets;
  const after = buildInto(changed).result.assets;
  assert.notEqual(after["styles.css"], before["styles.css"]);
  assert.equal(after["app.js"], before["app.js"]);
  fs.rmSync(changed, { recursive: true });
});

test("writes the release into the page, escaped", () => {
  const { outDir } = buildInto(SRC, "dev", '"><script>x</script>');
  const html = fs.readFileSync(path.join(outDir, "Pages", "index.html"), "utf8");
  assert.ok(html.includes('<meta name="release" content="dev &quot;&gt;&lt;script&gt;x&lt;/script&gt;" />'));
  assert.ok(!html.includes("<script>x"));
  fs.rmSync(outDir, { recursive: true });
});

test("refuses a page that names an asset that does not exist", () => {
  const broken = fs.mkdtempSync(path.join(os.tmpdir(), "sample-site-src-"));
  fs.cpSync(SRC, broken, { recursive: true });
  fs.rmSync(path.join(broken, "styles.css"));
  assert.throws(() => buildInto(broken), /names \/assets\/styles\.css, but src\/styles\.css does not exist/);
  fs.rmSync(broken, { recursive: true });
});

test("lint finds what the site's Content-Security-Policy would block", () => {
  assert.deepEqual(pageProblems(fs.readFileSync(path.join(SRC, "index.html"), "utf8")), []);
  assert.equal(pageProblems("<script>alert(1)</script>").length, 1);
  assert.equal(pageProblems('<button onclick="go()">').length, 1);
  assert.equal(pageProblems('<p style="color: red">').length, 1);
  assert.equal(pageProblems('<script src="https://cdn.example.com/x.js"></script>').length, 1);
  assert.deepEqual(pageProblems('<script src="/assets/app.js" defer></script>'), []);
});
