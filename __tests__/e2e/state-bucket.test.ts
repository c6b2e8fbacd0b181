import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const SCRIPT = path.join(__dirname, "..", "..", "scripts", "create-state-bucket.sh");

/** Runs the script against a fake `aws` that records its arguments; `exists` answers head-bucket. */
function run(options: { exists: boolean; withAws?: boolean }) {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "fake-aws-"));
  const log = path.join(bin, "calls.log");
  if (options.withAws ?? true) {
    fs.writeFileSync(
      path.join(bin, "aws"),
      `#!/usr/bin/env bash\nprintf '%s\\n' "$*" >> ${JSON.stringify(log)}\n` +
        `if [ "$2" = head-bucket ]; then exit ${options.exists ? 0 : 254}; fi\nexit 0\n`,
      { mode: 0o755 },
    );
  }
  const nodeBin = path.dirname(process.execPath);
  const result = spawnSync("bash", [SCRIPT], {
    encoding: "utf8",
    env: { ...process.env, PATH: `${bin}:${nodeBin}:/usr/bin:/bin` },
  });
  const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
  fs.rmSync(bin, { recursive: true, force: true });
  return { ...result, calls, call: (sub: string) => calls.find((c) => c.startsWith(`s3api ${sub} `)) };
}

describe("scripts/create-state-bucket.sh", () => {
  it("creates the configured bucket in the configured region, with every protection", () => {
    const r = run({ exists: false });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.call("create-bucket")).toBe(
      "s3api create-bucket --bucket webapp-tfstate-123456789012 --region eu-west-1 --create-bucket-configuration LocationConstraint=eu-west-1",
    );
    expect(r.call("put-public-access-block")).toContain(
      "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
    );
    expect(r.call("put-bucket-ownership-controls")).toContain("ObjectOwnership=BucketOwnerEnforced");
    expect(r.call("put-bucket-versioning")).toContain("Status=Enabled");
    expect(r.call("put-bucket-encryption")).toContain('"SSEAlgorithm":"aws:kms"');
    const policy = JSON.parse((r.call("put-bucket-policy") as string).replace(/^.*--policy /, ""));
    expect(policy.Statement[0]).toMatchObject({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } });
    expect(policy.Statement[0].Resource).toEqual([
      "arn:aws:s3:::webapp-tfstate-123456789012",
      "arn:aws:s3:::webapp-tfstate-123456789012/*",
    ]);
  });

  it("does not create an existing bucket again, but still enforces the settings", () => {
    const r = run({ exists: true });
    expect(r.status).toBe(0);
    expect(r.call("create-bucket")).toBeUndefined();
    expect(r.call("put-public-access-block")).toBeDefined();
    expect(r.call("put-bucket-versioning")).toBeDefined();
  });

  it("fails with the fix when the AWS CLI is missing, and calls nothing", () => {
    const r = run({ exists: false, withAws: false });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("the AWS CLI (aws) is not installed");
    expect(r.calls).toEqual([]);
  });
});
