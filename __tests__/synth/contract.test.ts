import { Testing } from "../../modules/lib/cdk";
import { BOOTSTRAP_OUTPUTS, BUILD_OUTPUTS, PLACEHOLDER_MARK, placeholderBuildOutputs } from "../../modules/stacks/contract";
import { createStacks } from "../../modules/stacks";
import { makeConfig, NETWORK, PROJECT, shippedConfig, synthAll, type Json } from "../support/helpers";
import { ciEnvironments } from "../../modules/config";

const stacks = synthAll(shippedConfig());
const appNames = Object.keys(stacks).filter((n) => n.startsWith("app-"));

/** Every `data.terraform_remote_state.build.outputs.<name>` an app stack's JSON refers to. */
function outputsReadBy(stack: Json): string[] {
  const names = new Set<string>();
  for (const m of JSON.stringify(stack).matchAll(/data\.terraform_remote_state\.build\.outputs\.([A-Za-z0-9_]+)/g)) names.add(m[1]);
  return [...names].sort();
}

describe("cross-stack contract", () => {
  it("an account's bootstrap publishes exactly the outputs its environments' stacks may read, and they read no other", () => {
    const published = Object.keys(stacks["bootstrap-210987654321"].output).sort();
    expect(published).toEqual(
      Object.values(BOOTSTRAP_OUTPUTS)
        .map((o) => o.name)
        .sort(),
    );
    for (const name of ["app-prod", "app-hotfix"]) {
      const read = [...JSON.stringify(stacks[name]).matchAll(/data\.terraform_remote_state\.bootstrap\.outputs\.([a-z_]+)/g)].map(
        (m) => m[1],
      );
      expect(read.length).toBeGreaterThan(0);
      expect(read.filter((o) => !published.includes(o))).toEqual([]);
    }
    // Single-account environments read no bootstrap.
    expect(JSON.stringify(stacks["app-dev"])).not.toContain("terraform_remote_state.bootstrap");
  });

  it("build publishes exactly the outputs the contract names", () => {
    expect(Object.keys(stacks.build.output).sort()).toEqual(
      Object.values(BUILD_OUTPUTS)
        .map((o) => o.name)
        .sort(),
    );
  });

  it.each(appNames)("every output %s reads is one that build publishes", (name) => {
    const read = outputsReadBy(stacks[name]);
    expect(read.length).toBeGreaterThanOrEqual(5);
    expect(read.filter((o) => !(o in stacks.build.output))).toEqual([]);
  });

  it.each(appNames)("%s reads build's state from build's own backend bucket and key", (name) => {
    const remote = stacks[name].data.terraform_remote_state.build;
    const backend = stacks.build.terraform.backend.s3;
    expect(remote.backend).toBe("s3");
    expect(remote.config).toMatchObject({ bucket: backend.bucket, key: backend.key, region: backend.region });
  });

  it.each(appNames)("%s stops its plan, saying to deploy build again, when build's state lacks an output of the contract", (name) => {
    const [check] = stacks[name].data.terraform_remote_state.build.lifecycle.postcondition;
    const listed = JSON.parse(/setsubtract\((\[[^\]]*\])/.exec(check.condition)?.[1] ?? "[]");
    expect(listed.sort()).toEqual(Object.keys(stacks.build.output).sort());
    expect(check.condition).toContain("keys(self.outputs)");
    expect(check.error_message).toContain("Deploy build again first (`npx cdktf deploy build`)");
  });

  it("no app stack depends on build at the cdktf level, so `cdktf deploy app-<env>` runs alone", () => {
    const app = Testing.app();
    const { build, apps } = createStacks(app, shippedConfig());
    for (const stack of apps) expect(stack.dependencies).not.toContain(build);
    expect(build.dependencies).toEqual([]);
    // Automatic cross-stack references would add outputs with generated names to build.
    expect(Object.keys(stacks.build.output).every((o) => /^[a-z_]+$/.test(o))).toBe(true);
  });
});

describe("offline placeholders for build's outputs", () => {
  it("are each marked offline-placeholder: bucket, key, project and connection alike", () => {
    const placeholders = placeholderBuildOutputs({ accountId: "123456789012", region: "eu-west-1" }, "webapp");
    expect(Object.keys(placeholders).sort()).toEqual(Object.keys(BUILD_OUTPUTS).sort());
    expect(Object.entries(placeholders).filter(([, v]) => !v.includes(PLACEHOLDER_MARK))).toEqual([]);
  });

  it("are all an offline app stack holds of build: no value of it is unmarked", () => {
    const { apps } = createStacks(Testing.app(), shippedConfig(), { offline: true });
    const dev = Testing.synth(apps.find((a) => a.stackName === "app-dev")!);
    expect(dev).toContain(`arn:aws:kms:eu-west-1:123456789012:key/${PLACEHOLDER_MARK}`);
    expect(dev).toContain(`arn:aws:codestar-connections:eu-west-1:123456789012:connection/${PLACEHOLDER_MARK}`);
    expect(dev).not.toContain("terraform_remote_state");
    expect(dev).not.toMatch(/key\/[0-9a-f]{8}-[0-9a-f]{4}-/);
  });
});

