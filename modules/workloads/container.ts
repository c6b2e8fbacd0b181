import type { Construct } from "constructs";
import {
  artifactPrefix,
  imageProjectName,
  imageRepositoryName,
  imageRepositoryUri,
  sitePipelineName,
  sitePrefix,
  type ContainerConfig,
  type EnvironmentConfig,
} from "../config";
import { ContainerService } from "../constructs/container-service";
import type { DeliveryPipeline } from "../constructs/delivery-pipeline";
import { TEST_LISTENER_PORTS, type WebEntry } from "../constructs/web-entry";
import { arn } from "../lib/arn";
import { deploymentWindow } from "../lib/pipeline-stages";
import type { EnvironmentContext } from "./environment";
import { workloadPipeline } from "./pipeline";
import { Workload, type WorkloadKind } from "./workload";

/**
 * A container service (docs/workloads.md, "Containers"): its image built once on the build stack's
 * image project and pushed to its repository there, gated on ECR's scan, then run on Fargate in
 * the environment's cluster behind the environment's load balancer, rolling with the circuit
 * breaker, or blue/green through CodeDeploy where the environment deploys so.
 */
export class ContainerWorkload extends Workload {
  readonly service: ContainerService;
  readonly pipeline: DeliveryPipeline;
  readonly pipelineNames: readonly string[];
  override readonly outputs: Readonly<Record<string, string>>;
  override readonly deploymentApplications?: readonly string[];

  constructor(scope: Construct, id: string, environment: EnvironmentContext, config: ContainerConfig) {
    super(scope, id);
    const { project, environment: env, build, runtime, key, delivery } = environment;
    const tooling = { accountId: delivery.accountId, region: project.region };
    const name = sitePrefix(project.appName, env.name, config.name);
    const pipeline = sitePipelineName(project.appName, env.name, config.name);
    const web = environment.loadBalancer();
    const { cluster, capacityProviders } = environment.cluster();
    const blueGreen = env.deployment.style === "blue-green";
    const repositoryName = imageRepositoryName(project.appName, config.name);
    const repositoryUri = imageRepositoryUri({ ...tooling, appName: project.appName }, config.name);
    if (blueGreen && !web.testListener) throw new Error(`${env.file}: a blue-green environment's load balancer has no test listener`);
    this.service = new ContainerService(this, `container-${config.name}`, {
      name,
      containerName: config.name,
      clusterName: cluster.name,
      clusterArn: cluster.arn,
      clusterReady: [capacityProviders],
      vpcId: env.network.vpcId,
      privateSubnetIds: env.network.privateSubnetIds,
      albSecurityGroupId: web.albSecurityGroup.id,
      listenerArns: web.forwardingListeners.map((l) => l.arn),
      paths: config.paths,
      priority: config.priority,
      port: config.port,
      healthCheckPath: config.healthCheckPath,
      cpu: config.cpu,
      memory: config.memory,
      initialImage: `${repositoryUri}:initial`,
      repositoryArn: arn(tooling, "ecr", `repository/${repositoryName}`),
      logGroupName: environment.logGroupName,
      logGroupArn: environment.logGroup.arn,
      environment: { ENVIRONMENT: env.name, WORKLOAD: config.name, PORT: String(config.port) },
      secrets: runtime.containerSecrets(),
      fetchGrants: runtime.grantFetch(),
      minTasks: config.minTasks,
      maxTasks: config.maxTasks,
      cpuTarget: config.cpuTarget,
      spot: config.spot,
      schedule: env.schedule,
      alarms: { topicArn: environment.alerts.arn, loadBalancerArnSuffix: web.alb.arnSuffix, ...env.alarms },
      ...(blueGreen && env.deployment.blueGreen && web.testListener
        ? { blueGreen: { settings: env.deployment.blueGreen, testListenerArn: web.testListener.arn } }
        : {}),
      accountId: project.accountId,
      region: project.region,
      artifactBucketArn: build.artifactBucketArn,
      artifactPrefix: artifactPrefix(pipeline),
      artifactKeyArn: build.artifactKeyArn,
      logKeyArn: key.arn,
      projectKeyArn: delivery.actionsRole ? key.arn : undefined,
      logRetentionDays: env.logRetentionDays,
      retain: env.deletionProtection,
    });
    // Without a NAT gateway, the tasks pull and log through the environment's endpoints.
    environment.endpoints?.admit(`container-${config.name}`, this.service.securityGroup.id, `HTTPS from the tasks of ${config.name}`);
    this.pipeline = workloadPipeline(this, environment, {
      id: `container-${config.name}-pipeline`,
      pipelineName: pipeline,
      workload: config.name,
      repository: config.repository,
      buildVariables: config.buildVariables,
      target: { kind: blueGreen ? "blue-green-container" : "container", deployProject: this.service.deployProject.name },
      deployGrants: [this.service.grantDeploy()],
      acceptance: { projectName: `${name}-acceptance`, url: ContainerWorkload.url(env, web, blueGreen) },
      releaseProjectName: `${name}-release`,
      bakeAlarms: this.service.alarms.flatMap((a) =>
        a.deploymentAlarms.map((alarm) => ({ name: alarm.alarmName, accountId: project.accountId })),
      ),
      // Tasks sleep outside working hours: a release waits for them.
      deployWindow: env.schedule ? deploymentWindow(env.schedule) : undefined,
      image: {
        projectName: imageProjectName(project.appName),
        variables: {
          REPOSITORY_URI: repositoryUri,
          CONTAINER: config.name,
          DOCKERFILE: config.dockerfile,
          BUILD_ARGS: Object.keys(config.buildVariables).join(" "),
        },
        repositoryName,
        repositoryArn: arn(tooling, "ecr", `repository/${repositoryName}`),
        scanProjectName: `${name}-image-scan`,
      },
    });
    this.pipelineNames = [pipeline];
    this.deploymentApplications = this.service.codeDeploy ? [this.service.codeDeploy.application.name] : undefined;
    const { region } = project;
    this.outputs = {
      url: ContainerWorkload.url(env, web, false),
      pipelineName: this.pipeline.pipeline.name,
      pipelineConsoleUrl: `https://${region}.console.aws.amazon.com/codesuite/codepipeline/pipelines/${pipeline}/view?region=${region}`,
      deploymentGroup: this.service.codeDeploy
        ? `${this.service.codeDeploy.application.name}/${this.service.codeDeploy.group.deploymentGroupName}`
        : `ecs:${cluster.name}/${config.name}`,
    };
  }

  /** The load balancer's URL (the test listener's in blue/green, for the acceptance tests before traffic moves). */
  private static url(env: EnvironmentConfig, web: WebEntry, test: boolean): string {
    const scheme = env.certificateArn ? "https" : "http";
    const port = test ? `:${env.certificateArn ? TEST_LISTENER_PORTS.https : TEST_LISTENER_PORTS.http}` : "";
    return `${scheme}://${env.hostName ?? web.alb.dnsName}${port}`;
  }
}

export const CONTAINER: WorkloadKind<ContainerConfig> = {
  kind: "container",
  build: (scope, environment, config) => new ContainerWorkload(scope, `workload-${config.name}`, environment, config),
};
