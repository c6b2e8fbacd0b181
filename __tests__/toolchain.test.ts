import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.join(__dirname, "..");

/** Lints `source` as if it were modules/example.ts, with the project's ESLint configuration. */
function lint(source: string): { ruleId: string | null; message: string }[] {
  const result = spawnSync(path.join(ROOT, "node_modules", ".bin", "eslint"), ["--stdin", "--stdin-filename", "modules/example.ts", "--format", "json"], {
    cwd: ROOT,
    input: source,
    encoding: "utf8",
  });
  return JSON.parse(result.stdout)[0].messages;
}

describe("toolchain", () => {
  it("rejects a root import of the AWS provider package in lint", () => {
    const messages = lint('import { S3Bucket } from "@cdktf/provider-aws";\nexport const x = S3Bucket;\n');
    expect(messages.map((m) => m.ruleId)).toEqual(["no-restricted-imports"]);
    expect(messages[0].message).toContain("@cdktf/provider-aws/lib/<resource>");
  });

  it("accepts a deep import", () => {
    expect(lint('import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";\nexport const x = S3Bucket;\n')).toEqual([]);
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
