"use strict";
// Lint without dependencies: every source file must parse and be in strict mode. A real
// application would run its linter here (buildspec.yml's pre_build phase calls `npm run lint`).
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const files = ["src", "test", "acceptance", "tools", "scripts"].flatMap((dir) =>
  fs
    .readdirSync(path.join(root, dir))
    .filter((f) => f.endsWith(".js"))
    .map((f) => path.join(dir, f)),
);
const problems = [];
for (const file of files) {
  const check = spawnSync(process.execPath, ["--check", path.join(root, file)], { encoding: "utf8" });
  if (check.status !== 0) problems.push(`${file}: does not parse\n${check.stderr}`);
  if (!fs.readFileSync(path.join(root, file), "utf8").startsWith('"use strict";')) problems.push(`${file}: must start with "use strict";`);
}
if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`lint: ${files.length} files OK`);
