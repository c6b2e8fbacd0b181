import type { Construct } from "constructs";
import type { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import {
  artifactPrefix,
  liveSlotParameter,
  pipelineName,
  slotSuffix,
  SLOTS,
  trafficProjectName,
  type EnvironmentConfig,
  type ServiceConfig,
  type Slot,
} from "../config";
import { AppFleet } from "../constructs/app-fleet";
import { HealthAlarms } from "../constructs/health-alarms";
import { InPlaceDeployment } from "../constructs/in-place-deployment";
import { TrafficSwitch, type TrafficSlot } from "../constructs/traffic-switch";
import type { DeliveryPipeline } from "../constructs/delivery-pipeline";
import { TEST_LISTENER_PORTS, type WebEntry } from "../constructs/web-entry";
import { deploymentWindow } from "../lib/pipeline-stages";
import { roleArn } from "../lib/arn";
import type { EnvironmentContext } from "./environment";
import { workloadPipeline } from "./pipeline";
import { serviceWidgets } from "./widgets";
import type { Widget } from "../lib/dashboard";
import { Workload, type WorkloadKind } from "./workload";

/** One fleet of the service behind the load balancer: the only one, or blue or green. */
interface FleetTarget {
  readonly slot?: Slot;
  readonly targetGroup: LbTargetGroup;
}

/**
 * The service: an EC2 fleet (two in blue/green) behind the environment's load balancer, deployed by
 * CodeDeploy in place, or by the traffic switch between two fleets (docs/blue-green.md), with its
 * alarms and its pipeline. It reads its settings and secrets from the environment's runtime
 * configuration and writes its logs to the environment's log group.
 */
export class ServiceWorkload extends Workload {
  readonly fleet: AppFleet;
  /** One set, or one per blue/green fleet. */
  readonly alarms: HealthAlarms[];
  readonly deployment: InPlaceDeployment;
  /** Blue/green only: what moves the traffic between the fleets. */
  readonly traffic?: TrafficSwitch;
  readonly pipeline: DeliveryPipeline;
  readonly pipelineNames: readonly string[];
  override readonly outputs: Readonly<Record<string, string>>;
  override readonly widgets: readonly Widget[];
  override readonly deploymentApplications: readonly string[];

  constructor(scope: Construct, id: string, environment: EnvironmentContext, config: ServiceConfig) {
    super(scope, id);
    const { project, environment: env, name } = environment;
    const pipeline = pipelineName(project.appName, env.name);
    const web = environment.loadBalancer();
    const fleets = ServiceWorkload.fleetTargets(web, env.deployment.style === "blue-green");
    this.fleet = this.instances(environment, fleets, web, pipeline);
    this.alarms = fleets.map(
      (f, i) =>
        new HealthAlarms(this, `alarms${slotSuffix(f.slot)}`, {
          name: `${name}${slotSuffix(f.slot)}`,
          topicArn: environment.alerts.arn,
          loadBalancerArnSuffix: web.alb.arnSuffix,
          targetGroupArnSuffix: f.targetGroup.arnSuffix,
          autoScalingGroupName: this.fleet.groups[i].name,
          ...env.alarms,
        }),
    );
    this.deployment = new InPlaceDeployment(this, "deploy", {
      name,
      accountId: project.accountId,
      region: project.region,
      fleets: fleets.map((f, i) => ({
        slot: f.slot,
        autoScalingGroupName: this.fleet.groups[i].name,
        targetGroupName: f.targetGroup.name,
        alarmNames: this.alarms[i].deploymentAlarms.map((a) => a.alarmName),
      })),
      deploymentConfig: env.deployment.config,
      instanceRoleArn: roleArn(project.accountId, AppFleet.instanceRoleName(name)),
    });
    this.traffic = env.deployment.style === "blue-green" ? this.trafficSwitch(environment, fleets, web, pipeline) : undefined;
    this.pipeline = workloadPipeline(this, environment, {
      id: "pipeline",
      pipelineName: pipeline,
      workload: config.name,
      repository: config.repository,
      buildVariables: config.buildVariables,
      ...(this.traffic
        ? { target: { kind: "blue-green-service", trafficProject: this.traffic.project.name }, deployGrants: [this.traffic.grantRun()] }
        : {
            target: {
              kind: "service",
              codeDeployApplication: this.deployment.application.name,
              codeDeployGroup: this.deployment.group.deploymentGroupName,
            },
            deployGrants: this.deployment.grantDeploy(),
          }),
      // In blue/green the tests reach the idle fleet through the test listener, before any traffic moves.
      acceptance: { projectName: `${name}-acceptance`, url: ServiceWorkload.url(env, web, !!this.traffic) },
      releaseProjectName: `${name}-release`,
      // The alarms that stop a deployment watch its bake too: each fleet's 5xx and unhealthy hosts.
      bakeAlarms: this.alarms.flatMap((a) => a.deploymentAlarms.map((alarm) => ({ name: alarm.alarmName, accountId: project.accountId }))),
      // A sleeping fleet has no instance to deploy to: the service deploys in working hours only.
      deployWindow: env.schedule ? deploymentWindow(env.schedule) : undefined,
    });
    this.pipelineNames = [pipeline];
    this.deploymentApplications = [this.deployment.application.name];
    this.widgets = serviceWidgets(
      config.name,
      env.dashboard,
      web.alb.arnSuffix,
      fleets.map((f, i) => ({
        label: f.slot ?? "fleet",
        targetGroupArnSuffix: f.targetGroup.arnSuffix,
        autoScalingGroupName: this.fleet.groups[i].name,
      })),
    );
    const { region } = project;
    this.outputs = {
      url: ServiceWorkload.url(env, web, false),
      pipelineName: this.pipeline.pipeline.name,
      pipelineConsoleUrl: `https://${region}.console.aws.amazon.com/codesuite/codepipeline/pipelines/${pipeline}/view?region=${region}`,
      deploymentGroup: `${this.deployment.application.name}/${this.deployment.groups.map((g) => g.deploymentGroupName).join(",")}`,
    };
  }

  /**
   * The service's URL: by its host name where it has one, else the load balancer's DNS name; with
   * `test`, the test listener's (blue/green: the idle fleet, before traffic moves).
   */
  private static url(env: EnvironmentConfig, web: WebEntry, test: boolean): string {
    const scheme = env.certificateArn ? "https" : "http";
    const port = test ? `:${env.certificateArn ? TEST_LISTENER_PORTS.https : TEST_LISTENER_PORTS.http}` : "";
    return `${scheme}://${env.hostName ?? web.alb.dnsName}${port}`;
  }

  /** The service's fleets behind the ALB: the only one, or blue and green (in that order). */
  private static fleetTargets(web: WebEntry, blueGreen: boolean): FleetTarget[] {
    if (!blueGreen) return [{ targetGroup: web.targetGroup as LbTargetGroup }];
    return SLOTS.map((slot) => ({ slot, targetGroup: web.slotTargetGroups[slot] as LbTargetGroup }));
  }

  /** The instances, reading their own environment's revisions from build's bucket. */
  private instances(environment: EnvironmentContext, fleets: readonly FleetTarget[], web: WebEntry, pipeline: string): AppFleet {
    const { project, environment: env, build, runtime } = environment;
    return new AppFleet(this, "fleet", {
      name: environment.name,
      accountId: project.accountId,
      region: project.region,
      ...env.compute,
      schedule: env.schedule,
      targets: fleets.map((f) => ({
        slot: f.slot,
        targetGroupArn: f.targetGroup.arn,
        requestsResourceLabel: `${web.alb.arnSuffix}/${f.targetGroup.arnSuffix}`,
      })),
      privateSubnetIds: env.network.privateSubnetIds,
      securityGroupId: web.instanceSecurityGroup.id,
      artifactBucketArn: build.artifactBucketArn,
      artifactPrefix: artifactPrefix(pipeline),
      artifactKeyArn: build.artifactKeyArn,
      logGroupName: environment.logGroupName,
      logGroupArn: environment.logGroup.arn,
      serviceUser: project.appName,
      appPort: project.application.port,
      healthCheckPath: project.application.healthCheckPath,
      environment: env.name,
      parameterPath: runtime.path,
      grants: runtime.grantRead(),
    });
  }

  /** Blue/green: the project that moves traffic between the two fleets, step by step. */
  private trafficSwitch(environment: EnvironmentContext, fleets: readonly FleetTarget[], web: WebEntry, pipeline: string): TrafficSwitch {
    const { project, environment: env, build } = environment;
    const settings = env.deployment.blueGreen;
    if (!settings) throw new Error(`${env.file}: deployment.blueGreen is missing on a blue-green environment`);
    return new TrafficSwitch(this, "traffic", {
      projectName: trafficProjectName(environment.name),
      accountId: project.accountId,
      region: project.region,
      parameterName: liveSlotParameter(project.appName, env.name),
      listenerArns: web.forwardingListeners.map((l) => l.arn),
      testListenerArns: web.testListener ? [web.testListener.arn] : [],
      slots: Object.fromEntries(
        fleets.map((f, i) => [
          f.slot,
          {
            autoScalingGroupName: this.fleet.groups[i].name,
            targetGroupArn: f.targetGroup.arn,
            deploymentGroupName: this.deployment.groups[i].deploymentGroupName,
            alarmNames: this.alarms[i].deploymentAlarms.map((a) => a.alarmName),
          },
        ]),
      ) as Record<Slot, TrafficSlot>,
      codeDeployApplication: this.deployment.application.name,
      deploymentConfig: env.deployment.config,
      minCapacity: env.compute.minCapacity,
      settings,
      artifactBucketArn: build.artifactBucketArn,
      artifactPrefix: artifactPrefix(pipeline),
      artifactKeyArn: build.artifactKeyArn,
      logKeyArn: environment.key.arn,
      projectKeyArn: environment.delivery.actionsRole ? environment.key.arn : undefined,
      logRetentionDays: env.logRetentionDays,
      retain: env.deletionProtection,
    });
  }
}

export const SERVICE: WorkloadKind<ServiceConfig> = {
  kind: "service",
  build: (scope, environment, config) => new ServiceWorkload(scope, `workload-${config.name}`, environment, config),
};
