/**
 * What each stack's change costs per month, from its plan JSON, by Infracost (www.infracost.io):
 * `infracost diff --path plan.json` prices the planned resources with its pricing API (which needs
 * INFRACOST_API_KEY). Nothing here knows a price: without the tool or the key the summary says the
 * cost was not estimated, and why.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

/** One stack's monthly cost, in Infracost's currency: what the change adds and the total after it. */
export interface StackCost {
  readonly currency: string;
  readonly monthlyChange: number;
  readonly monthlyTotal: number;
}

export type CostEstimate = { readonly costs: Readonly<Record<string, StackCost>> } | { readonly unavailable: string };

const COST_FILE = "cost.json";

/** The fields of `infracost diff --format json` this reads (numbers are strings, or null). */
interface InfracostJson {
  readonly currency?: string;
  readonly totalMonthlyCost?: string | null;
  readonly diffTotalMonthlyCost?: string | null;
}

/** A stack's cost from Infracost's JSON; throws on output that is not Infracost's. */
export function parseInfracost(json: InfracostJson): StackCost {
  const num = (v: string | null | undefined) => (v === null || v === undefined ? 0 : Number(v));
  const cost = {
    currency: json.currency ?? "USD",
    monthlyChange: num(json.diffTotalMonthlyCost),
    monthlyTotal: num(json.totalMonthlyCost),
  };
  if (!Number.isFinite(cost.monthlyChange) || !Number.isFinite(cost.monthlyTotal)) {
    throw new Error(
      `Infracost's output has no monthly cost (totalMonthlyCost ${json.totalMonthlyCost}, diffTotalMonthlyCost ${json.diffTotalMonthlyCost})`,
    );
  }
  return cost;
}

/** Why costs cannot be estimated here, or undefined when Infracost and its key are available. */
function costUnavailable(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!env.INFRACOST_API_KEY) return "INFRACOST_API_KEY is not set";
  const found = spawnSync("infracost", ["--version"], { env, stdio: "ignore" });
  return found.error ? "the infracost command is not installed" : undefined;
}

/**
 * Prices each stack's plan (`<plansDir>/<stack>/plan.json`), writing Infracost's output beside it
 * (cost.json, read again by the pull-request comment).
 */
export function estimateCosts(plansDir: string, stacks: readonly string[], env: NodeJS.ProcessEnv = process.env): CostEstimate {
  const unavailable = costUnavailable(env);
  if (unavailable) return { unavailable };
  const costs: Record<string, StackCost> = {};
  for (const stack of stacks) {
    const dir = path.join(plansDir, stack);
    const out = path.join(dir, COST_FILE);
    fs.rmSync(out, { force: true });
    const r = spawnSync("infracost", ["diff", "--path", path.join(dir, "plan.json"), "--format", "json", "--out-file", out, "--no-color"], {
      env,
      encoding: "utf8",
    });
    if (r.status !== 0 || !fs.existsSync(out)) {
      return { unavailable: `infracost failed on ${stack}: ${(r.stderr || r.stdout || `exit ${r.status}`).trim().split("\n")[0]}` };
    }
    costs[stack] = parseInfracost(JSON.parse(fs.readFileSync(out, "utf8")) as InfracostJson);
  }
  return { costs };
}

/** The costs written by a previous run (for the pull-request comment), when every stack has one. */
export function readCosts(dirs: readonly { stack: string; dir: string }[]): CostEstimate {
  const missing = dirs.filter((d) => !fs.existsSync(path.join(d.dir, COST_FILE)));
  if (missing.length) return { unavailable: `no cost estimate for ${missing.map((d) => d.stack).join(", ")} (Infracost did not run)` };
  return {
    costs: Object.fromEntries(dirs.map((d) => [d.stack, parseInfracost(JSON.parse(fs.readFileSync(path.join(d.dir, COST_FILE), "utf8")))])),
  };
}

const money = (amount: number, currency: string, signed = false) => `${signed && amount > 0 ? "+" : ""}${amount.toFixed(2)} ${currency}`;

/** The summary's "Monthly cost" section. */
export function renderCost(estimate: CostEstimate | undefined): string[] {
  const lines = ["## Monthly cost", ""];
  if (!estimate || "unavailable" in estimate) {
    lines.push(
      `Not estimated${estimate && "unavailable" in estimate ? `: ${estimate.unavailable}` : ""}. ` +
        "Install the Infracost CLI and set INFRACOST_API_KEY (free at infracost.io) to price each stack's plan here; " +
        'CI does when the repository has an INFRACOST_API_KEY secret. docs/capacity-and-cost.md, "What this costs", lists what costs money.',
      "",
    );
    return lines;
  }
  lines.push("| stack | change per month | total per month |", "|---|---:|---:|");
  for (const [stack, c] of Object.entries(estimate.costs)) {
    lines.push(`| ${stack} | ${money(c.monthlyChange, c.currency, true)} | ${money(c.monthlyTotal, c.currency)} |`);
  }
  lines.push(
    "",
    "Estimated by Infracost from each plan, at list prices, for usage-independent resources (traffic and requests are not in it).",
    "",
  );
  return lines;
}
