import { Construct } from "constructs";
import { CodebuildProject } from "@cdktf/provider-aws/lib/codebuild-project";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { ServiceRole } from "./service-role";
import { arn } from "../lib/arn";
import { isName, validateProps } from "../lib/props";
import { BUILD_DEFAULTS } from "../config/defaults";
import type { PolicyStatement } from "../lib/policy";

export interface SiteInvalidationProps {
  /** The project's name (a static site's prefix and "-invalidate"). */
  readonly projectName: string;
  readonly accountId: string;
  readonly region: string;
  /** The site's distribution: the only one this project may invalidate. */
  readonly distributionId: string;
  readonly distributionArn: string;
  /** The site pipeline's artifacts, which hold the action's input, and their key. */
  readonly artifactBucketArn: string;
  readonly artifactPrefix: string;
  readonly artifactKeyArn: string;
  /** The environment's key, for the build logs (its policy lets CloudWatch Logs use it). */
  readonly logKeyArn: string;
  readonly logRetentionDays: number;
  /** @default false - keep the build logs when the stack is destroyed */
  readonly retain?: boolean;
}

/**
 * The last step of a static site's release: invalidate the distribution's cache once the new files
 * are in the bucket, so that viewers get the new pages at once instead of after their TTL.
 *
 * A CodeBuild project of its own, with a role that may invalidate this one distribution and read
 * this pipeline's artifacts, and nothing else. CodePipeline has no invalidation action, and the
 * Commands action (which would run under the pipeline's role) is not in provider 5.100's
 * aws_codepipeline schema; the shared build project cannot do it without a grant on every
 * distribution.
 */
export class SiteInvalidation extends Construct {
  readonly project: CodebuildProject;
  readonly role: ServiceRole;

  constructor(scope: Construct, id: string, props: SiteInvalidationProps) {
    super(scope, id);
    validateProps(this, "modules/constructs/site-invalidation.ts", [
      {
        field: "projectName",
        value: props.projectName,
        ok: isName(props.projectName, /^[A-Za-z0-9][A-Za-z0-9_-]+$/, 255),
        message: "must be 2-255 letters, digits, _ and -, starting with a letter or digit",
      },
    ]);
    const { projectName } = props;
    const logs = new CloudwatchLogGroup(this, "logs", {
      name: `/aws/codebuild/${projectName}`,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.logKeyArn,
      lifecycle: { preventDestroy: props.retain ?? false },
    });
    this.role = new ServiceRole(this, "role", {
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
        {
          sid: "InvalidateOwnDistribution",
          actions: ["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"],
          resources: [props.distributionArn],
        },
      ],
    });
    this.project = new CodebuildProject(this, "project", {
      name: projectName,
      description: `Invalidates the cache of distribution ${projectName.replace(/-invalidate$/, "")} after a release`,
      serviceRole: this.role.arn,
      encryptionKey: props.artifactKeyArn,
      buildTimeout: 15,
      source: {
        type: "CODEPIPELINE",
        buildspec: JSON.stringify({
          version: "0.2",
          phases: {
            build: {
              commands: [
                'aws cloudfront create-invalidation --distribution-id "$DISTRIBUTION_ID" --paths "/*" --query Invalidation.Id --output text',
              ],
            },
          },
        }),
      },
      artifacts: { type: "CODEPIPELINE" },
      environment: {
        type: "LINUX_CONTAINER",
        image: BUILD_DEFAULTS.image,
        computeType: "BUILD_GENERAL1_SMALL",
        imagePullCredentialsType: "CODEBUILD",
        privilegedMode: false,
        environmentVariable: [{ name: "DISTRIBUTION_ID", value: props.distributionId, type: "PLAINTEXT" }],
      },
      logsConfig: { cloudwatchLogs: { status: "ENABLED", groupName: logs.name }, s3Logs: { status: "DISABLED" } },
      dependsOn: this.role.grants,
    });
  }

  /** Running the project from the site's pipeline. */
  grantRun(): PolicyStatement {
    return { sid: "RunOwnInvalidation", actions: ["codebuild:StartBuild", "codebuild:BatchGetBuilds"], resources: [this.project.arn] };
  }
}
