import { Construct } from "constructs";
import { Codepipeline } from "@cdktf/provider-aws/lib/codepipeline";
import type { ExecutionMode } from "./config";
import { ServiceRole, type PolicyStatement } from "./iam";
import { arn } from "./arn";

/** One action of a pipeline, as CodePipeline's action declaration (version "1", owner "AWS"). */
export interface PipelineAction {
  readonly name: string;
  readonly category: "Source" | "Build" | "Approval" | "Deploy";
  readonly provider: string;
  readonly configuration: Readonly<Record<string, string>>;
  /** @default [] */
  readonly inputArtifacts?: readonly string[];
  /** @default [] */
  readonly outputArtifacts?: readonly string[];
  /** @default - none: the action's variables are not exported */
  readonly namespace?: string;
  /** @default 1 */
  readonly runOrder?: number;
}

export interface PipelineStage {
  readonly name: string;
  readonly actions: readonly PipelineAction[];
}

/** Artifact names shared by the stages below and the build/deploy steps of the application. */
export const SOURCE_ARTIFACT = "Source";
export const BUILD_ARTIFACT = "Build";
export const SOURCE_NAMESPACE = "SourceVariables";
export const SOURCE_ACTION = "Source";

export interface DeliveryStagesProps {
  readonly environment: string;
  readonly repository: string;
  readonly branch: string;
  readonly connectionArn: string;
  readonly buildProjectName: string;
  /** @default - no approval stage */
  readonly approval?: { readonly topicArn: string; readonly reviewUrl?: string };
  readonly codeDeployApplication: string;
  readonly codeDeployGroup: string;
}

/**
 * The stages of an environment's pipeline: source from `deploy/<env>`, build on the shared
 * CodeBuild project with ENVIRONMENT and COMMIT_ID, an approval where required, then CodeDeploy.
 */
export function deliveryStages(props: DeliveryStagesProps): PipelineStage[] {
  const stages: PipelineStage[] = [
    {
      name: "Source",
      actions: [
        {
          name: SOURCE_ACTION,
          category: "Source",
          provider: "CodeStarSourceConnection",
          namespace: SOURCE_NAMESPACE,
          outputArtifacts: [SOURCE_ARTIFACT],
          configuration: {
            ConnectionArn: props.connectionArn,
            FullRepositoryId: props.repository,
            // Used for manual starts; pushes are matched by the pipeline trigger.
            BranchName: props.branch,
            OutputArtifactFormat: "CODE_ZIP",
            DetectChanges: "false",
          },
        },
      ],
    },
    {
      name: "Build",
      actions: [
        {
          name: "Build",
          category: "Build",
          provider: "CodeBuild",
          inputArtifacts: [SOURCE_ARTIFACT],
          outputArtifacts: [BUILD_ARTIFACT],
          configuration: {
            ProjectName: props.buildProjectName,
            EnvironmentVariables: JSON.stringify([
              { name: "ENVIRONMENT", value: props.environment, type: "PLAINTEXT" },
              { name: "COMMIT_ID", value: `#{${SOURCE_NAMESPACE}.CommitId}`, type: "PLAINTEXT" },
            ]),
          },
        },
      ],
    },
  ];
  if (props.approval) {
    stages.push({
      name: "Approve",
      actions: [
        {
          name: "Approve",
          category: "Approval",
          provider: "Manual",
          configuration: {
            NotificationArn: props.approval.topicArn,
            CustomData: `Deploy commit #{${SOURCE_NAMESPACE}.CommitId} to ${props.environment}?`,
            ...(props.approval.reviewUrl ? { ExternalEntityLink: props.approval.reviewUrl } : {}),
          },
        },
      ],
    });
  }
  stages.push({
    name: "Deploy",
    actions: [
      {
        name: "Deploy",
        category: "Deploy",
        provider: "CodeDeploy",
        inputArtifacts: [BUILD_ARTIFACT],
        configuration: {
          ApplicationName: props.codeDeployApplication,
          DeploymentGroupName: props.codeDeployGroup,
        },
      },
    ],
  });
  return stages;
}

export interface DeliveryPipelineProps {
  readonly pipelineName: string;
  readonly accountId: string;
  readonly region: string;
  readonly stages: readonly PipelineStage[];
  readonly branch: string;
  /** @default "QUEUED" */
  readonly executionMode?: ExecutionMode;
  readonly artifactBucketName: string;
  readonly kmsKeyArn: string;
  /** What the pipeline's role may do beyond its own artifacts (builds, connection, deployments). */
  readonly statements: readonly PolicyStatement[];
  /** The pipeline's artifact prefix (CodePipeline uses the first 20 characters of the name). */
  readonly artifactPrefix: string;
  readonly artifactBucketArn: string;
}

/** A CodePipeline V2 started by pushes to one branch, with a role limited to that pipeline. */
export class DeliveryPipeline extends Construct {
  readonly pipeline: Codepipeline;
  readonly role: ServiceRole;

  constructor(scope: Construct, id: string, props: DeliveryPipelineProps) {
    super(scope, id);
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
            push: [{ branches: { includes: [props.branch] } }],
          },
        },
      ],
      stage: props.stages.map((stage) => ({
        name: stage.name,
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
        })),
      })),
      dependsOn: this.role.grants,
    });
  }
}
