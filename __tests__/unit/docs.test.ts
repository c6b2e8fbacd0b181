import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../support/helpers";
import { BUILD_DEFAULTS, PROJECT_DEFAULTS } from "../../modules/config/defaults";

/** Every source file that may point a reader at the README. */
function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" ? [] : sources(p);
    return /\.(ts|mjs|js|sh|yml)$/.test(e.name) ? [p] : [];
  });
}

describe("references from the code", () => {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const headings = new Set([...readme.matchAll(/^#{2,4} (.+)$/gm)].map((m) => m[1].replace(/`/g, "").trim()));
  const files = [
    ...sources(path.join(ROOT, "modules")),
    ...sources(path.join(ROOT, "scripts")),
    path.join(ROOT, "main.ts"),
    path.join(ROOT, "eslint.config.mjs"),
  ];

  it("name README sections that exist", () => {
    const dangling = files.flatMap((f) =>
      [...fs.readFileSync(f, "utf8").matchAll(/README(?:\.md)?,? "([^"]+)"/g)]
        .map((m) => m[1])
        .filter((section) => !headings.has(section))
        .map((section) => `${path.relative(ROOT, f)}: "${section}"`),
    );
    expect(dangling).toEqual([]);
  });

  it("name files of the project that exist", () => {
    const dangling = files.flatMap((f) =>
      [...fs.readFileSync(f, "utf8").matchAll(/\b((?:modules|scripts|examples|environments|__tests__)\/[\w./-]+\.(?:ts|sh|yml|txt))\b/g)]
        .map((m) => m[1])
        .filter((ref) => !ref.includes("<") && !fs.existsSync(path.join(ROOT, ref)))
        .map((ref) => `${path.relative(ROOT, f)}: ${ref}`),
    );
    expect(dangling).toEqual([]);
  });

  it("mention no file that is not in the project (DESIGN.md lives outside it)", () => {
    expect(files.filter((f) => fs.readFileSync(f, "utf8").includes("DESIGN.md")).map((f) => path.relative(ROOT, f))).toEqual([]);
  });
});

describe("the README's configuration reference", () => {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const row = (field: string) => readme.split("\n").find((l) => l.startsWith(`| \`${field}\``)) ?? "";

  it("states the defaults that modules/config/defaults.ts applies", () => {
    expect(row("build.image")).toContain(`\`${BUILD_DEFAULTS.image}\``);
    expect(row("build.computeType")).toContain(BUILD_DEFAULTS.computeType);
    expect(row("build.timeoutMinutes")).toContain(String(BUILD_DEFAULTS.timeoutMinutes));
    expect(row("noncurrentArtifactDays")).toContain(String(PROJECT_DEFAULTS.noncurrentArtifactDays));
    expect(row("application.port")).toContain(String(PROJECT_DEFAULTS.application.port));
    for (const [kind, days] of Object.entries(PROJECT_DEFAULTS.accessLogs.retentionDays)) {
      expect(row(`accessLogs.retentionDays.${kind}`)).toContain(`\`${days}\``);
    }
    expect(row("accessLogs.noncurrentDays")).toContain(`\`${PROJECT_DEFAULTS.accessLogs.noncurrentDays}\``);
  });
});
