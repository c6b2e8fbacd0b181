/**
 * npm run drift -- <stack> [--markdown FILE]
 *
 * What changed outside Terraform in `<stack>`, from the online plan `npm run plan -- <stack>` left
 * in plans/<stack>/ (Terraform refreshes before it plans and records what it found changed as
 * `resource_drift`), and what that plan would change. The attributes deployments own by design
 * (those the stack's `lifecycle.ignore_changes` names: blue/green weights, group sizes, the
 * live-slot record) are listed apart and are not drift. Prints the report (Markdown with
 * --markdown FILE, for the drift issue: .github/workflows/drift.yml). Values the provider marks
 * sensitive, and attributes named like a credential or holding user data, are not shown. Exit 0:
 * no drift and nothing to apply, or not deployed yet; 3: drift or changes to apply; 1: no online
 * plan to read.
 */
import * as fs from "fs";
import * as path from "path";
import { parseCli, runCli } from "./cli";
import { OUTDIR, PLANS_DIR, type PlanMeta } from "./plan/workspace";

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = Record<string, any>;

const USAGE = `Usage: npm run drift -- <stack> [--markdown FILE]

Reports what changed outside Terraform in <stack>, from its online plan (npm run plan -- <stack>).
  --markdown FILE  also write the report as Markdown (the drift issue's body)`;

export interface AttributeChange {
  readonly name: string;
  /** As Terraform's state has it, and as AWS has it now; "(sensitive)" for a sensitive value. */
  readonly before: string;
  readonly after: string;
}

export interface DriftReport {
  readonly stack: string;
  /** Changed outside Terraform, not by a deployment: what to reconcile. */
  readonly drifted: readonly { readonly address: string; readonly deleted: boolean; readonly attributes: readonly AttributeChange[] }[];
  /** Changed by deployments, as designed (ignore_changes): not drift. */
  readonly deploymentOwned: readonly { readonly address: string; readonly attributes: readonly string[] }[];
  /** What applying the stack would do now. */
  readonly planned: readonly { readonly address: string; readonly actions: string }[];
  /** The stack has no state yet: nothing deployed, so nothing can have drifted. */
  readonly notDeployed: boolean;
}

/**
 * Whether a value's sensitivity map marks anything in it: Terraform writes `true` for a sensitive
 * value, and for a list, map or block that is not, `[]`, `{}` or the same shape with `false`s
 * (terraform show -json, before_sensitive / after_sensitive).
 */
export function marksSensitive(mark: unknown): boolean {
  if (mark === true) return true;
  if (Array.isArray(mark)) return mark.some(marksSensitive);
  if (mark && typeof mark === "object") return Object.values(mark).some(marksSensitive);
  return false;
}

/**
 * Attributes whose values may hold what should not reach an issue even when the provider does not
 * mark them sensitive (user data, build variables, anything named like a credential): reported as
 * changed, without their values.
 */
const UNSHOWN = /user_data|insecure_value|environment|password|secret|token|private_key|credential/;

const show = (value: unknown): string => {
  const text = JSON.stringify(value) ?? "null";
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
};

/**
 * Attributes that only follow a deployment-owned one: a parameter's version counts its writes, so
 * the deployment that writes the live slot moves it too.
 */
const FOLLOWERS: Readonly<Record<string, readonly string[]>> = { aws_ssm_parameter: ["version"] };

/** The attribute names `lifecycle.ignore_changes` lists for the resource `type.name` (root module). */
function ignoredAttributes(stackJson: Json, type: string, name: string): string[] {
  const ignored = stackJson.resource?.[type]?.[name]?.lifecycle?.ignore_changes;
  if (ignored === "all") return ["*"];
  return (Array.isArray(ignored) ? ignored : []).map((a: string) => a.split(/[.[]/)[0]);
}

/** Drift and planned changes from a plan's JSON (terraform show -json) and the stack's synthesized JSON. */
export function driftReport(stack: string, plan: Json, stackJson: Json): DriftReport {
  const drifted: DriftReport["drifted"][number][] = [];
  const deploymentOwned: DriftReport["deploymentOwned"][number][] = [];
  for (const d of (plan.resource_drift ?? []) as Json[]) {
    if (d.mode !== "managed") continue;
    const { before, after, before_sensitive: bs = {}, after_sensitive: as = {} } = d.change;
    if (after === null || after === undefined) {
      drifted.push({ address: d.address, deleted: true, attributes: [] });
      continue;
    }
    const changed = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after)])].filter(
      (k) => JSON.stringify(before?.[k] ?? null) !== JSON.stringify(after[k] ?? null),
    );
    const ignored = ignoredAttributes(stackJson, d.type, d.name);
    const ownedFirst = changed.filter((k) => ignored.includes("*") || ignored.includes(k));
    const followers = ownedFirst.length ? (FOLLOWERS[d.type] ?? []) : [];
    const owned = changed.filter((k) => ownedFirst.includes(k) || followers.includes(k));
    const rest = changed.filter((k) => !owned.includes(k));
    if (owned.length) deploymentOwned.push({ address: d.address, attributes: owned });
    if (rest.length) {
      const secret = (k: string) => bs === true || as === true || marksSensitive(bs?.[k]) || marksSensitive(as?.[k]);
      drifted.push({
        address: d.address,
        deleted: false,
        attributes: rest.map((k) => {
          const hidden = secret(k) ? "(sensitive)" : UNSHOWN.test(k) ? "(not shown)" : undefined;
          return { name: k, before: hidden ?? show(before?.[k]), after: hidden ?? show(after[k]) };
        }),
      });
    }
  }
  const planned = ((plan.resource_changes ?? []) as Json[])
    .filter((c) => c.mode === "managed" && !["no-op", "read"].includes(c.change.actions.join()))
    .map((c) => ({ address: c.address as string, actions: (c.change.actions as string[]).join(", ") }));
  const notDeployed = !(plan.prior_state?.values?.root_module?.resources ?? []).length;
  return { stack, drifted, deploymentOwned, planned, notDeployed };
}

