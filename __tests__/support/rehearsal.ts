import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { Json } from "./helpers";

// What the example applications' rehearsals share: running a buildspec the way CodeBuild does, on
// this machine, and collecting its artifacts.

export const BUILD_PHASES = ["install", "pre_build", "build", "post_build"];
/** The name under which `codeBuild` returns the buildspec's primary artifact (`artifacts.files`). */
export const PRIMARY_ARTIFACT = "primary";

/** Every file under `dir`, relative to it, sorted. */
export function listFiles(dir: string, prefix = ""): string[] {
  return fs
    .readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(dir, path.join(prefix, e.name)) : [path.join(prefix, e.name)]))
    .sort();
}

/** buildspec artifact patterns: `*` within a folder, `**` across folders. */
export function globToRegExp(glob: string): RegExp {
  const re = glob
    .split("/")
    .map((part) => (part === "**" ? "(?:.*/)?" : part.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*") + "/"))
    .join("")
    .replace(/\/$/, "")
    .replace(/\(\?:\.\*\/\)\?$/, ".*");
  return new RegExp(`^${re}$`);
}

export interface Build {
  readonly ok: boolean;
  readonly failedPhase?: string;
  /** The copy of the application the build ran in. */
  readonly source: string;
  /** Each artifact's folder: the primary one under PRIMARY_ARTIFACT, secondary ones by identifier. */
  readonly artifacts: Record<string, string>;
  readonly output: string;
}

export interface CodeBuildOptions {
  readonly appDir: string;
  readonly buildspec: Json;
  /** Where to copy the application and write the artifacts. */
  readonly scratch: string;
  /** The variables the pipeline passes (ENVIRONMENT, COMMIT_ID, ...). */
  readonly env: NodeJS.ProcessEnv;
  /** Changes the copied source before the build (to rehearse a broken commit). */
  readonly breakSource?: (dir: string) => void;
}

/** Copies `patterns` of `baseDir` into a new folder under `scratch`. */
function collect(baseDir: string, patterns: readonly string[], scratch: string): string {
  const out = fs.mkdtempSync(path.join(scratch, "artifact-"));
  const res = patterns.map(globToRegExp);
  for (const file of listFiles(baseDir).filter((f) => res.some((p) => p.test(f)))) {
    fs.mkdirSync(path.dirname(path.join(out, file)), { recursive: true });
    fs.copyFileSync(path.join(baseDir, file), path.join(out, file));
  }
  return out;
}

/**
 * Runs the buildspec's phases in a copy of the application (build outputs and installed packages
 * left out, as in a fresh checkout), stopping at the first failing phase, then collects the
 * primary artifact (`artifacts.files`, relative to `base-directory`) and every secondary artifact.
 */
export function codeBuild(options: CodeBuildOptions): Build {
  const { buildspec, scratch } = options;
  const source = fs.mkdtempSync(path.join(scratch, "src-"));
  fs.cpSync(options.appDir, source, { recursive: true, filter: (p) => !/\/(node_modules|reports|dist|build)$/.test(p) });
  options.breakSource?.(source);
  const env = { ...process.env, ...options.env, CODEBUILD_SRC_DIR: source, CODEBUILD_BUILD_SUCCEEDING: "1" };
  let output = "";
  for (const phase of BUILD_PHASES) {
    const commands: string[] = buildspec.phases[phase]?.commands ?? [];
    const r = spawnSync("bash", ["-e", "-c", commands.join("\n")], { cwd: source, env, encoding: "utf8" });
    output += `--- ${phase}\n${r.stdout}${r.stderr}`;
    if (r.status !== 0) return { ok: false, failedPhase: phase, source, artifacts: {}, output };
  }
  const artifacts: Record<string, string> = {};
  const spec = buildspec.artifacts ?? {};
  if (spec.files) artifacts[PRIMARY_ARTIFACT] = collect(path.join(source, spec["base-directory"] ?? ""), spec.files, scratch);
  for (const [id, secondary] of Object.entries((spec["secondary-artifacts"] ?? {}) as Record<string, Json>)) {
    artifacts[id] = collect(path.join(source, secondary["base-directory"] ?? ""), secondary.files, scratch);
  }
  return { ok: true, source, artifacts, output };
}

/** What the fake `aws` answers from: Parameter Store and Secrets Manager as a deployment finds them. */
export interface FakeAwsStore {
  readonly region: string;
  /** Parameter name to value (SecureString values, as GetParametersByPath --with-decryption returns them). */
  readonly parameters: Record<string, string>;
  /** Secret name to value; null: the secret exists but has no value yet. */
  readonly secrets: Record<string, string | null>;
}

/**
 * A stand-in for the AWS CLI on PATH (`<dir>/aws`) that answers `ssm get-parameters-by-path` and
 * `secretsmanager get-secret-value` from the JSON store in FAKE_AWS_STORE, accepts `sns publish`, as AWS CLI v2 does
 * (its JSON output; its error line and exit code 254), and appends each call's arguments to
 * FAKE_AWS_CALLS. Any other command, or a call without the store's region, fails.
 */
export function fakeAwsCli(dir: string): string {
  const script = `#!/usr/bin/env node
"use strict";
const fs = require("fs");
const args = process.argv.slice(2);
fs.appendFileSync(process.env.FAKE_AWS_CALLS, JSON.stringify(args) + "\\n");
const store = JSON.parse(fs.readFileSync(process.env.FAKE_AWS_STORE, "utf8"));
const opt = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const fail = (code, operation, message) => {
  process.stderr.write("\\nAn error occurred (" + code + ") when calling the " + operation + " operation: " + message + "\\n");
  process.exit(254);
};
if (opt("--region") !== store.region) fail("UnrecognizedClientException", args[1], "wrong or missing --region " + opt("--region"));
if (args[0] === "ssm" && args[1] === "get-parameters-by-path") {
  const root = opt("--path");
  const Parameters = Object.entries(store.parameters)
    .filter(([name]) => name.startsWith(root + "/") && (args.includes("--recursive") || !name.slice(root.length + 1).includes("/")))
    .map(([Name, Value]) => ({ Name, Type: "SecureString", Value: args.includes("--with-decryption") ? Value : "AQICAHencrypted", Version: 1 }));
  process.stdout.write(JSON.stringify({ Parameters }, null, 4) + "\\n");
} else if (args[0] === "secretsmanager" && args[1] === "get-secret-value") {
  const id = opt("--secret-id");
  if (!(id in store.secrets)) fail("ResourceNotFoundException", "GetSecretValue", "Secrets Manager can't find the specified secret.");
  if (store.secrets[id] === null) {
    fail("ResourceNotFoundException", "GetSecretValue", "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT");
  }
  process.stdout.write(JSON.stringify({ Name: id, SecretString: store.secrets[id], VersionStages: ["AWSCURRENT"] }, null, 4) + "\\n");
} else if (args[0] === "sns" && args[1] === "publish") {
  process.stdout.write(JSON.stringify({ MessageId: "00000000-0000-4000-8000-000000000000" }) + "\\n");
} else {
  fail("InvalidCommand", args.join(" "), "not supported by the fake aws");
}
`;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "aws"), script, { mode: 0o755 });
  return dir;
}
