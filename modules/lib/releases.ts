import * as crypto from "crypto";

/**
 * Build once, promote (docs/pipelines.md, "Build once, promote"): an environment that builds seals
 * its artifact (stores it by digest) after the build and records it once it has passed; an
 * environment that promotes takes the stored artifact of a commit that passed one of the
 * environments it names, in place of a build. The steps are runtime/release.js.
 */

/** The build stage's action that stores the artifact just built, by digest. */
export const SEAL_ACTION = "SealArtifact";
/**
 * Before the build of a workload that an environment which promotes builds again (pipeline.rebuild):
 * the commit passed one of the environments it promotes from.
 */
export const VERIFY_ACTION = "VerifyCommitPassed";
/** The build stage's action, in an environment that promotes, that takes the artifact that passed. */
export const PROMOTE_ACTION = "Promote";
/** The last stage, after the deploy (and its bake): the release passed this environment. */
export const RECORD_STAGE = "Record";
export const RECORD_ACTION = "RecordRelease";
/** The namespace of the seal's or the promotion's variables: ARTIFACT_DIGEST and ARTIFACT_ORIGIN. */
export const RELEASE_NAMESPACE = "ReleaseVariables";
export const DIGEST_VARIABLE = `#{${RELEASE_NAMESPACE}.ARTIFACT_DIGEST}`;
export const ORIGIN_VARIABLE = `#{${RELEASE_NAMESPACE}.ARTIFACT_ORIGIN}`;
/** Where the steps write their outputs, under the primary input (runtime/release.js, OUT_DIR). */
export const RELEASE_OUT_DIR = ".release";

/** Where the stored artifacts of a workload lie in the artifact bucket: releases/<workload>/<commit>/<digest>/. */
export function releaseStorePrefix(workload: string): string {
  return `releases/${workload}`;
}

/** Where an environment records the releases that passed it: <environment>-releases/<workload>/<commit>.json. */
export function releaseRecordPrefix(environment: string, workload?: string): string {
  return `${environment}-releases${workload ? `/${workload}` : ""}`;
}

/**
 * The hash of a build's inputs: the variables its build receives but ENVIRONMENT and COMMIT_ID
 * (the workload, the environment's build settings, the workload's own variables). Two
 * environments whose builds of a commit take the same inputs may deploy the same artifact; a site
 * that bakes an environment's settings into its files may not.
 */
export function buildInputsHash(workload: string, variables: Readonly<Record<string, string>>): string {
  const sorted = Object.fromEntries(Object.entries({ WORKLOAD: workload, ...variables }).sort(([a], [b]) => (a < b ? -1 : 1)));
  return crypto.createHash("sha256").update(JSON.stringify(sorted)).digest("hex").slice(0, 16);
}

/** The build variables that differ between two environments' builds of a workload, by name. */
export function differingInputs(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]).sort();
}
