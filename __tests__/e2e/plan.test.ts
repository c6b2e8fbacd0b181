import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { commentFor } from "../../scripts/plan-comment";
import { COMMENT_MARKER } from "../../scripts/plan/comment";
import { looksLikeSecretValue } from "../../modules/lib/validators";
import { projectCopy, seedLogGroupState, shippedConfig, stringsIn } from "../support/helpers";

// End to end, as a newcomer runs it: `npm run plan` on a machine with no AWS account, then
// `npm run apply`. Needs Terraform and the hashicorp/aws provider (TF_PROVIDER_MIRROR offline).
// ci, build, each environment account's bootstrap, then the environments.
const STACKS = [
  "ci",
  "build",
  ...Object.keys(shippedConfig().project.accounts.environments).map((id) => `bootstrap-${id}`),
  ...shippedConfig().environments.map((e) => `app-${e.name}`),
];
const dir = projectCopy();
const noAws: NodeJS.ProcessEnv = { ...process.env };
for (const k of Object.keys(noAws)) if (k.startsWith("AWS_") || k.startsWith("INFRACOST_")) delete noAws[k];
noAws.HOME = dir; // no ~/.aws: the plan must decide on offline mode by itself

function run(script: "plan" | "apply", args: string[] = []) {
  const started = Date.now();
  const r = spawnSync(path.join(dir, "node_modules", ".bin", "tsx"), [`scripts/${script}.ts`, ...args], {
    cwd: dir,
    encoding: "utf8",
    env: noAws,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, seconds: (Date.now() - started) / 1000 };
}

const read = (...p: string[]) => fs.readFileSync(path.join(dir, ...p), "utf8");
const edit = (file: string, from: string, to: string) => {
  const text = read(file);
  if (!text.includes(from)) throw new Error(`${file} does not contain ${from}`);
  fs.writeFileSync(path.join(dir, file), text.replace(from, to));
};
/** The copy's own apply refusals, in process (the CLI around them is tested once, below). */
const refusals = (stack: string): string[] =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require(path.join(dir, "scripts", "apply.ts")) as typeof import("../../scripts/apply")).refusals(stack, new Date(), 24);

const withoutTimestamp = (summary: string) => summary.replace(/^Planned .*$/m, "");

