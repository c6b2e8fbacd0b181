/**
 * npm run plan -- [stack ...] [--offline | --online] [--allow-destroy] [--no-lock] [--parallel N]
 *
 * Synthesizes once, then plans every stack (or the ones named). Online: terraform init (skipped
 * when the stack is already initialized the same way), plan -out and show -json in each
 * cdktf.out/stacks/<stack>. Offline: all of them in one run (scripts/plan/offline.ts). Writes plans/<stack>/{plan.tfplan,plan.json,plan.txt,meta.json} and
 * plans/SUMMARY.md. Exits 1 when a stack fails to plan, 2 when a plan would delete or replace a
 * protected resource (unless --allow-destroy).
 */
import * as fs from "fs";
import * as path from "path";
import { stackNamesOf } from "../modules/stacks";
import { chooseMode, parseCli, runCli } from "./cli";
import { checkProviderSource } from "./preflight";
import { accessEnv } from "./terraform";
import {
  describeProviderSource,
  ensureInit,
  explainInitFailure,
  mapLimit,
  runTerraform,
  terraformEnv,
  terraformVersion,
  TerraformError,
  type RunResult,
} from "./terraform";
import { analyzePlan, protectedViolations, type StackPlan } from "./plan/analyze";
import { stackPlanJson, stackPlanText, taggableAddresses, writeOfflineRoot } from "./plan/offline";
import type { ProjectStack } from "../modules/stacks/project-stack";
import { OFFLINE_NOTICE, renderSummary, renderTable } from "./plan/summary";
import { estimateCosts } from "./plan/cost";
import {
  OFFLINE_ROOT,
  OUTDIR,
  PLANS_DIR,
  defaultParallelism,
  metaFile,
  offlineInputsSha256,
  planDir,
  planFile,
  projectConfig,
  sha256,
  stackDir,
  synthesize,
  testStateEndpoint,
  TEST_S3_ENDPOINT_VARIABLE,
  type PlanMeta,
  type PlanMode,
} from "./plan/workspace";

const USAGE = `Usage: npm run plan -- [stack ...] [options]

Plans every stack (or the named ones) and writes plans/SUMMARY.md.

  --offline        plan without AWS: local empty state, placeholder build outputs (never appliable)
  --online         plan against AWS (the default when credentials are found)
  --allow-destroy  do not fail when a protected resource would be deleted or replaced
  --no-lock        do not take the state lock (read-only credentials, as in pull-request CI)
  --parallel N     online: Terraform processes at once (default: cores, ~700 MB of free memory each);
                   offline plans run every stack in one process
  --fresh          plan again even when an offline plan's inputs have not changed`;

class PlanFailure extends Error {}

export function explainPlanFailure(stack: string, dir: string, result: RunResult): string {
  const text = (result.stderr + result.stdout).trim();
  if (/Unable to find remote state/i.test(text) && /data\.terraform_remote_state\.bootstrap/.test(text)) {
    const remote = JSON.parse(fs.readFileSync(path.join(dir, "cdk.tf.json"), "utf8")).data?.terraform_remote_state?.bootstrap?.config;
    const bootstrap = /(bootstrap-\d{12})\.tfstate$/.exec(remote?.key ?? "")?.[1] ?? "bootstrap-<accountId>";
    const account = bootstrap.replace("bootstrap-", "");
    return (
      `${stack} runs in account ${account}, which is not bootstrapped yet (no state at s3://${remote?.bucket}/${remote?.key}).\n` +
      `Bootstrap it once with the tooling account's credentials: \`npx cdktf deploy ${bootstrap}\` (docs/accounts.md, "Bootstrap an account"), then plan ${stack} again.\n` +
      "Nothing was planned or created in either account."
    );
  }
  if (/Unable to find remote state/i.test(text)) {
    const remote = JSON.parse(fs.readFileSync(path.join(dir, "cdk.tf.json"), "utf8")).data?.terraform_remote_state?.build?.config;
    const where = remote ? `s3://${remote.bucket}/${remote.key}` : "its S3 key";
    return (
      `${stack} reads the build stack's outputs, but build's state (${where}) does not exist yet.\n` +
      "Deploy build first: `npx cdktf deploy build` (or `npm run plan -- build` then `npm run apply -- build`).\n" +
      "To review the app stacks before build exists, plan offline: `npm run plan -- --offline`."
    );
  }
  if (/No valid credential sources found|failed to refresh cached credentials|InvalidClientTokenId|ExpiredToken/i.test(text)) {
    return `${stack}: no valid AWS credentials.\n${text}\n\nConfigure credentials (aws configure, AWS_PROFILE, or OIDC in CI), or plan without AWS: \`npm run plan -- --offline\`.`;
  }
  return `terraform plan failed for ${stack}:\n${text}`;
}

