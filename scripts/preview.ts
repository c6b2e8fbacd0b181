/**
 * npm run preview -- <create|list|destroy|expire> [branch] [options]
 *
 * Preview environments (docs/previews.md, "Previews"): a development environment per branch, from the
 * template environments/_previews.ts, with its own stack app-<name> and state key, registered
 * rather than committed (scripts/preview/registry.ts). Online (AWS credentials found), create
 * applies the preview's stack and destroy destroys it; offline, create registers and plans it and
 * destroy runs on its local state. A registry entry is written before anything is created and
 * removed only after its stack is destroyed, so a failure never leaves resources no entry names.
 */
import * as fs from "fs";
import * as path from "path";
import {
  ConfigError,
  PREVIEWS_DIR,
  PreviewError,
  appStackName,
  expiryDate,
  isExpired,
  loadConfig,
  patternTakes,
  previewName,
  type Config,
  type PreviewEntry,
  type PreviewsConfig,
} from "../modules/config";
import { chooseMode, parseCli, runCli } from "./cli";
import { ensureInit, explainInitFailure, runTerraform, terraformEnv, terraformVersion, TerraformError } from "./terraform";
import { OUTDIR, ROOT, planDir, stackDir, synthesize, testStateEndpoint, type PlanMode } from "./plan/workspace";
import { LocalRegistry, S3Registry, mirrorEntries, type Registry } from "./preview/registry";
import { main as plan } from "./plan";

const USAGE = `Usage: npm run preview -- <command> [branch] [options]

  create <branch>    create (or renew) the branch's preview: register it, then deploy its stack
                     (offline: register it in ${PREVIEWS_DIR}/ and plan it; nothing is created in AWS)
  list               list the previews, their branches and expiry dates
  destroy <branch>   destroy the preview's stack, then remove it from the registry (the branch or the preview's name)
  expire             destroy every preview past its expiry date

  --offline | --online  without or with AWS (default: online when AWS credentials are found)
  --auto-approve        do not ask before applying or destroying
  --json                list: print one JSON document
  --if-exists           destroy: succeed when the branch has no preview (a pull request closed without one)
  --today YYYY-MM-DD    expire: the day to compare expiry dates with (default: today, UTC)`;

const ENVIRONMENTS = path.join(ROOT, "environments");
const LOCAL_REGISTRY = path.join(ROOT, PREVIEWS_DIR);

/** What every subcommand works with: the project without previews, its template, and the registry. */
interface Context {
  readonly base: Config;
  readonly template: PreviewsConfig;
  readonly registry: Registry;
  readonly mode: PlanMode;
  readonly testEndpoint?: string;
  readonly autoApprove: boolean;
  /** The registry's entries; online, also copied into .previews/ for the synth. */
  entries: PreviewEntry[];
}

/** The project with these previews, validated. @throws ConfigError */
function configWith(ctx: Context, entries: readonly PreviewEntry[]): Config {
  return loadConfig(ENVIRONMENTS, { entries, registry: ctx.registry.where });
}

/** Records the registry's new content, and online its copy in .previews/ (what a synth reads). */
function remember(ctx: Context, entries: PreviewEntry[]): void {
  ctx.entries = entries;
  if (ctx.mode === "online") mirrorEntries(LOCAL_REGISTRY, entries);
}

function describe(entry: PreviewEntry): string {
  return `${entry.name} (branch ${entry.branch}, expires after ${entry.expiresOn})`;
}

/**
 * Why `branch` may not have a preview in this project, beyond its name: another environment's
 * pipeline already starts on a push to it.
 */
function takenBy(config: Config, branch: string): string | undefined {
  const owner = config.environments.find((e) => e.pipeline.branch === branch || patternTakes(e, branch));
  return owner && `pushes to ${branch} already start environment ${owner.name}'s pipelines (${owner.file})`;
}

async function terraformIn(ctx: Context, stack: string, command: "apply" | "destroy"): Promise<number> {
  const env = terraformEnv();
  const dir = stackDir(OUTDIR, stack);
  await ensureInit(dir, env, (result) => new TerraformError(explainInitFailure(stack, result)));
  const args = [command, "-no-color", ...(ctx.autoApprove ? ["-input=false", "-auto-approve"] : ["-input=true"])];
  // Offline, and against a test endpoint, the provider has no credentials: nothing can be read from AWS.
  if (ctx.mode === "offline" || ctx.testEndpoint) args.push("-refresh=false");
  return (await runTerraform(args, dir, env, { live: true })).code;
}

