/**
 * Names derived from the configuration. Each is part of the contract with AWS: changing one
 * renames (and so replaces) resources, or moves a stack's state.
 */

export const BUILD_STACK = "build";

export function appStackName(environment: string): string {
  return `app-${environment}`;
}

/** Prefix of an environment's resource names; ALB and target group names allow 32 characters. */
export function environmentPrefix(appName: string, environment: string): string {
  return `${appName}-${environment}`;
}

export const MAX_ENVIRONMENT_PREFIX_LENGTH = 32;

/**
 * CodePipeline stores a pipeline's artifacts under the first 20 characters of its name in the
 * artifact bucket. The environment comes first so that prefixes stay distinct per environment.
 */
export function pipelineName(appName: string, environment: string): string {
  return `${environment}-${appName}`;
}

export const ARTIFACT_PREFIX_LENGTH = 20;

export function artifactPrefix(pipeline: string): string {
  return pipeline.slice(0, ARTIFACT_PREFIX_LENGTH);
}

export function defaultBranch(environment: string): string {
  return `deploy/${environment}`;
}

/** The build stack's names that share a namespace with an environment's (modules/stacks/build-stack.ts). */
export function artifactKeyAlias(appName: string): string {
  return `${appName}-artifacts`;
}
export function artifactBucketName(appName: string, accountId: string, region: string): string {
  return `${appName}-artifacts-${accountId}-${region}`;
}
export function buildProjectName(appName: string): string {
  return `${appName}-build`;
}
export function connectionName(appName: string): string {
  return `${appName}-github`;
}

/** Account-wide namespaces in which build's and the environments' names must not meet. */
export type NameSpace = "KMS alias" | "IAM role" | "SNS topic" | "CloudWatch log group";

/** The names build takes in each shared namespace. */
export function buildNames(appName: string): Record<NameSpace, string[]> {
  const project = buildProjectName(appName);
  return {
    "KMS alias": [artifactKeyAlias(appName)],
    "IAM role": [`${project}-codebuild`],
    "SNS topic": [],
    "CloudWatch log group": [`/aws/codebuild/${project}`],
  };
}

/** The names an environment takes in the same namespaces (modules/stacks/app-stack.ts and its constructs). */
export function environmentNames(appName: string, environment: string): Record<NameSpace, string[]> {
  const prefix = environmentPrefix(appName, environment);
  return {
    "KMS alias": [prefix],
    "IAM role": [`${prefix}-instance`, `${prefix}-codedeploy`, `${pipelineName(appName, environment)}-pipeline`],
    "SNS topic": [`${prefix}-alerts`],
    "CloudWatch log group": [`/${appName}/${environment}/application`],
  };
}
