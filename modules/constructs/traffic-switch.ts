import { Construct } from "constructs";
import type { CodebuildProject } from "@cdktf/provider-aws/lib/codebuild-project";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import type { ServiceRole } from "./service-role";
import { pipelineStepProject, type PipelineStepResources } from "./pipeline-step-project";
import { arn } from "../lib/arn";
import { compactScript } from "../lib/runtime-files";
import { validateProps } from "../lib/props";
import { SLOTS, type Slot } from "../config/names";
import type { BlueGreenSettings } from "../config/tiers";
import { shiftMinutes, trafficSteps } from "../lib/traffic-plan";
import type { PolicyStatement } from "../lib/policy";

/** One fleet of the pair, as the switch addresses it. */
export interface TrafficSlot {
  readonly autoScalingGroupName: string;
  readonly targetGroupArn: string;
  readonly deploymentGroupName: string;
  /** Alarms on this fleet that stop a shift onto it and send the traffic back. */
  readonly alarmNames: readonly string[];
}

/** With the service pipeline's artifacts, which hold the revision to install (PipelineStepResources). */
export interface TrafficSwitchProps extends PipelineStepResources {
  /** The CodeBuild project's (and its role's) name. */
  readonly projectName: string;
  /** The String parameter that records the serving slot (modules/config/names.ts, liveSlotParameter). */
  readonly parameterName: string;
  /** The listeners whose forward action carries the two target groups' weights. */
  readonly listenerArns: readonly string[];
  /** The listeners that forward to the idle fleet alone, for the acceptance tests (WebEntry's test listener). @default [] */
  readonly testListenerArns?: readonly string[];
  readonly slots: Readonly<Record<Slot, TrafficSlot>>;
  readonly codeDeployApplication: string;
  /** The deployment configuration of the slot groups (which the install step reads). */
  readonly deploymentConfig: string;
  /** The serving fleet's minimum (the environment's compute.minCapacity). */
  readonly minCapacity: number;
  readonly settings: BlueGreenSettings;
  /** @default 30 */
  readonly pollSeconds?: number;
  /** Minutes the idle fleet has to come into service. @default 20 */
  readonly launchTimeoutMinutes?: number;
}

/** The step program, run by node in the build (runtime/traffic-switch.js), without its comments. */
export function switchProgram(): string {
  return compactScript("traffic-switch.js");
}

/**
 * What moves a blue/green environment's traffic (docs/blue-green.md, "Blue/green"): a CodeBuild project that
 * the Deploy stage runs once per step, and the parameter that records the serving fleet.
 *
 * Terraform creates the parameter ("blue", the fleet that takes the traffic first) and never
 * changes its value again: the shift step records each switch (ignore_changes). Its role may move
 * traffic on this environment's listeners, resize its two groups, deploy to their two deployment
 * groups, read their alarms and the pipeline's artifacts, and nothing else.
 */
export class TrafficSwitch extends Construct {
  readonly project: CodebuildProject;
  readonly role: ServiceRole;
  readonly parameter: SsmParameter;

