// @ts-check
"use strict";
/**
 * A container workload's pipeline steps (docs/workloads.md, "Containers"). Each runs in a CodeBuild
 * project, one step per pipeline action, and needs only node and the AWS CLI (CodeBuild's standard
 * image has both). The input artifact is the build's: imagedefinitions.json, which names the image
 * by digest (`<repository>@sha256:<hex>`), sealed and promoted like any other artifact.
 *
 *   scan     the scan gate, in the account that holds the repository: waits for ECR's scan of the
 *            image (scan on push) and fails on a finding at or above FAIL_ON (critical, high,
 *            medium or low; "warn" lists the findings and never fails)
 *   deploy   rolling: registers a revision of the task definition Terraform keeps (TEMPLATE) with
 *            the image, points the service at it and waits for the deployment to complete; the
 *            circuit breaker and the deployment alarms roll a failing one back, and the step fails
 *   install  blue/green: the same revision, deployed by CodeDeploy to a replacement task set,
 *            which the test listener serves; waits until it is ready (no production traffic yet)
 *   shift    blue/green: lets that deployment move production traffic (the deployment group's
 *            configuration, watched by its alarms) and waits for it to succeed
 *
 * Terraform owns the task definition (settings, secrets, roles, size); the pipeline owns which
 * image runs. Each release starts from TEMPLATE, so a change Terraform made reaches the tasks with
 * the next release, and a plan after a release is empty: the service's task definition is the
 * pipeline's (lifecycle ignore_changes), Terraform's revision stays as it registered it.
 *
 * Configuration, from the project's variables: STEP (the action's); CONTAINER, the container's
 * name in the task definition; for scan REPOSITORY and FAIL_ON; for the others CLUSTER, SERVICE,
 * TEMPLATE (the task definition's ARN), and for blue/green APPLICATION, DEPLOYMENT_GROUP, PORT,
 * NETWORK and CAPACITY (the AppSpec's NetworkConfiguration and CapacityProviderStrategy, JSON);
 * POLL_SECONDS (default 15) and TIMEOUT_MINUTES (default 30).
 */

const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");

/** A refusal or failure with a message for the person reading the build log. */
class StepError extends Error {}

/** @param {string} name */
function required(name) {
  const value = process.env[name];
  if (!value) throw new StepError(`${name} is not set: the pipeline's action or the project sets it`);
  return value;
}

/**
 * The AWS CLI's JSON answer.
 * @param {string[]} args
 * @returns {any}
 */
