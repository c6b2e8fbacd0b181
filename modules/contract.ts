import { Construct } from "constructs";
import { DataTerraformRemoteStateS3, TerraformOutput, type TerraformStack } from "cdktf";
import type { StateLocation } from "./state";
import { arn, PARTITION, type AccountScope } from "./arn";

/**
 * The contract between the build stack and the app stacks: the names of the outputs build
 * publishes and every app stack reads from build's remote state. Renaming one is a breaking change
 * (deployed app stacks read the old name until they are re-applied).
 */
export const BUILD_OUTPUTS = {
  artifactBucketName: { name: "artifact_bucket_name", description: "Name of the shared artifact bucket" },
  artifactBucketArn: { name: "artifact_bucket_arn", description: "ARN of the shared artifact bucket" },
  artifactKeyArn: { name: "artifact_key_arn", description: "ARN of the KMS key that encrypts artifacts" },
  buildProjectName: { name: "build_project_name", description: "Name of the shared CodeBuild project" },
  buildProjectArn: { name: "build_project_arn", description: "ARN of the shared CodeBuild project" },
  connectionArn: { name: "connection_arn", description: "ARN of the GitHub connection" },
} as const;

export type BuildOutputKey = keyof typeof BUILD_OUTPUTS;
export type BuildOutputs = { readonly [K in BuildOutputKey]: string };

const KEYS = Object.keys(BUILD_OUTPUTS) as BuildOutputKey[];

/** The logical id of the remote state data source in every app stack. */
export const BUILD_REMOTE_STATE_ID = "build";

/** Declares every contract output on the build stack, under its contract name. */
export function publishBuildOutputs(stack: TerraformStack, values: BuildOutputs): void {
  for (const key of KEYS) {
    const { name, description } = BUILD_OUTPUTS[key];
    const output = new TerraformOutput(stack, name, { value: values[key], description });
    output.overrideLogicalId(name);
  }
}

/**
 * Reads build's outputs from its remote state (no cdktf stack dependency, so `cdktf deploy
 * app-<env>` runs on its own; DESIGN.md section 2).
 */
export function readBuildOutputs(scope: Construct, location: StateLocation): BuildOutputs {
  const state = new DataTerraformRemoteStateS3(scope, BUILD_REMOTE_STATE_ID, { ...location });
  return Object.fromEntries(KEYS.map((key) => [key, state.getString(BUILD_OUTPUTS[key].name)])) as unknown as BuildOutputs;
}

/** Marks every placeholder value, so that it is obvious in a plan where one was used. */
export const PLACEHOLDER_MARK = "offline-placeholder";

/**
 * Stand-ins for build's outputs in an offline plan (when build's state cannot be read). Each is a
 * well-formed name or ARN of the project's account and region, and each contains
 * "offline-placeholder". A plan made with them must never be applied.
 */
export function placeholderBuildOutputs(scope: AccountScope, appName: string): BuildOutputs {
  const name = `${appName}-${PLACEHOLDER_MARK}`;
  const uuid = "00000000-0000-0000-0000-000000000000";
  return {
    artifactBucketName: `${name}-artifacts`,
    artifactBucketArn: `arn:${PARTITION}:s3:::${name}-artifacts`,
    artifactKeyArn: arn(scope, "kms", `key/${uuid}`),
    buildProjectName: `${name}-build`,
    buildProjectArn: arn(scope, "codebuild", `project/${name}-build`),
    connectionArn: arn(scope, "codestar-connections", `connection/${uuid}`),
  };
}
