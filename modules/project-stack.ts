import { Construct } from "constructs";
import { TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { ProjectConfig } from "./config";
import { useS3Backend } from "./state";

export interface ProjectStackProps {
  readonly project: ProjectConfig;
  /** Tags on every resource of the stack, on top of the project's. */
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * A stack of this project: the AWS provider (locked to the project's account and region, with
 * default tags) and the S3 state backend under the stack's own key.
 */
export class ProjectStack extends TerraformStack {
  constructor(scope: Construct, readonly stackName: string, props: ProjectStackProps) {
    super(scope, stackName);
    const { project } = props;
    new AwsProvider(this, "aws", {
      region: project.region,
      allowedAccountIds: [project.accountId],
      defaultTags: [
        {
          tags: {
            Application: project.appName,
            Stack: stackName,
            ManagedBy: "cdktf",
            ...project.tags,
            ...props.tags,
          },
        },
      ],
    });
    useS3Backend(this, project, stackName);
  }
}
