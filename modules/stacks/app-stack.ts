import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import {
  BUILD_STACK,
  accessLogPrefix,
  appStackName,
  artifactPrefix,
  environmentPrefix,
  pipelineName,
  siteBucketName,
  sitePipelineName,
  sitePrefix,
  buildSettingValues,
  liveSlotParameter,
  slotSuffix,
  SLOTS,
  trafficProjectName,
  type Slot,
  type SiteConfig,
  type EnvironmentConfig,
  type ProjectConfig,
} from "../config";
import { ProjectStack, type SynthOptions } from "./project-stack";
import { stateLocation } from "./state";
import {
  grantPipelineUseOfBuild,
  placeholderBuildOutputs,
  publishEnvironmentOutputs,
  readBuildOutputs,
  requireAvailableConnection,
  type BuildOutputs,
} from "./contract";
import { EncryptionKey } from "../constructs/encryption-key";
import { WebEntry } from "../constructs/web-entry";
import { AppFleet } from "../constructs/app-fleet";
import { PrivateEndpoints } from "../constructs/private-endpoints";
import { InPlaceDeployment } from "../constructs/in-place-deployment";
import { AlertTopic } from "../constructs/alert-topic";
import { HealthAlarms } from "../constructs/health-alarms";
import { PipelineEvents } from "../constructs/pipeline-events";
import { DeliveryPipeline } from "../constructs/delivery-pipeline";
import { StaticSite } from "../constructs/static-site";
import { SiteAlarms } from "../constructs/site-alarms";
import { SiteInvalidation } from "../constructs/site-invalidation";
import { RuntimeConfig } from "../constructs/runtime-config";
import { TrafficSwitch, type TrafficSlot } from "../constructs/traffic-switch";
import type { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { deliveryStages, deploymentWindow, type DeliveryTarget } from "../lib/pipeline-stages";
import type { PolicyStatement } from "../lib/policy";
import { arn, roleArn } from "../lib/arn";

export interface AppStackProps extends SynthOptions {
  readonly project: ProjectConfig;
  readonly environment: EnvironmentConfig;
}

/**
 * One environment, `app-<env>`: its pipeline, CodeDeploy group, instances behind an ALB, alarms
 * and notifications. It reads the shared build stack's outputs from build's remote state and can
 * be created, changed and destroyed without touching another environment.
 */
export class AppStack extends ProjectStack {
  readonly build: BuildOutputs;
  readonly key: EncryptionKey;
  readonly runtime: RuntimeConfig;
  readonly logGroup: CloudwatchLogGroup;
  readonly web: WebEntry;
  readonly fleet: AppFleet;
  readonly alerts: AlertTopic;
  /** The service's alarms: one set, or one per blue/green fleet. */
  readonly alarms: HealthAlarms[];
  readonly deployment: InPlaceDeployment;
  /** Blue/green only: what moves the traffic between the fleets. */
  readonly traffic?: TrafficSwitch;
  readonly pipeline: DeliveryPipeline;
  readonly sites: { readonly site: StaticSite; readonly pipeline: DeliveryPipeline }[];

  constructor(scope: Construct, props: AppStackProps) {
    const { project, environment: env } = props;
    super(scope, appStackName(env.name), {
      project,
      tags: { Environment: env.name, Tier: env.tier, ...env.tags },
      offline: props.offline,
      testStateEndpoint: props.testStateEndpoint,
      facts: { tier: env.tier, requireApproval: env.pipeline.requireApproval },
    });
    const names = { name: environmentPrefix(project.appName, env.name), pipeline: pipelineName(project.appName, env.name) };

    this.build = this.offline
      ? placeholderBuildOutputs(project, project.appName)
      : readBuildOutputs(this, stateLocation(project, BUILD_STACK), this.testStateEndpoint);
    if (!this.offline && !this.testStateEndpoint) requireAvailableConnection(this, this.build.connectionArn);

    // A plain string, not the resource's token: it is baked into the instances' user data.
    const logGroupName = `/${project.appName}/${env.name}/application`;
    this.key = this.encryptionKey(props, names.name);
    this.runtime = new RuntimeConfig(this, "runtime", {
      appName: project.appName,
      environment: env.name,
      accountId: project.accountId,
      region: project.region,
      settings: env.runtime.settings,
      secrets: env.runtime.secrets,
      kmsKeyArn: this.key.arn,
      secretRecoveryDays: env.runtime.secretRecoveryDays,
      retain: env.deletionProtection,
    });
    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      name: logGroupName,
      retentionInDays: env.logRetentionDays,
      kmsKeyId: this.key.arn,
      lifecycle: { preventDestroy: env.deletionProtection },
    });
    this.web = this.entry(props, names.name);
    this.fleet = this.instances(props, names, logGroupName);
    this.alerts = new AlertTopic(this, "alerts", {
      name: names.name,
      accountId: project.accountId,
      region: project.region,
      kmsKeyArn: this.key.arn,
      emails: env.notificationEmails,
    });
    const fleets = this.fleetTargets(env);
    this.alarms = fleets.map(
      (f, i) =>
        new HealthAlarms(this, `alarms${slotSuffix(f.slot)}`, {
          name: `${names.name}${slotSuffix(f.slot)}`,
          topicArn: this.alerts.arn,
          loadBalancerArnSuffix: this.web.alb.arnSuffix,
          targetGroupArnSuffix: f.targetGroup.arnSuffix,
          autoScalingGroupName: this.fleet.groups[i].name,
          ...env.alarms,
        }),
    );
    this.deployment = new InPlaceDeployment(this, "deploy", {
      name: names.name,
      accountId: project.accountId,
      region: project.region,
      fleets: fleets.map((f, i) => ({
        slot: f.slot,
        autoScalingGroupName: this.fleet.groups[i].name,
        targetGroupName: f.targetGroup.name,
        alarmNames: this.alarms[i].deploymentAlarms.map((a) => a.alarmName),
      })),
      deploymentConfig: env.deployment.config,
      instanceRoleArn: roleArn(project.accountId, AppFleet.instanceRoleName(names.name)),
    });
    const { blueGreen } = env.deployment;
    if (env.deployment.style === "blue-green" && blueGreen) {
      const traffic = new TrafficSwitch(this, "traffic", {
        projectName: trafficProjectName(names.name),
        accountId: project.accountId,
        region: project.region,
        parameterName: liveSlotParameter(project.appName, env.name),
        listenerArns: this.web.forwardingListeners.map((l) => l.arn),
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
        settings: blueGreen,
        artifactBucketArn: this.build.artifactBucketArn,
        artifactPrefix: artifactPrefix(names.pipeline),
        artifactKeyArn: this.build.artifactKeyArn,
        logKeyArn: this.key.arn,
        logRetentionDays: env.logRetentionDays,
        retain: env.deletionProtection,
      });
      this.traffic = traffic;
      this.pipeline = this.delivery(props, names.pipeline, { kind: "blue-green-service", trafficProject: traffic.project.name }, [
        traffic.grantRun(),
      ]);
    } else {
      this.pipeline = this.delivery(
        props,
        names.pipeline,
        {
          kind: "service",
          codeDeployApplication: this.deployment.application.name,
          codeDeployGroup: this.deployment.group.deploymentGroupName,
        },
        this.deployment.grantDeploy(),
      );
    }
    this.sites = this.staticSites(props);
    new PipelineEvents(this, "pipeline-events", {
      ruleName: this.alerts.pipelineRuleName,
      pipelineNames: [names.pipeline, ...env.staticSites.map((site) => sitePipelineName(project.appName, env.name, site.name))],
      topicArn: this.alerts.arn,
      notifyOnSuccess: env.pipeline.notifyOnSuccess,
    });

    const { region } = project;
    publishEnvironmentOutputs(this, {
      url: `${env.certificateArn ? "https" : "http"}://${this.web.alb.dnsName}`,
      pipelineName: this.pipeline.pipeline.name,
      pipelineConsoleUrl: `https://${region}.console.aws.amazon.com/codesuite/codepipeline/pipelines/${names.pipeline}/view?region=${region}`,
      deploymentGroup: `${this.deployment.application.name}/${this.deployment.groups.map((g) => g.deploymentGroupName).join(",")}`,
      alertTopicArn: this.alerts.arn,
      logGroupName: this.logGroup.name,
    });
  }

  /** The project's static sites this environment serves, each on S3 + CloudFront with its own pipeline. */
  private staticSites(props: AppStackProps): { site: StaticSite; pipeline: DeliveryPipeline }[] {
    const { project, environment: env } = props;
    const sites = env.staticSites.map((config) => {
      const site = this.staticSite(project, env, config);
      const name = sitePipelineName(project.appName, env.name, config.name);
      const invalidation = new SiteInvalidation(this, `site-${config.name}-invalidation`, {
        projectName: `${sitePrefix(project.appName, env.name, config.name)}-invalidate`,
        accountId: project.accountId,
        region: project.region,
        distributionId: site.distribution.id,
        distributionArn: site.distribution.arn,
        artifactBucketArn: this.build.artifactBucketArn,
        artifactPrefix: artifactPrefix(name),
        artifactKeyArn: this.build.artifactKeyArn,
        logKeyArn: this.key.arn,
        logRetentionDays: env.logRetentionDays,
        retain: env.deletionProtection,
      });
      const target: DeliveryTarget = {
        kind: "static-site",
        bucketName: site.bucket.bucket.bucket,
        kmsKeyArn: this.key.arn,
        invalidationProject: invalidation.project.name,
      };
      const pipeline = this.delivery(props, name, target, [...site.grantDeploy(project.region), invalidation.grantRun()], config);
      return { site, pipeline };
    });
    if (sites.length) {
      new SiteAlarms(this, "site-alarms", {
        name: environmentPrefix(project.appName, env.name),
        accountId: project.accountId,
        region: project.region,
        edgeProvider: this.edgeProvider(),
        sites: env.staticSites.map((s, i) => ({ name: s.name, distributionId: sites[i].site.distribution.id })),
        errorRatePercent: env.alarms.site5xxPercent,
        topicArn: this.alerts.arn,
        ruleName: this.alerts.siteAlarmRuleName,
      });
      const output = new TerraformOutput(this, "site_urls", {
        value: Object.fromEntries(env.staticSites.map((s, i) => [s.name, sites[i].site.url])),
        description: "Each static site's address on CloudFront (point a custom domain's DNS at it)",
      });
      output.overrideLogicalId("site_urls");
    }
    return sites;
  }

  private staticSite(project: ProjectConfig, env: EnvironmentConfig, site: SiteConfig): StaticSite {
    const bucketName = siteBucketName(project.appName, env.name, site.name, project.accountId);
    return new StaticSite(this, `site-${site.name}`, {
      name: sitePrefix(project.appName, env.name, site.name),
      bucketName,
      key: this.key,
      serverAccessLogs: { bucketName: this.build.accessLogBucketName, prefix: accessLogPrefix("s3Access", bucketName) },
      accessLogs: { bucketArn: this.build.accessLogBucketArn, prefix: accessLogPrefix("cloudfrontAccess", `${env.name}/${site.name}`) },
      edgeProvider: this.edgeProvider(),
      priceClass: site.priceClass,
      aliases: site.aliases,
      certificateArn: site.certificateArn,
      webAclArn: site.webAclArn,
      contentSecurityPolicy: site.contentSecurityPolicy,
      retain: env.deletionProtection,
    });
  }

  /** The environment's key: its notifications, logs, settings and secrets. */
  private encryptionKey({ project, environment: env }: AppStackProps, name: string): EncryptionKey {
    return new EncryptionKey(this, "key", {
      alias: name,
      description: `Encrypts ${name}'s notifications, logs, settings and secrets`,
      accountId: project.accountId,
      region: project.region,
      // CloudWatch alarms publish with aws:SourceAccount bound; EventBridge cannot (see the prop).
      servicePrincipals: ["cloudwatch.amazonaws.com"],
      topicPublishers: { services: ["events.amazonaws.com"], topicArns: [arn(project, "sns", AlertTopic.topicName(name))] },
      allowCloudWatchLogs: true,
      retain: env.deletionProtection,
    });
  }

  /** The service's fleets behind the ALB: the only one, or blue and green (in that order). */
  private fleetTargets(env: EnvironmentConfig): { slot?: Slot; targetGroup: LbTargetGroup }[] {
    if (env.deployment.style !== "blue-green") return [{ targetGroup: this.web.targetGroup }];
    return SLOTS.map((slot) => ({ slot, targetGroup: this.web.slotTargetGroups[slot] as LbTargetGroup }));
  }

  /** The way in: the ALB and security groups, and the VPC endpoints where the environment asks. */
  private entry({ project, environment: env }: AppStackProps, name: string): WebEntry {
    const web = new WebEntry(this, "web", {
      name,
      vpcId: env.network.vpcId,
      publicSubnetIds: env.network.publicSubnetIds,
      allowedIngressCidrs: env.allowedIngressCidrs,
      certificateArn: env.certificateArn,
      appPort: project.application.port,
      healthCheckPath: project.application.healthCheckPath,
      deletionProtection: env.deletionProtection,
      slots: env.deployment.style === "blue-green" ? SLOTS : undefined,
      logs: {
        bucketName: this.build.accessLogBucketName,
        accessPrefix: accessLogPrefix("albAccess", env.name),
        connectionPrefix: accessLogPrefix("albConnection", env.name),
      },
    });
    if (env.network.vpcEndpoints) {
      new PrivateEndpoints(this, "endpoints", {
        name,
        region: project.region,
        vpcId: env.network.vpcId,
        subnetIds: env.network.privateSubnetIds,
        routeTableIds: env.network.vpcEndpoints.privateRouteTableIds,
        instanceSecurityGroupId: web.instanceSecurityGroup.id,
      });
    }
    return web;
  }

  /** The instances, reading their own environment's revisions from build's bucket. */
  private instances(
    { project, environment: env }: AppStackProps,
    names: { name: string; pipeline: string },
    logGroupName: string,
  ): AppFleet {
    return new AppFleet(this, "fleet", {
      name: names.name,
      accountId: project.accountId,
      region: project.region,
      ...env.compute,
      schedule: env.schedule,
      targets: this.fleetTargets(env).map((f) => ({
        slot: f.slot,
        targetGroupArn: f.targetGroup.arn,
        requestsResourceLabel: `${this.web.alb.arnSuffix}/${f.targetGroup.arnSuffix}`,
      })),
      privateSubnetIds: env.network.privateSubnetIds,
      securityGroupId: this.web.instanceSecurityGroup.id,
      artifactBucketArn: this.build.artifactBucketArn,
      artifactPrefix: artifactPrefix(names.pipeline),
      artifactKeyArn: this.build.artifactKeyArn,
      logGroupName,
      logGroupArn: this.logGroup.arn,
      serviceUser: project.appName,
      appPort: project.application.port,
      healthCheckPath: project.application.healthCheckPath,
      environment: env.name,
      parameterPath: this.runtime.path,
      grants: this.runtime.grantRead(),
    });
  }

  /**
   * A workload's pipeline: source on the environment's branch of its repository, the shared build,
   * the approval where required, the delivery. Its role gets each grant from the construct that
   * owns the resource.
   */
  private delivery(
    { project, environment: env }: AppStackProps,
    pipeline: string,
    target: DeliveryTarget,
    deployGrants: readonly PolicyStatement[],
    site?: SiteConfig,
  ): DeliveryPipeline {
    const approval = env.pipeline.requireApproval ? { topicArn: this.alerts.arn } : undefined;
    const statements: PolicyStatement[] = [
      ...grantPipelineUseOfBuild(this.build),
      ...deployGrants,
      ...(approval ? [...this.alerts.grantPublish(), this.key.grantEncrypt("EncryptApprovalNotifications")] : []),
    ];
    return new DeliveryPipeline(this, site ? `site-${site.name}-pipeline` : "pipeline", {
      pipelineName: pipeline,
      accountId: project.accountId,
      region: project.region,
      branch: env.pipeline.branch,
      triggerBranches: env.pipeline.triggerBranches,
      executionMode: env.pipeline.executionMode,
      requireApproval: env.pipeline.requireApproval,
      artifactBucketName: this.build.artifactBucketName,
      artifactBucketArn: this.build.artifactBucketArn,
      artifactPrefix: artifactPrefix(pipeline),
      kmsKeyArn: this.build.artifactKeyArn,
      statements,
      stages: deliveryStages({
        environment: env.name,
        workload: site?.name ?? project.service.name,
        repository: site?.repository ?? project.service.repository,
        branch: env.pipeline.branch,
        connectionArn: this.build.connectionArn,
        buildProjectName: this.build.buildProjectName,
        buildVariables: site?.buildVariables ?? project.service.buildVariables,
        buildSettings: buildSettingValues(env.runtime),
        approval,
        target,
        // A sleeping fleet has no instance to deploy to: the service deploys in working hours only.
        deployWindow: !site && env.schedule ? deploymentWindow(env.schedule) : undefined,
      }),
    });
  }
}
