import {
  asList,
  CONTAINER_ENVIRONMENTS,
  CONTAINER_PROJECT,
  makeConfig,
  NETWORK,
  PROJECT,
  resourceAt,
  resourcesOf,
  roleStatements,
  statementsOf,
  synthAll,
  type Json,
} from "../support/helpers";
import { pipelineProblems, type PipelineStage } from "../../modules/lib/pipeline-stages";
import { TIER_DEFAULTS } from "../../modules/config/tiers";

// A container workload (docs/workloads.md, "Containers") as the stacks make it: beside the service
// in development (rolling, in the tooling account) and in production (blue/green through
// CodeDeploy, in an account of its own); and alone, instead of the service.
const stacks = synthAll(makeConfig(CONTAINER_ENVIRONMENTS, CONTAINER_PROJECT));
const build = stacks.build;
const dev = stacks["app-dev"];
const prod = stacks["app-prod"];
const alone = synthAll(
  makeConfig(
    { dev: { tier: "development", network: NETWORK, settings: { GREETING: "hi" } } },
    {
      ...PROJECT,
      workloads: { api: { kind: "container", repository: "acme/api" }, site: { kind: "static-site", repository: "acme/site" } },
    },
  ),
);

const containerDefinition = (stack: Json) =>
  JSON.parse(resourceAt(stack, "aws_ecs_task_definition", "container_api_task").container_definitions)[0];
const pipelineOf = (stack: Json): Json => resourceAt(stack, "aws_codepipeline", "container_api_pipeline");
const actionsOf = (stack: Json, stageName: string): Json[] => pipelineOf(stack).stage.find((s: Json) => s.name === stageName).action;
const variables = (action: Json): Record<string, string> =>
  Object.fromEntries(JSON.parse(action.configuration.EnvironmentVariables).map((v: Json) => [v.name, v.value]));
const projectVariables = (stack: Json, id: string): Record<string, string> =>
  Object.fromEntries(resourceAt(stack, "aws_codebuild_project", id).environment.environment_variable.map((v: Json) => [v.name, v.value]));