function aws(args) {
  const out = execFileSync("aws", [...args, "--output", "json"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return out.trim() ? JSON.parse(out) : {};
}

/** @param {number} ms */
function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The image the build made, by digest, from imagedefinitions.json. */
function image() {
  const file = path.join(process.env.CODEBUILD_SRC_DIR || ".", "imagedefinitions.json");
  if (!fs.existsSync(file)) throw new StepError(`${file} is missing: the build writes it (the image build project)`);
  const container = required("CONTAINER");
  /** @type {{ name: string, imageUri: string }[]} */
  const definitions = JSON.parse(fs.readFileSync(file, "utf8"));
  const entry = definitions.find((d) => d.name === container);
  if (!entry)
    throw new StepError(`imagedefinitions.json names no container "${container}" (it names ${definitions.map((d) => d.name).join(", ")})`);
  const match = /^(?<repository>[^@]+)@(?<digest>sha256:[0-9a-f]{64})$/.exec(entry.imageUri);
  if (!match?.groups)
    throw new StepError(
      `the image ${entry.imageUri} is not named by digest (<repository>@sha256:<hex>): only a measured image is deployed`,
    );
  return { uri: entry.imageUri, repository: match.groups.repository, digest: match.groups.digest };
}

/**
 * Waits until `check` returns true (done) or throws; gives up after TIMEOUT_MINUTES.
 * @param {string} what
 * @param {() => boolean} check
 */
function waitFor(what, check) {
  const poll = Number(process.env.POLL_SECONDS || 15) * 1000;
  const deadline = Date.now() + Number(process.env.TIMEOUT_MINUTES || 30) * 60_000;
  for (;;) {
    if (check()) return;
    if (Date.now() > deadline) throw new StepError(`gave up waiting for ${what} after ${process.env.TIMEOUT_MINUTES || 30} minutes`);
    sleep(poll);
  }
}

/** ECR's severities, worst first (DescribeImageScanFindings: findingSeverityCounts). */
const SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW"];

function scan() {
  const { digest } = image();
  const repository = required("REPOSITORY");
  const failOn = required("FAIL_ON").toUpperCase();
  if (failOn !== "WARN" && !SEVERITIES.includes(failOn)) throw new StepError(`FAIL_ON is ${failOn}: critical, high, medium, low or warn`);
  const id = ["--repository-name", repository, "--image-id", `imageDigest=${digest}`];
  /** @type {any} */
  let findings;
  /** @type {string | undefined} */
  let unscannable;
  waitFor(`ECR's scan of ${repository}@${digest}`, () => {
    try {
      findings = aws(["ecr", "describe-image-scan-findings", ...id]);
    } catch (e) {
      // Right after the push the scan may not exist yet: wait for it (DescribeImageScanFindings).
      if (/ScanNotFoundException/.test(String(/** @type {any} */ (e).stderr ?? ""))) return false;
      throw e;
    }
    const status = findings.imageScanStatus?.status;
    const description = findings.imageScanStatus?.description ?? "no description";
    // UNSUPPORTED_IMAGE: an image ECR cannot scan (one built FROM scratch, say: ECR user guide,
    // "Troubleshooting image scanning issues"); it stops the release unless the level only warns.
    if (status === "UNSUPPORTED_IMAGE") {
      unscannable = `ECR could not scan ${digest}: ${status} (${description})`;
      return true;
    }
    // Statuses that will not turn into findings by waiting (ECR API reference, ImageScanStatus).
    if (["FAILED", "FINDINGS_UNAVAILABLE", "LIMIT_EXCEEDED", "SCAN_ELIGIBILITY_EXPIRED", "IMAGE_ARCHIVED"].includes(status))
      throw new StepError(`ECR could not scan ${digest}: ${status} (${description})`);
    // COMPLETE: basic scanning's result; ACTIVE: enhanced scanning's (continuous, findings current).
    return status === "COMPLETE" || status === "ACTIVE";
  });
  if (unscannable) {
    if (failOn !== "WARN") throw new StepError(unscannable);
    console.log(`${unscannable}: the level only warns, so the release goes on`);
    return;
  }
  /** @type {Record<string, number>} */
  const counts = findings.imageScanFindings?.findingSeverityCounts ?? {};
  const listed = SEVERITIES.filter((s) => counts[s]).map((s) => `${counts[s]} ${s.toLowerCase()}`);
  console.log(`image ${digest}: ${listed.length ? listed.join(", ") : "no finding"}`);
  for (const f of (findings.imageScanFindings?.findings ?? []).slice(0, 50)) console.log(`  ${f.severity} ${f.name}: ${f.uri ?? ""}`);
  if (failOn === "WARN") return;
  const blocking = SEVERITIES.slice(0, SEVERITIES.indexOf(failOn) + 1).filter((s) => counts[s]);
  if (blocking.length)
    throw new StepError(
      `the image has ${blocking.map((s) => `${counts[s]} ${s.toLowerCase()}`).join(", ")} finding(s), at or above ${failOn.toLowerCase()}: fix the base image or the packages, and push again`,
    );
}

/** Terraform's task definition with the release's image, registered as a new revision: its ARN. */
function register() {
  const { uri } = image();
  const container = required("CONTAINER");
  const { taskDefinition: t } = aws(["ecs", "describe-task-definition", "--task-definition", required("TEMPLATE")]);
  if (!t.containerDefinitions.some((/** @type {any} */ c) => c.name === container))
    throw new StepError(`the task definition ${t.taskDefinitionArn} has no container "${container}"`);
  // RegisterTaskDefinition takes what DescribeTaskDefinition returns but its read-only fields.
  const input = {
    family: t.family,
    taskRoleArn: t.taskRoleArn,
    executionRoleArn: t.executionRoleArn,
    networkMode: t.networkMode,
    containerDefinitions: t.containerDefinitions.map((/** @type {any} */ c) => (c.name === container ? { ...c, image: uri } : c)),
    volumes: t.volumes,
    requiresCompatibilities: t.requiresCompatibilities,
    cpu: t.cpu,
    memory: t.memory,
    ...(t.runtimePlatform ? { runtimePlatform: t.runtimePlatform } : {}),
    ...(t.ephemeralStorage ? { ephemeralStorage: t.ephemeralStorage } : {}),
  };
  const file = "/tmp/task-definition.json";
  fs.writeFileSync(file, JSON.stringify(input));
  const registered = aws(["ecs", "register-task-definition", "--cli-input-json", `file://${file}`]).taskDefinition.taskDefinitionArn;
  console.log(`registered ${registered} with ${uri}`);
  return registered;
}

function deploy() {
  const cluster = required("CLUSTER");
  const service = required("SERVICE");
  const revision = register();
  const updated = aws(["ecs", "update-service", "--cluster", cluster, "--service", service, "--task-definition", revision]).service;
  const id = updated.deployments.find((/** @type {any} */ d) => d.status === "PRIMARY")?.id;
  waitFor(`the deployment of ${revision}`, () => {
    const [current] = aws(["ecs", "describe-services", "--cluster", cluster, "--services", service]).services;
    const d = current.deployments.find((/** @type {any} */ x) => x.id === id);
    // The circuit breaker or an alarm rolled it back: it is no longer the primary deployment.
    if (!d || d.rolloutState === "FAILED")
      throw new StepError(`the deployment of ${revision} failed and was rolled back: ${d?.rolloutStateReason ?? "replaced by a rollback"}`);
    console.log(`${d.rolloutState}: ${d.runningCount}/${d.desiredCount} running`);
    return d.rolloutState === "COMPLETED";
  });
}

/** @param {string} id */
function deploymentStatus(id) {
  const info = aws(["deploy", "get-deployment", "--deployment-id", id]).deploymentInfo;
  if (["Failed", "Stopped"].includes(info.status))
    throw new StepError(`deployment ${id} ${info.status.toLowerCase()}: ${info.errorInformation?.message ?? "see the CodeDeploy console"}`);
  return info.status;
}

function install() {
  const revision = register();
  const appSpec = {
    version: 0.0,
    Resources: [
      {
        TargetService: {
          Type: "AWS::ECS::Service",
          Properties: {
            TaskDefinition: revision,
            LoadBalancerInfo: { ContainerName: required("CONTAINER"), ContainerPort: Number(required("PORT")) },
            // Terraform cannot change these on a CODE_DEPLOY service: each release sets them.
            NetworkConfiguration: JSON.parse(required("NETWORK")),
            CapacityProviderStrategy: JSON.parse(required("CAPACITY")),
          },
        },
      },
    ],
  };
  const revisionArg = JSON.stringify({ revisionType: "AppSpecContent", appSpecContent: { content: JSON.stringify(appSpec) } });
  const { deploymentId } = aws([
    "deploy",
    "create-deployment",
    "--application-name",
    required("APPLICATION"),
    "--deployment-group-name",
    required("DEPLOYMENT_GROUP"),
    "--revision",
    revisionArg,
  ]);
  console.log(`deployment ${deploymentId}: installing ${revision} beside the serving task set`);
  // The group waits for ContinueDeployment before it moves production traffic (deployment_ready_option).
  waitFor(`deployment ${deploymentId} to be ready`, () => deploymentStatus(deploymentId) === "Ready");
}

function shift() {
  const { deployments } = aws([
    "deploy",
    "list-deployments",
    "--application-name",
    required("APPLICATION"),
    "--deployment-group-name",
    required("DEPLOYMENT_GROUP"),
    "--include-only-statuses",
    "Ready",
  ]);
  if (deployments.length !== 1)
    throw new StepError(`expected one deployment waiting to move traffic, found ${deployments.length}: InstallOnIdleTasks runs first`);
  const [id] = deployments;
  aws(["deploy", "continue-deployment", "--deployment-id", id, "--deployment-wait-type", "READY_WAIT"]);
  console.log(`deployment ${id}: moving production traffic`);
  waitFor(`deployment ${id} to succeed`, () => deploymentStatus(id) === "Succeeded");
}

const STEPS = { scan, deploy, install, shift };

function main() {
  const step = required("STEP");
  if (!(step in STEPS)) throw new StepError(`STEP is ${step}: one of ${Object.keys(STEPS).join(", ")}`);
  STEPS[/** @type {keyof typeof STEPS} */ (step)]();
}

try {
  main();
} catch (e) {
  const err = /** @type {Error & { stderr?: string }} */ (e);
  console.error(err instanceof StepError ? err.message : `${err.message}${err.stderr ? `\n${err.stderr}` : ""}`);
  process.exit(1);
}
