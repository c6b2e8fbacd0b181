/**
 * npm run preflight -- [--for test|plan]
 *
 * Checks, once and before anything else runs, the tools the project's commands need: Terraform
 * (>= 1.10), a source for the hashicorp/aws provider (a local mirror, or the registry), and for the
 * tests shellcheck. What it can install on this machine (shellcheck, from the distribution's
 * packages, when run as root) it installs; for the rest it says exactly what to run. Exits 1 with
 * every missing piece listed, so that a missing tool never shows up as a cascade of failing tests.
 */
import { spawnSync } from "child_process";
import * as https from "https";
import {
  describeProviderSource,
  findProviderSource,
  terraformVersion,
  TerraformError,
  type ProviderSource,
} from "./terraform";
import { parseCli, runCli } from "./cli";

const USAGE = `Usage: npm run preflight -- [--for test|plan]

Checks Terraform, the hashicorp/aws provider source, and (for test) shellcheck.`;

/** The registry's discovery document: answers within seconds when the registry is reachable. */
export const REGISTRY_PROBE = "https://registry.terraform.io/.well-known/terraform.json";

/** Whether an HTTPS URL answers at all (any status) within `timeoutMs`. */
export function reachable(url: string, timeoutMs = 5000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.get(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve(false));
  });
}

/** What a command found missing, with how to fix it. */
export interface Finding {
  readonly tool: string;
  readonly fix: string;
}

export const has = (command: string): boolean => spawnSync(command, ["--version"], { stdio: "ignore" }).error === undefined;

/** The provider source, or a finding when there is no local copy and the registry does not answer. */
export async function checkProviderSource(
  probe: (url: string) => Promise<boolean> = reachable,
  find: () => ProviderSource = findProviderSource,
): Promise<{ source?: ProviderSource; finding?: Finding }> {
  let source: ProviderSource;
  try {
    source = find();
  } catch (error) {
    return { finding: { tool: "TF_PROVIDER_MIRROR", fix: (error as Error).message } };
  }
  if (source.mirror || (await probe(REGISTRY_PROBE))) return { source };
  return {
    finding: {
      tool: "hashicorp/aws provider",
      fix:
        "No local mirror of hashicorp/aws was found (TF_PROVIDER_MIRROR, ~/.terraform.d/plugins and Terraform's other implied " +
        "mirror folders, the plugin cache, /opt/tf-plugins, /opt/*) and registry.terraform.io does not answer. " +
        "Set TF_PROVIDER_MIRROR to the folder that contains registry.terraform.io (build one with " +
        "`terraform providers mirror <dir>` on a connected machine).",
    },
  };
}

/**
 * Makes shellcheck available: installs Debian's package when run as root on a machine with apt-get
 * (as CI and these development machines are); otherwise says what to run.
 */
export function ensureShellcheck(log: (line: string) => void = console.log): Finding | undefined {
  if (has("shellcheck")) return undefined;
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (root && has("apt-get")) {
    log("shellcheck is missing: installing Debian's shellcheck package (apt-get) for the sample app's hook checks");
    const update = spawnSync("apt-get", ["update", "-qq"], { stdio: ["ignore", "ignore", "inherit"] });
    const install = update.status === 0 ? spawnSync("apt-get", ["install", "-y", "-qq", "shellcheck"], { stdio: ["ignore", "ignore", "inherit"] }) : update;
    if (install.status === 0 && has("shellcheck")) return undefined;
  }
  return {
    tool: "shellcheck",
    fix: "shellcheck is not installed (the tests lint the sample app's hook scripts with it). Install it: `sudo apt-get install shellcheck` (Debian, Ubuntu), `brew install shellcheck` (macOS), `dnf install ShellCheck` (Fedora).",
  };
}

export async function main(argv: readonly string[]): Promise<number> {
  const cli = parseCli(argv, { for: { type: "string" } }, USAGE);
  if (!cli.values) return cli.exitCode;
  const purpose = cli.values.for ?? "test";
  if (purpose !== "test" && purpose !== "plan") {
    console.error(`--for takes test or plan (got ${JSON.stringify(purpose)}).\n\n${USAGE}`);
    return 1;
  }
  const findings: Finding[] = [];
  try {
    console.log(`Terraform ${terraformVersion()}`);
  } catch (error) {
    if (!(error instanceof TerraformError)) throw error;
    findings.push({ tool: "terraform", fix: `${error.message} Debian/Ubuntu: HashiCorp's apt repository; macOS: \`brew install hashicorp/tap/terraform\`.` });
  }
  const provider = await checkProviderSource();
  if (provider.source) console.log(describeProviderSource(provider.source));
  if (provider.finding) findings.push(provider.finding);
  if (purpose === "test") {
    const shellcheck = ensureShellcheck();
    if (shellcheck) findings.push(shellcheck);
  }
  if (findings.length === 0) return 0;
  console.error(
    `\nMissing before ${purpose === "test" ? "the tests" : "planning"} can run (nothing was run):\n` +
      findings.map((f) => `  - ${f.tool}: ${f.fix}`).join("\n"),
  );
  return 1;
}

if (require.main === module) runCli(main);