function explainInit(stack: string, result: RunResult): string {
  const text = (result.stderr + result.stdout).trim();
  if (/NoSuchBucket|S3 bucket .* does not exist/i.test(text)) {
    return `${stack}: the state bucket does not exist.\n${text}\n\nCreate it once with \`npm run state-bucket\` (see README.md, "Deploy").`;
  }
  if (/No valid credential sources found|failed to refresh cached credentials/i.test(text)) {
    return `${stack}: no valid AWS credentials for the S3 backend.\n\nConfigure credentials, or plan without AWS: \`npm run plan -- --offline\`.`;
  }
  return explainInitFailure(stack, result);
}

interface Options {
  readonly mode: PlanMode;
  readonly reuse: boolean;
  readonly lock: boolean;
  readonly terraformVersion: string;
  readonly testEndpoint?: string;
  readonly env: NodeJS.ProcessEnv;
  readonly log: (stack: string, message: string) => void;
}

/** The last offline plan of the stack, when it was made from exactly the current inputs. */
function reusableOfflinePlan(stack: string, dir: string, o: Options): StackPlan | undefined {
  if (o.mode !== "offline" || !o.reuse || !fs.existsSync(metaFile(stack))) return undefined;
  const meta = JSON.parse(fs.readFileSync(metaFile(stack), "utf8")) as PlanMeta;
  const files = ["plan.tfplan", "plan.json", "plan.txt"].map((f) => path.join(planDir(stack), f));
  if (meta.mode !== "offline" || !files.every((f) => fs.existsSync(f)) || sha256(planFile(stack)) !== meta.planSha256) return undefined;
  if (meta.offlineInputsSha256 !== offlineInputsSha256(dir, o.terraformVersion)) return undefined;
  return analyzePlan(stack, JSON.parse(fs.readFileSync(files[1], "utf8")));
}

async function planStack(stack: string, o: Options): Promise<StackPlan> {
  const started = Date.now();
  const dir = stackDir(OUTDIR, stack);
  const out = planDir(stack);

  const init = await ensureInit(dir, o.env, (result) => new PlanFailure(explainInit(stack, result)));
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  o.log(stack, init === "cached" ? "already initialized; planning" : "initialized; planning");
  const args = ["plan", "-input=false", "-no-color", `-out=${planFile(stack)}`];
  if (!o.lock) args.push("-lock=false");
  const plan = await runTerraform(args, dir, accessEnv(o.env, o.lock ? "deploy" : "read"));
  if (plan.code !== 0) throw new PlanFailure(explainPlanFailure(stack, dir, plan));
  fs.writeFileSync(path.join(out, "plan.txt"), plan.stdout);

  const show = await runTerraform(["show", "-json", "-no-color", planFile(stack)], dir, o.env);
  if (show.code !== 0) throw new PlanFailure(`terraform show failed for ${stack}:\n${show.stderr}`);
  fs.writeFileSync(path.join(out, "plan.json"), show.stdout);

  writeMeta(stack, o);

  const result = analyzePlan(stack, JSON.parse(show.stdout));
  const c = result.counts;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  o.log(stack, `planned in ${seconds} s: ${c.create} to create, ${c.update} to update, ${c.replace} to replace, ${c.delete} to delete`);
  return result;
}

/** Writes meta.json beside the stack's plan: what `npm run apply` and the offline reuse check read. */
function writeMeta(stack: string, o: Options): void {
  const dir = stackDir(OUTDIR, stack);
  const meta: PlanMeta = {
    stack,
    mode: o.mode,
    createdAt: new Date().toISOString(),
    configSha256: sha256(path.join(dir, "cdk.tf.json")),
    planSha256: sha256(planFile(stack)),
    terraformVersion: o.terraformVersion,
    ...(o.mode === "offline" ? { offlineInputsSha256: offlineInputsSha256(dir, o.terraformVersion) } : {}),
    ...(o.testEndpoint ? { testStateEndpoint: o.testEndpoint } : {}),
  };
  fs.writeFileSync(metaFile(stack), JSON.stringify(meta, null, 2) + "\n");
}

/**
 * Plans the stacks offline in one Terraform run (scripts/plan/offline.ts), except those whose last
 * offline plan was made from exactly their current inputs: those are reused.
 */