describe("state", () => {
  it("keeps each stack under its own key in one bucket, encrypted, with S3-native locking", () => {
    const backends = Object.entries(stacks).map(([name, s]) => [name, s.terraform.backend.s3]);
    for (const [name, b] of backends) {
      expect(b).toEqual({
        bucket: "webapp-tfstate-123456789012",
        region: "eu-west-1",
        key: `webapp/${name}.tfstate`,
        encrypt: true,
        use_lockfile: true,
      });
    }
  });

  it("pins the AWS provider to hashicorp/aws 5.100.0 and locks each stack to its account: the tooling account, or its environment's", () => {
    const accounts = Object.fromEntries(
      Object.entries(stacks).map(([name, s]) => [
        name,
        s.provider.aws.map((p: Json) => `${p.alias ?? "default"}=${p.allowed_account_ids}`),
      ]),
    );
    expect(accounts).toEqual({
      ci: ["default=123456789012"],
      build: ["default=123456789012"],
      "bootstrap-210987654321": ["default=210987654321"],
      "app-dev": ["default=123456789012", "us_east_1=123456789012"],
      "app-qa": ["default=123456789012", "us_east_1=123456789012"],
      "app-staging": ["default=123456789012", "us_east_1=123456789012"],
      "app-demo": ["default=123456789012", "us_east_1=123456789012"],
      // Production's account, with the tooling account's provider for its pipelines.
      "app-hotfix": ["default=210987654321", "tooling=123456789012", "us_east_1=210987654321"],
      "app-prod": ["default=210987654321", "tooling=123456789012", "us_east_1=210987654321"],
    });
    for (const s of Object.values(stacks)) {
      expect(s.terraform.required_providers.aws.version).toBe("5.100.0");
      expect(s.provider.aws[0]).toMatchObject({ region: "eu-west-1" });
    }
  });

  it("records every environment's pipeline events in the tooling account, where the delivery dashboard reads them", () => {
    for (const name of appNames) {
      const env = name.replace(/^app-/, "");
      const inTooling = Object.values<Json>(stacks[name].resource.aws_cloudwatch_log_group ?? {}).filter(
        (g) =>
          g.name === `/aws/events/webapp/${env}` &&
          (name === "app-prod" || name === "app-hotfix" ? g.provider === "aws.tooling" : !g.provider),
      );
      expect([name, inTooling.length]).toEqual([name, 1]);
    }
    // ... and, cross-account, in the environment's account too (its deployments and alarms happen there).
    const prodLogs = Object.values<Json>(stacks["app-prod"].resource.aws_cloudwatch_log_group).filter(
      (g) => g.name === "/aws/events/webapp/prod",
    );
    expect(prodLogs.map((g) => g.provider ?? "default").sort()).toEqual(["aws.tooling", "default"]);
  });

  it("sends a cross-account environment's alarm state changes to the tooling account, where they are recorded for the time to restore", () => {
    for (const name of ["app-prod", "app-hotfix"]) {
      const env = name.replace(/^app-/, "");
      const rules = Object.values<Json>(stacks[name].resource.aws_cloudwatch_event_rule);
      const forward = rules.find((r) => r.name === `webapp-${env}-forward-alarms`)!;
      // In the environment's account (default provider), its own alarms only.
      expect(forward.provider).toBeUndefined();
      expect(JSON.parse(forward.event_pattern)).toEqual({
        source: ["aws.cloudwatch"],
        "detail-type": ["CloudWatch Alarm State Change"],
        detail: { alarmName: [{ prefix: `webapp-${env}-` }] },
      });
      const target = Object.values<Json>(stacks[name].resource.aws_cloudwatch_event_target).find((t) =>
        t.rule.includes("alarm_events_forwarding_rule"),
      )!;
      expect(target.arn).toBe("arn:aws:events:eu-west-1:123456789012:event-bus/default");
      // Recorded in the tooling account beside its pipelines' events.
      const recorded = rules.find((r) => r.name === `webapp-${env}-delivery-alarms` && r.provider === "aws.tooling");
      expect(recorded).toBeDefined();
    }
    // build's bus policy admits exactly those two rules.
    const policy = JSON.parse(Object.values<Json>(stacks.build.resource.aws_cloudwatch_event_bus_policy)[0].policy);
    expect(policy.Statement.map((st: Json) => st.Condition.ArnEquals["aws:SourceArn"]).sort()).toEqual([
      "arn:aws:events:eu-west-1:210987654321:rule/webapp-hotfix-forward-alarms",
      "arn:aws:events:eu-west-1:210987654321:rule/webapp-prod-forward-alarms",
    ]);
  });

  it("deploys into an environment account only through the role its bootstrap made, read from the bootstrap's state", () => {
    const prod = stacks["app-prod"];
    // The deploy role, or the read role for a read-only plan: an ephemeral variable, so a plan made
    // read-only is applied with the deploy role (scripts/terraform.ts, accessEnv).
    const assumed = {
      role_arn:
        '${(var.account_access == "read") ? data.terraform_remote_state.bootstrap.outputs.read_role_arn : data.terraform_remote_state.bootstrap.outputs.deploy_role_arn}',
      session_name: "webapp-app-prod",
    };
    expect(prod.variable.account_access).toMatchObject({ default: "deploy", ephemeral: true, type: "string" });
    expect(stacks["app-dev"].variable).toBeUndefined();
    expect(prod.provider.aws.filter((p: Json) => p.alias !== "tooling").map((p: Json) => p.assume_role)).toEqual([[assumed], [assumed]]);
    expect(prod.data.terraform_remote_state.bootstrap.config).toEqual({
      bucket: "webapp-tfstate-123456789012",
      key: "webapp/bootstrap-210987654321.tfstate",
      region: "eu-west-1",
    });
    // The bootstrap assumes the account's administrator role; single-account stacks assume nothing.
    expect(stacks["bootstrap-210987654321"].provider.aws[0].assume_role).toEqual([
      { role_arn: "arn:aws:iam::210987654321:role/OrganizationAccountAccessRole", session_name: "webapp-bootstrap-210987654321" },
    ]);
    for (const name of ["build", "app-dev", "app-staging"]) expect(stacks[name].provider.aws[0].assume_role).toBeUndefined();
  });

  it("tags every resource with the application, stack and environment", () => {
    expect(stacks["app-prod"].provider.aws[0].default_tags[0].tags).toMatchObject({
      Application: "webapp",
      Stack: "app-prod",
      Environment: "prod",
      Tier: "production",
      CostCenter: "cc-1234",
      ManagedBy: "cdktf",
    });
  });
});

