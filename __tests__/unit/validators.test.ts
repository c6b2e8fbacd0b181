import { approvalPrecedesDeploy, capacityProblems, isGitBranchName, isS3BucketName } from "../../modules/lib/validators";

describe("checks shared by the configuration and the constructs", () => {
  it.each(["deploy/dev", "hotfix/fix-1.2", "main"])("accepts the branch %s", (b) => expect(isGitBranchName(b)).toBe(true));
  it.each(["deploy/../prod", "deploy//dev", "/deploy", "-x", "deploy/", "deploy.", "@", "HEAD", "a/.hidden", "a/b.lock", "a b", ""])(
    "rejects the branch %j",
    (b) => expect(isGitBranchName(b)).toBe(false),
  );
  it.each(["webapp-artifacts-123456789012-eu-west-1", "a.b-c"])("accepts the bucket %s", (b) => expect(isS3BucketName(b)).toBe(true));
  it.each(["ab", "Upper", "a..b", "-ab", "ab-", "b".repeat(64)])("rejects the bucket %j", (b) => expect(isS3BucketName(b)).toBe(false));

  it("reports each capacity problem by field, with the prefix the messages need", () => {
    expect(capacityProblems(1, 2, 3)).toEqual([]);
    expect(capacityProblems(4, 2, 3, "compute.")).toEqual([
      { field: "compute.minCapacity", value: 4, message: "must not be greater than compute.maxCapacity (3)" },
      { field: "compute.desiredCapacity", value: 2, message: "must lie between compute.minCapacity (4) and compute.maxCapacity (3)" },
    ]);
  });

  it("finds a manual approval before the first deploy, or not", () => {
    expect(approvalPrecedesDeploy([["Source"], ["Build"], ["Approval"], ["Deploy"]])).toBe(true);
    expect(approvalPrecedesDeploy([["Source"], ["Build"], ["Deploy"], ["Approval"]])).toBe(false);
    expect(approvalPrecedesDeploy([["Source"], ["Build", "Approval"], ["Deploy"]])).toBe(true);
    expect(approvalPrecedesDeploy([["Source"], ["Deploy"]])).toBe(false);
  });
});