async function planOffline(stacks: readonly ProjectStack[], o: Options): Promise<StackPlan[]> {
  const plans = new Map<string, StackPlan>();
  const stale: ProjectStack[] = [];
  for (const stack of stacks) {
    const reused = reusableOfflinePlan(stack.stackName, stackDir(OUTDIR, stack.stackName), o);
    if (reused) {
      o.log(stack.stackName, "inputs unchanged since the last offline plan: reusing it (--fresh plans again)");
      plans.set(stack.stackName, reused);
    } else stale.push(stack);
  }
  if (stale.length) {
    const started = Date.now();
    const names = stale.map((s) => s.stackName);
    const read = (stack: string, file: string) => {
      const p = path.join(stackDir(OUTDIR, stack), file);
      return fs.existsSync(p) ? JSON.parse(fs.readFileSync(p, "utf8")) : undefined;
    };
    writeOfflineRoot(
      OFFLINE_ROOT,
      stale.map((s) => ({
        name: s.stackName,
        json: read(s.stackName, "cdk.tf.json"),
        taggable: taggableAddresses(s),
        state: read(s.stackName, "terraform.tfstate"),
      })),
    );
    const init = await ensureInit(OFFLINE_ROOT, o.env, (result) => new PlanFailure(explainInit(names.join(", "), result)));
    for (const name of names)
      o.log(
        name,
        `${init === "cached" ? "already initialized" : "initialized"}; planning with ${names.length - 1} other stack(s) in one Terraform run`,
      );
    const combinedPlan = path.join(OFFLINE_ROOT, "plan.tfplan");
    const plan = await runTerraform(
      ["plan", "-input=false", "-no-color", "-refresh=false", "-lock=false", `-out=${combinedPlan}`],
      OFFLINE_ROOT,
      o.env,
    );
    if (plan.code !== 0)
      throw new PlanFailure(`terraform plan failed for the offline plan of ${names.join(", ")}:\n${(plan.stderr + plan.stdout).trim()}`);
    const show = await runTerraform(["show", "-json", "-no-color", combinedPlan], OFFLINE_ROOT, o.env);
    if (show.code !== 0) throw new PlanFailure(`terraform show failed for the offline plan of ${names.join(", ")}:\n${show.stderr}`);
    const combined = JSON.parse(show.stdout);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    for (const stack of names) {
      const out = planDir(stack);
      fs.rmSync(out, { recursive: true, force: true });
      fs.mkdirSync(out, { recursive: true });
      const json = stackPlanJson(combined, stack);
      const result = analyzePlan(stack, json);
      fs.writeFileSync(path.join(out, "plan.json"), JSON.stringify(json));
      fs.writeFileSync(path.join(out, "plan.txt"), stackPlanText(plan.stdout, stack, result));
      // The combined plan, for the record: an offline plan is never applied (npm run apply refuses it).
      fs.copyFileSync(combinedPlan, planFile(stack));
      writeMeta(stack, o);
      const c = result.counts;
      o.log(
        stack,
        `planned in ${seconds} s (one run): ${c.create} to create, ${c.update} to update, ${c.replace} to replace, ${c.delete} to delete`,
      );
      plans.set(stack, result);
    }
  }
  return stacks.map((s) => plans.get(s.stackName) as StackPlan);
}

