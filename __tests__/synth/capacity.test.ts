import {
  NETWORK,
  configProblems,
  onlyResource,
  resourceAt,
  resourcesOf,
  shippedConfig,
  synthAll,
  synthApp,
  type Json,
} from "../support/helpers";
import { TIER_DEFAULTS } from "../../modules/config";
import { deploymentWindow } from "../../modules/lib/pipeline-stages";

// Capacity that follows demand (target tracking), the clock (working hours) and Spot prices.
const shipped = synthAll(shippedConfig());
const dev = shipped["app-dev"];
const prod = shipped["app-prod"];
const staging = shipped["app-staging"];
const group = (stack: Json) => onlyResource(stack, "aws_autoscaling_group");
/** Every fleet's group: one in place, blue and green in production. */
const groups = (stack: Json) => resourcesOf(stack, "aws_autoscaling_group");
/** The service's pipeline (the sites' are site-<name>-pipeline). */
const servicePipeline = (stack: Json) => resourceAt(stack, "aws_codepipeline", "pipeline");
const deployStage = (pipeline: Json) => pipeline.stage.find((s: Json) => s.name === "Deploy");

const problems = (envs: Record<string, unknown>): string[] => configProblems(envs);

describe("target tracking", () => {
  it.each(Object.keys(shipped).filter((s) => s.startsWith("app-")))("scales %s's fleet on CPU at its tier's target", (name) => {
    const stack = shipped[name];
    const tier = shippedConfig().environments.find((e) => `app-${e.name}` === name)!.tier;
    // One policy per fleet: the only one, or blue and green (production).
    const ids = Object.keys(stack.resource.aws_autoscaling_group);
    expect(ids).toEqual(tier === "production" ? ["fleet_group", "fleet_group_green"] : ["fleet_group"]);
    const policies = resourcesOf(stack, "aws_autoscaling_policy");
    expect(policies.map((p) => p.autoscaling_group_name)).toEqual(ids.map((id) => `\${aws_autoscaling_group.${id}.name}`));
    for (const policy of policies) {
      expect(policy).toMatchObject({
        policy_type: "TargetTrackingScaling",
        target_tracking_configuration: {
          predefined_metric_specification: { predefined_metric_type: "ASGAverageCPUUtilization" },
          target_value: TIER_DEFAULTS[tier].cpuTarget,
        },
      });
    }
    for (const g of groups(stack)) expect(g.default_instance_warmup).toBe(300);
  });

  it("tracks the ALB's requests per target when asked, labelled with the load balancer and target group", () => {
    const stack = synthApp("qa", {
      tier: "preproduction",
      network: NETWORK,
      compute: { scaling: { metric: "requests", target: 600, warmupSeconds: 240 } },
    });
    expect(onlyResource(stack, "aws_autoscaling_policy").target_tracking_configuration).toEqual({
      predefined_metric_specification: {
        predefined_metric_type: "ALBRequestCountPerTarget",
        resource_label: "${aws_lb.web_alb.arn_suffix}/${aws_lb_target_group.web_targets.arn_suffix}",
      },
      target_value: 600,
    });
    expect(group(stack).default_instance_warmup).toBe(240);
  });

  it("leaves the desired capacity to the policy: an apply never resets it", () => {
    expect(group(staging).lifecycle.ignore_changes).toEqual(["desired_capacity"]);
    // Blue/green: which fleet serves (its minimum) belongs to deployments too (docs/blue-green.md, "Blue/green").
    for (const g of groups(prod)) expect(g.lifecycle.ignore_changes).toEqual(["desired_capacity", "min_size"]);
  });

  it("lets instances launched by a scale-out get the release, and runs the stop hooks before a scale-in", () => {
    for (const stack of [staging, prod]) {
      for (const deployment of resourcesOf(stack, "aws_codedeploy_deployment_group")) {
        expect(deployment.outdated_instances_strategy).toBe("UPDATE");
        expect(deployment.termination_hook_enabled).toBe(true);
      }
    }
  });
});

