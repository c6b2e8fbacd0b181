import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { App } from "cdktf";
import { createStacks } from "../../modules/stacks";
import { artifactPrefix, pipelineName } from "../../modules/config";
import { explainInitFailure, mapLimit, runTerraform, terraformEnv, terraformVersion, type RunResult } from "../../scripts/terraform";
import { shippedConfig, type Json } from "../support/helpers";
import { MOCK_BUILD_OUTPUTS, addressOf, mockApplyTest, type Assertion } from "../support/mock-apply";

// Runs the real hashicorp/aws 5.100.0 provider over every synthesized stack: `terraform validate`,
// then a mocked `terraform apply` of the whole graph (`terraform test` with mock_provider). Offline,
// set TF_PROVIDER_MIRROR to a provider mirror (README.md, "Set up").
const config = shippedConfig();
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "cicd-terraform-"));
const app = new App({ outdir });
const { build, apps } = createStacks(app, config);
const names = [build, ...apps].map((s) => s.stackName);
const dirOf = (name: string) => path.join(outdir, "stacks", name);
const stackJson = (name: string): Json => JSON.parse(fs.readFileSync(path.join(dirOf(name), "cdk.tf.json"), "utf8"));
let validation: RunResult;
const tested = new Map<string, RunResult>();
const testFiles = new Map<string, string>();

function buildAssertions(s: Json): Assertion[] {
  const bucket = addressOf(s, "aws_s3_bucket");
  const key = addressOf(s, "aws_kms_key");
  const project = addressOf(s, "aws_codebuild_project");
  return [
    { condition: `output.artifact_bucket_name == ${bucket}.bucket`, message: "artifact_bucket_name is not the bucket's name" },
    { condition: `output.artifact_key_arn == ${key}.arn`, message: "artifact_key_arn is not the key's ARN" },
    { condition: `output.build_project_name == ${project}.name`, message: "build_project_name is not the project's name" },
    { condition: `${project}.encryption_key == ${key}.arn`, message: "CodeBuild does not encrypt with the artifact key" },
  ];
}

function appAssertions(s: Json, env: string): Assertion[] {
  const pipeline = addressOf(s, "aws_codepipeline");
  const prefix = `${MOCK_BUILD_OUTPUTS.artifactBucketArn}/${artifactPrefix(pipelineName(config.project.appName, env))}/*`;
  const pipelinePolicy = addressOf(s, "aws_iam_role_policy", (p) => String(p.name).endsWith("-pipeline-policy"));
  const instancePolicy = addressOf(s, "aws_iam_role_policy", (p) => String(p.name).endsWith("-instance-policy"));
  return [
    {
      condition: `anytrue([for a in ${pipeline}.artifact_store : a.location == "${MOCK_BUILD_OUTPUTS.artifactBucketName}" && a.encryption_key[0].id == "${MOCK_BUILD_OUTPUTS.artifactKeyArn}"])`,
      message: "the pipeline does not store artifacts in build's bucket with build's key",
    },
    {
      condition: `${pipeline}.stage[1].action[0].configuration.ProjectName == "${MOCK_BUILD_OUTPUTS.buildProjectName}"`,
      message: "the build stage does not run build's CodeBuild project",
    },
    {
      condition: `${pipeline}.stage[0].action[0].configuration.ConnectionArn == "${MOCK_BUILD_OUTPUTS.connectionArn}"`,
      message: "the source stage does not use build's connection",
    },
    { condition: `strcontains(${pipelinePolicy}.policy, "${prefix}")`, message: "the pipeline role is not limited to its artifact prefix" },
    { condition: `strcontains(${instancePolicy}.policy, "${prefix}")`, message: "the instance role does not read its artifact prefix" },
  ];
}