export async function main(argv: readonly string[]): Promise<number> {
  const cli = parseCli(
    argv,
    {
      offline: { type: "boolean" },
      online: { type: "boolean" },
      "allow-destroy": { type: "boolean" },
      "no-lock": { type: "boolean" },
      parallel: { type: "string" },
      fresh: { type: "boolean" },
    },
    USAGE,
  );
  if (!cli.values) return cli.exitCode;
  const { values, positionals } = cli;
  if (values.offline && values.online) {
    console.error("Choose one of --offline and --online.");
    return 1;
  }
  const parallel = values.parallel === undefined ? defaultParallelism() : Number(values.parallel);
  if (!Number.isInteger(parallel) || parallel < 1) {
    console.error(`--parallel takes a whole number of at least 1 (got ${JSON.stringify(values.parallel)}).`);
    return 1;
  }

  const version = terraformVersion();
  // The provider source is checked once, here: without it every stack would fail the same way.
  const provider = await checkProviderSource();
  if (!provider.source) {
    console.error(`${provider.finding?.fix}`);
    return 1;
  }
  console.log(describeProviderSource(provider.source));
  const mode = chooseMode(values);
  console.log(
    mode === "offline"
      ? `${values.offline ? "" : "No AWS credentials found. "}${OFFLINE_NOTICE.replace(/\*\*/g, "")}`
      : "Online plan: the S3 backend and the build stack's remote state, with your AWS credentials.",
  );

  const config = projectConfig();
  const testEndpoint = mode === "online" ? testStateEndpoint() : undefined;
  if (testEndpoint) {
    console.log(
      `State: the S3-compatible test endpoint ${testEndpoint} (${TEST_S3_ENDPOINT_VARIABLE}), not AWS S3. ` +
        "The AWS provider gets no credentials: this plan reads real state but can never be applied.",
    );
  }
  const stacks = stackNamesOf(config);
  const unknown = positionals.filter((s) => !stacks.includes(s));
  if (unknown.length) {
    console.error(`Unknown stack${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}. The stacks are: ${stacks.join(", ")}.`);
    return 1;
  }
  const synthesized = synthesize(OUTDIR, mode, config, testEndpoint);
  // Online, an account's bootstrap is planned only when named: it assumes the account's
  // administrator role, which the credentials of a plan (CI's, a developer's) seldom may.
  const selected = positionals.length
    ? stacks.filter((s) => positionals.includes(s))
    : stacks.filter((s) => mode === "offline" || !s.startsWith("bootstrap-"));
  const width = Math.max(...selected.map((s) => s.length));
  const log = (stack: string, message: string) => console.log(`[${stack.padEnd(width)}] ${message}`);
  console.log(`Terraform ${version}; planning ${selected.join(", ")} (${parallel} at a time)`);

  const env = terraformEnv(provider.source);
  fs.mkdirSync(PLANS_DIR, { recursive: true });
  const failures: { stack: string; message: string }[] = [];
  const options = (): Options => ({
    mode,
    reuse: !values.fresh,
    lock: !values["no-lock"],
    terraformVersion: version,
    testEndpoint,
    env,
    log,
  });
  if (mode === "offline") {
    let plans: StackPlan[] = [];
    try {
      plans = await planOffline(
        synthesized.filter((s) => selected.includes(s.stackName)),
        options(),
      );
    } catch (error) {
      if (!(error instanceof PlanFailure || error instanceof TerraformError)) throw error;
      failures.push({ stack: selected.join(", "), message: error.message });
      for (const stack of selected) log(stack, "FAILED");
    }
    return report(plans, failures, mode, values["allow-destroy"] ?? false);
  }
  const results = await mapLimit(selected, parallel, async (stack) => {
    log(stack, "started");
    try {
      return await planStack(stack, options());
    } catch (error) {
      if (!(error instanceof PlanFailure || error instanceof TerraformError)) throw error;
      failures.push({ stack, message: error.message });
      log(stack, "FAILED");
      return undefined;
    }
  });
  return report(
    results.filter((r): r is StackPlan => r !== undefined),
    failures,
    mode,
    values["allow-destroy"] ?? false,
  );
}

/** Writes SUMMARY.md, prints the table and what is replaced or deleted; returns the exit code. */
function report(plans: StackPlan[], failures: { stack: string; message: string }[], mode: PlanMode, allowDestroy: boolean): number {
  // An offline plan carries no state, region or provider settings per stack (scripts/plan/offline.ts):
  // Infracost would price it wrongly, so it prices online plans only.
  const cost =
    mode === "offline"
      ? { unavailable: "offline plans are not priced (no state, placeholder values); an online plan is, as in CI" }
      : plans.length
        ? estimateCosts(
            PLANS_DIR,
            plans.map((p) => p.stack),
          )
        : undefined;
  const summary = renderSummary(plans, { offline: mode === "offline", createdAt: new Date().toISOString(), failures, allowDestroy, cost });
  fs.writeFileSync(path.join(PLANS_DIR, "SUMMARY.md"), summary);

  console.log(`\n${renderTable(plans)}\n`);
  for (const p of plans) {
    for (const c of p.changes.filter((c) => c.action === "replace" || c.action === "delete")) {
      console.log(`${c.action.toUpperCase()}: ${p.stack} ${c.address}${c.protectedReason ? ` (protected: ${c.protectedReason})` : ""}`);
    }
  }
  console.log(
    `Summary: ${path.relative(process.cwd(), path.join(PLANS_DIR, "SUMMARY.md"))}; plans in ${path.relative(process.cwd(), PLANS_DIR)}/<stack>/`,
  );

  for (const f of failures) console.error(`\n${f.message}`);
  if (failures.length) return 1;
  const violations = protectedViolations(plans);
  if (violations.length && !allowDestroy) {
    console.error(
      "\nThe plan would delete or replace protected resources:\n" +
        violations.map((v) => `  - ${v.stack}: ${v.change.address} (${v.change.action}): ${v.change.protectedReason}`).join("\n") +
        "\nIf that is intended, run again with --allow-destroy.",
    );
    return 2;
  }
  return 0;
}

if (require.main === module) runCli(main);
