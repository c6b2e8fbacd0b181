/**
 * npm run stacks -- [--json | --github-output]
 *
 * Lists the project's stacks from environments/: build first, then the environments tier by tier
 * (development, preproduction, production), each with its tier, the GitHub environment that
 * gates its deploy and the one its plans run in. The workflows read this (`--github-output`, then `fromJSON`), so a new
 * environment file is planned and deployed with no workflow edit.
 */
import { BUILD_STACK, CI_STACK, TIERS, appStackName, planEnvironmentName, type Config, type Tier } from "../modules/config";
import { parseCli, runCli } from "./cli";
import { projectConfig } from "./plan/workspace";

const USAGE = `Usage: npm run stacks -- [--json | --github-output]

Lists the stacks CI plans and deploys, in deploy order, with their tier and GitHub environments
(the apply's, and the plans'). ci (tier "administered") is planned, not deployed; the accounts'
bootstraps are neither: an administrator deploys both (docs/accounts.md).
  --json           one JSON document: { "stacks": [...], "tiers": { "<tier>": [...] } }
  --github-output  lines for $GITHUB_OUTPUT: stacks=<names>, entries=<entries>, build=<entry>,
                   and one per tier (<tier>=<entries>)`;

export interface StackEntry {
  readonly stack: string;
  /** "administered": planned by CI (pull requests, drift) but deployed by an administrator only (ci). */
  readonly tier: Tier | "build" | "administered";
  /** Gates the apply (required reviewers); its variables hold the apply role (AWS_APPLY_ROLE_ARN). */
  readonly githubEnvironment: string;
  /** Where the stack's plans run (no reviewers); its variables hold the plan role (AWS_PLAN_ROLE_ARN). */
  readonly planEnvironment: string;
}

/** Deploy order: build, then each tier's environments (in file order), production last; ci, planned only, first. */
export function stackEntries(config: Config): StackEntry[] {
  const build: StackEntry = {
    stack: BUILD_STACK,
    tier: "build",
    githubEnvironment: BUILD_STACK,
    planEnvironment: planEnvironmentName(BUILD_STACK),
  };
  const apps = TIERS.flatMap((tier) =>
    config.environments
      .filter((e) => e.tier === tier)
      .map((e): StackEntry => ({
        stack: appStackName(e.name),
        tier,
        githubEnvironment: e.githubEnvironment,
        planEnvironment: planEnvironmentName(e.githubEnvironment),
      })),
  );
  // CI's identities: planned and checked for drift with build's read-only role, never deployed by
  // CI (no CI role may change a CI role: docs/accounts.md). The bootstraps are not listed: planning
  // one takes its account's administrator role.
  const ci: StackEntry[] = config.project.ci
    ? [{ stack: CI_STACK, tier: "administered", githubEnvironment: BUILD_STACK, planEnvironment: planEnvironmentName(BUILD_STACK) }]
    : [];
  return [...ci, build, ...apps];
}

export function byTier(entries: readonly StackEntry[]): Record<Tier, StackEntry[]> {
  return Object.fromEntries(TIERS.map((t) => [t, entries.filter((e) => e.tier === t)])) as Record<Tier, StackEntry[]>;
}

/**
 * `key=value` lines for $GITHUB_OUTPUT; every value is one line of JSON: `stacks` (the names),
 * `entries` (every entry: the plan matrices), `build` (its entry) and one per tier (the deploys).
 */
export function githubOutput(entries: readonly StackEntry[]): string {
  const tiers = byTier(entries);
  const lines = [
    `stacks=${JSON.stringify(entries.map((e) => e.stack))}`,
    `entries=${JSON.stringify(entries)}`,
    `build=${JSON.stringify(entries.find((e) => e.tier === "build"))}`,
    ...TIERS.map((t) => `${t}=${JSON.stringify(tiers[t])}`),
  ];
  return lines.join("\n") + "\n";
}

export async function main(argv: readonly string[]): Promise<number> {
  const cli = parseCli(argv, { json: { type: "boolean" }, "github-output": { type: "boolean" } }, USAGE);
  if (!cli.values) return cli.exitCode;
  const entries = stackEntries(projectConfig());
  if (cli.values.json) process.stdout.write(JSON.stringify({ stacks: entries, tiers: byTier(entries) }, null, 2) + "\n");
  else if (cli.values["github-output"]) process.stdout.write(githubOutput(entries));
  else {
    const width = Math.max(...entries.map((e) => e.stack.length));
    for (const e of entries)
      console.log(
        `${e.stack.padEnd(width)}  ${e.tier.padEnd(13)}  ` +
          (e.tier === "administered"
            ? `GitHub environment: ${e.planEnvironment} (plans only; an administrator deploys it)`
            : `GitHub environments: ${e.githubEnvironment} (apply), ${e.planEnvironment} (plan)`),
      );
  }
  return 0;
}

if (require.main === module) runCli(main);
