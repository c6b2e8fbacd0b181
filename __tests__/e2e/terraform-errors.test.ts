import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { explainPlanFailure } from "../../scripts/plan";
import {
  AWS_PROVIDER,
  accessEnv,
  describeProviderSource,
  findProviderSource,
  holdsAwsProvider,
  runTerraform,
  terraformEnv,
  terraformPlatform,
  terraformVersion,
} from "../../scripts/terraform";
import { checkProviderSource } from "../../scripts/preflight";
import { projectCopy, shippedConfig, synthAll } from "../support/helpers";

// What `npm run plan` says when Terraform is missing, too old, cannot install the provider, or
// (online) build's state does not exist yet: each message names the fix.
const dir = projectCopy();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function plan(env: NodeJS.ProcessEnv, args: string[] = ["build", "--offline"]) {
  const r = spawnSync(path.join(dir, "node_modules", ".bin", "tsx"), ["scripts/plan.ts", ...args], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}

function fakeTerraform(version: string): string {
  const bin = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fake-tf-")), "terraform");
  fs.writeFileSync(bin, `#!/bin/sh\necho '{"terraform_version":"${version}"}'\n`, { mode: 0o755 });
  return bin;
}

describe("npm run plan fails with what to do when", () => {
  it("Terraform is missing", () => {
    expect(() => terraformVersion(path.join(dir, "no-such-terraform"))).toThrow(
      /Terraform was not found \(".*no-such-terraform" did not run\)\. Install Terraform >= 1\.10\.0/,
    );
  });

  it("Terraform is older than the S3 backend's native locking needs", () => {
    expect(() => terraformVersion(fakeTerraform("1.9.8"))).toThrow(
      "Terraform 1.9.8 is too old: the S3 backend's native locking (use_lockfile) needs >= 1.10.0. Upgrade Terraform.",
    );
    expect(terraformVersion(fakeTerraform("1.10.0"))).toBe("1.10.0");
  });

  // The CLI end to end: the failure is reported per stack, with the fix.
  it("the provider cannot be installed from the configured mirror", () => {
    const emptyMirror = fs.mkdtempSync(path.join(os.tmpdir(), "empty-mirror-"));
    fs.mkdirSync(path.join(emptyMirror, "registry.terraform.io"));
    const r = plan({ TF_PROVIDER_MIRROR: emptyMirror });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("terraform init failed for stack build");
    expect(r.stderr).toContain(`The mirror at TF_PROVIDER_MIRROR=${emptyMirror} lacks hashicorp/aws 5.100.0`);
    expect(r.stdout).toContain("[build] FAILED");
  });

  it("TF_PROVIDER_MIRROR is not a mirror", () => {
    const r = plan({ TF_PROVIDER_MIRROR: os.tmpdir() });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`TF_PROVIDER_MIRROR=${os.tmpdir()} is not a provider mirror`);
    expect(r.stdout).not.toContain("[build]");
  });

  it("online, build's state does not exist yet", () => {
    const message = missingRemoteState("app-dev", { build: { config: { bucket: "acme-tfstate", key: "webapp/build.tfstate" } } }, "build");
    expect(message).toContain(
      "app-dev reads the build stack's outputs, but build's state (s3://acme-tfstate/webapp/build.tfstate) does not exist yet.",
    );
    expect(message).toContain("Deploy build first: `npx cdktf deploy build`");
    expect(message).toContain("`npm run plan -- --offline`");
  });
});

