// @ts-check
"use strict";
/**
 * Blue/green for a service on two Auto Scaling groups behind one ALB listener (docs/blue-green.md,
 * "Blue/green"). It runs in the environment's traffic CodeBuild project, one step per pipeline
 * action, and needs only the AWS CLI (CodeBuild's standard image has it):
 *
 *   prepare  all traffic to the recorded live fleet (an interrupted shift is undone), the idle
 *            fleet sized like the live one, and in service; the test listener to the idle fleet
 *            alone (the acceptance tests, between install and shift, reach it there)
 *   install  the build's revision onto the idle fleet with CodeDeploy (in place, behind the idle
 *            fleet's own target group, so its health check must pass), waited for
 *   shift    with the idle fleet's targets healthy and its alarms quiet, traffic moves step by step;
 *            the old fleet stays ready for `releaseAfterMinutes`; an alarm at any point sends all
 *            traffic back to the old fleet and fails the action. Then the new live slot is recorded.
 *   release  the old fleet, which no longer receives traffic, scaled to zero
 *
 * Every step reads the live slot from its parameter, so each can run again after a failure.
 * Terraform owns the listener's existence and the groups' maximum; these steps own the listener's
 * weights, the groups' minimum and desired capacity, and the parameter's value (ignore_changes).
 *
 * The configuration comes from SWITCH_CONFIG (JSON, written by modules/constructs/traffic-switch.ts)
 * and the step from STEP.
 */

/** A refusal or failure with a message for the person reading the build log. */
class SwitchError extends Error {}

/** @typedef {"blue" | "green"} Slot */
/**
 * @typedef {object} SlotConfig
 * @property {string} group Auto Scaling group name
 * @property {string} targetGroupArn
 * @property {string} deploymentGroup CodeDeploy deployment group name
 * @property {string[]} alarms alarms that stop a shift onto this slot
 */
/**
 * @typedef {object} SwitchConfig
 * @property {string} application CodeDeploy application
 * @property {string} parameter the live slot's parameter
 * @property {string[]} listenerArns the listeners whose forward action carries the weights
 * @property {string[]} testListenerArns the listeners that forward to the idle fleet alone
 * @property {number} minSize the serving fleet's minimum
 * @property {number[]} steps the new fleet's weight at each step, ending at 100
 * @property {number} stepMinutes
 * @property {number} releaseAfterMinutes
 * @property {number} pollSeconds
 * @property {number} launchTimeoutMinutes
 * @property {Record<Slot, SlotConfig>} slots
 */
/**
 * @typedef {object} Context
 * @property {SwitchConfig} config
 * @property {(args: string[]) => any} aws runs `aws <args>` and returns its JSON output
 * @property {(seconds: number) => void} sleep
 * @property {() => number} now milliseconds
 * @property {(line: string) => void} log
 * @property {Record<string, string | undefined>} env
 */

/** @param {Slot} slot @returns {Slot} */
const other = (slot) => (slot === "blue" ? "green" : "blue");

/** @param {Context} ctx @returns {Slot} */
function liveSlot(ctx) {
  const { parameter } = ctx.config;
  const value = ctx.aws(["ssm", "get-parameter", "--name", parameter]).Parameter.Value;
  if (value !== "blue" && value !== "green") {
    throw new SwitchError(
      `${parameter} holds "${value}", which is not a slot: set it to the fleet that serves (aws ssm put-parameter --name ${parameter} --value blue --overwrite)`,
    );
  }
  return value;
}

/**
 * Each slot's share of the traffic, in percent, from the first listener's forward action (the
 * switch gives all its listeners the same). A listener Terraform created for an in-place
 * environment forwards to blue alone (no weights, or weight 1): that is 100 % to blue.
 * @param {Context} ctx
 */
function weights(ctx) {
  /** @type {Record<Slot, number>} */
  const found = { blue: 0, green: 0 };
  const arn = ctx.config.listenerArns[0];
  const listener = ctx.aws(["elbv2", "describe-listeners", "--listener-arns", arn]).Listeners[0];
  const forward = (listener.DefaultActions ?? []).find((/** @type {any} */ a) => a.Type === "forward");
  const groups =
    forward?.ForwardConfig?.TargetGroups ?? (forward?.TargetGroupArn ? [{ TargetGroupArn: forward.TargetGroupArn, Weight: 1 }] : []);
  const total = groups.reduce((/** @type {number} */ n, /** @type {any} */ g) => n + (g.Weight ?? 1), 0);
  for (const tg of groups) {
    const slot = slotOf(ctx, tg.TargetGroupArn);
    if (slot && total > 0) found[slot] = Math.round((100 * (tg.Weight ?? 1)) / total);
  }
  return found;
}

