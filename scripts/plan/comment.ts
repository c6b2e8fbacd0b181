import type { StackPlan } from "./analyze";
import { renderSummary, type SummaryContext } from "./summary";

/** Marks the pull-request comment so that a new run updates it instead of adding another. */
export const COMMENT_MARKER = "<!-- cdktf-aws-cicd:plan -->";

/** GitHub refuses comment bodies over 65,536 characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

export interface StackReport {
  readonly plan: StackPlan;
  /** `terraform plan` output. */
  readonly text: string;
}

const fence = (text: string) => "```text\n" + text.replace(/```/g, "``\u200b`") + "\n```";

/**
 * One comment for all stacks: the summary, then each stack's plan output collapsed. When the whole
 * does not fit, each plan output is cut to an equal share and points to the full plan.
 */
export function renderComment(
  reports: readonly StackReport[],
  ctx: SummaryContext & { runUrl?: string },
  limit = GITHUB_COMMENT_LIMIT,
): string {
  const head = `${COMMENT_MARKER}\n${renderSummary(
    reports.map((r) => r.plan),
    ctx,
  )}\n## Plan output\n`;
  const where = ctx.runUrl ? `the [job summary and plan artifacts](${ctx.runUrl})` : "the job summary and plan artifacts";
  const note = `\n\n… cut to fit a comment: the full plan is in ${where}.`;
  const section = (r: StackReport, text: string) => `\n<details><summary>${r.plan.stack}</summary>\n\n${fence(text)}\n\n</details>\n`;

  const full = head + reports.map((r) => section(r, r.text)).join("");
  if (full.length <= limit) return full;

  const overhead = head.length + reports.reduce((n, r) => n + section(r, "").length + note.length, 0);
  const share = Math.max(0, Math.floor((limit - overhead) / Math.max(1, reports.length)) - 16);
  const body = head + reports.map((r) => section(r, r.text.length > share ? r.text.slice(0, share) + note : r.text)).join("");
  return body.length <= limit ? body : body.slice(0, limit - note.length) + note;
}
