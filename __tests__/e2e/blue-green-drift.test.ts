import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { App } from "../../modules/lib/cdk";
import { createStacks } from "../../modules/stacks";
import { ensureInit, runTerraform, terraformEnv } from "../../scripts/terraform";
import { moduleOf, taggableAddresses, writeOfflineRoot } from "../../scripts/plan/offline";
import { SHIPPED_CONTAINER, shippedConfigWith, type Json } from "../support/helpers";
import { changesOf, stateFromPlan, stateResource, type ProviderSchemas } from "../support/forge-state";

// The proof that Terraform and blue/green deployments never fight (docs/blue-green.md, "Blue/green"): an
// offline plan of production's stack against a state that reproduces it after deployments, made
// with the real hashicorp/aws provider. The plan covers what a deployment changes (the listener,
// both groups, the live-slot record) and everything they depend on (-target): the rest of the
// stack is never written by a deployment. The state is forged from the stack's own plan until a
// plan against it is a no-op (as just applied); then it is edited as the traffic switch leaves it.
//
// Production runs a container beside the service here (SHIPPED_CONTAINER; docs/workloads.md,
// "Containers"), deployed blue/green by CodeDeploy: its service (task definition, task count,
// target group) and its listener rules are the deployments' too, and planned the same way.
const STACK = "app-prod";
const MODULE = moduleOf(STACK);
const config = shippedConfigWith(SHIPPED_CONTAINER);
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "blue-green-drift-"));
const root = path.join(outdir, "root");
const app = new App({ outdir });
const stack = createStacks(app, config, { offline: true }).apps.find((s) => s.stackName === STACK)!;
app.synth();
const synthesized: Json = JSON.parse(fs.readFileSync(path.join(outdir, "stacks", STACK, "cdk.tf.json"), "utf8"));
const env = terraformEnv();
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

/** What a deployment writes: the listener's weights, the groups' sizes, the live-slot record. */
const DEPLOYMENT_OWNED = [
  "aws_lb_listener.web_https",
  "aws_autoscaling_group.fleet_group",
  "aws_autoscaling_group.fleet_group_green",
  "aws_ssm_parameter.traffic_live_slot",
];
/** What the container's deployments write: CodeDeploy moves its tasks and the rules' target; scaling, the task count. */
const CONTAINER_DEPLOYMENT_OWNED = [
  "aws_ecs_service.container_orders_service",
  "aws_lb_listener_rule.container_orders_rule_0",
  "aws_lb_listener_rule.container_orders_test_rule",
  "aws_appautoscaling_target.container_orders_scaling_target",
];
/** What Terraform keeps of the container: its task definition, and the deploy step that reads its ARN (TEMPLATE). */
const CONTAINER_TERRAFORM_OWNED = [
  "aws_ecs_task_definition.container_orders_task",
  "aws_codebuild_project.container_orders_deploy_project",
];

/** One case to plan: the stack's JSON (or a variant of it) against a state, for what it targets. */
interface Case {
  readonly name: string;
  readonly resources: Json[];
  readonly json?: Json;
  /** @default DEPLOYMENT_OWNED - the fleet's */
  readonly targets?: readonly string[];
}
/** Everything a case may target: what the forged state must hold. */
const EVERYTHING = [...DEPLOYMENT_OWNED, ...CONTAINER_DEPLOYMENT_OWNED, ...CONTAINER_TERRAFORM_OWNED];

/**
 * Plans every case in one Terraform run (no refresh, as every offline plan), each as a module of
 * its own with its own state (scripts/plan/offline.ts, writeOfflineRoot): one provider start and
 * schema load for all of them instead of one per case. Returns the plan's JSON.
 */
async function planCases(cases: readonly Case[]): Promise<Json> {
  writeOfflineRoot(
    root,
    cases.map((c) => ({
      name: c.name,
      json: c.json ?? synthesized,
      taggable: taggableAddresses(stack),
      state: c.resources.length ? { resources: c.resources } : undefined,
    })),
  );
  await ensureInit(root, env, (r) => new Error(`terraform init failed: ${r.stderr}`));
  const targets = cases.flatMap((c) => (c.targets ?? DEPLOYMENT_OWNED).map((a) => `-target=module.${moduleOf(c.name)}.${a}`));
  const planned = await runTerraform(
    ["plan", "-input=false", "-no-color", "-refresh=false", "-lock=false", ...targets, "-out=plan.tfplan"],
    root,
    env,
  );
  if (planned.code !== 0) throw new Error(`terraform plan failed:\n${planned.stderr}`);
  const show = await runTerraform(["show", "-json", "-no-color", "plan.tfplan"], root, env);
  return JSON.parse(show.stdout);
}

