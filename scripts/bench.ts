/**
 * npm run bench -- [--skip-50] [--skip-test]
 *
 * Measures, in one run on this machine: the empty-configuration Terraform plan (the floor every
 * Terraform process pays: provider start and schema load), the fast test tier, the synth of 5 and
 * of 50 environments, the cold offline plan of 5 and of 50 environments, and the whole `npm test`
 * (its tools already installed); prints each in seconds and, for the Terraform ones and
 * `npm test`, as a ratio to the floor (docs/tests.md sets `npm test`'s budget: 35 x the floor). A benchmark, not a test: the
 * machine may be shared and noisy, so read ratios, and run it again before trusting one number.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadConfig } from "../modules/config";
import { synthesizeAll } from "../modules/stacks/synth";
import { checkProviderSource } from "./preflight";
import { AWS_PROVIDER, runTerraform, terraformEnv } from "./terraform";
import { ROOT } from "./plan/workspace";

const seconds = (ms: number) => (ms / 1000).toFixed(1);

function timed<T>(fn: () => T): { value: T; ms: number } {
  const started = Date.now();
  const value = fn();
  return { value, ms: Date.now() - started };
}

async function timedAsync<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await fn();
  return { value, ms: Date.now() - started };
}

/** A copy of the project with `extra` more environments, each a copy of dev.ts (node_modules linked). */
function projectWith(extra: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cicd-bench-"));
  for (const entry of ["main.ts", "modules", "runtime", "environments", "scripts", "package.json", "tsconfig.json", "cdktf.json"]) {
    fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  // Without the ci stack (and so without people roles): it cannot serve fifty environments yet
  // (IAM's policy size limits; docs/accounts.md, "CI's roles, per GitHub environment"), and this
  // measures synth and plan at scale.
  const edit = (file: string, from: RegExp) => {
    const full = path.join(dir, "environments", file);
    const text = fs.readFileSync(full, "utf8");
    fs.writeFileSync(full, text.replace(from, ""));
  };
  edit("_project.ts", /\n  ci: \{[^}]*\},/);
  for (const file of fs.readdirSync(path.join(dir, "environments")).filter((f) => !f.startsWith("_"))) edit(file, /\n  people: \{[^}]*\},/);
  const dev = fs.readFileSync(path.join(dir, "environments", "dev.ts"), "utf8");
  for (let i = 1; i <= extra; i++) fs.writeFileSync(path.join(dir, "environments", `bench${String(i).padStart(2, "0")}.ts`), dev);
  return dir;
}

/** Runs a command to completion; fails the benchmark when it fails. */
function run(command: string, args: string[], cwd: string): void {
  const r = spawnSync(command, args, {
    cwd,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, CHECKPOINT_DISABLE: "1" },
  });
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed in ${cwd}:\n${r.stdout}\n${r.stderr}`);
}

async function main(): Promise<number> {
  const skip50 = process.argv.includes("--skip-50");
  const skipTest = process.argv.includes("--skip-test");
  const provider = await checkProviderSource();
  if (!provider.source) {
    console.error(provider.finding?.fix);
    return 1;
  }
  const env = terraformEnv(provider.source);
  const rows: { what: string; ms: number; floorRatio?: boolean }[] = [];

  // The floor: plan of a configuration that only requires the AWS provider.
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), "cicd-bench-floor-"));
  fs.writeFileSync(
    path.join(empty, "main.tf.json"),
    JSON.stringify({
      terraform: { required_providers: { aws: { source: "hashicorp/aws", version: AWS_PROVIDER.version } } },
      provider: {
        aws: [
          {
            region: "eu-west-1",
            access_key: "x",
            secret_key: "x",
            skip_credentials_validation: true,
            skip_requesting_account_id: true,
            skip_metadata_api_check: "true",
          },
        ],
      },
    }),
  );
  const init = await runTerraform(["init", "-input=false", "-no-color"], empty, env);
  if (init.code !== 0) throw new Error(`terraform init failed for the floor:\n${init.stderr}`);
  const floor = await timedAsync(() => runTerraform(["plan", "-input=false", "-no-color", "-refresh=false"], empty, env));
  if (floor.value.code !== 0) throw new Error(`the floor's plan failed:\n${floor.value.stderr}`);
  fs.rmSync(empty, { recursive: true, force: true });
  rows.push({ what: "floor: terraform plan of an empty configuration", ms: floor.ms });

  rows.push({
    what: "fast tier (npm run test:fast: unit + synth)",
    ms: timed(() => run("npx", ["jest", "--selectProjects", "unit", "synth", "--silent"], ROOT)).ms,
  });

  const dirs = { 5: projectWith(0), 50: skip50 ? undefined : projectWith(45) };
  try {
    for (const [n, dir] of Object.entries(dirs)) {
      if (!dir) continue;
      const config = loadConfig(path.join(dir, "environments"));
      const out = path.join(dir, "bench-synth.out");
      rows.push({
        what: `synth of ${n} environments (in process, after a warm-up)`,
        ms: (synthesizeAll(out, config), timed(() => synthesizeAll(out, config)).ms),
      });
    }
    for (const [n, dir] of Object.entries(dirs)) {
      if (!dir) continue;
      // Cold: nothing synthesized, initialized or planned before.
      rows.push({
        what: `offline plan of ${n} environments, cold (npm run plan -- --offline)`,
        ms: timed(() => run("node_modules/.bin/tsx", ["scripts/plan.ts", "--offline"], dir)).ms,
        floorRatio: true,
      });
    }
  } finally {
    for (const dir of Object.values(dirs)) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }

  if (!skipTest) {
    // The suite as the README runs it, with its tools installed (the preflight finds them): the
    // budget is about the tests, not about apt-get.
    rows.push({ what: "npm test (the whole suite)", ms: timed(() => run("npm", ["test", "--silent"], ROOT)).ms, floorRatio: true });
  }

  const width = Math.max(...rows.map((r) => r.what.length));
  console.log(
    `\nMeasured ${new Date().toISOString()} on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "unknown CPU"}), Node ${process.version}\n`,
  );
  for (const r of rows) {
    const ratio = r.floorRatio || r === rows[0] ? `  ${(r.ms / floor.ms).toFixed(1)} x floor` : "";
    console.log(`${r.what.padEnd(width)}  ${seconds(r.ms).padStart(6)} s${ratio}`);
  }
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
