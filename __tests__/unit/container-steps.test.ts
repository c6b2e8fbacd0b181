import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { containerStepsProgram } from "../../modules/constructs/container-service";
import { runtimeFile } from "../../modules/lib/runtime-files";

// A container's pipeline steps as they ship (runtime/container-steps.js, compacted as the
// buildspec carries it, and runtime/image-build.sh), each run as CodeBuild runs it, against a
// stand-in AWS CLI (and Docker) that keeps a world in a file: what each step calls, what it
// refuses, and that a failure stops the release with a message naming what failed.
const DIGEST = `sha256:${"ab".repeat(32)}`;
const REPOSITORY_URI = "111122223333.dkr.ecr.us-east-2.amazonaws.com/shop/api";
const NETWORK = { AwsvpcConfiguration: { Subnets: ["subnet-1", "subnet-2"], SecurityGroups: ["sg-1"], AssignPublicIp: "DISABLED" } };
const TEMPLATE = "arn:aws:ecs:us-east-2:111122223333:task-definition/shop-prod-api:3";
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "container-steps-"));
const bin = path.join(dir, "bin");
const program = path.join(dir, "container-steps.js");
fs.mkdirSync(bin);
fs.copyFileSync(path.join(__dirname, "..", "support", "fake-container-aws.js"), path.join(bin, "aws"));
fs.chmodSync(path.join(bin, "aws"), 0o755);
fs.writeFileSync(program, containerStepsProgram());
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the stand-in's world is free-form JSON
type World = Record<string, any>;
let serial = 0;

function world(overrides: World = {}): World {
  return {
    calls: [],
    images: [{ tag: "abc123", digest: DIGEST }],
    scans: { [DIGEST]: { status: "COMPLETE", counts: { MEDIUM: 2, LOW: 5 }, pollsUntilComplete: 2 } },
    revision: 3,
    registered: [],
    taskDefinitions: {
      [TEMPLATE]: {
        taskDefinitionArn: TEMPLATE,
        family: "shop-prod-api",
        revision: 3,
        status: "ACTIVE",
        taskRoleArn: "arn:aws:iam::111122223333:role/shop-prod-api-task",
        executionRoleArn: "arn:aws:iam::111122223333:role/shop-prod-api-execution",
        networkMode: "awsvpc",
        requiresCompatibilities: ["FARGATE"],
        compatibilities: ["EC2", "FARGATE"],
        registeredAt: "2026-12-01T00:00:00Z",
        cpu: "256",
        memory: "512",
        volumes: [{ name: "tmp" }],
        containerDefinitions: [
          {
            name: "api",
            image: `${REPOSITORY_URI}:initial`,
            secrets: [{ name: "DB_PASSWORD", valueFrom: "arn:secret" }],
            readonlyRootFilesystem: true,
          },
        ],
      },
    },
    service: { taskDefinition: TEMPLATE, deployments: [], outcome: "COMPLETED", pollsToFinish: 2 },
    deployments: [],
    pollsToReady: 2,
    installOutcome: "Ready",
    pollsToShift: 2,
    shiftOutcome: "Succeeded",
    ...overrides,
  };
}

/** Runs one step in a fresh source folder holding imagedefinitions.json; returns its result and the world after. */
function step(
  name: string,
  w: World,
  env: Record<string, string> = {},
  definitions: unknown = [{ name: "api", imageUri: `${REPOSITORY_URI}@${DIGEST}` }],
) {
  const src = path.join(dir, `src-${++serial}`);
  fs.mkdirSync(src);
  if (definitions !== null) fs.writeFileSync(path.join(src, "imagedefinitions.json"), JSON.stringify(definitions));
  const worldFile = path.join(src, "world.json");
  fs.writeFileSync(worldFile, JSON.stringify(w));
  const r = spawnSync("node", [program], {
    encoding: "utf8",
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      FAKE_CONTAINER_WORLD: worldFile,
      CODEBUILD_SRC_DIR: src,
      STEP: name,
      CONTAINER: "api",
      REPOSITORY: "shop/api",
      CLUSTER: "shop-prod",
      SERVICE: "api",
      TEMPLATE,
      APPLICATION: "shop-prod-api",
      DEPLOYMENT_GROUP: "shop-prod-api",
      PORT: "8080",
      NETWORK: JSON.stringify(NETWORK),
      CAPACITY: JSON.stringify([{ CapacityProvider: "FARGATE", Base: 0, Weight: 1 }]),
      POLL_SECONDS: "0",
      TIMEOUT_MINUTES: "1",
      ...env,
    },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.trim(), world: JSON.parse(fs.readFileSync(worldFile, "utf8")) as World };
}