function limitReached(ctx: Context, others: readonly PreviewEntry[]): PreviewError {
  return new PreviewError(
    `The preview limit is reached: ${others.length} of ${ctx.template.maxPreviews} previews exist (maxPreviews in ${ctx.template.file}):\n` +
      others.map((e) => `  - ${describe(e)}`).join("\n") +
      `\nDestroy one (npm run preview -- destroy <branch>), or raise maxPreviews.`,
  );
}

async function create(ctx: Context, branch: string, now: Date): Promise<number> {
  const { appName } = ctx.base.project;
  const name = previewName(appName, branch);
  const taken = takenBy(ctx.base, branch);
  if (taken) throw new PreviewError(`The branch ${JSON.stringify(branch)} cannot have a preview: ${taken}.`);
  const existing = ctx.entries.find((e) => e.name === name);
  if (existing && existing.branch !== branch) {
    throw new PreviewError(
      `The branch ${JSON.stringify(branch)} cannot have a preview: its name ${name} is already the preview of branch ${existing.branch} (the names of both branches begin alike and share a hash prefix). Rename the branch.`,
    );
  }
  const others = ctx.entries.filter((e) => e.name !== name);
  if (!existing && others.length >= ctx.template.maxPreviews) throw limitReached(ctx, others);
  const entry: PreviewEntry = {
    name,
    branch,
    // A new entry's time is taken when it is written: the limit's re-check below ranks by it.
    createdAt: existing?.createdAt ?? new Date().toISOString(),
    expiresOn: expiryDate(now, ctx.template.ttlDays),
  };
  const entries = [...others, entry].sort((a, b) => a.name.localeCompare(b.name));
  // Validated with every other preview and environment before anything is written.
  const config = configWith(ctx, entries);
  await ctx.registry.put(entry);
  if (!existing) {
    // Two creates at once (two pull requests labelled together) could each see room for one more:
    // read the registry again (S3 reads follow writes) and keep the first maxPreviews by creation
    // time; the one beyond the limit removes its own entry, before anything is created.
    const registered = await ctx.registry.list();
    const order = [...registered].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
    if (order.findIndex((e) => e.name === name) >= ctx.template.maxPreviews) {
      await ctx.registry.remove(name);
      throw limitReached(
        ctx,
        registered.filter((e) => e.name !== name),
      );
    }
  }
  remember(ctx, entries);
  const stack = appStackName(name);
  console.log(`${existing ? "Renewed" : "Registered"} preview ${describe(entry)} in ${ctx.registry.where}; stack ${stack}.`);

  if (ctx.mode === "offline" || ctx.testEndpoint) {
    console.log(
      ctx.testEndpoint
        ? "State at a test endpoint: planning the stack; nothing is created in AWS."
        : "Offline: planning the stack; nothing is created in AWS. With AWS credentials, the same command deploys it.",
    );
    return plan([stack, ctx.mode === "offline" ? "--offline" : "--online"]);
  }
  synthesize(OUTDIR, ctx.mode, config);
  const code = await terraformIn(ctx, stack, "apply");
  if (code !== 0) {
    console.error(
      `Creating ${stack} failed (see Terraform's message above). The preview stays registered, so that what was created can be removed: ` +
        `run this command again once the cause is fixed, or \`npm run preview -- destroy ${branch}\`.`,
    );
    return code;
  }
  const url = await runTerraform(["output", "-raw", "url"], stackDir(OUTDIR, stack), terraformEnv());
  console.log(
    `Preview ${name} is up${url.code === 0 ? ` at ${url.stdout.trim()}` : ""}. Its pipeline deploys branch ${branch} now and at every push; it expires after ${entry.expiresOn}.`,
  );
  return 0;
}

async function destroyOne(ctx: Context, entry: PreviewEntry): Promise<number> {
  const stack = appStackName(entry.name);
  // This preview alone, with the environment files: another entry's problem does not stop it.
  synthesize(OUTDIR, ctx.mode, configWith(ctx, [entry]), ctx.testEndpoint);
  console.log(`Destroying preview ${describe(entry)}: stack ${stack}.`);
  const code = await terraformIn(ctx, stack, "destroy");
  if (code !== 0) {
    console.error(
      `Destroying ${stack} failed (see Terraform's message above); preview ${entry.name} stays registered. Fix the cause and run the command again.`,
    );
    return code;
  }
  // A create may have renewed it meanwhile (a push while the schedule expires it): then its entry,
  // and what that create applies, stay.
  const current = (await ctx.registry.list()).find((e) => e.name === entry.name);
  if (current && current.expiresOn !== entry.expiresOn) {
    console.error(
      `Preview ${entry.name} was renewed while it was being destroyed (expires after ${current.expiresOn}); it stays registered.`,
    );
    return 1;
  }
  await ctx.registry.remove(entry.name);
  remember(
    ctx,
    ctx.entries.filter((e) => e.name !== entry.name),
  );
  // Its synthesized folder (and offline, its local state) and any plan of it go too.
  fs.rmSync(stackDir(OUTDIR, stack), { recursive: true, force: true });
  fs.rmSync(planDir(stack), { recursive: true, force: true });
  console.log(`Preview ${entry.name} is destroyed and removed from ${ctx.registry.where}.`);
  return 0;
}

