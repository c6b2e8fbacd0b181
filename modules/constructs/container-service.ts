import { Construct } from "constructs";
import { createHash } from "crypto";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { LbListenerRule } from "@cdktf/provider-aws/lib/lb-listener-rule";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import { AppautoscalingScheduledAction } from "@cdktf/provider-aws/lib/appautoscaling-scheduled-action";
import { CodedeployApp } from "@cdktf/provider-aws/lib/codedeploy-app";
import { CodedeployDeploymentConfig } from "@cdktf/provider-aws/lib/codedeploy-deployment-config";
import { CodedeployDeploymentGroup } from "@cdktf/provider-aws/lib/codedeploy-deployment-group";
import type { CodebuildProject } from "@cdktf/provider-aws/lib/codebuild-project";
import type { ITerraformDependable } from "../lib/cdk";
import { ServiceRole } from "./service-role";
import { HealthAlarms, type HealthAlarmsProps } from "./health-alarms";
import { targetHealthCheck } from "./web-entry";
import { pipelineStepProject, type PipelineStepResources } from "./pipeline-step-project";
import { arn, managedPolicyArn } from "../lib/arn";
import type { PolicyStatement } from "../lib/policy";
import { inRange, validateProps } from "../lib/props";
import { compactScript } from "../lib/runtime-files";
import type { Schedule } from "../lib/pipeline-stages";
import type { BlueGreenSettings } from "../lib/traffic-plan";
import { FARGATE_SIZES } from "../config/schema";

/** A name of at most `max` characters: the name itself, or its start and a hash of it. */
export function fitName(name: string, max: number): string {
  if (name.length <= max) return name;
  return `${name.slice(0, max - 7).replace(/-+$/, "")}-${createHash("sha256").update(name).digest("hex").slice(0, 6)}`;
}

/**
 * The service's capacity: on demand for the minimum, Fargate Spot above it where the tier allows
 * (ECS developer guide, "AWS Fargate capacity providers": base and weight).
 */
function strategyOf(props: Pick<ContainerServiceProps, "spot" | "minTasks">) {
  return props.spot
    ? [
        { capacityProvider: "FARGATE", base: props.minTasks, weight: 0 },
        { capacityProvider: "FARGATE_SPOT", weight: 1 },
      ]
    : [{ capacityProvider: "FARGATE", base: 0, weight: 1 }];
}

/** The blue/green task sets' target groups: blue's, then green's (CodeDeploy's pair). */
const SETS = ["blue", "green"] as const;

export interface ContainerServiceProps extends PipelineStepResources {
  /** `<appName>-<env>-<workload>`: the service's, task family's, roles' and alarms' names. */
  readonly name: string;
  /** The container's name in the task definition (the workload's). */
  readonly containerName: string;
  readonly clusterName: string;
  readonly clusterArn: string;
  /** What the service waits for: the cluster's capacity providers' association. @default [] */
  readonly clusterReady?: readonly ITerraformDependable[];
  readonly vpcId: string;
  readonly privateSubnetIds: readonly string[];
  readonly albSecurityGroupId: string;
  /** The listeners that serve the application: the service's rule goes on each. */
  readonly listenerArns: readonly string[];
  readonly paths: readonly string[];
  /** The rule's priority on each listener (1-50000, unique per listener). */
  readonly priority: number;
  readonly port: number;
  readonly healthCheckPath: string;
  readonly cpu: number;
  readonly memory: number;
  /** The image until the first release (the repository, tag "initial": no task starts before a release). */
  readonly initialImage: string;
  /** The repository the tasks pull from (in the tooling account). */
  readonly repositoryArn: string;
  readonly logGroupName: string;
  readonly logGroupArn: string;
  /** Plain values the container gets: what it is and where, never a setting or a secret. */
  readonly environment: Readonly<Record<string, string>>;
  /** Settings and secrets, each by the ARN of the parameter or secret that holds it (the task definition's `secrets`). */
  readonly secrets: readonly { readonly name: string; readonly valueFrom: string }[];
  /** What the execution role needs to fetch them (RuntimeConfig.grantFetch). */
  readonly fetchGrants: readonly PolicyStatement[];
  readonly minTasks: number;
  readonly maxTasks: number;
  readonly cpuTarget: number;
  /** Tasks above the minimum on FARGATE_SPOT. */
  readonly spot: boolean;
  /** Working hours (no task outside them). @default - always on */
  readonly schedule?: Schedule;
  /** The health alarms of each target group, as the EC2 service's (HealthAlarms); 5xx and unhealthy hosts stop a deployment. */
  readonly alarms: Omit<HealthAlarmsProps, "name" | "targetGroupArnSuffix" | "autoScalingGroupName" | "ecsService">;
  /**
   * Blue/green through CodeDeploy's ECS deployment: how traffic moves, and the test listener on
   * which the replacement tasks answer before any production traffic reaches them.
   * @default - rolling deployments
   */
  readonly blueGreen?: { readonly settings: BlueGreenSettings; readonly testListenerArn: string };
}

