import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { fillTemplate, RUNTIME_DIR, runtimeCommands, runtimeFile } from "../../modules/lib/runtime-files";
import { BOOTSTRAP_RESPONDER, userData } from "../../modules/lib/user-data";
import { switchProgram } from "../../modules/constructs/traffic-switch";

// The code that runs in AWS (runtime/) on its own: each file is linted for what it is, and what
// the stacks ship is the file (the traffic switch's own tests are __tests__/synth/traffic-switch.test.ts,
// the responder's and the user data's behaviour is rehearsed in __tests__/e2e/sample-app.test.ts).
const files = fs.readdirSync(RUNTIME_DIR).sort();
const shellScripts = files.filter((f) => f.endsWith(".sh"));

describe("runtime/", () => {
  it("holds the instances' boot, the health responder, the traffic switch, the site invalidation, the release steps, the scan toolkit and the container steps", () => {
    expect(files).toEqual([
      "bootstrap-responder.py",
      "container-steps.js",
      "image-build.sh",
      "instance-bootstrap.sh",
      "invalidate-site.sh",
      "release.js",
      "scan",
      "traffic-switch.js",
    ]);
  });

  it("has shell scripts that shellcheck accepts, as bash", () => {
    const r = spawnSync("shellcheck", ["-s", "bash", ...shellScripts], { cwd: RUNTIME_DIR, encoding: "utf8" });
    expect(r.error).toBeUndefined();
    expect(r.stdout).toBe("");
    expect(r.status).toBe(0);
  });

  it("has a health responder that Python compiles", () => {
    const r = spawnSync("python3", ["-c", "import sys; compile(open(sys.argv[1]).read(), sys.argv[1], 'exec')", "bootstrap-responder.py"], {
      cwd: RUNTIME_DIR,
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("ships the files themselves: the responder in the user data, the switch in its buildspec", () => {
    expect(BOOTSTRAP_RESPONDER).toBe(runtimeFile("bootstrap-responder.py"));
    const script = userData({
      region: "eu-west-1",
      environment: "dev",
      parameterPath: "/webapp/dev",
      logGroupName: "/webapp/dev/application",
      serviceUser: "webapp",
      appPort: 8080,
      healthCheckPath: "/health",
    });
    expect(script).toContain(`<<'PY'\n${BOOTSTRAP_RESPONDER}PY\n`);
    expect(script).not.toMatch(/@[A-Z_]+@|^##/m);
    expect(script).toContain(
      "curl -fsSL -o /tmp/codedeploy-install https://aws-codedeploy-eu-west-1.s3.eu-west-1.amazonaws.com/latest/install",
    );
    // The switch ships without its comments, and runs the same.
    const program = switchProgram();
    expect(program).not.toMatch(/^\s*\/\//m);
    expect(program).toContain("class SwitchError extends Error {}");
  });
});

describe("fillTemplate", () => {
  it("fails on a field the template does not take, and on a field left without a value", () => {
    expect(() => fillTemplate("instance-bootstrap.sh", { NOT_A_FIELD: "x" })).toThrow(/has no field @NOT_A_FIELD@/);
    expect(() => fillTemplate("instance-bootstrap.sh", { REGION: "eu-west-1" })).toThrow(/no value for @SERVICE_USER@/);
  });
});

describe("runtime/invalidate-site.sh", () => {
  it("becomes the invalidation project's commands, one per line, without comments", () => {
    expect(runtimeCommands("invalidate-site.sh")).toEqual([
      'aws cloudfront create-invalidation --distribution-id "$DISTRIBUTION_ID" --paths "/*" --query Invalidation.Id --output text',
    ]);
  });

  it("invalidates the whole cache of its own distribution (run with a stand-in aws CLI)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "invalidate-"));
    try {
      fs.writeFileSync(path.join(dir, "aws"), `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/args"\necho I2J0EXAMPLE\n`, { mode: 0o755 });
      const r = spawnSync("bash", [path.join(RUNTIME_DIR, "invalidate-site.sh")], {
        encoding: "utf8",
        env: { PATH: `${dir}:${process.env.PATH}`, DISTRIBUTION_ID: "E2EXAMPLE" },
      });
      expect(r.status).toBe(0);
      expect(r.stdout.trim()).toBe("I2J0EXAMPLE");
      expect(fs.readFileSync(path.join(dir, "args"), "utf8").trim().split("\n")).toEqual([
        "cloudfront",
        "create-invalidation",
        "--distribution-id",
        "E2EXAMPLE",
        "--paths",
        "/*",
        "--query",
        "Invalidation.Id",
        "--output",
        "text",
      ]);
      // Without its distribution it stops (set -u) before calling AWS.
      fs.rmSync(path.join(dir, "args"));
      const missing = spawnSync("bash", [path.join(RUNTIME_DIR, "invalidate-site.sh")], {
        encoding: "utf8",
        env: { PATH: `${dir}:${process.env.PATH}` },
      });
      expect(missing.status).not.toBe(0);
      expect(fs.existsSync(path.join(dir, "args"))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
