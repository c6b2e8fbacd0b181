import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BLUE_GREEN_ACTIONS } from "../../modules/lib/pipeline-stages";
import { shippedConfig, synthAll, resourceAt, type Json } from "../support/helpers";

/* eslint-disable @typescript-eslint/no-require-imports */
const { run, SwitchError, STEPS } = require("../../runtime/traffic-switch.js");
const { createWorld, handle, tick } = require("../support/fake-switch-aws.js");
/* eslint-enable @typescript-eslint/no-require-imports */

// The blue/green steps (runtime/traffic-switch.js) against a simulated AWS, with the
// configuration production's stack gives its traffic project: which fleet serves, how traffic
// moves, what stops it, and that every failure leaves the old fleet serving.
const prod = synthAll(shippedConfig())["app-prod"];
const project: Json = resourceAt(prod, "aws_codebuild_project", "traffic_project");
const CONFIG = JSON.parse(project.environment.environment_variable.find((v: Json) => v.name === "SWITCH_CONFIG").value);
const SOURCE = "arn:aws:s3:::webapp-artifacts-123456789012-eu-west-1/prod-webapp/Build/AbCdEf1.zip";

type World = ReturnType<typeof createWorld>;

function context(world: World, env: Record<string, string> = { CODEBUILD_SOURCE_VERSION: SOURCE }) {
  const lines: string[] = [];
  return {
    lines,
    ctx: {
      config: world.config,
      aws: (args: string[]) => handle(world, args),
      sleep: (seconds: number) => tick(world, seconds),
      now: () => world.clock,
      log: (line: string) => lines.push(line),
      env,
    },
  };
}

/** Runs the steps in order, as the Deploy stage's actions do, stopping at the first failure. */
function deploy(world: World, steps: readonly string[] = STEPS) {
  const { ctx, lines } = context(world);
  for (const step of steps) {
    try {
      run(step, ctx);
    } catch (e) {
      return { failedAt: step, error: e as Error, lines };
    }
  }
  return { lines };
}

/** The calls that move traffic: every listener change but the test listener's (which serves the tests only). */
const modifyCalls = (world: World) =>
  world.calls.filter((c: string[]) => c[1] === "modify-listener" && !world.config.testListenerArns.includes(c[3]));
const minutes = (ms: number) => ms / 60_000;

describe("the configuration production's traffic project carries", () => {
  it("names both fleets' groups, target groups, deployment groups and alarms, and linear 25 % steps", () => {
    expect(CONFIG.steps).toEqual([25, 50, 75, 100]);
    expect(CONFIG.stepMinutes).toBe(5);
    expect(CONFIG.releaseAfterMinutes).toBe(60);
    expect(CONFIG.minSize).toBe(3);
    expect(CONFIG.parameter).toBe("/webapp/prod.live-slot");
    // Blue is the in-place fleet's resources (same addresses); green's take "_green".
    for (const [slot, suffix] of [
      ["blue", ""],
      ["green", "_green"],
    ]) {
      expect(CONFIG.slots[slot]).toEqual({
        group: `\${aws_autoscaling_group.fleet_group${suffix}.name}`,
        targetGroupArn: `\${aws_lb_target_group.web_targets${suffix}.arn}`,
        deploymentGroup: `\${aws_codedeploy_deployment_group.deploy_group${suffix}.deployment_group_name}`,
        alarms: [
          `\${aws_cloudwatch_metric_alarm.alarms${suffix}_http_5xx.alarm_name}`,
          `\${aws_cloudwatch_metric_alarm.alarms${suffix}_unhealthy_hosts.alarm_name}`,
        ],
      });
    }
    expect(CONFIG.listenerArns).toEqual(["${aws_lb_listener.web_https.arn}"]);
  });

  it("has one step per pipeline action, in the order the Deploy stage runs them", () => {
    expect(BLUE_GREEN_ACTIONS.map((a) => a.step)).toEqual(STEPS);
  });
});

