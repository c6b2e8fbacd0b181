import { spawn, spawnSync, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { BOOTSTRAP_OUTPUTS, BUILD_OUTPUTS, type BuildOutputKey } from "../../modules/stacks/contract";
import { mockBootstrapOutputs } from "../support/mock-apply";
import { TEST_S3_ENDPOINT_VARIABLE } from "../../scripts/plan/workspace";
import { fakeInfracost, fakeMonthlyCost, projectCopy, ROOT } from "../support/helpers";
import { commentFor } from "../../scripts/plan-comment";
import { previewName } from "../../modules/config";

// The online path (S3 backend with use_lockfile, build's outputs read through
// terraform_remote_state), rehearsed against s3rver, an S3-compatible server, on a free loopback
// port: the project's own `npm run plan --online` with CICD_TEST_S3_ENDPOINT pointing at it.
const BUCKET = "webapp-tfstate-123456789012";
let server: ChildProcess;
let endpoint: string;
/** s3rver's log goes to a file: a pipe would fill up while spawnSync blocks this process. */
let logFile: string;
const serverLog = () => fs.readFileSync(logFile, "utf8");
const dirs: string[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * One plain request to the bucket (s3rver accepts unsigned ones); `key` may be a query such as
 * "?list-type=2". No keep-alive: a socket idle while spawnSync blocks may be closed by the server.
 */
function request(method: string, key: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = `${endpoint}/${BUCKET}${key.startsWith("?") ? "" : "/"}${key}`;
    const headers = body === undefined ? {} : { "content-length": Buffer.byteLength(body) };
    const req = http.request(url, { method, timeout: 5000, headers, agent: false }, (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const keys = async () => [...(await request("GET", "?list-type=2")).body.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]);

beforeAll(async () => {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), "s3rver-"));
  dirs.push(data);
  const port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  logFile = path.join(data, "..", `${path.basename(data)}.log`);
  const log = fs.openSync(logFile, "w");
  server = spawn(
    path.join(ROOT, "node_modules", ".bin", "s3rver"),
    ["-d", data, "-a", "127.0.0.1", "-p", String(port), "--configure-bucket", BUCKET],
    { stdio: ["ignore", log, log] },
  );
  fs.closeSync(log);
  for (let i = 0; i < 100 && !serverLog().includes("listening"); i++) await new Promise((r) => setTimeout(r, 100));
  if (!serverLog().includes("listening")) throw new Error(`s3rver did not start:\n${serverLog()}`);
}, 30_000);

afterAll(() => {
  if (server.pid) process.kill(server.pid);
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  fs.rmSync(logFile, { force: true });
});

function copy(): string {
  const dir = projectCopy();
  dirs.push(dir);
  return dir;
}

/** `npm run plan -- <args> --online` in `dir`, against s3rver with its credentials. */
function planOnline(dir: string, ...args: string[]) {
  return planOnlineWith({}, dir, ...args);
}

/** A command's environment: s3rver's credentials, and state at s3rver. */
const s3rverEnv = (extraEnv: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  INFRACOST_API_KEY: "",
  AWS_ACCESS_KEY_ID: "S3RVER",
  AWS_SECRET_ACCESS_KEY: "S3RVER",
  [TEST_S3_ENDPOINT_VARIABLE]: endpoint,
  ...extraEnv,
});

