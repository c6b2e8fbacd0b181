import type { Construct } from "constructs";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { CloudwatchEventBusPolicy } from "@cdktf/provider-aws/lib/cloudwatch-event-bus-policy";
import { Cloudtrail } from "@cdktf/provider-aws/lib/cloudtrail";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import {
  accessLogBucketName,
  accessLogPrefix,
  bootstrapStackName,
  deployRoleName,
  readRoleName,
  environmentPrefix,
  eventForwardingName,
  roleBoundaryName,
  peopleRoleArns,
  type CiEnvironment,
  type EnvironmentConfig,
  type ProjectConfig,
} from "../config";
import { ProjectStack, type SynthOptions } from "./project-stack";
import { BOOTSTRAP_OUTPUTS, publishOutputs } from "./contract";
import { AccessLogBucket } from "../constructs/access-log-bucket";
import { DeliveryEventsPolicy } from "../constructs/delivery-events";
import { EncryptionKey } from "../constructs/encryption-key";
import { SecureBucket } from "../constructs/secure-bucket";
import { decryptSecureParametersThroughSsm, policyDocument, type PolicyStatement } from "../lib/policy";
import { PARTITION, roleArn } from "../lib/arn";

/**
 * The AWS services an app stack manages in an environment account, as IAM action prefixes: what the
 * deploy role may call and what the boundary lets the stack's roles do (docs/accounts.md, "What
 * the deploy role may do"). IAM is not among them: its rights are granted apart, bounded.
 */
export const ENVIRONMENT_SERVICES = [
  "acm",
  // A container's scaling (Application Auto Scaling), cluster and service, and its image pulls.
  "application-autoscaling",
  "autoscaling",
  "cloudfront",
  "cloudwatch",
  "codebuild",
  "codedeploy",
  "ec2",
  "ecr",
  "ecs",
  "elasticloadbalancing",
  "events",
  "kms",
  "logs",
  "s3",
  "secretsmanager",
  "sns",
  "ssm",
  "tag",
  "wafv2",
] as const;

/**
 * What the roles of the app stacks reach beyond the services the deploy role manages: the CodeDeploy
 * agent's secure host commands (CodeDeploy user guide, "Step 4: Create an IAM instance profile":
 * the agent runs with enable_auth_policy) and Session Manager's channels (AmazonSSMManagedInstanceCore:
 * ssmmessages, ec2messages). The deploy role never calls these; the instances do.
 */
export const INSTANCE_SERVICES = ["codedeploy-commands-secure", "ec2messages", "ssmmessages"] as const;

/** What a deploying role does to the roles it manages, once created (with the boundary): read, change, pass, delete. */
export const MANAGE_ROLE_ACTIONS = [
  "iam:GetRole",
  "iam:GetRolePolicy",
  "iam:ListRolePolicies",
  "iam:ListAttachedRolePolicies",
  "iam:ListInstanceProfilesForRole",
  "iam:DeleteRole",
  "iam:DeleteRolePolicy",
  "iam:DetachRolePolicy",
  "iam:UpdateRole",
  "iam:UpdateRoleDescription",
  "iam:UpdateAssumeRolePolicy",
  "iam:TagRole",
  "iam:UntagRole",
  "iam:PassRole",
] as const;

/** ... and to the instance profiles it manages. */
export const MANAGE_INSTANCE_PROFILE_ACTIONS = [
  "iam:CreateInstanceProfile",
  "iam:DeleteInstanceProfile",
  "iam:GetInstanceProfile",
  "iam:AddRoleToInstanceProfile",
  "iam:RemoveRoleFromInstanceProfile",
  "iam:TagInstanceProfile",
  "iam:UntagInstanceProfile",
] as const;

export interface BootstrapStackProps extends SynthOptions {
  readonly project: ProjectConfig;
  readonly accountId: string;
  /** The environments that run in the account. */
  readonly environments: readonly EnvironmentConfig[];
  /** CI's roles (the ci stack) of the GitHub environments that deploy into the account. */
  readonly ci?: readonly CiEnvironment[];
}

