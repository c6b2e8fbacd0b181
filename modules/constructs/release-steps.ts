import { Construct } from "constructs";
import type { CodebuildProject } from "@cdktf/provider-aws/lib/codebuild-project";
import type { ServiceRole } from "./service-role";
import { pipelineStepProject, type PipelineStepResources } from "./pipeline-step-project";
import { projectNameCheck } from "./shared-build-project";
import { validateProps } from "../lib/props";
import type { PolicyStatement } from "../lib/policy";
import { compactScript } from "../lib/runtime-files";
import { RELEASE_OUT_DIR, releaseRecordPrefix, releaseStorePrefix } from "../lib/releases";

/** With the pipeline's artifacts, which hold what the steps measure, and where a promotion writes (PipelineStepResources). */
export interface ReleaseStepsProps extends PipelineStepResources {
  /** The project's name (the workload's prefix and "-release"). */
  readonly projectName: string;
  readonly artifactBucketName: string;
  readonly workload: string;
  readonly environment: string;
  /** The hash of the build's inputs in this environment (buildInputsHash). */
  readonly inputsHash: string;
  /** The artifacts the workload deploys: ["Build"], or a site's ["Assets", "Pages"]. */
  readonly artifacts: readonly string[];
  /**
   * Where each release that passed is announced, with its digest (pipeline.notifyOnSuccess): the
   * environment's topic and the key that encrypts it. @default - no announcement
   */
  readonly notify?: { readonly topicArn: string; readonly keyArn: string };
}

/** The step program, run by node in the build (runtime/release.js), without its comments. */
export function releaseProgram(): string {
  return compactScript("release.js");
}

/**
 * Build once, promote (docs/pipelines.md, "Build once, promote"): the CodeBuild project of a
 * workload's pipeline that seals what its build made, records what passed, and promotes what
 * passed elsewhere (runtime/release.js), in the account of the pipelines, beside the artifact
 * bucket.
 *
 * Its role may read the pipeline's artifacts and write its outputs (a promotion's), read and write
 * the workload's stored artifacts (content-addressed: a promotion checks what it reads against the
 * recorded digest, so a changed object stops it), read every environment's records of the
 * workload, and write its own environment's only: no pipeline can claim that a release passed
 * another environment (and no CI role of another environment may write them: the CI fences).
 */
export class ReleaseSteps extends Construct {
  readonly project: CodebuildProject;
  readonly role: ServiceRole;

  constructor(scope: Construct, id: string, props: ReleaseStepsProps) {
    super(scope, id);
    validateProps(this, "modules/constructs/release-steps.ts", [
      projectNameCheck(props.projectName),
      {
        field: "artifacts",
        value: props.artifacts,
        ok: props.artifacts.length >= 1 && props.artifacts.every((a) => /^[A-Za-z0-9_]+$/.test(a)),
        message: "must name at least one artifact, each of letters, digits and _ (a CODEBUILD_SRC_DIR_<name> variable)",
      },
    ]);
    const bucket = props.artifactBucketArn;
    const store = `${bucket}/${releaseStorePrefix(props.workload)}`;
    const records = (environment: string) => `${bucket}/${releaseRecordPrefix(environment, props.workload)}`;
    const out = (name: string) => ({ "base-directory": `${RELEASE_OUT_DIR}/${name}`, files: ["**/*"] });
    // One output artifact goes under `artifacts`; several must each be a secondary artifact named
    // like the action's output (CodePipeline user guide, "CodeBuild build and test action
    // reference", Output artifacts).
    const artifacts =
      props.artifacts.length === 1
        ? out(props.artifacts[0])
        : {
            ...out(props.artifacts[props.artifacts.length - 1]),
            "secondary-artifacts": Object.fromEntries(props.artifacts.map((a) => [a, out(a)])),
          };
    const statements: PolicyStatement[] = [
      {
        // A promotion's output artifact, under the pipeline's prefix.
        sid: "WriteOwnPipelineArtifacts",
        actions: ["s3:PutObject"],
        resources: [`${bucket}/${props.artifactPrefix}/*`],
      },
      {
        sid: "StoreAndReadWorkloadsReleases",
        actions: ["s3:GetObject", "s3:PutObject"],
        resources: [`${store}/*`],
      },
      {
        // Every environment's records of the workload: a promotion reads those of the environments it names.
        sid: "ReadWorkloadsRecords",
        actions: ["s3:GetObject"],
        resources: [`${bucket}/*-releases/${props.workload}/*`],
      },
      { sid: "RecordOwnEnvironmentsPasses", actions: ["s3:PutObject"], resources: [`${records(props.environment)}/*`] },
      {
        // The steps list a record's exact key before reading it (ListObjectsV2, with the key as
        // s3:prefix), so a missing record is told apart from a refusal.
        sid: "TellMissingRecordsApart",
        actions: ["s3:ListBucket"],
        resources: [bucket],
        conditions: { StringLike: { "s3:prefix": [`*-releases/${props.workload}/*`, `${releaseStorePrefix(props.workload)}/*`] } },
      },
      {
        // Objects are encrypted with the artifact key (the bucket's default): writing needs a data key.
        sid: "EncryptWithArtifactKey",
        actions: ["kms:GenerateDataKey"],
        resources: [props.artifactKeyArn],
      },
      ...(props.notify
        ? [
            { sid: "AnnounceReleases", actions: ["sns:Publish"], resources: [props.notify.topicArn] },
            {
              // A publisher to an encrypted topic needs both (SNS developer guide, "Key management").
              sid: "EncryptAnnouncementsForTheTopic",
              actions: ["kms:GenerateDataKey", "kms:Decrypt"],
              resources: [props.notify.keyArn],
              conditions: { StringEquals: { "kms:ViaService": `sns.${props.region}.amazonaws.com` } },
            },
          ]
        : []),
    ];
    ({ project: this.project, role: this.role } = pipelineStepProject(this, {
      ...props,
      description: `Seals, records and promotes the releases of ${props.workload} in ${props.environment}`,
      statements,
      program: {
        buildspec: {
          version: "0.2",
          env: { "exported-variables": ["ARTIFACT_DIGEST", "ARTIFACT_ORIGIN"] },
          phases: {
            build: {
              commands: [
                `echo ${Buffer.from(releaseProgram()).toString("base64")} | base64 -d > /tmp/release.js`,
                "node /tmp/release.js",
                // Commands of a phase share one shell (buildspec version 0.2): what it exports is exported.
                ". /tmp/release.env",
              ],
            },
          },
          artifacts,
        },
      },
      variables: {
        BUCKET: props.artifactBucketName,
        WORKLOAD: props.workload,
        ENVIRONMENT: props.environment,
        INPUTS: props.inputsHash,
        ARTIFACTS: props.artifacts.join(","),
        ...(props.notify ? { TOPIC_ARN: props.notify.topicArn } : {}),
      },
      buildTimeout: 20,
    }));
  }

  /** Running the project from the workload's pipeline. */
  grantRun(): PolicyStatement {
    return { sid: "RunOwnReleaseSteps", actions: ["codebuild:StartBuild", "codebuild:BatchGetBuilds"], resources: [this.project.arn] };
  }
}