/** The plan of the stack's own JSON against `resources`. */
const plan = (resources: Json[]) => planCases([{ name: STACK, resources, targets: EVERYTHING }]);

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

/** The state as the traffic switch leaves it with `live` serving (at `size` instances) and the other slot released. */
function afterDeployment(applied: Json[], live: "blue" | "green", size: number): Json[] {
  const state = clone(applied);
  const targetGroupArn = (address: string) => stateResource(state, address).arn;
  const liveArn = targetGroupArn(live === "blue" ? "aws_lb_target_group.web_targets" : "aws_lb_target_group.web_targets_green");
  const listener = stateResource(state, "aws_lb_listener.web_https");
  for (const tg of listener.default_action[0].forward[0].target_group) tg.weight = tg.arn === liveArn ? 100 : 0;
  const [serving, released] = live === "blue" ? ["fleet_group", "fleet_group_green"] : ["fleet_group_green", "fleet_group"];
  Object.assign(stateResource(state, `aws_autoscaling_group.${serving}`), { min_size: 3, desired_capacity: size });
  Object.assign(stateResource(state, `aws_autoscaling_group.${released}`), { min_size: 0, desired_capacity: 0 });
  Object.assign(stateResource(state, "aws_ssm_parameter.traffic_live_slot"), { value: live, version: 7 });
  return state;
}

/**
 * The state as CodeDeploy leaves the container after a release: the service on a revision the
 * deploy step registered, scaled out, its tasks in the green target group, the production rule
 * forwarding there and the test rule to blue (the next release's replacement tasks).
 */
function afterContainerDeployment(applied: Json[], revision: number, count: number): Json[] {
  const state = clone(applied);
  const arnOf = (set: "blue" | "green") => stateResource(state, `aws_lb_target_group.container_orders_targets_${set}`).arn;
  const [live, idle] = revision % 2 ? (["green", "blue"] as const) : (["blue", "green"] as const);
  const service = stateResource(state, "aws_ecs_service.container_orders_service");
  const family = stateResource(state, "aws_ecs_task_definition.container_orders_task").family;
  Object.assign(service, {
    task_definition: `arn:aws:ecs:eu-west-1:210987654321:task-definition/${family}:${revision}`,
    desired_count: count,
  });
  service.load_balancer[0].target_group_arn = arnOf(live);
  stateResource(state, "aws_lb_listener_rule.container_orders_rule_0").action[0].target_group_arn = arnOf(live);
  stateResource(state, "aws_lb_listener_rule.container_orders_test_rule").action[0].target_group_arn = arnOf(idle);
  return state;
}

/**
 * A listener rule whose action Terraform ignores keeps what the state says. The forged state fills
 * an unknown optional attribute with null (the target group's ARN, unknown before it exists), as
 * an import would leave it; AWS would report the ARN the rule was created with: the configuration's.
 */
function withRuleTargets(state: Json[]): Json[] {
  for (const [rule, group] of [
    ["container_orders_rule_0", "container_orders_targets_blue"],
    ["container_orders_test_rule", "container_orders_targets_green"],
  ]) {
    const action = stateResource(state, `aws_lb_listener_rule.${rule}`).action[0];
    action.target_group_arn ??= stateResource(state, `aws_lb_target_group.${group}`).arn;
  }
  return state;
}

let applied: Json[] = [];
let rounds = 0;
let created: string[] = [];

beforeAll(async () => {
  const empty = await plan([]);
  created = changesOf(empty, MODULE);
  const schemaRun = await runTerraform(["providers", "schema", "-json"], root, env);
  const schemas: ProviderSchemas = JSON.parse(schemaRun.stdout).provider_schemas["registry.terraform.io/hashicorp/aws"].resource_schemas;
  let current = withRuleTargets(stateFromPlan(empty, MODULE, schemas));
  for (rounds = 1; rounds <= 6; rounds++) {
    const next = await plan(current);
    if (changesOf(next, MODULE).length === 0) break;
    current = withRuleTargets(stateFromPlan(next, MODULE, schemas, current));
  }
  applied = current;
}, 600_000);

/** The four deployment-owned resources as the synthesized JSON would have them without ignore_changes. */
function withoutIgnoreChanges(): Json {
  const json = clone(synthesized);
  delete json.resource.aws_lb_listener.web_https.lifecycle;
  delete json.resource.aws_ssm_parameter.traffic_live_slot.lifecycle;
  for (const g of Object.values<Json>(json.resource.aws_autoscaling_group)) g.lifecycle.ignore_changes = ["desired_capacity"];
  return json;
}

/** The container's service and listener rules as the synthesized JSON would have them without ignore_changes. */
function withoutContainerIgnoreChanges(): Json {
  const json = clone(synthesized);
  delete json.resource.aws_ecs_service.container_orders_service.lifecycle;
  for (const r of Object.values<Json>(json.resource.aws_lb_listener_rule)) delete r.lifecycle;
  return json;
}

