import { execFileSync, spawn } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** The oldest Terraform this project supports: the S3 backend's `use_lockfile` needs 1.10. */
export const MIN_TERRAFORM_VERSION = "1.10.0";

export class TerraformError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TerraformError";
  }
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  }
  return 0;
}

/** The installed Terraform's version; fails with what to do when it is missing or too old. */
export function terraformVersion(binary = process.env.TERRAFORM_BINARY ?? "terraform"): string {
  let out: string;
  try {
    out = execFileSync(binary, ["version", "-json"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, CHECKPOINT_DISABLE: "1" },
    });
  } catch {
    throw new TerraformError(
      `Terraform was not found ("${binary}" did not run). Install Terraform >= ${MIN_TERRAFORM_VERSION} ` +
        "(https://developer.hashicorp.com/terraform/install) and make sure it is on PATH.",
    );
  }
  const version = (JSON.parse(out) as { terraform_version: string }).terraform_version;
  if (compareVersions(version, MIN_TERRAFORM_VERSION) < 0) {
    throw new TerraformError(
      `Terraform ${version} is too old: the S3 backend's native locking (use_lockfile) needs >= ${MIN_TERRAFORM_VERSION}. Upgrade Terraform.`,
    );
  }
  return version;
}

/**
 * Environment for Terraform commands. With TF_PROVIDER_MIRROR set (the folder that contains
 * registry.terraform.io, as built by `terraform providers mirror`), providers are installed from
 * that mirror only, with no network; otherwise from the registry through a shared plugin cache.
 */
export function terraformEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CHECKPOINT_DISABLE: "1",
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    // Terraform and the AWS provider are Go programs that spend much of a plan loading the
    // provider schema; a less eager garbage collector cut their CPU time by about 20% here
    // (plan of app-dev: 3.8 -> 3.0 s CPU) for about 35 MB more memory. A GOGC you set wins.
    GOGC: process.env.GOGC ?? "400",
  };
  const mirror = process.env.TF_PROVIDER_MIRROR;
  if (mirror) {
    if (!fs.existsSync(path.join(mirror, "registry.terraform.io"))) {
      throw new TerraformError(
        `TF_PROVIDER_MIRROR=${mirror} is not a provider mirror: it has no registry.terraform.io folder. ` +
          "Point it at the folder that `terraform providers mirror <dir>` filled.",
      );
    }
    // Named after its content and written atomically: concurrent runs with different mirrors
    // must never read each other's configuration.
    const content = `provider_installation {\n  filesystem_mirror {\n    path = ${JSON.stringify(path.resolve(mirror))}\n  }\n}\n`;
    const rc = path.join(os.tmpdir(), `cdktf-cicd-terraformrc-${createHash("sha256").update(content).digest("hex").slice(0, 16)}`);
    if (!fs.existsSync(rc) || fs.readFileSync(rc, "utf8") !== content) {
      const partial = `${rc}.${process.pid}.tmp`;
      fs.writeFileSync(partial, content);
      fs.renameSync(partial, rc);
    }
    env.TF_CLI_CONFIG_FILE = rc;
  } else if (!env.TF_PLUGIN_CACHE_DIR) {
    const cache = path.join(os.homedir(), ".terraform.d", "plugin-cache");
    fs.mkdirSync(cache, { recursive: true });
    env.TF_PLUGIN_CACHE_DIR = cache;
  }
  return env;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one Terraform command in `cwd` and collects its output (never throws on exit code). */
export function runTerraform(args: readonly string[], cwd: string, env = terraformEnv()): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.TERRAFORM_BINARY ?? "terraform", [...args], { cwd, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Explains a failed `terraform init`, naming the likely cause and the fix. */
export function explainInitFailure(stack: string, result: RunResult): string {
  const text = result.stderr + result.stdout;
  const hint = /Failed to query available provider packages|Could not retrieve the list of available versions|could not connect|Failed to install provider|no available releases match/i.test(text)
    ? process.env.TF_PROVIDER_MIRROR
      ? `The mirror at TF_PROVIDER_MIRROR=${process.env.TF_PROVIDER_MIRROR} lacks hashicorp/aws 5.100.0 for this platform: rebuild it with \`terraform providers mirror\`.`
      : "The provider hashicorp/aws 5.100.0 could not be installed. Without access to registry.terraform.io, set TF_PROVIDER_MIRROR to a local mirror (the folder that contains registry.terraform.io; build one with `terraform providers mirror <dir>` on a connected machine)."
    : "See Terraform's message above.";
  return `terraform init failed for stack ${stack}:\n${text.trim()}\n\n${hint}`;
}

/** Runs `fn` over `items` with at most `limit` running at once, keeping the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  });
  await Promise.all(workers);
  return results;
}

/**
 * Runs `terraform init` in `dir` unless it is already initialized for the same backend, providers
 * and provider source (a marker in .terraform records them), so that repeated plans skip it.
 * @param fail turns a failed init into the error to throw
 */
export async function ensureInit(
  dir: string,
  env: NodeJS.ProcessEnv,
  fail: (result: RunResult) => Error,
): Promise<"cached" | "initialized"> {
  const terraform = JSON.parse(fs.readFileSync(path.join(dir, "cdk.tf.json"), "utf8")).terraform;
  const key = JSON.stringify({ backend: terraform.backend, providers: terraform.required_providers, mirror: env.TF_PROVIDER_MIRROR ?? "" });
  const marker = path.join(dir, ".terraform", "cicd-init.json");
  if (fs.existsSync(marker) && fs.existsSync(path.join(dir, ".terraform.lock.hcl")) && fs.readFileSync(marker, "utf8") === key) {
    return "cached";
  }
  const init = await runTerraform(["init", "-input=false", "-no-color", "-reconfigure"], dir, env);
  if (init.code !== 0) throw fail(init);
  fs.writeFileSync(marker, key);
  return "initialized";
}