describe("a deployment that goes well", () => {
  const world = createWorld(CONFIG, { serving: 3 });
  const result = deploy(world);

  it("ends with green serving all traffic, recorded as live, at the serving minimum, and blue emptied", () => {
    expect(result).not.toHaveProperty("error");
    expect(world.parameter).toBe("green");
    expect(world.weights).toEqual({ blue: 0, green: 100 });
    expect(world.groups.green).toMatchObject({ min: 3, desired: 3 });
    expect(world.groups.blue).toMatchObject({ min: 0, desired: 0, instances: [] });
  });

  it("installs the pipeline's artifact on the idle fleet only, through its deployment group", () => {
    expect(world.deployments).toHaveLength(1);
    expect(world.deployments[0].slot).toBe("green");
    expect(world.deployments[0].revision).toEqual({
      revisionType: "S3",
      s3Location: { bucket: "webapp-artifacts-123456789012-eu-west-1", key: "prod-webapp/Build/AbCdEf1.zip", bundleType: "zip" },
    });
  });

  it("moves traffic 25 % at a time, 5 minutes apart, then keeps blue ready for 60 minutes before releasing it", () => {
    const steps = world.log.map((l: Json) => l.weights.green);
    expect(steps).toEqual([25, 50, 75, 100]);
    const at = world.log.map((l: Json) => minutes(l.at));
    expect(at[1] - at[0]).toBeGreaterThanOrEqual(5);
    expect(at[3] - at[2]).toBeGreaterThanOrEqual(5);
    const recorded = world.calls.findIndex((c: string[]) => c[1] === "put-parameter");
    const released = world.calls.findIndex(
      (c: string[]) => c[1] === "update-auto-scaling-group" && c.includes(CONFIG.slots.blue.group) && c.includes("--desired-capacity"),
    );
    expect(recorded).toBeGreaterThan(-1);
    expect(released).toBeGreaterThan(recorded);
    expect(minutes(world.clock) - at[3]).toBeGreaterThanOrEqual(60);
  });

  it("points the test listener at the idle fleet alone when it prepares it, before the install and the tests", () => {
    const pointed = world.calls.findIndex((c: string[]) => c[1] === "modify-listener" && CONFIG.testListenerArns.includes(c[3]));
    expect(pointed).toBeGreaterThan(-1);
    expect(JSON.parse(world.calls[pointed][5])[0].ForwardConfig.TargetGroups).toEqual([
      { TargetGroupArn: CONFIG.slots.green.targetGroupArn, Weight: 100 },
      { TargetGroupArn: CONFIG.slots.blue.targetGroupArn, Weight: 0 },
    ]);
    expect(pointed).toBeLessThan(world.calls.findIndex((c: string[]) => c[1] === "create-deployment"));
    expect(world.testSlot).toBe("green");
  });

  it("prepares the idle fleet at the serving fleet's current size, and waits until it is in service", () => {
    const resize = world.calls.find((c: string[]) => c[1] === "update-auto-scaling-group" && c.includes(CONFIG.slots.green.group));
    expect(resize).toEqual(expect.arrayContaining(["--min-size", "3", "--desired-capacity", "3"]));
    expect(result.lines.join("\n")).toMatch(/green: 3 instances in service/);
  });

  it("the next deployment goes the other way, to blue", () => {
    world.calls.length = 0;
    world.log.length = 0;
    expect(deploy(world)).not.toHaveProperty("error");
    expect(world.parameter).toBe("blue");
    expect(world.weights).toEqual({ blue: 100, green: 0 });
    expect(world.deployments[1].slot).toBe("blue");
    expect(world.groups.green).toMatchObject({ min: 0, desired: 0 });
  });

  it("carries a scaled-out size over to the new fleet", () => {
    world.groups.blue.desired = 5;
    world.groups.blue.instances.push(
      ...world.groups.blue.instances.slice(0, 2).map((i: Json) => ({ ...i, InstanceId: `${i.InstanceId}x` })),
    );
    expect(deploy(world)).not.toHaveProperty("error");
    expect(world.groups.green).toMatchObject({ min: 3, desired: 5 });
  });
});