/** A Terraform change to the container's task definition: more memory (the next release takes it). */
function withMoreMemory(): Json {
  const json = clone(synthesized);
  json.resource.aws_ecs_task_definition.container_orders_task.memory = "1024";
  return json;
}

/** A Terraform change to the launch template: a larger root volume. */
function withLargerVolume(): Json {
  const json = clone(synthesized);
  json.resource.aws_launch_template.fleet_template.block_device_mappings[0].ebs.volume_size = 40;
  return json;
}

/** What each case plans to change: all of them planned in one Terraform run, once the state is forged. */
let changes: Record<string, string[]> = {};

beforeAll(async () => {
  const cases: Case[] = [
    { name: "as-applied", resources: applied },
    { name: "after-green", resources: afterDeployment(applied, "green", 5) },
    { name: "after-blue", resources: afterDeployment(applied, "blue", 4) },
    { name: "no-ignore-changes", resources: afterDeployment(applied, "green", 5), json: withoutIgnoreChanges() },
    { name: "template-change", resources: afterDeployment(applied, "green", 5), json: withLargerVolume() },
    { name: "container-after", resources: afterContainerDeployment(applied, 7, 4), targets: CONTAINER_DEPLOYMENT_OWNED },
    {
      name: "no-ignore-changes-container",
      resources: afterContainerDeployment(applied, 7, 4),
      json: withoutContainerIgnoreChanges(),
      targets: CONTAINER_DEPLOYMENT_OWNED,
    },
    { name: "container-after-next", resources: afterContainerDeployment(applied, 8, 2), targets: CONTAINER_DEPLOYMENT_OWNED },
    { name: "container-task-change", resources: afterContainerDeployment(applied, 7, 4), json: withMoreMemory(), targets: EVERYTHING },
  ];
  const planned = await planCases(cases);
  changes = Object.fromEntries(cases.map((c) => [c.name, changesOf(planned, moduleOf(c.name))]));
}, 600_000);

describe("production's stack after blue/green deployments, planned offline", () => {
  it("starts from a forged state that plans no change: the stack as just applied", () => {
    // The four and what they depend on: load balancer, target groups, security groups, launch
    // template, instance profile and role.
    for (const a of [
      ...DEPLOYMENT_OWNED,
      "aws_lb.web_alb",
      "aws_lb_target_group.web_targets_green",
      "aws_launch_template.fleet_template",
    ]) {
      expect(created).toContain(`create ${a}`);
    }
    expect(created.every((c) => c.startsWith("create "))).toBe(true);
    expect(applied.map((r) => `create ${r.type}.${r.name}`).sort()).toEqual(created);
    expect(rounds).toBeLessThanOrEqual(6);
    expect(changes["as-applied"]).toEqual([]);
  });

  it("plans no change after a deployment to green (scaled out to 5), blue released", () => {
    expect(changes["after-green"]).toEqual([]);
  });

  it("plans no change after the next deployment back to blue: any number of deployments", () => {
    expect(changes["after-blue"]).toEqual([]);
  });

  it("would fight the deployments without ignore_changes: the same state plans updates that move traffic back", () => {
    expect(changes["no-ignore-changes"]).toEqual([
      "update aws_autoscaling_group.fleet_group",
      "update aws_autoscaling_group.fleet_group_green",
      "update aws_lb_listener.web_https",
      "update aws_ssm_parameter.traffic_live_slot",
    ]);
  });

  it("plans no change after CodeDeploy released the container to green (revision 7, 4 tasks), nor after the next to blue", () => {
    expect(changes["container-after"]).toEqual([]);
    expect(changes["container-after-next"]).toEqual([]);
  });

  it("would fight the container's deployments without ignore_changes: the service and the rules would go back", () => {
    // The state after a release, planned with the JSON stripped of the container's lifecycle blocks.
    expect(changes["no-ignore-changes-container"]).toEqual([
      "update aws_ecs_service.container_orders_service",
      "update aws_lb_listener_rule.container_orders_rule_0",
      "update aws_lb_listener_rule.container_orders_test_rule",
    ]);
  });

  it("applies a Terraform change to the container's task definition as a new revision, for the next release, and leaves the service alone", () => {
    expect(changes["container-task-change"]).toEqual([
      // Replaced: a task definition's revision cannot change; the old one stays registered (skip_destroy).
      'delete/create aws_ecs_task_definition.container_orders_task ([["memory"]])',
      "update aws_codebuild_project.container_orders_deploy_project",
    ]);
  });

  it("applies a Terraform change to the launch template while green serves, and touches nothing the deployments own", () => {
    expect(changes["template-change"]).toEqual(["update aws_launch_template.fleet_template"]);
  });
});