beforeAll(async () => {
  terraformVersion();
  app.synth();
  const env = terraformEnv();
  // `terraform validate` of all five stacks in one process: a configuration that calls each stack
  // as a module (one provider schema load instead of five; each stack's backend is then ignored,
  // which Terraform reports as a warning).
  const all = path.join(outdir, "all-stacks");
  fs.mkdirSync(all);
  fs.writeFileSync(
    path.join(all, "main.tf.json"),
    JSON.stringify({
      terraform: { required_providers: stackJson("build").terraform.required_providers },
      module: Object.fromEntries(names.map((n) => [n.replace(/-/g, "_"), { source: `../stacks/${n}` }])),
    }),
  );
  const allInit = await runTerraform(["init", "-backend=false", "-input=false", "-no-color"], all, env);
  if (allInit.code !== 0) throw new Error(explainInitFailure("all stacks", allInit));
  validation = await runTerraform(["validate", "-json", "-no-color"], all, env);

  // Each Terraform process with the AWS provider takes about 630 MB and one core: two at a time.
  await mapLimit(names, 2, async (name) => {
    const init = await runTerraform(["init", "-backend=false", "-input=false", "-no-color"], dirOf(name), env);
    if (init.code !== 0) throw new Error(explainInitFailure(name, init));
  });

  await mapLimit(names, 2, async (name) => {
    const s = stackJson(name);
    const assertions = name === "build" ? buildAssertions(s) : appAssertions(s, name.replace(/^app-/, ""));
    const file = mockApplyTest(s, assertions);
    fs.mkdirSync(path.join(dirOf(name), "tests"), { recursive: true });
    fs.writeFileSync(path.join(dirOf(name), "tests", "mock_apply.tftest.hcl"), file);
    testFiles.set(name, file);
    tested.set(name, await runTerraform(["test", "-no-color"], dirOf(name), env));
  });
}, 240_000);

afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

describe("terraform validate with hashicorp/aws 5.100.0", () => {
  it("covers build and every environment", () => {
    expect(names).toEqual(["build", "app-dev", "app-prod", "app-qa", "app-staging"]);
  });

  it.each(names)("accepts %s", (name) => {
    const report = JSON.parse(validation.stdout) as {
      valid: boolean;
      diagnostics: { severity: string; summary: string; detail?: string; range?: { filename: string } }[];
    };
    const ofStack = report.diagnostics.filter((d) => d.range?.filename.includes(`stacks/${name}/`));
    expect(ofStack.filter((d) => d.severity === "error").map((d) => `${d.summary}: ${d.detail ?? ""}`)).toEqual([]);
    // The only warning, one per stack (which also shows the stack was loaded): its backend has no
    // effect when it is called as a module here.
    expect(ofStack.map((d) => `${d.severity}: ${d.summary}`)).toEqual(["warning: Backend configuration ignored"]);
    expect(report.valid).toBe(true);
  });
});

describe("mocked apply (terraform test, mock_provider) of each whole stack", () => {
  it.each(names)("applies %s as one graph, with build's outputs flowing where they belong", (name) => {
    const result = tested.get(name) as RunResult;
    const output = `${result.stdout}${result.stderr}`;
    expect(output).toContain('run "apply_whole_stack"... pass');
    if (name === "build") expect(output).toMatch(/1 passed, 0 failed/);
    else {
      // The plan of an app stack stops on its connection's postcondition while it is PENDING.
      expect(output).toContain('run "pending_connection_stops_the_plan"... pass');
      expect(output).toMatch(/2 passed, 0 failed/);
    }
    // The test's teardown destroys what it applied; only resources with prevent_destroy may refuse.
    const s = stackJson(name);
    const retained = Object.entries(s.resource as Record<string, Record<string, Json>>).flatMap(([type, byId]) =>
      Object.entries(byId).filter(([, r]) => r.lifecycle?.prevent_destroy === true).map(([id]) => `${type}.${id}`),
    );
    const refused = [...output.matchAll(/Resource (\S+) has\s+lifecycle\.prevent_destroy set/g)].map((m) => m[1]);
    expect(refused.filter((a) => !retained.includes(a))).toEqual([]);
    if (retained.length === 0) expect(result.code).toBe(0);
  });

  it("asserts on values that come from build's outputs in every app stack", () => {
    for (const name of names.filter((n) => n !== "build")) {
      const file = testFiles.get(name) as string;
      expect(file).toContain("override_data");
      expect(file).toContain(`"${MOCK_BUILD_OUTPUTS.buildProjectName}"`);
      expect(file.match(/assert \{/g)?.length).toBeGreaterThanOrEqual(5);
    }
  });
});
