import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { appLogDirectory, BOOTSTRAP_RESPONDER, bootstrapUnit, platformFile, platformSettings, userData } from "../../modules/lib/user-data";
import { deliveryStages, BUILD_ARTIFACT } from "../../modules/lib/pipeline-stages";
import { BUILD_PHASES, PRIMARY_ARTIFACT, codeBuild, fakeAwsCli, listFiles, type FakeAwsStore } from "../support/rehearsal";
import { ROOT, onlyResource, resourceAt, roleStatements, asList, shippedConfig, synthAll, type Json } from "../support/helpers";

/* eslint-disable @typescript-eslint/no-require-imports */
const { run, STEPS } = require("../../runtime/traffic-switch.js");
const { createWorld, handle, tick } = require("../support/fake-switch-aws.js");
/* eslint-enable @typescript-eslint/no-require-imports */

// The reference application, rehearsed end to end without AWS: build as CodeBuild runs
// buildspec.yml, then deploy as the CodeDeploy agent runs appspec.yml, on this machine.
const APP = path.join(ROOT, "examples", "sample-app");
const config = shippedConfig();
const buildspec: Json = parse(fs.readFileSync(path.join(APP, "buildspec.yml"), "utf8"));
const appspec: Json = parse(fs.readFileSync(path.join(APP, "appspec.yml"), "utf8"));
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "sample-app-"));
afterAll(() => {
  for (const pid of pidFiles()) spawnSync("kill", [pid]);
  fs.rmSync(scratch, { recursive: true, force: true });
});

const COVERAGE_FORMATS = ["CLOVERXML", "COBERTURAXML", "JACOCOXML", "SIMPLECOV", "LCOVINFO"];
const TEST_FORMATS = ["JUNITXML", "CUCUMBERJSON", "NUNITXML", "NUNIT3XML", "TESTNGXML", "VISUALSTUDIOTRX"];
/**
 * The hooks of an EC2 in-place deployment with traffic control, in the order the CodeDeploy agent
 * runs them (the same on a blue/green environment's idle fleet: docs/blue-green.md, "Blue/green").
 */
const HOOK_ORDER = ["ApplicationStop", "BeforeInstall", "AfterInstall", "ApplicationStart", "ValidateService", "BeforeAllowTraffic"];

/** What a first deployment to an instance runs (nothing to stop yet), render_config.sh being AfterInstall's second hook. */
const FIRST_DEPLOYMENT_EVENTS = [
  "BeforeInstall",
  "Install",
  "AfterInstall",
  "AfterInstall",
  "ApplicationStart",
  "ValidateService",
  "BeforeAllowTraffic",
  "AllowTraffic",
];

interface Build {
  readonly ok: boolean;
  readonly failedPhase?: string;
  readonly source: string;
  /** The revision CodeDeploy would install: the primary artifact. */
  readonly artifact: string;
  readonly output: string;
}

const testBuildspec: Json = parse(fs.readFileSync(path.join(APP, "buildspec-test.yml"), "utf8"));
/**
 * Runs buildspec-test.yml as the acceptance-test project would after a deploy: on the source of the
 * commit released, with the variables the pipeline's AcceptanceTests action sets.
 */
function acceptance(commit: string): ReturnType<typeof codeBuild> {
  return codeBuild({
    appDir: APP,
    buildspec: testBuildspec,
    scratch,
    env: { APP_URL: `http://127.0.0.1:${port}`, ENVIRONMENT: "dev", COMMIT_ID: commit },
  });
}

/** Runs the buildspec as CodeBuild would, with the pipeline's variables for dev. */
function build(commit: string, breakSource?: (dir: string) => void): Build {
  const b = codeBuild({ appDir: APP, buildspec, scratch, env: { ENVIRONMENT: "dev", COMMIT_ID: commit }, breakSource });
  return { ...b, artifact: b.artifacts[PRIMARY_ARTIFACT] ?? "" };
}

interface Deployment {
  readonly ok: boolean;
  readonly failedEvent?: string;
  readonly events: string[];
  readonly output: string;
}

const root = path.join(scratch, "instance");
let port = 0;