async function destroy(ctx: Context, target: string, ifExists: boolean): Promise<number> {
  const entry = ctx.entries.find((e) => e.name === target || e.branch === target);
  if (!entry) {
    const message = `No preview of ${target} in ${ctx.registry.where}.`;
    if (ifExists) {
      console.log(`${message} Nothing to destroy.`);
      return 0;
    }
    console.error(`${message} The previews are: ${ctx.entries.map(describe).join("; ") || "none"}.`);
    return 1;
  }
  return destroyOne(ctx, entry);
}

async function expire(ctx: Context, today: string): Promise<number> {
  const expired = ctx.entries.filter((e) => isExpired(e, today));
  console.log(`${expired.length} of ${ctx.entries.length} preview(s) expired before ${today}.`);
  const failed: string[] = [];
  for (const entry of expired) {
    // One preview's failure (even an invalid configuration) does not keep the others alive.
    const code = await destroyOne(ctx, entry).catch((error: unknown) => {
      if (!(error instanceof ConfigError || error instanceof TerraformError)) throw error;
      console.error(error.message);
      return 1;
    });
    if (code !== 0) failed.push(entry.name);
  }
  if (failed.length) console.error(`Could not destroy: ${failed.join(", ")} (they stay registered; the next run tries again).`);
  return failed.length ? 1 : 0;
}

function list(ctx: Context, json: boolean, today: string): number {
  const rows = ctx.entries.map((e) => ({ ...e, stack: appStackName(e.name), expired: isExpired(e, today) }));
  if (json) {
    process.stdout.write(
      JSON.stringify({ registry: ctx.registry.where, maxPreviews: ctx.template.maxPreviews, previews: rows }, null, 2) + "\n",
    );
    return 0;
  }
  console.log(`${rows.length} of at most ${ctx.template.maxPreviews} previews, in ${ctx.registry.where}:`);
  for (const r of rows) console.log(`  ${r.stack}  branch ${r.branch}  expires after ${r.expiresOn}${r.expired ? " (expired)" : ""}`);
  return 0;
}

export async function main(argv: readonly string[], now = new Date()): Promise<number> {
  const cli = parseCli(
    argv,
    {
      offline: { type: "boolean" },
      online: { type: "boolean" },
      "auto-approve": { type: "boolean" },
      json: { type: "boolean" },
      "if-exists": { type: "boolean" },
      today: { type: "string" },
    },
    USAGE,
  );
  if (!cli.values) return cli.exitCode;
  const { values, positionals } = cli;
  const [command, ...rest] = positionals;
  const needsBranch = command === "create" || command === "destroy";
  if (!["create", "list", "destroy", "expire"].includes(command) || rest.length !== (needsBranch ? 1 : 0)) {
    console.error(`${command === undefined ? "Name a command." : `Not a command: ${positionals.join(" ")}.`}\n\n${USAGE}`);
    return 1;
  }
  if (values.offline && values.online) {
    console.error("Choose one of --offline and --online.");
    return 1;
  }
  const today = values.today ?? now.toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(today) || Number.isNaN(Date.parse(today))) {
    console.error(`--today takes a date such as 2026-01-31 (got ${JSON.stringify(values.today)}).`);
    return 1;
  }
  const base = loadConfig(ENVIRONMENTS);
  if (!base.previews) {
    console.error(
      `environments/_previews.ts is missing: previews are made from it (network, limit, lifetime). See docs/previews.md, "Previews".`,
    );
    return 1;
  }
  const mode = chooseMode(values);
  const testEndpoint = mode === "online" ? testStateEndpoint() : undefined;
  if (command !== "list") terraformVersion();
  const registry = mode === "online" ? new S3Registry(base.project, testEndpoint) : new LocalRegistry(LOCAL_REGISTRY);
  const ctx: Context = { base, template: base.previews, registry, mode, testEndpoint, autoApprove: !!values["auto-approve"], entries: [] };
  remember(ctx, await registry.list());
  // A refusal (PreviewError, ConfigError) is a ProjectError: runCli prints its message and exits 1.
  if (command === "create") return create(ctx, rest[0], now);
  if (command === "destroy") return destroy(ctx, rest[0], !!values["if-exists"]);
  if (command === "expire") return expire(ctx, today);
  return list(ctx, !!values.json, today);
}

if (require.main === module) runCli(main);
