import { Construct } from "constructs";
import { Lazy } from "../lib/cdk";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { policyDocument, type PolicyStatement } from "../lib/policy";
import { isName, validateProps } from "../lib/props";

export interface PipelineActionsRoleProps {
  readonly roleName: string;
  /** The tooling account's artifact bucket and key (by key ARN: aliases do not work across accounts). */
  readonly artifactBucketArn: string;
  readonly artifactKeyArn: string;
}

/**
 * The role in an environment's account that its pipelines' Deploy actions run as, assumed by those
 * pipelines' roles in the tooling account and by nothing else (CodePipeline user guide, "Create a
 * pipeline in CodePipeline that uses resources from another AWS account", step 2: the cross-account
 * role may use the artifact bucket and key, and deploy). Each pipeline adds its trust, its
 * artifacts' prefix and what its deploy needs (addPipeline).
 */
export class PipelineActionsRole extends Construct {
  readonly role: IamRole;
  private readonly pipelineRoleArns: string[] = [];

  constructor(
    scope: Construct,
    id: string,
    private readonly props: PipelineActionsRoleProps,
  ) {
    super(scope, id);
    validateProps(this, "modules/constructs/pipeline-actions-role.ts", [
      {
        field: "roleName",
        value: props.roleName,
        ok: isName(props.roleName, /^[\w+=,.@-]+$/, 64),
        message: "must be 1-64 characters of letters, digits and +=,.@_-",
      },
    ]);
    this.role = new IamRole(this, "role", {
      name: props.roleName,
      description: "Runs the Deploy actions of this environment's pipelines, from the tooling account",
      // Rendered at synth: the pipelines are built after the role. Their roles are named by their
      // ARNs (attributes), so Terraform creates them first (IAM refuses a principal that does not exist).
      assumeRolePolicy: Lazy.stringValue({
        produce: () =>
          policyDocument([{ sid: "OwnPipelinesOnly", principals: { AWS: [...this.pipelineRoleArns] }, actions: ["sts:AssumeRole"] }]),
      }),
    });
  }

  get arn(): string {
    return this.role.arn;
  }

  /**
   * One pipeline: its role may assume this one, and its deploy, under a policy of its own (so that
   * two pipelines' statements never meet), reads its own artifacts and does `grants`.
   */
  addPipeline(pipelineName: string, pipelineRoleArn: string, artifactPrefix: string, grants: readonly PolicyStatement[]): void {
    this.pipelineRoleArns.push(pipelineRoleArn);
    const { artifactBucketArn, artifactKeyArn } = this.props;
    new IamRolePolicy(this, pipelineName, {
      name: pipelineName,
      role: this.role.name,
      policy: policyDocument([
        {
          sid: "ReadOwnArtifacts",
          actions: ["s3:GetObject", "s3:GetObjectVersion"],
          resources: [`${artifactBucketArn}/${artifactPrefix}/*`],
        },
        { sid: "LocateArtifactBucket", actions: ["s3:GetBucketLocation"], resources: [artifactBucketArn] },
        { sid: "DecryptArtifacts", actions: ["kms:Decrypt", "kms:DescribeKey"], resources: [artifactKeyArn] },
        ...grants,
      ]),
    });
  }
}
