/**
 * npm run preflight -- [--for test|plan]
 *
 * Checks, once and before anything else runs, the tools the project's commands need: Terraform
 * (>= 1.10), a source for the hashicorp/aws provider (a local mirror, or the registry), and for the
 * tests shellcheck, python3, chromium, podman and runc. What it can install on this machine (from the distribution's
 * packages, when run as root) it installs; for the rest it says exactly what to run. Exits 1 with
 * every missing piece listed, so that a missing tool never shows up as a cascade of failing tests.
 */
import { spawnSync } from "child_process";
import * as https from "https";
import { describeProviderSource, findProviderSource, terraformVersion, TerraformError, type ProviderSource } from "./terraform";
import { parseCli, runCli } from "./cli";

const USAGE = `Usage: npm run preflight -- [--for test|plan]

Checks Terraform, the hashicorp/aws provider source, and (for test) shellcheck, python3, chromium, podman and runc.`;

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
  // Behind a proxy this probe (no proxy support) proves nothing: Terraform itself uses HTTPS_PROXY.
  const proxied = !!(process.env.HTTPS_PROXY || process.env.https_proxy);
  if (source.mirror || proxied || (await probe(REGISTRY_PROBE))) return { source };
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

/** A command the tests need, the Debian package that provides it, and why. */
export interface TestTool {
  readonly command: string;
  /** Other names the same tool goes by (Ubuntu's chromium is chromium-browser). @default [] */
  readonly alsoKnownAs?: readonly string[];
  readonly debianPackage: string;
  readonly why: string;
  readonly fix: string;
}

export const TEST_TOOLS: readonly TestTool[] = [
  {
    command: "shellcheck",
    debianPackage: "shellcheck",
    why: "the tests lint the sample app's hook scripts and the instances' user data with it",
    fix: "`sudo apt-get install shellcheck` (Debian, Ubuntu), `brew install shellcheck` (macOS), `dnf install ShellCheck` (Fedora)",
  },
  {
    command: "python3",
    debianPackage: "python3-minimal",
    why: "the tests run the instances' bootstrap health responder with it",
    fix: "`sudo apt-get install python3-minimal` (Debian, Ubuntu), `brew install python` (macOS)",
  },
  {
    command: "chromium",
    alsoKnownAs: ["chromium-browser"],
    debianPackage: "chromium",
    why: "the static site's rehearsal loads the sample site in it, headless, through playwright-core",
    fix: "`sudo apt-get install chromium` (Debian), `sudo apt-get install chromium-browser` (Ubuntu), `brew install --cask chromium` (macOS)",
  },
  {
    command: "podman",
    debianPackage: "podman",
    why: "the sample container's rehearsal builds its image and runs it with it",
    fix: "`sudo apt-get install podman` (Debian, Ubuntu), `brew install podman` (macOS, with `podman machine init`)",
  },
  {
    command: "runc",
    debianPackage: "runc",
    why: "podman runs the sample container with it (crun, podman's default on Debian, refuses this machine's hybrid cgroups)",
    fix: "`sudo apt-get install runc` (Debian, Ubuntu)",
  },
];

/**
 * Makes a test tool available: installs its Debian package when run as root on a machine with
 * apt-get (as CI and these development machines are); otherwise says what to run.
 */
export function ensureTestTool(tool: TestTool, log: (line: string) => void = console.log): Finding | undefined {
  const found = () => [tool.command, ...(tool.alsoKnownAs ?? [])].some(has);
  if (found()) return undefined;
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (root && has("apt-get")) {
    log(`${tool.command} is missing: installing Debian's ${tool.debianPackage} package (apt-get): ${tool.why}`);
    const update = spawnSync("apt-get", ["update", "-qq"], { stdio: ["ignore", "ignore", "inherit"] });
    const install =
      update.status === 0
        ? spawnSync("apt-get", ["install", "-y", "-qq", tool.debianPackage], { stdio: ["ignore", "ignore", "inherit"] })
        : update;
    if (install.status === 0 && found()) return undefined;
  }
  return { tool: tool.command, fix: `${tool.command} is not installed (${tool.why}). Install it: ${tool.fix}.` };
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
    findings.push({
      tool: "terraform",
      fix: `${error.message} Debian/Ubuntu: HashiCorp's apt repository; macOS: \`brew install hashicorp/tap/terraform\`.`,
    });
  }
  const provider = await checkProviderSource();
  if (provider.source) console.log(describeProviderSource(provider.source));
  if (provider.finding) findings.push(provider.finding);
  if (purpose === "test") {
    for (const tool of TEST_TOOLS) {
      const missing = ensureTestTool(tool);
      if (missing) findings.push(missing);
    }
  }
  if (findings.length === 0) return 0;
  console.error(
    `\nMissing before ${purpose === "test" ? "the tests" : "planning"} can run (nothing was run):\n` +
      findings.map((f) => `  - ${f.tool}: ${f.fix}`).join("\n"),
  );
  return 1;
}

if (require.main === module) runCli(main);
