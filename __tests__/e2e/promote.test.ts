import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../support/helpers";
import { fakeAwsCli } from "../support/rehearsal";

// `npm run promote` against a local bare repository standing in for GitHub, and a fake `aws`.
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "promote-"));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));
const origin = path.join(scratch, "origin.git");
const work = path.join(scratch, "work");
const calls = path.join(scratch, "aws-calls.jsonl");
const store = path.join(scratch, "aws-store.json");
const bin = fakeAwsCli(path.join(scratch, "bin"));
const gitEnv = { GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" };

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, ...gitEnv } });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}
const remoteHead = (branch: string) => git(origin, "rev-parse", `refs/heads/${branch}`);
function commitOn(branch: string, from: string | undefined, file: string): string {
  // An empty repository has no commit to start from: the first branch is an orphan.
  git(work, "checkout", "-q", ...(from ? ["-B", branch, from] : ["--orphan", branch]));
  fs.writeFileSync(path.join(work, file), `${branch} ${file}\n`);
  git(work, "add", file);
  git(work, "commit", "-q", "-m", `${branch}: ${file}`);
  git(work, "push", "-q", "origin", `${branch}:${branch}`);
  return git(work, "rev-parse", "HEAD");
}
function promote(...args: string[]) {
  const r = spawnSync(path.join(ROOT, "node_modules", ".bin", "tsx"), [path.join(ROOT, "scripts", "promote.ts"), ...args], {
    cwd: work,
    encoding: "utf8",
    env: { ...process.env, ...gitEnv, PATH: `${bin}:${process.env.PATH}`, FAKE_AWS_CALLS: calls, FAKE_AWS_STORE: store },
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

let base = "";
beforeAll(() => {
  fs.writeFileSync(store, JSON.stringify({ region: "eu-west-1", parameters: {}, secrets: {} }));
  git(scratch, "init", "-q", "--bare", origin);
  git(scratch, "clone", "-q", origin, work);
  base = commitOn("deploy/prod", undefined, "app.txt");
  git(work, "push", "-q", "origin", `${base}:refs/heads/deploy/hotfix`);
});

describe("npm run promote", () => {
  it("pushes a verified hotfix's very commit to deploy/prod, where approval follows, and tells the approvers it is a hotfix", () => {
    const fix = commitOn("hotfix/login", base, "fix.txt");
    const r = promote("hotfix/login", "prod");
    expect(r.out).toContain(`Pushed ${fix} to deploy/prod: prod's pipelines start, and will ask for approval before it deploys.`);
    expect(r.code).toBe(0);
    expect(remoteHead("deploy/prod")).toBe(fix);
    const published = fs
      .readFileSync(calls, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as string[]);
    expect(published).toHaveLength(1);
    const [args] = published;
    const opt = (name: string) => args[args.indexOf(name) + 1];
    expect(args.slice(0, 2)).toEqual(["sns", "publish"]);
    // Production's topic, in production's own account.
    expect(opt("--topic-arn")).toBe("arn:aws:sns:eu-west-1:210987654321:webapp-prod-alerts");
    expect(opt("--subject")).toBe(`Hotfix ${fix.slice(0, 12)} promoted to prod: approval follows`);
    expect(opt("--message")).toContain(`commit ${fix}, from hotfix/login, verified in environment hotfix`);
  }, 60_000);

  it("refuses a commit that lacks production's current commit (it would undo it), and pushes nothing", () => {
    const before = remoteHead("deploy/prod");
    commitOn("hotfix/stale", base, "stale.txt");
    const r = promote("hotfix/stale", "prod");
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      `does not contain deploy/prod's current commit ${before.slice(0, 12)}: promoting it would undo what prod runs.`,
    );
    expect(remoteHead("deploy/prod")).toBe(before);
  }, 60_000);

  it("promotes an ordinary commit without a hotfix notice, and refuses unknown environments and sources", () => {
    fs.rmSync(calls, { force: true });
    const release = commitOn("main", remoteHead("deploy/prod"), "feature.txt");
    const r = promote(release, "staging");
    expect(r.code).toBe(0);
    expect(remoteHead("deploy/staging")).toBe(release);
    expect(fs.existsSync(calls)).toBe(false);
    expect(promote("main", "nowhere").out).toContain('There is no environment "nowhere" (environments/nowhere.ts)');
    expect(promote("hotfix/none", "prod").out).toContain('"hotfix/none" is neither a branch of origin nor a commit of this repository');
  }, 60_000);
});
