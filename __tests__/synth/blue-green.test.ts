import { Testing } from "../../modules/lib/cdk";
import { createStacks } from "../../modules/stacks";
import { TIER_DEFAULTS } from "../../modules/config";
import { BLUE_GREEN_ACTIONS } from "../../modules/lib/pipeline-stages";
import {
  configProblems,
  makeConfig,
  NETWORK,
  resourceAt,
  resourcesOf,
  roleStatements,
  asList,
  shippedConfig,
  synthAll,
  synthApp,
  type Json,
} from "../support/helpers";

// Blue/green (docs/blue-green.md, "Blue/green"): production's default, two fleets that Terraform owns behind
// one listener, whose weights, fleet minimums and live-slot record belong to deployments.
const config = shippedConfig();
const shipped = synthAll(config);
const prod = shipped["app-prod"];

const problems = (envs: Record<string, unknown>) => configProblems(envs);

/** The Terraform addresses of a stack's resources. */
function addresses(stack: Json): string[] {
  return Object.entries(stack.resource as Record<string, Json>).flatMap(([type, byId]) => Object.keys(byId).map((id) => `${type}.${id}`));
}

describe("the deployment style of each tier", () => {
  it("is blue/green in production and in place elsewhere, as the shipped environments show", () => {
    expect(TIER_DEFAULTS.production.deploymentStyle).toBe("blue-green");
    expect(TIER_DEFAULTS.preproduction.deploymentStyle).toBe("in-place");
    expect(TIER_DEFAULTS.development.deploymentStyle).toBe("in-place");
    const styles = Object.fromEntries(config.environments.map((e) => [e.name, e.deployment.style]));
    expect(styles).toEqual({
      demo: "in-place",
      dev: "in-place",
      hotfix: "in-place",
      prod: "blue-green",
      qa: "in-place",
      staging: "in-place",
    });
    for (const [name, stack] of Object.entries(shipped).filter(([n]) => n.startsWith("app-"))) {
      expect([name, resourcesOf(stack, "aws_autoscaling_group").length]).toEqual([name, name === "app-prod" ? 2 : 1]);
    }
  });

  it("gives production linear traffic, 25 % every 5 minutes, and an hour before the old fleet goes; installs all at once on the idle fleet", () => {
    const prodConfig = config.environments.find((e) => e.name === "prod")!;
    expect(prodConfig.deployment).toEqual({
      style: "blue-green",
      config: "CodeDeployDefault.AllAtOnce",
      blueGreen: { traffic: "linear", stepPercent: 25, stepMinutes: 5, releaseAfterMinutes: 60 },
    });
  });

  it("lets any environment choose either style, and all-at-once traffic", () => {
    const [onStaging] = makeConfig({
      staging: {
        tier: "preproduction",
        network: NETWORK,
        deployment: { style: "blue-green", blueGreen: { traffic: "all-at-once", releaseAfterMinutes: 15 } },
      },
    }).environments;
    expect(onStaging.deployment.blueGreen).toEqual({ traffic: "all-at-once", stepPercent: 100, stepMinutes: 5, releaseAfterMinutes: 15 });
    const [inPlaceProd] = makeConfig({ live: { tier: "production", network: NETWORK, deployment: { style: "in-place" } } }).environments;
    expect(inPlaceProd.deployment).toEqual({ style: "in-place", config: "CodeDeployDefault.OneAtATime" });
    const stack = synthApp("live", { tier: "production", network: NETWORK, deployment: { style: "in-place" } });
    expect(resourcesOf(stack, "aws_autoscaling_group")).toHaveLength(1);
    // No traffic switch: the projects are the acceptance tests' and the release steps'.
    expect(Object.keys(stack.resource.aws_codebuild_project)).toEqual(["pipeline_acceptance_project", "pipeline_release_project"]);
  });
});

