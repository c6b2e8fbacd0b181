import { Construct } from "constructs";
import { Token } from "cdktf";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { architectureOf, isKnownInstanceType } from "./config";
import { inRange, validateProps } from "./props";
import { ServiceRole } from "./iam";
import { managedPolicyArn } from "./arn";

export interface AppFleetProps {
  /** Prefix of the fleet's resource names. */
  readonly name: string;
  readonly accountId: string;
  readonly region: string;
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
  /**
   * Log group the CloudWatch agent ships the application and agent logs to. A literal name, not a
   * token: it is written into the user data, which is encoded at synth.
   */
  readonly logGroupName: string;
  readonly logGroupArn: string;
  /** The system user the application service runs as, created at boot. */
  readonly serviceUser: string;
  /** @default 20 */
  readonly rootVolumeGiB?: number;
}

/** The SSM parameter of the latest Amazon Linux 2023 AMI for the instance type's architecture. */
export function amiParameter(instanceType: string): string {
  return `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${architectureOf(instanceType)}`;
}

/** Directory the application writes its logs to; the CloudWatch agent ships *.log from it. */
export function appLogDirectory(serviceUser: string): string {
  return `/var/log/${serviceUser}`;
}

export function userData(props: Pick<AppFleetProps, "region" | "logGroupName" | "serviceUser">): string {
  const { region, logGroupName, serviceUser } = props;
  if (Token.isUnresolved(logGroupName) || Token.isUnresolved(region)) {
    throw new Error("userData needs literal values: the script is base64-encoded at synth, where tokens cannot resolve");
  }
  const agentConfig = JSON.stringify({
    logs: {
      logs_collected: {
        files: {
          collect_list: [
            { file_path: `${appLogDirectory(serviceUser)}/*.log`, log_group_name: logGroupName, log_stream_name: "{instance_id}/app" },
            {
              file_path: "/var/log/aws/codedeploy-agent/codedeploy-agent.log",
              log_group_name: logGroupName,
              log_stream_name: "{instance_id}/codedeploy-agent",
            },
          ],
        },
      },
    },
  });
  return [
    "#!/bin/bash",
    "set -euo pipefail",
    "dnf install -y ruby amazon-cloudwatch-agent",
    `id -u ${serviceUser} >/dev/null 2>&1 || useradd --system --no-create-home --shell /sbin/nologin ${serviceUser}`,
    `install -d -o ${serviceUser} -g ${serviceUser} -m 0750 ${appLogDirectory(serviceUser)}`,
    "# CodeDeploy agent, from the regional bucket AWS documents",
    `curl -fsSL -o /tmp/codedeploy-install https://aws-codedeploy-${region}.s3.${region}.amazonaws.com/latest/install`,
    "chmod +x /tmp/codedeploy-install && /tmp/codedeploy-install auto && rm -f /tmp/codedeploy-install",
    "systemctl enable --now codedeploy-agent",
    "# CloudWatch agent: application and CodeDeploy agent logs to the environment's log group",
    "cat > /opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json <<'JSON'",
    agentConfig,
    "JSON",
    "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json",
    "",
  ].join("\n");
}

/**
 * The environment's instances: a launch template (IMDSv2 only, encrypted root volume, no public
 * IP, latest Amazon Linux 2023 through `resolve:ssm:`) and an Auto Scaling group in the private
 * subnets, registered with the ALB's target group and health-checked through it.
 */
export class AppFleet extends Construct {
  readonly role: ServiceRole;
  readonly launchTemplate: LaunchTemplate;
  readonly group: AutoscalingGroup;

  constructor(scope: Construct, id: string, props: AppFleetProps) {
    super(scope, id);
    validateProps(this, "modules/compute.ts", [
      { field: "instanceType", value: props.instanceType, ok: isKnownInstanceType(props.instanceType), message: "is not a known instance type" },
      { field: "minCapacity", value: props.minCapacity, ok: inRange(props.minCapacity, 0, 1000) && props.minCapacity <= props.maxCapacity, message: `must be 0-1000 and not above maxCapacity (${props.maxCapacity})` },
      { field: "desiredCapacity", value: props.desiredCapacity, ok: props.desiredCapacity >= props.minCapacity && props.desiredCapacity <= props.maxCapacity, message: `must lie between minCapacity (${props.minCapacity}) and maxCapacity (${props.maxCapacity})` },
      { field: "privateSubnetIds", value: props.privateSubnetIds, ok: props.privateSubnetIds.length >= 1, message: "needs at least one subnet" },
      { field: "rootVolumeGiB", value: props.rootVolumeGiB, ok: inRange(props.rootVolumeGiB, 8, 16384), message: "must be 8-16384 GiB (Amazon Linux 2023 needs 8)" },
      { field: "serviceUser", value: props.serviceUser, ok: /^[a-z_][a-z0-9_-]{0,31}$/.test(props.serviceUser), message: "must be a Linux user name (lowercase, up to 32 characters)" },
    ]);
    this.role = new ServiceRole(this, "role", {
      roleName: `${props.name}-instance`,
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
      networkInterfaces: [
        { associatePublicIpAddress: "false", deleteOnTermination: "true", securityGroups: [props.securityGroupId] },
      ],
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
