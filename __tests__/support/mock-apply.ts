import * as fs from "fs";
import * as path from "path";
import {
  BOOTSTRAP_OUTPUTS,
  BUILD_OUTPUTS,
  CONNECTION_DATA_ID,
  type BootstrapOutputs,
  type BuildOutputKey,
} from "../../modules/stacks/contract";
import type { Json } from "./helpers";
import { moduleOf, rootProviders } from "../../scripts/plan/offline";

/** Values the mocked apply gives build's outputs; each is traced into the app stacks. */
export const MOCK_BUILD_OUTPUTS: Record<BuildOutputKey, string> = {
  artifactBucketName: "mock-artifact-bucket",
  artifactBucketArn: "arn:aws:s3:::mock-artifact-bucket",
  artifactKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555",
  buildProjectName: "mock-build-project",
  buildProjectArn: "arn:aws:codebuild:eu-west-1:123456789012:project/mock-build-project",
  scanProjectName: "mock-scan-project",
  scanProjectArn: "arn:aws:codebuild:eu-west-1:123456789012:project/mock-scan-project",
  connectionArn: "arn:aws:codestar-connections:eu-west-1:123456789012:connection/11111111-2222-3333-4444-555555555555",
  accessLogBucketName: "mock-access-log-bucket",
  accessLogBucketArn: "arn:aws:s3:::mock-access-log-bucket",
  deliveryEventsLogPrefix: "/aws/events/mock/",
};

/** Values the mocked apply gives an environment account's bootstrap outputs, for an environment of that account. */
export function mockBootstrapOutputs(accountId: string, environment: string): BootstrapOutputs {
  return {
    accountId,
    deployRoleArn: `arn:aws:iam::${accountId}:role/mock-deploy`,
    readRoleArn: `arn:aws:iam::${accountId}:role/mock-read`,
    boundaryArn: `arn:aws:iam::${accountId}:policy/mock-boundary`,
    environments: environment,
    accessLogBucketName: `mock-access-log-bucket-${accountId}`,
    accessLogBucketArn: `arn:aws:s3:::mock-access-log-bucket-${accountId}`,
    deliveryEventsLogPrefix: "/aws/events/mock/",
  };
}

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

/** An assertion's condition as a test-only output of the stack's module (tests read module outputs only). */
export const assertionOutput = (i: number) => `cicd_assert_${i}`;

/**
 * The stack's JSON with each assertion as an output, for the combined configuration
 * (scripts/plan/offline.ts writes it). `output.<name>` in a condition becomes that output's expression.
 */
export function withAssertionOutputs(stack: Json, assertions: readonly Assertion[]): Json {
  const inline = (condition: string) =>
    condition.replace(/\boutput\.([a-z_]+)/g, (_, name: string) => String(stack.output[name].value).replace(/^\$\{(.*)\}$/, "$1"));
  const output = { ...(stack.output ?? {}) };
  assertions.forEach((a, i) => (output[assertionOutput(i)] = { value: `\${${inline(a.condition)}}` }));
  return { ...stack, output };
}

/**
 * The `terraform test` files of the combined configuration: one that applies every stack at once
 * against a mocked AWS provider (the real schema, no API calls), build's remote state overridden
 * by the contract's names, and asserts each stack's conditions; and one per app stack that plans
 * it while its GitHub connection is PENDING, which its postcondition must stop. Terraform cannot
 * expect a failure inside a module, so those files are expected to fail, each with that message.
 * Every computed `arn` gets a well-formed mock, since the provider validates ARNs downstream.
 */