/**
 * Bootstraps an environment account once, before its first `cdktf deploy app-<env>` (the
 * equivalent of `cdk bootstrap --trust`; docs/accounts.md). Deployed from the tooling account's
 * credentials, which assume the account's administrator role (accounts.environments.<id>.
 * bootstrapRoleName); state stays in the tooling account's bucket. It creates:
 * - the deploy role, trusted by the tooling account's deploying identities only (accounts.
 *   deployers), allowed the environment services and IAM only for roles that carry the boundary;
 * - the permission boundary every role of the app stacks carries, so that no role they create can
 *   do more than the deploy role could;
 * - the account's access-log bucket and the delivery events' log policy (what build holds for the
 *   tooling account: S3 server access logs cannot cross accounts);
 * - the default event bus's policy: each environment's forwarding rule in the tooling account may
 *   send its pipelines' events here (EventBridge user guide, "Sending and receiving events between
 *   AWS accounts");
 * - optionally a CloudTrail trail of the account's management events.
 * It can run again: every resource has a fixed name, and the provider refuses another account
 * (allowed_account_ids).
 */
export class BootstrapStack extends ProjectStack {
  readonly deployRole: IamRole;
  readonly readRole: IamRole;
  readonly boundary: IamPolicy;

  constructor(scope: Construct, props: BootstrapStackProps) {
    const { project, accountId } = props;
    const settings = project.accounts.environments[accountId];
    if (!settings) throw new Error(`${bootstrapStackName(accountId)}: account ${accountId} is not declared in accounts.environments`);
    super(scope, bootstrapStackName(accountId), {
      ...props,
      tags: {},
      account: { id: accountId, roleArn: roleArn(accountId, settings.bootstrapRoleName) },
    });
    const { appName, region } = project;
    // IAM refuses a trust policy naming a role that does not exist: the ci stack comes first.
    const ci = props.ci ?? [];
    const own = (kind: string, name: string) => `arn:${PARTITION}:iam::${accountId}:${kind}/${name}`;
    const boundaryArn = own("policy", roleBoundaryName(appName));
    const services = ENVIRONMENT_SERVICES.map((s) => `${s}:*`);

    this.boundary = new IamPolicy(this, "boundary", {
      name: roleBoundaryName(appName),
      description: `The most any role of ${appName}'s app stacks may do in this account`,
      policy: policyDocument([
        { sid: "EnvironmentServices", actions: [...services, ...INSTANCE_SERVICES.map((s) => `${s}:*`)], resources: ["*"] },
        // The instances' and CodeDeploy's roles are passed to EC2 and CodeDeploy by the stack.
        { sid: "PassOwnRoles", actions: ["iam:PassRole", "iam:GetRole"], resources: [own("role", `${appName}-*`)] },
      ]),
    });

    this.deployRole = new IamRole(this, "deploy-role", {
      name: deployRoleName(appName),
      description: `Assumed from the tooling account (${project.accountId}) to deploy ${appName}'s app stacks`,
      maxSessionDuration: 3600,
      // Only the named roles of the tooling account: no whole-account trust (rule CROSS_ACCOUNT_TRUST_NEEDS_CONDITION).
      assumeRolePolicy: policyDocument([
        {
          sid: "ToolingDeployersOnly",
          principals: { AWS: [...project.accounts.deployers, ...ci.map((c) => c.applyRoleArn)] },
          actions: ["sts:AssumeRole"],
        },
      ]),
    });
    new IamRolePolicy(this, "deploy-policy", {
      name: "deploy",
      role: this.deployRole.name,
      policy: policyDocument(this.deployStatements(appName, accountId, boundaryArn, services)),
    });

    this.readRole = this.readOnlyRole(project, accountId, ci, props.environments);

    const accessLogs = new AccessLogBucket(this, "access-logs", {
      bucketName: accessLogBucketName(appName, accountId, region),
      accountId,
      region,
      retentionDays: project.accessLogs.retentionDays,
      noncurrentVersionDays: project.accessLogs.noncurrentDays,
    });
    const deliveryEvents = new DeliveryEventsPolicy(this, "delivery-events", { appName, accountId, region });

    // One policy per bus (it replaces any other): the forwarding rules of this account's environments.
    new CloudwatchEventBusPolicy(this, "event-bus-policy", {
      eventBusName: "default",
      policy: policyDocument([
        {
          sid: "ToolingPipelineEvents",
          principals: { AWS: `arn:${PARTITION}:iam::${project.accountId}:root` },
          actions: ["events:PutEvents"],
          resources: [`arn:${PARTITION}:events:${region}:${accountId}:event-bus/default`],
          // Only the environments' own forwarding rules (EventBridge user guide, "Example policy:
          // Send events only from a specific rule to the bus in a different account").
          conditions: {
            ArnEquals: {
              "aws:SourceArn": props.environments.map(
                (e) => `arn:${PARTITION}:events:${region}:${project.accountId}:rule/${eventForwardingName(appName, e.name)}`,
              ),
            },
          },
        },
      ]),
    });

    if (settings.cloudTrail) this.trail(project, accountId, accessLogs.name);

    publishOutputs(this, BOOTSTRAP_OUTPUTS, {
      accountId,
      deployRoleArn: this.deployRole.arn,
      readRoleArn: this.readRole.arn,
      boundaryArn: this.boundary.arn,
      environments: props.environments.map((e) => e.name).join(","),
      accessLogBucketName: accessLogs.name,
      accessLogBucketArn: accessLogs.arn,
      deliveryEventsLogPrefix: deliveryEvents.prefix,
    });
  }

