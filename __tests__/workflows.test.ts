import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { ROOT, type Json } from "./helpers";

const WORKFLOWS = path.join(ROOT, ".github", "workflows");
const files = fs.readdirSync(WORKFLOWS).filter((f) => f.endsWith(".yml")).sort();
const load = (file: string): Json => parse(fs.readFileSync(path.join(WORKFLOWS, file), "utf8"));

/** Runs @action-validator/cli, a validator of GitHub Actions workflows against their schema. */
function validate(file: string) {
  return spawnSync(path.join(ROOT, "node_modules", ".bin", "action-validator"), [file], { encoding: "utf8" });
}

describe("GitHub Actions workflows", () => {
  it("are the pull-request, deploy and reusable deploy-stack workflows", () => {
    expect(files).toEqual(["deploy-stack.yml", "deploy.yml", "pull-request.yml"]);
  });

  it.each(files)("%s is valid for the workflow schema", (file) => {
    const result = validate(path.join(WORKFLOWS, file));
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("fails validation of a broken workflow (the validator is really checking)", () => {
    const broken = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "wf-")), "broken.yml");
    fs.writeFileSync(broken, "name: x\non: [push]\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz:\n      - run: echo\n");
    expect(validate(broken).status).not.toBe(0);
  });

  it("only call npm scripts that exist", () => {
    const scripts = Object.keys(JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts);
    const called = files.flatMap((f) => [...fs.readFileSync(path.join(WORKFLOWS, f), "utf8").matchAll(/npm run (?:--silent )?([\w:-]+)/g)].map((m) => m[1]));
    expect(called.length).toBeGreaterThan(4);
    expect(called.filter((s) => !scripts.includes(s))).toEqual([]);
  });

  describe("pull request", () => {
    const wf = load("pull-request.yml");

    it("tests (type-check, lint, jest, synth), then plans every stack in a matrix", () => {
      const runs = wf.jobs.test.steps.map((s: Json) => s.run).filter(Boolean);
      expect(runs).toEqual(["npm ci", "npm run typecheck", "npm run lint", "npm run jest", "npx cdktf synth"]);
      expect(wf.jobs.plan.needs).toBe("test");
      expect(wf.jobs.plan.strategy.matrix.stack).toEqual(["build", "app-dev", "app-qa", "app-staging", "app-prod"]);
    });

    it("plans with read-only credentials from OIDC, without taking the state lock", () => {
      expect(wf.jobs.plan.permissions).toEqual({ contents: "read", "id-token": "write" });
      const creds = wf.jobs.plan.steps.find((s: Json) => String(s.uses).startsWith("aws-actions/configure-aws-credentials@"));
      expect(creds.with["role-to-assume"]).toBe("${{ vars.AWS_PLAN_ROLE_ARN }}");
      expect(wf.jobs.plan.steps.map((s: Json) => s.run).join("\n")).toContain("npm run plan -- ${{ matrix.stack }} --no-lock");
    });

    it("keeps the full plan as a short-lived artifact and posts one updatable comment", () => {
      const upload = wf.jobs.plan.steps.find((s: Json) => String(s.uses).startsWith("actions/upload-artifact@"));
      expect(upload.with["retention-days"]).toBeLessThanOrEqual(7);
      expect(wf.jobs.comment.permissions["pull-requests"]).toBe("write");
      const script = wf.jobs.comment.steps.find((s: Json) => String(s.uses).startsWith("actions/github-script@")).with.script;
      expect(script).toContain("<!-- cdktf-aws-cicd:plan -->");
      expect(script).toContain("updateComment");
    });
  });

  describe("deploy", () => {
    const deploy = load("deploy.yml");
    const stack = load("deploy-stack.yml");

    it("runs on merge to main: build first, then app-dev; staging and prod through their environments", () => {
      expect(deploy.on.push.branches).toEqual(["main"]);
      expect(deploy.jobs["app-dev"].needs).toBe("build");
      expect(deploy.jobs["app-staging"].with.environment).toBe("staging");
      expect(deploy.jobs["app-prod"].with.environment).toBe("production");
      expect(deploy.jobs["app-prod"].needs).toBe("app-staging");
    });

    it("applies exactly the plan it made, in the stack's environment, never two applies of a stack at once", () => {
      expect(stack.jobs.apply.needs).toBe("plan");
      expect(stack.jobs.apply.environment).toBe("${{ inputs.environment }}");
      expect(stack.jobs.apply.concurrency).toEqual({ group: "apply-${{ inputs.stack }}", "cancel-in-progress": false });
      const download = stack.jobs.apply.steps.find((s: Json) => String(s.uses).startsWith("actions/download-artifact@"));
      const upload = stack.jobs.plan.steps.find((s: Json) => String(s.uses).startsWith("actions/upload-artifact@"));
      expect(download.with.name).toBe(upload.with.name);
      expect(stack.jobs.apply.steps.map((s: Json) => s.run).filter(Boolean)).toContain('npm run apply -- "${{ inputs.stack }}"');
    });
  });
});