/** What npm run plan says when Terraform cannot find the remote state `missing` of `stack`'s configuration. */
function missingRemoteState(stack: string, remoteStates: Record<string, unknown>, missing: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${stack}-`));
  fs.writeFileSync(path.join(dir, "cdk.tf.json"), JSON.stringify({ data: { terraform_remote_state: remoteStates } }));
  return explainPlanFailure(stack, dir, {
    code: 1,
    stdout: "",
    stderr: `Error: Unable to find remote state\n\n  with data.terraform_remote_state.${missing},\n  on cdk.tf.json line 12, in data "terraform_remote_state" "${missing}":\n\nNo stack state was found in the "s3" backend.`,
  });
}

describe("npm run plan, online, for an environment in an account of its own", () => {
  it("names the account to bootstrap and the command when its bootstrap's state does not exist", () => {
    const location = { bucket: "acme-tfstate", key: "webapp/bootstrap-210987654321.tfstate" };
    const message = missingRemoteState(
      "app-prod",
      { build: { config: { bucket: "acme-tfstate" } }, bootstrap: { config: location } },
      "bootstrap",
    );
    expect(message).toContain(
      "app-prod runs in account 210987654321, which is not bootstrapped yet (no state at s3://acme-tfstate/webapp/bootstrap-210987654321.tfstate).",
    );
    expect(message).toContain("`npx cdktf deploy bootstrap-210987654321`");
    expect(message).toContain("Nothing was planned or created in either account.");
    expect(message).not.toContain("Deploy build first");
  });
});

describe("the role a stack in another account assumes, with Terraform itself", () => {
  // app-prod's own account_access variable, in a configuration whose provider picks its role from
  // it as app-prod's does (without the bootstrap's state, which needs AWS): a plan made read-only
  // is applied only when the variable is given again, and then with the value apply gives.
  it("a saved plan made with account_access=read must be applied with the variable set again, and takes deploy then", async () => {
    const prod = synthAll(shippedConfig())["app-prod"];
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "account-access-"));
    const role = (name: string) => `arn:aws:iam::210987654321:role/${name}`;
    fs.writeFileSync(
      path.join(root, "main.tf.json"),
      JSON.stringify({
        terraform: { required_providers: prod.terraform.required_providers },
        variable: prod.variable,
        provider: {
          aws: [
            {
              region: "eu-west-1",
              access_key: "offline",
              secret_key: "offline",
              skip_credentials_validation: true,
              skip_requesting_account_id: true,
              skip_metadata_api_check: "true",
              assume_role: [{ role_arn: `\${var.account_access == "read" ? "${role("read")}" : "${role("deploy")}"}` }],
            },
          ],
        },
      }),
    );
    expect(prod.variable.account_access.ephemeral).toBe(true);
    const env = terraformEnv();
    expect((await runTerraform(["init", "-input=false", "-no-color"], root, env)).code).toBe(0);
    const planned = await runTerraform(["plan", "-input=false", "-no-color", "-out=plan.tfplan"], root, accessEnv(env, "read"));
    expect(planned.stderr).toBe("");
    const bare = await runTerraform(["apply", "-input=false", "-no-color", "plan.tfplan"], root, env);
    expect(bare.code).toBe(1);
    expect(bare.stderr.replace(/\s+/g, " ")).toContain(
      'The ephemeral input variable "account_access" was set during the plan phase, and so must also be set during the apply phase.',
    );
    const applied = await runTerraform(["apply", "-input=false", "-no-color", "plan.tfplan"], root, accessEnv(env, "deploy"));
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    fs.rmSync(root, { recursive: true, force: true });
  }, 60_000);
});

describe("where the hashicorp/aws provider comes from", () => {
  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "provider-source-"));
  /** A folder laid out as a mirror (or plugin cache) that holds hashicorp/aws for this platform. */
  function withProvider(dir: string, layout: "unpacked" | "packed" = "unpacked"): string {
    const base = path.join(dir, "registry.terraform.io", "hashicorp", "aws");
    if (layout === "unpacked") fs.mkdirSync(path.join(base, AWS_PROVIDER.version, terraformPlatform()), { recursive: true });
    else {
      fs.mkdirSync(base, { recursive: true });
      fs.writeFileSync(path.join(base, `terraform-provider-aws_${AWS_PROVIDER.version}_${terraformPlatform()}.zip`), "");
    }
    return dir;
  }
  const home = () => tmp();

  it("is TF_PROVIDER_MIRROR when set, before any other local copy", () => {
    const h = home();
    withProvider(path.join(h, ".terraform.d", "plugins"));
    const mirror = withProvider(tmp());
    expect(findProviderSource({ TF_PROVIDER_MIRROR: mirror }, { home: h, system: [], optRoot: tmp() })).toEqual({
      mirror,
      origin: "TF_PROVIDER_MIRROR",
    });
  });

  it("fails with the fix when TF_PROVIDER_MIRROR is not a mirror", () => {
    expect(() => findProviderSource({ TF_PROVIDER_MIRROR: os.tmpdir() }, { home: home(), system: [], optRoot: tmp() })).toThrow(
      `TF_PROVIDER_MIRROR=${os.tmpdir()} is not a provider mirror`,
    );
  });

  it("is Terraform's implied local mirror (~/.terraform.d/plugins, then the XDG data folders) with no variable set", () => {
    const h = home();
    const xdg = tmp();
    withProvider(path.join(xdg, "terraform", "plugins"), "packed");
    expect(findProviderSource({ XDG_DATA_DIRS: xdg }, { home: h, system: [], optRoot: tmp() })).toEqual({
      mirror: path.join(xdg, "terraform", "plugins"),
      origin: "Terraform's implied local mirror",
    });
    withProvider(path.join(h, ".terraform.d", "plugins"));
    expect(findProviderSource({ XDG_DATA_DIRS: xdg }, { home: h, system: [], optRoot: tmp() }).mirror).toBe(
      path.join(h, ".terraform.d", "plugins"),
    );
  });

  it("is a plugin cache that already holds the provider", () => {
    const cache = withProvider(tmp());
    expect(findProviderSource({ TF_PLUGIN_CACHE_DIR: cache, XDG_DATA_DIRS: tmp() }, { home: home(), system: [], optRoot: tmp() })).toEqual({
      mirror: cache,
      origin: "Terraform's plugin cache",
    });
  });

  it("is a mirror in a conventional system location, skipping folders that lack this version", () => {
    const other = tmp();
    fs.mkdirSync(path.join(other, "registry.terraform.io", "hashicorp", "aws", "5.99.0", terraformPlatform()), { recursive: true });
    const system = withProvider(tmp());
    expect(findProviderSource({ XDG_DATA_DIRS: tmp() }, { home: home(), system: [other, system], optRoot: tmp() })).toEqual({
      mirror: system,
      origin: "a system location",
    });
  });

  it("finds a mirror installed in any folder under /opt, as this machine's image has one", () => {
    const opt = tmp();
    const mirror = withProvider(path.join(opt, "some-vendor-plugins"));
    fs.mkdirSync(path.join(opt, "unrelated"));
    const found = findProviderSource({ XDG_DATA_DIRS: tmp() }, { home: home(), system: [], optRoot: opt });
    expect(found).toEqual({ mirror, origin: "a system location" });
    expect(holdsAwsProvider(mirror)).toBe(true);
    expect(findProviderSource({ XDG_DATA_DIRS: tmp() }, { home: home(), system: [], optRoot: tmp() }).mirror).toBeUndefined();
  });

  it("is the registry when there is no local copy, and says so once with how to work offline", async () => {
    const none = findProviderSource({ XDG_DATA_DIRS: tmp() }, { home: home(), system: [], optRoot: tmp() });
    expect(none).toEqual({ origin: "the registry (no local copy found)" });
    expect(describeProviderSource(none)).toContain("set TF_PROVIDER_MIRROR to a local mirror");
    const offline = await checkProviderSource(
      async () => false,
      () => none,
    );
    expect(offline.source).toBeUndefined();
    expect(offline.finding?.fix).toContain("registry.terraform.io does not answer");
    const online = await checkProviderSource(
      async () => true,
      () => none,
    );
    expect(online.source).toEqual(none);
  });

  it("installs from the mirror found, with its own CLI configuration per mirror, and anything else directly", () => {
    const [a, b] = [withProvider(tmp()), withProvider(tmp())];
    const [rcA, rcB] = [
      terraformEnv({ mirror: a, origin: "test" }).TF_CLI_CONFIG_FILE as string,
      terraformEnv({ mirror: b, origin: "test" }).TF_CLI_CONFIG_FILE as string,
    ];
    expect(rcA).not.toBe(rcB);
    const text = fs.readFileSync(rcA, "utf8");
    expect(text).toContain(`filesystem_mirror {\n    path = ${JSON.stringify(a)}\n    include = ["registry.terraform.io/hashicorp/aws"]`);
    expect(text).toContain(`direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]`);
    expect(terraformEnv({ mirror: a, origin: "test" }).TF_CLI_CONFIG_FILE).toBe(rcA);
  });

  it("shares one plugin cache across stacks when the provider comes from the registry", () => {
    const saved = process.env.TF_PLUGIN_CACHE_DIR;
    delete process.env.TF_PLUGIN_CACHE_DIR;
    let env: NodeJS.ProcessEnv;
    try {
      env = terraformEnv({ origin: "the registry (no local copy found)" });
    } finally {
      if (saved !== undefined) process.env.TF_PLUGIN_CACHE_DIR = saved;
    }
    expect(env.TF_PLUGIN_CACHE_DIR).toBe(path.join(os.homedir(), ".terraform.d", "plugin-cache"));
    expect(env.TF_CLI_CONFIG_FILE).toBe(process.env.TF_CLI_CONFIG_FILE);
  });

  it("is the provider version that every synthesized stack requires", () => {
    for (const stack of Object.values(synthAll(shippedConfig()))) {
      expect(stack.terraform.required_providers.aws).toEqual({ source: "aws", version: AWS_PROVIDER.version });
    }
  });
});

describe("npm run preflight (the first step of npm test)", () => {
  /** A PATH with node and nothing else: no terraform, no shellcheck, no apt-get. */
  function bareBin(): string {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "bare-bin-"));
    fs.symlinkSync(process.execPath, path.join(bin, "node"));
    return bin;
  }

  it("reports every missing tool once, with how to install it, and runs nothing else", () => {
    const r = spawnSync(process.execPath, [path.join(dir, "node_modules", "tsx", "dist", "cli.mjs"), "scripts/preflight.ts"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, PATH: bareBin(), TF_PROVIDER_MIRROR: "" },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("Missing before the tests can run (nothing was run):");
    expect(r.stderr).toMatch(/- terraform: Terraform was not found .* Install Terraform >= 1\.10\.0/);
    expect(r.stderr).toContain("- shellcheck: shellcheck is not installed");
    expect(r.stderr).toContain("- python3: python3 is not installed");
    expect(r.stderr).toContain("- chromium: chromium is not installed (the static site's rehearsal");
    expect(r.stderr).toContain("`sudo apt-get install shellcheck`");
    expect(r.stderr.match(/terraform:/g)).toHaveLength(1);
  });

  it("accepts a tool under another name it goes by (Ubuntu's chromium-browser)", () => {
    const bin = bareBin();
    fs.writeFileSync(path.join(bin, "chromium-browser"), "#!/bin/sh\necho 'Chromium 156'\n", { mode: 0o755 });
    const r = spawnSync(process.execPath, [path.join(dir, "node_modules", "tsx", "dist", "cli.mjs"), "scripts/preflight.ts"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, PATH: bin, TF_PROVIDER_MIRROR: "" },
    });
    expect(r.stderr).toContain("- shellcheck: shellcheck is not installed");
    expect(r.stderr).not.toContain("- chromium:");
  });

  it("is what npm test runs first", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    expect(pkg.scripts.test).toMatch(/^npm run --silent preflight && /);
    expect(pkg.scripts.preflight).toBe("tsx scripts/preflight.ts");
  });
});