// The instance's AWS, as dev's stack creates it: its parameters from the synthesized stack, and a
// secret value set out of band (a canary that must show up in the runtime file and nowhere else).
const CANARY = "canary-5f0c1e2d-secret-value";
const devStack = synthAll(config)["app-dev"];
const secretNames: Record<string, string> = Object.fromEntries(
  Object.entries(devStack.resource.aws_secretsmanager_secret as Record<string, Json>).map(([id, r]) => [id, r.name]),
);
const store: FakeAwsStore = {
  region: config.project.region,
  parameters: Object.fromEntries(
    Object.values(devStack.resource.aws_ssm_parameter as Record<string, Json>).map((p) => [
      p.name,
      String(p.value).replace(/^\$\{aws_secretsmanager_secret\.([a-z0-9_]+)\.name\}$/, (_, id: string) => secretNames[id]),
    ]),
  ),
  secrets: Object.fromEntries(Object.values(secretNames).map((name) => [name, CANARY])),
};
/** Every secret of the store set to one value (null: no value yet). */
const everySecret = (value: string | null) => Object.fromEntries(Object.keys(store.secrets).map((id) => [id, value]));
const storeFile = path.join(scratch, "aws-store.json");
const callsFile = path.join(scratch, "aws-calls.jsonl");
const writeStore = (s: FakeAwsStore) => fs.writeFileSync(storeFile, JSON.stringify(s));
writeStore(store);
const fakeBin = fakeAwsCli(path.join(scratch, "bin"));
const devPlatformFile = path.join(root, "etc", "webapp", "platform.env");
fs.mkdirSync(path.dirname(devPlatformFile), { recursive: true });
fs.writeFileSync(
  devPlatformFile,
  platformSettings({ region: config.project.region, environment: "dev", parameterPath: `/${config.project.appName}/dev` }),
);

const hookEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  PATH: `${fakeBin}:${process.env.PATH}`,
  FAKE_AWS_STORE: storeFile,
  FAKE_AWS_CALLS: callsFile,
  PLATFORM_FILE: devPlatformFile,
  // The runtime file is handed to the service user: here, whoever runs the tests.
  SERVICE_USER: os.userInfo().username,
  APP_ROOT: path.join(root, "opt", "webapp"),
  LOG_DIR: path.join(root, "var", "log", "webapp"),
  SERVICE_MANAGER: "process",
  PORT: String(port),
  VALIDATE_TIMEOUT: "15",
});
const runtimeFile = path.join(root, "opt", "webapp", "config", "runtime.json");
/** What every deployment printed, to prove that no secret value was ever logged. */
const allOutput: string[] = [];
const DEV = config.environments.find((e) => e.name === "dev")!;
/** /health of dev with its shipped settings and secret. */
const healthy = (commit: string) => ({
  status: "ok",
  environment: "dev",
  commit,
  greeting: DEV.runtime.settings.GREETING,
  secretsPresent: [...DEV.runtime.secrets].sort(),
});
const pidFiles = () => {
  const run = path.join(root, "opt", "webapp", "run");
  return fs.existsSync(run) ? fs.readdirSync(run).map((f) => fs.readFileSync(path.join(run, f), "utf8").trim()) : [];
};

let deployments = 0;
/**
 * Does what the CodeDeploy agent does for an in-place deployment: ApplicationStop from the
 * previous revision, then BeforeInstall, the `files` copy (into a temporary root), AfterInstall,
 * ApplicationStart, ValidateService and BeforeAllowTraffic from the new one, each with the agent's
 * variables; then AllowTraffic (the instance rejoins its target group).
 */
function deploy(revision: string, previous?: string, extraEnv: NodeJS.ProcessEnv = {}): Deployment {
  deployments += 1;
  const events: string[] = [];
  let output = "";
  const run = (dir: string, event: string): boolean => {
    for (const hook of (appspec.hooks[event] ?? []) as { location: string; timeout: number }[]) {
      events.push(event);
      const r = spawnSync("sh", [path.join(dir, hook.location)], {
        cwd: dir,
        encoding: "utf8",
        timeout: hook.timeout * 1000,
        stdio: ["ignore", "pipe", "pipe"],
        env: {
          ...hookEnv(),
          LIFECYCLE_EVENT: event,
          DEPLOYMENT_ID: `d-REHEARSAL${deployments}`,
          APPLICATION_NAME: "webapp-dev",
          DEPLOYMENT_GROUP_NAME: "webapp-dev",
          DEPLOYMENT_GROUP_ID: "rehearsal-group",
          ...extraEnv,
        },
      });
      output += r.stdout + r.stderr;
      allOutput.push(r.stdout + r.stderr);
      if (r.status !== 0) return false;
    }
    return true;
  };
  const fail = (event: string) => ({ ok: false, failedEvent: event, events, output });
  if (previous && !run(previous, "ApplicationStop")) return fail("ApplicationStop");
  if (!run(revision, "BeforeInstall")) return fail("BeforeInstall");
  events.push("Install");
  for (const f of appspec.files as { source: string; destination: string }[]) {
    fs.cpSync(path.join(revision, f.source), path.join(root, f.destination), { recursive: true });
  }
  for (const event of ["AfterInstall", "ApplicationStart", "ValidateService", "BeforeAllowTraffic"])
    if (!run(revision, event)) return fail(event);
  // CodeDeploy registers the instance with its target group again (with traffic control).
  events.push("AllowTraffic");
  return { ok: true, events, output };
}

