import { Construct } from "constructs";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { isKnownInstanceType } from "../config";
import { inRange, validateProps } from "../lib/props";
import { ServiceRole } from "./service-role";
import { managedPolicyArn } from "../lib/arn";
import { amiParameter, userData, type UserDataProps } from "../lib/user-data";
import { capacityProblems } from "../lib/validators";

export interface AppFleetProps extends UserDataProps {
  /** Prefix of the fleet's resource names. */
  readonly name: string;
  readonly accountId: string;
  readonly instanceType: string;
  readonly minCapacity: number;
  readonly desiredCapacity: number;
  readonly maxCapacity: number;
  readonly privateSubnetIds: readonly string[];
  readonly securityGroupId: string;
  readonly targetGroupArn: string;
  /** Revisions are read from here: `<bucket ARN>/<prefix>/*`. */
  readonly artifactBucketArn: string;
  readonly artifactPrefix: string;
  readonly artifactKeyArn: string;
  readonly logGroupArn: string;
  /** @default 20 */
  readonly rootVolumeGiB?: number;
}

/**
 * The environment's instances: a launch template (IMDSv2 only, encrypted root volume, no public
 * IP, latest Amazon Linux 2023 through `resolve:ssm:`) and an Auto Scaling group in the private
 * subnets, registered with the ALB's target group and health-checked through it.
 */
export class AppFleet extends Construct {
  /** The instance role's name for a fleet name (known at synth, for policies that pass it). */
  static instanceRoleName(name: string): string {
    return `${name}-instance`;
  }

  readonly role: ServiceRole;
  readonly launchTemplate: LaunchTemplate;
  readonly group: AutoscalingGroup;

  constructor(scope: Construct, id: string, props: AppFleetProps) {
    super(scope, id);
    validateProps(this, "modules/constructs/app-fleet.ts", [
      {
        field: "instanceType",
        value: props.instanceType,
        ok: isKnownInstanceType(props.instanceType),
        message: "is not a known instance type",
      },
      {
        field: "minCapacity",
        value: props.minCapacity,
        ok: inRange(props.minCapacity, 0, 1000),
        message: "must be 0-1000",
      },
      ...capacityProblems(props.minCapacity, props.desiredCapacity, props.maxCapacity).map((p) => ({ ...p, ok: false })),
      {
        field: "privateSubnetIds",
        value: props.privateSubnetIds,
        ok: props.privateSubnetIds.length >= 1,
        message: "needs at least one subnet",
      },
      {
        field: "rootVolumeGiB",
        value: props.rootVolumeGiB,
        ok: inRange(props.rootVolumeGiB, 8, 16384),
        message: "must be 8-16384 GiB (Amazon Linux 2023 needs 8)",
      },
      {
        field: "serviceUser",
        value: props.serviceUser,
        ok: /^[a-z_][a-z0-9_-]{0,31}$/.test(props.serviceUser),
        message: "must be a Linux user name (lowercase, up to 32 characters)",
      },
    ]);
    this.role = new ServiceRole(this, "role", {
      roleName: AppFleet.instanceRoleName(props.name),
      service: "ec2.amazonaws.com",
      accountId: props.accountId,
      managedPolicyArns: [managedPolicyArn("AmazonSSMManagedInstanceCore")],
      statements: [
        {
          sid: "ReadOwnEnvironmentRevisions",
          actions: ["s3:GetObject", "s3:GetObjectVersion"],
          resources: [`${props.artifactBucketArn}/${props.artifactPrefix}/*`],
        },
        {
          sid: "DecryptRevisionsThroughS3",
          actions: ["kms:Decrypt"],
          resources: [props.artifactKeyArn],
          conditions: { StringEquals: { "kms:ViaService": `s3.${props.region}.amazonaws.com` } },
        },
        {
          // The CodeDeploy agent's authenticated command channel; these actions take no resource
          // (Service Authorization Reference, "AWS CodeDeploy secure host commands service").
          sid: "CodeDeployAgentCommands",
          actions: [
            "codedeploy-commands-secure:GetDeploymentSpecification",
            "codedeploy-commands-secure:PollHostCommand",
            "codedeploy-commands-secure:PutHostCommandAcknowledgement",
            "codedeploy-commands-secure:PutHostCommandComplete",
          ],
          resources: ["*"],
        },
        {
          sid: "ShipLogs",
          actions: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
          resources: [props.logGroupArn, `${props.logGroupArn}:*`],
        },
      ],
    });
    const profile = new IamInstanceProfile(this, "profile", { name: `${props.name}-instance`, role: this.role.name });

    this.launchTemplate = new LaunchTemplate(this, "template", {
      name: props.name,
      description: `Instances of ${props.name}`,
      updateDefaultVersion: true,
      imageId: `resolve:ssm:${amiParameter(props.instanceType)}`,
      instanceType: props.instanceType,
      iamInstanceProfile: { arn: profile.arn },
      metadataOptions: {
        httpEndpoint: "enabled",
        httpTokens: "required",
        httpPutResponseHopLimit: 1,
        instanceMetadataTags: "disabled",
      },
      blockDeviceMappings: [
        {
          deviceName: "/dev/xvda",
          ebs: {
            volumeSize: props.rootVolumeGiB ?? 20,
            volumeType: "gp3",
            encrypted: "true",
            deleteOnTermination: "true",
          },
        },
      ],
      networkInterfaces: [{ associatePublicIpAddress: "false", deleteOnTermination: "true", securityGroups: [props.securityGroupId] }],
      monitoring: { enabled: true },
      userData: Buffer.from(userData(props)).toString("base64"),
      tagSpecifications: [
        { resourceType: "instance", tags: { Name: props.name } },
        { resourceType: "volume", tags: { Name: props.name } },
      ],
    });

    this.group = new AutoscalingGroup(this, "group", {
      name: props.name,
      minSize: props.minCapacity,
      desiredCapacity: props.desiredCapacity,
      maxSize: props.maxCapacity,
      vpcZoneIdentifier: [...props.privateSubnetIds],
      targetGroupArns: [props.targetGroupArn],
      healthCheckType: "ELB",
      healthCheckGracePeriod: 300,
      launchTemplate: { id: this.launchTemplate.id, version: "$Latest" },
      instanceRefresh: { strategy: "Rolling", preferences: { minHealthyPercentage: 50 } },
      tag: [{ key: "Name", value: props.name, propagateAtLaunch: true }],
    });
  }
}
