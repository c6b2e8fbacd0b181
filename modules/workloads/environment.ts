import type { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsClusterCapacityProviders } from "@cdktf/provider-aws/lib/ecs-cluster-capacity-providers";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { accessLogPrefix, environmentPrefix, SLOTS, type EnvironmentConfig, type ProjectConfig } from "../config";
import { EncryptionKey } from "../constructs/encryption-key";
import { RuntimeConfig } from "../constructs/runtime-config";
import { AlertTopic } from "../constructs/alert-topic";
import { WebEntry } from "../constructs/web-entry";
import { PrivateEndpoints } from "../constructs/private-endpoints";
import { WebFirewall } from "../constructs/web-firewall";
import { Wafv2WebAclAssociation } from "@cdktf/provider-aws/lib/wafv2-web-acl-association";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { arn } from "../lib/arn";
import type { PolicyStatement } from "../lib/policy";
import type { PipelineActionsRole } from "../constructs/pipeline-actions-role";

/** What the workloads use of the build stack's outputs (modules/stacks/contract.ts, BUILD_OUTPUTS). */
export interface SharedBuild {
  readonly artifactBucketName: string;
  readonly artifactBucketArn: string;
  readonly artifactKeyArn: string;
  readonly buildProjectName: string;
  readonly scanProjectName: string;
  readonly connectionArn: string;
  readonly accessLogBucketName: string;
  readonly accessLogBucketArn: string;
  readonly deliveryEventsLogPrefix: string;
}

/**
 * Where an environment's pipelines run and how they reach it: always in the tooling account, beside
 * the build and the GitHub connection; in a cross-account environment, their Deploy actions run as
 * the environment's pipeline-actions role (docs/accounts.md, "Where each resource lives").
 */
export interface PipelinePlacement {
  /** The tooling account: the pipelines and their roles. */
  readonly accountId: string;
  /** Cross-account only: the role in the environment's account that runs the Deploy actions. */
  readonly actionsRole?: PipelineActionsRole;
  /** Moves a pipeline's resources to the tooling account's provider (a no-op in a single-account environment). */
  place(scope: Construct): void;
}

/** The environment as its workloads see it: its configuration and the pieces they share. */
export interface EnvironmentContext {
  readonly project: ProjectConfig;
  readonly environment: EnvironmentConfig;
  /** The prefix of the environment's names (`<appName>-<env>`). */
  readonly name: string;
  readonly build: SharedBuild;
  /** What every pipeline's role needs of the build stack: run the shared build, use the connection. */
  readonly buildGrants: readonly PolicyStatement[];
  /** The environment's key: notifications, logs, settings and secrets. */
  readonly key: EncryptionKey;
  readonly runtime: RuntimeConfig;
  readonly logGroup: CloudwatchLogGroup;
  /** The log group's name as a plain string (baked into the instances' user data at synth). */
  readonly logGroupName: string;
  readonly alerts: AlertTopic;
  readonly delivery: PipelinePlacement;
  /** A provider for us-east-1 (CloudFront's metrics and log delivery). */
  edgeProvider(): AwsProvider;
  /** The environment's load balancer and security groups, built the first time a workload asks. */
  loadBalancer(): WebEntry;
  /**
   * The environment's ECS cluster, built the first time a container asks, and the association of
   * its capacity providers (a service that names them must wait for it).
   */
  cluster(): { readonly cluster: EcsCluster; readonly capacityProviders: EcsClusterCapacityProviders };
  /** The environment's VPC endpoints, where it asks for them (built with the load balancer). */
  readonly endpoints?: PrivateEndpoints;
}

export interface SharedEnvironmentProps {
  readonly project: ProjectConfig;
  readonly environment: EnvironmentConfig;
  readonly build: SharedBuild;
  readonly buildGrants: readonly PolicyStatement[];
  readonly edgeProvider: () => AwsProvider;
  readonly delivery: PipelinePlacement;
}

/**
 * An environment's shared pieces, built once in its stack: the key, the runtime configuration, the
 * application log group and the alert topic; the load balancer (with the VPC endpoints where the
 * environment asks for them) when a workload needs one. Their construct ids ("key", "runtime",
 * "logs", "alerts", "web", "endpoints") are their addresses.
 */
export class SharedEnvironment implements EnvironmentContext {
  readonly project: ProjectConfig;
  readonly environment: EnvironmentConfig;
  readonly name: string;
  readonly build: SharedBuild;
  readonly buildGrants: readonly PolicyStatement[];
  readonly key: EncryptionKey;
  readonly runtime: RuntimeConfig;
  readonly logGroup: CloudwatchLogGroup;
  readonly logGroupName: string;
  readonly alerts: AlertTopic;
  readonly edgeProvider: () => AwsProvider;
  readonly delivery: PipelinePlacement;
  private web?: WebEntry;
  private ecs?: { readonly cluster: EcsCluster; readonly capacityProviders: EcsClusterCapacityProviders };
  endpoints?: PrivateEndpoints;

