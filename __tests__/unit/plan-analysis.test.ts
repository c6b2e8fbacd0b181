import { actionOf, analyzePlan, protectedViolations } from "../../scripts/plan/analyze";
import { renderSummary } from "../../scripts/plan/summary";
import { COMMENT_MARKER, renderComment } from "../../scripts/plan/comment";
import { parseInfracost, renderCost } from "../../scripts/plan/cost";

type Before = Record<string, unknown> | null;
const change = (address: string, actions: string[], before: Before = null) => ({
  address,
  type: address.split(".")[0],
  mode: "managed",
  change: { actions, before },
});

const planJson = {
  resource_changes: [
    change("aws_sns_topic.alerts", ["create"]),
    change("aws_iam_role.pipeline", ["update"], {}),
    change("aws_lb_target_group.web", ["delete", "create"], {}),
    change("aws_cloudwatch_log_group.logs", ["create", "delete"], { name: "/webapp/dev/application" }),
    change("aws_security_group.old", ["delete"], {}),
    change("aws_lb.web", ["delete", "create"], { enable_deletion_protection: false }),
    change("aws_kms_key.key", ["no-op"], {}),
    { ...change("data.aws_region.current", ["read"]), mode: "data" },
  ],
};

describe("planned outputs", () => {
  const withOutputs = {
    ...planJson,
    configuration: {
      root_module: {
        outputs: {
          url: { description: "The address" },
          pipeline_name: { description: "The pipeline" },
          secret: { description: "A secret", sensitive: true },
        },
      },
    },
    planned_values: { outputs: { pipeline_name: { value: "dev-webapp", sensitive: false }, secret: { value: "s3cr3t", sensitive: true } } },
  };

  it("reads each output's name and description, and its value only when the plan knows it and it is not sensitive", () => {
    expect(analyzePlan("app-dev", withOutputs).outputs).toEqual([
      { name: "pipeline_name", description: "The pipeline", value: "dev-webapp" },
      { name: "secret", description: "A secret", sensitive: true },
      { name: "url", description: "The address" },
    ]);
  });

  it("lists them in the summary under their stack, never a sensitive value", () => {
    const summary = renderSummary([analyzePlan("app-dev", withOutputs)], { offline: false, createdAt: "now" });
    expect(summary).toContain(
      "Publishes:\n\n- `pipeline_name` = `dev-webapp` — The pipeline\n- `secret` = _(sensitive)_ — A secret\n- `url` = _known after apply_ — The address",
    );
    expect(summary).not.toContain("s3cr3t");
  });
});

describe("plan analysis", () => {
  const plan = analyzePlan("app-dev", planJson);

  it("reads Terraform's action lists as create, update, replace and delete", () => {
    expect(actionOf(["create"])).toBe("create");
    expect(actionOf(["delete", "create"])).toBe("replace");
    expect(actionOf(["create", "delete"])).toBe("replace");
    expect(actionOf(["no-op"])).toBe("no-op");
    expect(() => actionOf(["explode"])).toThrow("unknown Terraform plan actions");
  });

  it("counts managed resources by action, ignoring data sources and no-ops", () => {
    expect(plan.counts).toEqual({ create: 1, update: 1, replace: 3, delete: 1 });
  });

  it("protects log groups, keys and buckets everywhere, and the ALB only where deletion protection is on", () => {
    expect(protectedViolations([plan]).map((v) => v.change.address)).toEqual(["aws_cloudwatch_log_group.logs"]);
    const prod = analyzePlan("app-prod", { resource_changes: [change("aws_lb.web", ["delete"], { enable_deletion_protection: true })] });
    expect(protectedViolations([prod])).toEqual([
      {
        stack: "app-prod",
        change: expect.objectContaining({ address: "aws_lb.web", protectedReason: expect.stringContaining("deletion protection") }),
      },
    ]);
    const update = analyzePlan("build", { resource_changes: [change("aws_s3_bucket.artifacts", ["update"], {})] });
    expect(protectedViolations([update])).toEqual([]);
  });

  it("protects the access-log bucket like the artifact bucket: deleting or replacing it stops the plan", () => {
    const build = analyzePlan("build", {
      resource_changes: [
        change("aws_s3_bucket.access_logs_bucket", ["delete"], { bucket: "webapp-access-logs-123456789012-eu-west-1" }),
        change("aws_s3_bucket.artifacts_bucket", ["delete", "create"], { bucket: "webapp-artifacts-123456789012-eu-west-1" }),
        change("aws_s3_bucket_logging.artifacts_access_logs", ["delete"], {}),
      ],
    });
    expect(protectedViolations([build]).map((v) => [v.change.address, v.change.protectedReason])).toEqual([
      ["aws_s3_bucket.access_logs_bucket", expect.stringContaining("the access-log bucket every access log")],
      ["aws_s3_bucket.artifacts_bucket", expect.stringContaining("the artifact bucket every build revision")],
    ]);
  });
});

