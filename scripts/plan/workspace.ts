import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadConfig, localPreviews, type Config } from "../../modules/config";
import { synthesizeAll } from "../../modules/stacks/synth";
import { stackList } from "../../modules/stacks";
import type { ProjectStack } from "../../modules/stacks/project-stack";
import { TerraformError } from "../terraform";

/** The project's root folder (scripts/plan/ is two levels below it). */
export const ROOT = path.resolve(__dirname, "..", "..");
export const OUTDIR = path.join(ROOT, "cdktf.out");
export const PLANS_DIR = path.join(ROOT, "plans");
/** Where offline plans of several stacks are made in one Terraform run (scripts/plan/offline.ts). */
export const OFFLINE_ROOT = path.join(OUTDIR, "offline");

/** The project's configuration, from environments/. @throws ConfigError */
export function projectConfig(): Config {
  return loadConfig(path.join(ROOT, "environments"), localPreviews(ROOT));
}

export type PlanMode = "online" | "offline";

/** Written beside each plan file; `npm run apply` checks it before applying. */
export interface PlanMeta {
  readonly stack: string;
  readonly mode: PlanMode;
  readonly createdAt: string;
  /** SHA-256 of the stack's synthesized cdk.tf.json the plan was made from. */
  readonly configSha256: string;
  /** SHA-256 of the binary plan file. */
  readonly planSha256: string;
  readonly terraformVersion: string;
  /** Offline plans only: what the plan was computed from (see offlineInputsSha256). */
  readonly offlineInputsSha256?: string;
  /** Set when state came from an S3-compatible test endpoint: such a plan is never applied. */
  readonly testStateEndpoint?: string;
}

/** The variable that points online plans' state at an S3-compatible test endpoint (docs/plan-review-and-ci.md, "Testing against an S3-compatible endpoint"). */
export const TEST_S3_ENDPOINT_VARIABLE = "CICD_TEST_S3_ENDPOINT";

/** The test endpoint from the environment, checked; undefined when unset. @throws TerraformError */
export function testStateEndpoint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[TEST_S3_ENDPOINT_VARIABLE];
  if (!value) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol)) {
    throw new TerraformError(
      `${TEST_S3_ENDPOINT_VARIABLE}=${value} is not an http(s) URL such as http://127.0.0.1:4568 (unset it to use AWS S3).`,
    );
  }
  return value;
}

/**
 * An offline plan is a pure function of the stack's JSON, its local state file (normally absent),
 * the provider lock file and the Terraform version: when none changed, the last plan still holds.
 * Online plans are never reused: the real infrastructure may have changed.
 */
export function offlineInputsSha256(dir: string, terraformVersion: string): string {
  const hash = createHash("sha256").update(`terraform ${terraformVersion}\n`);
  for (const file of ["cdk.tf.json", "terraform.tfstate", ".terraform.lock.hcl"]) {
    const p = path.join(dir, file);
    hash.update(`${file}\n`).update(fs.existsSync(p) ? fs.readFileSync(p) : "(absent)");
  }
  return hash.digest("hex");
}

export const stackDir = (outdir: string, stack: string) => path.join(outdir, "stacks", stack);
export const planDir = (stack: string) => path.join(PLANS_DIR, stack);
export const planFile = (stack: string) => path.join(planDir(stack), "plan.tfplan");
export const metaFile = (stack: string) => path.join(planDir(stack), "meta.json");

export function sha256(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/**
 * Synthesizes every stack from environments/ into `outdir` (once, in process, all or nothing).
 * @returns the stacks: build, each environment account's bootstrap, then the environments.
 * @throws ConfigError when an environment file is invalid, RuleViolationError on a weakened default.
 */
export function synthesize(outdir: string, mode: PlanMode, config: Config = projectConfig(), testEndpoint?: string): ProjectStack[] {
  return stackList(synthesizeAll(outdir, config, { offline: mode === "offline", testStateEndpoint: testEndpoint }));
}

/** Synthesizes into a temporary folder and returns the SHA-256 of each stack's JSON. */
export function currentConfigHashes(mode: PlanMode): Record<string, string> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "cicd-synth-"));
  try {
    const stacks = synthesize(outdir, mode).map((s) => s.stackName);
    return Object.fromEntries(stacks.map((s) => [s, sha256(path.join(stackDir(outdir, s), "cdk.tf.json"))]));
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * Whether AWS credentials are likely available (environment variables, a web identity token as in
 * GitHub's OIDC, a container role, or a shared config/credentials file).
 */
export function hasAwsCredentials(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE || env.AWS_WEB_IDENTITY_TOKEN_FILE) return true;
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI) return true;
  const home = os.homedir();
  const files = [
    env.AWS_SHARED_CREDENTIALS_FILE ?? path.join(home, ".aws", "credentials"),
    env.AWS_CONFIG_FILE ?? path.join(home, ".aws", "config"),
  ];
  return files.some((f) => fs.existsSync(f));
}

/** Terraform processes to run at once: one per core, and about 700 MB of free memory each. */
export function defaultParallelism(): number {
  const byMemory = Math.floor(os.freemem() / (700 * 1024 * 1024));
  return Math.max(1, Math.min(os.cpus().length, byMemory));
}
