import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError, TIER_DEFAULTS, loadConfig, type ConfigProblem } from "../../modules/config";
import { ENVIRONMENTS_DIR, NETWORK, PROJECT, makeConfig, shippedConfig } from "../support/helpers";
import { COMMERCIAL_REGIONS, ELB_LOG_DELIVERY, elbLogDeliveryPrincipal } from "../../modules/config/regions";

/** The problems a configuration is rejected with (fails the test if it is accepted). */
function problemsOf(envs: Record<string, unknown>, project: unknown = PROJECT): ConfigProblem[] {
  try {
    makeConfig(envs, project);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error("the configuration was accepted");
}

const dev = { tier: "development", network: NETWORK } as const;

describe("shipped environments", () => {
  const config = shippedConfig();

  it("are dev, qa, staging, prod, hotfix and demo, each on its own deploy/<env> branch; hotfix also on hotfix/**", () => {
    expect(Object.fromEntries(config.environments.map((e) => [e.name, [e.pipeline.branch, ...e.pipeline.triggerBranches]]))).toEqual({
      demo: ["deploy/demo", "deploy/demo"],
      dev: ["deploy/dev", "deploy/dev"],
      hotfix: ["deploy/hotfix", "deploy/hotfix", "hotfix/**"],
      qa: ["deploy/qa", "deploy/qa"],
      staging: ["deploy/staging", "deploy/staging"],
      prod: ["deploy/prod", "deploy/prod"],
    });
  });

  it("require an approval in demo, qa, staging and prod, and not in dev or hotfix", () => {
    expect(
      config.environments
        .filter((e) => e.pipeline.requireApproval)
        .map((e) => e.name)
        .sort(),
    ).toEqual(["demo", "prod", "qa", "staging"]);
  });

  it("queue gated pipelines and hotfixes, and protect prod's ALB from deletion", () => {
    for (const e of config.environments) {
      expect(e.pipeline.executionMode).toBe(e.tier === "development" ? "SUPERSEDED" : "QUEUED");
      expect(e.deletionProtection).toBe(e.name === "prod");
    }
  });

  it("give hotfix production's shape at a smaller scale: its instance type, alarms, network, settings and secrets", () => {
    const env = (name: string) => config.environments.find((e) => e.name === name)!;
    const [hotfix, prod] = [env("hotfix"), env("prod")];
    const production = TIER_DEFAULTS.production;
    expect(hotfix.compute.instanceType).toBe(prod.compute.instanceType);
    expect(hotfix.compute.maxCapacity).toBeLessThan(prod.compute.minCapacity);
    expect(hotfix.compute.spot).toBeUndefined();
    expect(hotfix.alarms).toEqual({
      http5xxCount: production.http5xxCount,
      unhealthyHosts: production.unhealthyHosts,
      cpuPercent: production.cpuPercent,
      latencyP99Seconds: production.latencyP99Seconds,
      site5xxPercent: production.site5xxPercent,
    });
    expect(hotfix.network).toEqual(prod.network);
    expect(hotfix.runtime.settings).toEqual(prod.runtime.settings);
    expect(hotfix.runtime.secrets).toEqual(prod.runtime.secrets);
    expect(hotfix.schedule).toBeUndefined();
    expect(hotfix.notificationEmails).toEqual(prod.notificationEmails);
  });

  it("give demo what a demo needs: small, on demand, gated, asleep outside office hours, its own notification list", () => {
    const demo = config.environments.find((e) => e.name === "demo")!;
    expect(demo.compute).toMatchObject({ minCapacity: 1, maxCapacity: 2, spot: undefined });
    expect(demo.pipeline).toMatchObject({ requireApproval: true, executionMode: "QUEUED" });
    expect(demo.schedule).toEqual({ timeZone: "Europe/Paris", days: "MON-FRI", wake: 8, sleep: 19 });
    const others = config.environments.filter((e) => e.name !== "demo").flatMap((e) => e.notificationEmails);
    expect(demo.notificationEmails.length).toBeGreaterThan(0);
    expect(demo.notificationEmails.filter((e) => others.includes(e))).toEqual([]);
  });
});

describe("tier defaults", () => {
  it("fill every field an environment file leaves out", () => {
    const [env] = makeConfig({ dev }).environments;
    const d = TIER_DEFAULTS.development;
    expect(env.compute).toEqual({
      instanceType: d.instanceType,
      minCapacity: d.minCapacity,
      desiredCapacity: d.desiredCapacity,
      maxCapacity: d.maxCapacity,
      scaling: { metric: "cpu", target: d.cpuTarget, warmupSeconds: d.warmupSeconds },
      // Same-size sibling of t3.micro: the Spot pools to draw from.
      spot: { instanceTypes: ["t3.micro", "t3a.micro"], onDemandBase: 0, onDemandPercentAboveBase: 0 },
    });
    expect(env.schedule).toEqual({ timeZone: "Etc/UTC", days: "MON-FRI", wake: 7, sleep: 19 });
    expect(env.logRetentionDays).toBe(d.logRetentionDays);
    expect(env.deployment.config).toBe("CodeDeployDefault.OneAtATime");
    expect(env.allowedIngressCidrs).toEqual(["0.0.0.0/0"]);
  });

  it("yield to the values an environment file sets", () => {
    const [env] = makeConfig({
      prod: { tier: "production", network: NETWORK, compute: { maxCapacity: 12 }, logRetentionDays: 731 },
    }).environments;
    expect(env.compute.maxCapacity).toBe(12);
    expect(env.compute.minCapacity).toBe(TIER_DEFAULTS.production.minCapacity);
    expect(env.logRetentionDays).toBe(731);
  });

  it("make production require approval and keep deletion protection on", () => {
    const [env] = makeConfig({ live: { tier: "production", network: NETWORK } }).environments;
    expect(env.pipeline.requireApproval).toBe(true);
    expect(env.deletionProtection).toBe(true);
    expect(env.pipeline.branch).toBe("deploy/live");
  });
});

describe("validation", () => {
  it("rejects an unknown instance type, naming file, field and value", () => {
    expect(problemsOf({ dev: { ...dev, compute: { instanceType: "t3.gigantic" } } })).toEqual([
      expect.objectContaining({ file: "environments/dev.ts", field: "compute.instanceType", value: "t3.gigantic" }),
    ]);
  });

  it("rejects a minimum capacity above the maximum", () => {
    const problems = problemsOf({ dev: { ...dev, compute: { minCapacity: 5, maxCapacity: 2 } } });
    expect(problems).toContainEqual(
      expect.objectContaining({ field: "compute.minCapacity", value: 5, message: expect.stringContaining("maxCapacity (2)") }),
    );
  });

  it("rejects a desired capacity outside min..max", () => {
    expect(problemsOf({ dev: { ...dev, compute: { minCapacity: 2, desiredCapacity: 1, maxCapacity: 3 } } })).toEqual([
      expect.objectContaining({ field: "compute.desiredCapacity", value: 1 }),
    ]);
  });

  it("rejects a subnet id that is not one", () => {
    const network = { ...NETWORK, privateSubnetIds: ["subnet-0123456789abcdef3", "sn-12345"] };
    expect(problemsOf({ dev: { ...dev, network } })).toEqual([
      expect.objectContaining({ field: "network.privateSubnetIds.1", value: "sn-12345", message: expect.stringContaining("subnet id") }),
    ]);
  });

  it("rejects an ALB with a single public subnet", () => {
    const network = { ...NETWORK, publicSubnetIds: ["subnet-0123456789abcdef1"] };
    expect(problemsOf({ dev: { ...dev, network } })).toEqual([
      expect.objectContaining({ field: "network.publicSubnetIds", message: expect.stringContaining("two") }),
    ]);
  });

  it("rejects a log retention CloudWatch does not accept", () => {
    expect(problemsOf({ dev: { ...dev, logRetentionDays: 45 } })).toEqual([
      expect.objectContaining({ field: "logRetentionDays", value: 45, message: expect.stringContaining("30, 60") }),
    ]);
  });

  it("rejects an environment name that is not a valid stack name", () => {
    expect(problemsOf({ Dev_1: dev })).toEqual([
      expect.objectContaining({ file: "environments/Dev_1.ts", field: "(file name)", value: "Dev_1" }),
    ]);
  });

  it("rejects a name that makes resource names longer than AWS allows", () => {
    expect(problemsOf({ "a-very-long-feature-branch-name": dev })).toEqual([
      expect.objectContaining({ field: "(file name)", message: expect.stringContaining("32 characters") }),
    ]);
  });

  it("rejects trigger patterns in production, and patterns that take another environment's branch", () => {
    const prod = { tier: "production", network: NETWORK };
    const hotfix = { ...dev, pipeline: { branch: "deploy/hotfix", triggerBranches: ["deploy/*", "hotfix/**"] } };
    const messages = (envs: Record<string, unknown>) => problemsOf(envs).map((p) => `${p.file} ${p.field}: ${p.message}`);
    expect(messages({ prod: { ...prod, pipeline: { triggerBranches: ["deploy/prod", "hotfix/**"] } } })).toEqual([
      'environments/prod.ts pipeline.triggerBranches: must be ["deploy/prod"] in a production environment: only a commit promoted to its own branch reaches it (hotfix branches deploy to a hotfix environment first; docs/environments.md, "Hotfix")',
    ]);
    expect(messages({ prod, hotfix })).toEqual([
      `environments/hotfix.ts pipeline.triggerBranches: takes environment "prod"'s branch deploy/prod: a push there would start both pipelines; narrow the pattern`,
    ]);
    expect(() =>
      makeConfig({ prod, hotfix: { ...hotfix, pipeline: { ...hotfix.pipeline, triggerBranches: ["hotfix/**"] } } }),
    ).not.toThrow();
  });

  it("rejects two environments on the same branch", () => {
    const problems = problemsOf({ dev, sandbox: { ...dev, pipeline: { branch: "deploy/dev" } } });
    expect(problems).toEqual([
      expect.objectContaining({
        file: "environments/sandbox.ts",
        field: "pipeline.branch",
        value: "deploy/dev",
        message: expect.stringContaining('"dev"'),
      }),
    ]);
  });

  it("rejects two environments whose pipelines would share an artifact prefix", () => {
    const problems = problemsOf({ "feature-checkout-flow-1": dev, "feature-checkout-flow-2": dev });
    expect(problems).toEqual([
      expect.objectContaining({
        field: "(file name)",
        value: "feature-checkout-flow-2",
        message: expect.stringContaining('artifact prefix "feature-checkout-flo"'),
      }),
    ]);
  });

  it("rejects a production environment without an approval", () => {
    expect(problemsOf({ prod: { tier: "production", network: NETWORK, pipeline: { requireApproval: false } } })).toEqual([
      expect.objectContaining({ file: "environments/prod.ts", field: "pipeline.requireApproval", value: false }),
    ]);
  });

  it("rejects unknown fields, so a misspelt setting is not silently ignored", () => {
    expect(problemsOf({ dev: { ...dev, compute: { instanceTyp: "t3.micro" } } })).toEqual([
      expect.objectContaining({ field: "compute.instanceTyp", message: expect.stringContaining("unknown field") }),
    ]);
  });

  it("rejects bad CIDRs, emails and certificate ARNs", () => {
    const problems = problemsOf({
      dev: {
        ...dev,
        allowedIngressCidrs: ["10.0.0.0/33"],
        notificationEmails: ["not-an-email"],
        certificateArn: "arn:aws:iam::123456789012:server-certificate/x",
      },
    });
    expect(problems.map((p) => p.field).sort()).toEqual(["allowedIngressCidrs.0", "certificateArn", "notificationEmails.0"]);
  });

  it("reports several problems across files together", () => {
    const problems = problemsOf({
      dev: { ...dev, logRetentionDays: 2, compute: { instanceType: "x1.huge" } },
      qa: { tier: "test", network: NETWORK },
    });
    expect(problems.map((p) => `${p.file} ${p.field}`).sort()).toEqual([
      "environments/dev.ts compute.instanceType",
      "environments/dev.ts logRetentionDays",
      "environments/qa.ts tier",
    ]);
  });

  it("rejects project settings with the project file named", () => {
    const problems = problemsOf({ dev }, { ...PROJECT, accountId: "1234", region: "Europe" });
    expect(problems).toEqual([
      expect.objectContaining({ file: "environments/_project.ts", field: "accountId", value: "1234" }),
      expect.objectContaining({ file: "environments/_project.ts", field: "region", value: "Europe" }),
    ]);
  });

  it("fails with a message that lists every problem", () => {
    expect(() => makeConfig({ dev: { ...dev, logRetentionDays: 2, compute: { minCapacity: 0 } } })).toThrow(
      /2 problems.*\n.*environments\/dev\.ts: compute\.minCapacity: .*\(got 0\)\n.*environments\/dev\.ts: logRetentionDays: .*\(got 2\)/,
    );
  });
});

describe("loading environments/", () => {
  it("fails with the fix when _project.ts is missing", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "environments-"));
    fs.copyFileSync(path.join(ENVIRONMENTS_DIR, "dev.ts"), path.join(dir, "dev.ts"));
    expect(() => loadConfig(dir)).toThrow(/_project\.ts is missing: it holds the project-wide settings/);
  });

  it("fails naming a file that does not export an environment", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "environments-"));
    fs.writeFileSync(path.join(dir, "_project.ts"), `export default ${JSON.stringify(PROJECT)};\n`);
    fs.writeFileSync(path.join(dir, "demo.ts"), "export const demo = 1;\n");
    expect(() => loadConfig(dir)).toThrow(
      /demo\.ts: \(file\): has no default export: write `export default defineEnvironment\(\{ \.\.\. \}\)`/,
    );
  });
});