describe("SUMMARY.md", () => {
  const plan = analyzePlan("app-dev", planJson);
  const summary = renderSummary([plan], { offline: false, createdAt: "2026-01-01T00:00:00Z" });

  it("calls out replacements and deletions at the top, protected ones marked", () => {
    const top = summary.slice(0, summary.indexOf("| stack |"));
    expect(top).toContain("- **replace** `app-dev` `aws_cloudwatch_log_group.logs` — **PROTECTED**");
    expect(top).toContain("- **delete** `app-dev` `aws_security_group.old`");
    expect(top).toContain("fails unless it is run with `--allow-destroy`");
    expect(top).not.toContain("Offline plan");
  });

  it("has a table of counts per stack and the resources of each group", () => {
    expect(summary).toContain("| app-dev | 1 | 1 | 3 | 1 |");
    expect(summary).toMatch(/<summary>Replace \(3\)<\/summary>\n\n- `aws_lb_target_group.web`/);
  });

  it("says when the plan was made offline", () => {
    expect(renderSummary([plan], { offline: true, createdAt: "x" })).toContain("**Offline plan**");
  });
});

describe("monthly cost (Infracost)", () => {
  it("reads Infracost's diff output: the change and the total per month", () => {
    expect(parseInfracost({ currency: "USD", totalMonthlyCost: "41.25", diffTotalMonthlyCost: "12.5" })).toEqual({
      currency: "USD",
      monthlyChange: 12.5,
      monthlyTotal: 41.25,
    });
    // Nothing priced (only free resources) comes as null.
    expect(parseInfracost({ currency: "EUR", totalMonthlyCost: null, diffTotalMonthlyCost: null })).toEqual({
      currency: "EUR",
      monthlyChange: 0,
      monthlyTotal: 0,
    });
    expect(() => parseInfracost({ totalMonthlyCost: "n/a", diffTotalMonthlyCost: "1" })).toThrow(/no monthly cost/);
  });

  it("puts a table in the summary, or says why there is none and how to get one", () => {
    const costs = {
      build: { currency: "USD", monthlyChange: 3.1, monthlyTotal: 3.1 },
      "app-dev": { currency: "USD", monthlyChange: -2, monthlyTotal: 20 },
    };
    const table = renderCost({ costs }).join("\n");
    expect(table).toContain("| build | +3.10 USD | 3.10 USD |");
    expect(table).toContain("| app-dev | -2.00 USD | 20.00 USD |");
    const none = renderCost({ unavailable: "INFRACOST_API_KEY is not set" }).join("\n");
    expect(none).toContain("Not estimated: INFRACOST_API_KEY is not set. Install the Infracost CLI and set INFRACOST_API_KEY");
    expect(renderSummary([], { offline: true, createdAt: "x", cost: { costs } })).toContain("## Monthly cost");
  });
});

describe("pull-request comment", () => {
  const plan = analyzePlan("app-dev", planJson);

  it("carries the marker, the summary and each stack's plan collapsed", () => {
    const body = renderComment([{ plan, text: "Plan: 1 to add" }], { offline: false, createdAt: "x" });
    expect(body.startsWith(COMMENT_MARKER)).toBe(true);
    expect(body).toContain("| app-dev | 1 | 1 | 3 | 1 |");
    expect(body).toContain("<details><summary>app-dev</summary>\n\n```text\nPlan: 1 to add\n```");
  });

  it("fits within the comment limit by cutting plan output, pointing to the full plan", () => {
    const huge = "x".repeat(200_000);
    const body = renderComment(
      [
        { plan, text: huge },
        { plan: { ...plan, stack: "app-qa" }, text: huge },
      ],
      { offline: false, createdAt: "x", runUrl: "https://example.test/run/1" },
      65_536,
    );
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body).toContain("| app-dev | 1 | 1 | 3 | 1 |");
    expect(
      body.match(/cut to fit a comment: the full plan is in the \[job summary and plan artifacts\]\(https:\/\/example\.test\/run\/1\)/g),
    ).toHaveLength(2);
  });
});