  constructor(scope: Construct, id: string, props: TrafficSwitchProps) {
    super(scope, id);
    const { projectName, settings } = props;
    const buildMinutes = shiftMinutes(settings) + 60;
    validateProps(this, "modules/constructs/traffic-switch.ts", [
      {
        field: "listenerArns",
        value: props.listenerArns,
        ok: props.listenerArns.length >= 1,
        message: "needs the listener that forwards to the two target groups",
      },
      {
        field: "settings",
        value: settings,
        // CodeBuild: build timeout at most 480 minutes (CodeBuild user guide, "Quotas"); CodePipeline:
        // "CodeBuild build action and test action: 8 hours" (CodePipeline user guide, "Quotas").
        ok: buildMinutes <= 480,
        message: `takes ${buildMinutes} minutes with an hour for preparing and installing, more than CodeBuild's 480`,
      },
    ]);
    this.parameter = new SsmParameter(this, "live-slot", {
      name: props.parameterName,
      type: "String",
      value: SLOTS[0],
      description: "The fleet that serves; written by the traffic switch's shift step",
      lifecycle: { ignoreChanges: ["value"] },
    });
    const groups = SLOTS.map((s) => props.slots[s]);
    const groupArn = (name: string) => arn(props, "codedeploy", `deploymentgroup:${props.codeDeployApplication}/${name}`);
    const config = {
      application: props.codeDeployApplication,
      parameter: props.parameterName,
      listenerArns: props.listenerArns,
      testListenerArns: props.testListenerArns ?? [],
      minSize: props.minCapacity,
      steps: trafficSteps(settings),
      stepMinutes: settings.stepMinutes,
      releaseAfterMinutes: settings.releaseAfterMinutes,
      pollSeconds: props.pollSeconds ?? 30,
      launchTimeoutMinutes: props.launchTimeoutMinutes ?? 20,
      slots: Object.fromEntries(
        SLOTS.map((s) => {
          const slot = props.slots[s];
          return [
            s,
            {
              group: slot.autoScalingGroupName,
              targetGroupArn: slot.targetGroupArn,
              deploymentGroup: slot.deploymentGroupName,
              alarms: slot.alarmNames,
            },
          ];
        }),
      ),
    };
    ({ project: this.project, role: this.role } = pipelineStepProject(this, {
      ...props,
      description: `Moves ${projectName.replace(/-traffic$/, "")}'s traffic between its blue and green fleets`,
      statements: [
        {
          sid: "ReadAndRecordLiveSlot",
          actions: ["ssm:GetParameter", "ssm:PutParameter"],
          resources: [arn(props, "ssm", `parameter${props.parameterName}`)],
        },
        {
          sid: "MoveTrafficOnOwnListeners",
          actions: ["elasticloadbalancing:ModifyListener"],
          resources: [...props.listenerArns, ...(props.testListenerArns ?? [])],
        },
        {
          // Describe calls of Elastic Load Balancing and Auto Scaling take no resource (Service
          // Authorization Reference: no resource types for DescribeListeners, DescribeTargetHealth,
          // DescribeAutoScalingGroups).
          sid: "ReadListenersTargetsAndGroups",
          actions: [
            "elasticloadbalancing:DescribeListeners",
            "elasticloadbalancing:DescribeTargetHealth",
            "autoscaling:DescribeAutoScalingGroups",
          ],
          resources: ["*"],
        },
        {
          // The group's ARN holds a generated id: autoScalingGroup:<id>:autoScalingGroupName/<name>.
          sid: "ResizeOwnFleets",
          actions: ["autoscaling:UpdateAutoScalingGroup"],
          resources: groups.map((g) => arn(props, "autoscaling", `autoScalingGroup:*:autoScalingGroupName/${g.autoScalingGroupName}`)),
        },
        {
          sid: "ReadOwnFleetAlarms",
          actions: ["cloudwatch:DescribeAlarms"],
          resources: groups.flatMap((g) => g.alarmNames.map((name) => arn(props, "cloudwatch", `alarm:${name}`))),
        },
        {
          // What CodePipeline's CodeDeploy action needs (CodePipeline user guide, "Service role
          // policy statement for CodeDeploy"), for the two slot groups.
          sid: "DeployToOwnSlotGroups",
          actions: ["codedeploy:CreateDeployment", "codedeploy:GetDeployment", "codedeploy:ListDeployments"],
          resources: groups.map((g) => groupArn(g.deploymentGroupName)),
        },
        {
          sid: "RegisterOwnRevisions",
          actions: ["codedeploy:GetApplication", "codedeploy:GetApplicationRevision", "codedeploy:RegisterApplicationRevision"],
          resources: [arn(props, "codedeploy", `application:${props.codeDeployApplication}`)],
        },
        {
          sid: "ReadDeploymentConfigs",
          actions: ["codedeploy:GetDeploymentConfig"],
          resources: [arn(props, "codedeploy", `deploymentconfig:${props.deploymentConfig}`)],
        },
      ],
      program: {
        commands: [
          `echo ${Buffer.from(switchProgram()).toString("base64")} | base64 -d > /tmp/traffic-switch.js`,
          "node /tmp/traffic-switch.js",
        ],
      },
      variables: { SWITCH_CONFIG: JSON.stringify(config) },
      buildTimeout: buildMinutes,
      // One step at a time: a build that outlives its pipeline action (an execution stopped and
      // abandoned) must not race the next execution's steps on the listener.
      concurrentBuildLimit: 1,
    }));
  }

  /** Running the project from the service's pipeline. */
  grantRun(): PolicyStatement {
    return { sid: "RunOwnTrafficSwitch", actions: ["codebuild:StartBuild", "codebuild:BatchGetBuilds"], resources: [this.project.arn] };
  }
}
