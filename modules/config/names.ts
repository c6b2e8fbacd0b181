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