describe("the old fleet, ready to take the traffic back", () => {
  it("is held at its size (a scaled-out 5) from the first step until it is released, whatever scale-in would do", () => {
    const world = createWorld(CONFIG, { serving: 5 });
    world.groups.blue.min = 3;
    deploy(world, ["prepare", "install"]);
    const before = world.calls.length;
    deploy(world, ["shift"]);
    const shiftCalls = world.calls.slice(before);
    const pin = shiftCalls.findIndex((c: string[]) => c[1] === "update-auto-scaling-group" && c.includes(CONFIG.slots.blue.group));
    expect(shiftCalls[pin]).toEqual(expect.arrayContaining(["--min-size", "5"]));
    expect(pin).toBeLessThan(shiftCalls.findIndex((c: string[]) => c[1] === "modify-listener"));
    deploy(world, ["release"]);
    expect(world.groups.blue).toMatchObject({ min: 0, desired: 0 });
  });

  it("gets its usual minimum back after a rollback", () => {
    const world = createWorld(CONFIG, { serving: 5 });
    world.groups.blue.min = 3;
    deploy(world, ["prepare", "install"]);
    world.events.push({ at: world.clock + 60_000, alarm: CONFIG.slots.green.alarms[0], state: "ALARM" });
    expect(deploy(world, ["shift"]).error?.message).toMatch(/rolled back at 25 %/);
    expect(world.groups.blue).toMatchObject({ min: 3, desired: 5 });
  });
});

describe("an environment that deployed in place until now", () => {
  it("has a listener that forwards to blue alone: that is all traffic on blue, not an interrupted shift", () => {
    const world = createWorld(CONFIG);
    world.singleForward = true;
    const result = deploy(world);
    expect(result).not.toHaveProperty("error");
    expect(result.lines.join("\n")).not.toMatch(/interrupted/);
    expect(world.log.map((l: Json) => l.weights.green)).toEqual([25, 50, 75, 100]);
  });
});