async function health(): Promise<Json> {
  const res = await fetch(`http://127.0.0.1:${port}/health`);
  return (await res.json()) as Json;
}

beforeAll(async () => {
  port = await new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port: p } = server.address() as net.AddressInfo;
      server.close(() => resolve(p));
    });
  });
});

describe("buildspec.yml and appspec.yml", () => {
  it("buildspec.yml is version 0.2 with known phases, report formats and artifact files", () => {
    expect(buildspec.version).toBe(0.2);
    expect(Object.keys(buildspec.phases).every((p) => BUILD_PHASES.includes(p))).toBe(true);
    for (const phase of Object.values(buildspec.phases) as Json[]) expect(Array.isArray(phase.commands)).toBe(true);
    expect(buildspec.phases.install["runtime-versions"]).toEqual({ nodejs: 20 });
    for (const report of Object.values(buildspec.reports) as Json[]) {
      expect([...TEST_FORMATS, ...COVERAGE_FORMATS]).toContain(report["file-format"]);
      expect(report.files.length).toBeGreaterThan(0);
    }
    expect(buildspec.artifacts.files).toContain("appspec.yml");
  });

  it("appspec.yml is version 0.0 for Linux, with absolute destinations and only in-place EC2 hooks, run as root", () => {
    expect(appspec.version).toBe(0.0);
    expect(appspec.os).toBe("linux");
    for (const f of appspec.files) expect(f.destination.startsWith("/")).toBe(true);
    expect(Object.keys(appspec.hooks)).toEqual(HOOK_ORDER);
    for (const hooks of Object.values(appspec.hooks) as Json[][]) {
      for (const h of hooks) {
        expect(fs.existsSync(path.join(APP, h.location))).toBe(true);
        expect(h.timeout).toBeLessThanOrEqual(3600);
        expect(h.runas).toBe("root");
      }
    }
  });

  it("the hook scripts pass shellcheck", () => {
    const scripts = fs.readdirSync(path.join(APP, "scripts")).filter((f) => f.endsWith(".sh"));
    const r = spawnSync("shellcheck", ["-x", ...scripts], { cwd: path.join(APP, "scripts"), encoding: "utf8" });
    if (r.error) throw new Error("shellcheck is not installed: apt-get install shellcheck (.ci/run installs it)");
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});

describe("rehearsal: build, deploy, deploy again, deploy a broken build", () => {
  let first: Build;
  let second: Build;
  beforeAll(() => {
    first = build("1111111aaaaaaa");
  }, 60_000);

  it("builds: lint, unit tests, package, with the pipeline's COMMIT_ID, and no environment in the package (it is promoted)", () => {
    expect(first.output).toContain("Building 1111111aaaaaaa for dev");
    expect(first.ok).toBe(true);
    expect(first.output).toMatch(/lint: \d+ files OK/);
    const info = JSON.parse(fs.readFileSync(path.join(first.artifact, "dist", "build-info.json"), "utf8"));
    expect(info).toMatchObject({ commit: "1111111aaaaaaa" });
    expect(Object.keys(info).sort()).toEqual(["builtAt", "commit"]);
  });

  it("publishes a JUnit report and LCOV coverage where the reports section expects them", () => {
    const junit = fs.readFileSync(path.join(first.source, buildspec.reports["unit-tests"]["base-directory"], "junit.xml"), "utf8");
    expect(junit.match(/<testcase /g)?.length).toBeGreaterThanOrEqual(4);
    expect(junit).not.toContain("<failure");
    const lcov = fs.readFileSync(path.join(first.source, buildspec.reports.coverage["base-directory"], "lcov.info"), "utf8");
    expect(lcov).toContain("SF:src/app.js");
  });

  it("the artifact holds exactly the files the artifacts section names, appspec.yml at its root", () => {
    expect(listFiles(first.artifact)).toEqual([
      "appspec.yml",
      "dist/build-info.json",
      "dist/package.json",
      "dist/src/app.js",
      "dist/src/server.js",
      "scripts/after_install.sh",
      "scripts/application_start.sh",
      "scripts/application_stop.sh",
      "scripts/before_allow_traffic.sh",
      "scripts/before_install.sh",
      "scripts/common.sh",
      "scripts/render_config.js",
      "scripts/render_config.sh",
      "scripts/validate_service.sh",
    ]);
  });

  it("ApplicationStop works when nothing was ever installed", () => {
    const r = spawnSync("sh", [path.join(first.artifact, "scripts", "application_stop.sh")], {
      encoding: "utf8",
      env: { ...hookEnv(), LIFECYCLE_EVENT: "ApplicationStop" },
    });
    expect(r.stdout).toContain("[ApplicationStop] webapp was not running");
    expect(r.status).toBe(0);
  });

  it("deploys: hooks in CodeDeploy's order with its variables, and ValidateService passes", async () => {
    const d = deploy(first.artifact);
    expect(d.output).toContain("[ValidateService] healthy");
    expect(d.ok).toBe(true);
    expect(d.events).toEqual(FIRST_DEPLOYMENT_EVENTS);
    for (const event of HOOK_ORDER.slice(1)) expect(d.output).toContain(`[${event}]`);
    expect(d.output).toContain("[BeforeAllowTraffic] warmed up: / and /health answered 3 times each");
    expect(await health()).toEqual(healthy("1111111aaaaaaa"));
  }, 60_000);

  it("deploys a new commit over the first: the old service stops, /health reports the new commit", async () => {
    second = build("2222222bbbbbbb");
    const d = deploy(second.artifact, first.artifact);
    expect(d.ok).toBe(true);
    expect(d.events[0]).toBe("ApplicationStop");
    expect(d.output).toMatch(/\[ApplicationStop\] stopped process \d+/);
    expect(await health()).toEqual(healthy("2222222bbbbbbb"));
    expect(pidFiles()).toHaveLength(1);
  }, 60_000);

  it("passes the application's acceptance tests against the release it deployed (buildspec-test.yml, as the pipeline runs it)", () => {
    const tests = acceptance("2222222bbbbbbb");
    expect(tests.output).toContain(`Testing 2222222bbbbbbb in dev at http://127.0.0.1:${port}`);
    expect(tests.output).toMatch(/\bpass 3\b/);
    expect(tests.ok).toBe(true);
    const report = fs.readFileSync(
      path.join(tests.source, testBuildspec.reports["acceptance-tests"]["base-directory"], "acceptance.xml"),
      "utf8",
    );
    expect(report.match(/<testcase /g)).toHaveLength(3);
    expect(report).not.toContain("<failure");
  });

  it("fails the acceptance tests when the environment does not serve the commit being released: the release stops there", () => {
    const tests = acceptance("9999999zzzzzzz");
    expect(tests.ok).toBe(false);
    expect(tests.failedPhase).toBe("build");
    expect(tests.output).toMatch(/\bfail 1\b/);
    expect(tests.output).toContain("9999999zzzzzzz");
  });

  it("fails ValidateService when the new build's service runs but answers unhealthy, so CodeDeploy rolls back", async () => {
    // The second revision, with a handler that answers 200 but not "ok" (a build would have
    // caught it in the unit tests; a misconfigured environment would not).
    const degraded = fs.mkdtempSync(path.join(scratch, "artifact-"));
    fs.cpSync(second.artifact, degraded, { recursive: true });
    const handler = path.join(degraded, "dist", "src", "app.js");
    const original = fs.readFileSync(handler, "utf8");
    expect(original).toContain('status: "ok"');
    fs.writeFileSync(handler, original.replace('status: "ok"', 'status: "degraded"'));
    const d = deploy(degraded, second.artifact, { VALIDATE_TIMEOUT: "3" });
    expect(d.ok).toBe(false);
    expect(d.failedEvent).toBe("ValidateService");
    expect(d.output).toContain("[ValidateService] not healthy");
    // It answered, and what it answered was not "ok".
    expect((await health()).status).toBe("degraded");
    // The good revision goes back, as CodeDeploy's rollback would deploy it.
    expect(deploy(second.artifact, degraded).ok).toBe(true);
    expect(await health()).toEqual(healthy("2222222bbbbbbb"));
  }, 60_000);

  it("fails ValidateService when the new build's service does not start, so CodeDeploy rolls back", () => {
    const broken = build("3333333ccccccc", (dir) =>
      fs.appendFileSync(path.join(dir, "src", "server.js"), '\nthrow new Error("broken at start");\n'),
    );
    expect(broken.ok).toBe(true);
    const d = deploy(broken.artifact, second.artifact);
    expect(d.ok).toBe(false);
    expect(d.failedEvent).toBe("ValidateService");
    expect(d.output).toContain("[ValidateService] not healthy");
    expect(d.output).toContain("broken at start");
  }, 60_000);

  describe("blue/green: the release goes to the idle fleet, and traffic follows only a healthy one", () => {
    // Production's traffic switch (runtime/traffic-switch.js), all at once here, with this
    // instance as the idle fleet (green): the switch's CodeDeploy deployment runs the hooks above on
    // it, and the target group's health check is what the ALB makes, a GET of the health path
    // answered 200. The other AWS calls are simulated (__tests__/support/fake-switch-aws.js).
    const project: Json = resourceAt(synthAll(config)["app-prod"], "aws_codebuild_project", "traffic_project");
    const production = JSON.parse(project.environment.environment_variable[0].value);
    const switchConfig = { ...production, steps: [100], releaseAfterMinutes: 5 };
    const stopService = () => {
      for (const pid of pidFiles())
        spawnSync("sh", ["-c", `kill ${pid} 2>/dev/null; while kill -0 ${pid} 2>/dev/null; do sleep 0.1; done`]);
    };
    const targetHealthy = () =>
      spawnSync(
        "curl",
        [
          "--silent",
          "--output",
          "/dev/null",
          "--max-time",
          "3",
          "--write-out",
          "%{http_code}",
          `http://127.0.0.1:${port}${config.project.application.healthCheckPath}`,
        ],
        {
          encoding: "utf8",
        },
      ).stdout === "200";

    /** Runs the switch's four steps, the deployment being this rehearsal's, then `afterDeploy`. */
    function release(revision: string, afterDeploy?: () => void) {
      const world = createWorld(switchConfig, { live: "blue" });
      const hooks: Deployment[] = [];
      const aws = (args: string[]) => {
        if (args[0] === "deploy" && args[1] === "create-deployment") {
          const d = deploy(revision, undefined, { VALIDATE_TIMEOUT: "5" });
          hooks.push(d);
          world.deploymentOutcome.green = d.ok ? "Succeeded" : "Failed";
          afterDeploy?.();
        }
        if (args[0] === "elbv2" && args[1] === "describe-target-health") world.health.green = targetHealthy() ? "healthy" : "unhealthy";
        return handle(world, args);
      };
      const ctx = {
        config: switchConfig,
        aws,
        sleep: (seconds: number) => tick(world, seconds),
        now: () => world.clock,
        log: () => undefined,
        env: { CODEBUILD_SOURCE_VERSION: "arn:aws:s3:::webapp-artifacts/prod-webapp/Build/AbC.zip" },
      };
      let error: Error | undefined;
      for (const step of STEPS) {
        try {
          run(step, ctx);
        } catch (e) {
          error = e as Error;
          break;
        }
      }
      return { world, hooks, error };
    }
    const moved = (world: Json) =>
      world.calls.filter((c: string[]) => c[1] === "modify-listener" && !world.config.testListenerArns.includes(c[3]));
    afterEach(stopService);

    it("a healthy release: CodeDeploy's hooks on the idle fleet, traffic hooks included, then all traffic moves and blue is released", async () => {
      const r = release(second.artifact);
      expect(r.error).toBeUndefined();
      expect(r.hooks.map((h) => h.events)).toEqual([FIRST_DEPLOYMENT_EVENTS]);
      expect(r.world.weights).toEqual({ blue: 0, green: 100 });
      expect(r.world.parameter).toBe("green");
      expect(r.world.groups.blue).toMatchObject({ min: 0, desired: 0 });
      expect(await health()).toEqual(healthy("2222222bbbbbbb"));
    }, 60_000);

    it("a release that fails its health check in ValidateService: the deployment fails and no traffic moves", () => {
      const degraded = fs.mkdtempSync(path.join(scratch, "artifact-"));
      fs.cpSync(second.artifact, degraded, { recursive: true });
      const handler = path.join(degraded, "dist", "src", "app.js");
      fs.writeFileSync(handler, fs.readFileSync(handler, "utf8").replace('status: "ok"', 'status: "degraded"'));
      const r = release(degraded);
      expect(r.hooks[0]).toMatchObject({ ok: false, failedEvent: "ValidateService" });
      expect(r.error?.message).toMatch(/^deployment d-FAKE1 to green failed .* blue still serves all traffic\.$/);
      expect(moved(r.world)).toEqual([]);
      expect(r.world.weights).toEqual({ blue: 100, green: 0 });
      expect(r.world.parameter).toBe("blue");
    }, 60_000);

    it("a release that passes its hooks, then fails the target group's health check (its service stops): no traffic moves", () => {
      const r = release(second.artifact, stopService);
      expect(r.hooks[0].ok).toBe(true);
      expect(r.error?.message).toMatch(
        /^green fails the health check, so no traffic moved: .*unhealthy.* blue still serves all traffic\.$/,
      );
      expect(moved(r.world)).toEqual([]);
      expect(r.world.parameter).toBe("blue");
    }, 60_000);
  });

  describe("settings and secrets, rendered at every deployment", () => {
    const calls = () =>
      fs
        .readFileSync(callsFile, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as string[]);

    beforeAll(() => {
      fs.rmSync(callsFile, { force: true });
      expect(deploy(second.artifact).ok).toBe(true);
    }, 60_000);
    afterAll(() => writeStore(store));

    it("reads the environment's own path, named by the instance's platform file, with decryption, in its region", () => {
      const [ssm, ...rest] = calls();
      expect(ssm.slice(0, 2)).toEqual(["ssm", "get-parameters-by-path"]);
      expect(ssm).toEqual(expect.arrayContaining(["--path", `/${config.project.appName}/dev`, "--recursive", "--with-decryption"]));
      expect(ssm[ssm.indexOf("--region") + 1]).toBe(config.project.region);
      expect(rest.map((c) => [c[1], c[c.indexOf("--secret-id") + 1]])).toEqual(
        DEV.runtime.secrets.map((name) => ["get-secret-value", `${config.project.appName}/dev/${name}`]),
      );
    });

    it("writes every setting and secret into a file that only the service user can read", () => {
      const stat = fs.statSync(runtimeFile);
      expect((stat.mode & 0o777).toString(8)).toBe("400");
      expect(stat.uid).toBe(os.userInfo().uid);
      expect((fs.statSync(path.dirname(runtimeFile)).mode & 0o777).toString(8)).toBe("700");
      expect(JSON.parse(fs.readFileSync(runtimeFile, "utf8"))).toEqual({
        environment: "dev",
        settings: DEV.runtime.settings,
        secrets: Object.fromEntries(DEV.runtime.secrets.map((name) => [name, CANARY])),
      });
      expect(fs.readdirSync(path.dirname(runtimeFile))).toEqual(["runtime.json"]);
    });

    it("shows the setting in /health and proves the secret is there without revealing it, nor logging it anywhere", async () => {
      const body = await health();
      expect(body).toEqual(healthy("2222222bbbbbbb"));
      expect(JSON.stringify(body)).not.toContain(CANARY);
      expect(allOutput.join("\n")).toContain("[AfterInstall] /webapp/dev: settings API_BASE_URL, GREETING; secrets DATABASE_PASSWORD");
      expect(allOutput.join("\n")).not.toContain(CANARY);
      expect(fs.readFileSync(path.join(root, "var", "log", "webapp", "app.log"), "utf8")).not.toContain(CANARY);
    });

    it("a changed setting and a rotated secret reach the application at the next deployment", async () => {
      writeStore({
        ...store,
        parameters: { ...store.parameters, "/webapp/dev/settings/GREETING": "Hello again" },
        secrets: everySecret(`${CANARY}-rotated`),
      });
      expect(deploy(second.artifact, second.artifact).ok).toBe(true);
      expect((await health()).greeting).toBe("Hello again");
      expect(JSON.parse(fs.readFileSync(runtimeFile, "utf8")).secrets.DATABASE_PASSWORD).toBe(`${CANARY}-rotated`);
    }, 60_000);

    it("fails the deployment before the service restarts when a secret has no value, saying how to set it, and keeps the last file whole", () => {
      const before = fs.readFileSync(runtimeFile, "utf8");
      writeStore({ ...store, secrets: everySecret(null) });
      const d = deploy(second.artifact, second.artifact);
      expect(d.ok).toBe(false);
      expect(d.failedEvent).toBe("AfterInstall");
      expect(d.events).not.toContain("ApplicationStart");
      expect(d.output).toContain(
        "secret DATABASE_PASSWORD has no value yet: set it with aws secretsmanager put-secret-value --secret-id webapp/dev/DATABASE_PASSWORD",
      );
      expect(fs.readFileSync(runtimeFile, "utf8")).toBe(before);
      expect(fs.readdirSync(path.dirname(runtimeFile))).toEqual(["runtime.json"]);
      // A secret that does not exist at all (the stack was not applied) is told apart.
      writeStore({ ...store, secrets: {} });
      expect(deploy(second.artifact, second.artifact).output).toContain(
        "secret DATABASE_PASSWORD (webapp/dev/DATABASE_PASSWORD) does not exist: apply the environment's stack",
      );
    }, 60_000);

    it("fails the deployment on an instance without the platform file, naming the way out", () => {
      writeStore(store);
      const d = deploy(second.artifact, second.artifact, { PLATFORM_FILE: path.join(root, "etc", "missing.env") });
      expect(d.ok).toBe(false);
      expect(d.failedEvent).toBe("AfterInstall");
      expect(d.output).toContain(
        "is missing: this instance was launched before the platform wrote it; replace it (start an instance refresh",
      );
      // Deployed again as it should be, the service answers with its settings.
      expect(deploy(second.artifact).ok).toBe(true);
    }, 60_000);
  });
});

describe("fits the core stacks unchanged", () => {
  const stacks = synthAll(config);
  const { project } = config;
  /** dev's instance user data. */
  const devUserData = () =>
    userData({
      region: project.region,
      environment: "dev",
      parameterPath: `/${project.appName}/dev`,
      logGroupName: "/x",
      serviceUser: project.appName,
      appPort: project.application.port,
      healthCheckPath: project.application.healthCheckPath,
    });
  const defaults = Object.fromEntries(
    [...fs.readFileSync(path.join(APP, "scripts", "common.sh"), "utf8").matchAll(/^(\w+)="\$\{\1:-([^}]*)\}"$/gm)].map((m) => [m[1], m[2]]),
  );

  it("reads variables the pipeline's build action passes", () => {
    const [, buildStage] = deliveryStages({
      environment: "dev",
      workload: project.service!.name,
      repository: project.service!.repository,
      branch: "deploy/dev",
      connectionArn: "c",
      buildProjectName: "p",
      target: { kind: "service", codeDeployApplication: "a", codeDeployGroup: "g" },
    });
    const passed = JSON.parse(buildStage.actions[0].configuration.EnvironmentVariables).map((v: Json) => v.name);
    expect(passed).toEqual(["ENVIRONMENT", "COMMIT_ID", "WORKLOAD"]);
    const used = fs.readFileSync(path.join(APP, "tools", "package.js"), "utf8") + JSON.stringify(buildspec);
    // The sample app labels its package with the commit (ENVIRONMENT only in the build's log: the
    // package is promoted); WORKLOAD is there for monorepo buildspecs.
    for (const name of ["ENVIRONMENT", "COMMIT_ID"]) expect(used).toContain(name);
    expect(fs.readFileSync(path.join(APP, "tools", "package.js"), "utf8")).not.toContain("process.env.ENVIRONMENT");
  });

  it("publishes reports into report groups the build role may write", () => {
    const projectName = resourceAt(stacks.build, "aws_codebuild_project", "build_project").name;
    const allowed = roleStatements(stacks.build, `${projectName}-codebuild`)
      .filter((s) => asList(s.Action).includes("codebuild:BatchPutTestCases"))
      .flatMap((s) => asList(s.Resource));
    for (const report of Object.keys(buildspec.reports)) {
      const arn = `arn:aws:codebuild:${project.region}:${project.accountId}:report-group/${projectName}-${report}`;
      // IAM's trailing * matches any suffix.
      expect(allowed.some((pattern) => (pattern.endsWith("*") ? arn.startsWith(pattern.slice(0, -1)) : arn === pattern))).toBe(true);
    }
  });

  it("is deployed from the build's output artifact, which holds appspec.yml at its root", () => {
    const pipeline = resourceAt(stacks["app-dev"], "aws_codepipeline", "pipeline");
    const deployAction = pipeline.stage.find((s: Json) => s.name === "Deploy").action[0];
    expect(deployAction.input_artifacts).toEqual([BUILD_ARTIFACT]);
    expect(buildspec.artifacts["base-directory"]).toBeUndefined();
    expect(buildspec.artifacts.files[0]).toBe("appspec.yml");
  });

  it("runs as the service user and logs where the instance's user data prepares them", () => {
    expect(defaults.APP_NAME).toBe(project.appName);
    expect(defaults.SERVICE_USER).toBe("$APP_NAME");
    expect(defaults.LOG_DIR).toBe("/var/log/$APP_NAME");
    expect(appLogDirectory(project.appName)).toBe(`/var/log/${project.appName}`);
    const script = devUserData();
    expect(script).toContain(`useradd --system --no-create-home --shell /sbin/nologin ${project.appName}`);
    expect(script).toContain(`install -d -o ${project.appName} -g ${project.appName} -m 0750 /var/log/${project.appName}`);
    expect(script).toContain("systemctl enable codedeploy-agent\nsystemctl restart codedeploy-agent");
  });

  it("releases the port from the instance's bootstrap health responder before it installs", () => {
    const hook = fs.readFileSync(path.join(APP, "scripts", "before_install.sh"), "utf8");
    expect(hook).toContain('systemctl disable --now "$APP_NAME-bootstrap.service"');
    expect(appspec.hooks.BeforeInstall[0].location).toBe("scripts/before_install.sh");
  });

  it("is the instance's user data valid bash that shellcheck accepts, one command per line (set -e sees every failure)", () => {
    const script = devUserData();
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "user-data-")), "user-data.sh");
    fs.writeFileSync(file, script);
    expect(spawnSync("bash", ["-n", file], { encoding: "utf8" }).status).toBe(0);
    const r = spawnSync("shellcheck", ["-s", "bash", file], { encoding: "utf8" });
    expect(r.stdout).toBe("");
    expect(r.status).toBe(0);
    // Outside heredocs and the trap, no command is chained with && or ||, where a failure would not stop the script.
    const body = script
      .replace(/<<'(\w+)'\n[\s\S]*?\n\1\n/g, "")
      .split("\n")
      .filter((l) => !l.startsWith("trap ") && !l.startsWith("#"));
    expect(body.filter((l) => / && /.test(l))).toEqual([]);
  });

  it("takes the port over from the instance's bootstrap health responder when it starts, for good", () => {
    // after_install.sh writes the unit that application_start.sh starts.
    expect(fs.readFileSync(path.join(APP, "scripts", "common.sh"), "utf8")).toContain('UNIT_FILE="$SYSTEMD_UNIT_DIR/$APP_NAME.service"');
    expect(defaults.SYSTEMD_UNIT_DIR).toBe("/etc/systemd/system");
    const unit = bootstrapUnit({
      serviceUser: project.appName,
      appPort: project.application.port,
      healthCheckPath: project.application.healthCheckPath,
    });
    expect(unit).toContain(`Conflicts=${project.appName}.service\nBefore=${project.appName}.service`);
    expect(unit).toContain(`ConditionPathExists=!/etc/systemd/system/${project.appName}.service`);
    expect(unit).toContain(`${project.application.port} ${project.application.healthCheckPath}`);
  });

  it("reads the platform file where the instance's user data writes it", () => {
    expect(defaults.PLATFORM_FILE).toBe("/etc/$APP_NAME/platform.env");
    expect(platformFile(project.appName)).toBe(`/etc/${project.appName}/platform.env`);
    expect(appspec.hooks.AfterInstall.map((h: Json) => h.location)).toEqual(["scripts/after_install.sh", "scripts/render_config.sh"]);
    expect(buildspec.artifacts.files).toContain("scripts/*.js");
  });

  it("listens on the port and health path the target group checks", () => {
    expect(Number(defaults.PORT)).toBe(project.application.port);
    expect(defaults.HEALTH_PATH).toBe(project.application.healthCheckPath);
    const tg = onlyResource(stacks["app-dev"], "aws_lb_target_group");
    expect(tg.port).toBe(project.application.port);
    expect(tg.health_check.path).toBe(project.application.healthCheckPath);
    expect(appspec.files[0].destination).toBe(`/opt/${project.appName}/current`);
  });
});

describe("the instance's bootstrap health responder (before the first revision)", () => {
  it("answers 200 on the health path and 404 elsewhere (never a 5xx that would trip the deployment alarm)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bootstrap-"));
    fs.writeFileSync(path.join(dir, "bootstrap.py"), BOOTSTRAP_RESPONDER);
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (probe.address() as net.AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    const child = spawn("python3", [path.join(dir, "bootstrap.py"), String(port), "/health"], { stdio: "ignore" });
    try {
      const get = async (p: string) => {
        for (let i = 0; i < 50; i++) {
          try {
            return await fetch(`http://127.0.0.1:${port}${p}`);
          } catch {
            await new Promise((r) => setTimeout(r, 100));
          }
        }
        throw new Error("the responder did not start");
      };
      const health = await get("/health");
      expect(health.status).toBe(200);
      expect(await health.text()).toBe("no revision deployed yet\n");
      expect((await get("/health?probe=1")).status).toBe(200);
      expect((await get("/")).status).toBe(404);
      expect((await get("/healthz")).status).toBe(404);
    } finally {
      child.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
