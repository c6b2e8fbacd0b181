import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { TIERS } from "../../modules/config";
import { makeConfig, NETWORK, PROJECT, ROOT, projectCopy, synthAll, type Json } from "../support/helpers";
import { githubOutput, stackEntries } from "../../scripts/stacks";

const WORKFLOWS = path.join(ROOT, ".github", "workflows");
const files = fs
  .readdirSync(WORKFLOWS)
  .filter((f) => f.endsWith(".yml"))
  .sort();
const load = (file: string): Json => parse(fs.readFileSync(path.join(WORKFLOWS, file), "utf8"));

/** Runs @action-validator/cli, a validator of GitHub Actions workflows against their schema. */
function validate(file: string) {
  return spawnSync(path.join(ROOT, "node_modules", ".bin", "action-validator"), [file], { encoding: "utf8" });
}

describe("GitHub Actions workflows", () => {
  it("are the pull-request, deploy, reusable deploy-stack, preview and drift workflows", () => {
    expect(files).toEqual(["deploy-stack.yml", "deploy.yml", "drift.yml", "preview.yml", "pull-request.yml"]);
  });

  it.each(files)("%s is valid for the workflow schema", (file) => {
    const result = validate(path.join(WORKFLOWS, file));
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("pass no expression into a script: values such as a branch name reach it as environment variables", () => {
    for (const file of files) {
      const wf = load(file);
      for (const [name, job] of Object.entries<Json>(wf.jobs)) {
        for (const step of job.steps ?? []) {
          // inputs are typed by the workflow_call and set by this repository's own workflows; the
          // run's address is GitHub's. A branch name or a title is the author's, and could be shell.
          const expressions = `${step.run ?? ""}\n${step.with?.script ?? ""}`.match(/\$\{\{.*?\}\}/g) ?? [];
          expect({
            file,
            job: name,
            unsafe: expressions.filter(
              (e) => !/^\$\{\{ (inputs\.[a-z]+|matrix\.[a-z]+|github\.(server_url|repository|run_id)) \}\}$/.test(e),
            ),
          }).toEqual({
            file,
            job: name,
            unsafe: [],
          });
        }
      }
    }
  });

  it("run only scripts that bash can parse (the schema does not look inside them)", () => {
    const broken: string[] = [];
    for (const file of files) {
      for (const [name, job] of Object.entries<Json>(load(file).jobs)) {
        for (const step of job.steps ?? []) {
          if (!step.run) continue;
          const r = spawnSync("bash", ["-n", "-c", step.run], { encoding: "utf8" });
          if (r.status !== 0) broken.push(`${file} ${name}: ${r.stderr.trim()}`);
        }
      }
    }
    expect(broken).toEqual([]);
    // bash -n does catch a quote closed too early (the mistake it is here for).
    expect(spawnSync("bash", ["-n", "-c", 'echo "a (b, "c (d)")."'], { encoding: "utf8" }).status).not.toBe(0);
  });

  it("fails validation of a broken workflow (the validator is really checking)", () => {
    const broken = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "wf-")), "broken.yml");
    fs.writeFileSync(broken, "name: x\non: [push]\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz:\n      - run: echo\n");
    expect(validate(broken).status).not.toBe(0);
  });

  it("only call npm scripts that exist", () => {
    const scripts = Object.keys(JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts);
    const called = files.flatMap((f) =>
      [...fs.readFileSync(path.join(WORKFLOWS, f), "utf8").matchAll(/npm run (?:--silent )?([\w:-]+)/g)].map((m) => m[1]),
    );
    expect(called.length).toBeGreaterThan(4);
    expect(called.filter((s) => !scripts.includes(s))).toEqual([]);
  });

  describe("pull request", () => {
    const wf = load("pull-request.yml");

    it("tests (type-check, lint, jest, synth), then plans every stack that environments/ defines, in a matrix", () => {
      const runs = wf.jobs.test.steps.map((s: Json) => s.run).filter(Boolean);
      expect(runs).toEqual([
        "npm ci",
        "npm run typecheck",
        "npm run lint",
        "npm run jest",
        "npx cdktf synth",
        'npm run --silent stacks -- --github-output >> "$GITHUB_OUTPUT"',
      ]);
      expect(wf.jobs.test.outputs.entries).toBe("${{ steps.list.outputs.entries }}");
      expect(wf.jobs.plan.needs).toBe("test");
      expect(wf.jobs.plan.strategy.matrix.include).toBe("${{ fromJSON(needs.test.outputs.entries) }}");
    });

    it("plans with read-only credentials from OIDC, in the stack's plan environment, without taking the state lock", () => {
      expect(wf.jobs.plan.permissions).toEqual({ contents: "read", "id-token": "write" });
      expect(wf.jobs.plan.environment).toBe("${{ matrix.planEnvironment }}");
      const creds = wf.jobs.plan.steps.find((s: Json) => String(s.uses).startsWith("aws-actions/configure-aws-credentials@"));
      expect(creds.with["role-to-assume"]).toBe("${{ vars.AWS_PLAN_ROLE_ARN }}");
      expect(wf.jobs.plan.steps.map((s: Json) => s.run).join("\n")).toContain("npm run plan -- ${{ matrix.stack }} --no-lock");
    });

    it("prices each plan with Infracost when the repository has its key, and says so when it has none", () => {
      expect(wf.jobs.plan.env.INFRACOST_API_KEY).toBe("${{ secrets.INFRACOST_API_KEY }}");
      const names = wf.jobs.plan.steps.map((s: Json) => s.name ?? s.run ?? s.uses);
      const setup = wf.jobs.plan.steps.find((s: Json) => String(s.uses).startsWith("infracost/actions/setup@"));
      expect(setup.if).toBe("${{ env.INFRACOST_API_KEY != '' }}");
      // Installed before the plan runs, which calls it.
      expect(names.indexOf("Set up Infracost")).toBeLessThan(names.indexOf("Plan ${{ matrix.stack }}"));
      const notice = wf.jobs.plan.steps.find((s: Json) => s.name === "No cost estimate");
      expect(notice.if).toBe("${{ env.INFRACOST_API_KEY == '' }}");
      expect(notice.run).toContain("::notice::");
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

  describe("drift", () => {
    const wf = load("drift.yml");
    const steps = (job: string) => wf.jobs[job].steps as Json[];

    it("runs nightly and on demand, over every stack environments/ defines", () => {
      expect(wf.on.schedule).toEqual([{ cron: "17 3 * * *" }]);
      expect(wf.on).toHaveProperty("workflow_dispatch");
      expect(steps("stacks").map((s) => s.run)).toContain('npm run --silent stacks -- --github-output >> "$GITHUB_OUTPUT"');
      expect(wf.jobs.check.strategy.matrix.include).toBe("${{ fromJSON(needs.stacks.outputs.entries) }}");
      expect(wf.jobs.check.environment).toBe("${{ matrix.planEnvironment }}");
      expect(wf.jobs.check.strategy["fail-fast"]).toBe(false);
    });

    it("plans against AWS with the read-only role, without the lock, and never applies", () => {
      const creds = steps("check").find((s) => String(s.uses).startsWith("aws-actions/configure-aws-credentials@"))!;
      expect(creds.with["role-to-assume"]).toBe("${{ vars.AWS_PLAN_ROLE_ARN }}");
      const runs = steps("check")
        .map((s) => s.run ?? "")
        .join("\n");
      // --allow-destroy: a protected replacement is reported in the issue, not a failed step (nothing is applied).
      expect(runs).toContain("npm run plan -- ${{ matrix.stack }} --online --no-lock --allow-destroy");
      expect(runs).toContain("npm run --silent drift -- ${{ matrix.stack }} --markdown drift.md");
      expect(fs.readFileSync(path.join(WORKFLOWS, "drift.yml"), "utf8")).not.toMatch(/npm run apply|terraform apply|cdktf deploy/);
      // Only the job that keeps the issues may write them; the workflow itself reads.
      expect(wf.permissions).toEqual({ contents: "read" });
      expect(wf.jobs.check.permissions).toEqual({ contents: "read", "id-token": "write", issues: "write" });
    });

    it("fails, rather than passing in silence, where the read-only role is not set up", () => {
      // A step, not a job's if: a job's if cannot see its environment's variables.
      const check = steps("check").find((s) => s.if === "${{ vars.AWS_PLAN_ROLE_ARN == '' }}")!;
      expect(check.run).toContain("exit 1");
      const names = steps("check").map((s) => s.name ?? s.uses);
      expect(names.indexOf(check.name)).toBeLessThan(names.indexOf("Read-only AWS credentials (OIDC)"));
      expect(wf.jobs["no-role"]).toBeUndefined();
    });

    it("keeps one issue per stack, found by the report's own marker: updated in place, closed once clean", () => {
      const script: string = steps("check").find((s) => String(s.uses).startsWith("actions/github-script@"))!.with.script;
      const { DRIFT_MARKER } = jest.requireActual("../../scripts/drift") as typeof import("../../scripts/drift");
      expect(script).toContain("`<!-- cdktf-aws-cicd:drift ${STACK} -->`");
      // Never someone else's issue that quotes a report: the bot's, labelled drift, starting with the marker.
      expect(script).toContain('labels: "drift"');
      expect(script).toContain('i.user.login === "github-actions[bot]" && (i.body || "").startsWith(marker)');
      expect(script).toContain('labels: ["drift"]');
      expect(DRIFT_MARKER("app-dev")).toBe("<!-- cdktf-aws-cicd:drift app-dev -->");
      expect(script).toContain("github.rest.issues.update({ owner, repo, issue_number: issue.number, body })");
      expect(script).toContain('state: "closed"');
      // A failed report (exit 1) fails the job rather than closing an issue.
      expect(script).toContain('if (CODE !== "0" && CODE !== "3") throw');
    });
  });

  describe("deploy", () => {
    const deploy = load("deploy.yml");
    const stack = load("deploy-stack.yml");

    it("runs on merge to main: build first, then each tier in turn, production last, each only if nothing before failed", () => {
      expect(deploy.on.push.branches).toEqual(["main"]);
      expect(deploy.jobs.stacks.steps.map((s: Json) => s.run).filter(Boolean)).toContain(
        'npm run --silent stacks -- --github-output >> "$GITHUB_OUTPUT"',
      );
      expect(deploy.jobs.build.needs).toBe("stacks");
      expect(deploy.jobs.build.with).toEqual({
        stack: "${{ fromJSON(needs.stacks.outputs.build).stack }}",
        environment: "${{ fromJSON(needs.stacks.outputs.build).githubEnvironment }}",
        planEnvironment: "${{ fromJSON(needs.stacks.outputs.build).planEnvironment }}",
      });
      expect(deploy.jobs.stacks.outputs.build).toBe("${{ steps.list.outputs.build }}");
      const order = ["build", ...TIERS];
      TIERS.forEach((tier, i) => {
        const job = deploy.jobs[tier];
        expect(job.needs).toEqual(["stacks", ...order.slice(0, i + 1)]);
        expect(job.if).toBe(
          `\${{ !cancelled() && !contains(needs.*.result, 'failure') && !contains(needs.*.result, 'cancelled') && needs.stacks.outputs.${tier} != '[]' }}`,
        );
        expect(job.strategy.matrix.include).toBe(`\${{ fromJSON(needs.stacks.outputs.${tier}) }}`);
        expect(job.uses).toBe("./.github/workflows/deploy-stack.yml");
        expect(job.with).toEqual({
          stack: "${{ matrix.stack }}",
          environment: "${{ matrix.githubEnvironment }}",
          planEnvironment: "${{ matrix.planEnvironment }}",
        });
        expect(deploy.jobs.stacks.outputs[tier]).toBe(`\${{ steps.list.outputs.${tier} }}`);
      });
    });

    it("names no environment's stack by hand: the list comes from the project", () => {
      for (const file of files) expect(fs.readFileSync(path.join(WORKFLOWS, file), "utf8")).not.toMatch(/\bapp-[a-z]+[^a-z>]/);
    });

    it("applies exactly the plan it made, in the stack's environment, never two applies of a stack at once", () => {
      expect(stack.jobs.apply.needs).toBe("plan");
      expect(stack.jobs.apply.environment).toBe("${{ inputs.environment }}");
      // The plan runs in the plan environment: the read-only role, and no reviewers to wait for.
      expect(stack.jobs.plan.environment).toBe("${{ inputs.planEnvironment }}");
      expect(stack.on.workflow_call.inputs.planEnvironment).toMatchObject({ required: true, type: "string" });
      expect(stack.jobs.apply.concurrency).toEqual({ group: "apply-${{ inputs.stack }}", "cancel-in-progress": false });
      const download = stack.jobs.apply.steps.find((s: Json) => String(s.uses).startsWith("actions/download-artifact@"));
      const upload = stack.jobs.plan.steps.find((s: Json) => String(s.uses).startsWith("actions/upload-artifact@"));
      expect(download.with.name).toBe(upload.with.name);
      expect(stack.jobs.apply.steps.map((s: Json) => s.run).filter(Boolean)).toContain('npm run apply -- "${{ inputs.stack }}"');
    });
  });
});

/**
 * What the preview workflow must do (docs/previews.md, "Previews"), as problems: empty when it does it. Each
 * is shown to appear when the workflow is broken that way.
 */
function previewWorkflowProblems(wf: Json): string[] {
  const problems: string[] = [];
  const types: string[] = wf.on?.pull_request?.types ?? [];
  const runs = (job: string): string => (wf.jobs[job]?.steps ?? []).map((s: Json) => s.run ?? "").join("\n");
  const envOf = (job: string): Json => Object.assign({}, ...(wf.jobs[job]?.steps ?? []).map((s: Json) => s.env ?? {}));
  for (const t of ["labeled", "synchronize", "closed", "unlabeled"])
    if (!types.includes(t)) problems.push(`pull_request ${t} does not run it`);
  if (!wf.on?.schedule?.[0]?.cron) problems.push("no schedule: expired previews are never destroyed");
  const create = wf.jobs.create ?? {};
  if (!String(create.if).includes("contains(github.event.pull_request.labels.*.name, 'preview')"))
    problems.push("create does not require the label");
  if (!String(create.if).includes("github.event.pull_request.head.repo.full_name == github.repository"))
    problems.push("create runs for forks");
  if (!String(create.if).includes("github.event.pull_request.state == 'open'")) problems.push("create runs on a closed pull request");
  if (!/npm run --silent preview -- create "\$BRANCH" --online --auto-approve/.test(runs("create")))
    problems.push("create does not create the branch's preview");
  if (envOf("create").BRANCH !== "${{ github.head_ref }}" || envOf("destroy").BRANCH !== "${{ github.head_ref }}")
    problems.push("the branch is not the pull request's");
  const destroy = wf.jobs.destroy ?? {};
  if (!String(destroy.if).includes("github.event.action == 'closed'")) problems.push("closing a pull request does not destroy its preview");
  if (!/preview -- destroy "\$BRANCH" --online --auto-approve --if-exists/.test(runs("destroy")))
    problems.push("destroy does not destroy the branch's preview");
  if (
    !String(wf.jobs.expire?.if).includes("github.event_name == 'schedule'") ||
    !/preview -- expire --online --auto-approve/.test(runs("expire"))
  )
    problems.push("the schedule does not expire previews");
  for (const job of ["create", "destroy", "expire"]) {
    if (wf.jobs[job]?.environment !== "preview") problems.push(`${job} does not run in the GitHub environment preview`);
    if (wf.jobs[job]?.permissions?.["id-token"] !== "write") problems.push(`${job} cannot get AWS credentials by OIDC`);
    if (wf.jobs[job]?.concurrency?.["cancel-in-progress"] !== false) problems.push(`${job} may be cancelled half-way`);
  }
  if (create.concurrency?.group !== destroy.concurrency?.group || !String(create.concurrency?.group).includes("github.head_ref"))
    problems.push("a create and a destroy of one branch's preview may run at once");
  return problems;
}

describe("preview workflow", () => {
  const wf = load("preview.yml");

  it("creates a labelled pull request's preview, destroys it on close, expires old ones daily, in the preview environment", () => {
    expect(previewWorkflowProblems(wf)).toEqual([]);
  });

  it.each<[string, (w: Json) => void, string]>([
    ["no close trigger", (w) => (w.on.pull_request.types = ["labeled", "synchronize", "unlabeled"]), "pull_request closed does not run it"],
    ["no schedule", (w) => delete w.on.schedule, "no schedule: expired previews are never destroyed"],
    ["forks allowed", (w) => (w.jobs.create.if = "contains(github.event.pull_request.labels.*.name, 'preview')"), "create runs for forks"],
    [
      "destroy on close removed",
      (w) => (w.jobs.destroy.if = "github.event.action == 'unlabeled'"),
      "closing a pull request does not destroy its preview",
    ],
    [
      "branch pasted into the script",
      (w) => (w.jobs.create.steps.find((s: Json) => s.env?.BRANCH).env = {}),
      "the branch is not the pull request's",
    ],
    [
      "create on a closed pull request",
      (w) => (w.jobs.create.if = w.jobs.create.if.replace("github.event.pull_request.state == 'open' &&", "")),
      "create runs on a closed pull request",
    ],
    [
      "concurrency by pull request",
      (w) => (w.jobs.create.concurrency.group = w.jobs.destroy.concurrency.group = "preview-${{ github.event.pull_request.number }}"),
      "a create and a destroy of one branch's preview may run at once",
    ],
    ["expire cancellable", (w) => (w.jobs.expire.concurrency["cancel-in-progress"] = true), "expire may be cancelled half-way"],
  ])("fails when broken: %s", (_, breakIt, problem) => {
    const broken = structuredClone(wf);
    breakIt(broken);
    expect(previewWorkflowProblems(broken)).toContain(problem);
  });

  it("fails schema validation when a job is broken", () => {
    const broken = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "wf-")), "preview.yml");
    fs.writeFileSync(
      broken,
      fs.readFileSync(path.join(WORKFLOWS, "preview.yml"), "utf8").replace("  expire:\n    if:", "  expire:\n    iff:"),
    );
    const result = validate(broken);
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toContain("Additional property 'iff' is not allowed");
  });
});