  /**
   * The role read-only plans assume (pull requests, the drift check): the tooling account's planners
   * and deployers, AWS's ReadOnlyAccess, and the decrypt through SSM that refreshing a SecureString
   * parameter needs (terraform-provider-aws #42849). It changes nothing.
   */
  private readOnlyRole(
    project: ProjectConfig,
    accountId: string,
    ci: readonly CiEnvironment[],
    environments: readonly EnvironmentConfig[],
  ): IamRole {
    const role = new IamRole(this, "read-role", {
      name: readRoleName(project.appName),
      description: `Assumed from the tooling account (${project.accountId}) to plan ${project.appName}'s app stacks read-only`,
      maxSessionDuration: 3600,
      assumeRolePolicy: policyDocument([
        {
          sid: "ToolingPlannersOnly",
          // ... and the people roles of its environments (the ci stack): they read here through it.
          principals: {
            AWS: [
              ...new Set([
                ...project.accounts.planners,
                ...project.accounts.deployers,
                ...ci.map((c) => c.planRoleArn),
                ...environments.flatMap((e) => peopleRoleArns(project, e)),
              ]),
            ],
          },
          actions: ["sts:AssumeRole"],
        },
      ]),
    });
    new IamRolePolicyAttachment(this, "read-only-access", {
      role: role.name,
      policyArn: `arn:${PARTITION}:iam::aws:policy/ReadOnlyAccess`,
    });
    new IamRolePolicy(this, "read-policy", {
      name: "read-secure-parameters",
      role: role.name,
      policy: policyDocument([decryptSecureParametersThroughSsm(project.region, accountId)]),
    });
    return role;
  }

  /**
   * What the deploy role may do: the environment services; IAM only on the app's own roles and
   * instance profiles, and a role only with the boundary; never itself, the boundary or users.
   */
  private deployStatements(appName: string, accountId: string, boundaryArn: string, services: readonly string[]): PolicyStatement[] {
    const own = (kind: string, name: string) => `arn:${PARTITION}:iam::${accountId}:${kind}/${name}`;
    const roles = own("role", `${appName}-*`);
    // Itself, the read role (planners must stay read-only) and the boundary: the bootstrap's own.
    const protectedArns = [own("role", deployRoleName(appName)), own("role", readRoleName(appName)), boundaryArn];
    return [
      { sid: "EnvironmentServices", actions: services, resources: ["*"] },
      {
        sid: "CreateRolesWithinTheBoundary",
        actions: ["iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePermissionsBoundary"],
        resources: [roles],
        conditions: { StringEquals: { "iam:PermissionsBoundary": boundaryArn } },
      },
      {
        sid: "ManageOwnRoles",
        actions: [...MANAGE_ROLE_ACTIONS, ...MANAGE_INSTANCE_PROFILE_ACTIONS],
        resources: [roles, own("instance-profile", `${appName}-*`)],
      },
      { sid: "ReadPolicies", actions: ["iam:GetPolicy", "iam:GetPolicyVersion"], resources: ["*"] },
      // Auto Scaling, Elastic Load Balancing and others create their service-linked role on first use.
      { sid: "ServiceLinkedRoles", actions: ["iam:CreateServiceLinkedRole"], resources: [own("role", "aws-service-role/*")] },
      {
        sid: "NeverTheBootstrapsRoles",
        effect: "Deny",
        actions: ["iam:*"],
        resources: protectedArns,
      },
      { sid: "NeverRemoveTheBoundary", effect: "Deny", actions: ["iam:DeleteRolePermissionsBoundary"], resources: ["*"] },
    ];
  }

