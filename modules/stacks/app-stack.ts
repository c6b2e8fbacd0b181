import { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import {
  BUILD_STACK,
  appStackName,
  artifactPrefix,
  environmentPrefix,
  pipelineName,
  type EnvironmentConfig,
  type ProjectConfig,
} from "../config";
import { ProjectStack, type SynthOptions } from "./project-stack";
import { stateLocation } from "./state";
import {
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
import { deliveryStages } from "../lib/pipeline-stages";
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
  readonly logGroup: CloudwatchLogGroup;
  readonly web: WebEntry;
  readonly fleet: AppFleet;
  readonly alerts: AlertTopic;
  readonly alarms: HealthAlarms;
  readonly deployment: InPlaceDeployment;
  readonly pipeline: DeliveryPipeline;

  constructor(scope: Construct, props: AppStackProps) {
    const { project, environment: env } = props;
    super(scope, appStackName(env.name), {
      project,
      tags: { Environment: env.name, Tier: env.tier, ...env.tags },
      offline: props.offline,
      testStateEndpoint: props.testStateEndpoint,
      facts: { tier: env.tier, requireApproval: env.pipeline.requireApproval },
    });
    const { appName, accountId, region } = project;
    const name = environmentPrefix(appName, env.name);
    const pipeline = pipelineName(appName, env.name);
    const prefix = artifactPrefix(pipeline);
    const retain = env.deletionProtection;

    this.build = this.offline
      ? placeholderBuildOutputs(project, appName)
      : readBuildOutputs(this, stateLocation(project, BUILD_STACK), this.testStateEndpoint);
    if (!this.offline && !this.testStateEndpoint) requireAvailableConnection(this, this.build.connectionArn);

    this.key = new EncryptionKey(this, "key", {
      alias: name,
      description: `Encrypts ${name}'s notifications and logs`,
      accountId,
      region,
      // CloudWatch alarms publish with aws:SourceAccount bound; EventBridge cannot (see the prop).
      servicePrincipals: ["cloudwatch.amazonaws.com"],
      topicPublishers: { services: ["events.amazonaws.com"], topicArns: [arn(project, "sns", AlertTopic.topicName(name))] },
      allowCloudWatchLogs: true,
      retain,
    });

    // A plain string, not the resource's token: it is baked into the instances' user data.
    const logGroupName = `/${appName}/${env.name}/application`;
    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      name: logGroupName,
      retentionInDays: env.logRetentionDays,
      kmsKeyId: this.key.arn,
      lifecycle: { preventDestroy: retain },
    });

    this.web = new WebEntry(this, "web", {
      name,
      vpcId: env.network.vpcId,
      publicSubnetIds: env.network.publicSubnetIds,
      allowedIngressCidrs: env.allowedIngressCidrs,
      certificateArn: env.certificateArn,
      appPort: project.application.port,
      healthCheckPath: project.application.healthCheckPath,
      deletionProtection: env.deletionProtection,
    });

    if (env.network.vpcEndpoints) {
      new PrivateEndpoints(this, "endpoints", {
        name,
        region,
        vpcId: env.network.vpcId,
        subnetIds: env.network.privateSubnetIds,
        routeTableIds: env.network.vpcEndpoints.privateRouteTableIds,
        instanceSecurityGroupId: this.web.instanceSecurityGroup.id,
      });
    }

    this.fleet = new AppFleet(this, "fleet", {
      name,
      accountId,
      region,
      ...env.compute,
      privateSubnetIds: env.network.privateSubnetIds,
      securityGroupId: this.web.instanceSecurityGroup.id,
      targetGroupArn: this.web.targetGroup.arn,
      artifactBucketArn: this.build.artifactBucketArn,
      artifactPrefix: prefix,
      artifactKeyArn: this.build.artifactKeyArn,
      logGroupName,
      logGroupArn: this.logGroup.arn,
      serviceUser: appName,
      appPort: project.application.port,
      healthCheckPath: project.application.healthCheckPath,
    });

    this.alerts = new AlertTopic(this, "alerts", {
      name,
      accountId,
      region,
      kmsKeyArn: this.key.arn,
      emails: env.notificationEmails,
    });

    this.alarms = new HealthAlarms(this, "alarms", {
      name,
      topicArn: this.alerts.arn,
      loadBalancerArnSuffix: this.web.alb.arnSuffix,
      targetGroupArnSuffix: this.web.targetGroup.arnSuffix,
      autoScalingGroupName: this.fleet.group.name,
      ...env.alarms,
    });

    this.deployment = new InPlaceDeployment(this, "deploy", {
      name,
      accountId,
      region,
      autoScalingGroupName: this.fleet.group.name,
      targetGroupName: this.web.targetGroup.name,
      deploymentConfig: env.deployment.config,
      alarmNames: this.alarms.deploymentAlarms.map((a) => a.alarmName),
      instanceRoleArn: roleArn(accountId, AppFleet.instanceRoleName(name)),
    });

    const approval = env.pipeline.requireApproval ? { topicArn: this.alerts.arn } : undefined;
    const statements: PolicyStatement[] = [
      {
        sid: "RunSharedBuild",
        actions: ["codebuild:StartBuild", "codebuild:BatchGetBuilds"],
        resources: [this.build.buildProjectArn],
      },
      {
        sid: "UseGitHubConnection",
        actions: ["codestar-connections:UseConnection", "codeconnections:UseConnection"],
        resources: [this.build.connectionArn],
      },
      {
        sid: "DeployToOwnGroup",
        actions: ["codedeploy:CreateDeployment", "codedeploy:GetDeployment"],
        resources: [this.deployment.groupArn],
      },
      {
        sid: "RegisterOwnRevisions",
        actions: ["codedeploy:GetApplication", "codedeploy:GetApplicationRevision", "codedeploy:RegisterApplicationRevision"],
        resources: [this.deployment.applicationArn],
      },
      {
        sid: "ReadDeploymentConfig",
        actions: ["codedeploy:GetDeploymentConfig"],
        resources: [arn(project, "codedeploy", `deploymentconfig:${env.deployment.config}`)],
      },
    ];
    if (approval) {
      statements.push(
        { sid: "NotifyApprovers", actions: ["sns:Publish"], resources: [this.alerts.arn] },
        { sid: "EncryptApprovalNotifications", actions: ["kms:GenerateDataKey", "kms:Decrypt"], resources: [this.key.arn] },
      );
    }

    this.pipeline = new DeliveryPipeline(this, "pipeline", {
      pipelineName: pipeline,
      accountId,
      region,
      branch: env.pipeline.branch,
      executionMode: env.pipeline.executionMode,
      requireApproval: env.pipeline.requireApproval,
      artifactBucketName: this.build.artifactBucketName,
      artifactBucketArn: this.build.artifactBucketArn,
      artifactPrefix: prefix,
      kmsKeyArn: this.build.artifactKeyArn,
      statements,
      stages: deliveryStages({
        environment: env.name,
        repository: project.repository,
        branch: env.pipeline.branch,
        connectionArn: this.build.connectionArn,
        buildProjectName: this.build.buildProjectName,
        approval,
        codeDeployApplication: this.deployment.application.name,
        codeDeployGroup: this.deployment.group.deploymentGroupName,
      }),
    });

    new PipelineEvents(this, "pipeline-events", {
      ruleName: this.alerts.pipelineRuleName,
      pipelineName: pipeline,
      topicArn: this.alerts.arn,
      notifyOnSuccess: env.pipeline.notifyOnSuccess,
    });

    publishEnvironmentOutputs(this, {
      url: `${env.certificateArn ? "https" : "http"}://${this.web.alb.dnsName}`,
      pipelineName: this.pipeline.pipeline.name,
      pipelineConsoleUrl: `https://${region}.console.aws.amazon.com/codesuite/codepipeline/pipelines/${pipeline}/view?region=${region}`,
      deploymentGroup: `${this.deployment.application.name}/${this.deployment.group.deploymentGroupName}`,
      alertTopicArn: this.alerts.arn,
      logGroupName: this.logGroup.name,
    });
  }
}
