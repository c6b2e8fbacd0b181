import { Construct } from "constructs";
import type { ITerraformDependable } from "../lib/cdk";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { inRange, isName, validateProps } from "../lib/props";
import { policyDocument, type PolicyStatement } from "../lib/policy";

export interface ServiceRoleProps {
  readonly roleName: string;
  /** The service that assumes the role, e.g. "codebuild.amazonaws.com". */
  readonly service: string;
  /** Trust is limited to requests made on behalf of this account (confused-deputy protection). */
  readonly accountId: string;
  /**
   * Further limits trust to requests from these source ARNs (aws:SourceArn).
   * @default - no SourceArn condition (for services that do not send it, such as EC2)
   */
  readonly sourceArns?: readonly string[];
  /**
   * The role's inline policy: everything it may do beyond the managed policies.
   * @default [] - no inline policy
   */
  readonly statements?: readonly PolicyStatement[];
  /** @default [] - AWS managed policies, only where AWS documents one as the service's role policy. */
  readonly managedPolicyArns?: readonly string[];
  /** @default 3600 */
  readonly maxSessionDuration?: number;
}

/**
 * An IAM role for an AWS service, with a trust policy bound to this account and an inline policy
 * that lists exactly what the role may do.
 */
export class ServiceRole extends Construct {
  readonly role: IamRole;
  readonly policy?: IamRolePolicy;
  /** The role's policies: resources that use the role should depend on these. */
  readonly grants: ITerraformDependable[] = [];

  constructor(scope: Construct, id: string, props: ServiceRoleProps) {
    super(scope, id);
    validateProps(this, "modules/constructs/service-role.ts", [
      {
        field: "roleName",
        value: props.roleName,
        ok: isName(props.roleName, /^[\w+=,.@-]+$/, 64),
        message: "must be 1-64 characters of letters, digits and +=,.@_-",
      },
      {
        field: "service",
        value: props.service,
        ok: /^[a-z0-9.-]+\.amazonaws\.com$/.test(props.service),
        message: "must be a service principal such as codebuild.amazonaws.com",
      },
      { field: "accountId", value: props.accountId, ok: /^\d{12}$/.test(props.accountId), message: "must be a 12-digit account id" },
      {
        field: "maxSessionDuration",
        value: props.maxSessionDuration,
        ok: inRange(props.maxSessionDuration, 3600, 43200),
        message: "must be 3600-43200 seconds",
      },
    ]);
    const conditions: Record<string, Record<string, string | readonly string[]>> = {
      StringEquals: { "aws:SourceAccount": props.accountId },
    };
    if (props.sourceArns?.length) conditions.ArnLike = { "aws:SourceArn": props.sourceArns };
    // EC2 sends neither aws:SourceAccount nor aws:SourceArn when it assumes an instance role.
    const trustConditions = props.service === "ec2.amazonaws.com" ? undefined : conditions;

    this.role = new IamRole(this, "role", {
      name: props.roleName,
      assumeRolePolicy: policyDocument([
        {
          actions: ["sts:AssumeRole"],
          principals: { Service: props.service },
          conditions: trustConditions,
        },
      ]),
      maxSessionDuration: props.maxSessionDuration ?? 3600,
    });
    if (props.statements?.length) {
      this.policy = new IamRolePolicy(this, "policy", {
        name: `${props.roleName}-policy`,
        role: this.role.name,
        policy: policyDocument(props.statements),
      });
      this.grants.push(this.policy);
    }
    for (const arn of props.managedPolicyArns ?? []) {
      const id = arn.split("/").pop() as string;
      this.grants.push(new IamRolePolicyAttachment(this, id, { role: this.role.name, policyArn: arn }));
    }
  }

  get arn(): string {
    return this.role.arn;
  }

  get name(): string {
    return this.role.name;
  }
}