describe("the image: one repository per container workload, in the build stack", () => {
  const repository = resourceAt(build, "aws_ecr_repository", "image_repository_api_repository");

  it("has immutable tags, scan on push, the artifact key, and is never destroyed with its images", () => {
    expect(repository).toMatchObject({
      name: "shop/api",
      image_tag_mutability: "IMMUTABLE",
      image_scanning_configuration: { scan_on_push: true },
      encryption_configuration: [{ encryption_type: "KMS", kms_key: "${aws_kms_key.artifact_key.arn}" }],
      force_delete: false,
      lifecycle: { prevent_destroy: true },
    });
  });

  it("keeps the newest images and expires untagged layers", () => {
    const { rules } = JSON.parse(resourceAt(build, "aws_ecr_lifecycle_policy", "image_repository_api_lifecycle").policy);
    expect(rules.map((r: Json) => r.selection)).toEqual([
      { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 7 },
      { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 200 },
    ]);
  });

  it("lets only the roles of the environments in other accounts pull, and nothing more", () => {
    const [statement, ...more] = statementsOf(resourceAt(build, "aws_ecr_repository_policy", "image_repository_api_policy").policy);
    expect(more).toEqual([]);
    expect(statement).toEqual({
      Sid: "EnvironmentPulls0",
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::210987654321:root" },
      Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
      Condition: { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::210987654321:role/shop-prod-*" } },
    });
    // Within the tooling account IAM decides: no repository policy without another account.
    expect(resourcesOf(alone.build, "aws_ecr_repository_policy")).toEqual([]);
  });

  it("is built by the one privileged project, whose role pushes to the container repositories only", () => {
    const privileged = Object.values(stacks).flatMap((s) =>
      resourcesOf(s, "aws_codebuild_project").filter((p) => p.environment.privileged_mode),
    );
    expect(privileged.map((p) => p.name)).toEqual(["shop-image"]);
    const push = roleStatements(build, "shop-image-codebuild").find((s) => s.Sid === "PushToContainerRepositories")!;
    expect(asList(push.Resource)).toEqual(["${aws_ecr_repository.image_repository_api_repository.arn}"]);
    expect(asList(push.Action)).toContain("ecr:PutImage");
    const buildspec = JSON.parse(resourceAt(build, "aws_codebuild_project", "image_project").source.buildspec);
    expect(buildspec.artifacts).toEqual({ files: ["imagedefinitions.json"] });
    // A project without a container has no image project, nor repository.
    const plain = synthAll(makeConfig({ dev: { tier: "development", network: NETWORK } })).build;
    expect(resourcesOf(plain, "aws_ecr_repository")).toEqual([]);
    expect(resourcesOf(plain, "aws_codebuild_project").map((p) => p.name)).not.toContain("shop-image");
  });
});

describe("the run: a Fargate service behind the environment's load balancer", () => {
  it("takes its own paths on the listener; the service keeps the default route, and the tasks accept the ALB only", () => {
    const [rule] = resourcesOf(dev, "aws_lb_listener_rule");
    expect(rule).toMatchObject({
      priority: 10,
      condition: [{ path_pattern: { values: ["/api/*"] } }],
      action: [{ type: "forward", target_group_arn: "${aws_lb_target_group.container_api_targets.arn}" }],
      listener_arn: "${aws_lb_listener.web_http.arn}",
    });
    expect(resourceAt(dev, "aws_lb_listener", "web_http").default_action).toEqual([
      { type: "forward", target_group_arn: "${aws_lb_target_group.web_targets.arn}" },
    ]);
    expect(resourceAt(dev, "aws_lb_target_group", "container_api_targets")).toMatchObject({ target_type: "ip", port: 8080 });
    const ingress = resourcesOf(dev, "aws_vpc_security_group_ingress_rule").filter(
      (r) => r.security_group_id === "${aws_security_group.container_api_tasks_sg.id}",
    );
    expect(ingress).toEqual([
      expect.objectContaining({ from_port: 8080, to_port: 8080, referenced_security_group_id: "${aws_security_group.web_alb_sg.id}" }),
    ]);
    expect(resourceAt(dev, "aws_ecs_service", "container_api_service").network_configuration).toEqual({
      subnets: NETWORK.privateSubnetIds,
      security_groups: ["${aws_security_group.container_api_tasks_sg.id}"],
      assign_public_ip: false,
    });
  });

  it("alone, it takes every path, and what no rule takes is answered 404", () => {
    const app = alone["app-dev"];
    expect(resourceAt(app, "aws_lb_listener", "web_http").default_action).toEqual([
      { type: "fixed-response", fixed_response: { content_type: "text/plain", status_code: "404", message_body: "Not found" } },
    ]);
    expect(resourcesOf(app, "aws_lb_listener_rule")[0].condition).toEqual([{ path_pattern: { values: ["/*"] } }]);
    expect(resourcesOf(app, "aws_autoscaling_group")).toEqual([]);
    expect(resourcesOf(app, "aws_lb_target_group").map((t) => t.target_type)).toEqual(["ip"]);
    // Its outputs are the environment's: the load balancer's URL, its pipeline, its service.
    expect(app.output.deployment_group.value).toBe("ecs:${aws_ecs_cluster.cluster.name}/api");
  });

  it("gets settings and secrets through `secrets`, never as plain variables, and logs to the environment's group", () => {
    const c = containerDefinition(dev);
    expect(c.secrets).toEqual([
      { name: "LOG_LEVEL", valueFrom: "arn:aws:ssm:us-east-2:111122223333:parameter/shop/dev/settings/LOG_LEVEL" },
      { name: "DB_PASSWORD", valueFrom: "${aws_secretsmanager_secret.runtime_secret_db_password.arn}" },
    ]);
    expect(c.environment.map((e: Json) => e.name).sort()).toEqual(["ENVIRONMENT", "PORT", "WORKLOAD"]);
    expect(JSON.stringify(c.environment)).not.toMatch(/debug|LOG_LEVEL|DB_PASSWORD/);
    expect(c.logConfiguration).toEqual({
      logDriver: "awslogs",
      options: { "awslogs-group": "/shop/dev/application", "awslogs-region": "us-east-2", "awslogs-stream-prefix": "api" },
    });
    // The environment's log group is encrypted with its key.
    expect(resourceAt(dev, "aws_cloudwatch_log_group", "logs").kms_key_id).toBe("${aws_kms_key.key.arn}");
  });

  it("runs unprivileged, on a read-only root file system with /tmp writable, in awsvpc", () => {
    const c = containerDefinition(dev);
    expect(c).toMatchObject({ privileged: false, readonlyRootFilesystem: true, essential: true });
    expect(c.mountPoints).toEqual([{ sourceVolume: "tmp", containerPath: "/tmp", readOnly: false }]);
    expect(resourceAt(dev, "aws_ecs_task_definition", "container_api_task")).toMatchObject({
      network_mode: "awsvpc",
      requires_compatibilities: ["FARGATE"],
      cpu: "256",
      memory: "512",
      skip_destroy: true,
    });
  });

  it("has an execution role that pulls its own image, writes its log streams and fetches exactly its settings and secrets", () => {
    const statements = roleStatements(dev, "shop-dev-api-execution");
    expect(statements.map((s) => s.Sid)).toEqual([
      "SignInToTheRegistry",
      "PullOwnImage",
      "WriteOwnLogStreams",
      "FetchOwnEnvironmentSettings",
      "FetchOwnEnvironmentSecrets",
      "DecryptOwnEnvironmentSettingsAndSecrets",
    ]);
    const by = (sid: string) => statements.find((s) => s.Sid === sid)!;
    expect(by("PullOwnImage").Resource).toBe("arn:aws:ecr:us-east-2:111122223333:repository/shop/api");
    expect(by("FetchOwnEnvironmentSettings").Resource).toBe("arn:aws:ssm:us-east-2:111122223333:parameter/shop/dev/settings/LOG_LEVEL");
    expect(by("FetchOwnEnvironmentSecrets").Resource).toBe("arn:aws:secretsmanager:us-east-2:111122223333:secret:shop/dev/*");
    // Production's tasks run in its account and pull from the tooling account's repository.
    expect(roleStatements(prod, "shop-prod-api-execution").find((s) => s.Sid === "PullOwnImage")!.Resource).toBe(
      "arn:aws:ecr:us-east-2:111122223333:repository/shop/api",
    );
    // The task role grants the application nothing.
    expect(resourcesOf(dev, "aws_iam_role_policy").filter((p) => String(p.name).startsWith("shop-dev-api-task"))).toEqual([]);
  });

  it("scales on CPU between its bounds, sleeps outside working hours where the tier does, and runs above its minimum on Spot there", () => {
    expect(resourceAt(dev, "aws_appautoscaling_target", "container_api_scaling_target")).toMatchObject({
      min_capacity: TIER_DEFAULTS.development.containers.minTasks,
      max_capacity: TIER_DEFAULTS.development.containers.maxTasks,
      resource_id: "service/${aws_ecs_cluster.cluster.name}/api",
    });
    expect(
      resourceAt(dev, "aws_appautoscaling_policy", "container_api_scaling_cpu").target_tracking_scaling_policy_configuration,
    ).toMatchObject({
      target_value: TIER_DEFAULTS.development.cpuTarget,
      predefined_metric_specification: { predefined_metric_type: "ECSServiceAverageCPUUtilization" },
    });
    const actions = resourcesOf(dev, "aws_appautoscaling_scheduled_action").sort((a, b) => b.name.localeCompare(a.name));
    expect(actions.map((a) => [a.schedule, a.scalable_target_action])).toEqual([
      ["cron(0 7 ? * MON-FRI *)", { min_capacity: "1", max_capacity: "2" }],
      ["cron(0 19 ? * MON-FRI *)", { min_capacity: "0", max_capacity: "0" }],
    ]);
    expect(resourceAt(dev, "aws_ecs_service", "container_api_service").capacity_provider_strategy).toEqual([
      { capacity_provider: "FARGATE", base: 1, weight: 0 },
      { capacity_provider: "FARGATE_SPOT", weight: 1 },
    ]);
    // Production: around the clock, on demand, two tasks at least.
    expect(resourcesOf(prod, "aws_appautoscaling_scheduled_action")).toEqual([]);
    expect(resourceAt(prod, "aws_ecs_service", "container_api_service").capacity_provider_strategy).toEqual([
      { capacity_provider: "FARGATE", base: 0, weight: 1 },
    ]);
    expect(resourceAt(prod, "aws_appautoscaling_target", "container_api_scaling_target").min_capacity).toBe(2);
  });

  it("has Container Insights where the tier has it", () => {
    expect(resourceAt(dev, "aws_ecs_cluster", "cluster").setting).toEqual([{ name: "containerInsights", value: "disabled" }]);
    expect(resourceAt(prod, "aws_ecs_cluster", "cluster").setting).toEqual([{ name: "containerInsights", value: "enabled" }]);
    expect(resourceAt(dev, "aws_ecs_cluster_capacity_providers", "cluster_capacity").capacity_providers).toEqual([
      "FARGATE",
      "FARGATE_SPOT",
    ]);
  });
});

describe("the deploy", () => {
  it("rolls with the circuit breaker, and the target group's 5xx and unhealthy-hosts alarms roll it back", () => {
    const service = resourceAt(dev, "aws_ecs_service", "container_api_service");
    expect(service).toMatchObject({
      deployment_controller: { type: "ECS" },
      deployment_circuit_breaker: { enable: true, rollback: true },
      alarms: {
        enable: true,
        rollback: true,
        alarm_names: [
          "${aws_cloudwatch_metric_alarm.container_api_alarms_http_5xx.alarm_name}",
          "${aws_cloudwatch_metric_alarm.container_api_alarms_unhealthy_hosts.alarm_name}",
        ],
      },
      deployment_minimum_healthy_percent: 100,
    });
    expect(resourceAt(dev, "aws_cloudwatch_metric_alarm", "container_api_alarms_http_5xx")).toMatchObject({
      alarm_name: "shop-dev-api-http-5xx",
      dimensions: { TargetGroup: "${aws_lb_target_group.container_api_targets.arn_suffix}" },
      threshold: TIER_DEFAULTS.development.http5xxCount,
    });
    expect(resourceAt(dev, "aws_cloudwatch_metric_alarm", "container_api_alarms_cpu")).toMatchObject({
      namespace: "AWS/ECS",
      dimensions: { ClusterName: "${aws_ecs_cluster.cluster.name}", ServiceName: "api" },
    });
  });

  it("leaves to deployments what they own: the task definition and the count; in blue/green the load balancer and the rules' actions", () => {
    expect(resourceAt(dev, "aws_ecs_service", "container_api_service").lifecycle.ignore_changes).toEqual([
      "desired_count",
      "task_definition",
    ]);
    expect(resourceAt(prod, "aws_ecs_service", "container_api_service").lifecycle.ignore_changes).toEqual([
      "desired_count",
      "task_definition",
      "load_balancer",
      "capacity_provider_strategy",
      "network_configuration",
    ]);
    // What a CODE_DEPLOY service cannot take from Terraform, each release's AppSpec gives (NETWORK, CAPACITY).
    const prodDeploy = projectVariables(prod, "container_api_deploy_project");
    expect(JSON.parse(prodDeploy.NETWORK)).toEqual({
      AwsvpcConfiguration: {
        Subnets: NETWORK.privateSubnetIds,
        SecurityGroups: ["${aws_security_group.container_api_tasks_sg.id}"],
        AssignPublicIp: "DISABLED",
      },
    });
    expect(JSON.parse(prodDeploy.CAPACITY)).toEqual([{ CapacityProvider: "FARGATE", Base: 0, Weight: 1 }]);
    // The service and the group wait for the rules (the target groups on the load balancer) and the capacity providers.
    expect(resourceAt(prod, "aws_ecs_service", "container_api_service").depends_on).toEqual(
      expect.arrayContaining(["aws_lb_listener_rule.container_api_rule_0", "aws_ecs_cluster_capacity_providers.cluster_capacity"]),
    );
    expect(resourceAt(prod, "aws_codedeploy_deployment_group", "container_api_codedeploy_group").depends_on).toEqual(
      expect.arrayContaining(["aws_lb_listener_rule.container_api_rule_0", "aws_lb_listener_rule.container_api_test_rule"]),
    );
    expect(resourceAt(prod, "aws_codedeploy_deployment_config", "container_api_codedeploy_config").lifecycle).toEqual({
      create_before_destroy: true,
    });
    for (const rule of resourcesOf(prod, "aws_lb_listener_rule")) expect(rule.lifecycle).toEqual({ ignore_changes: ["action"] });
    expect(resourcesOf(dev, "aws_lb_listener_rule")[0].lifecycle).toBeUndefined();
  });

  it("in production, goes blue/green through CodeDeploy: two target groups, the test listener, a wait for the tests", () => {
    expect(resourceAt(prod, "aws_ecs_service", "container_api_service").deployment_controller).toEqual({ type: "CODE_DEPLOY" });
    const group = resourceAt(prod, "aws_codedeploy_deployment_group", "container_api_codedeploy_group");
    expect(group.deployment_style).toEqual({ deployment_type: "BLUE_GREEN", deployment_option: "WITH_TRAFFIC_CONTROL" });
    expect(group.blue_green_deployment_config).toEqual({
      deployment_ready_option: { action_on_timeout: "STOP_DEPLOYMENT", wait_time_in_minutes: 60 },
      terminate_blue_instances_on_deployment_success: {
        action: "TERMINATE",
        termination_wait_time_in_minutes: TIER_DEFAULTS.production.blueGreen.releaseAfterMinutes,
      },
    });
    expect(group.load_balancer_info.target_group_pair_info).toEqual({
      prod_traffic_route: { listener_arns: ["${aws_lb_listener.web_https.arn}"] },
      test_traffic_route: { listener_arns: ["${aws_lb_listener.web_test.arn}"] },
      target_group: [
        { name: "${aws_lb_target_group.container_api_targets_blue.name}" },
        { name: "${aws_lb_target_group.container_api_targets_green.name}" },
      ],
    });
    expect(group.auto_rollback_configuration).toEqual({ enabled: true, events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"] });
    expect(group.alarm_configuration.alarms).toHaveLength(4);
    const { blueGreen } = TIER_DEFAULTS.production;
    expect(resourceAt(prod, "aws_codedeploy_deployment_config", "container_api_codedeploy_config").traffic_routing_config).toEqual({
      type: "TimeBasedLinear",
      time_based_linear: { percentage: blueGreen.stepPercent, interval: blueGreen.stepMinutes },
    });
    // The test listener's rule sends the container's paths to the replacement tasks' group.
    const test = resourcesOf(prod, "aws_lb_listener_rule").find((r) => r.listener_arn === "${aws_lb_listener.web_test.arn}")!;
    expect(test.action).toEqual([{ type: "forward", target_group_arn: "${aws_lb_target_group.container_api_targets_green.arn}" }]);
  });

  it("builds on the image project, gates on the image's scan, and deploys with its own step", () => {
    const [buildAction, seal, ...rest] = actionsOf(dev, "Build");
    expect(buildAction.configuration.ProjectName).toBe("shop-image");
    expect(variables(buildAction)).toMatchObject({
      REPOSITORY_URI: "111122223333.dkr.ecr.us-east-2.amazonaws.com/shop/api",
      CONTAINER: "api",
      DOCKERFILE: "Dockerfile",
      BUILD_ARGS: "NODE_ENV",
      NODE_ENV: "production",
    });
    expect(seal.name).toBe("SealArtifact");
    const scan = rest.find((a: Json) => a.name === "ScanImage");
    expect(scan).toMatchObject({ category: "Test", input_artifacts: ["Build"], run_order: 3 });
    expect(projectVariables(dev, "container_api_pipeline_image_scan_project")).toEqual({
      STEP: "scan",
      CONTAINER: "api",
      REPOSITORY: "shop/api",
      FAIL_ON: TIER_DEFAULTS.development.imageScan,
    });
    expect(actionsOf(dev, "Deploy").map((a) => [a.name, variables(a).STEP ?? ""])).toEqual([
      ["Deploy", "deploy"],
      ["AcceptanceTests", ""],
    ]);
    expect(projectVariables(dev, "container_api_deploy_project")).toMatchObject({
      CONTAINER: "api",
      SERVICE: "api",
      TEMPLATE: "${aws_ecs_task_definition.container_api_task.arn}",
    });
    // Production promotes the image that passed dev, gates it at its own level, tests it on the
    // test listener, and only then moves traffic.
    const prodBuild = actionsOf(prod, "Build");
    expect(prodBuild.map((a: Json) => a.name)).toEqual(["Promote", "ScanSecrets", "ScanDependencies", "ScanCode", "ScanImage"]);
    expect(projectVariables(prod, "container_api_pipeline_image_scan_project").FAIL_ON).toBe(TIER_DEFAULTS.production.imageScan);
    expect(actionsOf(prod, "Deploy").map((a) => a.name)).toEqual(["InstallOnIdleTasks", "AcceptanceTests", "ShiftTraffic"]);
    expect(variables(actionsOf(prod, "Deploy")[1]).APP_URL).toBe("https://shop.example.com:8443");
  });

  it("passes the pipeline model, with the image's scan required", () => {
    for (const stack of [dev, prod]) {
      const stages: PipelineStage[] = pipelineOf(stack).stage.map((s: Json) => ({
        name: s.name,
        actions: s.action.map((a: Json) => ({
          name: a.name,
          category: a.category,
          provider: a.provider,
          configuration: a.configuration,
          inputArtifacts: a.input_artifacts ?? [],
          outputArtifacts: a.output_artifacts ?? [],
          runOrder: a.run_order,
          namespace: a.namespace,
        })),
      }));
      expect(pipelineProblems(stages, { requireImageScan: true, requireTests: true })).toEqual([]);
      // Without the gate, the model says so.
      const ungated = stages.map((s) => ({ ...s, actions: s.actions.filter((a) => a.name !== "ScanImage") }));
      expect(pipelineProblems(ungated, { requireImageScan: true })).toEqual(["a container's pipeline needs its ScanImage action"]);
    }
  });

  it("gives the deploy step exactly what it calls", () => {
    const rolling = roleStatements(dev, "shop-dev-api-deploy");
    expect(rolling.map((s) => s.Sid)).toEqual([
      "WriteOwnLogs",
      "ReadOwnPipelineArtifacts",
      "LocateArtifactBucket",
      "DecryptArtifacts",
      "RegisterRevisionsOfOwnTask",
      "PassOwnTaskRolesToEcs",
      "UpdateOwnService",
    ]);
    expect(rolling.find((s) => s.Sid === "UpdateOwnService")!.Resource).toBe(
      "arn:aws:ecs:us-east-2:111122223333:service/${aws_ecs_cluster.cluster.name}/api",
    );
    const blueGreen = roleStatements(prod, "shop-prod-api-deploy");
    expect(blueGreen.find((s) => s.Sid === "DeployToOwnGroup")!.Resource).toBe(
      "arn:aws:codedeploy:us-east-2:210987654321:deploymentgroup:shop-prod-api/shop-prod-api",
    );
    expect(blueGreen.some((s) => asList(s.Action).includes("ecs:UpdateService"))).toBe(false);
  });
});
