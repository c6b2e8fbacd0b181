"use strict";
// Builds the site into the two outputs the pipeline deploys (buildspec.yml, secondary-artifacts):
//   build/Assets/assets/<name>.<hash>.<ext>  named after their content: cached for a year
//   build/Pages/index.html                   names the assets of this release: never cached
// A changed file gets a new name, so a page never loads an asset of another release, and the
// assets of the previous release stay in the bucket for pages that are still open.
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const ASSET_REFERENCE = /(["'])\/assets\/([A-Za-z0-9_-]+)\.([a-z0-9]+)\1/g;

const escapeAttribute = (value) =>
  value.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

/** The first 12 hex digits of the file's SHA-256: enough to tell releases apart. */
const contentHash = (content) => crypto.createHash("sha256").update(content).digest("hex").slice(0, 12);

/**
 * Writes the release into `outDir` and returns what it wrote: the asset names (source name to
 * hashed name) and the pages.
 */
function build({ srcDir, outDir, environment, commit }) {
  const assetsDir = path.join(outDir, "Assets", "assets");
  const pagesDir = path.join(outDir, "Pages");
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(assetsDir, { recursive: true });
  fs.mkdirSync(pagesDir, { recursive: true });
  const assets = {};
  let html = fs.readFileSync(path.join(srcDir, "index.html"), "utf8");
  html = html.replace(ASSET_REFERENCE, (_, quote, name, ext) => {
    const source = `${name}.${ext}`;
    const file = path.join(srcDir, source);
    if (!fs.existsSync(file)) throw new Error(`index.html names /assets/${source}, but src/${source} does not exist`);
    const content = fs.readFileSync(file);
    const hashed = `${name}.${contentHash(content)}.${ext}`;
    fs.writeFileSync(path.join(assetsDir, hashed), content);
    assets[source] = hashed;
    return `${quote}/assets/${hashed}${quote}`;
  });
  const marker = '<meta name="release" content="" />';
  if (!html.includes(marker)) throw new Error(`index.html must hold ${marker}: the build writes the release into it`);
  html = html.replace(marker, `<meta name="release" content="${escapeAttribute(`${environment} ${commit}`)}" />`);
  fs.writeFileSync(path.join(pagesDir, "index.html"), html);
  return { assets, pages: ["index.html"] };
}

module.exports = { build, contentHash };

if (require.main === module) {
  const root = path.join(__dirname, "..");
  // The pipeline sets ENVIRONMENT and COMMIT_ID (the shared CodeBuild project's variables).
  const result = build({
    srcDir: path.join(root, "src"),
    outDir: path.join(root, "build"),
    environment: process.env.ENVIRONMENT || "local",
    commit: process.env.COMMIT_ID || "unknown",
  });
  for (const [source, hashed] of Object.entries(result.assets)) console.log(`assets/${hashed} (from src/${source})`);
  for (const page of result.pages) console.log(page);
}
