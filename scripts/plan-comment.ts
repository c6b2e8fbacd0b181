/**
 * npm run plan:comment -- <dir> [--run-url URL]
 *
 * Builds the pull-request comment from the plan folders under <dir> (each holding meta.json,
 * plan.json and plan.txt, as `npm run plan` writes them or as CI's matrix uploads them) and prints
 * it. CI posts it with actions/github-script, updating the comment that carries COMMENT_MARKER.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { analyzePlan } from "./plan/analyze";
import { renderComment, type StackReport } from "./plan/comment";
import { readCosts } from "./plan/cost";
import { BUILD_STACK } from "../modules/config";
import { ProjectError } from "../modules/lib/errors";
import { PLANS_DIR, type PlanMeta } from "./plan/workspace";

function findPlanDirs(dir: string): string[] {
  if (fs.existsSync(path.join(dir, "meta.json"))) return [dir];
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return [];
  return fs
    .readdirSync(dir)
    .sort()
    .flatMap((entry) => findPlanDirs(path.join(dir, entry)));
}

export function commentFor(dir: string, runUrl?: string): string {
  const reports: (StackReport & { meta: PlanMeta; dir: string })[] = findPlanDirs(dir).map((d) => {
    const meta = JSON.parse(fs.readFileSync(path.join(d, "meta.json"), "utf8")) as PlanMeta;
    const plan = analyzePlan(meta.stack, JSON.parse(fs.readFileSync(path.join(d, "plan.json"), "utf8")));
    return { meta, plan, dir: d, text: fs.readFileSync(path.join(d, "plan.txt"), "utf8") };
  });
  if (!reports.length) throw new ProjectError(`no plans under ${dir} (expected folders with meta.json, plan.json and plan.txt)`);
  const order = [BUILD_STACK];
  reports.sort(
    (a, b) => (order.includes(b.plan.stack) ? 1 : 0) - (order.includes(a.plan.stack) ? 1 : 0) || a.plan.stack.localeCompare(b.plan.stack),
  );
  const createdAt = reports.map((r) => r.meta.createdAt).sort()[0];
  const cost = readCosts(reports.map((r) => ({ stack: r.plan.stack, dir: r.dir })));
  return renderComment(reports, { offline: reports.some((r) => r.meta.mode === "offline"), createdAt, runUrl, cost });
}

if (require.main === module) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { "run-url": { type: "string" } } });
  try {
    process.stdout.write(commentFor(positionals[0] ?? PLANS_DIR, values["run-url"]));
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
