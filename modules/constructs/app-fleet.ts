import { Construct } from "constructs";
import { GROUP_METRICS } from "../lib/dashboard";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { AutoscalingPolicy } from "@cdktf/provider-aws/lib/autoscaling-policy";
import { AutoscalingSchedule } from "@cdktf/provider-aws/lib/autoscaling-schedule";
import { isKnownInstanceType, type Schedule, type ScalingSettings, type SpotSettings } from "../config";
import { inRange, validateProps } from "../lib/props";
import { ServiceRole } from "./service-role";
import { managedPolicyArn } from "../lib/arn";
import { amiParameter, userData, type UserDataProps } from "../lib/user-data";
import { capacityProblems } from "../lib/validators";
import type { PolicyStatement } from "../lib/policy";
import { slotSuffix, type Slot } from "../config/names";

/** A target group the fleet serves through: the only one (in place), or one slot's (blue/green). */
export interface FleetTarget {
  /** @default - in place: the group takes the fleet's name */
  readonly slot?: Slot;
  readonly targetGroupArn: string;
  /**
   * For the `requests` metric: the target group's label, `<load balancer ARN suffix>/<target
   * group ARN suffix>` (ALBRequestCountPerTarget's resource label).
   */
  readonly requestsResourceLabel?: string;
}

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
  /**
   * One Auto Scaling group per target: one in place; blue and green for blue/green, the first
   * created at the environment's capacity and the second empty. A blue/green group's minimum and
   * desired capacity belong to deployments (runtime/traffic-switch.js); Terraform sets them
   * only at creation, and owns the maximum.
   */
  readonly targets: readonly FleetTarget[];
  /** Revisions are read from here: `<bucket ARN>/<prefix>/*`. */
  readonly artifactBucketArn: string;
  readonly artifactPrefix: string;
  readonly artifactKeyArn: string;
  readonly logGroupArn: string;
  /** @default 20 */
  readonly rootVolumeGiB?: number;
  /**
   * Target tracking: the metric the group keeps near `target`, and a new instance's warm-up.
   * @default - CPU at 60 %, 300 s warm-up
   */
  readonly scaling?: ScalingSettings;
  /** Spot above an on-demand base, over several instance types of one architecture. @default - on-demand only */
  readonly spot?: SpotSettings;
  /** Working hours: the group scales to zero at `sleep` and back at `wake`. @default - always on */
  readonly schedule?: Schedule;
  /** More permissions of the instances, from the constructs that own the resources (RuntimeConfig.grantRead). @default - none */
  readonly grants?: readonly PolicyStatement[];
}

/**
 * The environment's instances: a launch template (IMDSv2 only, encrypted root volume, no public
 * IP, latest Amazon Linux 2023 through `resolve:ssm:`) and an Auto Scaling group in the private
 * subnets, registered with the ALB's target group and health-checked through it.
 *
 * Capacity follows demand (a target-tracking policy), and optionally the clock (scheduled actions
 * that empty the group outside working hours) and Spot prices (a mixed instances policy).
 */
export class AppFleet extends Construct {
  /** The instance role's name for a fleet name (known at synth, for policies that pass it). */
  static instanceRoleName(name: string): string {
    return `${name}-instance`;
  }