describe("the configuration refuses", () => {
  it("blue/green settings on an in-place environment, a step size with all-at-once, a shift longer than a build, and working hours", () => {
    expect(
      problems({
        qa: { tier: "preproduction", network: NETWORK, deployment: { blueGreen: { stepPercent: 10 } } },
        staging: {
          tier: "preproduction",
          network: NETWORK,
          deployment: { style: "blue-green", blueGreen: { traffic: "all-at-once", stepPercent: 20 } },
        },
        live: {
          tier: "production",
          network: NETWORK,
          deployment: { blueGreen: { stepPercent: 5, stepMinutes: 20, releaseAfterMinutes: 60 } },
        },
        dev: { tier: "development", network: NETWORK, deployment: { style: "blue-green" } },
      }).sort(),
    ).toEqual([
      "environments/dev.ts schedule: cannot apply to a blue-green environment, whose serving fleet changes with each deployment: remove schedule (or set it to false), or deploy in-place",
      "environments/live.ts deployment.blueGreen: takes 440 minutes from the first step to the release, more than 420 (the traffic step runs in one CodeBuild build, limited to 8 hours): use fewer or shorter steps, or a shorter releaseAfterMinutes",
      'environments/qa.ts deployment.blueGreen: applies to blue-green deployments only, and this environment deploys in-place: set deployment.style to "blue-green" or remove deployment.blueGreen',
      'environments/staging.ts deployment.blueGreen.stepPercent: applies to linear traffic only: all-at-once moves 100 % in one step; remove it or set traffic to "linear"',
    ]);
  });

  it("a name that leaves no room for the green fleet's target group", () => {
    // "shop-production-eu-west-1ab" (27) fits in place; "-green" takes it to 33.
    expect(problems({ "production-eu-west-1ab": { tier: "production", network: NETWORK } })).toContain(
      'environments/production-eu-west-1ab.ts (file name): "shop-production-eu-west-1ab-green" is longer than 32 characters, the limit of target group names, and blue/green names a fleet after each slot: shorten the environment name or appName, or deploy in-place',
    );
    expect(problems({ "production-eu-west-1ab": { tier: "production", network: NETWORK, deployment: { style: "in-place" } } })).toEqual([]);
  });

  it("out-of-range settings, through the schema", () => {
    const found = problems({
      live: {
        tier: "production",
        network: NETWORK,
        deployment: { blueGreen: { stepPercent: 60, stepMinutes: 0, releaseAfterMinutes: 1 } },
      },
    });
    expect(found.some((p) => p.startsWith("environments/live.ts deployment.blueGreen.stepPercent"))).toBe(true);
    expect(found.some((p) => p.startsWith("environments/live.ts deployment.blueGreen.stepMinutes"))).toBe(true);
    expect(found.some((p) => p.startsWith("environments/live.ts deployment.blueGreen.releaseAfterMinutes"))).toBe(true);
  });
});

