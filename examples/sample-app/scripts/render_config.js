"use strict";
// Reads this environment's settings and secrets with the AWS CLI and prints them as JSON on stdout
// ({"settings": {...}, "secrets": {...}}), for render_config.sh to install. PARAMETER_PATH holds
// settings/<NAME> (the value) and secrets/<NAME> (the name of the secret in Secrets Manager). Only
// names are logged, on stderr; no value is ever printed anywhere but stdout.
const { execFileSync } = require("node:child_process");

const region = process.env.AWS_REGION;
const root = process.env.PARAMETER_PATH;
const log = (message) => console.error(`[${process.env.LIFECYCLE_EVENT || "manual"}] ${message}`);

class RenderError extends Error {}

/** Runs the AWS CLI and returns its JSON answer; its own error message when it fails. */
function aws(args) {
  try {
    const out = execFileSync("aws", [...args, "--region", region, "--output", "json"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 16 * 1024 * 1024,
    });
    return JSON.parse(out);
  } catch (error) {
    if (error.code === "ENOENT") throw new RenderError("the AWS CLI (aws) is not installed on this instance");
    throw new RenderError(`aws ${args.slice(0, 2).join(" ")} failed: ${String(error.stderr || error.message).trim()}`);
  }
}

function secretValue(name, secretId) {
  try {
    const answer = aws(["secretsmanager", "get-secret-value", "--secret-id", secretId]);
    if (typeof answer.SecretString !== "string") {
      throw new RenderError(`secret ${name} (${secretId}) holds a binary value: store it as a string (--secret-string)`);
    }
    return answer.SecretString;
  } catch (error) {
    // A secret without a version: "can't find the specified secret value for staging label:
    // AWSCURRENT"; a secret that does not exist: "can't find the specified secret."
    if (error instanceof RenderError && /staging label: AWSCURRENT/.test(error.message)) {
      throw new RenderError(
        `secret ${name} has no value yet: set it with aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string file://<file> (docs/settings-and-secrets.md, "Settings and secrets"), then deploy again`,
      );
    }
    if (error instanceof RenderError && /ResourceNotFoundException/.test(error.message)) {
      throw new RenderError(`secret ${name} (${secretId}) does not exist: apply the environment's stack (it creates its secrets)`);
    }
    throw error;
  }
}

function render() {
  if (!region || !root)
    throw new RenderError("AWS_REGION and PARAMETER_PATH must be set (render_config.sh reads them from the platform file)");
  const { Parameters: parameters } = aws(["ssm", "get-parameters-by-path", "--path", root, "--recursive", "--with-decryption"]);
  const settings = {};
  const secrets = {};
  for (const p of parameters) {
    const [kind, name, ...rest] = p.Name.slice(root.length + 1).split("/");
    if (rest.length || !name) continue;
    if (kind === "settings") settings[name] = p.Value;
    if (kind === "secrets") secrets[name] = secretValue(name, p.Value);
  }
  const names = (o) => Object.keys(o).sort().join(", ") || "none";
  log(`${root}: settings ${names(settings)}; secrets ${names(secrets)}`);
  // Where it runs: the package is the same in every environment it is promoted to.
  return { environment: process.env.ENVIRONMENT, settings, secrets };
}

try {
  process.stdout.write(JSON.stringify(render()) + "\n");
} catch (error) {
  if (!(error instanceof RenderError)) throw error;
  log(`cannot render the runtime configuration: ${error.message}`);
  process.exit(1);
}
