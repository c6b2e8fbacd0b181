"use strict";
// Lint without dependencies. Besides parsing every script, it enforces what the distribution's
// Content-Security-Policy (default-src 'self') would otherwise break only in a browser: no inline
// scripts, event handlers or styles in the page, and no assets from other origins.
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

/** Problems with a page that the site's CSP would block. */
function pageProblems(html) {
  const problems = [];
  if (/<script(?![^>]*\ssrc=)[^>]*>/i.test(html)) problems.push("an inline <script> (CSP script-src 'self' blocks it; put it in src/)");
  if (/\son[a-z]+\s*=/i.test(html)) problems.push("an inline event handler attribute (on...=); CSP blocks it");
  if (/\sstyle\s*=/i.test(html) || /<style[\s>]/i.test(html)) problems.push("an inline style; CSP style-src 'self' blocks it");
  if (/\s(?:src|href)\s*=\s*["'](?:https?:)?\/\//i.test(html))
    problems.push("a script, style or link from another origin; CSP allows 'self' only");
  return problems;
}

module.exports = { pageProblems };

if (require.main === module) {
  const root = path.join(__dirname, "..");
  const scripts = ["src", "test", "acceptance", "tools"].flatMap((dir) =>
    fs
      .readdirSync(path.join(root, dir))
      .filter((f) => f.endsWith(".js"))
      .map((f) => path.join(dir, f)),
  );
  const problems = [];
  for (const file of scripts) {
    const check = spawnSync(process.execPath, ["--check", path.join(root, file)], { encoding: "utf8" });
    if (check.status !== 0) problems.push(`${file}: does not parse\n${check.stderr}`);
    if (!fs.readFileSync(path.join(root, file), "utf8").startsWith('"use strict";'))
      problems.push(`${file}: must start with "use strict";`);
  }
  for (const problem of pageProblems(fs.readFileSync(path.join(root, "src", "index.html"), "utf8"))) {
    problems.push(`src/index.html: ${problem}`);
  }
  if (problems.length) {
    console.error(problems.join("\n"));
    process.exit(1);
  }
  console.log(`lint: ${scripts.length} scripts and src/index.html OK`);
}
