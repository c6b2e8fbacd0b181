import { spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { expiryDate, previewName, type PreviewEntry } from "../../modules/config";
import { projectCopy, seedLogGroupState, type Json } from "../support/helpers";

// `npm run preview` offline, in a copy of the project: a preview is registered in .previews/,
// planned, listed and destroyed, and nothing of any other stack changes.
const dir = projectCopy();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const registry = path.join(dir, ".previews");
const stackFolder = (stack: string) => path.join(dir, "cdktf.out", "stacks", stack);

function preview(...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, INFRACOST_API_KEY: "" };
  for (const k of Object.keys(env)) if (k.startsWith("AWS_")) delete env[k];
  const r = spawnSync(path.join(dir, "node_modules", ".bin", "tsx"), ["scripts/preview.ts", ...args], { cwd: dir, encoding: "utf8", env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const registered = () => (fs.existsSync(registry) ? fs.readdirSync(registry).sort() : []);

/** Registers a preview as `create` would, without planning it. */
function register(branch: string, expiresOn: string, createdAt = "2026-11-01T00:00:00.000Z"): PreviewEntry {
  const entry = { name: previewName("webapp", branch), branch, createdAt, expiresOn };
  fs.mkdirSync(registry, { recursive: true });
  fs.writeFileSync(path.join(registry, `${entry.name}.json`), JSON.stringify(entry));
  return entry;
}

/** The SHA-256 of each other stack's local state: what must not change. */
function otherStates(): Record<string, string> {
  return Object.fromEntries(
    ["app-dev", "app-qa"].map((s) => [
      s,
      createHash("sha256")
        .update(fs.readFileSync(path.join(stackFolder(s), "terraform.tfstate")))
        .digest("hex"),
    ]),
  );
}

describe("npm run preview, offline", () => {
  const branch = "Feature/Login.Page_v2";
  const name = previewName("webapp", branch);
  const stack = `app-${name}`;
  let before: Record<string, string>;

  beforeAll(() => {
    seedLogGroupState(dir, "app-dev", "dev");
    seedLogGroupState(dir, "app-qa", "qa");
    before = otherStates();
  });

  it("creates one: registers it in .previews/ with its expiry, synthesizes and plans its own stack", () => {
    const r = preview("create", branch, "--offline");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const expiresOn = expiryDate(new Date(), 7);
    expect(r.stdout).toContain(
      `Registered preview ${name} (branch ${branch}, expires after ${expiresOn}) in .previews/ (offline registry); stack ${stack}.`,
    );
    expect(r.stdout).toContain("Offline: planning the stack; nothing is created in AWS.");
    expect(JSON.parse(fs.readFileSync(path.join(registry, `${name}.json`), "utf8"))).toMatchObject({ name, branch, expiresOn });

    const plan: Json = JSON.parse(fs.readFileSync(path.join(dir, "plans", stack, "plan.json"), "utf8"));
    const changes: Json[] = plan.resource_changes.filter((c: Json) => c.mode === "managed");
    expect(changes.length).toBeGreaterThan(30);
    expect(changes.every((c) => c.change.actions.join() === "create")).toBe(true);
    const pipeline = changes.find((c) => c.type === "aws_codepipeline")!.change.after;
    expect(pipeline.stage[0].action[0].configuration.BranchName).toBe(branch);
    expect(pipeline.tags).toMatchObject({ Preview: name, ExpiresOn: expiresOn });
    expect(changes.find((c) => c.type === "aws_lb")!.change.after.name).toBe(`webapp-${name}`);
    expect(otherStates()).toEqual(before);
  }, 120_000);

  it("lists it, as text and as JSON", () => {
    const text = preview("list", "--offline");
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("1 of at most 5 previews, in .previews/ (offline registry):");
    expect(text.stdout).toContain(`  ${stack}  branch ${branch}  expires after `);
    const json = JSON.parse(preview("list", "--offline", "--json").stdout);
    expect(json.previews).toEqual([expect.objectContaining({ name, branch, stack, expired: false })]);
  });

  it("is a stack that cdktf synth (main.ts) knows, so `cdktf deploy` can reach it", () => {
    const outdir = path.join(dir, "cdktf.out.main");
    const r = spawnSync(path.join(dir, "node_modules", ".bin", "tsx"), ["main.ts"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, CDKTF_OUTDIR: outdir },
    });
    expect(r.status).toBe(0);
    expect(fs.readdirSync(path.join(outdir, "stacks"))).toContain(stack);
  });

  it("renews it when created again: same entry, later expiry", () => {
    const entry = JSON.parse(fs.readFileSync(path.join(registry, `${name}.json`), "utf8"));
    fs.writeFileSync(path.join(registry, `${name}.json`), JSON.stringify({ ...entry, expiresOn: "2026-01-01" }));
    const r = preview("create", branch, "--offline");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Renewed preview ${name}`);
    expect(JSON.parse(fs.readFileSync(path.join(registry, `${name}.json`), "utf8"))).toEqual({
      ...entry,
      expiresOn: expiryDate(new Date(), 7),
    });
  }, 120_000);

  it("destroys it: its stack, its folder, its plan and its entry go; no other stack's state changes", () => {
    // Something in its state for destroy to remove (offline, nothing reaches AWS: a terraform_data
    // resource is Terraform's own).
    fs.writeFileSync(
      path.join(stackFolder(stack), "terraform.tfstate"),
      JSON.stringify({
        version: 4,
        terraform_version: "1.11.4",
        serial: 1,
        lineage: "8d6c1f0e-0000-4000-8000-0000000000a1",
        outputs: {},
        resources: [
          {
            mode: "managed",
            type: "terraform_data",
            name: "marker",
            provider: 'provider["terraform.io/builtin/terraform"]',
            instances: [{ schema_version: 0, attributes: { id: "marker", input: null, output: null, triggers_replace: null } }],
          },
        ],
      }),
    );
    const r = preview("destroy", branch, "--offline", "--auto-approve");
    expect(r.stdout).toContain("Destroy complete! Resources: 1 destroyed.");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Preview ${name} is destroyed and removed from .previews/ (offline registry).`);
    expect(registered()).toEqual([]);
    expect(fs.existsSync(stackFolder(stack))).toBe(false);
    expect(fs.existsSync(path.join(dir, "plans", stack))).toBe(false);
    expect(otherStates()).toEqual(before);
    expect(preview("list", "--offline").stdout).toContain("0 of at most 5 previews");
  }, 120_000);
});

describe("npm run preview refuses, saying why and writing nothing", () => {
  afterEach(() => fs.rmSync(registry, { recursive: true, force: true }));

  it.each([
    ["feat/{a,b}", 'cannot have a preview: it contains "{", ",", "}"'],
    [
      "hotfix/urgent",
      "cannot have a preview: pushes to hotfix/urgent already start environment hotfix's pipelines (environments/hotfix.ts).",
    ],
    ["deploy/dev", "deploy/<env> branches belong to environments"],
    ["feat/../x", "is not a valid git branch name"],
  ])("a branch that would give an invalid or taken name: %s", (branch, reason) => {
    const r = preview("create", branch, "--offline");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(reason);
    expect(registered()).toEqual([]);
  });

  it("a branch whose name collides with another preview's (same start, same hash prefix)", () => {
    // Two branches whose names collide: the slug is "feature" for every feature/<n>, so search
    // for two numbers whose branch hashes share six hex characters.
    const seen = new Map<string, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; !pair; i++) {
      const b = `feature/${i}`;
      const n = previewName("webapp", b);
      if (seen.has(n)) pair = [seen.get(n)!, b];
      seen.set(n, b);
    }
    register(pair[0], "2099-01-01");
    const r = preview("create", pair[1], "--offline");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`its name ${previewName("webapp", pair[1])} is already the preview of branch ${pair[0]}`);
    expect(registered()).toEqual([`${previewName("webapp", pair[0])}.json`]);
  });

  it("one preview more than maxPreviews, listing those that exist", () => {
    const template = path.join(dir, "environments", "_previews.ts");
    const original = fs.readFileSync(template, "utf8");
    fs.writeFileSync(template, original.replace("maxPreviews: 5", "maxPreviews: 2"));
    try {
      register("feature/one", "2099-01-01");
      register("feature/two", "2099-01-01");
      const r = preview("create", "feature/three", "--offline");
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("The preview limit is reached: 2 of 2 previews exist (maxPreviews in environments/_previews.ts):");
      expect(r.stderr).toContain("branch feature/one");
      expect(r.stderr).toContain("Destroy one (npm run preview -- destroy <branch>), or raise maxPreviews.");
      expect(registered()).toEqual([`${previewName("webapp", "feature/one")}.json`, `${previewName("webapp", "feature/two")}.json`].sort());
    } finally {
      fs.writeFileSync(template, original);
    }
  });

  it("destroying a preview that does not exist (unless --if-exists, for a pull request that never had one)", () => {
    register("feature/kept", "2099-01-01");
    const r = preview("destroy", "feature/none", "--offline", "--auto-approve");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `No preview of feature/none in .previews/ (offline registry). The previews are: ${previewName("webapp", "feature/kept")} (branch feature/kept`,
    );
    const ok = preview("destroy", "feature/none", "--offline", "--auto-approve", "--if-exists");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("Nothing to destroy.");
    expect(registered()).toHaveLength(1);
  });
});

describe("npm run preview -- expire", () => {
  it("destroys the previews past their expiry and keeps the others", () => {
    const old = register("feature/old", "2026-11-20");
    const current = register("feature/current", "2026-11-23");
    const r = preview("expire", "--offline", "--auto-approve", "--today", "2026-11-23");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("1 of 2 preview(s) expired before 2026-11-23.");
    expect(r.stdout).toContain(`Preview ${old.name} is destroyed`);
    expect(registered()).toEqual([`${current.name}.json`]);
    fs.rmSync(registry, { recursive: true, force: true });
  }, 120_000);
});
