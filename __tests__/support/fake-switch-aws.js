#!/usr/bin/env node
"use strict";
// A stand-in for the AWS APIs the traffic switch calls (runtime/traffic-switch.js), answering
// as the AWS CLI v2 does with --output json. In process, `handle(world, args)` answers one call;
// as a command (`aws` on PATH), it keeps the world in the JSON file FAKE_SWITCH_WORLD.
//
// The world: the live-slot parameter, the listener's weights, each slot's Auto Scaling group and
// its targets' health (the fleet's, or a target's own), the alarms, and what a CodeDeploy deployment to each slot ends as. A group
// resized upwards gets its new instances in service only after the next sleep (`tick`), as a
// launch takes time.

/** @param {any} config the switch's SWITCH_CONFIG */
function createWorld(config, { live = "blue", serving = 2, max = 6 } = {}) {
  const idle = live === "blue" ? "green" : "blue";
  const group = (count) => ({ min: count, max, desired: count, instances: instances(count, 0) });
  return {
    config,
    parameter: live,
    weights: { [live]: 100, [idle]: 0 },
    groups: { [live]: group(serving), [idle]: group(0) },
    health: { [live]: "healthy", [idle]: "healthy" },
    /** A target's own health, by instance id, where it differs from its fleet's (`health`). */
    targetHealth: {},
    alarms: Object.fromEntries(Object.values(config.slots).flatMap((s) => s.alarms.map((a) => [a, "OK"]))),
    deploymentOutcome: { blue: "Succeeded", green: "Succeeded" },
    deployments: [],
    /** Deployments still running in each slot's group, each finishing after that many polls. */
    running: { blue: [], green: [] },
    /** Instances never come into service (a launch that fails). */
    launchesFail: false,
    clock: 0,
    calls: [],
    /** Changes made at a time: [{ at: ms, alarm: name, state }]. */
    events: [],
    log: [],
  };
}

let serial = 0;
function instances(count, from) {
  return Array.from({ length: count }, (_, i) => ({
    InstanceId: `i-${(from + i + ++serial).toString(16).padStart(17, "0")}`,
    LifecycleState: "InService",
    HealthStatus: "Healthy",
  }));
}

const slotOfArn = (world, arn) => Object.keys(world.config.slots).find((s) => world.config.slots[s].targetGroupArn === arn);
const slotOfGroup = (world, name) => Object.keys(world.config.slots).find((s) => world.config.slots[s].group === name);
const slotOfDeploymentGroup = (world, name) => Object.keys(world.config.slots).find((s) => world.config.slots[s].deploymentGroup === name);

class AwsError extends Error {}

/** Advances the clock: pending launches come into service, scheduled events happen. */
function tick(world, seconds) {
  world.clock += seconds * 1000;
  for (const g of Object.values(world.groups)) {
    if (!world.launchesFail) for (const i of g.instances) if (i.LifecycleState === "Pending") i.LifecycleState = "InService";
  }
  for (const e of world.events.filter((e) => e.at <= world.clock && !e.done)) {
    e.done = true;
    world.alarms[e.alarm] = e.state;
  }
}

function opt(args, name) {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
}