/** The step program, run by node in CodeBuild (runtime/container-steps.js), without its comments. */
export function containerStepsProgram(): string {
  return compactScript("container-steps.js");
}

/**
 * A container service on Fargate (docs/workloads.md, "Containers"): its tasks in the private
 * subnets, reached only from the load balancer through a listener rule of its own, with a task
 * definition Terraform keeps (size, roles, settings and secrets, logs) whose image each release
 * sets, target-tracking scaling, and the deployment step its pipeline runs.
 *
 * What deployments own, and Terraform leaves alone (lifecycle ignore_changes), so that a plan after
 * a release is empty:
 * - the service's task definition (each release registers a revision) and desired count (scaling's);
 * - in blue/green, the service's load balancer and the listener rules' actions (CodeDeploy moves
 *   the tasks between the two target groups and the traffic with them).
 */
export class ContainerService extends Construct {
  readonly securityGroup: SecurityGroup;
  /** One, or blue's and green's. */
  readonly targetGroups: LbTargetGroup[];
  readonly taskDefinition: EcsTaskDefinition;
  readonly service: EcsService;
  readonly executionRole: ServiceRole;
  readonly taskRole: ServiceRole;
  /** Its listener rules: one per listener that serves the application. */
  readonly rules: LbListenerRule[];
  /** Blue/green: the test listener's rule, to the replacement tasks' target group. */
  readonly testRule?: LbListenerRule;
  /** One set per target group (blue's and green's in blue/green). */
  readonly alarms: HealthAlarms[];
  /** The pipeline's deploy step (runtime/container-steps.js), in the environment's account. */
  readonly deployProject: CodebuildProject;
  readonly deployRole: ServiceRole;
  /** Blue/green only. */
  readonly codeDeploy?: {
    readonly application: CodedeployApp;
    readonly group: CodedeployDeploymentGroup;
    readonly role: ServiceRole;
    /** The deployment configuration's name, as written (a literal: the deploy step's grant names it). */
    readonly configName: string;
  };