export const DRIFT_MARKER = (stack: string) => `<!-- cdktf-aws-cicd:drift ${stack} -->`;

/** The report as Markdown: the body of the stack's drift issue. */
export function driftMarkdown(r: DriftReport, plannedAt: string): string {
  const lines = [DRIFT_MARKER(r.stack), `## Drift in ${r.stack}`, "", `Planned against AWS at ${plannedAt}.`, ""];
  if (!r.drifted.length) lines.push("Nothing changed outside Terraform.");
  else {
    lines.push(
      `${r.drifted.length} resource(s) changed outside Terraform:`,
      "",
      "| resource | attribute | Terraform's state | AWS now |",
      "| --- | --- | --- | --- |",
    );
    for (const d of r.drifted) {
      if (d.deleted) lines.push(`| \`${d.address}\` | (deleted) | exists | gone |`);
      for (const a of d.attributes) lines.push(`| \`${d.address}\` | \`${a.name}\` | \`${a.before}\` | \`${a.after}\` |`);
    }
  }
  if (r.deploymentOwned.length) {
    lines.push("", "Changed by deployments, as designed (not drift: `ignore_changes`, docs/blue-green.md):");
    for (const o of r.deploymentOwned) lines.push(`- \`${o.address}\`: ${o.attributes.map((a) => `\`${a}\``).join(", ")}`);
  }
  lines.push("", r.planned.length ? "Applying the stack now would:" : "Applying the stack now would change nothing.");
  for (const p of r.planned) lines.push(`- ${p.actions} \`${p.address}\``);
  if (r.drifted.length || r.planned.length) {
    lines.push(
      "",
      "### How to reconcile",
      "",
      `- To undo a change made outside Terraform (a console edit, an emergency fix): apply the stack, through the deploy workflow or \`npm run plan -- ${r.stack}\` then \`npm run apply -- ${r.stack}\`; Terraform puts back what the code declares, and recreates what was deleted.`,
      "- To keep it: write it into the code (the environment's file in `environments/`, or the module), and open a pull request; its plan then shows no change for it.",
      "- Changes to apply without drift are commits merged but not deployed: see the deploy workflow's last run.",
    );
  }
  return lines.join("\n") + "\n";
}

export async function main(argv: readonly string[]): Promise<number> {
  const cli = parseCli(argv, { markdown: { type: "string" } }, USAGE);
  if (!cli.values) return cli.exitCode;
  const [stack] = cli.positionals;
  if (!stack || cli.positionals.length > 1) {
    console.error(USAGE);
    return 1;
  }
  const dir = path.join(PLANS_DIR, stack);
  const metaFile = path.join(dir, "meta.json");
  if (!fs.existsSync(metaFile)) {
    console.error(`No plan of ${stack} in plans/${stack}/: make one against AWS first (npm run plan -- ${stack} --online --no-lock).`);
    return 1;
  }
  const meta = JSON.parse(fs.readFileSync(metaFile, "utf8")) as PlanMeta;
  if (meta.mode !== "online" || meta.testStateEndpoint) {
    console.error(
      `plans/${stack}/ holds an offline plan, which reads no state and finds no drift: plan it against AWS (npm run plan -- ${stack} --online --no-lock).`,
    );
    return 1;
  }
  const plan = JSON.parse(fs.readFileSync(path.join(dir, "plan.json"), "utf8")) as Json;
  const stackJson = JSON.parse(fs.readFileSync(path.join(OUTDIR, "stacks", stack, "cdk.tf.json"), "utf8")) as Json;
  const report = driftReport(stack, plan, stackJson);
  if (report.notDeployed) {
    console.log(`${stack} is not deployed yet (its state holds no resource): nothing to compare.`);
    return 0;
  }
  const markdown = driftMarkdown(report, meta.createdAt);
  if (cli.values.markdown) fs.writeFileSync(cli.values.markdown, markdown);
  console.log(markdown);
  return report.drifted.length || report.planned.length ? 3 : 0;
}

if (require.main === module) runCli(main);