describe("the scan gate (STEP=scan)", () => {
  it("waits for ECR's scan of the image by digest, lists the findings, and passes below its level", () => {
    const r = step("scan", world(), { FAIL_ON: "high" });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`image ${DIGEST}: 2 medium, 5 low`);
    // It read the scan until it was complete: twice in progress, then complete.
    expect(r.world.calls.filter((c: string[]) => c[1] === "describe-image-scan-findings")).toHaveLength(3);
    expect(r.world.calls[0]).toEqual([
      "ecr",
      "describe-image-scan-findings",
      "--repository-name",
      "shop/api",
      "--image-id",
      `imageDigest=${DIGEST}`,
    ]);
  });

  it("waits for a scan that does not exist yet, and takes enhanced scanning's ACTIVE as a result", () => {
    const later = { [DIGEST]: { reads: 2, status: "ACTIVE", counts: { HIGH: 1 } } };
    const late = step("scan", world({ scans: {}, scanAppearsAfter: later }), { FAIL_ON: "critical" });
    expect(late.stderr).toBe("");
    expect(late.stdout).toContain(`image ${DIGEST}: 1 high`);
    expect(late.world.calls.filter((c: string[]) => c[1] === "describe-image-scan-findings")).toHaveLength(3);
  });

  it("stops the release on a finding at or above its level, naming the counts", () => {
    const r = step("scan", world(), { FAIL_ON: "medium" });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("the image has 2 medium finding(s), at or above medium: fix the base image or the packages, and push again");
    const critical = world({ scans: { [DIGEST]: { status: "COMPLETE", counts: { CRITICAL: 1, HIGH: 3 } } } });
    expect(step("scan", critical, { FAIL_ON: "critical" }).stderr).toBe(
      "the image has 1 critical finding(s), at or above critical: fix the base image or the packages, and push again",
    );
    expect(step("scan", critical, { FAIL_ON: "warn" }).code).toBe(0);
  });

  it("fails when ECR cannot scan, when the scan never completes, and on an image not named by digest", () => {
    const unsupported = world({
      scans: { [DIGEST]: { status: "UNSUPPORTED_IMAGE", description: "The operating system is not supported" } },
    });
    expect(step("scan", unsupported, { FAIL_ON: "high" }).stderr).toBe(
      `ECR could not scan ${DIGEST}: UNSUPPORTED_IMAGE (The operating system is not supported)`,
    );
    // Where the level only warns, an image ECR cannot scan goes on, said so.
    const warned = step("scan", unsupported, { FAIL_ON: "warn" });
    expect(warned.code).toBe(0);
    expect(warned.stdout).toMatch(/UNSUPPORTED_IMAGE .*: the level only warns, so the release goes on/);
    const limited = world({ scans: { [DIGEST]: { status: "LIMIT_EXCEEDED", description: "too many scans" } } });
    expect(step("scan", limited, { FAIL_ON: "warn" }).stderr).toBe(`ECR could not scan ${DIGEST}: LIMIT_EXCEEDED (too many scans)`);
    const never = world({ scans: { [DIGEST]: { status: "COMPLETE", counts: {}, pollsUntilComplete: 1e9 } } });
    expect(step("scan", never, { FAIL_ON: "high", TIMEOUT_MINUTES: "0" }).stderr).toBe(
      `gave up waiting for ECR's scan of shop/api@${DIGEST} after 0 minutes`,
    );
    const byTag = step("scan", world(), { FAIL_ON: "high" }, [{ name: "api", imageUri: `${REPOSITORY_URI}:abc123` }]);
    expect(byTag.stderr).toBe(
      `the image ${REPOSITORY_URI}:abc123 is not named by digest (<repository>@sha256:<hex>): only a measured image is deployed`,
    );
    expect(step("scan", world(), { FAIL_ON: "high" }, [{ name: "web", imageUri: `${REPOSITORY_URI}@${DIGEST}` }]).stderr).toBe(
      'imagedefinitions.json names no container "api" (it names web)',
    );
    expect(step("scan", world(), { FAIL_ON: "high" }, null).stderr).toMatch(/imagedefinitions\.json is missing: the build writes it/);
    expect(step("scan", world(), { FAIL_ON: "severe" }).stderr).toBe("FAIL_ON is SEVERE: critical, high, medium, low or warn");
  });
});

