import { execFileSync, spawnSync, type SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { ROOT, type Json } from "../support/helpers";
import { codeBuild } from "../support/rehearsal";
import { dockerfileProblems } from "../support/dockerfile-lint";

// The sample container (examples/sample-container) rehearsed with podman, from Debian's packages:
// its Dockerfile linted, its image built (the tests in its first stage; a failing test fails the
// build), run as the platform runs it (read-only root file system, /tmp writable, its own user,
// settings as environment variables), its health endpoint checked, and its acceptance tests
// (buildspec-test.yml) run against it.
//
// What this does not prove: no container registry answers from this machine, so the pinned base
// image (node:20-bookworm-slim@sha256:…) cannot be pulled. The rehearsal builds a base image of
// its own from this machine's node (its binary and the libraries it links), and passes it as the
// Dockerfile's NODE_IMAGE; the pinned digest, ECR's push and scan, and Fargate itself are not
// exercised here (the image build's script is tested against stand-ins: __tests__/unit/container-steps.test.ts).
//
// podman on this machine: crun refuses its hybrid cgroups and raising limits is not permitted, so
// it runs with runc, cgroupfs, and limits no higher than the machine's (PODMAN_FLAGS).
const APP = path.join(ROOT, "examples", "sample-container");
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "sample-container-"));
const tag = `rehearsal-${process.pid}`;
const BASE = `localhost/${tag}-node:20`;
const IMAGE = `localhost/${tag}-sample:1`;
const conf = path.join(scratch, "containers.conf");
fs.writeFileSync(conf, '[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = "cgroupfs"\n');
const ENV = { ...process.env, CONTAINERS_CONF: conf };
const LIMITS = ["--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096"];
const PODMAN_FLAGS = ["--runtime", "runc"];
const containers: string[] = [];

function podman(args: readonly string[], input?: Buffer): SpawnSyncReturns<string> {
  return spawnSync("podman", [...PODMAN_FLAGS, ...args], { env: ENV, encoding: "utf8", input, maxBuffer: 64 << 20 });
}

/** A base image with this machine's node at /usr/bin/node and the libraries it links, nothing else. */
function buildBase(): void {
  const root = path.join(scratch, "rootfs");
  const node = fs.realpathSync(execFileSync("sh", ["-c", "command -v node"], { encoding: "utf8" }).trim());
  const libs = [...execFileSync("ldd", [node], { encoding: "utf8" }).matchAll(/(\/\S+)/g)].map((m) => m[1]);
  for (const file of [node, ...libs]) {
    const target = path.join(root, file === node ? "/usr/bin/node" : file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(fs.realpathSync(file), target);
    fs.chmodSync(target, 0o755);
  }
  fs.mkdirSync(path.join(root, "tmp"), { recursive: true });
  fs.mkdirSync(path.join(root, "etc"), { recursive: true });
  fs.writeFileSync(path.join(root, "etc", "passwd"), "root:x:0:0::/root:/bin/false\n");
  const tar = execFileSync("tar", ["-C", root, "-c", "."], { maxBuffer: 1 << 30 });
  const imported = podman(["import", "--change", "ENV PATH=/usr/local/bin:/usr/bin:/bin", "-", BASE], tar);
  if (imported.status !== 0) throw new Error(`podman import failed: ${imported.stderr}`);
}

function build(context: string, image: string): SpawnSyncReturns<string> {
  return podman(["build", ...LIMITS, "--build-arg", `NODE_IMAGE=${BASE}`, "--build-arg", "COMMIT_ID=c0ffee1", "-t", image, context]);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
    probe.on("error", reject);
  });
}

async function waitForHealth(url: string): Promise<Response> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      return await fetch(url, { signal: AbortSignal.timeout(2000) });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

let built: SpawnSyncReturns<string>;
let port: number;
let container: string;