let first: ReturnType<typeof run>;
beforeAll(() => {
  first = run("plan");
}, 180_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("npm run plan, offline", () => {
  it("plans every stack and leaves the plan files", () => {
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("No AWS credentials found");
    for (const stack of STACKS) {
      for (const file of ["plan.tfplan", "plan.json", "plan.txt", "meta.json"]) {
        expect(fs.existsSync(path.join(dir, "plans", stack, file))).toBe(true);
      }
      expect(JSON.parse(read("plans", stack, "meta.json"))).toMatchObject({ stack, mode: "offline" });
    }
  });

  it("plans the stacks in one Terraform run, each plan reading as the stack's own, with its default tags", () => {
    expect(STACKS.length).toBe(9);
    expect(first.stdout.match(new RegExp(`planning with ${STACKS.length - 1} other stack\\(s\\) in one Terraform run`, "g"))).toHaveLength(
      STACKS.length,
    );
    for (const stack of STACKS) {
      const text = read("plans", stack, "plan.txt");
      expect(text).not.toContain("module.");
      const plan = JSON.parse(read("plans", stack, "plan.json"));
      expect(plan.resource_changes.every((r: { address: string }) => !r.address.startsWith("module."))).toBe(true);
      // A key in every stack but ci, whose roles carry the tags there.
      const tagged = plan.resource_changes.find((r: { type: string }) => r.type === (stack === "ci" ? "aws_iam_role" : "aws_kms_key"));
      expect(tagged.change.after.tags_all).toMatchObject({ Stack: stack, ManagedBy: "cdktf" });
    }
  });

  it("holds no secret value in any plan: secrets are created without one, parameters hold settings or secret names", () => {
    for (const stack of STACKS) {
      const plan = JSON.parse(read("plans", stack, "plan.json"));
      const changes: { type: string; change: { after: Record<string, unknown> } }[] = plan.resource_changes;
      expect([stack, changes.filter((c) => c.type === "aws_secretsmanager_secret_version")]).toEqual([stack, []]);
      const found = stringsIn(plan).filter(([at, v]) => /secret_(string|binary)/.test(at) || looksLikeSecretValue(v));
      expect([stack, found]).toEqual([stack, []]);
      const secrets = changes.filter((c) => c.type === "aws_secretsmanager_secret").map((c) => c.change.after.name);
      expect(secrets.length).toBe(stack.startsWith("app-") ? 1 : 0);
      // A secret's reference parameter holds its name; plain text in a plan, and no secret.
      for (const p of changes.filter((c) => c.type === "aws_ssm_parameter" && String(c.change.after.name).includes("/secrets/"))) {
        expect(secrets).toContain(p.change.after.value);
      }
    }
  });

  it("summarizes every stack with counts that match its plan, marked as offline", () => {
    const summary = read("plans", "SUMMARY.md");
    expect(summary).toContain("**Offline plan**");
    for (const stack of STACKS) {
      const plan = JSON.parse(read("plans", stack, "plan.json"));
      const creates = plan.resource_changes.filter((r: { change: { actions: string[] } }) => r.change.actions.join() === "create").length;
      expect(creates).toBeGreaterThan(10);
      expect(summary).toContain(`| ${stack} | ${creates} | 0 | 0 | 0 |`);
      expect(summary).toContain(`## ${stack}`);
    }
    expect(summary).toMatch(/## Replacements and deletions\n\nNone\./);
    // No price is invented: an offline plan says it was not priced.
    expect(summary).toContain("## Monthly cost\n\nNot estimated: offline plans are not priced");
  });

  it("lists what each stack will publish: build's contract, and where each environment lives", () => {
    const summary = read("plans", "SUMMARY.md");
    const section = (stack: string) => summary.slice(summary.indexOf(`## ${stack}\n`)).split(/\n## /)[0];
    expect(section("build")).toContain(
      "- `artifact_bucket_name` = `webapp-artifacts-123456789012-eu-west-1` — Name of the shared artifact bucket",
    );
    const dev = section("app-dev");
    expect(dev).toContain("- `pipeline_name` = `dev-webapp`");
    expect(dev).toContain(
      "- `pipeline_console_url` = `https://eu-west-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/dev-webapp/view?region=eu-west-1`",
    );
    expect(dev).toContain("- `url` = _known after apply_");
    expect(dev).toContain("- `log_group_name` = `/webapp/dev/application`");
    expect(dev).toContain("- `deployment_group` = `webapp-dev/webapp-dev`");
    expect(dev).toContain("- `alert_topic_arn` = _known after apply_");
  });

  it("plans app stacks with placeholder build outputs, clearly marked", () => {
    const plan = JSON.parse(read("plans", "app-dev", "plan.json"));
    const pipeline = plan.resource_changes.find((r: { type: string }) => r.type === "aws_codepipeline");
    expect(pipeline.change.after.artifact_store[0].location).toBe("webapp-offline-placeholder-artifacts");
  });

  it("gives the same summary on a second run with nothing changed, faster, without running Terraform", () => {
    const before = read("plans", "SUMMARY.md");
    const second = run("plan");
    expect(second.code).toBe(0);
    expect(second.stdout.match(/inputs unchanged since the last offline plan: reusing it/g)).toHaveLength(STACKS.length);
    expect(second.stdout).not.toContain("planning with");
    expect(withoutTimestamp(read("plans", "SUMMARY.md"))).toBe(withoutTimestamp(before));
    expect(second.seconds).toBeLessThan(first.seconds);
  }, 180_000);

  it("builds one pull-request comment from the plan folders, build first", () => {
    const body = commentFor(path.join(dir, "plans"), "https://example.test/run/1");
    expect(body.startsWith(COMMENT_MARKER)).toBe(true);
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect([...body.matchAll(/<details><summary>([a-z0-9-]+)<\/summary>\n\n```text/g)].map((m) => m[1])).toEqual([
      "build",
      ...STACKS.filter((s) => s !== "build").sort(),
    ]);
  });

  it("rejects an unknown stack name, listing the stacks", () => {
    const r = run("plan", ["app-nope"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "Unknown stack: app-nope. The stacks are: ci, build, bootstrap-210987654321, app-demo, app-dev, app-hotfix, app-prod, app-qa, app-staging.",
    );
  });
});

describe("npm run apply", () => {
  it("refuses an offline plan", () => {
    const r = run("apply", ["app-dev"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Refusing to apply plans/app-dev/plan.tfplan");
    expect(r.stderr).toContain("the plan was made offline");
    expect(r.stderr).not.toContain("stale");
  });

  it("refuses a stale plan: the configuration changed since it was planned", () => {
    const original = read("environments", "dev.ts");
    edit("environments/dev.ts", 'tier: "development",', 'tier: "development",\n  logRetentionDays: 14,');
    try {
      expect(refusals("app-dev")).toEqual([
        expect.stringContaining("the plan is stale: the configuration of app-dev changed since it was planned"),
        expect.stringContaining("the plan was made offline"),
      ]);
    } finally {
      fs.writeFileSync(path.join(dir, "environments", "dev.ts"), original);
    }
  });

  it("refuses a stale plan: older than the maximum age", () => {
    const metaPath = path.join(dir, "plans", "app-qa", "meta.json");
    const meta = JSON.parse(fs.readFileSync(metaPath, "utf8"));
    fs.writeFileSync(metaPath, JSON.stringify({ ...meta, createdAt: new Date(Date.now() - 30 * 3_600_000).toISOString() }));
    expect(refusals("app-qa")[0]).toMatch(/^the plan is stale: it was made 30\.\d hours ago \(more than 24\)/);
  });

  it("refuses a plan that belongs to another stack", () => {
    for (const f of ["plan.tfplan", "meta.json"])
      fs.copyFileSync(path.join(dir, "plans", "app-dev", f), path.join(dir, "plans", "app-prod", f));
    expect(refusals("app-prod")).toEqual([expect.stringContaining("plans/app-prod/ holds a plan for another stack (app-dev)")]);
  });

  it("refuses a plan file that was replaced after planning", () => {
    fs.writeFileSync(path.join(dir, "plans", "app-staging", "plan.tfplan"), "not the plan that was reviewed");
    expect(refusals("app-staging")).toEqual([
      expect.stringContaining("plans/app-staging/plan.tfplan is not the plan `npm run plan` made for app-staging"),
    ]);
  });

  it("refuses when there is no plan at all", () => {
    expect(refusals("app-nope")).toEqual(["there is no plan for app-nope: make one with `npm run plan -- app-nope` and review it first"]);
  });
});

describe("protected resources", () => {
  // app-dev already exists with its log group; renaming the application would replace it.
  beforeAll(() => {
    seedLogGroupState(dir, "app-dev", "dev");
    edit("environments/_project.ts", 'appName: "webapp"', 'appName: "shop"');
  });

  it("fails the plan when a protected resource would be replaced, naming it", () => {
    const r = run("plan", ["app-dev"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("REPLACE: app-dev aws_cloudwatch_log_group.logs (protected: the log group's logs are deleted with it)");
    expect(r.stderr).toContain(
      "The plan would delete or replace protected resources:\n  - app-dev: aws_cloudwatch_log_group.logs (replace)",
    );
    expect(r.stderr).toContain("run again with --allow-destroy");
    expect(read("plans", "SUMMARY.md")).toContain("- **replace** `app-dev` `aws_cloudwatch_log_group.logs` — **PROTECTED**");
  }, 120_000);

  it("passes with --allow-destroy, saying so in the summary", () => {
    const r = run("plan", ["app-dev", "--allow-destroy"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("REPLACE: app-dev aws_cloudwatch_log_group.logs");
    expect(read("plans", "SUMMARY.md")).toContain("allowed by `--allow-destroy`");
  }, 120_000);
});