describe("working hours", () => {
  it("put development to sleep outside weekdays 07-19 UTC by default, and wake it with its own capacity", () => {
    const schedules = resourcesOf(dev, "aws_autoscaling_schedule");
    expect(schedules.map((s) => [s.scheduled_action_name, s.recurrence, s.time_zone, s.min_size, s.max_size, s.desired_capacity])).toEqual([
      // The name carries the schedule, so that a changed time replaces the action.
      ["webapp-dev-sleep MON-FRI 19:00 Etc/UTC", "0 19 * * MON-FRI", "Etc/UTC", 0, 0, 0],
      ["webapp-dev-wake MON-FRI 7:00 Etc/UTC", "0 7 * * MON-FRI", "Etc/UTC", 1, 2, 1],
    ]);
    // The schedule owns the bounds while it exists: an apply at night must not wake the fleet.
    expect(group(dev).lifecycle.ignore_changes).toEqual(["desired_capacity", "min_size", "max_size"]);
  });

  it("let the service deploy only from an hour after waking to an hour before sleeping; sites any time", () => {
    expect(deployStage(servicePipeline(dev)).before_entry).toEqual({
      condition: {
        result: "FAIL",
        rule: [
          {
            name: "DeploymentWindow",
            rule_type_id: { category: "Rule", owner: "AWS", provider: "DeploymentWindow", version: "1" },
            configuration: { Cron: "* * 8-17 ? * MON-FRI", TimeZone: "UTC" },
          },
        ],
      },
    });
    const site = resourcesOf(dev, "aws_codepipeline").find((p) => p.name.startsWith("dev-storefront-"))!;
    expect(deployStage(site).before_entry).toBeUndefined();
    expect(deployStage(servicePipeline(prod)).before_entry).toBeUndefined();
  });

  it("follow an environment's own hours and time zone, or none", () => {
    const custom = synthApp("dev", {
      tier: "development",
      network: NETWORK,
      schedule: { timeZone: "Europe/Paris", days: "MON,WED,FRI", wake: 9, sleep: 12 },
    });
    expect(resourcesOf(custom, "aws_autoscaling_schedule").map((s) => `${s.recurrence} ${s.time_zone}`)).toEqual([
      "0 12 * * MON,WED,FRI Europe/Paris",
      "0 9 * * MON,WED,FRI Europe/Paris",
    ]);
    expect(deploymentWindow({ timeZone: "Europe/Paris", days: "MON,WED,FRI", wake: 9, sleep: 12 }).cron).toBe("* * 10 ? * MON,WED,FRI");
    // The rule takes Region/City names as they are, and UTC as "UTC", not the Etc/UTC that Auto Scaling takes.
    expect(deploymentWindow({ timeZone: "Europe/Paris", days: "MON-FRI", wake: 7, sleep: 19 }).timeZone).toBe("Europe/Paris");
    expect(deploymentWindow({ timeZone: "Etc/UTC", days: "MON-FRI", wake: 7, sleep: 19 }).timeZone).toBe("UTC");
    const always = synthApp("dev", { tier: "development", network: NETWORK, schedule: false });
    expect(resourcesOf(always, "aws_autoscaling_schedule")).toEqual([]);
    expect(deployStage(servicePipeline(always)).before_entry).toBeUndefined();
  });
});

describe("Spot", () => {
  it("runs development on Spot from the instance type and its same-size sibling, rebalanced before interruptions", () => {
    const g = group(dev);
    expect(g.launch_template).toBeUndefined();
    expect(g.capacity_rebalance).toBe(true);
    expect(g.mixed_instances_policy.instances_distribution).toEqual({
      on_demand_base_capacity: 0,
      on_demand_percentage_above_base_capacity: 0,
      spot_allocation_strategy: "price-capacity-optimized",
    });
    expect(g.mixed_instances_policy.launch_template.override).toEqual([{ instance_type: "t3.micro" }, { instance_type: "t3a.micro" }]);
  });

  it("keeps the other tiers on demand unless asked, and production's minimum on demand when asked", () => {
    for (const g of [group(staging), ...groups(prod)]) {
      expect(g.mixed_instances_policy).toBeUndefined();
      expect(g.launch_template).toEqual({ id: "${aws_launch_template.fleet_template.id}", version: "$Latest" });
    }
    const live = synthApp("live", {
      tier: "production",
      network: NETWORK,
      compute: { spot: { instanceTypes: ["t3.small", "t3a.small"] } },
    });
    for (const g of groups(live)) {
      expect(g.mixed_instances_policy.instances_distribution.on_demand_base_capacity).toBe(TIER_DEFAULTS.production.minCapacity);
    }
  });
});

describe("capacity configuration", () => {
  it("reports every problem at once", () => {
    const found = problems({
      prod: {
        tier: "production",
        network: NETWORK,
        compute: { spot: { onDemandBase: 1, instanceTypes: ["t3.small", "t4g.small"] }, scaling: { target: 95 } },
        schedule: { timeZone: "UTC", wake: 8, sleep: 18 },
      },
      dev: {
        tier: "development",
        network: NETWORK,
        compute: { instanceType: "t4g.micro", minCapacity: 2, desiredCapacity: 2, maxCapacity: 2 },
      },
      demo: { tier: "development", network: NETWORK, schedule: { timeZone: "Mars/Olympus", wake: 9, sleep: 18 } },
      qa: { tier: "preproduction", network: NETWORK, compute: { scaling: { metric: "requests", target: 12.5 } } },
    });
    expect(found.sort()).toEqual([
      "environments/demo.ts schedule.timeZone: must be an IANA time zone such as Europe/Paris or UTC",
      "environments/dev.ts compute.maxCapacity: must be greater than compute.minCapacity (2): target tracking needs room to add instances under load",
      "environments/dev.ts compute.spot.instanceTypes: needs at least two instance types (t4g.micro has no same-size sibling): Spot capacity from one pool is often unavailable; list them, or set compute.spot to false",
      "environments/prod.ts compute.scaling.target: is a CPU utilisation in percent: use 10-90 (near 100 there is no headroom left to react)",
      "environments/prod.ts compute.spot.instanceTypes: is arm64, but t3.small is x86_64: the launch template's AMI fits one architecture",
      "environments/prod.ts compute.spot.onDemandBase: must be at least compute.minCapacity (2) in production: its minimum runs on demand, and only capacity above it may be interrupted",
      "environments/prod.ts schedule: a production environment is never scheduled to zero: remove schedule (or set it to false)",
      "environments/prod.ts schedule: cannot apply to a blue-green environment, whose serving fleet changes with each deployment: remove schedule (or set it to false), or deploy in-place",
      "environments/qa.ts compute.scaling.target: is requests per instance per minute: a whole number up to 100000",
    ]);
  });

  it("refuses working hours too short for a deployment window", () => {
    expect(problems({ dev: { tier: "development", network: NETWORK, schedule: { timeZone: "UTC", wake: 9, sleep: 11 } } })).toEqual([
      "environments/dev.ts schedule.sleep: must be at least 3 hours after wake (9): deployments run from an hour after waking to an hour before sleeping",
    ]);
  });
});
