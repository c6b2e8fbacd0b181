/**
 * npm run destroy -- <stack> [--offline | --online] [--auto-approve]
 *
 * Destroys one stack with `terraform destroy`, after one check: the build stack is refused while
 * any app-<env> stack still has resources in its state (they depend on build's bucket, key,
 * build project and connection). Production data is further protected by prevent_destroy.
 */
import * as fs from "fs";
import * as path from "path";
import { BUILD_STACK, appStackName } from "../modules/config";
import { chooseMode, parseCli, runCli } from "./cli";
import { ensureInit, explainInitFailure, runTerraform, terraformEnv, terraformVersion, TerraformError } from "./terraform";
import { OUTDIR, projectConfig, stackDir, synthesize, type PlanMode } from "./plan/workspace";

const USAGE = `Usage: npm run destroy -- <stack> [--offline | --online] [--auto-approve]

  --offline       use the local state of an offline run (default when no AWS credentials are found)
  --auto-approve  do not ask for confirmation`;

/** The resources recorded in a stack's state (none when it has no state yet). */
export async function stateResources(stack: string, mode: PlanMode, env: NodeJS.ProcessEnv): Promise<string[]> {
  const dir = stackDir(OUTDIR, stack);
  if (mode === "offline") {
    const file = path.join(dir, "terraform.tfstate");
    if (!fs.existsSync(file)) return [];
    const state = JSON.parse(fs.readFileSync(file, "utf8")) as { resources?: { mode: string; type: string; name: string }[] };
    return (state.resources ?? []).filter((r) => r.mode === "managed").map((r) => `${r.type}.${r.name}`);
  }
  await ensureInit(dir, env, (result) => new TerraformError(explainInitFailure(stack, result)));
  const list = await runTerraform(["state", "list", "-no-color"], dir, env);
  if (list.code !== 0) {
    throw new TerraformError(
      `Could not read the state of ${stack}, so it cannot be known whether it still uses build:\n${list.stderr.trim()}`,
    );
  }
  return list.stdout.split("\n").filter((l) => l.trim() && !l.startsWith("data."));
}

/** Why build may not be destroyed now: the app stacks that still have resources. */
export async function buildStillUsedBy(appStacks: readonly string[], mode: PlanMode, env: NodeJS.ProcessEnv): Promise<string[]> {
  const used: string[] = [];
  for (const stack of appStacks) if ((await stateResources(stack, mode, env)).length > 0) used.push(stack);
  return used;
}

export async function main(argv: readonly string[]): Promise<number> {
  const cli = parseCli(argv, { offline: { type: "boolean" }, online: { type: "boolean" }, "auto-approve": { type: "boolean" } }, USAGE);
  if (!cli.values) return cli.exitCode;
  const { values, positionals } = cli;
  if (positionals.length !== 1) {
    console.error(`Name exactly one stack to destroy.\n\n${USAGE}`);
    return 1;
  }
  const [stack] = positionals;
  const config = projectConfig();
  const appStacks = config.environments.map((e) => appStackName(e.name));
  if (stack !== BUILD_STACK && !appStacks.includes(stack)) {
    console.error(`Unknown stack: ${stack}. The stacks are: ${[BUILD_STACK, ...appStacks].join(", ")}.`);
    return 1;
  }
  terraformVersion();
  const mode = chooseMode(values);
  synthesize(OUTDIR, mode, config);
  const env = terraformEnv();

  if (stack === BUILD_STACK) {
    const used = await buildStillUsedBy(appStacks, mode, env);
    if (used.length) {
      console.error(
        `Refusing to destroy build: ${used.join(", ")} still ${used.length === 1 ? "exists and uses" : "exist and use"} its artifact bucket, key, build project and connection.\n` +
          `Destroy ${used.length === 1 ? "it" : "them"} first: ${used.map((s) => `npm run destroy -- ${s}`).join("; ")}`,
      );
      return 1;
    }
  }

  await ensureInit(stackDir(OUTDIR, stack), env, (result) => new TerraformError(explainInitFailure(stack, result)));
  const args = [
    "destroy",
    "-input=" + (values["auto-approve"] ? "false" : "true"),
    "-no-color",
    ...(values["auto-approve"] ? ["-auto-approve"] : []),
  ];
  if (mode === "offline") args.push("-refresh=false");
  return (await runTerraform(args, stackDir(OUTDIR, stack), env, { live: true })).code;
}

if (require.main === module) runCli(main);
