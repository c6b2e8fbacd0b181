import { Construct } from "constructs";
import { CodebuildProject } from "@cdktf/provider-aws/lib/codebuild-project";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { ServiceRole } from "./service-role";
import { LOG_RETENTION_DAYS } from "../config";
import { inRange, isName, validateProps } from "../lib/props";
import { arn } from "../lib/arn";
import { BUILD_DEFAULTS } from "../config/defaults";
import type { PolicyStatement } from "../lib/policy";

export interface SharedBuildProjectProps {
  readonly projectName: string;
  readonly accountId: string;
  readonly region: string;
  readonly artifactBucketName: string;
  readonly artifactBucketArn: string;
  readonly kmsKeyArn: string;
  /** @default BUILD_DEFAULTS.image (modules/config/defaults.ts) */
  readonly image?: string;
  /** @default BUILD_DEFAULTS.computeType */
  readonly computeType?: string;
  /**
   * A cap on this project's concurrent builds. With a cap, CodeBuild refuses builds beyond it with
   * an error instead of queueing them ("Builds in AWS CodeBuild": "If the build project has a
   * concurrent build limit set, builds return an error if the number of running builds reaches the
   * concurrent build limit for the project"), and CodePipeline does not retry: every pipeline that
   * starts while the cap is reached fails. Without one, builds queue at the account's limit.
   * @default - no cap: builds queue
   */
  readonly concurrentBuildLimit?: number;
  /** @default BUILD_DEFAULTS.timeoutMinutes */
  readonly timeoutMinutes?: number;
  /** @default BUILD_DEFAULTS.logRetentionDays */
  readonly logRetentionDays?: number;
}

/** The check of a CodeBuild project's name (CreateProject: 2-255 characters of [A-Za-z0-9_-]). */
export function projectNameCheck(projectName: string) {
  return {
    field: "projectName",
    value: projectName,
    ok: isName(projectName, /^[A-Za-z0-9][A-Za-z0-9_-]+$/, 255),
    message: "must be 2-255 letters, digits, _ and -, starting with a letter or digit",
  };
}

/**
 * A shared project's log group (`/aws/codebuild/<project>`, encrypted with the key, never destroyed
 * by Terraform) and the statement that lets its role write there.
 */
export function projectLogs(
  scope: Construct,
  projectName: string,
  kmsKeyArn: string,
  retentionDays: number | undefined,
): { logGroup: CloudwatchLogGroup; writeLogs: PolicyStatement } {
  const logGroup = new CloudwatchLogGroup(scope, "logs", {
    name: `/aws/codebuild/${projectName}`,
    retentionInDays: retentionDays ?? BUILD_DEFAULTS.logRetentionDays,
    kmsKeyId: kmsKeyArn,
    lifecycle: { preventDestroy: true },
  });
  return {
    logGroup,
    writeLogs: {
      sid: "WriteBuildLogs",
      actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
      resources: [logGroup.arn, `${logGroup.arn}:*`],
    },
  };
}

/** Where the build caches dependencies, inside the artifact bucket. */
export const BUILD_CACHE_PREFIX = "build-cache";

/**
 * The CodeBuild project every environment's pipeline builds on. The buildspec comes from the
 * application repository (buildspec.yml); the pipeline passes ENVIRONMENT and COMMIT_ID.
 */
export class SharedBuildProject extends Construct {
  readonly project: CodebuildProject;
  readonly role: ServiceRole;
  readonly logGroup: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: SharedBuildProjectProps) {
    super(scope, id);
    validateProps(this, "modules/constructs/shared-build-project.ts", [
      projectNameCheck(props.projectName),
      {
        field: "concurrentBuildLimit",
        value: props.concurrentBuildLimit,
        ok: inRange(props.concurrentBuildLimit, 1, 1000),
        message: "must be at least 1",
      },
      {
        field: "timeoutMinutes",
        value: props.timeoutMinutes,
        ok: inRange(props.timeoutMinutes, 5, 2160),
        message: "must be 5-2160 minutes",
      },
      {
        field: "logRetentionDays",
        value: props.logRetentionDays,
        ok: props.logRetentionDays === undefined || (LOG_RETENTION_DAYS as readonly number[]).includes(props.logRetentionDays),
        message: "must be a retention CloudWatch Logs accepts",
      },
    ]);
    const { accountId, projectName } = props;
    const projectArn = arn(props, "codebuild", `project/${projectName}`);

    const logs = projectLogs(this, projectName, props.kmsKeyArn, props.logRetentionDays);
    this.logGroup = logs.logGroup;

    this.role = new ServiceRole(this, "role", {
      roleName: `${projectName}-codebuild`,
      service: "codebuild.amazonaws.com",
      accountId,
      sourceArns: [projectArn],
      statements: [
        logs.writeLogs,
        {
          sid: "ReadAndWritePipelineArtifactsAndCache",
          actions: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
          resources: [`${props.artifactBucketArn}/*`],
        },
        {
          sid: "LocateArtifactBucket",
          actions: ["s3:GetBucketLocation", "s3:GetBucketAcl", "s3:ListBucket"],
          resources: [props.artifactBucketArn],
        },
        {
          sid: "UseArtifactKey",
          actions: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
          resources: [props.kmsKeyArn],
        },
        {
          sid: "PublishTestAndCoverageReports",
          actions: [
            "codebuild:CreateReportGroup",
            "codebuild:CreateReport",
            "codebuild:UpdateReport",
            "codebuild:BatchPutTestCases",
            "codebuild:BatchPutCodeCoverages",
          ],
          resources: [arn(props, "codebuild", `report-group/${projectName}-*`)],
        },
      ],
    });

    this.project = new CodebuildProject(this, "project", {
      name: projectName,
      description: "Shared build for every environment's pipeline (buildspec.yml from the application repository)",
      serviceRole: this.role.arn,
      encryptionKey: props.kmsKeyArn,
      buildTimeout: props.timeoutMinutes ?? BUILD_DEFAULTS.timeoutMinutes,
      // Queued builds wait up to 8 hours (CodeBuild's default) rather than fail after one.
      queuedTimeout: 480,
      concurrentBuildLimit: props.concurrentBuildLimit,
      source: { type: "CODEPIPELINE" },
      artifacts: { type: "CODEPIPELINE" },
      environment: {
        type: "LINUX_CONTAINER",
        image: props.image ?? BUILD_DEFAULTS.image,
        computeType: props.computeType ?? BUILD_DEFAULTS.computeType,
        imagePullCredentialsType: "CODEBUILD",
        privilegedMode: false,
      },
      cache: { type: "S3", location: `${props.artifactBucketName}/${BUILD_CACHE_PREFIX}` },
      logsConfig: {
        cloudwatchLogs: { status: "ENABLED", groupName: this.logGroup.name },
        s3Logs: { status: "DISABLED" },
      },
      // The role's policy must exist before CodeBuild validates the role.
      dependsOn: this.role.grants,
    });
  }
}