describe("CI's boundaries (the ci stack)", () => {
  const config = shippedConfig();
  const ci = ciEnvironments(config.project, config.environments);
  const roles = (json: Json) => Object.values<Json>(json.resource?.aws_iam_role ?? {});

  it("every role made in the tooling account carries its GitHub environment's boundary; every other, its account's", () => {
    for (const [name, json] of Object.entries(stacks).filter(([n]) => n !== "ci" && !n.startsWith("bootstrap-"))) {
      const own = ci.find((c) => c.stacks.includes(name))!;
      for (const role of roles(json)) {
        const inTooling = role.provider === "aws.tooling" || !["app-prod", "app-hotfix"].includes(name);
        expect([name, role.name, role.permissions_boundary]).toEqual([
          name,
          role.name,
          inTooling ? own.boundaryArn : "${data.terraform_remote_state.bootstrap.outputs.permissions_boundary_arn}",
        ]);
      }
    }
    // ... and the ci stack makes each boundary, on the path its ARN names.
    const policies = Object.values<Json>(stacks.ci.resource.aws_iam_policy).map(
      (p) => `arn:aws:iam::123456789012:policy${p.path}${p.name}`,
    );
    expect(policies.sort()).toEqual(ci.map((c) => c.boundaryArn).sort());
  });

  it("without ci, no role of a single-account stack carries a boundary (as before ci existed)", () => {
    const { ci: _, ...project } = config.project;
    void _;
    const without = synthAll({ ...config, project });
    expect(Object.keys(without)).not.toContain("ci");
    for (const name of ["build", "app-dev", "app-qa", "app-staging", "app-demo"]) {
      for (const role of roles(without[name])) expect([name, role.name, role.permissions_boundary]).toEqual([name, role.name, undefined]);
    }
  });
});

describe("CI's fences", () => {
  it("fence another environment's artifacts by its name's pattern, but one by one where an own prefix shares it (dev and dev-eu)", () => {
    const config = makeConfig(
      { dev: { tier: "development", network: NETWORK }, "dev-eu": { tier: "development", network: NETWORK } },
      { ...PROJECT, ci: { repository: "acme/infra" } },
    );
    const ci = synthAll(config).ci;
    const statement = (env: string, sid: string) =>
      [
        JSON.parse(Object.values<Json>(ci.resource.aws_iam_role_policy).find((p) => p.role.includes(`github_${env}_apply_role`))!.policy)
          .Statement,
      ]
        .flat()
        .find((st: Json) => st.Sid === sid);
    const bucket = "arn:aws:s3:::shop-artifacts-111122223333-us-east-2/";
    // dev's role may not write dev-eu's artifacts: a pattern covers them, and none of dev's own.
    expect(statement("dev", "NeverOtherEnvironmentsArtifacts").Resource).toBe(`${bucket}dev-eu-*`);
    // dev-eu's may not write dev's, listed (its pipeline's and its release records): "dev-*" would cover its own.
    expect(statement("dev_eu", "NeverOtherEnvironmentsArtifacts").Resource).toEqual([`${bucket}dev-shop/*`, `${bucket}dev-releases/*`]);
    // Pipelines: its own only, by name (dev's "dev-shop" is not dev-eu's "dev-eu-shop").
    expect(statement("dev", "ItsPipelines").Resource).toEqual([
      "arn:aws:codepipeline:us-east-2:111122223333:dev-shop",
      "arn:aws:codepipeline:us-east-2:111122223333:dev-shop/*",
    ]);
  });
});
