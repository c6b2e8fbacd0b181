import { accessEnv } from "../../scripts/terraform";
import { recordRefusals } from "../../scripts/apply";
import type { PlanMeta } from "../../scripts/plan/workspace";

// What a plan's record says against applying it, without Terraform (the CLI around it is
// rehearsed end to end in __tests__/e2e/plan.test.ts).
const NOW = new Date("2026-12-02T12:00:00Z");
const online: PlanMeta = {
  stack: "app-dev",
  mode: "online",
  createdAt: "2026-12-02T11:00:00Z",
  configSha256: "c0ffee",
  planSha256: "feed",
  terraformVersion: "1.11.4",
};

describe("apply's refusals from a plan's record", () => {
  it("accepts a fresh online plan of the configuration as it is", () => {
    expect(recordRefusals(online, NOW, 24, "c0ffee")).toEqual([]);
  });

  it("rejects an offline plan, however fresh: it can never be applied", () => {
    expect(recordRefusals({ ...online, mode: "offline" }, NOW, 24, "c0ffee")).toEqual([
      "the plan was made offline (local empty state, placeholder build outputs, no credentials) and can never be applied; plan against AWS with credentials: `npm run plan -- app-dev --online`",
    ]);
  });

  it("rejects a plan made against the S3-compatible test endpoint", () => {
    const reasons = recordRefusals({ ...online, testStateEndpoint: "http://127.0.0.1:4568" }, NOW, 24, "c0ffee");
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toContain(
      "the plan read its state from the S3-compatible test endpoint http://127.0.0.1:4568 (CICD_TEST_S3_ENDPOINT)",
    );
  });

  it("rejects a stale plan: too old, or its stack changed or gone since, listing every reason", () => {
    expect(recordRefusals({ ...online, mode: "offline" }, new Date("2026-12-04T12:00:00Z"), 24, "changed")).toEqual([
      "the plan is stale: it was made 49.0 hours ago (more than 24); plan again",
      "the plan is stale: the configuration of app-dev changed since it was planned (environments/ or modules/ were edited); plan again and review the new plan",
      expect.stringContaining("the plan was made offline"),
    ]);
    expect(recordRefusals(online, NOW, 24, undefined)).toEqual([
      "the plan is stale: the stack app-dev no longer exists in the configuration",
    ]);
  });
});

describe("the role a stack in another account assumes (accessEnv)", () => {
  it("is the read role for a plan without the lock and the deploy role otherwise, always set, the rest of the environment kept", () => {
    const env = { PATH: "/bin", TF_VAR_other: "x" };
    expect(accessEnv(env, "read")).toEqual({ PATH: "/bin", TF_VAR_other: "x", TF_VAR_account_access: "read" });
    expect(accessEnv({ ...env, TF_VAR_account_access: "read" }, "deploy").TF_VAR_account_access).toBe("deploy");
    expect(env).toEqual({ PATH: "/bin", TF_VAR_other: "x" });
  });
});
