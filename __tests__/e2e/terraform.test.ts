import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { App } from "../../modules/lib/cdk";
import { createStacks, stackList } from "../../modules/stacks";
import { artifactPrefix, ciEnvironments, loadConfig, pipelineName, previewName } from "../../modules/config";
import { explainInitFailure, runTerraform, terraformEnv, terraformVersion, type RunResult } from "../../scripts/terraform";
import { ENVIRONMENTS_DIR, type Json } from "../support/helpers";
import {
  MOCK_BUILD_OUTPUTS,
  PENDING_RUN,
  addressOf,
  mockApplyTests,
  mockBootstrapOutputs,
  withAssertionOutputs,
  type Assertion,
} from "../support/mock-apply";
import { moduleOf, writeOfflineRoot } from "../../scripts/plan/offline";

// Runs the real hashicorp/aws 5.100.0 provider over every synthesized stack: `terraform validate`,
// then a mocked `terraform apply` of the whole graph (`terraform test` with mock_provider). Offline,
// set TF_PROVIDER_MIRROR to a provider mirror (README.md, "Set up").
// With one preview, from a hostile branch name: the template's stack is checked by the real
// provider too, and its names by the provider's own validation.
const PREVIEW_BRANCH = "Users/Jane.Doe/" + "very-long-feature-".repeat(12);
const preview = {
  name: previewName("webapp", PREVIEW_BRANCH),
  branch: PREVIEW_BRANCH,
  createdAt: "2026-11-23T10:00:00.000Z",
  expiresOn: "2026-11-30",
};
const config = loadConfig(ENVIRONMENTS_DIR, { entries: [preview], registry: ".previews/" });
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "cicd-terraform-"));
const app = new App({ outdir });
const names = stackList(createStacks(app, config)).map((s) => s.stackName);
const dirOf = (name: string) => path.join(outdir, "stacks", name);
const stackJson = (name: string): Json => JSON.parse(fs.readFileSync(path.join(dirOf(name), "cdk.tf.json"), "utf8"));
let validation: RunResult;

function buildAssertions(s: Json): Assertion[] {
  const bucket = addressOf(s, "aws_s3_bucket", (b) => String(b.bucket).includes("-artifacts-"));
  const logBucket = addressOf(s, "aws_s3_bucket", (b) => String(b.bucket).includes("-access-logs-"));
  const logging = addressOf(s, "aws_s3_bucket_logging");
  const key = addressOf(s, "aws_kms_key");
  const project = addressOf(s, "aws_codebuild_project", (p) => String(p.name).endsWith("-build"));
  const scan = addressOf(s, "aws_codebuild_project", (p) => String(p.name).endsWith("-scan"));
  return [
    { condition: `output.artifact_bucket_name == ${bucket}.bucket`, message: "artifact_bucket_name is not the bucket's name" },
    {
      condition: `output.access_log_bucket_name == ${logBucket}.bucket && output.access_log_bucket_arn == ${logBucket}.arn`,
      message: "access_log_bucket_name/arn are not the access-log bucket's",
    },
    {
      condition: `${logging}.bucket == ${bucket}.id && ${logging}.target_bucket == ${logBucket}.bucket`,
      message: "the artifact bucket does not log into the access-log bucket",
    },
    { condition: `output.artifact_key_arn == ${key}.arn`, message: "artifact_key_arn is not the key's ARN" },
    { condition: `output.build_project_name == ${project}.name`, message: "build_project_name is not the project's name" },
    { condition: `${project}.encryption_key == ${key}.arn`, message: "CodeBuild does not encrypt with the artifact key" },
    {
      condition: `output.scan_project_name == ${scan}.name && output.scan_project_arn == ${scan}.arn`,
      message: "scan_project_name/arn are not the scan project's",
    },
    { condition: `${scan}.encryption_key == ${key}.arn`, message: "the scans do not encrypt with the artifact key" },
  ];
}