/** @param {Context} ctx @param {string} arn @returns {Slot | undefined} */
function slotOf(ctx, arn) {
  return /** @type {Slot[]} */ (["blue", "green"]).find((s) => ctx.config.slots[s].targetGroupArn === arn);
}

/** Sends `percent` of the traffic to `slot` and the rest to the other one. @param {Context} ctx @param {Slot} slot @param {number} percent */
function route(ctx, slot, percent) {
  const { slots, listenerArns } = ctx.config;
  const action = {
    Type: "forward",
    ForwardConfig: {
      TargetGroups: [
        { TargetGroupArn: slots[slot].targetGroupArn, Weight: percent },
        { TargetGroupArn: slots[other(slot)].targetGroupArn, Weight: 100 - percent },
      ],
      TargetGroupStickinessConfig: { Enabled: false },
    },
  };
  for (const arn of listenerArns) {
    ctx.aws(["elbv2", "modify-listener", "--listener-arn", arn, "--default-actions", JSON.stringify([action])]);
  }
  ctx.log(`traffic: ${slot} ${percent} %, ${other(slot)} ${100 - percent} %`);
}

/** Points the test listeners at `slot` alone: the release there answers before any traffic moves to it. @param {Context} ctx @param {Slot} slot */
function routeTests(ctx, slot) {
  const { slots, testListenerArns = [] } = ctx.config;
  const action = {
    Type: "forward",
    ForwardConfig: {
      TargetGroups: [
        { TargetGroupArn: slots[slot].targetGroupArn, Weight: 100 },
        { TargetGroupArn: slots[other(slot)].targetGroupArn, Weight: 0 },
      ],
      TargetGroupStickinessConfig: { Enabled: false },
    },
  };
  for (const arn of testListenerArns) {
    ctx.aws(["elbv2", "modify-listener", "--listener-arn", arn, "--default-actions", JSON.stringify([action])]);
  }
  if (testListenerArns.length) ctx.log(`test listener: ${slot}`);
}

/** @param {Context} ctx @param {Slot} slot */
function group(ctx, slot) {
  const name = ctx.config.slots[slot].group;
  const found = ctx.aws(["autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", name]).AutoScalingGroups[0];
  if (!found) throw new SwitchError(`the Auto Scaling group ${name} does not exist: apply the environment's stack (cdktf deploy)`);
  return found;
}

/** @param {Context} ctx @param {Slot} slot @param {number} min @param {number} [desired] */
function resize(ctx, slot, min, desired) {
  const name = ctx.config.slots[slot].group;
  const args = ["autoscaling", "update-auto-scaling-group", "--auto-scaling-group-name", name, "--min-size", String(min)];
  if (desired !== undefined) args.push("--desired-capacity", String(desired));
  ctx.aws(args);
  ctx.log(`${slot} (${name}): minimum ${min}${desired === undefined ? "" : `, desired ${desired}`}`);
}

/** @param {Context} ctx @param {Slot} slot */
function inService(ctx, slot) {
  return (group(ctx, slot).Instances ?? []).filter(
    (/** @type {any} */ i) => i.LifecycleState === "InService" && i.HealthStatus === "Healthy",
  ).length;
}

/** The alarms of `slot` that are in ALARM. @param {Context} ctx @param {Slot} slot */
function firing(ctx, slot) {
  const names = ctx.config.slots[slot].alarms;
  if (!names.length) return [];
  const { MetricAlarms = [] } = ctx.aws(["cloudwatch", "describe-alarms", "--alarm-names", ...names]);
  return MetricAlarms.filter((/** @type {any} */ a) => a.StateValue === "ALARM");
}

/**
 * Waits `minutes`, checking the alarms of `slot` every poll; on an alarm, all traffic goes back to
 * `fallback` and the step fails. @param {Context} ctx @param {Slot} slot @param {Slot} fallback
 * @param {number} minutes @param {string} during
 */
function watch(ctx, slot, fallback, minutes, during) {
  const end = ctx.now() + minutes * 60_000;
  for (;;) {
    const alarms = firing(ctx, slot);
    if (alarms.length) {
      route(ctx, fallback, 100);
      resize(ctx, fallback, ctx.config.minSize);
      const list = alarms.map((/** @type {any} */ a) => `${a.AlarmName} (${a.StateReason})`).join("; ");
      throw new SwitchError(
        `rolled back ${during}: ${list}. All traffic is back on ${fallback}; ${slot} keeps the new release for inspection until the next deployment.`,
      );
    }
    const left = end - ctx.now();
    if (left <= 0) return;
    ctx.sleep(Math.min(ctx.config.pollSeconds, Math.ceil(left / 1000)));
  }
}

