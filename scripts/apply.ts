/**
 * npm run apply -- <stack> [--max-age-hours N]
 *
 * Applies exactly the plan that `npm run plan` wrote for the stack (terraform apply <planfile>),
 * after checking that it is that stack's plan, unchanged, fresh, and made against AWS. Any failed
 * check refuses the apply, listing every reason.
 */
import * as fs from "fs";
import { parseCli, runCli } from "./cli";
import { accessEnv, ensureInit, explainInitFailure, runTerraform, terraformEnv, terraformVersion, TerraformError } from "./terraform";
import {
  currentConfigHashes,
  metaFile,
  OUTDIR,
  planFile,
  sha256,
  stackDir,
  synthesize,
  TEST_S3_ENDPOINT_VARIABLE,
  type PlanMeta,
} from "./plan/workspace";

const USAGE = `Usage: npm run apply -- <stack> [--max-age-hours N]

Applies plans/<stack>/plan.tfplan, as reviewed. Make it with \`npm run plan -- <stack>\`.

  --max-age-hours N  refuse a plan older than this (default 24)`;

/** Why a plan may not be applied; empty when it may. */
export function refusals(stack: string, now: Date, maxAgeHours: number): string[] {
  const metaPath = metaFile(stack);
  if (!fs.existsSync(metaPath) || !fs.existsSync(planFile(stack))) {
    return [`there is no plan for ${stack}: make one with \`npm run plan -- ${stack}\` and review it first`];
  }
  const meta = JSON.parse(fs.readFileSync(metaPath, "utf8")) as PlanMeta;
  if (meta.stack !== stack) {
    return [`plans/${stack}/ holds a plan for another stack (${meta.stack}); plan ${stack} itself with \`npm run plan -- ${stack}\``];
  }
  if (sha256(planFile(stack)) !== meta.planSha256) {
    return [`plans/${stack}/plan.tfplan is not the plan \`npm run plan\` made for ${stack} (it was replaced or copied in); plan again`];
  }
  return recordRefusals(meta, now, maxAgeHours, currentConfigHashes(meta.mode)[stack]);
}

/**
 * What a plan's own record (plans/<stack>/meta.json) says against applying it, given the stack's
 * configuration hash now (undefined: the stack is gone): stale, made against the test endpoint,
 * made offline. Reads no file.
 */
export function recordRefusals(meta: PlanMeta, now: Date, maxAgeHours: number, current: string | undefined): string[] {
  const { stack } = meta;
  const reasons: string[] = [];
  const ageHours = (now.getTime() - Date.parse(meta.createdAt)) / 3_600_000;
  if (ageHours > maxAgeHours) {
    reasons.push(`the plan is stale: it was made ${ageHours.toFixed(1)} hours ago (more than ${maxAgeHours}); plan again`);
  }
  if (current !== meta.configSha256) {
    reasons.push(
      current === undefined
        ? `the plan is stale: the stack ${stack} no longer exists in the configuration`
        : `the plan is stale: the configuration of ${stack} changed since it was planned (environments/ or modules/ were edited); plan again and review the new plan`,
    );
  }
  if (meta.testStateEndpoint) {
    reasons.push(
      `the plan read its state from the S3-compatible test endpoint ${meta.testStateEndpoint} (${TEST_S3_ENDPOINT_VARIABLE}), with no AWS credentials; ` +
        `it can never be applied: unset ${TEST_S3_ENDPOINT_VARIABLE} and plan against AWS`,
    );
  }
  if (meta.mode === "offline") {
    reasons.push(
      "the plan was made offline (local empty state, placeholder build outputs, no credentials) and can never be applied; " +
        `plan against AWS with credentials: \`npm run plan -- ${stack} --online\``,
    );
  }
  return reasons;
}

async function applyPlan(stack: string, env: NodeJS.ProcessEnv): Promise<number> {
  const result = await runTerraform(
    ["apply", "-input=false", "-no-color", planFile(stack)],
    stackDir(OUTDIR, stack),
    accessEnv(env, "deploy"),
    {
      live: true,
    },
  );
  if (result.code !== 0 && /Saved plan is stale/i.test(result.stderr)) {
    console.error(`\nThe state of ${stack} changed after the plan was made. Plan again: npm run plan -- ${stack}`);
  }
  return result.code;
}

export async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseCli(argv, { "max-age-hours": { type: "string" } }, USAGE);
  if (!parsed.values) return parsed.exitCode;
  if (parsed.positionals.length !== 1) {
    console.error(`Name exactly one stack to apply.\n\n${USAGE}`);
    return 1;
  }
  const [stack] = parsed.positionals;
  const maxAge = Number(parsed.values["max-age-hours"] ?? 24);
  if (!(maxAge > 0)) {
    console.error(`--max-age-hours takes a positive number (got ${JSON.stringify(parsed.values["max-age-hours"])}).`);
    return 1;
  }
  const reasons = refusals(stack, new Date(), maxAge);
  if (reasons.length) {
    console.error(`Refusing to apply plans/${stack}/plan.tfplan:\n${reasons.map((r) => `  - ${r}`).join("\n")}`);
    return 1;
  }
  terraformVersion();
  // In CI the plan may come from another job: synthesize and initialize the stack here (a no-op
  // when `npm run plan` already did on this machine). The plan file carries its own configuration.
  synthesize(OUTDIR, "online");
  const env = terraformEnv();
  await ensureInit(stackDir(OUTDIR, stack), env, (result) => new TerraformError(explainInitFailure(stack, result)));
  console.log(`Applying the reviewed plan of ${stack}`);
  return applyPlan(stack, env);
}

if (require.main === module) runCli(main);
