import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { App } from "cdktf";
import { createStacks } from "../modules/stacks";
import { explainInitFailure, mapLimit, runTerraform, terraformEnv, terraformVersion, type RunResult } from "../scripts/terraform";
import { shippedConfig } from "./helpers";

// Runs the real hashicorp/aws 5.100.0 provider. Offline, set TF_PROVIDER_MIRROR to a provider
// mirror (the folder that contains registry.terraform.io); see README.md, "Tests".
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "cicd-validate-"));
const app = new App({ outdir });
const { build, apps } = createStacks(app, shippedConfig());
const names = [build, ...apps].map((s) => s.stackName);
const results = new Map<string, RunResult>();

beforeAll(async () => {
  terraformVersion();
  app.synth();
  const env = terraformEnv();
  // Each Terraform process with the AWS provider takes about 630 MB and one core: two at a time.
  await mapLimit(names, 2, async (name) => {
    const dir = path.join(outdir, "stacks", name);
    const init = await runTerraform(["init", "-backend=false", "-input=false", "-no-color"], dir, env);
    if (init.code !== 0) throw new Error(explainInitFailure(name, init));
    results.set(name, await runTerraform(["validate", "-json", "-no-color"], dir, env));
  });
}, 180_000);

afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

describe("terraform validate with hashicorp/aws 5.100.0", () => {
  it("covers build and every environment", () => {
    expect(names).toEqual(["build", "app-dev", "app-prod", "app-qa", "app-staging"]);
  });

  it.each(names)("accepts %s", (name) => {
    const result = results.get(name) as RunResult;
    const report = JSON.parse(result.stdout) as { valid: boolean; error_count: number; diagnostics: { severity: string; summary: string; detail?: string }[] };
    const errors = report.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.summary}: ${d.detail ?? ""}`);
    expect(errors).toEqual([]);
    expect(report.valid).toBe(true);
    expect(result.code).toBe(0);
  });
});
