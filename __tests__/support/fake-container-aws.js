#!/usr/bin/env node
"use strict";
// A stand-in for the AWS CLI as a container's pipeline steps call it (runtime/container-steps.js
// and runtime/image-build.sh), answering as the CLI v2 does with --output json, or failing as it
// does (exit 254, the service's error on stderr). It keeps its world in the JSON file
// FAKE_CONTAINER_WORLD and records every call there.
//
// The world: ECR's images and their scans (a scan completes after `pollsUntilComplete` reads),
// the task definitions, the service and the outcome of its next rolling deployment, and the
// outcome of the next CodeDeploy deployment.
const fs = require("fs");

const file = process.env.FAKE_CONTAINER_WORLD;
if (!file) {
  process.stderr.write("FAKE_CONTAINER_WORLD is not set\n");
  process.exit(2);
}
const world = JSON.parse(fs.readFileSync(file, "utf8"));
const args = process.argv.slice(2).filter((a, i, all) => a !== "--output" && all[i - 1] !== "--output");
world.calls.push(args);
const opt = (name) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const save = () => fs.writeFileSync(file, JSON.stringify(world, null, 1));
const answer = (value) => {
  save();
  process.stdout.write(typeof value === "string" ? `${value}\n` : JSON.stringify(value));
  process.exit(0);
};
const fail = (message) => {
  save();
  process.stderr.write(`\nAn error occurred ${message}\n`);
  process.exit(254);
};

const [service, command] = args;
const digestOf = () => (opt("--image-id") ?? "").replace(/^imageDigest=/, "");
const tagOf = () => (opt("--image-ids") ?? "").replace(/^imageTag=/, "");

switch (`${service} ${command}`) {
  case "ecr get-login-password":
    answer("password");
    break;
  case "ecr describe-images": {
    if ((world.deniedRepositories ?? []).includes(opt("--repository-name")))
      fail("(AccessDeniedException) when calling the DescribeImages operation: not authorized to perform: ecr:DescribeImages");
    const image = world.images.find((i) => i.tag === tagOf());
    if (!image)
      fail(
        `(ImageNotFoundException) when calling the DescribeImages operation: The image with imageId {imageTag:'${tagOf()}'} does not exist`,
      );
    if (opt("--query")) answer(image.digest);
    answer({ imageDetails: [{ imageDigest: image.digest, imageTags: [image.tag] }] });
    break;
  }
  case "ecr describe-image-scan-findings": {
    // A scan that appears after some reads (right after a push, it does not exist yet).
    const later = (world.scanAppearsAfter ?? {})[digestOf()];
    if (later && (later.seen = (later.seen ?? 0) + 1) > later.reads) world.scans[digestOf()] = later;
    const scan = world.scans[digestOf()];
    if (!scan) fail("(ScanNotFoundException) when calling the DescribeImageScanFindings operation: no scan");
    scan.reads = (scan.reads ?? 0) + 1;
    const status = scan.reads > (scan.pollsUntilComplete ?? 0) ? scan.status : "IN_PROGRESS";
    answer({
      imageScanStatus: { status, description: scan.description },
      imageScanFindings: ["COMPLETE", "ACTIVE"].includes(status)
        ? { findingSeverityCounts: scan.counts, findings: scan.findings ?? [] }
        : undefined,
    });
    break;
  }
  case "ecs describe-task-definition": {
    const t = world.taskDefinitions[opt("--task-definition")];
    if (!t) fail(`(ClientException) when calling the DescribeTaskDefinition operation: Unable to describe task definition.`);
    answer({ taskDefinition: t, tags: [] });
    break;
  }
  case "ecs register-task-definition": {
    const input = JSON.parse(fs.readFileSync(opt("--cli-input-json").replace(/^file:\/\//, ""), "utf8"));
    const revision = ++world.revision;
    const arn = `arn:aws:ecs:us-east-2:111122223333:task-definition/${input.family}:${revision}`;
    world.taskDefinitions[arn] = { ...input, taskDefinitionArn: arn, revision, status: "ACTIVE" };
    world.registered.push(arn);
    answer({ taskDefinition: world.taskDefinitions[arn] });
    break;
  }
  case "ecs update-service": {
    const id = `ecs-svc/${world.service.deployments.length + 1}`;
    world.service.taskDefinition = opt("--task-definition");
    world.service.deployments = [{ id, status: "PRIMARY", rolloutState: "IN_PROGRESS", runningCount: 0, desiredCount: 2, polls: 0 }];
    answer({ service: { serviceName: opt("--service"), deployments: world.service.deployments } });
    break;
  }
  case "ecs describe-services": {
    for (const d of world.service.deployments) {
      d.polls += 1;
      if (d.polls >= world.service.pollsToFinish) {
        d.rolloutState = world.service.outcome;
        d.runningCount = world.service.outcome === "COMPLETED" ? d.desiredCount : 0;
        if (d.rolloutState === "FAILED") d.rolloutStateReason = "ECS deployment circuit breaker: tasks failed to start.";
      }
    }
    answer({ services: [{ serviceName: opt("--services"), deployments: world.service.deployments }] });
    break;
  }
  case "deploy create-deployment": {
    const id = `d-${String(world.deployments.length + 1).padStart(9, "0")}`;
    const revision = JSON.parse(opt("--revision"));
    world.deployments.push({
      id,
      status: "InProgress",
      polls: 0,
      appSpec: JSON.parse(revision.appSpecContent.content),
      group: opt("--deployment-group-name"),
    });
    answer({ deploymentId: id });
    break;
  }
  case "deploy get-deployment": {
    const d = world.deployments.find((x) => x.id === opt("--deployment-id"));
    d.polls += 1;
    if (d.status === "InProgress" && d.polls >= world.pollsToReady) d.status = world.installOutcome;
    else if (d.status === "Shifting" && d.polls >= world.pollsToShift) d.status = world.shiftOutcome;
    const status = d.status === "Shifting" ? "InProgress" : d.status;
    answer({
      deploymentInfo: {
        deploymentId: d.id,
        status,
        ...(d.status === "Failed" ? { errorInformation: { message: "alarm shop-prod-api-blue-http-5xx" } } : {}),
      },
    });
    break;
  }
  case "deploy list-deployments": {
    const statuses = opt("--include-only-statuses");
    answer({ deployments: world.deployments.filter((d) => d.status === statuses).map((d) => d.id) });
    break;
  }
  case "deploy continue-deployment": {
    const d = world.deployments.find((x) => x.id === opt("--deployment-id"));
    d.status = "Shifting";
    d.polls = 0;
    answer("");
    break;
  }
  default:
    fail(`(InvalidAction) the stand-in does not answer "${service} ${command}"`);
}
