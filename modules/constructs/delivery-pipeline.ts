import { Construct } from "constructs";
import { Codepipeline } from "@cdktf/provider-aws/lib/codepipeline";
import type { ExecutionMode } from "../config";
import { ServiceRole } from "./service-role";
import { type PolicyStatement } from "../lib/policy";
import { isName, validateProps } from "../lib/props";
import { arn } from "../lib/arn";
import { PipelineDefinitionError, pipelineProblems, SOURCE_ACTION, type PipelineStage, type ReleaseMode } from "../lib/pipeline-stages";
import { isGitBranchName } from "../lib/validators";
import type { ScanKind } from "../lib/scans";

export interface DeliveryPipelineProps {
  readonly pipelineName: string;
  readonly accountId: string;
  readonly region: string;
  readonly stages: readonly PipelineStage[];
  readonly branch: string;
  /** Branch names or patterns whose pushes start the pipeline. @default [branch] */
  readonly triggerBranches?: readonly string[];
  /** @default "QUEUED" */
  readonly executionMode?: ExecutionMode;
  readonly artifactBucketName: string;
  readonly kmsKeyArn: string;
  /** What the pipeline's role may do beyond its own artifacts (builds, connection, deployments). */
  readonly statements: readonly PolicyStatement[];
  /**
   * The environment requires a manual approval before deploy: the definition is checked for one.
   * @default false
   */
  readonly requireApproval?: boolean;
  /** The scans the environment runs: the definition is checked for each, before approval and deploy. @default [] */
  readonly requireScans?: readonly ScanKind[];
  /** The environment runs acceptance tests: the definition is checked for them. @default false */
  readonly requireTests?: boolean;
  /** A container's: its image's scan gate, checked (pipelineProblems' `requireImageScan`). @default false */
  readonly requireImageScan?: boolean;
  /** How the deployed artifact comes to be, checked (pipelineProblems' `release`). @default - not checked */
  readonly release?: ReleaseMode;
  /** The pipeline's artifact prefix (CodePipeline uses the first 20 characters of the name). */
  readonly artifactPrefix: string;
  readonly artifactBucketArn: string;
}

/** A CodePipeline V2 started by pushes to its branch (or branch patterns), with a role limited to that pipeline. */
export class DeliveryPipeline extends Construct {
  readonly pipeline: Codepipeline;
  readonly role: ServiceRole;

  constructor(scope: Construct, id: string, props: DeliveryPipelineProps) {
    super(scope, id);
    validateProps(this, "modules/constructs/delivery-pipeline.ts", [
      {
        field: "pipelineName",
        value: props.pipelineName,
        ok: isName(props.pipelineName, /^[A-Za-z0-9.@_-]+$/, 100),
        message: "must be 1-100 letters, digits and .@_-",
      },
      {
        field: "artifactPrefix",
        value: props.artifactPrefix,
        ok: props.artifactPrefix === props.pipelineName.slice(0, 20),
        message: `must be the first 20 characters of the pipeline name ("${props.pipelineName.slice(0, 20)}"): CodePipeline writes there`,
      },
      {
        field: "branch",
        value: props.branch,
        ok: isGitBranchName(props.branch),
        message: "must be a git branch name",
      },
    ]);
    const problems = pipelineProblems(props.stages, {
      requireApproval: props.requireApproval,
      requireScans: props.requireScans,
      requireTests: props.requireTests,
      requireImageScan: props.requireImageScan,
      release: props.release,
    });
    if (problems.length) throw new PipelineDefinitionError(this.node.path, problems);
    const { accountId, pipelineName } = props;
    this.role = new ServiceRole(this, "role", {
      roleName: `${pipelineName}-pipeline`,
      service: "codepipeline.amazonaws.com",
      accountId,
      sourceArns: [arn(props, "codepipeline", pipelineName)],
      statements: [
        {
          sid: "ReadAndWriteOwnArtifacts",
          actions: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:PutObjectAcl"],
          resources: [`${props.artifactBucketArn}/${props.artifactPrefix}/*`],
        },
        {
          sid: "LocateArtifactBucket",
          actions: ["s3:GetBucketLocation", "s3:GetBucketVersioning"],
          resources: [props.artifactBucketArn],
        },
        {
          sid: "UseArtifactKey",
          actions: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
          resources: [props.kmsKeyArn],
        },
        ...props.statements,
      ],
    });

    this.pipeline = new Codepipeline(this, "pipeline", {
      name: pipelineName,
      pipelineType: "V2",
      executionMode: props.executionMode ?? "QUEUED",
      roleArn: this.role.arn,
      artifactStore: [
        {
          type: "S3",
          location: props.artifactBucketName,
          encryptionKey: { id: props.kmsKeyArn, type: "KMS" },
        },
      ],
      trigger: [
        {
          providerType: "CodeStarSourceConnection",
          gitConfiguration: {
            sourceActionName: SOURCE_ACTION,
            push: [{ branches: { includes: [...(props.triggerBranches ?? [props.branch])] } }],
          },
        },
      ],
      stage: props.stages.map((stage) => ({
        name: stage.name,
        // Outside the window the execution does not enter the stage (CodePipeline user guide,
        // "Configure conditions for a stage": an entry condition's result is FAIL or SKIP).
        beforeEntry: stage.window
          ? {
              condition: {
                result: "FAIL",
                rule: [
                  {
                    name: "DeploymentWindow",
                    ruleTypeId: { category: "Rule", owner: "AWS", provider: "DeploymentWindow", version: "1" },
                    configuration: { Cron: stage.window.cron, TimeZone: stage.window.timeZone },
                  },
                ],
              },
            }
          : undefined,
        // The bake: CodePipeline watches each alarm for WaitTime minutes once the stage's actions
        // succeed, and rolls the stage back to its last successful execution if one is in ALARM
        // (CodePipeline user guide, "CloudWatchAlarm" rule reference and "Configure conditions for
        // a stage": On Success results are Rollback or Fail).
        onSuccess: stage.bake
          ? {
              condition: {
                result: "ROLLBACK",
                rule: stage.bake.alarms.map((alarm, i) => ({
                  // Unique in the condition; the alarm's own name can be a reference, known at apply only.
                  name: `WatchAlarm${i + 1}`,
                  ruleTypeId: { category: "Rule", owner: "AWS", provider: "CloudWatchAlarm", version: "1" },
                  configuration: { AlarmName: alarm.name, AlarmStates: "ALARM", WaitTime: String(stage.bake!.minutes) },
                  region: alarm.region,
                  roleArn: stage.bake!.roleArn,
                })),
              },
            }
          : undefined,
        onFailure: stage.rollbackOnFailure ? { result: "ROLLBACK" } : undefined,
        action: stage.actions.map((a) => ({
          name: a.name,
          category: a.category,
          owner: "AWS",
          provider: a.provider,
          version: "1",
          configuration: { ...a.configuration },
          inputArtifacts: a.inputArtifacts ? [...a.inputArtifacts] : undefined,
          outputArtifacts: a.outputArtifacts ? [...a.outputArtifacts] : undefined,
          namespace: a.namespace,
          runOrder: a.runOrder ?? 1,
          roleArn: a.roleArn,
        })),
      })),
      dependsOn: this.role.grants,
    });
  }
}