/** An environment account's bootstrap: what its app stacks read of it is what it made. */
function bootstrapAssertions(accountId: string): Assertion[] {
  const rules = config.environments
    .filter((e) => e.accountId === accountId)
    .map((e) => `rule/${config.project.appName}-${e.name}-forward-events`);
  return [
    { condition: `output.deploy_role_arn == aws_iam_role.deploy_role.arn`, message: "deploy_role_arn is not the deploy role's" },
    {
      condition: `output.permissions_boundary_arn == aws_iam_policy.boundary.arn`,
      message: "permissions_boundary_arn is not the boundary's",
    },
    {
      condition: `output.access_log_bucket_name == aws_s3_bucket.access_logs_bucket.bucket`,
      message: "access_log_bucket_name is not the account's access-log bucket",
    },
    {
      condition: `alltrue([for r in ${JSON.stringify(rules)} : strcontains(aws_cloudwatch_event_bus_policy.event_bus_policy.policy, r)])`,
      message: "the account's event bus does not take the forwarding rule of each of its environments",
    },
  ];
}

/**
 * CI's roles, applied: the ARN each GitHub environment is told to use and each bootstrap trusts
 * (ciEnvironments) is the role's own path and name, and its trust names the provider made here.
 */
function ciAssertions(): Assertion[] {
  return ciEnvironments(config.project, config.environments).flatMap((ci) =>
    (["apply", "plan"] as const).map((kind) => {
      const role = `aws_iam_role.github_${ci.githubEnvironment.replace(/[^a-z0-9]/g, "_")}_${kind}_role`;
      const arn = kind === "apply" ? ci.applyRoleArn : ci.planRoleArn;
      return {
        condition: `endswith(${JSON.stringify(arn)}, ":role\${${role}.path}\${${role}.name}") && strcontains(${role}.assume_role_policy, aws_iam_openid_connect_provider.github.arn)`,
        message: `${arn} is not ${role}'s path and name, or its trust does not name the provider`,
      };
    }),
  );
}

