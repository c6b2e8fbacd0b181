import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");
/** Spelled in two parts so that the project's own root-import check does not flag this test. */
const ROOT_PACKAGE = ["@cdktf", "provider-aws"].join("/");
/** The same for the library itself, which only modules/lib/cdk.ts imports. */
const CDKTF = ["cdk", "tf"].join("");

/** Lints `source` as if it were modules/example.ts, with the project's ESLint configuration. */
function lint(source: string): { ruleId: string | null; message: string; line: number }[] {
  const result = spawnSync(
    path.join(ROOT, "node_modules", ".bin", "eslint"),
    ["--stdin", "--stdin-filename", "modules/example.ts", "--format", "json"],
    {
      cwd: ROOT,
      input: source,
      encoding: "utf8",
    },
  );
  return JSON.parse(result.stdout)[0].messages;
}

describe("toolchain", () => {
  it("lint rejects a root import of the AWS provider package and accepts a deep import", () => {
    const messages = lint(
      `import { S3Bucket } from "${ROOT_PACKAGE}";\n` +
        'import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";\n' +
        "export const x = [S3Bucket, SnsTopic];\n",
    );
    expect(messages.map((m) => [m.ruleId, m.line])).toEqual([["no-restricted-imports", 1]]);
    expect(messages[0].message).toContain("@cdktf/provider-aws/lib/<resource>");
  });

  it("lint rejects importing cdktf but through modules/lib/cdk.ts, the one file a move to CDK Terrain changes", () => {
    const messages = lint(`import { App } from "${CDKTF}";\nimport { Fn } from "./lib/cdk";\nexport const x = [App, Fn];\n`);
    expect(messages.map((m) => [m.ruleId, m.line])).toEqual([["no-restricted-imports", 1]]);
    expect(messages[0].message).toContain("modules/lib/cdk.ts");
    const direct = ["main.ts", "modules", "runtime", "scripts", "environments", "__tests__"]
      .flatMap((entry) =>
        fs.statSync(path.join(ROOT, entry)).isDirectory()
          ? fs.readdirSync(path.join(ROOT, entry), { recursive: true, encoding: "utf8" }).map((f) => path.join(entry, f))
          : [entry],
      )
      .filter((f) => /\.(ts|js)$/.test(f))
      // An import or export statement, or a require() that is not in a comment.
      .filter((f) =>
        new RegExp(`^(?:import|export)[^\\n]*from "${CDKTF}"|^[^/\\n]*require\\("${CDKTF}"\\)`, "m").test(
          fs.readFileSync(path.join(ROOT, f), "utf8"),
        ),
      );
    expect(direct).toEqual(["modules/lib/cdk.ts"]);
  });

  it("synthesizes without type-checking (tsx) and pins the versions the project relies on", () => {
    const cdktf = JSON.parse(fs.readFileSync(path.join(ROOT, "cdktf.json"), "utf8"));
    expect(cdktf.app).toBe("npx tsx main.ts");
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    expect(pkg.dependencies).toMatchObject({ cdktf: "0.21.0", "@cdktf/provider-aws": "20.1.0" });
    expect(pkg.devDependencies["cdktf-cli"]).toBe("0.21.0");
    expect(pkg.devDependencies.typescript).toMatch(/^~5\.9\./);
  });
});