  constructor(scope: Construct, id: string, props: ContainerServiceProps) {
    super(scope, id);
    validateProps(this, "modules/constructs/container-service.ts", [
      {
        field: "memory",
        value: props.memory,
        ok: (FARGATE_SIZES[props.cpu] ?? []).includes(props.memory),
        message: `must be a memory Fargate allows with ${props.cpu} CPU units (${(FARGATE_SIZES[props.cpu] ?? []).join(", ") || "none: the CPU is not a Fargate size"})`,
      },
      { field: "priority", value: props.priority, ok: inRange(props.priority, 1, 50000), message: "must be 1-50000" },
      {
        field: "maxTasks",
        value: props.maxTasks,
        ok: props.minTasks >= 1 && props.maxTasks >= props.minTasks,
        message: "must be at least minTasks, which must be at least 1",
      },
      { field: "paths", value: props.paths, ok: props.paths.length >= 1 && props.paths.length <= 5, message: "needs 1-5 path patterns" },
      {
        field: "listenerArns",
        value: props.listenerArns,
        ok: props.listenerArns.length >= 1 && (!props.blueGreen || props.listenerArns.length === 1),
        message:
          "needs the listener(s) that serve the application; in blue/green exactly one (CodeDeploy API reference, TrafficRoute: listenerArns holds at most one)",
      },
    ]);
    const { name, port } = props;
    const blueGreen = props.blueGreen;

    this.securityGroup = new SecurityGroup(this, "tasks-sg", {
      name: `${name}-tasks`,
      description: `Tasks of ${name}: its port from the load balancer only`,
      vpcId: props.vpcId,
    });
    new VpcSecurityGroupIngressRule(this, "tasks-from-alb", {
      securityGroupId: this.securityGroup.id,
      description: "The container's port from the ALB",
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      referencedSecurityGroupId: props.albSecurityGroupId,
    });
    new VpcSecurityGroupEgressRule(this, "alb-to-tasks", {
      securityGroupId: props.albSecurityGroupId,
      description: `The container port of ${name}'s tasks`,
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      referencedSecurityGroupId: this.securityGroup.id,
    });
    new VpcSecurityGroupEgressRule(this, "tasks-https-out", {
      securityGroupId: this.securityGroup.id,
      description: "HTTPS to AWS APIs (ECR, CloudWatch Logs, SSM, Secrets Manager)",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      cidrIpv4: "0.0.0.0/0",
    });

    // Fargate tasks register by IP (ECS developer guide, "Use load balancing to distribute Amazon
    // ECS service traffic": awsvpc needs target type ip).
    const targetGroup = (idSuffix: string, tgName: string) =>
      new LbTargetGroup(this, `targets${idSuffix}`, {
        name: tgName,
        vpcId: props.vpcId,
        port,
        protocol: "HTTP",
        targetType: "ip",
        deregistrationDelay: "30",
        healthCheck: targetHealthCheck(props.healthCheckPath),
      });
    this.targetGroups = blueGreen
      ? SETS.map((set) => targetGroup(`-${set}`, fitName(`${name}-${set[0]}`, 32)))
      : [targetGroup("", fitName(name, 32))];
    this.alarms = this.targetGroups.map(
      (t, i) =>
        new HealthAlarms(this, `alarms${blueGreen ? `-${SETS[i]}` : ""}`, {
          ...props.alarms,
          name: blueGreen ? `${name}-${SETS[i]}` : name,
          targetGroupArnSuffix: t.arnSuffix,
          ecsService: { clusterName: props.clusterName, serviceName: props.containerName },
        }),
    );
    const deploymentAlarms = this.alarms.flatMap((a) => a.deploymentAlarms.map((alarm) => alarm.alarmName));
    // Where traffic goes is a deployment's in blue/green: CodeDeploy rewrites the rules' actions.
    const ruleLifecycle = blueGreen ? { lifecycle: { ignoreChanges: ["action"] } } : {};
    // The service and the deployment group need their target groups attached to the load balancer
    // first: CreateService refuses a target group without one, and CodeDeploy a pair that does not
    // identify a load balancer (dependsOn below).
    this.rules = props.listenerArns.map(
      (listenerArn, i) =>
        new LbListenerRule(this, `rule-${i}`, {
          listenerArn,
          priority: props.priority,
          condition: [{ pathPattern: { values: [...props.paths] } }],
          action: [{ type: "forward", targetGroupArn: this.targetGroups[0].arn }],
          ...ruleLifecycle,
        }),
    );
    if (blueGreen) {
      this.testRule = new LbListenerRule(this, "test-rule", {
        listenerArn: blueGreen.testListenerArn,
        priority: props.priority,
        condition: [{ pathPattern: { values: [...props.paths] } }],
        action: [{ type: "forward", targetGroupArn: this.targetGroups[1].arn }],
        ...ruleLifecycle,
      });
    }

    this.executionRole = new ServiceRole(this, "execution-role", {
      roleName: `${name}-execution`,
      service: "ecs-tasks.amazonaws.com",
      accountId: props.accountId,
      sourceArns: [arn(props, "ecs", "*")],
      // ECS developer guide, "Amazon ECS task execution IAM role": pull from ECR, write the awslogs
      // stream, and fetch the `secrets` from Parameter Store and Secrets Manager.
      statements: [
        { sid: "SignInToTheRegistry", actions: ["ecr:GetAuthorizationToken"], resources: ["*"] },
        {
          sid: "PullOwnImage",
          actions: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
          resources: [props.repositoryArn],
        },
        {
          sid: "WriteOwnLogStreams",
          actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
          resources: [`${props.logGroupArn}:log-stream:${props.containerName}/*`],
        },
        ...props.fetchGrants,
      ],
    });
    // What the application itself may do in AWS: nothing yet; a workload that needs more adds it here.
    this.taskRole = new ServiceRole(this, "task-role", {
      roleName: `${name}-task`,
      service: "ecs-tasks.amazonaws.com",
      accountId: props.accountId,
      sourceArns: [arn(props, "ecs", "*")],
      statements: [],
    });
    this.taskDefinition = new EcsTaskDefinition(this, "task", {
      family: name,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: String(props.cpu),
      memory: String(props.memory),
      executionRoleArn: this.executionRole.arn,
      taskRoleArn: this.taskRole.arn,
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
      // The root file system is read-only: the application writes to /tmp only, a task volume.
      volume: [{ name: "tmp" }],
      containerDefinitions: JSON.stringify([
        {
          name: props.containerName,
          image: props.initialImage,
          essential: true,
          privileged: false,
          readonlyRootFilesystem: true,
          portMappings: [{ containerPort: port, protocol: "tcp" }],
          mountPoints: [{ sourceVolume: "tmp", containerPath: "/tmp", readOnly: false }],
          environment: Object.entries(props.environment).map(([n, value]) => ({ name: n, value })),
          secrets: props.secrets.map((s) => ({ name: s.name, valueFrom: s.valueFrom })),
          linuxParameters: { initProcessEnabled: true },
          logConfiguration: {
            logDriver: "awslogs",
            options: { "awslogs-group": props.logGroupName, "awslogs-region": props.region, "awslogs-stream-prefix": props.containerName },
          },
        },
      ]),
      // Revisions the pipeline registered stay registered: a rollback needs the previous one.
      skipDestroy: true,
      dependsOn: this.executionRole.grants,
    });

    const strategy = strategyOf(props);
    this.service = new EcsService(this, "service", {
      name: props.containerName,
      cluster: props.clusterArn,
      taskDefinition: this.taskDefinition.arn,
      desiredCount: props.minTasks,
      capacityProviderStrategy: strategy,
      networkConfiguration: { subnets: [...props.privateSubnetIds], securityGroups: [this.securityGroup.id], assignPublicIp: false },
      loadBalancer: [{ targetGroupArn: this.targetGroups[0].arn, containerName: props.containerName, containerPort: port }],
      healthCheckGracePeriodSeconds: 60,
      propagateTags: "SERVICE",
      enableEcsManagedTags: true,
      ...(blueGreen
        ? { deploymentController: { type: "CODE_DEPLOY" } }
        : {
            deploymentController: { type: "ECS" },
            // A release that cannot start its tasks, or that trips an alarm, is rolled back by ECS
            // (ECS developer guide, "How the Amazon ECS deployment circuit breaker detects
            // failures" and "How CloudWatch alarms detect Amazon ECS deployment failures").
            deploymentCircuitBreaker: { enable: true, rollback: true },
            alarms: { alarmNames: deploymentAlarms, enable: true, rollback: true },
            deploymentMinimumHealthyPercent: 100,
            deploymentMaximumPercent: 200,
          }),
      lifecycle: {
        // Of a CODE_DEPLOY service, UpdateService changes neither its network configuration, its
        // load balancer nor its task definition: a deployment does (ECS API reference,
        // UpdateService); the release's AppSpec carries them (runtime/container-steps.js).
        ignoreChanges: [
          "desired_count",
          "task_definition",
          ...(blueGreen ? ["load_balancer", "capacity_provider_strategy", "network_configuration"] : []),
        ],
      },
      dependsOn: [...this.executionRole.grants, ...this.rules, ...(props.clusterReady ?? [])],
    });

    this.scaling(props);
    if (blueGreen) this.codeDeploy = this.blueGreenDeployment(props, blueGreen, deploymentAlarms);
    ({ project: this.deployProject, role: this.deployRole } = this.deploySteps(props));
  }