  /**
   * A multi-region trail of the account's management events, into a bucket of its own encrypted
   * with a key of its own (CloudTrail user guide, "Amazon S3 bucket policy for CloudTrail" and
   * "Configure AWS KMS key policies for CloudTrail"). The first copy of management events is free;
   * S3 storage and KMS requests are billed (docs/capacity-and-cost.md).
   */
  private trail(project: ProjectConfig, accountId: string, accessLogBucket: string): void {
    const { appName, region } = project;
    const name = `${appName}-account-trail`;
    const trailArn = `arn:${PARTITION}:cloudtrail:${region}:${accountId}:trail/${name}`;
    const key = new EncryptionKey(this, "trail-key", {
      alias: `${appName}-account-trail`,
      description: `Encrypts ${appName}'s CloudTrail trail of account ${accountId}`,
      accountId,
      region,
      retain: true,
    });
    key.addToResourcePolicy({
      sid: "CloudTrailEncryptsThisTrail",
      principals: { Service: "cloudtrail.amazonaws.com" },
      actions: ["kms:GenerateDataKey*"],
      resources: ["*"],
      conditions: {
        StringEquals: { "aws:SourceArn": trailArn },
        StringLike: { "kms:EncryptionContext:aws:cloudtrail:arn": `arn:${PARTITION}:cloudtrail:*:${accountId}:trail/*` },
      },
    });
    // Its own statement: a DescribeKey request carries no encryption context (the guide's "Enable
    // CloudTrail to describe KMS key properties").
    key.addToResourcePolicy({
      sid: "CloudTrailDescribesTheKey",
      principals: { Service: "cloudtrail.amazonaws.com" },
      actions: ["kms:DescribeKey"],
      resources: ["*"],
      conditions: { StringEquals: { "aws:SourceArn": trailArn } },
    });
    const bucketName = `${environmentPrefix(appName, "trail")}-${accountId}-${region}`;
    const bucket = new SecureBucket(this, "trail-bucket", {
      bucketName,
      serverAccessLogs: { bucketName: accessLogBucket, prefix: accessLogPrefix("s3Access", bucketName) },
      kmsKeyArn: key.arn,
      retain: true,
      policyStatements: (bucketArn): PolicyStatement[] => [
        {
          sid: "AWSCloudTrailAclCheck",
          principals: { Service: "cloudtrail.amazonaws.com" },
          actions: ["s3:GetBucketAcl"],
          resources: [bucketArn],
          conditions: { StringEquals: { "aws:SourceArn": trailArn } },
        },
        {
          sid: "AWSCloudTrailWrite",
          principals: { Service: "cloudtrail.amazonaws.com" },
          actions: ["s3:PutObject"],
          resources: [`${bucketArn}/AWSLogs/${accountId}/*`],
          conditions: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trailArn } },
        },
      ],
    });
    new Cloudtrail(this, "trail", {
      name,
      s3BucketName: bucket.name,
      kmsKeyId: key.arn,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableLogFileValidation: true,
      // CloudTrail checks the bucket policy when the trail is created.
      dependsOn: [bucket.node.findChild("policy") as S3BucketPolicy],
    });
  }
}