  constructor(
    private readonly scope: Construct,
    props: SharedEnvironmentProps,
  ) {
    const { project, environment: env } = props;
    this.project = project;
    this.environment = env;
    this.build = props.build;
    this.buildGrants = props.buildGrants;
    this.edgeProvider = props.edgeProvider;
    this.delivery = props.delivery;
    this.name = environmentPrefix(project.appName, env.name);
    this.logGroupName = `/${project.appName}/${env.name}/application`;
    this.key = this.encryptionKey();
    this.runtime = new RuntimeConfig(scope, "runtime", {
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
    this.logGroup = new CloudwatchLogGroup(scope, "logs", {
      name: this.logGroupName,
      retentionInDays: env.logRetentionDays,
      kmsKeyId: this.key.arn,
      lifecycle: { preventDestroy: env.deletionProtection },
    });
    this.alerts = new AlertTopic(scope, "alerts", {
      name: this.name,
      accountId: project.accountId,
      region: project.region,
      kmsKeyArn: this.key.arn,
      emails: env.notificationEmails,
    });
  }

  loadBalancer(): WebEntry {
    this.web ??= this.entry();
    return this.web;
  }

  /**
   * The cluster of the environment's containers, with both Fargate capacity providers (a service
   * picks its mix) and Container Insights where the tier has it (ECS developer guide, "Monitor
   * Amazon ECS containers using Container Insights": its metrics are charged as custom metrics).
   */
  cluster(): { readonly cluster: EcsCluster; readonly capacityProviders: EcsClusterCapacityProviders } {
    if (this.ecs) return this.ecs;
    const { environment: env, name } = this;
    const cluster = new EcsCluster(this.scope, "cluster", {
      name,
      setting: [{ name: "containerInsights", value: env.containers.some((c) => c.insights) ? "enabled" : "disabled" }],
    });
    // "Only capacity providers that are already associated with a cluster ... can be used in a
    // capacity provider strategy" (ECS API reference, CapacityProviderStrategyItem).
    const capacityProviders = new EcsClusterCapacityProviders(this.scope, "cluster-capacity", {
      clusterName: cluster.name,
      capacityProviders: ["FARGATE", "FARGATE_SPOT"],
    });
    this.ecs = { cluster, capacityProviders };
    return this.ecs;
  }

  /** The environment's key: its notifications, logs, settings and secrets. */
  private encryptionKey(): EncryptionKey {
    const { project, environment: env, name } = this;
    return new EncryptionKey(this.scope, "key", {
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

  /**
   * The load balancer's web firewall: the environment's own web ACL where it gives one, or one
   * made here where the firewall is on (docs/security.md, "Web firewall"); none when it is off.
   */
  private firewall(web: WebEntry): void {
    const { project, environment: env, name } = this;
    const { firewall } = env;
    let webAclArn = firewall.webAclArn;
    if (!webAclArn && firewall.mode !== "off") {
      webAclArn = new WebFirewall(this.scope, "firewall", {
        name,
        scope: "REGIONAL",
        mode: firewall.mode,
        rateLimit: firewall.rateLimit,
        logRetentionDays: env.logRetentionDays,
        logKeyArn: this.key.arn,
        alarm: { blockedRequests: firewall.blockedRequestsAlarm, actions: [this.alerts.arn], region: project.region },
        retain: env.deletionProtection,
      }).acl.arn;
    }
    if (webAclArn) new Wafv2WebAclAssociation(this.scope, "firewall-association", { resourceArn: web.alb.arn, webAclArn });
  }

  /** The way in: the ALB and security groups, and the VPC endpoints where the environment asks. */
  private entry(): WebEntry {
    const { project, environment: env, name } = this;
    const web = new WebEntry(this.scope, "web", {
      name,
      vpcId: env.network.vpcId,
      publicSubnetIds: env.network.publicSubnetIds,
      allowedIngressCidrs: env.allowedIngressCidrs,
      certificateArn: env.certificateArn,
      appPort: project.application.port,
      healthCheckPath: project.application.healthCheckPath,
      deletionProtection: env.deletionProtection,
      slots: env.deployment.style === "blue-green" ? SLOTS : undefined,
      serviceTargets: env.workloads.some((w) => w.kind === "service"),
      logs: {
        bucketName: this.build.accessLogBucketName,
        accessPrefix: accessLogPrefix("albAccess", env.name),
        connectionPrefix: accessLogPrefix("albConnection", env.name),
      },
    });
    this.firewall(web);
    // Requests no target answered (a timeout, no healthy target, a refused connection) are the
    // load balancer's own 5xx, which the targets' 5xx alarms never see (ELB user guide, "CloudWatch
    // metrics for your Application Load Balancer": HTTPCode_ELB_5XX_Count, by LoadBalancer). It
    // notifies; it does not stop a deployment (the targets' own alarms do).
    new CloudwatchMetricAlarm(this.scope, "web-elb-5xx", {
      alarmName: `${name}-elb-5xx`,
      alarmDescription: "The load balancer answered 5xx itself: no target answered in time, or none was healthy",
      namespace: "AWS/ApplicationELB",
      metricName: "HTTPCode_ELB_5XX_Count",
      dimensions: { LoadBalancer: web.alb.arnSuffix },
      statistic: "Sum",
      period: 300,
      evaluationPeriods: 1,
      threshold: env.alarms.http5xxCount,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
      alarmActions: [this.alerts.arn],
      okActions: [this.alerts.arn],
    });
    if (env.network.vpcEndpoints) {
      this.endpoints = new PrivateEndpoints(this.scope, "endpoints", {
        name,
        region: project.region,
        vpcId: env.network.vpcId,
        subnetIds: env.network.privateSubnetIds,
        routeTableIds: env.network.vpcEndpoints.privateRouteTableIds,
        instanceSecurityGroupId: web.instanceSecurityGroup.id,
        containers: env.containers.length > 0,
      });
    }
    return web;
  }
}