  /** Target tracking on the tasks' CPU, and the working hours where the environment sleeps. */
  private scaling(props: ContainerServiceProps): void {
    const resourceId = `service/${props.clusterName}/${props.containerName}`;
    const target = new AppautoscalingTarget(this, "scaling-target", {
      serviceNamespace: "ecs",
      scalableDimension: "ecs:service:DesiredCount",
      resourceId,
      minCapacity: props.minTasks,
      maxCapacity: props.maxTasks,
      // The schedule owns the bounds while it exists (as the fleet's: modules/constructs/app-fleet.ts).
      ...(props.schedule ? { lifecycle: { ignoreChanges: ["min_capacity", "max_capacity"] } } : {}),
      dependsOn: [this.service],
    });
    new AppautoscalingPolicy(this, "scaling-cpu", {
      name: `${props.name}-cpu-target`,
      policyType: "TargetTrackingScaling",
      serviceNamespace: target.serviceNamespace,
      scalableDimension: target.scalableDimension,
      resourceId: target.resourceId,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: props.cpuTarget,
        predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
        scaleInCooldown: 300,
        scaleOutCooldown: 60,
      },
    });
    const { schedule } = props;
    if (!schedule) return;
    // Application Auto Scaling's cron has six fields, seconds last-but-one: cron(min hour dom month dow year).
    const at = (hour: number) => `cron(0 ${hour} ? * ${schedule.days} *)`;
    const action = (id: string, hour: number, min: number, max: number) =>
      new AppautoscalingScheduledAction(this, id, {
        name: `${props.name}-${id} ${schedule.days} ${hour}:00`.replace(/[^A-Za-z0-9_-]/g, "_"),
        serviceNamespace: target.serviceNamespace,
        scalableDimension: target.scalableDimension,
        resourceId: target.resourceId,
        schedule: at(hour),
        timezone: schedule.timeZone,
        scalableTargetAction: { minCapacity: String(min), maxCapacity: String(max) },
      });
    action("wake", schedule.wake, props.minTasks, props.maxTasks);
    action("sleep", schedule.sleep, 0, 0);
  }

  /**
   * CodeDeploy's ECS blue/green (CodeDeploy user guide, "Deployments on an Amazon ECS compute
   * platform"): a replacement task set in the other target group, served on the test listener,
   * which waits (deployment_ready_option STOP_DEPLOYMENT) until the pipeline has tested it and lets
   * it continue; traffic then moves as the environment's blueGreen settings say, watched by the
   * alarms, and the original task set stops `releaseAfterMinutes` later.
   */
  private blueGreenDeployment(
    props: ContainerServiceProps,
    blueGreen: NonNullable<ContainerServiceProps["blueGreen"]>,
    deploymentAlarms: readonly string[],
  ) {
    const { name } = props;
    const application = new CodedeployApp(this, "codedeploy-application", { name, computePlatform: "ECS" });
    const { settings } = blueGreen;
    const configName = `${name}-${settings.traffic === "linear" ? `linear-${settings.stepPercent}-every-${settings.stepMinutes}` : "all-at-once"}`;
    const config = new CodedeployDeploymentConfig(this, "codedeploy-config", {
      deploymentConfigName: configName,
      // A changed shift is a new configuration: the group moves to it before the old one goes
      // (DeleteDeploymentConfig refuses a configuration in use).
      lifecycle: { createBeforeDestroy: true },
      computePlatform: "ECS",
      trafficRoutingConfig:
        settings.traffic === "linear"
          ? { type: "TimeBasedLinear", timeBasedLinear: { percentage: settings.stepPercent, interval: settings.stepMinutes } }
          : { type: "AllAtOnce" },
    });
    const role = new ServiceRole(this, "codedeploy-role", {
      roleName: `${name}-codedeploy`,
      service: "codedeploy.amazonaws.com",
      accountId: props.accountId,
      sourceArns: [arn(props, "codedeploy", `deploymentgroup:${name}/*`)],
      // AWS's documented role policy for ECS deployments (CodeDeploy user guide, "Step 2: Create a
      // service role for CodeDeploy": AWSCodeDeployRoleForECS), and passing the task's roles.
      managedPolicyArns: [managedPolicyArn("AWSCodeDeployRoleForECS")],
      statements: [
        {
          sid: "PassOwnTaskRolesToEcs",
          actions: ["iam:PassRole"],
          resources: [this.executionRole.arn, this.taskRole.arn],
          conditions: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
        },
      ],
    });
    const group = new CodedeployDeploymentGroup(this, "codedeploy-group", {
      appName: application.name,
      deploymentGroupName: name,
      serviceRoleArn: role.arn,
      deploymentConfigName: config.deploymentConfigName,
      deploymentStyle: { deploymentType: "BLUE_GREEN", deploymentOption: "WITH_TRAFFIC_CONTROL" },
      ecsService: { clusterName: props.clusterName, serviceName: this.service.name },
      blueGreenDeploymentConfig: {
        // The pipeline's tests run on the test listener, then ShiftTraffic continues it; a
        // deployment nobody continues within the hour stops (and rolls back).
        deploymentReadyOption: { actionOnTimeout: "STOP_DEPLOYMENT", waitTimeInMinutes: 60 },
        terminateBlueInstancesOnDeploymentSuccess: { action: "TERMINATE", terminationWaitTimeInMinutes: settings.releaseAfterMinutes },
      },
      loadBalancerInfo: {
        targetGroupPairInfo: {
          prodTrafficRoute: { listenerArns: [...props.listenerArns] },
          testTrafficRoute: { listenerArns: [blueGreen.testListenerArn] },
          targetGroup: this.targetGroups.map((t) => ({ name: t.name })),
        },
      },
      autoRollbackConfiguration: { enabled: true, events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"] },
      alarmConfiguration: {
        enabled: true,
        alarms: [...deploymentAlarms],
        ignorePollAlarmFailure: false,
      },
      dependsOn: [...role.grants, ...this.rules, ...(this.testRule ? [this.testRule] : [])],
    });
    return { application, group, role, configName };
  }

  /** The project that runs the pipeline's deploy steps, with exactly what they call. */
  private deploySteps(props: ContainerServiceProps) {
    const { name } = props;
    const serviceArn = arn(props, "ecs", `service/${props.clusterName}/${props.containerName}`);
    const codeDeploy = this.codeDeploy;
    const settings = props.blueGreen?.settings;
    // A blue/green shift waits for every traffic step, then for the original tasks' release.
    const shiftMinutes = settings
      ? (settings.traffic === "linear" ? Math.ceil(100 / settings.stepPercent) * settings.stepMinutes : 0) + settings.releaseAfterMinutes
      : 0;
    const timeoutMinutes = 30 + shiftMinutes;
    const statements: PolicyStatement[] = [
      {
        // Task definitions are described and registered by family; neither call takes a resource
        // (Service Authorization Reference, Amazon ECS: DescribeTaskDefinition, RegisterTaskDefinition).
        sid: "RegisterRevisionsOfOwnTask",
        actions: ["ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"],
        resources: ["*"],
      },
      {
        // Registering a task definition that names roles passes them (ECS developer guide, "Task IAM role").
        sid: "PassOwnTaskRolesToEcs",
        actions: ["iam:PassRole"],
        resources: [this.executionRole.arn, this.taskRole.arn],
        conditions: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
      },
      ...(codeDeploy
        ? [
            {
              sid: "DeployToOwnGroup",
              actions: ["codedeploy:CreateDeployment", "codedeploy:GetDeployment", "codedeploy:ListDeployments"],
              resources: [arn(props, "codedeploy", `deploymentgroup:${name}/${name}`)],
            },
            {
              // The CodeDeploy permissions reference names the deployment group for ContinueDeployment;
              // the Service Authorization Reference lists no resource type for it, and the IAM
              // simulation (__tests__/synth/iam-simulation.test.ts) follows the latter: "*".
              sid: "LetOwnDeploymentsMoveTraffic",
              actions: ["codedeploy:ContinueDeployment"],
              resources: ["*"],
            },
            {
              sid: "RegisterOwnRevisions",
              actions: ["codedeploy:GetApplicationRevision", "codedeploy:RegisterApplicationRevision"],
              resources: [arn(props, "codedeploy", `application:${name}`)],
            },
            {
              sid: "ReadOwnDeploymentConfig",
              actions: ["codedeploy:GetDeploymentConfig"],
              resources: [arn(props, "codedeploy", `deploymentconfig:${codeDeploy.configName}`)],
            },
          ]
        : [{ sid: "UpdateOwnService", actions: ["ecs:UpdateService", "ecs:DescribeServices"], resources: [serviceArn] }]),
    ];
    // Its own scope: its log group, role and project are `deploy/logs`, `deploy/role`, `deploy/project`.
    return pipelineStepProject(new Construct(this, "deploy"), {
      ...props,
      projectName: `${name}-deploy`,
      description: `Deploys each release of ${name}: a revision of its task definition with the release's image`,
      statements,
      program: {
        commands: [
          `echo ${Buffer.from(containerStepsProgram()).toString("base64")} | base64 -d > /tmp/container-steps.js`,
          "node /tmp/container-steps.js",
        ],
      },
      variables: {
        CONTAINER: props.containerName,
        CLUSTER: props.clusterName,
        SERVICE: props.containerName,
        TEMPLATE: this.taskDefinition.arn,
        TIMEOUT_MINUTES: String(timeoutMinutes),
        ...(codeDeploy
          ? {
              APPLICATION: name,
              DEPLOYMENT_GROUP: name,
              PORT: String(props.port),
              // What Terraform cannot change on a CODE_DEPLOY service: each release's AppSpec does.
              // (AppSpec "resources" section for ECS: NetworkConfiguration, CapacityProviderStrategy.)
              NETWORK: JSON.stringify({
                AwsvpcConfiguration: {
                  Subnets: [...props.privateSubnetIds],
                  SecurityGroups: [this.securityGroup.id],
                  AssignPublicIp: "DISABLED",
                },
              }),
              CAPACITY: JSON.stringify(
                strategyOf(props).map((s) => ({ CapacityProvider: s.capacityProvider, Base: s.base ?? 0, Weight: s.weight })),
              ),
            }
          : {}),
      },
      buildTimeout: timeoutMinutes + 10,
      // One release at a time on the service.
      concurrentBuildLimit: 1,
    });
  }

  /** Running the deploy steps from the workload's pipeline. */
  grantDeploy(): PolicyStatement {
    return {
      sid: "RunOwnContainerDeploy",
      actions: ["codebuild:StartBuild", "codebuild:BatchGetBuilds"],
      resources: [this.deployProject.arn],
    };
  }
}
