import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { explainPlanFailure } from "../scripts/plan";
import { terraformEnv, terraformVersion } from "../scripts/terraform";
import { projectCopy } from "./helpers";

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
    const saved = process.env.TF_PROVIDER_MIRROR;
    process.env.TF_PROVIDER_MIRROR = os.tmpdir();
    try {
      expect(() => terraformEnv()).toThrow(`TF_PROVIDER_MIRROR=${os.tmpdir()} is not a provider mirror`);
    } finally {
      if (saved === undefined) delete process.env.TF_PROVIDER_MIRROR;
      else process.env.TF_PROVIDER_MIRROR = saved;
    }
  });

  it("online, build's state does not exist yet", () => {
    const stack = fs.mkdtempSync(path.join(os.tmpdir(), "app-dev-"));
    fs.writeFileSync(
      path.join(stack, "cdk.tf.json"),
      JSON.stringify({ data: { terraform_remote_state: { build: { config: { bucket: "acme-tfstate", key: "webapp/build.tfstate" } } } } }),
    );
    const message = explainPlanFailure("app-dev", stack, {
      code: 1,
      stdout: "",
      stderr: 'Error: Unable to find remote state\n\n  with data.terraform_remote_state.build,\n  on cdk.tf.json line 12, in data "terraform_remote_state" "build":\n\nNo stack state was found in the "s3" backend.',
    });
    expect(message).toContain("app-dev reads the build stack's outputs, but build's state (s3://acme-tfstate/webapp/build.tfstate) does not exist yet.");
    expect(message).toContain("Deploy build first: `npx cdktf deploy build`");
    expect(message).toContain("`npm run plan -- --offline`");
  });
});

describe("terraformEnv", () => {
  function envFor(mirror: string | undefined): NodeJS.ProcessEnv {
    const saved = process.env.TF_PROVIDER_MIRROR;
    if (mirror === undefined) delete process.env.TF_PROVIDER_MIRROR;
    else process.env.TF_PROVIDER_MIRROR = mirror;
    try {
      return terraformEnv();
    } finally {
      if (saved === undefined) delete process.env.TF_PROVIDER_MIRROR;
      else process.env.TF_PROVIDER_MIRROR = saved;
    }
  }
  const mirror = () => {
    const m = fs.mkdtempSync(path.join(os.tmpdir(), "mirror-"));
    fs.mkdirSync(path.join(m, "registry.terraform.io"));
    return m;
  };

  it("gives each mirror its own CLI configuration, so concurrent runs never install from each other's", () => {
    const [a, b] = [mirror(), mirror()];
    const [rcA, rcB] = [envFor(a).TF_CLI_CONFIG_FILE as string, envFor(b).TF_CLI_CONFIG_FILE as string];
    expect(rcA).not.toBe(rcB);
    expect(fs.readFileSync(rcA, "utf8")).toContain(`filesystem_mirror {\n    path = ${JSON.stringify(a)}`);
    expect(fs.readFileSync(rcB, "utf8")).toContain(`path = ${JSON.stringify(b)}`);
    expect(envFor(a).TF_CLI_CONFIG_FILE).toBe(rcA);
  });

  it("shares one plugin cache across stacks when there is no mirror", () => {
    const env = envFor(undefined);
    expect(env.TF_PLUGIN_CACHE_DIR ?? process.env.TF_PLUGIN_CACHE_DIR).toBeTruthy();
    expect(env.TF_CLI_CONFIG_FILE).toBe(process.env.TF_CLI_CONFIG_FILE);
  });
});
