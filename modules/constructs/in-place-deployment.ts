import { Construct } from "constructs";
import { CodedeployApp } from "@cdktf/provider-aws/lib/codedeploy-app";
import { CodedeployDeploymentGroup } from "@cdktf/provider-aws/lib/codedeploy-deployment-group";
import type { DeploymentConfigName } from "../config";
import { ServiceRole } from "./service-role";
import { validateProps } from "../lib/props";
import { arn, managedPolicyArn, PARTITION } from "../lib/arn";
import type { PolicyStatement } from "../lib/policy";
import { slotSuffix, type Slot } from "../config/names";

/** A deployment group's fleet: its Auto Scaling group behind its target group. */
export interface DeploymentFleet {
  /** Blue/green: blue's group is named `name`, green's `<name>-green` (slotSuffix). @default - in place: named `name` */
  readonly slot?: Slot;
  readonly autoScalingGroupName: string;
  readonly targetGroupName: string;
  /** Alarms that stop a deployment and roll it back. */
  readonly alarmNames: readonly string[];
}

export interface InPlaceDeploymentProps {
  readonly name: string;
  readonly accountId: string;
  readonly region: string;
  /**
   * One deployment group per fleet: the only one, or each slot of a blue/green pair (each then
   * updated in place while it is idle; modules/constructs/traffic-switch.ts moves the traffic).
   */
  readonly fleets: readonly DeploymentFleet[];
  /** @default "CodeDeployDefault.OneAtATime" */
  readonly deploymentConfig?: DeploymentConfigName;
  /** The instances' role, which CodeDeploy passes to EC2 when it launches instances for the group. */
  readonly instanceRoleArn: string;
}

/**
 * CodeDeploy in-place deployments to the environment's Auto Scaling group behind its target group
 * (instances leave the target group while they are updated), rolled back automatically when a
 * deployment fails or one of the alarms fires.
 */
export class InPlaceDeployment extends Construct {
  readonly application: CodedeployApp;
  /** The only deployment group, or the first slot's. */
  readonly group: CodedeployDeploymentGroup;
  readonly groups: CodedeployDeploymentGroup[] = [];
  readonly role: ServiceRole;
  /** ARNs built from the names, for IAM policies (known at synth). */
  readonly applicationArn: string;
  readonly groupArn: string;
  /** The deployment configuration's ARN (a pipeline that deploys reads it). */
  readonly deploymentConfigArn: string;

  constructor(scope: Construct, id: string, props: InPlaceDeploymentProps) {
    super(scope, id);
    validateProps(this, "modules/constructs/in-place-deployment.ts", [
      {
        field: "name",
        value: props.name,
        ok: typeof props.name === "string" && props.name.length >= 1 && props.name.length <= 100,
        message: "must be 1-100 characters",
      },
      ...props.fleets.map((f, i) => ({
        field: `fleets[${i}].alarmNames`,
        value: f.alarmNames,
        ok: f.alarmNames.length >= 1 && f.alarmNames.length <= 10,
        message: "needs 1-10 alarms (CodeDeploy's limit); automatic rollback on alarm needs at least one",
      })),
      {
        field: "fleets",
        value: props.fleets.length,
        ok: props.fleets.length >= 1,
        message: "needs at least one fleet",
      },
    ]);
    const { name, accountId } = props;
    this.applicationArn = arn(props, "codedeploy", `application:${name}`);
    this.groupArn = arn(props, "codedeploy", `deploymentgroup:${name}/${name}`);
    const deploymentConfig = props.deploymentConfig ?? "CodeDeployDefault.OneAtATime";
    this.deploymentConfigArn = arn(props, "codedeploy", `deploymentconfig:${deploymentConfig}`);
    this.application = new CodedeployApp(this, "application", { name, computePlatform: "Server" });
    this.role = new ServiceRole(this, "role", {
      roleName: `${name}-codedeploy`,
      service: "codedeploy.amazonaws.com",
      accountId,
      sourceArns: [arn(props, "codedeploy", `deploymentgroup:${name}/*`)],
      // AWS's documented role policy for EC2 deployments with Auto Scaling, ELB and alarms.
      managedPolicyArns: [managedPolicyArn("service-role/AWSCodeDeployRole")],
      // "If you create your Auto Scaling group with a launch template, you must add the following
      // permissions: ec2:RunInstances, ec2:CreateTags, iam:PassRole" (CodeDeploy user guide, "Step
      // 2: Create a service role for CodeDeploy"); AWSCodeDeployRole has none of them.
      statements: [
        {
          sid: "LaunchFromTheGroupsTemplate",
          actions: ["ec2:RunInstances"],
          resources: [arn(props, "ec2", "*"), `arn:${PARTITION}:ec2:${props.region}::image/*`],
        },
        {
          sid: "TagWhatItLaunches",
          actions: ["ec2:CreateTags"],
          resources: [arn(props, "ec2", "*")],
          conditions: { StringEquals: { "ec2:CreateAction": "RunInstances" } },
        },
        {
          sid: "PassOnlyTheInstanceRoleToEc2",
          actions: ["iam:PassRole"],
          resources: [props.instanceRoleArn],
          conditions: { StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" } },
        },
      ],
    });
    for (const fleet of props.fleets) {
      const suffix = slotSuffix(fleet.slot);
      this.groups.push(
        new CodedeployDeploymentGroup(this, `group${suffix}`, {
          appName: this.application.name,
          deploymentGroupName: `${name}${suffix}`,
          serviceRoleArn: this.role.arn,
          deploymentConfigName: deploymentConfig,
          autoscalingGroups: [fleet.autoScalingGroupName],
          // In place behind the fleet's own target group: instances leave it while they update and
          // rejoin only when its health check passes (AllowTraffic waits for healthy targets).
          deploymentStyle: { deploymentType: "IN_PLACE", deploymentOption: "WITH_TRAFFIC_CONTROL" },
          loadBalancerInfo: { targetGroupInfo: [{ name: fleet.targetGroupName }] },
          autoRollbackConfiguration: { enabled: true, events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"] },
          alarmConfiguration: { enabled: true, alarms: [...fleet.alarmNames], ignorePollAlarmFailure: false },
          // Instances launched during a deployment get the last successful revision through the
          // group's launch hook; UPDATE then deploys the new one to them right after (CodeDeploy user
          // guide, "Scale-out events during a deployment").
          outdatedInstancesStrategy: "UPDATE",
          // Scale-in runs the revision's stop hooks before an instance terminates, so it leaves the
          // target group and stops its service cleanly (CodeDeploy user guide, "Enabling termination
          // deployments during Auto Scaling scale-in events").
          terminationHookEnabled: true,
          dependsOn: this.role.grants,
        }),
      );
    }
    this.group = this.groups[0];
  }

  /**
   * What a principal needs to deploy a revision here, as CodePipeline's CodeDeploy action does
   * (CodePipeline user guide, "Service role policy statement for CodeDeploy"): create and follow
   * deployments of this group, register revisions of this application, read its configuration.
   */
  grantDeploy(): PolicyStatement[] {
    return [
      { sid: "DeployToOwnGroup", actions: ["codedeploy:CreateDeployment", "codedeploy:GetDeployment"], resources: [this.groupArn] },
      {
        sid: "RegisterOwnRevisions",
        actions: ["codedeploy:GetApplication", "codedeploy:GetApplicationRevision", "codedeploy:RegisterApplicationRevision"],
        resources: [this.applicationArn],
      },
      { sid: "ReadDeploymentConfig", actions: ["codedeploy:GetDeploymentConfig"], resources: [this.deploymentConfigArn] },
    ];
  }
}