/** @param {Context} ctx */
function prepare(ctx) {
  const live = liveSlot(ctx);
  const idle = other(live);
  const now = weights(ctx);
  if (now[live] !== 100) {
    ctx.log(
      `an earlier shift was interrupted (blue ${now.blue} %, green ${now.green} %): all traffic goes back to ${live}, the recorded live fleet`,
    );
    route(ctx, live, 100);
  }
  const serving = group(ctx, live);
  const idleGroup = group(ctx, idle);
  const target = Math.min(Math.max(ctx.config.minSize, serving.DesiredCapacity), idleGroup.MaxSize);
  ctx.log(`${live} serves with ${serving.DesiredCapacity} instances; ${idle} is prepared with ${target}`);
  resize(ctx, idle, target, target);
  routeTests(ctx, idle);
  const end = ctx.now() + ctx.config.launchTimeoutMinutes * 60_000;
  for (;;) {
    const ready = inService(ctx, idle);
    if (ready >= target) return ctx.log(`${idle}: ${ready} instances in service`);
    if (ctx.now() >= end) {
      throw new SwitchError(
        `${idle} has ${ready} of ${target} instances in service after ${ctx.config.launchTimeoutMinutes} minutes: see aws autoscaling describe-scaling-activities --auto-scaling-group-name ${ctx.config.slots[idle].group}. ${live} still serves all traffic.`,
      );
    }
    ctx.sleep(ctx.config.pollSeconds);
  }
}

/** The revision CodePipeline handed the action: CODEBUILD_SOURCE_VERSION is its S3 object's ARN. @param {Context} ctx */
function revision(ctx) {
  const source = ctx.env.CODEBUILD_SOURCE_VERSION ?? "";
  const match = /^arn:aws[a-z-]*:s3:::([^/]+)\/(.+)$/.exec(source);
  if (!match) {
    throw new SwitchError(
      `CODEBUILD_SOURCE_VERSION is "${source}", not an S3 object ARN: the install step must run from the pipeline, with the build's artifact as its input`,
    );
  }
  return { revisionType: "S3", s3Location: { bucket: match[1], key: match[2], bundleType: "zip" } };
}

const FINISHED = ["Succeeded", "Failed", "Stopped"];

/**
 * Waits until the slot's deployment group runs no deployment: CodeDeploy runs one at a time per
 * group, and a rollback of an earlier failure, or an instance's launch deployment, may still run.
 * @param {Context} ctx @param {Slot} slot
 */
function waitForIdleGroup(ctx, slot) {
  const { application, slots, launchTimeoutMinutes } = ctx.config;
  const end = ctx.now() + launchTimeoutMinutes * 60_000;
  for (;;) {
    const { deployments = [] } = ctx.aws([
      "deploy",
      "list-deployments",
      "--application-name",
      application,
      "--deployment-group-name",
      slots[slot].deploymentGroup,
      "--include-only-statuses",
      "Created",
      "Queued",
      "InProgress",
      "Baking",
    ]);
    if (!deployments.length) return;
    if (ctx.now() >= end) {
      throw new SwitchError(
        `${slots[slot].deploymentGroup} still runs ${deployments.join(", ")} after ${launchTimeoutMinutes} minutes: wait for it, or stop it (aws deploy stop-deployment), then run the pipeline again`,
      );
    }
    ctx.log(`${slots[slot].deploymentGroup} runs ${deployments.join(", ")}: waiting`);
    ctx.sleep(ctx.config.pollSeconds);
  }
}

/** @param {Context} ctx */
function install(ctx) {
  const live = liveSlot(ctx);
  const idle = other(live);
  const share = weights(ctx)[idle];
  if (share !== 0)
    throw new SwitchError(
      `${idle} receives ${share} % of the traffic, so it is not idle: run the pipeline again (its first step returns all traffic to ${live})`,
    );
  const { application, slots } = ctx.config;
  waitForIdleGroup(ctx, idle);
  const { deploymentId } = ctx.aws([
    "deploy",
    "create-deployment",
    "--application-name",
    application,
    "--deployment-group-name",
    slots[idle].deploymentGroup,
    "--revision",
    JSON.stringify(revision(ctx)),
    "--description",
    `Blue/green: onto ${idle} while ${live} serves`,
  ]);
  ctx.log(`deployment ${deploymentId} to ${slots[idle].deploymentGroup}`);
  for (;;) {
    const info = ctx.aws(["deploy", "get-deployment", "--deployment-id", deploymentId]).deploymentInfo;
    if (info.status === "Succeeded") return ctx.log(`deployment ${deploymentId} succeeded on ${idle}`);
    if (FINISHED.includes(info.status)) {
      const why = info.errorInformation ? `${info.errorInformation.code}: ${info.errorInformation.message}` : "no reason given";
      throw new SwitchError(
        `deployment ${deploymentId} to ${idle} ${info.status.toLowerCase()} (${why}). ${live} still serves all traffic.`,
      );
    }
    ctx.sleep(ctx.config.pollSeconds);
  }
}

