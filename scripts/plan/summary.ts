import { COUNTED_ACTIONS, protectedViolations, type StackPlan } from "./analyze";
import { renderCost, type CostEstimate } from "./cost";

export interface SummaryContext {
  readonly offline: boolean;
  readonly createdAt: string;
  /** Stacks whose plan failed, with the reason. */
  readonly failures?: readonly { stack: string; message: string }[];
  readonly allowDestroy?: boolean;
  /** Each stack's monthly cost, or why there is none. @default - not estimated */
  readonly cost?: CostEstimate;
}

export const OFFLINE_NOTICE =
  "**Offline plan** — made without AWS access: empty local state, no credentials, and placeholder values " +
  "(marked `offline-placeholder`) for the build stack's outputs. It shows what each stack would create from " +
  "scratch and checks it against the real provider. It cannot be applied. The stacks are planned together in one " +
  "Terraform run, so each resource's `tags` also shows its stack's default tags (`tags_all` is what AWS gets either way).";

const title: Record<string, string> = { create: "Create", update: "Update in place", replace: "Replace", delete: "Delete" };

/** SUMMARY.md: what is destroyed first, then counts per stack, then every resource by action. */
export function renderSummary(plans: readonly StackPlan[], ctx: SummaryContext): string {
  const lines: string[] = ["# Plan summary", ""];
  if (ctx.offline) lines.push(`> ${OFFLINE_NOTICE}`, "");
  lines.push(`Planned ${ctx.createdAt} for ${plans.length} stack${plans.length === 1 ? "" : "s"}.`, "");

  for (const f of ctx.failures ?? []) lines.push(`> **${f.stack}: the plan failed.** ${f.message.split("\n")[0]}`, "");

  const destructive = plans.flatMap((p) =>
    p.changes.filter((c) => c.action === "replace" || c.action === "delete").map((c) => ({ stack: p.stack, c })),
  );
  const blocked = protectedViolations(plans);
  lines.push("## Replacements and deletions", "");
  if (destructive.length === 0) {
    lines.push("None.", "");
  } else {
    for (const { stack, c } of destructive) {
      const mark = c.protectedReason ? ` — **PROTECTED**: ${c.protectedReason}` : "";
      lines.push(`- **${c.action}** \`${stack}\` \`${c.address}\`${mark}`);
    }
    lines.push("");
    if (blocked.length) {
      lines.push(
        ctx.allowDestroy
          ? "Protected resources will be destroyed: allowed by `--allow-destroy`."
          : "The plan destroys protected resources: `npm run plan` fails unless it is run with `--allow-destroy`.",
        "",
      );
    }
  }

  lines.push("| stack | create | update | replace | delete |", "|---|---:|---:|---:|---:|");
  for (const p of plans) lines.push(`| ${p.stack} | ${COUNTED_ACTIONS.map((a) => p.counts[a]).join(" | ")} |`);
  lines.push("");
  lines.push(...renderCost(ctx.cost));

  for (const p of plans) {
    lines.push(`## ${p.stack}`, "");
    const any = COUNTED_ACTIONS.some((a) => p.counts[a] > 0);
    if (!any) lines.push("No changes.", "");
    for (const action of COUNTED_ACTIONS) {
      const changes = p.changes.filter((c) => c.action === action);
      if (!changes.length) continue;
      lines.push(`<details><summary>${title[action]} (${changes.length})</summary>`, "");
      for (const c of changes) lines.push(`- \`${c.address}\``);
      lines.push("", "</details>", "");
    }
    if (p.outputs?.length) {
      lines.push("Publishes:", "");
      for (const o of p.outputs) {
        const value = o.sensitive
          ? "_(sensitive)_"
          : o.value === undefined
            ? "_known after apply_"
            : `\`${typeof o.value === "string" ? o.value : JSON.stringify(o.value)}\``;
        lines.push(`- \`${o.name}\` = ${value}${o.description ? ` — ${o.description}` : ""}`);
      }
      lines.push("");
    }
  }
  return lines.join("\n");
}

/** The console's per-stack table. */
export function renderTable(plans: readonly StackPlan[]): string {
  const width = Math.max(5, ...plans.map((p) => p.stack.length));
  const head = `${"stack".padEnd(width)}  create  update  replace  delete`;
  const rows = plans.map(
    (p) =>
      `${p.stack.padEnd(width)}  ${String(p.counts.create).padStart(6)}  ${String(p.counts.update).padStart(6)}  ${String(
        p.counts.replace,
      ).padStart(7)}  ${String(p.counts.delete).padStart(6)}`,
  );
  return [head, ...rows].join("\n");
}