describe("npm run stacks (what the workflows plan and deploy)", () => {
  function stacksOutput(dir: string): Record<string, Json> {
    const r = spawnSync(path.join(dir, "node_modules", ".bin", "tsx"), ["scripts/stacks.ts", "--github-output"], {
      cwd: dir,
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    return Object.fromEntries(
      r.stdout
        .trim()
        .split("\n")
        .map((line) => [line.slice(0, line.indexOf("=")), JSON.parse(line.slice(line.indexOf("=") + 1))]),
    );
  }

  it("lists ci (planned only), build, then the shipped environments tier by tier, each with its GitHub environments", () => {
    const out = stacksOutput(ROOT);
    expect(out.stacks).toEqual(["ci", "build", "app-dev", "app-demo", "app-hotfix", "app-qa", "app-staging", "app-prod"]);
    // ci is planned and checked for drift (entries) with build's read-only role, and deployed by no job:
    // it is in no deploy output (build's entry, the tiers').
    expect(out.entries[0]).toEqual({ stack: "ci", tier: "administered", githubEnvironment: "build", planEnvironment: "build-plan" });
    expect(out.build.stack).toBe("build");
    for (const tier of TIERS) expect(out[tier].map((e: Json) => e.stack)).not.toContain("ci");
    expect(out.production).toEqual([
      { stack: "app-prod", tier: "production", githubEnvironment: "production", planEnvironment: "production-plan" },
    ]);
    expect(out.development).toEqual([{ stack: "app-dev", tier: "development", githubEnvironment: "dev", planEnvironment: "dev-plan" }]);
  });

  it("plans and deploys an added environment file with no workflow edit, in its tier's place", () => {
    const dir = projectCopy();
    try {
      const dev = fs.readFileSync(path.join(dir, "environments", "dev.ts"), "utf8");
      fs.writeFileSync(path.join(dir, "environments", "showroom.ts"), dev.replace('"development"', '"preproduction"'));
      fs.writeFileSync(path.join(dir, "environments", "sandbox.ts"), dev);
      const out = stacksOutput(dir);
      expect(out.stacks).toEqual([
        "ci",
        "build",
        "app-dev",
        "app-sandbox",
        "app-demo",
        "app-hotfix",
        "app-qa",
        "app-showroom",
        "app-staging",
        "app-prod",
      ]);
      expect(out.preproduction).toContainEqual({
        stack: "app-showroom",
        tier: "preproduction",
        githubEnvironment: "showroom",
        planEnvironment: "showroom-plan",
      });
      expect(out.development).toContainEqual({
        stack: "app-sandbox",
        tier: "development",
        githubEnvironment: "sandbox",
        planEnvironment: "sandbox-plan",
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Adding an environment in an account of its own takes its files (environments/<env>.ts, the
 * account in _project.ts), a deploy of ci and of the account's bootstrap, and the variables of two
 * GitHub environments: no workflow edit. The workflows take every stack and GitHub environment from
 * `npm run stacks`, and every role from the variables of the job's GitHub environment.
 */
describe("a new environment in a new account needs no workflow edit", () => {
  const UAT_ACCOUNT = "444455556666";
  const config = makeConfig(
    {
      dev: { tier: "development", network: NETWORK },
      uat: { tier: "preproduction", network: NETWORK, accountId: UAT_ACCOUNT, githubEnvironment: "uat" },
    },
    { ...PROJECT, ci: { repository: "acme/infra" }, accounts: { environments: { [UAT_ACCOUNT]: {} } } },
  );
  const stacks = synthAll(config);
  const entries = stackEntries(config);
  const workflowText = files.map((f) => fs.readFileSync(path.join(WORKFLOWS, f), "utf8")).join("\n");

  it("is listed for the plan matrices and its tier's deploys, with its apply and plan GitHub environments", () => {
    const uat = { stack: "app-uat", tier: "preproduction", githubEnvironment: "uat", planEnvironment: "uat-plan" };
    expect(entries).toContainEqual(uat);
    const output = Object.fromEntries(
      githubOutput(entries)
        .trim()
        .split("\n")
        .map((l) => [l.slice(0, l.indexOf("=")), JSON.parse(l.slice(l.indexOf("=") + 1))]),
    );
    expect(output.entries).toContainEqual(uat);
    expect(output.preproduction).toEqual([uat]);
    expect(output.build).toEqual({ stack: "build", tier: "build", githubEnvironment: "build", planEnvironment: "build-plan" });
  });

  it("gets its CI roles from the ci stack, trusted only for its GitHub environments, and reaches only its account", () => {
    const roles = Object.values<Json>(stacks.ci.resource.aws_iam_role);
    const subjects = (name: string) =>
      JSON.parse(roles.find((r) => r.name === name)!.assume_role_policy).Statement[0].Condition.StringEquals[
        "token.actions.githubusercontent.com:sub"
      ];
    expect(subjects("shop-github-uat-apply")).toBe("repo:acme/infra:environment:uat");
    expect(subjects("shop-github-uat-plan")).toBe("repo:acme/infra:environment:uat-plan");
    const bootstrap = Object.values<Json>(stacks[`bootstrap-${UAT_ACCOUNT}`].resource.aws_iam_role);
    const trusted = (name: string) => JSON.parse(bootstrap.find((r) => r.name === name)!.assume_role_policy).Statement[0].Principal.AWS;
    expect(trusted("shop-deploy")).toEqual(["arn:aws:iam::111122223333:role/ci/shop-github-uat-apply"]);
    expect(trusted("shop-read")).toEqual(["arn:aws:iam::111122223333:role/ci/shop-github-uat-plan"]);
    // Only uat's two roles may assume a role of its account; build's and dev's name none.
    const policies = Object.values<Json>(stacks.ci.resource.aws_iam_role_policy).map((p) => p.policy as string);
    expect(policies.filter((p) => p.includes(`arn:aws:iam::${UAT_ACCOUNT}:role/`))).toHaveLength(2);
    expect(policies).toHaveLength(6);
  });

  it("the workflows name no account, role or environment: each job's role comes from its GitHub environment's variables", () => {
    expect(workflowText).not.toMatch(/\d{12}|arn:aws/);
    const assuming = files.flatMap((file) =>
      Object.entries<Json>(load(file).jobs)
        .filter(([, job]) => (job.steps ?? []).some((s: Json) => String(s.uses).startsWith("aws-actions/configure-aws-credentials@")))
        .map(([name, job]) => ({
          file,
          name,
          environment: job.environment,
          roles: job.steps
            .filter((s: Json) => String(s.uses).startsWith("aws-actions/configure-aws-credentials@"))
            .map((s: Json) => s.with["role-to-assume"]),
        })),
    );
    expect(assuming.map((j) => `${j.file} ${j.name}`)).toEqual([
      "deploy-stack.yml plan",
      "deploy-stack.yml apply",
      "drift.yml check",
      "preview.yml create",
      "preview.yml destroy",
      "preview.yml expire",
      "pull-request.yml plan",
    ]);
    for (const job of assuming) {
      // The environment is the stack's, from npm run stacks (or previews' own, fixed by design).
      expect([job.file, job.environment]).toEqual([
        job.file,
        expect.stringMatching(/^(\$\{\{ (matrix|inputs)\.(planEnvironment|environment) \}\}|preview)$/),
      ]);
      expect(job.roles.every((r: string) => r === "${{ vars.AWS_PLAN_ROLE_ARN }}" || r === "${{ vars.AWS_APPLY_ROLE_ARN }}")).toBe(true);
      // A plan environment's job plans (read-only role); an apply environment's job applies.
      const plans = String(job.environment).includes("planEnvironment");
      expect(job.roles).toEqual(job.roles.map(() => (plans ? "${{ vars.AWS_PLAN_ROLE_ARN }}" : "${{ vars.AWS_APPLY_ROLE_ARN }}")));
    }
  });
});
