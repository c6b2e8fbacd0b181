/**
 * Containers: image repositories, task definitions, services and clusters. The controls are AWS
 * Control Tower's proactive controls for ECR and ECS (Control Tower controls reference, "Amazon
 * Elastic Container Service controls"), and checkov's where it has one.
 */
import type { Attrs, Resource, Rule } from "./engine";
import { list, isTrue } from "./policy-reader";
import { looksLikeSecretName } from "../lib/validators";

/** A task definition's containers (container_definitions is a JSON string at synth). */
function containers(r: Resource): Attrs[] {
  const defs = r.attrs.container_definitions;
  if (typeof defs !== "string") return [];
  try {
    return JSON.parse(defs) as Attrs[];
  } catch {
    return [];
  }
}

/** The containers of a task definition that fail `ok`, by name, or undefined when all pass. */
function failing(r: Resource, ok: (c: Attrs) => boolean): string[] | undefined {
  const bad = containers(r)
    .filter((c) => !ok(c))
    .map((c) => String(c.name));
  return bad.length ? bad : undefined;
}

const ROOT_USERS = ["root", "0"];

export const CONTAINERS: Rule[] = [
  {
    id: "ECR_TAGS_IMMUTABLE",
    controls: ["CT.ECR.PR.2", "CKV_AWS_51"],
    description: "ECR repositories have immutable tags: a tag names one image for good",
    fix: 'set image_tag_mutability = "IMMUTABLE"',
    types: ["aws_ecr_repository"],
    check: (r) => (r.attrs.image_tag_mutability === "IMMUTABLE" ? undefined : `tags are ${r.attrs.image_tag_mutability ?? "MUTABLE"}`),
  },
  {
    id: "ECR_SCAN_ON_PUSH",
    controls: ["CT.ECR.PR.1", "CKV_AWS_163"],
    description: "ECR repositories scan every image pushed",
    fix: "set image_scanning_configuration.scan_on_push = true",
    types: ["aws_ecr_repository"],
    check: (r) => (isTrue(r.attrs.image_scanning_configuration?.scan_on_push) ? undefined : "images are not scanned on push"),
  },
  {
    id: "ECR_ENCRYPTED_WITH_CMK",
    controls: ["CKV_AWS_136"],
    description: "ECR repositories encrypt their images with a customer-managed KMS key",
    fix: 'set encryption_configuration = [{ encryption_type = "KMS", kms_key = <the key> }]',
    types: ["aws_ecr_repository"],
    check: (r) =>
      list(r.attrs.encryption_configuration).some((e: Attrs) => e.encryption_type === "KMS" && e.kms_key)
        ? undefined
        : "images are not encrypted with a customer-managed key",
  },
  {
    id: "ECR_LIFECYCLE_POLICY",
    controls: ["CT.ECR.PR.3"],
    description: "ECR repositories have a lifecycle policy",
    fix: "give the repository an aws_ecr_lifecycle_policy",
    types: ["aws_ecr_repository"],
    check: (r, stack) =>
      stack.referring("aws_ecr_lifecycle_policy", "repository", r).length ? undefined : "no lifecycle policy expires old images",
  },
  {
    id: "ECS_NOT_PRIVILEGED",
    controls: ["CT.ECS.PR.11"],
    description: "ECS containers do not run privileged",
    fix: "set privileged = false in every container definition",
    types: ["aws_ecs_task_definition"],
    check: (r) => {
      const bad = failing(r, (c) => c.privileged !== true);
      return bad ? `container(s) ${bad.join(", ")} run privileged` : undefined;
    },
  },
  {
    id: "ECS_READ_ONLY_ROOT",
    controls: ["CT.ECS.PR.6", "CKV_AWS_336"],
    description: "ECS containers have a read-only root file system (a task volume where they must write)",
    fix: "set readonlyRootFilesystem = true, and mount a volume where the application writes (/tmp)",
    types: ["aws_ecs_task_definition"],
    check: (r) => {
      const bad = failing(r, (c) => c.readonlyRootFilesystem === true);
      return bad ? `container(s) ${bad.join(", ")} can write to their root file system` : undefined;
    },
  },
  {
    id: "ECS_NO_HOST_NETWORK",
    controls: ["CT.ECS.PR.4"],
    description: "ECS tasks have network interfaces of their own (awsvpc), never the host's network",
    fix: 'set network_mode = "awsvpc"',
    types: ["aws_ecs_task_definition"],
    check: (r) => (r.attrs.network_mode === "awsvpc" ? undefined : `the network mode is ${r.attrs.network_mode ?? "the default (bridge)"}`),
  },
  {
    // The image's USER decides when the definition sets none (the sample's Dockerfile sets one,
    // and docs/workloads.md advises it); a definition that asks for root is refused.
    id: "ECS_NOT_ROOT_USER",
    controls: ["CT.ECS.PR.3"],
    description: "ECS containers are not told to run as root",
    fix: "remove user, or set a user other than root (0), and give the image a USER",
    types: ["aws_ecs_task_definition"],
    check: (r) => {
      const bad = failing(r, (c) => !ROOT_USERS.includes(String(c.user ?? "").split(":")[0]));
      return bad ? `container(s) ${bad.join(", ")} run as root` : undefined;
    },
  },
  {
    id: "ECS_NO_SECRETS_IN_ENVIRONMENT",
    controls: ["CT.ECS.PR.12"],
    description: "ECS containers receive secrets through `secrets`, never as plain environment variables",
    fix: "pass it under secrets, with valueFrom naming the parameter or secret (environments/<env>.ts secrets)",
    types: ["aws_ecs_task_definition"],
    check: (r) => {
      const bad = containers(r)
        .flatMap((c) => list(c.environment).filter((e: Attrs) => looksLikeSecretName(String(e.name))))
        .map((e: Attrs) => e.name);
      return bad.length ? `plain variable(s) ${bad.join(", ")} look like secrets` : undefined;
    },
  },
  {
    id: "ECS_TASK_LOGS",
    controls: ["CT.ECS.PR.5"],
    description: "ECS containers send their logs somewhere",
    fix: 'set logConfiguration = { logDriver = "awslogs", ... } in every container definition',
    types: ["aws_ecs_task_definition"],
    check: (r) => {
      const bad = failing(r, (c) => !!c.logConfiguration?.logDriver);
      return bad ? `container(s) ${bad.join(", ")} have no log configuration` : undefined;
    },
  },
  {
    id: "ECS_SERVICE_NO_PUBLIC_IP",
    controls: ["CT.ECS.PR.9"],
    description: "ECS services do not give their tasks a public IP address",
    fix: "set network_configuration.assign_public_ip = false",
    types: ["aws_ecs_service"],
    check: (r) => (isTrue(r.attrs.network_configuration?.assign_public_ip) ? "its tasks get public IP addresses" : undefined),
  },
  {
    id: "ECS_SERVICE_ROLLS_BACK",
    controls: ['project rule: a release whose tasks fail never stays (docs/workloads.md, "Containers")'],
    description: "ECS services roll a failing deployment back: the circuit breaker, or CodeDeploy's blue/green",
    fix: "set deployment_circuit_breaker = { enable = true, rollback = true }, or deploy through CodeDeploy (deployment_controller CODE_DEPLOY)",
    types: ["aws_ecs_service"],
    check: (r) =>
      r.attrs.deployment_controller?.type === "CODE_DEPLOY" ||
      (isTrue(r.attrs.deployment_circuit_breaker?.enable) && isTrue(r.attrs.deployment_circuit_breaker?.rollback))
        ? undefined
        : "a deployment whose tasks fail is not rolled back",
  },
  {
    id: "ECS_CONTAINER_INSIGHTS_IN_PRODUCTION",
    controls: ["CT.ECS.PR.2"],
    description: "Production's ECS clusters have Container Insights",
    fix: 'set setting = [{ name = "containerInsights", value = "enabled" }]',
    types: ["aws_ecs_cluster"],
    check: (r, stack) => {
      if (stack.facts.tier !== "production") return undefined;
      return list(r.attrs.setting).some((s: Attrs) => s.name === "containerInsights" && ["enabled", "enhanced"].includes(s.value))
        ? undefined
        : "Container Insights is off in production";
    },
  },
];