describe("production's stack", () => {
  it("forwards to both fleets' target groups by weight, all to blue at creation, and leaves the weights to deployments", () => {
    const listener = resourceAt(prod, "aws_lb_listener", "web_https");
    expect(listener.default_action).toEqual([
      {
        type: "forward",
        forward: {
          target_group: [
            { arn: "${aws_lb_target_group.web_targets.arn}", weight: 100 },
            { arn: "${aws_lb_target_group.web_targets_green.arn}", weight: 0 },
          ],
          stickiness: { enabled: false, duration: 1 },
        },
      },
    ]);
    expect(listener.lifecycle).toEqual({ ignore_changes: ["default_action"] });
    // The redirect listener is Terraform's alone.
    expect(resourceAt(prod, "aws_lb_listener", "web_http_redirect").lifecycle).toBeUndefined();
  });

  it("creates blue at the environment's capacity and green empty, both owned by Terraform up to their maximum", () => {
    const blue = resourceAt(prod, "aws_autoscaling_group", "fleet_group");
    const green = resourceAt(prod, "aws_autoscaling_group", "fleet_group_green");
    expect([blue.name, blue.min_size, blue.desired_capacity, blue.max_size]).toEqual(["webapp-prod", 3, 3, 9]);
    expect([green.name, green.min_size, green.desired_capacity, green.max_size]).toEqual(["webapp-prod-green", 0, 0, 9]);
    for (const g of [blue, green]) {
      expect(g.lifecycle.ignore_changes).toEqual(["desired_capacity", "min_size"]);
      expect(g.launch_template).toEqual({ id: "${aws_launch_template.fleet_template.id}", version: "$Latest" });
    }
  });

  it("deploys each fleet in place behind its own target group, with its own alarms, rolled back on failure and alarm", () => {
    const groups = resourcesOf(prod, "aws_codedeploy_deployment_group");
    expect(
      groups.map((g) => [
        g.deployment_group_name,
        g.autoscaling_groups,
        g.load_balancer_info.target_group_info,
        g.alarm_configuration.alarms,
      ]),
    ).toEqual([
      [
        "webapp-prod",
        ["${aws_autoscaling_group.fleet_group.name}"],
        [{ name: "${aws_lb_target_group.web_targets.name}" }],
        ["${aws_cloudwatch_metric_alarm.alarms_http_5xx.alarm_name}", "${aws_cloudwatch_metric_alarm.alarms_unhealthy_hosts.alarm_name}"],
      ],
      [
        "webapp-prod-green",
        ["${aws_autoscaling_group.fleet_group_green.name}"],
        [{ name: "${aws_lb_target_group.web_targets_green.name}" }],
        [
          "${aws_cloudwatch_metric_alarm.alarms_green_http_5xx.alarm_name}",
          "${aws_cloudwatch_metric_alarm.alarms_green_unhealthy_hosts.alarm_name}",
        ],
      ],
    ]);
    for (const g of groups) {
      expect(g.deployment_style).toEqual({ deployment_type: "IN_PLACE", deployment_option: "WITH_TRAFFIC_CONTROL" });
      expect(g.deployment_config_name).toBe("CodeDeployDefault.AllAtOnce");
      expect(g.auto_rollback_configuration.events).toEqual(["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]);
    }
  });

  it("never uses CodeDeploy's own blue/green, which replaces the Auto Scaling group Terraform owns (terraform-provider-aws#4678)", () => {
    for (const stack of Object.values(shipped)) {
      for (const g of resourcesOf(stack, "aws_codedeploy_deployment_group")) {
        expect(g.deployment_style.deployment_type).toBe("IN_PLACE");
        expect(g.blue_green_deployment_config).toBeUndefined();
      }
    }
  });

  it("alarms on each fleet's own target group and group", () => {
    const alarms = resourcesOf(prod, "aws_cloudwatch_metric_alarm").filter((a) => a.namespace !== "AWS/CloudFront");
    expect(alarms.map((a) => a.alarm_name).sort()).toEqual([
      "webapp-prod-cpu-high",
      "webapp-prod-elb-5xx",
      "webapp-prod-green-cpu-high",
      "webapp-prod-green-http-5xx",
      "webapp-prod-green-latency-p99",
      "webapp-prod-green-unhealthy-hosts",
      "webapp-prod-http-5xx",
      "webapp-prod-latency-p99",
      "webapp-prod-storefront-waf-blocked",
      "webapp-prod-unhealthy-hosts",
      "webapp-prod-waf-blocked",
    ]);
    const green5xx = alarms.find((a) => a.alarm_name === "webapp-prod-green-http-5xx")!;
    expect(green5xx.dimensions).toEqual({
      LoadBalancer: "${aws_lb.web_alb.arn_suffix}",
      TargetGroup: "${aws_lb_target_group.web_targets_green.arn_suffix}",
    });
  });

  it("runs the switch's four steps in the Deploy stage, after the approval, with the build's artifact, and the tests before the shift", () => {
    const pipeline = resourceAt(prod, "aws_codepipeline", "pipeline");
    expect(pipeline.stage.map((s: Json) => s.name)).toEqual(["Source", "Build", "Approve", "Deploy", "Record"]);
    const deploy: Json[] = pipeline.stage[3].action;
    const steps = deploy.filter((a) => a.name !== "AcceptanceTests");
    expect(
      steps.map((a: Json) => [
        a.name,
        a.provider,
        a.input_artifacts,
        a.configuration.ProjectName,
        JSON.parse(a.configuration.EnvironmentVariables),
      ]),
    ).toEqual(
      BLUE_GREEN_ACTIONS.map((a) => [
        a.name,
        "CodeBuild",
        ["Build"],
        "${aws_codebuild_project.traffic_project.name}",
        [{ name: "STEP", value: a.step, type: "PLAINTEXT" }],
      ]),
    );
    // One after the other; the acceptance tests reach the idle fleet through the test listener,
    // once the release is installed there and before any traffic moves.
    expect(deploy.map((a) => [a.name, a.run_order])).toEqual([
      ["PrepareIdleFleet", 1],
      ["InstallOnIdleFleet", 2],
      ["AcceptanceTests", 3],
      ["ShiftTraffic", 4],
      ["ReleaseOldFleet", 5],
    ]);
    expect(JSON.parse(deploy[2].configuration.EnvironmentVariables)[0]).toEqual({
      name: "APP_URL",
      value: "https://app.example.com:8443",
      type: "PLAINTEXT",
    });
    // No rollback on a failure: a release that fails its tests never took traffic.
    expect(pipeline.stage[3].on_failure).toBeUndefined();
  });

  it("has a test listener that forwards to the idle fleet, whose target belongs to the switch", () => {
    const test = resourceAt(prod, "aws_lb_listener", "web_test");
    expect(test).toMatchObject({ port: 8443, protocol: "HTTPS", lifecycle: { ignore_changes: ["default_action"] } });
    expect(test.default_action[0].forward.target_group).toEqual([
      { arn: "${aws_lb_target_group.web_targets.arn}", weight: 0 },
      { arn: "${aws_lb_target_group.web_targets_green.arn}", weight: 100 },
    ]);
  });

  it("lets the pipeline run the switch, and not deploy or move traffic itself", () => {
    const actions = roleStatements(prod, "prod-webapp-pipeline").flatMap((s) => asList(s.Action));
    expect(actions).toContain("codebuild:StartBuild");
    expect(
      actions.filter((a) => a.startsWith("codedeploy:") || a.startsWith("elasticloadbalancing:") || a.startsWith("autoscaling:")),
    ).toEqual([]);
  });

  it("gives the switch's build time for every step and wait, and keeps its logs encrypted like the environment's", () => {
    const project = resourceAt(prod, "aws_codebuild_project", "traffic_project");
    expect(project.build_timeout).toBe(3 * 5 + 60 + 60);
    expect(project.logs_config.cloudwatch_logs.group_name).toBe("${aws_cloudwatch_log_group.traffic_logs.name}");
    expect(resourceAt(prod, "aws_cloudwatch_log_group", "traffic_logs")).toMatchObject({
      kms_key_id: "${aws_kms_key.key.arn}",
      retention_in_days: 365,
    });
  });
});

describe("turning blue/green on", () => {
  it("adds green and the switch, and replaces nothing: blue keeps the in-place fleet's addresses and names", () => {
    const env = (style: string) => ({ live: { tier: "production", network: NETWORK, deployment: { style } } });
    const synth = (style: string) => {
      const stacks = createStacks(Testing.app(), makeConfig(env(style)));
      return JSON.parse(Testing.synth(stacks.apps[0])) as Json;
    };
    const inPlace = synth("in-place");
    const blueGreen = synth("blue-green");
    const before = addresses(inPlace);
    const after = addresses(blueGreen);
    expect(before.filter((a) => !after.includes(a))).toEqual([]);
    // The attributes whose change replaces a resource stay as they were.
    for (const [type, id, attrs] of [
      ["aws_autoscaling_group", "fleet_group", ["name"]],
      ["aws_lb_target_group", "web_targets", ["name", "port", "protocol", "vpc_id"]],
      ["aws_codedeploy_deployment_group", "deploy_group", ["app_name", "deployment_group_name"]],
      ["aws_lb_listener", "web_http", ["load_balancer_arn", "port"]],
    ] as const) {
      for (const attr of attrs)
        expect([type, attr, blueGreen.resource[type][id][attr]]).toEqual([type, attr, inPlace.resource[type][id][attr]]);
    }
    expect(after.filter((a) => !before.includes(a)).sort()).toEqual([
      "aws_autoscaling_group.fleet_group_green",
      "aws_autoscaling_policy.fleet_scaling_green",
      "aws_cloudwatch_log_group.traffic_logs",
      "aws_cloudwatch_metric_alarm.alarms_green_cpu",
      "aws_cloudwatch_metric_alarm.alarms_green_http_5xx",
      "aws_cloudwatch_metric_alarm.alarms_green_latency",
      "aws_cloudwatch_metric_alarm.alarms_green_unhealthy_hosts",
      "aws_codebuild_project.traffic_project",
      "aws_codedeploy_deployment_group.deploy_group_green",
      "aws_iam_role.traffic_role",
      "aws_iam_role_policy.traffic_role_policy",
      "aws_lb_listener.web_test",
      "aws_lb_target_group.web_targets_green",
      "aws_ssm_parameter.traffic_live_slot",
      "aws_vpc_security_group_ingress_rule.web_ingress_8080_0_0_0_0_0",
    ]);
  });
});