/** Answers one `aws` call, as the CLI's JSON output. */
function handle(world, args) {
  world.calls.push(args.filter((a) => a !== "--output" && a !== "json"));
  const [service, operation] = args;
  const op = `${service} ${operation}`;
  switch (op) {
    case "ssm get-parameter":
      if (opt(args, "--name") !== world.config.parameter) throw new AwsError("ParameterNotFound");
      return { Parameter: { Name: world.config.parameter, Type: "String", Value: world.parameter, Version: 1 } };
    case "ssm put-parameter":
      if (!args.includes("--overwrite")) throw new AwsError("ParameterAlreadyExists");
      world.parameter = opt(args, "--value");
      return { Version: 2, Tier: "Standard" };
    case "elbv2 describe-listeners":
      // As an in-place environment's listener was created: forwarding to blue alone (ALB reports weight 1).
      if (world.singleForward) {
        const arn = world.config.slots.blue.targetGroupArn;
        return {
          Listeners: [
            {
              DefaultActions: [
                { Type: "forward", TargetGroupArn: arn, ForwardConfig: { TargetGroups: [{ TargetGroupArn: arn, Weight: 1 }] } },
              ],
            },
          ],
        };
      }
      return {
        Listeners: [
          {
            ListenerArn: opt(args, "--listener-arns"),
            DefaultActions: [
              {
                Type: "forward",
                ForwardConfig: {
                  TargetGroups: Object.entries(world.weights).map(([slot, Weight]) => ({
                    TargetGroupArn: world.config.slots[slot].targetGroupArn,
                    Weight,
                  })),
                },
              },
            ],
          },
        ],
      };
    case "elbv2 modify-listener": {
      const [action] = JSON.parse(opt(args, "--default-actions"));
      const groups = action.ForwardConfig.TargetGroups;
      // The test listener: which slot it sends the tests to (the one with all the weight).
      if ((world.config.testListenerArns ?? []).includes(opt(args, "--listener-arn"))) {
        world.testSlot = slotOfArn(world, groups.find((g) => g.Weight === 100).TargetGroupArn);
        return { Listeners: [] };
      }
      if (groups.reduce((n, g) => n + g.Weight, 0) !== 100)
        throw new AwsError("ValidationError: weights must add up (this switch always sends 100)");
      for (const g of groups) world.weights[slotOfArn(world, g.TargetGroupArn)] = g.Weight;
      world.singleForward = false;
      world.log.push({ at: world.clock, weights: { ...world.weights } });
      return { Listeners: [] };
    }
    case "elbv2 describe-target-health": {
      const slot = slotOfArn(world, opt(args, "--target-group-arn"));
      return {
        TargetHealthDescriptions: world.groups[slot].instances
          .filter((i) => i.LifecycleState === "InService")
          .map((i) => ({ i, state: world.targetHealth[i.InstanceId] ?? world.health[slot] }))
          .map(({ i, state }) => ({
            Target: { Id: i.InstanceId, Port: 8080 },
            TargetHealth:
              state === "healthy"
                ? { State: "healthy" }
                : {
                    State: "unhealthy",
                    Reason: "Target.ResponseCodeMismatch",
                    Description: "Health checks failed with these codes: [503]",
                  },
          })),
      };
    }
    case "autoscaling describe-auto-scaling-groups": {
      const slot = slotOfGroup(world, opt(args, "--auto-scaling-group-names"));
      if (!slot) return { AutoScalingGroups: [] };
      const g = world.groups[slot];
      return {
        AutoScalingGroups: [
          {
            AutoScalingGroupName: world.config.slots[slot].group,
            MinSize: g.min,
            MaxSize: g.max,
            DesiredCapacity: g.desired,
            Instances: g.instances,
          },
        ],
      };
    }
    case "autoscaling update-auto-scaling-group": {
      const g = world.groups[slotOfGroup(world, opt(args, "--auto-scaling-group-name"))];
      const min = Number(opt(args, "--min-size") ?? g.min);
      const desired = Number(opt(args, "--desired-capacity") ?? Math.max(g.desired, min));
      if (min > g.max || desired > g.max || desired < min) throw new AwsError("ValidationError: min <= desired <= max");
      g.min = min;
      g.desired = desired;
      if (g.instances.length > desired) g.instances = g.instances.slice(0, desired);
      else g.instances.push(...instances(desired - g.instances.length, 100).map((i) => ({ ...i, LifecycleState: "Pending" })));
      return {};
    }
    case "cloudwatch describe-alarms": {
      const names = args.slice(args.indexOf("--alarm-names") + 1).filter((a) => !a.startsWith("--") && a !== "json");
      return {
        MetricAlarms: names.map((AlarmName) => ({
          AlarmName,
          StateValue: world.alarms[AlarmName],
          StateReason: `Threshold Crossed (${AlarmName})`,
        })),
      };
    }
    case "deploy list-deployments": {
      const slot = slotOfDeploymentGroup(world, opt(args, "--deployment-group-name"));
      world.running[slot] = world.running[slot].map((d) => ({ ...d, polls: d.polls - 1 })).filter((d) => d.polls >= 0);
      return { deployments: world.running[slot].map((d) => d.id) };
    }
    case "deploy create-deployment": {
      const slot = slotOfDeploymentGroup(world, opt(args, "--deployment-group-name"));
      if (opt(args, "--application-name") !== world.config.application || !slot) throw new AwsError("DeploymentGroupDoesNotExistException");
      if (world.running[slot].length) throw new AwsError("DeploymentLimitExceededException");
      const deploymentId = `d-FAKE${world.deployments.length + 1}`;
      world.deployments.push({ deploymentId, slot, revision: JSON.parse(opt(args, "--revision")), polls: 0 });
      return { deploymentId };
    }
    case "deploy get-deployment": {
      const d = world.deployments.find((x) => x.deploymentId === opt(args, "--deployment-id"));
      d.polls += 1;
      if (d.polls < 2) return { deploymentInfo: { deploymentId: d.deploymentId, status: "InProgress" } };
      const status = world.deploymentOutcome[d.slot];
      return {
        deploymentInfo: {
          deploymentId: d.deploymentId,
          status,
          ...(status === "Failed"
            ? {
                errorInformation: {
                  code: "HEALTH_CONSTRAINTS",
                  message: "The overall deployment failed because too many individual instances failed deployment",
                },
              }
            : {}),
        },
      };
    }
    default:
      throw new AwsError(`not supported by the fake: ${op}`);
  }
}

module.exports = { createWorld, handle, tick, AwsError };

if (require.main === module) {
  const fs = require("fs");
  const file = process.env.FAKE_SWITCH_WORLD;
  const world = JSON.parse(fs.readFileSync(file, "utf8"));
  try {
    const out = handle(world, process.argv.slice(2));
    fs.writeFileSync(file, JSON.stringify(world));
    process.stdout.write(JSON.stringify(out, null, 4) + "\n");
  } catch (e) {
    fs.writeFileSync(file, JSON.stringify(world));
    process.stderr.write(`\nAn error occurred (${e.message}) when calling the operation\n`);
    process.exit(254);
  }
}