function planOnlineWith(extraEnv: NodeJS.ProcessEnv, dir: string, ...args: string[]) {
  const r = spawnSync(path.join(dir, "node_modules", ".bin", "tsx"), ["scripts/plan.ts", ...args, "--online"], {
    cwd: dir,
    encoding: "utf8",
    env: s3rverEnv(extraEnv),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** What build would have published: a state file with each contract output, as Terraform writes it. */
const BUILD_STATE_OUTPUTS: Record<BuildOutputKey, string> = {
  artifactBucketName: "s3rver-artifact-bucket",
  artifactBucketArn: "arn:aws:s3:::s3rver-artifact-bucket",
  artifactKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/aaaaaaaa-1111-2222-3333-444444444444",
  buildProjectName: "s3rver-build-project",
  buildProjectArn: "arn:aws:codebuild:eu-west-1:123456789012:project/s3rver-build-project",
  scanProjectName: "s3rver-scan-project",
  scanProjectArn: "arn:aws:codebuild:eu-west-1:123456789012:project/s3rver-scan-project",
  connectionArn: "arn:aws:codestar-connections:eu-west-1:123456789012:connection/aaaaaaaa-1111-2222-3333-444444444444",
  accessLogBucketName: "s3rver-access-log-bucket",
  accessLogBucketArn: "arn:aws:s3:::s3rver-access-log-bucket",
  deliveryEventsLogPrefix: "/aws/events/s3rver/",
};

describe("the online path against an S3-compatible endpoint (s3rver)", () => {
  const dir = copy();

  it("tells the user to deploy build first when app-dev is planned before build's state exists", async () => {
    const r = planOnline(dir, "app-dev");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`State: the S3-compatible test endpoint ${endpoint} (${TEST_S3_ENDPOINT_VARIABLE}), not AWS S3.`);
    expect(r.stderr).toContain(
      `app-dev reads the build stack's outputs, but build's state (s3://${BUCKET}/webapp/build.tfstate) does not exist yet.`,
    );
    expect(r.stderr).toContain("Deploy build first: `npx cdktf deploy build`");
    expect(await keys()).toEqual([]);
  }, 60_000);

  it("lists the bucket it is given (the helper below really reads s3rver)", async () => {
    expect((await request("PUT", "probe/object", "x")).status).toBe(200);
    expect(await keys()).toEqual(["probe/object"]);
    expect((await request("DELETE", "probe/object")).status).toBe(204);
    expect(await keys()).toEqual([]);
  });

  it("tells the user to create the state bucket when it does not exist", () => {
    const other = copy();
    const project = path.join(other, "environments", "_project.ts");
    fs.writeFileSync(project, fs.readFileSync(project, "utf8").replace(BUCKET, "no-such-tfstate-bucket"));
    const r = planOnline(other, "app-dev");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("app-dev: the state bucket does not exist.");
    expect(r.stderr).toContain("Create it once with `npm run state-bucket`");
  }, 60_000);

  /** Build's state as Terraform writes it, with the contract outputs `keys` (all by default). */
  const buildState = (keys = Object.keys(BUILD_OUTPUTS) as BuildOutputKey[]) =>
    JSON.stringify({
      version: 4,
      terraform_version: "1.11.4",
      serial: 1,
      lineage: "6f1c2b0e-0000-4000-8000-0000000000b1",
      outputs: Object.fromEntries(keys.map((k) => [BUILD_OUTPUTS[k].name, { value: BUILD_STATE_OUTPUTS[k], type: "string" }])),
      resources: [],
    });

  it("tells the user to deploy build again when build's state predates an output of the contract", async () => {
    const older = (Object.keys(BUILD_OUTPUTS) as BuildOutputKey[]).filter((k) => !k.startsWith("accessLog"));
    expect((await request("PUT", "webapp/build.tfstate", buildState(older))).status).toBe(200);
    const r = planOnline(dir, "app-dev");
    expect(r.code).toBe(1);
    expect(r.stderr.replace(/\s+/g, " ")).toContain(
      "build's state lacks the output(s) access_log_bucket_arn, access_log_bucket_name: it was deployed by an older version of this project. " +
        "Deploy build again first (`npx cdktf deploy build`), then this stack.",
    );
    expect((await request("DELETE", "webapp/build.tfstate")).status).toBe(204);
    expect(await keys()).toEqual([]);
  }, 60_000);

  it("stops a plan of an environment in its own account, before any change, until its account is bootstrapped for it", async () => {
    expect((await request("PUT", "webapp/build.tfstate", buildState())).status).toBe(200);
    const missing = planOnline(dir, "app-prod");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      `app-prod runs in account 210987654321, which is not bootstrapped yet (no state at s3://${BUCKET}/webapp/bootstrap-210987654321.tfstate).`,
    );
    expect(missing.stderr).toContain("`npx cdktf deploy bootstrap-210987654321`");
    // A bootstrap state of another account, made before production ran there: both are named.
    const outputs = { ...mockBootstrapOutputs("999988887777", "hotfix") };
    const state = JSON.stringify({
      version: 4,
      terraform_version: "1.11.4",
      serial: 1,
      lineage: "6f1c2b0e-0000-4000-8000-0000000000b2",
      outputs: Object.fromEntries(
        (Object.keys(BOOTSTRAP_OUTPUTS) as (keyof typeof BOOTSTRAP_OUTPUTS)[]).map((k) => [
          BOOTSTRAP_OUTPUTS[k].name,
          { value: outputs[k], type: "string" },
        ]),
      ),
      resources: [],
    });
    expect((await request("PUT", "webapp/bootstrap-210987654321.tfstate", state)).status).toBe(200);
    const wrong = planOnline(dir, "app-prod");
    expect(wrong.code).toBe(1);
    const text = wrong.stderr.replace(/\s+/g, " ");
    expect(text).toContain("The bootstrap at webapp/bootstrap-210987654321.tfstate prepared account 999988887777, not 210987654321");
    expect(text).toContain("Account 210987654321 was bootstrapped before environment prod ran there");
    expect(fs.existsSync(path.join(dir, "plans", "app-prod", "plan.json"))).toBe(false);
    for (const key of ["webapp/build.tfstate", "webapp/bootstrap-210987654321.tfstate"])
      expect((await request("DELETE", key)).status).toBe(204);
    expect(await keys()).toEqual([]);
  }, 120_000);

  it("reads build's outputs from S3 into app-dev's pipeline and build stage, takes the lock and releases it", async () => {
    expect((await request("PUT", "webapp/build.tfstate", buildState())).status).toBe(200);

    const logged = serverLog().length;
    // With Infracost (a stand-in) and its key, the online plan is priced.
    const r = planOnlineWith({ PATH: `${fakeInfracost(dir)}:${process.env.PATH}`, INFRACOST_API_KEY: "ico-test" }, dir, "app-dev");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const plan = JSON.parse(fs.readFileSync(path.join(dir, "plans", "app-dev", "plan.json"), "utf8"));
    const after = (type: string) => plan.resource_changes.find((c: { type: string }) => c.type === type).change.after;
    const pipeline = after("aws_codepipeline");
    expect(pipeline.artifact_store).toEqual([
      expect.objectContaining({
        location: "s3rver-artifact-bucket",
        encryption_key: [{ id: BUILD_STATE_OUTPUTS.artifactKeyArn, type: "KMS" }],
      }),
    ]);
    const build = pipeline.stage.find((s: { name: string }) => s.name === "Build").action[0];
    expect(build.configuration.ProjectName).toBe("s3rver-build-project");
    expect(pipeline.stage[0].action[0].configuration.ConnectionArn).toBe(BUILD_STATE_OUTPUTS.connectionArn);
    expect(after("aws_lb").access_logs).toEqual([{ enabled: true, bucket: "s3rver-access-log-bucket", prefix: "alb-access/dev" }]);

    // S3-native locking: the lock object was written during the plan and is gone afterwards.
    expect(serverLog().slice(logged)).toContain('Stored object "webapp/app-dev.tfstate.tflock"');
    expect(await keys()).toEqual(["webapp/build.tfstate"]);

    const meta = JSON.parse(fs.readFileSync(path.join(dir, "plans", "app-dev", "meta.json"), "utf8"));
    expect(meta).toMatchObject({ mode: "online", testStateEndpoint: endpoint });

    // Priced from app-dev's own plan, in the summary and the pull-request comment.
    const cost = fakeMonthlyCost(plan);
    expect(fs.readFileSync(path.join(dir, "plans", "SUMMARY.md"), "utf8")).toContain(`| app-dev | +${cost} | ${cost} |`);
    expect(commentFor(path.join(dir, "plans"))).toContain(`| app-dev | +${cost} | ${cost} |`);
  }, 90_000);

  it("keeps previews in the state bucket: created on one machine, listed and destroyed on another, build's state untouched", async () => {
    const tsx = (cwd: string, ...args: string[]) =>
      spawnSync(path.join(cwd, "node_modules", ".bin", "tsx"), ["scripts/preview.ts", ...args, "--online"], {
        cwd,
        encoding: "utf8",
        env: s3rverEnv(),
      });
    const buildBefore = (await request("GET", "webapp/build.tfstate")).body;
    const name = previewName("webapp", "feature/online");
    const created = tsx(dir, "create", "feature/online");
    expect(created.stderr).toBe("");
    expect(created.status).toBe(0);
    expect(created.stdout).toContain(`Registered preview ${name} (branch feature/online`);
    expect(created.stdout).toContain(`in s3://${BUCKET}/webapp/previews/;`);
    expect(await keys()).toEqual(["webapp/build.tfstate", `webapp/previews/${name}.json`]);
    // Planned online, with build's outputs read from the bucket, under its own state key.
    const plan = JSON.parse(fs.readFileSync(path.join(dir, "plans", `app-${name}`, "plan.json"), "utf8"));
    const pipeline = plan.resource_changes.find((c: { type: string }) => c.type === "aws_codepipeline").change.after;
    expect(pipeline.artifact_store[0].location).toBe("s3rver-artifact-bucket");
    const stack = JSON.parse(fs.readFileSync(path.join(dir, "cdktf.out", "stacks", `app-${name}`, "cdk.tf.json"), "utf8"));
    expect(stack.terraform.backend.s3.key).toBe(`webapp/app-${name}.tfstate`);

    // Another machine: a fresh copy with no .previews/ sees it through the bucket.
    const other = copy();
    const listed = tsx(other, "list");
    expect(listed.status).toBe(0);
    expect(listed.stdout).toContain(`1 of at most 5 previews, in s3://${BUCKET}/webapp/previews/:`);
    expect(listed.stdout).toContain(`app-${name}  branch feature/online`);
    // ...and copies the registry into .previews/, which cdktf synth reads.
    expect(fs.readdirSync(path.join(other, ".previews"))).toEqual([`${name}.json`]);

    const destroyed = tsx(other, "destroy", "feature/online", "--auto-approve");
    expect(destroyed.status).toBe(0);
    expect(destroyed.stdout).toContain(`Preview ${name} is destroyed and removed from s3://${BUCKET}/webapp/previews/.`);
    expect((await keys()).filter((k) => k.includes("previews/"))).toEqual([]);
    expect(fs.readdirSync(path.join(other, ".previews"))).toEqual([]);
    expect((await request("GET", "webapp/build.tfstate")).body).toBe(buildBefore);
  }, 180_000);

  it("never applies a plan made against the test endpoint", () => {
    const r = spawnSync(path.join(dir, "node_modules", ".bin", "tsx"), ["scripts/apply.ts", "app-dev"], { cwd: dir, encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`the plan read its state from the S3-compatible test endpoint ${endpoint}`);
  });

  it("does not touch a real deploy: cdktf's synth (main.ts) ignores the variable and keeps the account guard", () => {
    const outdir = path.join(dir, "cdktf.out.main");
    const r = spawnSync(path.join(dir, "node_modules", ".bin", "tsx"), ["main.ts"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, CDKTF_OUTDIR: outdir, [TEST_S3_ENDPOINT_VARIABLE]: endpoint },
    });
    expect(r.status).toBe(0);
    const stack = JSON.parse(fs.readFileSync(path.join(outdir, "stacks", "app-dev", "cdk.tf.json"), "utf8"));
    expect(stack.terraform.backend.s3).toEqual({
      bucket: BUCKET,
      key: "webapp/app-dev.tfstate",
      region: "eu-west-1",
      encrypt: true,
      use_lockfile: true,
    });
    expect(stack.provider.aws[0].allowed_account_ids).toEqual(["123456789012"]);
    expect(JSON.stringify(stack)).not.toContain(endpoint);
  });

  it("refuses an endpoint that is not a URL", () => {
    const r = spawnSync(path.join(dir, "node_modules", ".bin", "tsx"), ["scripts/plan.ts", "app-dev", "--online"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", [TEST_S3_ENDPOINT_VARIABLE]: "127.0.0.1:9000" },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${TEST_S3_ENDPOINT_VARIABLE}=127.0.0.1:9000 is not an http(s) URL`);
  });
});
