import * as fs from "fs";
import * as path from "path";
import { DRIFT_MARKER, driftMarkdown, driftReport } from "../../scripts/drift";
import { projectCopy, shippedConfig, synthAll, type Json } from "../support/helpers";

// The nightly drift report (.github/workflows/drift.yml, npm run drift): from an online plan's
// JSON, what changed outside Terraform is reported, and what deployments change by design is not.
// The plan below is in the form `terraform show -json` writes (resource_drift: what the refresh
// found changed since the last apply); the stack is production's own synthesized JSON, so the
// deployment-owned attributes are its real ignore_changes.
const prod = synthAll(shippedConfig())["app-prod"];
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

const drift = (address: string, before: Json | null, after: Json | null, sensitive: Json | boolean = {}): Json => {
  const [type, name] = address.split(".");
  return {
    address,
    mode: "managed",
    type,
    name,
    provider_name: "registry.terraform.io/hashicorp/aws",
    change: { actions: ["update"], before, after, before_sensitive: sensitive, after_sensitive: sensitive },
  };
};

const listener = (blue: number, green: number): Json => ({
  arn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/webapp-prod/50dc6c495c0c9188/f2f7dc8efc522ab2",
  port: 443,
  default_action: [
    {
      type: "forward",
      forward: [
        {
          target_group: [
            { arn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/webapp-prod/1", weight: blue },
            { arn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/webapp-prod-green/2", weight: green },
          ],
        },
      ],
    },
  ],
});

/** After a deployment to green (scaled out) and a console edit of the instances' ingress rule. */
const PLAN: Json = {
  format_version: "1.2",
  terraform_version: "1.11.4",
  prior_state: {
    values: { root_module: { resources: [{ address: "aws_lb.web_alb", mode: "managed", type: "aws_lb", name: "web_alb" }] } },
  },
  resource_drift: [
    drift(
      "aws_autoscaling_group.fleet_group_green",
      { name: "webapp-prod-green", min_size: 0, desired_capacity: 0, max_size: 6 },
      {
        name: "webapp-prod-green",
        min_size: 3,
        desired_capacity: 5,
        max_size: 6,
      },
    ),
    drift("aws_lb_listener.web_https", listener(100, 0), listener(0, 100)),
    drift(
      "aws_ssm_parameter.traffic_live_slot",
      { name: "/webapp/prod.live-slot", value: "blue", version: 6 },
      {
        name: "/webapp/prod.live-slot",
        value: "green",
        version: 7,
      },
    ),
    drift(
      "aws_vpc_security_group_ingress_rule.web_instances_from_alb",
      { from_port: 8080, to_port: 8080, cidr_ipv4: null },
      {
        from_port: 8080,
        to_port: 8080,
        cidr_ipv4: "0.0.0.0/0",
      },
    ),
    drift(
      "aws_ssm_parameter.runtime_setting_GREETING",
      { name: "/webapp/prod/GREETING", value: "hello", tags: { Team: "web" } },
      { name: "/webapp/prod/GREETING", value: "hi", tags: { Team: "ops" } },
      // Terraform's shape: true where sensitive, {} / [] / false for what is not.
      { value: true, tags: {} },
    ),
    drift(
      "aws_launch_template.fleet_template",
      { user_data: "IyEvYmluL2Jhc2gKZXhwb3J0IEE9MQ==", block_device_mappings: [{ ebs: [{ volume_size: 20 }] }] },
      { user_data: "IyEvYmluL2Jhc2gKZXhwb3J0IEE9Mg==", block_device_mappings: [{ ebs: [{ volume_size: 40 }] }] },
      { block_device_mappings: [{ ebs: [{}] }], user_data: false },
    ),
    drift("aws_cloudwatch_metric_alarm.alarms_cpu", { alarm_name: "webapp-prod-cpu-high", threshold: 80 }, null),
  ],
  resource_changes: [
    { address: "aws_vpc_security_group_ingress_rule.web_instances_from_alb", mode: "managed", change: { actions: ["update"] } },
    { address: "aws_cloudwatch_metric_alarm.alarms_cpu", mode: "managed", change: { actions: ["create"] } },
    { address: "aws_lb.web_alb", mode: "managed", change: { actions: ["no-op"] } },
    { address: "data.aws_iam_policy_document.x", mode: "data", change: { actions: ["read"] } },
  ],
};

describe("npm run drift", () => {
  const report = driftReport("app-prod", PLAN, prod);

  it("reports what changed outside Terraform, attribute by attribute, a sensitive value hidden, a deleted resource as such", () => {
    expect(report.drifted).toEqual([
      {
        address: "aws_vpc_security_group_ingress_rule.web_instances_from_alb",
        deleted: false,
        attributes: [{ name: "cidr_ipv4", before: "null", after: '"0.0.0.0/0"' }],
      },
      {
        address: "aws_ssm_parameter.runtime_setting_GREETING",
        deleted: false,
        attributes: [
          { name: "value", before: "(sensitive)", after: "(sensitive)" },
          { name: "tags", before: '{"Team":"web"}', after: '{"Team":"ops"}' },
        ],
      },
      {
        address: "aws_launch_template.fleet_template",
        deleted: false,
        attributes: [
          { name: "user_data", before: "(not shown)", after: "(not shown)" },
          { name: "block_device_mappings", before: '[{"ebs":[{"volume_size":20}]}]', after: '[{"ebs":[{"volume_size":40}]}]' },
        ],
      },
      { address: "aws_cloudwatch_metric_alarm.alarms_cpu", deleted: true, attributes: [] },
    ]);
  });

  it("does not report what a deployment changes by design: blue/green weights, group sizes, the live slot (and its version)", () => {
    expect(report.deploymentOwned).toEqual([
      { address: "aws_autoscaling_group.fleet_group_green", attributes: ["min_size", "desired_capacity"] },
      { address: "aws_lb_listener.web_https", attributes: ["default_action"] },
      { address: "aws_ssm_parameter.traffic_live_slot", attributes: ["value", "version"] },
    ]);
    expect(report.drifted.map((d) => d.address)).not.toContain("aws_lb_listener.web_https");
  });

  it("would report the same deployment as drift if the stack did not leave those attributes to deployments", () => {
    const without = clone(prod);
    delete without.resource.aws_lb_listener.web_https.lifecycle;
    delete without.resource.aws_autoscaling_group.fleet_group_green.lifecycle;
    const r = driftReport("app-prod", PLAN, without);
    expect(r.drifted.map((d) => d.address)).toEqual(
      expect.arrayContaining(["aws_autoscaling_group.fleet_group_green", "aws_lb_listener.web_https"]),
    );
  });

  it("marks a stack with no state yet as not deployed, rather than drifted", () => {
    expect(report.notDeployed).toBe(false);
    expect(driftReport("app-prod", { ...PLAN, prior_state: undefined }, prod).notDeployed).toBe(true);
  });

  it("lists what applying the stack would do, data sources and no-ops left out", () => {
    expect(report.planned).toEqual([
      { address: "aws_vpc_security_group_ingress_rule.web_instances_from_alb", actions: "update" },
      { address: "aws_cloudwatch_metric_alarm.alarms_cpu", actions: "create" },
    ]);
  });

  it("writes the issue's body: its marker, a row per changed attribute, what is not drift, and how to reconcile", () => {
    const md = driftMarkdown(report, "2026-12-02T03:17:00.000Z");
    expect(md.startsWith(`${DRIFT_MARKER("app-prod")}\n## Drift in app-prod\n`)).toBe(true);
    expect(md).toContain("4 resource(s) changed outside Terraform:");
    expect(md).not.toContain("IyEvYmluL2Jhc2g");
    expect(md).toContain('| `aws_vpc_security_group_ingress_rule.web_instances_from_alb` | `cidr_ipv4` | `null` | `"0.0.0.0/0"` |');
    expect(md).toContain("| `aws_cloudwatch_metric_alarm.alarms_cpu` | (deleted) | exists | gone |");
    expect(md).not.toContain("hello");
    expect(md).toContain("- `aws_lb_listener.web_https`: `default_action`");
    expect(md).toContain("### How to reconcile");
    expect(md).toContain("`npm run plan -- app-prod` then `npm run apply -- app-prod`");
    const clean = driftMarkdown(driftReport("app-prod", { resource_drift: [], resource_changes: [] }, prod), "2026-12-02T03:17:00.000Z");
    expect(clean).toContain("Nothing changed outside Terraform.");
    expect(clean).toContain("Applying the stack now would change nothing.");
    expect(clean).not.toContain("How to reconcile");
  });

  describe("the command, on a project's plan folder", () => {
    const dir = projectCopy();
    const planDir = path.join(dir, "plans", "app-prod");
    const meta = {
      stack: "app-prod",
      mode: "online",
      createdAt: "2026-12-02T03:17:00.000Z",
      configSha256: "x",
      planSha256: "y",
      terraformVersion: "1.11.4",
    };
    let out = "";
    let err = "";
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const command = (): typeof import("../../scripts/drift") => require(path.join(dir, "scripts", "drift.ts"));
    beforeAll(() => {
      fs.mkdirSync(planDir, { recursive: true });
      fs.mkdirSync(path.join(dir, "cdktf.out", "stacks", "app-prod"), { recursive: true });
      fs.writeFileSync(path.join(dir, "cdktf.out", "stacks", "app-prod", "cdk.tf.json"), JSON.stringify(prod));
      fs.writeFileSync(path.join(planDir, "plan.json"), JSON.stringify(PLAN));
    });
    beforeEach(() => {
      out = err = "";
      jest.spyOn(console, "log").mockImplementation((...a) => void (out += a.join(" ") + "\n"));
      jest.spyOn(console, "error").mockImplementation((...a) => void (err += a.join(" ") + "\n"));
    });
    afterEach(() => jest.restoreAllMocks());
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("refuses without a plan, and refuses an offline plan, saying how to make an online one", async () => {
      expect(await command().main(["app-prod"])).toBe(1);
      expect(err).toContain(
        "No plan of app-prod in plans/app-prod/: make one against AWS first (npm run plan -- app-prod --online --no-lock).",
      );
      fs.writeFileSync(path.join(planDir, "meta.json"), JSON.stringify({ ...meta, mode: "offline" }));
      expect(await command().main(["app-prod"])).toBe(1);
      expect(err).toContain("plans/app-prod/ holds an offline plan, which reads no state and finds no drift");
    });

    it("exits 0 for a stack not deployed yet, which has nothing to compare, and opens no issue", async () => {
      fs.writeFileSync(path.join(planDir, "meta.json"), JSON.stringify(meta));
      fs.writeFileSync(path.join(planDir, "plan.json"), JSON.stringify({ ...PLAN, prior_state: undefined }));
      expect(await command().main(["app-prod", "--markdown", path.join(dir, "none.md")])).toBe(0);
      expect(out).toContain("app-prod is not deployed yet (its state holds no resource): nothing to compare.");
      expect(fs.existsSync(path.join(dir, "none.md"))).toBe(false);
      fs.writeFileSync(path.join(planDir, "plan.json"), JSON.stringify(PLAN));
    });

    it("exits 3 on drift and writes the Markdown the workflow posts", async () => {
      fs.writeFileSync(path.join(planDir, "meta.json"), JSON.stringify(meta));
      const file = path.join(dir, "drift.md");
      expect(await command().main(["app-prod", "--markdown", file])).toBe(3);
      expect(fs.readFileSync(file, "utf8")).toContain(DRIFT_MARKER("app-prod"));
      expect(out).toContain("## Drift in app-prod");
    });
  });
});