beforeAll(async () => {
  expect(spawnSync("podman", ["--version"]).status).toBe(0);
  buildBase();
  built = build(APP, IMAGE);
  port = await freePort();
  // As the task definition runs it: read-only root, /tmp writable, its settings as variables.
  const run = podman([
    "run",
    "-d",
    ...LIMITS,
    "--read-only",
    // /tmp from the image's VOLUME, as ECS fills the task volume mounted there (not podman's tmpfs).
    "--read-only-tmpfs=false",
    "--network",
    "host",
    "-e",
    `PORT=${port}`,
    "-e",
    "ENVIRONMENT=dev",
    "-e",
    "GREETING=Bonjour",
    IMAGE,
  ]);
  if (run.status !== 0) throw new Error(`podman run failed: ${run.stderr}`);
  container = run.stdout.trim();
  containers.push(container);
}, 300_000);

afterAll(() => {
  for (const c of containers) podman(["rm", "-f", "-t", "1", c]);
  podman(["rmi", "-f", IMAGE, `localhost/${tag}-broken:1`, BASE]);
  // The test stage's images, left untagged.
  podman(["image", "prune", "-f"]);
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe("the sample container, built and run with podman", () => {
  it("has a Dockerfile the lint accepts: multi-stage, its base pinned by digest, run by a user other than root", () => {
    expect(dockerfileProblems(fs.readFileSync(path.join(APP, "Dockerfile"), "utf8"))).toEqual([]);
  });

  it("builds, its unit tests passing in the image's test stage", () => {
    expect(built.stderr).not.toMatch(/Error:/);
    expect(built.status).toBe(0);
    expect(built.stdout + built.stderr).toMatch(/# pass 3/);
  });

  it("does not build when a unit test fails: no image of a failing commit", () => {
    const broken = path.join(scratch, "broken");
    fs.cpSync(APP, broken, { recursive: true });
    const server = path.join(broken, "src", "server.js");
    fs.writeFileSync(server, fs.readFileSync(server, "utf8").replace('status: "ok"', 'status: "degraded"'));
    const result = build(broken, `localhost/${tag}-broken:1`);
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/# fail 1/);
  });

  it("answers its health check with the commit it was built from and its environment", async () => {
    const res = await waitForHealth(`http://127.0.0.1:${port}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", commit: "c0ffee1", environment: "dev" });
    expect((await (await fetch(`http://127.0.0.1:${port}/`)).json()).message).toBe("Bonjour");
  });

  it("runs as its own user, on a read-only root file system with /tmp writable (its VOLUME, as ECS mounts it)", () => {
    const inspect: Json[] = JSON.parse(podman(["image", "inspect", IMAGE]).stdout);
    expect(inspect[0].Config.User).toBe("10001:10001");
    const exec = (script: string) => podman(["exec", container, "node", "-e", script]);
    expect(exec("process.stdout.write(String(process.getuid()))").stdout).toBe("10001");
    const rootWrite = exec("require('fs').writeFileSync('/app/x', 'x')");
    expect(rootWrite.status).not.toBe(0);
    expect(rootWrite.stderr).toMatch(/EROFS|read-only file system/i);
    expect(exec("require('fs').writeFileSync('/tmp/x', 'x'); process.stdout.write('ok')").stdout).toBe("ok");
  });

  it("passes its acceptance tests (buildspec-test.yml, as the pipeline runs it), which fail against a wrong environment", () => {
    const buildspec: Json = parse(fs.readFileSync(path.join(APP, "buildspec-test.yml"), "utf8"));
    const env = { APP_URL: `http://127.0.0.1:${port}`, ENVIRONMENT: "dev", COMMIT_ID: "c0ffee1" };
    const passed = codeBuild({ appDir: APP, buildspec, scratch, env });
    expect(passed.output).toMatch(/ℹ pass 2\n/);
    expect(passed.ok).toBe(true);
    const failed = codeBuild({ appDir: APP, buildspec, scratch, env: { ...env, ENVIRONMENT: "prod" } });
    expect(failed.ok).toBe(false);
    expect(failed.failedPhase).toBe("build");
  });
});
