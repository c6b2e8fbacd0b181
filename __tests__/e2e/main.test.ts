import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { projectCopy } from "../support/helpers";

/** Runs main.ts exactly as cdktf.json's app command does. */
function synth(dir: string) {
  const outdir = path.join(dir, "cdktf.out");
  const result = spawnSync(path.join(dir, "node_modules", ".bin", "tsx"), ["main.ts"], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, CDKTF_OUTDIR: outdir },
  });
  const stacksDir = path.join(outdir, "stacks");
  const stacks = fs.existsSync(stacksDir) ? fs.readdirSync(stacksDir).sort() : [];
  return { ...result, stacks };
}

describe("main.ts (the app command of cdktf.json)", () => {
  let dir: string;
  beforeEach(() => (dir = projectCopy()));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("synthesizes build and one app stack per environment file: adding a file adds its stack", () => {
    fs.writeFileSync(path.join(dir, "environments", "sandbox.ts"), fs.readFileSync(path.join(dir, "environments", "dev.ts"), "utf8"));
    const result = synth(dir);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stacks).toEqual([
      "app-demo",
      "app-dev",
      "app-hotfix",
      "app-prod",
      "app-qa",
      "app-sandbox",
      "app-staging",
      "bootstrap-210987654321",
      "build",
      "ci",
    ]);
    const sandbox = JSON.parse(fs.readFileSync(path.join(dir, "cdktf.out", "stacks", "app-sandbox", "cdk.tf.json"), "utf8"));
    expect(Object.values(sandbox.resource.aws_codepipeline)[0]).toMatchObject({
      name: "sandbox-webapp",
      trigger: [
        expect.objectContaining({ git_configuration: expect.objectContaining({ push: [{ branches: { includes: ["deploy/sandbox"] } }] }) }),
      ],
    });
  });

  it("fails on a bad environment file, naming file, field and value, and writes no stack", () => {
    const prod = path.join(dir, "environments", "prod.ts");
    fs.writeFileSync(
      prod,
      fs.readFileSync(prod, "utf8").replace('instanceType: "m7g.large", minCapacity: 3', 'instanceType: "m7g.enormous", minCapacity: 30'),
    );
    const result = synth(dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("environments/prod.ts: compute.instanceType: is not a known instance type");
    expect(result.stderr).toContain('(got "m7g.enormous")');
    expect(result.stderr).toContain("environments/prod.ts: compute.minCapacity: must not be greater than compute.maxCapacity (9) (got 30)");
    expect(result.stacks).toEqual([]);
  });
});