  readonly role: ServiceRole;
  readonly launchTemplate: LaunchTemplate;
  /** The only group, or the first slot's. */
  readonly group: AutoscalingGroup;
  /** One group per target, in order. */
  readonly groups: AutoscalingGroup[] = [];

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
        field: "targets",
        value: props.targets.length,
        ok: props.targets.length >= 1 && props.targets.length <= 2 && (props.targets.length === 1 || props.targets.every((t) => t.slot)),
        message: "needs one target (in place) or one per slot (blue/green)",
      },
      {
        field: "targets[].requestsResourceLabel",
        value: props.targets.map((t) => t.requestsResourceLabel),
        ok: props.scaling?.metric !== "requests" || props.targets.every((t) => !!t.requestsResourceLabel),
        message: "is needed to track requests per target (<load balancer ARN suffix>/<target group ARN suffix>)",
      },
      {
        field: "schedule",
        value: props.schedule,
        ok: !props.schedule || props.targets.every((t) => !t.slot),
        message: "cannot apply to blue/green fleets: the serving group changes with each deployment",
      },
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
        ...(props.grants ?? []),
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

    const template = { id: this.launchTemplate.id, version: "$Latest" };
    const { spot, schedule } = props;
    const scaling: ScalingSettings = props.scaling ?? { metric: "cpu", target: 60, warmupSeconds: 300 };
    for (const [i, target] of props.targets.entries()) {
      const { slot } = target;
      const suffix = slotSuffix(slot);
      // A blue/green slot other than the first starts empty: the first deployment fills it.
      const empty = slot !== undefined && i > 0;
      const group = new AutoscalingGroup(this, `group${suffix}`, {
        name: `${props.name}${suffix}`,
        minSize: empty ? 0 : props.minCapacity,
        desiredCapacity: empty ? 0 : props.desiredCapacity,
        maxSize: props.maxCapacity,
        vpcZoneIdentifier: [...props.privateSubnetIds],
        targetGroupArns: [target.targetGroupArn],
        healthCheckType: "ELB",
        healthCheckGracePeriod: 300,
        // Target tracking ignores a new instance's metrics for this long (EC2 Auto Scaling user guide,
        // "Set the default instance warmup": recommended for target tracking).
        defaultInstanceWarmup: scaling.warmupSeconds,
        // The group metrics the dashboard shows, each minute, at no charge (EC2 Auto Scaling user
        // guide, "Amazon CloudWatch metrics for Amazon EC2 Auto Scaling": enabled per group).
        enabledMetrics: [...GROUP_METRICS],
        metricsGranularity: "1Minute",
        ...(spot
          ? {
              // Spot above the on-demand base, from the pools with the most spare capacity at the
              // lowest price, replaced before an interruption when AWS signals its risk (EC2 Auto
              // Scaling user guide, "Capacity Rebalancing").
              capacityRebalance: true,
              mixedInstancesPolicy: {
                instancesDistribution: {
                  onDemandBaseCapacity: spot.onDemandBase,
                  onDemandPercentageAboveBaseCapacity: spot.onDemandPercentAboveBase,
                  spotAllocationStrategy: "price-capacity-optimized",
                },
                launchTemplate: {
                  launchTemplateSpecification: { launchTemplateId: template.id, version: template.version },
                  override: spot.instanceTypes.map((instanceType) => ({ instanceType })),
                },
              },
            }
          : { launchTemplate: template }),
        instanceRefresh: { strategy: "Rolling", preferences: { minHealthyPercentage: 50 } },
        tag: [{ key: "Name", value: `${props.name}${suffix}`, propagateAtLaunch: true }],
        // The scaling policy owns the desired capacity, and the schedule the bounds while it exists;
        // an apply must not undo them (provider docs, aws_autoscaling_group: "you may want to use
        // lifecycle ignore_changes" with scaling policies). A changed min/max reaches a scheduled
        // group at its next wake, through the wake action below. A blue/green slot's minimum moves
        // with each deployment (which fleet serves), so it is the deployments' too.
        lifecycle: { ignoreChanges: ["desired_capacity", ...(schedule || slot ? ["min_size"] : []), ...(schedule ? ["max_size"] : [])] },
      });
      this.groups.push(group);

      new AutoscalingPolicy(this, `scaling${suffix}`, {
        name: `${props.name}${suffix}-${scaling.metric}-target`,
        autoscalingGroupName: group.name,
        policyType: "TargetTrackingScaling",
        targetTrackingConfiguration: {
          targetValue: scaling.target,
          predefinedMetricSpecification:
            scaling.metric === "cpu"
              ? { predefinedMetricType: "ASGAverageCPUUtilization" }
              : { predefinedMetricType: "ALBRequestCountPerTarget", resourceLabel: target.requestsResourceLabel },
        },
      });
    }
    this.group = this.groups[0];

    if (schedule) {
      // Scheduled actions set the bounds at fixed times (EC2 Auto Scaling user guide, "Scheduled
      // scaling"); overnight max 0 leaves target tracking nothing to add, so they never fight.
      const at = (hour: number) => `0 ${hour} * * ${schedule.days}`;
      // The name carries the schedule: a changed time replaces the action. Updated in place, AWS
      // keeps the next start time of the old recurrence and runs it once more
      // (hashicorp/terraform-provider-aws#41200).
      const named = (action: string, hour: number) => `${props.name}-${action} ${schedule.days} ${hour}:00 ${schedule.timeZone}`;
      new AutoscalingSchedule(this, "wake", {
        scheduledActionName: named("wake", schedule.wake),
        autoscalingGroupName: this.group.name,
        recurrence: at(schedule.wake),
        timeZone: schedule.timeZone,
        minSize: props.minCapacity,
        maxSize: props.maxCapacity,
        desiredCapacity: props.desiredCapacity,
      });
      new AutoscalingSchedule(this, "sleep", {
        scheduledActionName: named("sleep", schedule.sleep),
        autoscalingGroupName: this.group.name,
        recurrence: at(schedule.sleep),
        timeZone: schedule.timeZone,
        minSize: 0,
        maxSize: 0,
        desiredCapacity: 0,
      });
    }
  }
}
