import { Construct } from "constructs";
import { CodebuildProject } from "@cdktf/provider-aws/lib/codebuild-project";
import type { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { ServiceRole } from "./service-role";
import { projectLogs, projectNameCheck } from "./shared-build-project";
import { validateProps } from "../lib/props";
import { arn } from "../lib/arn";
import { BUILD_DEFAULTS } from "../config/defaults";
import { runtimeFile } from "../lib/runtime-files";

export interface ImageBuildProjectProps {
  readonly projectName: string;
  readonly accountId: string;
  readonly region: string;
  readonly artifactBucketArn: string;
  readonly kmsKeyArn: string;
  /** The container workloads' repositories (ImageRepository), which it may push to. */
  readonly repositoryArns: readonly string[];
  /** @default BUILD_DEFAULTS.computeType */
  readonly computeType?: string;
  /** @default BUILD_DEFAULTS.timeoutMinutes */
  readonly timeoutMinutes?: number;
  /** @default BUILD_DEFAULTS.logRetentionDays */
  readonly logRetentionDays?: number;
}

/**
 * The CodeBuild project that builds every container workload's image (runtime/image-build.sh):
 * the platform's buildspec, not the application's, so that what an image build may do is decided
 * here. The application gives its Dockerfile (and its tests, in a stage of it). Its role may push
 * to the container repositories only, read the source and write the build's artifact. It alone
 * of the project's runs privileged (Docker needs it): the rule pack's CODEBUILD_NOT_PRIVILEGED is
 * suppressed for it, with the reason, in modules/rules/suppressions.ts.
 */
export class ImageBuildProject extends Construct {
  readonly project: CodebuildProject;
  readonly role: ServiceRole;
  readonly logGroup: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: ImageBuildProjectProps) {
    super(scope, id);
    validateProps(this, "modules/constructs/image-build-project.ts", [
      projectNameCheck(props.projectName),
      {
        field: "repositoryArns",
        value: props.repositoryArns,
        ok: props.repositoryArns.length >= 1,
        message: "needs at least one repository: the project exists for the container workloads",
      },
    ]);
    const logs = projectLogs(this, props.projectName, props.kmsKeyArn, props.logRetentionDays);
    this.logGroup = logs.logGroup;
    this.role = new ServiceRole(this, "role", {
      roleName: `${props.projectName}-codebuild`,
      service: "codebuild.amazonaws.com",
      accountId: props.accountId,
      sourceArns: [arn(props, "codebuild", `project/${props.projectName}`)],
      statements: [
        logs.writeLogs,
        {
          sid: "ReadSourceWriteBuildArtifacts",
          actions: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
          resources: [`${props.artifactBucketArn}/*`],
        },
        { sid: "LocateArtifactBucket", actions: ["s3:GetBucketLocation", "s3:GetBucketAcl"], resources: [props.artifactBucketArn] },
        {
          sid: "UseArtifactKey",
          actions: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
          resources: [props.kmsKeyArn],
        },
        // GetAuthorizationToken takes no resource (Service Authorization Reference, Amazon ECR).
        { sid: "SignInToTheRegistry", actions: ["ecr:GetAuthorizationToken"], resources: ["*"] },
        {
          // ECR user guide, "Private repository policy examples": what docker push needs, and
          // DescribeImages to find an existing tag and read the digest.
          sid: "PushToContainerRepositories",
          actions: [
            "ecr:BatchCheckLayerAvailability",
            "ecr:InitiateLayerUpload",
            "ecr:UploadLayerPart",
            "ecr:CompleteLayerUpload",
            "ecr:PutImage",
            "ecr:BatchGetImage",
            "ecr:GetDownloadUrlForLayer",
            "ecr:DescribeImages",
          ],
          resources: [...props.repositoryArns],
        },
      ],
    });
    this.project = new CodebuildProject(this, "project", {
      name: props.projectName,
      description: "Builds the container workloads' images, once per commit (runtime/image-build.sh)",
      serviceRole: this.role.arn,
      encryptionKey: props.kmsKeyArn,
      buildTimeout: props.timeoutMinutes ?? BUILD_DEFAULTS.timeoutMinutes,
      queuedTimeout: 480,
      source: {
        type: "CODEPIPELINE",
        buildspec: JSON.stringify({
          version: "0.2",
          phases: {
            build: {
              commands: [
                `echo ${Buffer.from(runtimeFile("image-build.sh")).toString("base64")} | base64 -d > /tmp/image-build.sh`,
                "bash /tmp/image-build.sh",
              ],
            },
          },
          artifacts: { files: ["imagedefinitions.json"] },
        }),
      },
      artifacts: { type: "CODEPIPELINE" },
      environment: {
        type: "LINUX_CONTAINER",
        image: BUILD_DEFAULTS.image,
        computeType: props.computeType ?? BUILD_DEFAULTS.computeType,
        imagePullCredentialsType: "CODEBUILD",
        privilegedMode: true,
      },
      logsConfig: {
        cloudwatchLogs: { status: "ENABLED", groupName: this.logGroup.name },
        s3Logs: { status: "DISABLED" },
      },
      dependsOn: this.role.grants,
    });
  }
}
