import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { moduleOf, stackPlanJson, stackPlanText, writeOfflineRoot, type OfflineStack } from "../../scripts/plan/offline";
import { analyzePlan } from "../../scripts/plan/analyze";

/* eslint-disable @typescript-eslint/no-explicit-any */
const provider = (tags: Record<string, string>) => ({ aws: [{ region: "eu-west-1", access_key: "x", default_tags: [{ tags }] }] });
const stackJson = (stack: string): any => ({
  terraform: { required_providers: { aws: { source: "aws", version: "5.100.0" } }, backend: { local: { path: "terraform.tfstate" } } },
  provider: provider({ Stack: stack, Application: "webapp" }),
  resource: {
    aws_sns_topic: { alerts_topic: { name: `${stack}-alerts`, tags: { Purpose: "alerts" } } },
    aws_sns_topic_policy: { alerts_policy: { arn: "${aws_sns_topic.alerts_topic.arn}" } },
  },
  output: { url: { value: "https://x", description: "where it lives" } },
});
const stack = (name: string, extra: Partial<OfflineStack> = {}): OfflineStack => ({
  name,
  json: stackJson(name),
  taggable: new Set(["aws_sns_topic.alerts_topic"]),
  ...extra,
});

describe("the combined offline configuration", () => {
  let root: string;
  beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), "offline-root-"))));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));
  const readJson = (...p: string[]) => JSON.parse(fs.readFileSync(path.join(root, ...p), "utf8"));

  it("calls each stack as a module under one provider, re-exporting its outputs", () => {
    const json = writeOfflineRoot(root, [stack("build"), stack("app-dev")]);
    expect(json.module).toEqual({ build: { source: "./build" }, app_dev: { source: "./app_dev" } });
    expect(json.provider.aws).toEqual([{ region: "eu-west-1", access_key: "x" }]);
    expect(json.output.app_dev__url).toEqual({ value: "${module.app_dev.url}", description: "where it lives" });
    const dev = readJson("app_dev", "main.tf.json");
    expect(dev.provider).toBeUndefined();
    expect(dev.terraform).toEqual({ required_providers: { aws: { source: "aws", version: "5.100.0" } } });
  });

  it("moves each stack's default tags into its taggable resources, the resource's own tags winning", () => {
    writeOfflineRoot(root, [stack("app-dev")]);
    const dev = readJson("app_dev", "main.tf.json");
    expect(dev.resource.aws_sns_topic.alerts_topic.tags).toEqual({ Stack: "app-dev", Application: "webapp", Purpose: "alerts" });
    expect(dev.resource.aws_sns_topic_policy.alerts_policy.tags).toBeUndefined();
  });

  it("assembles the stacks' own offline states under their modules, and keeps .terraform between runs", () => {
    const state = {
      version: 4,
      terraform_version: "1.11.4",
      resources: [{ mode: "managed", type: "aws_sns_topic", name: "alerts_topic", instances: [] }],
    };
    fs.mkdirSync(path.join(root, ".terraform"));
    writeOfflineRoot(root, [stack("build"), stack("app-dev", { state })]);
    expect(readJson("terraform.tfstate").resources).toEqual([{ ...state.resources[0], module: "module.app_dev" }]);
    expect(fs.existsSync(path.join(root, ".terraform"))).toBe(true);
    writeOfflineRoot(root, [stack("build")]);
    expect(fs.existsSync(path.join(root, "terraform.tfstate"))).toBe(false);
    expect(fs.existsSync(path.join(root, "app_dev"))).toBe(false);
  });

  it("gives a stack whose provider differs beyond default tags (another account) a provider of its own, passed to its module", () => {
    const other = stack("app-prod");
    other.json.provider.aws[0].allowed_account_ids = ["210987654321"];
    // A role read from the stack's own data cannot be read in the root: it is left out.
    other.json.provider.aws[0].assume_role = [{ role_arn: "${data.terraform_remote_state.bootstrap.outputs.deploy_role_arn}" }];
    const json = writeOfflineRoot(root, [stack("build"), stack("app-dev"), other]);
    expect(json.provider.aws.map((p: Record<string, unknown>) => [p.alias ?? "default", p.allowed_account_ids ?? []])).toEqual([
      ["default", []],
      ["app_prod", ["210987654321"]],
    ]);
    expect(JSON.stringify(json.provider)).not.toContain("${");
    expect(json.module.app_prod.providers).toEqual({ aws: "aws.app_prod" });
    expect(json.module.app_dev.providers).toBeUndefined();
  });
});

describe("one stack's share of the combined plan", () => {
  const combined = {
    format_version: "1.2",
    terraform_version: "1.11.4",
    resource_changes: [
      {
        address: "module.app_dev.aws_sns_topic.alerts_topic",
        module_address: "module.app_dev",
        mode: "managed",
        type: "aws_sns_topic",
        change: { actions: ["create"], before: null, after: { name: "dev" } },
      },
      {
        address: "module.build.aws_sns_topic.alerts_topic",
        module_address: "module.build",
        mode: "managed",
        type: "aws_sns_topic",
        change: { actions: ["create"], before: null, after: { name: "b" } },
      },
    ],
    planned_values: {
      outputs: { app_dev__url: { value: "https://dev", sensitive: false }, build__url: { value: "https://b", sensitive: false } },
    },
    configuration: { root_module: { module_calls: { app_dev: { module: { outputs: { url: { description: "where it lives" } } } } } } },
  };
  const text = [
    "",
    "Terraform will perform the following actions:",
    "",
    "  # module.app_dev.aws_sns_topic.alerts_topic will be created",
    '  + resource "aws_sns_topic" "alerts_topic" {',
    '      + name = "dev"',
    "    }",
    "",
    "  # module.build.aws_sns_topic.alerts_topic will be created",
    '  + resource "aws_sns_topic" "alerts_topic" {',
    "    }",
    "",
    "Plan: 2 to add, 0 to change, 0 to destroy.",
    "",
    "Changes to Outputs:",
    '  + app_dev__url = "https://dev"',
    "  + build__url   = {",
    '      + a = "b"',
    "    }",
    "",
  ].join("\n");

  it("has the stack's resources under their own addresses, and its outputs by their own names", () => {
    const json = stackPlanJson(combined, "app-dev");
    expect(json.resource_changes.map((r: any) => r.address)).toEqual(["aws_sns_topic.alerts_topic"]);
    expect(json.resource_changes[0].module_address).toBeUndefined();
    const plan = analyzePlan("app-dev", json);
    expect(plan.counts.create).toBe(1);
    expect(plan.outputs).toEqual([{ name: "url", description: "where it lives", value: "https://dev" }]);
  });

  it("has a text with only the stack's resources, its own counts and outputs", () => {
    const dev = stackPlanText(text, "app-dev", analyzePlan("app-dev", stackPlanJson(combined, "app-dev")));
    expect(dev).toContain("  # aws_sns_topic.alerts_topic will be created");
    expect(dev).not.toContain("module.");
    expect(dev).toContain("Plan: 1 to add, 0 to change, 0 to destroy.");
    expect(dev).toContain('Changes to Outputs:\n  + url = "https://dev"\n');
    expect(dev).not.toContain("build__url");
    const build = stackPlanText(text, "build", analyzePlan("build", stackPlanJson(combined, "build")));
    expect(build).toContain('Changes to Outputs:\n  + url = {\n      + a = "b"\n    }');
    expect(moduleOf("app-dev-eu")).toBe("app_dev_eu");
  });
});