function appAssertions(s: Json, env: string): Assertion[] {
  const pipeline = "aws_codepipeline.pipeline";
  const alb = addressOf(s, "aws_lb");
  const prefix = `${MOCK_BUILD_OUTPUTS.artifactBucketArn}/${artifactPrefix(pipelineName(config.project.appName, env))}/*`;
  const pipelinePolicy = addressOf(
    s,
    "aws_iam_role_policy",
    (p) => p.name === `${pipelineName(config.project.appName, env)}-pipeline-policy`,
  );
  const site = Object.keys(config.project.staticSites)[0];
  const siteLogs = `aws_cloudwatch_log_delivery_destination.site_${site}_log_destination`;
  const sitePipeline = `aws_codepipeline.site_${site}_pipeline`;
  const instancePolicy = addressOf(s, "aws_iam_role_policy", (p) => String(p.name).endsWith("-instance-policy"));
  const environment = config.environments.find((e) => e.name === env)!;
  const hasSite = environment.preview === undefined;
  // An environment in its own account logs into that account's bucket, made by its bootstrap.
  const account = environment.accountId !== config.project.accountId ? mockBootstrapOutputs(environment.accountId, env) : undefined;
  const logs = account ?? MOCK_BUILD_OUTPUTS;
  const crossAccount: Assertion[] = account
    ? [
        {
          condition: `anytrue([for st in ${pipeline}.stage : st.name == "Deploy" && alltrue([for a in st.action : a.role_arn == aws_iam_role.pipeline_actions_role.arn])])`,
          message: "the Deploy actions do not run as the environment account's pipeline-actions role",
        },
        {
          condition: `aws_iam_role.fleet_role.permissions_boundary == "${account.boundaryArn}" && aws_iam_role.pipeline_actions_role.permissions_boundary == "${account.boundaryArn}"`,
          message: "the environment account's roles do not carry the bootstrap's permission boundary",
        },
      ]
    : [];
  const siteAssertions: Assertion[] = [
    {
      condition: `${siteLogs}.delivery_destination_configuration[0].destination_resource_arn == "${logs.accessLogBucketArn}/cloudfront-access/${env}/${site}"`,
      message: "the site's CloudFront logs do not go to build's access-log bucket under its prefix",
    },
    {
      // Its Build action (after VerifyCommitPassed where the environment promotes and rebuilds the site).
      condition: `anytrue([for a in ${sitePipeline}.stage[1].action : a.name == "Build" && a.configuration.ProjectName == "${MOCK_BUILD_OUTPUTS.buildProjectName}"])`,
      message: "the site's pipeline does not build on build's CodeBuild project",
    },
  ];
  return [
    // Previews serve no static site (environments/_previews.ts, staticSites: false); every other environment does.
    ...(hasSite ? siteAssertions : []),
    ...crossAccount,
    {
      condition: `anytrue([for a in ${pipeline}.artifact_store : a.location == "${MOCK_BUILD_OUTPUTS.artifactBucketName}" && a.encryption_key[0].id == "${MOCK_BUILD_OUTPUTS.artifactKeyArn}"])`,
      message: "the pipeline does not store artifacts in build's bucket with build's key",
    },
    // Where the environment promotes, the build stage takes what passed (its release project)
    // instead of building; elsewhere it runs build's project.
    environment.pipeline.promoteFrom.length
      ? {
          condition: `${pipeline}.stage[1].action[0].configuration.ProjectName == aws_codebuild_project.pipeline_release_project.name`,
          message: "the build stage does not promote on the workload's release project",
        }
      : {
          condition: `${pipeline}.stage[1].action[0].configuration.ProjectName == "${MOCK_BUILD_OUTPUTS.buildProjectName}"`,
          message: "the build stage does not run build's CodeBuild project",
        },
    {
      condition: `${pipeline}.stage[0].action[0].configuration.ConnectionArn == "${MOCK_BUILD_OUTPUTS.connectionArn}"`,
      message: "the source stage does not use build's connection",
    },
    {
      condition: `${alb}.access_logs[0].bucket == "${logs.accessLogBucketName}" && ${alb}.access_logs[0].prefix == "alb-access/${env}"`,
      message: "the ALB does not write access logs under its prefix in build's access-log bucket",
    },
    { condition: `strcontains(${pipelinePolicy}.policy, "${prefix}")`, message: "the pipeline role is not limited to its artifact prefix" },
    { condition: `strcontains(${instancePolicy}.policy, "${prefix}")`, message: "the instance role does not read its artifact prefix" },
    {
      condition: `aws_autoscaling_policy.fleet_scaling.autoscaling_group_name == aws_autoscaling_group.fleet_group.name`,
      message: "the target-tracking policy does not scale the environment's group",
    },
  ];
}

// One configuration calls every stack as a module (one provider schema load for all five instead of
// one per stack): `terraform validate` over it, then `terraform test` with a mocked provider.
const root = path.join(outdir, "all-stacks");
let testRun: RunResult;
const testFiles: Record<string, string> = {};

beforeAll(async () => {
  terraformVersion();
  app.synth();
  const env = terraformEnv();
  const stacks = names.map((name) => {
    const json = stackJson(name);
    const assertions =
      name === "build"
        ? buildAssertions(json)
        : name === "ci"
          ? ciAssertions()
          : name.startsWith("bootstrap-")
            ? bootstrapAssertions(name.replace(/^bootstrap-/, ""))
            : appAssertions(json, name.replace(/^app-/, ""));
    return { name, json, assertions };
  });
  // The offline plan's combined configuration, each stack's assertions added as module outputs.
  writeOfflineRoot(
    root,
    stacks.map((s) => ({ name: s.name, json: withAssertionOutputs(s.json, s.assertions), taggable: new Set<string>() })),
  );
  fs.mkdirSync(path.join(root, "tests"));
  Object.assign(testFiles, mockApplyTests(stacks));
  for (const [file, text] of Object.entries(testFiles)) fs.writeFileSync(path.join(root, "tests", file), text);
  const init = await runTerraform(["init", "-backend=false", "-input=false", "-no-color"], root, env);
  if (init.code !== 0) throw new Error(explainInitFailure("all stacks", init));
  // Each stack's own JSON, as written by cdktf (backend and provider included), for validate.
  const asSynthesized = path.join(outdir, "as-synthesized");
  fs.mkdirSync(asSynthesized);
  fs.writeFileSync(
    path.join(asSynthesized, "main.tf.json"),
    JSON.stringify({
      terraform: { required_providers: stackJson("build").terraform.required_providers },
      module: Object.fromEntries(names.map((n) => [moduleOf(n), { source: `../stacks/${n}` }])),
    }),
  );
  const validateInit = await runTerraform(["init", "-backend=false", "-input=false", "-no-color"], asSynthesized, env);
  if (validateInit.code !== 0) throw new Error(explainInitFailure("all stacks", validateInit));
  [validation, testRun] = await Promise.all([
    runTerraform(["validate", "-json", "-no-color"], asSynthesized, env),
    runTerraform(["test", "-no-color"], root, env),
  ]);
}, 240_000);

afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

describe("terraform validate with hashicorp/aws 5.100.0", () => {
  it("covers build and every environment", () => {
    expect(names).toEqual([
      "ci",
      "build",
      "bootstrap-210987654321",
      "app-demo",
      "app-dev",
      "app-hotfix",
      "app-prod",
      "app-qa",
      "app-staging",
      `app-${preview.name}`,
    ]);
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

describe("mocked apply (terraform test, mock_provider) of every stack at once", () => {
  const output = () => `${testRun.stdout}${testRun.stderr}`;
  const appModules = () => names.filter((n) => n.startsWith("app-")).map(moduleOf);

  it("applies every stack as one graph, each stack's assertions holding, with build's outputs flowing where they belong", () => {
    expect(output()).toContain('run "apply_every_stack"... pass');
    expect(output()).not.toMatch(/Test assertion failed/);
  });

  it("stops each app stack's plan while its GitHub connection is PENDING, and fails nothing else", () => {
    // One run with every connection PENDING (one plan of all the stacks): each app stack's
    // postcondition fails in it, and nothing else does.
    expect(output()).toContain(`run "${PENDING_RUN}"... fail`);
    for (const m of appModules()) expect(output()).toContain(`on ${m}/main.tf.json`);
    expect(output().match(/The GitHub connection is PENDING, not AVAILABLE/g)).toHaveLength(appModules().length);
    expect(output()).toContain("Failure! 1 passed, 1 failed.");
    expect(testRun.code).toBe(1);
  });

  it("tears the mocked apply down except resources with prevent_destroy, and reports no other error", () => {
    const retained = names.flatMap((name) =>
      Object.entries(stackJson(name).resource as Record<string, Record<string, Json>>).flatMap(([type, byId]) =>
        Object.entries(byId)
          .filter(([, r]) => r.lifecycle?.prevent_destroy === true)
          .map(([id]) => `module.${moduleOf(name)}.${type}.${id}`),
      ),
    );
    expect(retained.length).toBeGreaterThan(0);
    const refused = [...output().matchAll(/Resource\s+(\S+)\s+has\s+lifecycle\.prevent_destroy\s+set/g)].map((m) => m[1]);
    // Terraform stops a stack's teardown at the first refusals it meets (a key whose log group is
    // retained is not reached), so: every refusal is of a retained resource, in each stack that has one.
    expect(refused.filter((a) => !retained.includes(a))).toEqual([]);
    const modulesOf = (addresses: string[]) => [...new Set(addresses.map((a) => a.split(".")[1]))].sort();
    expect(modulesOf(refused)).toEqual(modulesOf(retained));
    // Every error is one of those refusals or one pending connection's postcondition.
    expect(output().match(/^Error: /gm)).toHaveLength(refused.length + appModules().length);
  });

  it("asserts on values that come from build's outputs in every app stack", () => {
    const apply = testFiles["apply.tftest.hcl"];
    for (const name of names.filter((n) => n.startsWith("app-"))) {
      expect(apply).toContain(`target = module.${moduleOf(name)}.data.terraform_remote_state.build`);
      expect(apply.match(new RegExp(`condition {5}= module\\.${moduleOf(name)}\\.cicd_assert_`, "g"))?.length).toBeGreaterThanOrEqual(5);
    }
    expect(apply).toContain(`"${MOCK_BUILD_OUTPUTS.buildProjectName}"`);
  });
});
