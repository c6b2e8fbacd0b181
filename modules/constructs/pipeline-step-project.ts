import type { Construct } from "constructs";
import { CodebuildProject } from "@cdktf/provider-aws/lib/codebuild-project";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { ServiceRole } from "./service-role";
import { arn } from "../lib/arn";
import { BUILD_DEFAULTS } from "../config/defaults";
import type { PolicyStatement } from "../lib/policy";

/** Where a pipeline step reads its input and writes its logs (the props its construct passes on). */
export interface PipelineStepResources {
  readonly accountId: string;
  readonly region: string;
  /** The pipeline's artifacts, which hold the action's input, and their key. */
  readonly artifactBucketArn: string;
  readonly artifactPrefix: string;
  readonly artifactKeyArn: string;
  /**
   * The key CodeBuild encrypts the project's own output with: a key of the project's account
   * (CodeBuild does not use another account's key; aws-cdk #4033).
   * @default - artifactKeyArn (the project is in the artifacts' account)
   */
  readonly projectKeyArn?: string;
  /** The environment's key, for the build logs (its policy lets CloudWatch Logs use it). */
  readonly logKeyArn: string;
  readonly logRetentionDays: number;
  /** @default false - keep the build logs when the stack is destroyed */
  readonly retain?: boolean;
}

export interface PipelineStepProjectProps extends PipelineStepResources {
  /** The project's name, which its role and log group take too. */
  readonly projectName: string;
  readonly description: string;
  /** What the step does beyond reading its input and writing its logs. */
  readonly statements: readonly PolicyStatement[];
  /**
   * What the step runs: the commands of the build phase (an inline buildspec: the step's program
   * ships with the stack), or the path of a buildspec in the input artifact (the application's own).
   */
  readonly program:
    | { readonly commands: readonly string[] }
    | { readonly buildspecFile: string }
    /** A whole buildspec, for a step that exports variables or hands on artifacts. */
    | { readonly buildspec: Readonly<Record<string, unknown>> };
  readonly variables: Readonly<Record<string, string>>;
  /** @default 15 */
  readonly buildTimeout?: number;
  /** @default - no limit */
  readonly concurrentBuildLimit?: number;
  /** Runs in these subnets of the VPC, with these security groups. @default - outside any VPC */
  readonly vpc?: { readonly vpcId: string; readonly subnetIds: readonly string[]; readonly securityGroupIds: readonly string[] };
}

/** The small, unprivileged Linux build environment of a step (and of the scans), with its plain-text variables. */
export function smallEnvironment(variables: Readonly<Record<string, string>>) {
  return {
    type: "LINUX_CONTAINER",
    image: BUILD_DEFAULTS.image,
    computeType: "BUILD_GENERAL1_SMALL",
    imagePullCredentialsType: "CODEBUILD",
    privilegedMode: false,
    environmentVariable: Object.entries(variables).map(([name, value]) => ({ name, value, type: "PLAINTEXT" })),
  };
}

/**
 * A CodeBuild project that one of the environment's pipelines runs as a step of its own (a site's
 * invalidation, a blue/green traffic switch): its log group, and a role that may read the
 * pipeline's artifacts, write its logs and do `statements`, and nothing else. The construct ids
 * ("logs", "role", "project") are the callers' addresses.
 */
export function pipelineStepProject(scope: Construct, props: PipelineStepProjectProps): { project: CodebuildProject; role: ServiceRole } {
  const { projectName } = props;
  const logs = new CloudwatchLogGroup(scope, "logs", {
    name: `/aws/codebuild/${projectName}`,
    retentionInDays: props.logRetentionDays,
    kmsKeyId: props.logKeyArn,
    lifecycle: { preventDestroy: props.retain ?? false },
  });
  const role = new ServiceRole(scope, "role", {
    roleName: projectName,
    service: "codebuild.amazonaws.com",
    accountId: props.accountId,
    sourceArns: [arn(props, "codebuild", `project/${projectName}`)],
    statements: [
      { sid: "WriteOwnLogs", actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [logs.arn, `${logs.arn}:*`] },
      {
        sid: "ReadOwnPipelineArtifacts",
        actions: ["s3:GetObject", "s3:GetObjectVersion"],
        resources: [`${props.artifactBucketArn}/${props.artifactPrefix}/*`],
      },
      {
        // CodeBuild checks the bucket's owner before it downloads (CodeBuild user guide, "Allow
        // CodeBuild to interact with other AWS services": the S3BucketIdentity statement).
        sid: "LocateArtifactBucket",
        actions: ["s3:GetBucketAcl", "s3:GetBucketLocation"],
        resources: [props.artifactBucketArn],
      },
      { sid: "DecryptArtifacts", actions: ["kms:Decrypt"], resources: [props.artifactKeyArn] },
      ...props.statements,
    ],
  });
  const project = new CodebuildProject(scope, "project", {
    name: projectName,
    description: props.description,
    serviceRole: role.arn,
    encryptionKey: props.projectKeyArn ?? props.artifactKeyArn,
    buildTimeout: props.buildTimeout ?? 15,
    ...(props.concurrentBuildLimit ? { concurrentBuildLimit: props.concurrentBuildLimit } : {}),
    source: {
      type: "CODEPIPELINE",
      buildspec:
        "buildspecFile" in props.program
          ? props.program.buildspecFile
          : JSON.stringify(
              "buildspec" in props.program
                ? props.program.buildspec
                : { version: "0.2", phases: { build: { commands: [...props.program.commands] } } },
            ),
    },
    artifacts: { type: "CODEPIPELINE" },
    environment: smallEnvironment(props.variables),
    logsConfig: { cloudwatchLogs: { status: "ENABLED", groupName: logs.name }, s3Logs: { status: "DISABLED" } },
    ...(props.vpc
      ? { vpcConfig: { vpcId: props.vpc.vpcId, subnets: [...props.vpc.subnetIds], securityGroupIds: [...props.vpc.securityGroupIds] } }
      : {}),
    dependsOn: role.grants,
  });
  return { project, role };
}
