import * as fs from "fs";
import * as path from "path";
import { BUILD_OUTPUTS, CONNECTION_DATA_ID, type BuildOutputKey } from "../../modules/stacks/contract";
import type { Json } from "./helpers";

/** Values the mocked apply gives build's outputs; each is traced into the app stacks. */
export const MOCK_BUILD_OUTPUTS: Record<BuildOutputKey, string> = {
  artifactBucketName: "mock-artifact-bucket",
  artifactBucketArn: "arn:aws:s3:::mock-artifact-bucket",
  artifactKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555",
  buildProjectName: "mock-build-project",
  buildProjectArn: "arn:aws:codebuild:eu-west-1:123456789012:project/mock-build-project",
  connectionArn: "arn:aws:codestar-connections:eu-west-1:123456789012:connection/11111111-2222-3333-4444-555555555555",
};

/** Computed ids the provider validates by format, so the mock must produce well-formed ones. */
const MOCK_IDS: Record<string, string> = { aws_launch_template: "lt-0123456789abcdef0" };

/**
 * Whether a resource type has a computed `arn`, read from @cdktf/provider-aws's bindings (generated
 * from the same hashicorp/aws 5.100.0 schema): `aws_sns_topic` lives in lib/sns-topic.
 */
export function hasArn(type: string): boolean {
  const lib = path.dirname(require.resolve("@cdktf/provider-aws/lib/provider"));
  const declarations = path.join(lib, "..", type.replace(/^aws_/, "").replace(/_/g, "-"), "index.d.ts");
  const text = fs.readFileSync(declarations, "utf8");
  if (!text.includes(`tfResourceType = "${type}"`)) throw new Error(`${declarations} is not the binding of ${type}`);
  return /\bget arn\(\): string;/.test(text);
}

export interface Assertion {
  readonly condition: string;
  readonly message: string;
}

const hcl = (v: string) => JSON.stringify(v);

/**
 * A `terraform test` file that applies the whole stack against a mocked AWS provider (the real
 * schema, no API calls), with build's remote state overridden by the contract's names.
 * Every computed `arn` gets a well-formed mock, since the provider validates ARNs downstream.
 */
export function mockApplyTest(stack: Json, assertions: readonly Assertion[]): string {
  const mocks = Object.keys(stack.resource ?? {})
    .sort()
    .filter((type) => hasArn(type) || MOCK_IDS[type])
    .map((type) => {
      const defaults = [
        ...(hasArn(type) ? [`arn = ${hcl(`arn:aws:${type.split("_")[1]}:eu-west-1:123456789012:mock/${type}`)}`] : []),
        ...(MOCK_IDS[type] ? [`id = ${hcl(MOCK_IDS[type])}`] : []),
      ];
      return `  mock_resource ${hcl(type)} {\n    defaults = { ${defaults.join(", ")} }\n  }`;
    });
  const lines = [`mock_provider "aws" {`, ...mocks, `}`, ""];
  if (stack.data?.terraform_remote_state?.build) {
    const outputs = (Object.keys(BUILD_OUTPUTS) as BuildOutputKey[]).map(
      (k) => `      ${BUILD_OUTPUTS[k].name} = ${hcl(MOCK_BUILD_OUTPUTS[k])}`,
    );
    lines.push(
      "override_data {",
      "  target = data.terraform_remote_state.build",
      "  values = {",
      "    outputs = {",
      ...outputs,
      "    }",
      "  }",
      "}",
      "",
    );
  }
  const connection = stack.data?.aws_codestarconnections_connection?.[CONNECTION_DATA_ID]
    ? `data.aws_codestarconnections_connection.${CONNECTION_DATA_ID}`
    : undefined;
  const connectionIs = (status: string, indent: string) => [
    `${indent}override_data {`,
    `${indent}  target = ${connection}`,
    `${indent}  values = { connection_status = ${hcl(status)}, name = "mock-github" }`,
    `${indent}}`,
  ];
  if (connection) lines.push(...connectionIs("AVAILABLE", ""), "");
  lines.push('run "apply_whole_stack" {', "  command = apply", "");
  for (const a of assertions) {
    lines.push("  assert {", `    condition     = ${a.condition}`, `    error_message = ${hcl(a.message)}`, "  }", "");
  }
  lines.push("}", "");
  if (connection) {
    // The same stack while the GitHub connection is still PENDING: its postcondition stops the plan.
    lines.push('run "pending_connection_stops_the_plan" {', "  command = plan", ...connectionIs("PENDING", "  "), `  expect_failures = [${connection}]`, "}", "");
  }
  return lines.join("\n");
}

/** The address `type.id` of the one resource of a type that matches `where`. */
export function addressOf(stack: Json, type: string, where: (r: Json) => boolean = () => true): string {
  const ids = Object.entries(stack.resource?.[type] ?? {}).filter(([, r]) => where(r as Json)).map(([id]) => id);
  if (ids.length !== 1) throw new Error(`expected one matching ${type}, found ${ids.length}`);
  return `${type}.${ids[0]}`;
}