describe("a failed health check stops the switch", () => {
  it("moves no traffic when the idle fleet's targets are unhealthy, and says which and why", () => {
    const world = createWorld(CONFIG);
    world.health.green = "unhealthy";
    const result = deploy(world);
    expect(result).toMatchObject({ failedAt: "shift" });
    expect(result.error).toBeInstanceOf(SwitchError);
    expect(result.error?.message).toMatch(
      /green fails the health check, so no traffic moved: i-\w+ unhealthy \(Target\.ResponseCodeMismatch/,
    );
    expect(result.error?.message).toMatch(/blue still serves all traffic/);
    expect(modifyCalls(world)).toEqual([]);
    expect(world.parameter).toBe("blue");
  });

  it("moves no traffic when only one of the idle fleet's targets is unhealthy: every target must be healthy, not any", () => {
    const world = createWorld(CONFIG, { serving: 3 });
    deploy(world, ["prepare", "install"]);
    const [first, second, third] = world.groups.green.instances.map((i: Json) => i.InstanceId);
    expect(third).toBeDefined();
    world.targetHealth[second] = "unhealthy";
    const result = deploy(world, ["shift"]);
    expect(result.error?.message).toContain(`green fails the health check, so no traffic moved: ${second} unhealthy`);
    expect(result.error?.message).not.toContain(first);
    expect(modifyCalls(world)).toEqual([]);
    expect(world.parameter).toBe("blue");
  });

  it("moves no traffic when the idle fleet has no target at all", () => {
    const world = createWorld(CONFIG);
    const result = deploy(world, ["shift"]);
    expect(result.error?.message).toMatch(/it has no registered target/);
    expect(modifyCalls(world)).toEqual([]);
  });

  it("moves no traffic when a fleet alarm is already in ALARM", () => {
    const world = createWorld(CONFIG);
    world.alarms[CONFIG.slots.green.alarms[0]] = "ALARM";
    const result = deploy(world);
    expect(result).toMatchObject({ failedAt: "shift" });
    expect(result.error?.message).toMatch(/in ALARM before the shift, so no traffic moved/);
    expect(modifyCalls(world)).toEqual([]);
  });
});

describe("rollback on alarm", () => {
  it("during the shift: all traffic back to blue at once, nothing recorded, green kept for inspection", () => {
    const world = createWorld(CONFIG, { serving: 3 });
    // The 5xx alarm of green fires 7 minutes into the shift (after the second step).
    deploy(world, ["prepare", "install"]);
    world.events.push({ at: world.clock + 7 * 60_000, alarm: CONFIG.slots.green.alarms[0], state: "ALARM" });
    const result = deploy(world, ["shift", "release"]);
    expect(result).toMatchObject({ failedAt: "shift" });
    expect(result.error?.message).toMatch(/rolled back at 50 %: .*http_5xx.* All traffic is back on blue/);
    expect(world.log.map((l: Json) => l.weights.green)).toEqual([25, 50, 0]);
    expect(world.weights).toEqual({ blue: 100, green: 0 });
    expect(world.parameter).toBe("blue");
    expect(world.groups.green.instances.length).toBeGreaterThan(0);
    expect(world.groups.blue.min).toBe(3);
  });

  it("after the switch, while the old fleet waits: traffic goes back to it, which still runs", () => {
    const world = createWorld(CONFIG, { serving: 3 });
    deploy(world, ["prepare", "install"]);
    const shiftStart = world.clock;
    world.events.push({ at: shiftStart + 40 * 60_000, alarm: CONFIG.slots.green.alarms[1], state: "ALARM" });
    const result = deploy(world, ["shift"]);
    expect(result.error?.message).toMatch(/rolled back before the old fleet was released: .*unhealthy_hosts/);
    expect(world.log.map((l: Json) => l.weights.green)).toEqual([25, 50, 75, 100, 0]);
    expect(world.parameter).toBe("blue");
    expect(world.groups.blue).toMatchObject({ min: 3, desired: 3 });
  });

  it("a later deployment after a rollback installs on green again, and can succeed", () => {
    const world = createWorld(CONFIG);
    world.health.green = "unhealthy";
    deploy(world);
    world.health.green = "healthy";
    expect(deploy(world)).not.toHaveProperty("error");
    expect(world.deployments.map((d: Json) => d.slot)).toEqual(["green", "green"]);
    expect(world.parameter).toBe("green");
  });
});

describe("failures before any traffic moves", () => {
  it("a failed CodeDeploy deployment on the idle fleet stops the pipeline, with its reason", () => {
    const world = createWorld(CONFIG);
    world.deploymentOutcome.green = "Failed";
    const result = deploy(world);
    expect(result).toMatchObject({ failedAt: "install" });
    expect(result.error?.message).toMatch(/deployment d-FAKE1 to green failed \(HEALTH_CONSTRAINTS: .*\)\. blue still serves all traffic/);
    expect(modifyCalls(world)).toEqual([]);
  });

  it("an idle fleet that never comes into service fails prepare after the launch timeout, naming where to look", () => {
    const world = createWorld({ ...CONFIG, launchTimeoutMinutes: 10 });
    world.launchesFail = true;
    const result = deploy(world);
    expect(result).toMatchObject({ failedAt: "prepare" });
    expect(result.error?.message).toMatch(
      /green has 0 of 3 instances in service after 10 minutes: see aws autoscaling describe-scaling-activities/,
    );
    expect(minutes(world.clock)).toBeGreaterThanOrEqual(10);
  });

  it("install waits for a deployment still running in the idle group (a rollback, a launch), then deploys", () => {
    const world = createWorld(CONFIG);
    world.running.green = [{ id: "d-ROLLBACK1", polls: 2 }];
    const result = deploy(world);
    expect(result).not.toHaveProperty("error");
    expect(result.lines.join("\n")).toMatch(/runs d-ROLLBACK1: waiting/);
    expect(world.deployments).toHaveLength(1);
  });

  it("install gives up on a deployment that never ends, saying how to stop it", () => {
    const world = createWorld({ ...CONFIG, launchTimeoutMinutes: 5 });
    world.running.green = [{ id: "d-STUCK", polls: 1000 }];
    expect(deploy(world).error?.message).toMatch(
      /still runs d-STUCK after 5 minutes: wait for it, or stop it \(aws deploy stop-deployment\)/,
    );
    expect(world.deployments).toEqual([]);
  });

  it("install refuses without the pipeline's artifact (CODEBUILD_SOURCE_VERSION)", () => {
    const world = createWorld(CONFIG);
    const { ctx } = context(world, {});
    expect(() => run("install", ctx)).toThrow(/CODEBUILD_SOURCE_VERSION is "", not an S3 object ARN/);
    expect(world.deployments).toEqual([]);
  });

  it("refuses a parameter that names no slot, saying how to set it", () => {
    const world = createWorld(CONFIG);
    world.parameter = "purple";
    expect(deploy(world)).toMatchObject({ failedAt: "prepare" });
    expect(deploy(world).error?.message).toMatch(
      /holds "purple", which is not a slot: set it to the fleet that serves \(aws ssm put-parameter --name \/webapp\/prod.live-slot/,
    );
  });

  it("refuses an unknown step", () => {
    const { ctx } = context(createWorld(CONFIG));
    expect(() => run("deploy", ctx)).toThrow(/STEP is "deploy": use one of prepare, install, shift, release/);
  });
});

describe("an interrupted shift (a stopped execution) is undone by the next one", () => {
  it("prepare returns all traffic to the recorded live fleet first", () => {
    const world = createWorld(CONFIG);
    world.weights = { blue: 50, green: 50 };
    const result = deploy(world, ["prepare"]);
    expect(result).not.toHaveProperty("error");
    expect(world.log[0].weights).toEqual({ blue: 100, green: 0 });
    expect(result.lines.join("\n")).toMatch(/an earlier shift was interrupted \(blue 50 %, green 50 %\)/);
  });

  it("install, shift and release refuse to act on split traffic", () => {
    for (const step of ["install", "shift", "release"]) {
      const world = createWorld(CONFIG);
      world.weights = { blue: 75, green: 25 };
      const result = deploy(world, [step]);
      expect(result.error?.message).toMatch(/run the pipeline again \(its first step returns all traffic to blue\)/);
      expect(modifyCalls(world)).toEqual([]);
      expect(world.calls.filter((c: string[]) => c[1] === "update-auto-scaling-group" || c[1] === "create-deployment")).toEqual([]);
    }
  });
});

describe("the program in the traffic project's buildspec", () => {
  const buildspec = JSON.parse(project.source.buildspec);
  const [decode, runIt] = buildspec.phases.build.commands as string[];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "traffic-switch-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("fits an inline buildspec with room to spare (CodeBuild's limit is undocumented; about 25,000 characters is known to pass)", () => {
    expect(project.source.buildspec.length).toBeLessThan(20_000);
    expect(project.concurrent_build_limit).toBe(1);
  });

  it("is decoded to a file and run with node", () => {
    expect(decode).toMatch(/^echo [A-Za-z0-9+/=]+ \| base64 -d > \/tmp\/traffic-switch\.js$/);
    expect(runIt).toBe("node /tmp/traffic-switch.js");
    expect(project.build_timeout).toBe(15 + 60 + 60);
  });

  it("runs as a command with the AWS CLI: release empties the old fleet; a refusal exits 1 with its message", () => {
    const program = path.join(dir, "traffic-switch.js");
    fs.writeFileSync(program, Buffer.from(decode.split(" ")[1], "base64"));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    fs.copyFileSync(path.join(__dirname, "..", "support", "fake-switch-aws.js"), path.join(bin, "aws"));
    fs.chmodSync(path.join(bin, "aws"), 0o755);
    const worldFile = path.join(dir, "world.json");
    const world = createWorld(CONFIG, { live: "green" });
    world.groups.blue = { min: 3, max: 6, desired: 3, instances: [] };
    fs.writeFileSync(worldFile, JSON.stringify(world));
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, FAKE_SWITCH_WORLD: worldFile, SWITCH_CONFIG: JSON.stringify(CONFIG) };
    const ok = spawnSync("node", [program], { env: { ...env, STEP: "release" }, encoding: "utf8" });
    expect(ok.stderr).toBe("");
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/blue released: green serves alone/);
    expect(JSON.parse(fs.readFileSync(worldFile, "utf8")).groups.blue).toMatchObject({ min: 0, desired: 0 });
    const refused = spawnSync("node", [program], { env: { ...env, STEP: "launch" }, encoding: "utf8" });
    expect(refused.status).toBe(1);
    expect(refused.stderr.trim()).toBe('STEP is "launch": use one of prepare, install, shift, release');
  });
});

it("the stack's parameter starts on blue, the slot the listener sends everything to at creation", () => {
  expect(resourceAt(prod, "aws_ssm_parameter", "traffic_live_slot")).toMatchObject({
    value: "blue",
    lifecycle: { ignore_changes: ["value"] },
  });
});