describe("ALB log delivery per region (modules/config/regions.ts)", () => {
  const kinds = Object.entries(ELB_LOG_DELIVERY);

  it("is decided for every region the configuration accepts, and for no other", () => {
    expect(Object.keys(ELB_LOG_DELIVERY).sort()).toEqual([...COMMERCIAL_REGIONS].sort());
  });

  it("names the service principal in the regions opened in or after August 2022, an ELB account elsewhere", () => {
    // ELB user guide, "Enable access logs for your Application Load Balancer", step 2.
    const newer = kinds.filter(([, d]) => d === "service-principal").map(([r]) => r);
    expect(newer.sort()).toEqual(
      [
        "ap-east-2",
        "ap-south-2",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-7",
        "ca-west-1",
        "eu-central-2",
        "eu-south-2",
        "il-central-1",
        "me-central-1",
        "mx-central-1",
      ].sort(),
    );
    expect(elbLogDeliveryPrincipal("me-central-1")).toEqual({ Service: "logdelivery.elasticloadbalancing.amazonaws.com" });
    expect(elbLogDeliveryPrincipal("us-east-1")).toEqual({
      AWS: "arn:aws:iam::127311923021:root",
      Service: "logdelivery.elasticloadbalancing.amazonaws.com",
    });
  });

  it("has one distinct 12-digit account per older region", () => {
    const accounts = kinds.flatMap(([, d]) => (d === "service-principal" ? [] : [d.account]));
    expect(accounts.length).toBe(22);
    expect(accounts.every((a) => /^\d{12}$/.test(a))).toBe(true);
    expect(new Set(accounts).size).toBe(accounts.length);
  });
});
