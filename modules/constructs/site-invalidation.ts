import { Construct } from "constructs";
import type { CodebuildProject } from "@cdktf/provider-aws/lib/codebuild-project";
import type { ServiceRole } from "./service-role";
import { isName, validateProps } from "../lib/props";
import type { PolicyStatement } from "../lib/policy";
import { pipelineStepProject, type PipelineStepResources } from "./pipeline-step-project";
import { runtimeCommands } from "../lib/runtime-files";

/** With the site pipeline's artifacts, which hold the action's input (PipelineStepResources). */
export interface SiteInvalidationProps extends PipelineStepResources {
  /** The project's name (a static site's prefix and "-invalidate"). */
  readonly projectName: string;
  /** The site's distribution: the only one this project may invalidate. */
  readonly distributionId: string;
  readonly distributionArn: string;
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
    ({ project: this.project, role: this.role } = pipelineStepProject(this, {
      ...props,
      description: `Invalidates the cache of distribution ${projectName.replace(/-invalidate$/, "")} after a release`,
      statements: [
        {
          sid: "InvalidateOwnDistribution",
          actions: ["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"],
          resources: [props.distributionArn],
        },
      ],
      program: { commands: runtimeCommands("invalidate-site.sh") },
      variables: { DISTRIBUTION_ID: props.distributionId },
    }));
  }

  /** Running the project from the site's pipeline. */
  grantRun(): PolicyStatement {
    return { sid: "RunOwnInvalidation", actions: ["codebuild:StartBuild", "codebuild:BatchGetBuilds"], resources: [this.project.arn] };
  }
}