describe("a rolling release (STEP=deploy)", () => {
  it("registers Terraform's task definition with the release's image, and nothing else changed, then waits for the rollout", () => {
    const r = step("deploy", world());
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const [registered] = r.world.registered;
    expect(registered).toBe("arn:aws:ecs:us-east-2:111122223333:task-definition/shop-prod-api:4");
    const revision = r.world.taskDefinitions[registered];
    const template = r.world.taskDefinitions[TEMPLATE];
    expect(revision.containerDefinitions).toEqual([{ ...template.containerDefinitions[0], image: `${REPOSITORY_URI}@${DIGEST}` }]);
    for (const field of ["family", "taskRoleArn", "executionRoleArn", "networkMode", "cpu", "memory", "volumes", "requiresCompatibilities"])
      expect(revision[field]).toEqual(template[field]);
    // Read-only fields of DescribeTaskDefinition are not sent back.
    expect(revision).not.toHaveProperty("compatibilities");
    expect(revision).not.toHaveProperty("registeredAt");
    expect(r.world.service.taskDefinition).toBe(registered);
    expect(r.stdout).toMatch(/COMPLETED: 2\/2 running/);
  });

  it("fails when the circuit breaker rolls the release back, with ECS's reason", () => {
    const r = step("deploy", world({ service: { taskDefinition: TEMPLATE, deployments: [], outcome: "FAILED", pollsToFinish: 1 } }));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "the deployment of arn:aws:ecs:us-east-2:111122223333:task-definition/shop-prod-api:4 failed and was rolled back: ECS deployment circuit breaker: tasks failed to start.",
    );
  });

  it("refuses a task definition without the container, and an unknown step", () => {
    const w = world();
    w.taskDefinitions[TEMPLATE].containerDefinitions[0].name = "web";
    expect(step("deploy", w).stderr).toBe(`the task definition ${TEMPLATE} has no container "api"`);
    expect(step("launch", world()).stderr).toBe("STEP is launch: one of scan, deploy, install, shift");
  });
});

describe("a blue/green release (STEP=install, then STEP=shift)", () => {
  it("installs on replacement tasks through CodeDeploy and waits until they are ready, then moves the traffic", () => {
    const installed = step("install", world());
    expect(installed.stderr).toBe("");
    expect(installed.code).toBe(0);
    const [deployment] = installed.world.deployments;
    expect(deployment).toMatchObject({ status: "Ready", group: "shop-prod-api" });
    expect(deployment.appSpec.Resources[0].TargetService.Properties).toEqual({
      TaskDefinition: "arn:aws:ecs:us-east-2:111122223333:task-definition/shop-prod-api:4",
      LoadBalancerInfo: { ContainerName: "api", ContainerPort: 8080 },
      NetworkConfiguration: NETWORK,
      CapacityProviderStrategy: [{ CapacityProvider: "FARGATE", Base: 0, Weight: 1 }],
    });
    // The service is CodeDeploy's: the step never updates it itself.
    expect(installed.world.calls.some((c: string[]) => c[1] === "update-service")).toBe(false);
    const shifted = step("shift", installed.world);
    expect(shifted.stderr).toBe("");
    expect(shifted.code).toBe(0);
    expect(shifted.world.calls).toContainEqual([
      "deploy",
      "continue-deployment",
      "--deployment-id",
      deployment.id,
      "--deployment-wait-type",
      "READY_WAIT",
    ]);
    expect(shifted.world.deployments[0].status).toBe("Succeeded");
  });

  it("fails the install when the replacement tasks never get ready, and the shift when an alarm stops it", () => {
    expect(step("install", world({ installOutcome: "Failed" })).stderr).toBe(
      "deployment d-000000001 failed: alarm shop-prod-api-blue-http-5xx",
    );
    const installed = step("install", world()).world;
    const r = step("shift", { ...installed, shiftOutcome: "Stopped" });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^deployment d-000000001 stopped: /);
    expect(step("shift", world()).stderr).toBe("expected one deployment waiting to move traffic, found 0: InstallOnIdleTasks runs first");
  });
});