export function mockApplyTests(stacks: readonly { name: string; json: Json; assertions: readonly Assertion[] }[]): Record<string, string> {
  const types = [...new Set(stacks.flatMap((s) => Object.keys(s.json.resource ?? {})))].sort();
  const mocks = types
    .filter((type) => hasArn(type) || MOCK_IDS[type])
    .map((type) => {
      const defaults = [
        ...(hasArn(type) ? [`arn = ${hcl(`arn:aws:${type.split("_")[1]}:eu-west-1:123456789012:mock/${type}`)}`] : []),
        ...(MOCK_IDS[type] ? [`id = ${hcl(MOCK_IDS[type])}`] : []),
      ];
      return `  mock_resource ${hcl(type)} {\n    defaults = { ${defaults.join(", ")} }\n  }`;
    });
  // The default provider and each alias the stacks configure (us-east-1 for CloudFront's logs and alarms).
  const aliases = rootProviders(stacks).providers.flatMap((p) => (p.alias ? [String(p.alias)] : []));
  const provider = [undefined, ...aliases].flatMap((alias) => [
    `mock_provider "aws" {`,
    ...(alias ? [`  alias = ${hcl(alias)}`] : []),
    ...mocks,
    `}`,
    "",
  ]);
  const outputs = (Object.keys(BUILD_OUTPUTS) as BuildOutputKey[]).map(
    (k) => `      ${BUILD_OUTPUTS[k].name} = ${hcl(MOCK_BUILD_OUTPUTS[k])}`,
  );
  const overrides: string[] = [];
  const connectionOf = (s: { name: string; json: Json }) =>
    s.json.data?.aws_codestarconnections_connection?.[CONNECTION_DATA_ID]
      ? `module.${moduleOf(s.name)}.data.aws_codestarconnections_connection.${CONNECTION_DATA_ID}`
      : undefined;
  const connectionIs = (target: string, status: string, indent: string) => [
    `${indent}override_data {`,
    `${indent}  target = ${target}`,
    `${indent}  values = { connection_status = ${hcl(status)}, name = "mock-github" }`,
    `${indent}}`,
  ];
  for (const s of stacks) {
    if (s.json.data?.terraform_remote_state?.build) {
      overrides.push(
        "override_data {",
        `  target = module.${moduleOf(s.name)}.data.terraform_remote_state.build`,
        "  values = {",
        "    outputs = {",
        ...outputs,
        "    }",
        "  }",
        "}",
        "",
      );
    }
    const bootstrap = s.json.data?.terraform_remote_state?.bootstrap;
    if (bootstrap) {
      // The bootstrap of the environment's account, as its postconditions expect it.
      const account = /bootstrap-(\d{12})\.tfstate$/.exec(bootstrap.config.key)?.[1] ?? "";
      const values = mockBootstrapOutputs(account, s.name.replace(/^app-/, ""));
      overrides.push(
        "override_data {",
        `  target = module.${moduleOf(s.name)}.data.terraform_remote_state.bootstrap`,
        "  values = {",
        "    outputs = {",
        ...(Object.keys(BOOTSTRAP_OUTPUTS) as (keyof BootstrapOutputs)[]).map(
          (k) => `      ${BOOTSTRAP_OUTPUTS[k].name} = ${hcl(values[k])}`,
        ),
        "    }",
        "  }",
        "}",
        "",
      );
    }
    const connection = connectionOf(s);
    if (connection) overrides.push(...connectionIs(connection, "AVAILABLE", ""), "");
  }
  const apply = [...provider, ...overrides, 'run "apply_every_stack" {', "  command = apply", ""];
  for (const s of stacks) {
    s.assertions.forEach((a, i) => {
      apply.push(
        "  assert {",
        `    condition     = module.${moduleOf(s.name)}.${assertionOutput(i)}`,
        `    error_message = ${hcl(`${s.name}: ${a.message}`)}`,
        "  }",
        "",
      );
    });
  }
  apply.push("}", "");
  // Every app stack's connection PENDING at once, in one run: one plan of all the stacks instead of
  // one per stack; each stack's postcondition must fail in it (the test counts them).
  const pending = stacks.flatMap((s) => {
    const connection = connectionOf(s);
    return connection ? connectionIs(connection, "PENDING", "  ") : [];
  });
  const files: Record<string, string> = { "apply.tftest.hcl": apply.join("\n") };
  if (pending.length) {
    files["pending.tftest.hcl"] = [...provider, ...overrides, `run "${PENDING_RUN}" {`, "  command = plan", ...pending, "}", ""].join("\n");
  }
  return files;
}

/** The run in which every app stack's GitHub connection is PENDING. */
export const PENDING_RUN = "pending_connections_stop_every_app_stack";

/** The address `type.id` of the one resource of a type that matches `where`. */
export function addressOf(stack: Json, type: string, where: (r: Json) => boolean = () => true): string {
  const ids = Object.entries(stack.resource?.[type] ?? {})
    .filter(([, r]) => where(r as Json))
    .map(([id]) => id);
  if (ids.length !== 1) throw new Error(`expected one matching ${type}, found ${ids.length}`);
  return `${type}.${ids[0]}`;
}