/** Refuses a shift onto a fleet whose targets are not all healthy. @param {Context} ctx @param {Slot} slot @param {Slot} live */
function requireHealthy(ctx, slot, live) {
  const { TargetHealthDescriptions = [] } = ctx.aws([
    "elbv2",
    "describe-target-health",
    "--target-group-arn",
    ctx.config.slots[slot].targetGroupArn,
  ]);
  const sick = TargetHealthDescriptions.filter((/** @type {any} */ t) => t.TargetHealth.State !== "healthy");
  if (!TargetHealthDescriptions.length || sick.length) {
    const list = sick.map(
      (/** @type {any} */ t) =>
        `${t.Target.Id} ${t.TargetHealth.State} (${t.TargetHealth.Reason ?? "-"}: ${t.TargetHealth.Description ?? ""})`,
    );
    throw new SwitchError(
      `${slot} fails the health check, so no traffic moved: ${TargetHealthDescriptions.length ? list.join("; ") : "it has no registered target"}. ${live} still serves all traffic.`,
    );
  }
  ctx.log(`${slot}: ${TargetHealthDescriptions.length} targets healthy`);
}

/** @param {Context} ctx */
function shift(ctx) {
  const live = liveSlot(ctx);
  const idle = other(live);
  const now = weights(ctx);
  if (now[live] !== 100)
    throw new SwitchError(
      `traffic is split (blue ${now.blue} %, green ${now.green} %): run the pipeline again (its first step returns all traffic to ${live})`,
    );
  requireHealthy(ctx, idle, live);
  const early = firing(ctx, idle);
  if (early.length) {
    throw new SwitchError(
      `${early.map((/** @type {any} */ a) => a.AlarmName).join(", ")} in ALARM before the shift, so no traffic moved. ${live} still serves all traffic.`,
    );
  }
  // The old fleet keeps its size until it is released: scale-in as its traffic leaves would leave
  // it too small to take everything back at once.
  const serving = group(ctx, live).DesiredCapacity;
  ctx.log(`${live} is held at ${serving} instances, ready to take the traffic back`);
  resize(ctx, live, serving);
  const { steps, stepMinutes, releaseAfterMinutes } = ctx.config;
  for (const percent of steps) {
    route(ctx, idle, percent);
    if (percent < 100) watch(ctx, idle, live, stepMinutes, `at ${percent} %`);
  }
  ctx.log(`${idle} serves all traffic; ${live} stays ready for ${releaseAfterMinutes} minutes`);
  watch(ctx, idle, live, releaseAfterMinutes, "before the old fleet was released");
  ctx.aws(["ssm", "put-parameter", "--name", ctx.config.parameter, "--value", idle, "--overwrite"]);
  resize(ctx, idle, ctx.config.minSize);
  ctx.log(`${idle} is live`);
}

/** @param {Context} ctx */
function release(ctx) {
  const live = liveSlot(ctx);
  const old = other(live);
  const share = weights(ctx)[old];
  if (share !== 0)
    throw new SwitchError(
      `${old} still receives ${share} % of the traffic, so it stays: run the pipeline again (its first step returns all traffic to ${live})`,
    );
  resize(ctx, old, 0, 0);
  ctx.log(`${old} released: ${live} serves alone`);
}

const STEPS = { prepare, install, shift, release };

/** Runs one step; a SwitchError becomes its message and a failure. @param {string | undefined} step @param {Context} ctx */
function run(step, ctx) {
  const fn = STEPS[/** @type {keyof typeof STEPS} */ (step ?? "")];
  if (!fn) throw new SwitchError(`STEP is "${step}": use one of ${Object.keys(STEPS).join(", ")}`);
  fn(ctx);
}

/** The real context: the AWS CLI, a blocking sleep, the clock and stdout. @returns {Context} */
function cliContext() {
  const { execFileSync } = require("child_process");
  return {
    config: JSON.parse(process.env.SWITCH_CONFIG ?? "{}"),
    aws: (args) => {
      const out = execFileSync("aws", [...args, "--output", "json"], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
      return out.trim() ? JSON.parse(out) : {};
    },
    sleep: (seconds) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, seconds * 1000) && undefined,
    now: () => Date.now(),
    log: (line) => console.log(line),
    env: process.env,
  };
}

if (require.main === module) {
  try {
    run(process.env.STEP, cliContext());
  } catch (e) {
    console.error(e instanceof SwitchError ? e.message : e);
    process.exit(1);
  }
}

module.exports = { run, SwitchError, STEPS: Object.keys(STEPS) };