describe("the image build (runtime/image-build.sh)", () => {
  // A stand-in docker that records its arguments.
  const docker = path.join(bin, "docker");
  fs.writeFileSync(docker, `#!/usr/bin/env bash\necho "docker $*" >> "$DOCKER_LOG"\n[ "$1" != build ] || [ -z "\${DOCKER_FAILS:-}" ]\n`);
  fs.chmodSync(docker, 0o755);

  function build(w: World, env: Record<string, string> = {}) {
    const src = path.join(dir, `build-${++serial}`);
    fs.mkdirSync(src);
    const worldFile = path.join(src, "world.json");
    fs.writeFileSync(worldFile, JSON.stringify(w));
    const log = path.join(src, "docker.log");
    const r = spawnSync("bash", ["-c", runtimeFile("image-build.sh")], {
      cwd: src,
      encoding: "utf8",
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        FAKE_CONTAINER_WORLD: worldFile,
        DOCKER_LOG: log,
        REPOSITORY_URI,
        CONTAINER: "api",
        DOCKERFILE: "Dockerfile",
        COMMIT_ID: "def456",
        BUILD_ARGS: "NODE_ENV API_VERSION",
        ...env,
      },
    });
    const definitions = path.join(src, "imagedefinitions.json");
    return {
      code: r.status,
      stderr: r.stderr,
      docker: fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [],
      definitions: fs.existsSync(definitions) ? JSON.parse(fs.readFileSync(definitions, "utf8")) : undefined,
      world: JSON.parse(fs.readFileSync(worldFile, "utf8")) as World,
    };
  }

  it("builds and pushes a commit's image once, tagged by the commit, and names it by digest", () => {
    // The stand-in ECR learns of the push only through the world: the push "lands" between the two reads.
    const w = world({ images: [] });
    const first = build(w);
    // Without the pushed image in the stand-in, the digest read fails: the script stops rather than write a tag.
    expect(first.code).not.toBe(0);
    expect(first.docker).toEqual([
      "docker login --username AWS --password-stdin 111122223333.dkr.ecr.us-east-2.amazonaws.com",
      `docker build --file Dockerfile --tag ${REPOSITORY_URI}:def456 --label org.opencontainers.image.revision=def456 --build-arg COMMIT_ID --build-arg NODE_ENV --build-arg API_VERSION .`,
      `docker push ${REPOSITORY_URI}:def456`,
    ]);
    expect(first.definitions).toBeUndefined();
    const pushed = build(world({ images: [{ tag: "def456", digest: DIGEST }] }));
    expect(pushed.code).toBe(0);
    // It exists: not built again (immutable tags), its digest read.
    expect(pushed.docker).toEqual(["docker login --username AWS --password-stdin 111122223333.dkr.ecr.us-east-2.amazonaws.com"]);
    expect(pushed.definitions).toEqual([{ name: "api", imageUri: `${REPOSITORY_URI}@${DIGEST}` }]);
  });

  it("stops on an ECR error other than a missing image, and on a failed build", () => {
    const denied = build(world({ deniedRepositories: ["shop/api"] }));
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/AccessDeniedException/);
    expect(denied.docker.some((l) => l.startsWith("docker build"))).toBe(false);
    const broken = build(world({ images: [] }), { DOCKER_FAILS: "1" });
    expect(broken.code).not.toBe(0);
    expect(broken.docker.some((l) => l.startsWith("docker push"))).toBe(false);
    expect(broken.definitions).toBeUndefined();
  });
});
