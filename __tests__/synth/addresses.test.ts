import * as fs from "fs";
import * as path from "path";
import { Testing } from "../../modules/lib/cdk";
import { Construct } from "constructs";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { createStacks, stackList } from "../../modules/stacks";
import { logicalIdOf } from "../../modules/lib/logical-id";
import { makeConfig, NETWORK, shippedConfig, type Json } from "../support/helpers";

/**
 * The Terraform address of every resource, data source and output of the shipped stacks. After a
 * deploy, an address that changes is a resource that Terraform replaces (or, with a `moved` block,
 * one that it renames in state): see docs/architecture.md, "Addresses". Regenerate the list only on purpose.
 */
const PINNED = path.join(__dirname, "addresses.txt");

function addresses(stacks: Record<string, Json>): string[] {
  const out: string[] = [];
  for (const [stack, json] of Object.entries(stacks)) {
    for (const kind of ["resource", "data"] as const) {
      for (const [type, byId] of Object.entries<Json>(json[kind] ?? {})) {
        for (const id of Object.keys(byId)) out.push(`${stack} ${kind === "data" ? "data." : ""}${type}.${id}`);
      }
    }
    for (const name of Object.keys(json.output ?? {})) out.push(`${stack} output.${name}`);
  }
  return out.sort();
}

describe("addresses", () => {
  // toTerraform keeps the construct path of each element ("//" metadata), which Testing.synth drops.
  const stacks = createStacks(Testing.app(), shippedConfig());
  const shipped = Object.fromEntries(stackList(stacks).map((s) => [s.stackName, s.toTerraform() as Json]));

  it("name every resource and data source by its construct path: lower case, no hash", () => {
    for (const json of Object.values(shipped)) {
      for (const kind of ["resource", "data"]) {
        for (const byId of Object.values<Json>(json[kind] ?? {})) {
          for (const [id, attrs] of Object.entries<Json>(byId)) {
            expect(id).toMatch(/^[a-z_][a-z0-9_]*$/);
            const constructPath: string | undefined = attrs["//"]?.metadata?.path;
            // The contract's fixed ids (modules/stacks/contract.ts) are the documented exceptions.
            if (id === "build" || id === "bootstrap" || id === "github_connection") continue;
            expect(constructPath).toBeDefined();
            // A workload's own id is left out (markAddressNeutral): its children keep the stack's addresses.
            expect(id).toBe(
              logicalIdOf(
                String(constructPath)
                  .split("/")
                  .slice(1)
                  .filter((segment) => !segment.startsWith("workload-")),
              ),
            );
          }
        }
      }
    }
  });

  it("are the pinned ones: renaming a construct would replace a deployed resource", () => {
    const expected = fs.readFileSync(PINNED, "utf8").trim().split("\n");
    const actual = addresses(shipped);
    const added = actual.filter((a) => !expected.includes(a));
    const removed = expected.filter((a) => !actual.includes(a));
    // A change here needs a `moved` block for every deployed stack (docs/architecture.md, "Addresses"), then an
    // update of __tests__/synth/addresses.txt.
    expect({ added, removed }).toEqual({ added: [], removed: [] });
  });

  it("read like the architecture", () => {
    const all = addresses(shipped);
    for (const a of [
      "build aws_s3_bucket.artifacts_bucket",
      "build aws_kms_key.artifact_key",
      "build aws_codebuild_project.build_project",
      "app-prod aws_codepipeline.pipeline",
      "app-prod aws_iam_role.fleet_role",
      "app-prod aws_lb.web_alb",
      "app-prod aws_autoscaling_group.fleet_group",
    ]) {
      expect(all).toContain(a);
    }
  });
});

describe("the naming rule", () => {
  it.each([
    [["fleet", "role", "role"], "fleet_role"],
    [["artifact-key", "key"], "artifact_key"],
    [["alerts", "email-ops@example.com"], "alerts_email_ops_example_com"],
    [["web", "ingress-443-0.0.0.0/0"], "web_ingress_443_0_0_0_0_0"],
    [["DeployRole", "AWSCodeDeployRole"], "deployrole_awscodedeployrole"],
    [["80", "rule"], "_80_rule"],
  ])("names %j %s", (segments, id) => {
    expect(logicalIdOf(segments)).toBe(id);
  });

  it("fails the synth when two constructs of a stack would get one address, naming both", () => {
    const app = Testing.app();
    const { apps } = createStacks(app, makeConfig({ dev: { tier: "development", network: NETWORK } }));
    // The stack's own alerts/topic is aws_sns_topic.alerts_topic already.
    new SnsTopic(new Construct(apps[0], "alerts_topic"), "topic", {});
    expect(() => Testing.synth(apps[0])).toThrow(
      "app-dev: app-dev/alerts/topic and app-dev/alerts_topic/topic would both be aws_sns_topic.alerts_topic; nothing was synthesized.",
    );
  });
});
