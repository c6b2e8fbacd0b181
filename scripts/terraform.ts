import { execFileSync, spawn } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ProjectError } from "../modules/lib/errors";
import { ACCOUNT_ACCESS_VARIABLE } from "../modules/config/names";

/** The oldest Terraform this project supports: the S3 backend's `use_lockfile` needs 1.10. */
export const MIN_TERRAFORM_VERSION = "1.10.0";

export class TerraformError extends ProjectError {}

function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  }
  return 0;
}

/** The installed Terraform's version; fails with what to do when it is missing or too old. */
export function terraformVersion(binary = terraformBinary()): string {
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

/** The provider every stack uses, as @cdktf/provider-aws 20.1.0 pins it in the synthesized JSON. */
export const AWS_PROVIDER = { address: "registry.terraform.io/hashicorp/aws", version: "5.100.0" } as const;

/** Terraform's name for this machine's platform, e.g. linux_amd64. */
export function terraformPlatform(): string {
  const arch: Record<string, string> = { x64: "amd64", arm64: "arm64", ia32: "386", arm: "arm" };
  return `${process.platform === "win32" ? "windows" : process.platform}_${arch[process.arch] ?? process.arch}`;
}

/** Whether `dir` (a folder that contains registry.terraform.io) holds the AWS provider for this platform. */
export function holdsAwsProvider(dir: string): boolean {
  const base = path.join(dir, ...AWS_PROVIDER.address.split("/"));
  const platform = terraformPlatform();
  // The two layouts of a filesystem mirror: unpacked (as a plugin cache also is) and packed (zip).
  return (
    fs.existsSync(path.join(base, AWS_PROVIDER.version, platform)) ||
    fs.existsSync(path.join(base, `terraform-provider-aws_${AWS_PROVIDER.version}_${platform}.zip`))
  );
}

/** Where Terraform installs hashicorp/aws from, and why that source was chosen. */
export interface ProviderSource {
  /** A local mirror (the folder that contains registry.terraform.io); absent: the registry. */
  readonly mirror?: string;
  /** Why, in words: "TF_PROVIDER_MIRROR", "Terraform's implied local mirror", ... */
  readonly origin: string;
}

/** Where a provider mirror is conventionally installed on a machine, beyond Terraform's own folders. */
export const SYSTEM_MIRROR_LOCATIONS = [
  "/opt/tf-plugins",
  "/opt/terraform/plugins",
  "/opt/terraform-plugins",
  "/usr/local/lib/terraform/plugins",
];

/**
 * Terraform's implied local mirror directories on Unix ("Implied Local Mirror Directories" in the
 * CLI configuration docs): ~/.terraform.d/plugins, then terraform/plugins under the XDG data folders.
 */
export function impliedMirrorDirs(env: NodeJS.ProcessEnv, home = os.homedir()): string[] {
  const dataHome = env.XDG_DATA_HOME || path.join(home, ".local", "share");
  const dataDirs = (env.XDG_DATA_DIRS || "/usr/local/share:/usr/share").split(":").filter(Boolean);
  return [path.join(home, ".terraform.d", "plugins"), ...[dataHome, ...dataDirs].map((d) => path.join(d, "terraform", "plugins"))];
}

/** The plugin caches Terraform may already have filled (same layout as an unpacked mirror). */
export function pluginCacheDirs(env: NodeJS.ProcessEnv, home = os.homedir()): string[] {
  return [env.TF_PLUGIN_CACHE_DIR, path.join(home, ".terraform.d", "plugin-cache")].filter((d): d is string => !!d);
}

/** Any /opt/<name>/ that holds a mirror: packages often install one there. */
function optMirrors(root = "/opt"): string[] {
  try {
    return fs.readdirSync(root).map((name) => path.join(root, name));
  } catch {
    return [];
  }
}

/**
 * Finds where to install hashicorp/aws from, in this order: TF_PROVIDER_MIRROR; Terraform's implied
 * local mirror directories and plugin caches; conventional system locations; otherwise the registry
 * (through a shared plugin cache). A local copy is always preferred: it needs no network.
 */
export function findProviderSource(
  env: NodeJS.ProcessEnv = process.env,
  locations: { home?: string; system?: readonly string[]; optRoot?: string } = {},
): ProviderSource {
  const explicit = env.TF_PROVIDER_MIRROR;
  if (explicit) {
    if (!fs.existsSync(path.join(explicit, "registry.terraform.io"))) {
      throw new TerraformError(
        `TF_PROVIDER_MIRROR=${explicit} is not a provider mirror: it has no registry.terraform.io folder. ` +
          "Point it at the folder that `terraform providers mirror <dir>` filled, or unset it to let the project find one.",
      );
    }
    return { mirror: path.resolve(explicit), origin: "TF_PROVIDER_MIRROR" };
  }
  const home = locations.home ?? os.homedir();
  const candidates: [string[], string][] = [
    [impliedMirrorDirs(env, home), "Terraform's implied local mirror"],
    [pluginCacheDirs(env, home), "Terraform's plugin cache"],
    [[...(locations.system ?? SYSTEM_MIRROR_LOCATIONS), ...optMirrors(locations.optRoot)], "a system location"],
  ];
  for (const [dirs, origin] of candidates) {
    const found = dirs.find(holdsAwsProvider);
    if (found) return { mirror: path.resolve(found), origin };
  }
  return { origin: "the registry (no local copy found)" };
}

/** One line for the user: where the provider comes from. */
export function describeProviderSource(source: ProviderSource): string {
  const what = `Provider hashicorp/aws ${AWS_PROVIDER.version}`;
  return source.mirror
    ? `${what}: local mirror ${source.mirror} (${source.origin}).`
    : `${what}: from ${source.origin}; set TF_PROVIDER_MIRROR to a local mirror to work offline.`;
}

/** A Terraform CLI configuration that installs hashicorp/aws from `mirror` and any other provider directly. */
function mirrorCliConfig(mirror: string): string {
  // Named after its content and written atomically: concurrent runs with different mirrors must
  // never read each other's configuration.
  const address = JSON.stringify(AWS_PROVIDER.address);
  const content =
    "provider_installation {\n" +
    `  filesystem_mirror {\n    path = ${JSON.stringify(mirror)}\n    include = [${address}]\n  }\n` +
    `  direct {\n    exclude = [${address}]\n  }\n}\n`;
  const rc = path.join(os.tmpdir(), `cdktf-cicd-terraformrc-${createHash("sha256").update(content).digest("hex").slice(0, 16)}`);
  if (!fs.existsSync(rc) || fs.readFileSync(rc, "utf8") !== content) {
    const partial = `${rc}.${process.pid}.tmp`;
    fs.writeFileSync(partial, content);
    fs.renameSync(partial, rc);
  }
  return rc;
}

/**
 * Environment for Terraform commands, with the provider source of findProviderSource(): a local
 * mirror, used with no network, or the registry through a shared plugin cache.
 */
export function terraformEnv(source: ProviderSource = findProviderSource()): NodeJS.ProcessEnv {
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
  if (source.mirror) {
    env.TF_CLI_CONFIG_FILE = mirrorCliConfig(source.mirror);
    // Recorded for ensureInit's marker and for messages.
    env.CICD_PROVIDER_MIRROR = source.mirror;
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

/** The Terraform binary every command runs: TERRAFORM_BINARY, or `terraform` on PATH. */
export const terraformBinary = (): string => process.env.TERRAFORM_BINARY ?? "terraform";

export interface RunOptions {
  /**
   * Also show the output as it comes (apply, destroy), and let Terraform read the terminal
   * (destroy's confirmation).
   * @default false - output is only collected
   */
  readonly live?: boolean;
}

/**
 * Runs one Terraform command in `cwd` and collects its output (never throws on exit code). The
 * only place this project starts Terraform, apart from `terraformVersion`.
 */
export function runTerraform(args: readonly string[], cwd: string, env = terraformEnv(), options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(terraformBinary(), [...args], { cwd, env, stdio: [options.live ? "inherit" : "ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
      if (options.live) process.stdout.write(d);
    });
    child.stderr.on("data", (d) => {
      stderr += d;
      if (options.live) process.stderr.write(d);
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Explains a failed `terraform init`, naming the likely cause and the fix. */
export function explainInitFailure(stack: string, result: RunResult): string {
  const text = result.stderr + result.stdout;
  const hint =
    /Failed to query available provider packages|Could not retrieve the list of available versions|could not connect|Failed to install provider|no available releases match/i.test(
      text,
    )
      ? process.env.TF_PROVIDER_MIRROR
        ? `The mirror at TF_PROVIDER_MIRROR=${process.env.TF_PROVIDER_MIRROR} lacks hashicorp/aws ${AWS_PROVIDER.version} for ${terraformPlatform()}: rebuild it with \`terraform providers mirror\`.`
        : `The provider hashicorp/aws ${AWS_PROVIDER.version} could not be installed: no local mirror was found (looked in TF_PROVIDER_MIRROR, ${impliedMirrorDirs(process.env)[0]} and Terraform's other implied mirror folders, the plugin cache, ${SYSTEM_MIRROR_LOCATIONS[0]} and /opt/*), and registry.terraform.io did not answer. Set TF_PROVIDER_MIRROR to a local mirror (the folder that contains registry.terraform.io; build one with \`terraform providers mirror <dir>\` on a connected machine).`
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
  const json = JSON.parse(fs.readFileSync(path.join(dir, "cdk.tf.json"), "utf8"));
  const { terraform } = json;
  // Modules (the combined offline plan's stacks) are registered by init too.
  const modules = Object.keys(json.module ?? {}).sort();
  const key = JSON.stringify({
    backend: terraform.backend,
    providers: terraform.required_providers,
    mirror: env.CICD_PROVIDER_MIRROR ?? "",
    modules,
  });
  const marker = path.join(dir, ".terraform", "cicd-init.json");
  if (fs.existsSync(marker) && fs.existsSync(path.join(dir, ".terraform.lock.hcl")) && fs.readFileSync(marker, "utf8") === key) {
    return "cached";
  }
  const init = await runTerraform(["init", "-input=false", "-no-color", "-reconfigure"], dir, env);
  if (init.code !== 0) throw fail(init);
  fs.writeFileSync(marker, key);
  return "initialized";
}

/**
 * The environment Terraform runs in, with the role a stack in another account assumes there:
 * "read" for a plan without the lock (read-only credentials: pull requests, the drift check,
 * deploy-stack's plan job), "deploy" otherwise and for every apply. Set on every run: Terraform asks
 * again, at apply, for an ephemeral variable given at plan time. Ignored by a stack that does not
 * declare it (single-account, offline).
 */
export function accessEnv(env: NodeJS.ProcessEnv, access: "deploy" | "read"): NodeJS.ProcessEnv {
  return { ...env, [`TF_VAR_${ACCOUNT_ACCESS_VARIABLE}`]: access };
}
