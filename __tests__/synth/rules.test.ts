import { S3BucketWebsiteConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-website-configuration";
import { AutoscalingSchedule } from "@cdktf/provider-aws/lib/autoscaling-schedule";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import type { Construct } from "constructs";
import { Testing, TerraformResource, TerraformStack } from "../../modules/lib/cdk";
import { createStacks, stackList } from "../../modules/stacks";
import type { ProjectStack } from "../../modules/stacks/project-stack";
import { evaluate, StackView, type Suppression } from "../../modules/rules/engine";
import { RULES } from "../../modules/rules";
import { SUPPRESSIONS } from "../../modules/rules/suppressions";
import { CONTAINER_ENVIRONMENTS, CONTAINER_PROJECT, NETWORK, makeConfig, shippedConfig, synthApp, type Json } from "../support/helpers";

/* eslint-disable @typescript-eslint/no-explicit-any */
const config = shippedConfig();

/** The shipped stacks, fresh, for one test to weaken (only build and `only`'s stack, when named). */
function shippedStacks(only?: string) {
  const app = Testing.app();
  const environments = only?.startsWith("app-") ? config.environments.filter((e) => `app-${e.name}` === only) : config.environments;
  return Object.fromEntries(stackList(createStacks(app, { ...config, environments })).map((s) => [s.stackName, s])) as Record<
    string,
    ProjectStack
  >;
}

/** A project with a container beside the service (CONTAINER_PROJECT), fresh, for one test to weaken. */
function containerStacks(only?: string) {
  const full = makeConfig(CONTAINER_ENVIRONMENTS, CONTAINER_PROJECT);
  const environments = only?.startsWith("app-") ? full.environments.filter((e) => `app-${e.name}` === only) : full.environments;
  return Object.fromEntries(stackList(createStacks(Testing.app(), { ...full, environments })).map((s) => [s.stackName, s])) as Record<
    string,
    ProjectStack
  >;
}

function resourceOf(stack: TerraformStack, type: string, pathEnd?: string): TerraformResource {
  const found = stack.node
    .findAll()
    .filter((c): c is TerraformResource => c instanceof TerraformResource && c.terraformResourceType === type)
    .filter((c) => pathEnd === undefined || c.node.path.endsWith(pathEnd));
  if (found.length !== 1) throw new Error(`expected one ${type}${pathEnd ? ` at *${pathEnd}` : ""}, found ${found.length}`);
  return found[0];
}

/** Opens the instances' ingress rule (normally from the ALB's group only) to a CIDR, with these attributes. */
const openIngress = (r: TerraformResource, cidr: { cidr_ipv4: string } | { cidr_ipv6: string }, attributes: Json) => {
  r.addOverride("referenced_security_group_id", undefined);
  for (const [k, v] of Object.entries({ ...cidr, ...attributes })) r.addOverride(k, v);
};

const policy = (...statements: Json[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });

interface Weakening {
  readonly rule: string;
  readonly stack: string;
  readonly type: string;
  readonly path?: string;
  readonly weaken: (r: TerraformResource) => void;
  /** Weakens the project with a container (CONTAINER_PROJECT) instead of the shipped one. */
  readonly containers?: true;
  /** The resource the violation is reported on, when not the weakened one (a bucket, a topic). */
  readonly reportedOn?: { readonly type: string; readonly path: string };
}

const BUCKET = { type: "aws_s3_bucket", path: "artifacts/bucket" };

/** One way to break each rule: what an edit of a module's shipped default would do. */
const WEAKENINGS: Weakening[] = [
  {
    rule: "SSM_PARAMETER_ENCRYPTED_WITH_CMK",
    stack: "app-dev",
    type: "aws_ssm_parameter",
    path: "runtime/setting-GREETING",
    weaken: (r) => r.addOverride("type", "String"),
  },
  {
    rule: "SSM_PARAMETER_NO_SECRET_VALUE",
    stack: "app-dev",
    type: "aws_ssm_parameter",
    path: "runtime/setting-API_BASE_URL",
    weaken: (r) => r.addOverride("value", "https://app:hunter2@api.dev.example.com"),
  },
  {
    rule: "SECRETSMANAGER_ENCRYPTED_WITH_CMK",
    stack: "app-dev",
    type: "aws_secretsmanager_secret",
    weaken: (r) => r.addOverride("kms_key_id", undefined),
  },
  {
    rule: "SECRETSMANAGER_VALUE_OUTSIDE_TERRAFORM",
    stack: "app-dev",
    type: "aws_secretsmanager_secret",
    weaken: (r) =>
      new SecretsmanagerSecretVersion(r.node.scope as Construct, "version", {
        secretId: r.getStringAttribute("id"),
        secretString: "hunter2",
      }),
  },
  {
    rule: "S3_PUBLIC_ACCESS_BLOCKED",
    reportedOn: BUCKET,
    stack: "build",
    type: "aws_s3_bucket_public_access_block",
    path: "artifacts/public-access",
    weaken: (r) => r.addOverride("block_public_policy", false),
  },
  {
    rule: "S3_VERSIONED",
    reportedOn: BUCKET,
    stack: "build",
    type: "aws_s3_bucket_versioning",
    path: "artifacts/versioning",
    weaken: (r) => r.addOverride("versioning_configuration.status", "Suspended"),
  },
  {
    rule: "S3_ENCRYPTED_WITH_CMK",
    reportedOn: BUCKET,
    stack: "build",
    type: "aws_s3_bucket_server_side_encryption_configuration",
    path: "artifacts/encryption",
    weaken: (r) => r.addOverride("rule", [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }]),
  },
  {
    rule: "S3_TLS_ONLY",
    reportedOn: BUCKET,
    stack: "build",
    type: "aws_s3_bucket_policy",
    path: "artifacts/policy",
    weaken: (r) => r.addOverride("policy", policy({ Effect: "Deny", Principal: "*", Action: "s3:DeleteBucket", Resource: "*" })),
  },
  {
    rule: "S3_LIFECYCLE",
    reportedOn: BUCKET,
    stack: "build",
    type: "aws_s3_bucket_lifecycle_configuration",
    path: "artifacts/lifecycle",
    // Overrides of a list append to it; an index path edits one element.
    weaken: (r) => r.addOverride("rule.1.abort_incomplete_multipart_upload", undefined),
  },
  {
    rule: "S3_ACLS_DISABLED",
    reportedOn: BUCKET,
    stack: "build",
    type: "aws_s3_bucket_ownership_controls",
    path: "artifacts/ownership",
    weaken: (r) => r.addOverride("rule.object_ownership", "ObjectWriter"),
  },
  {
    rule: "S3_ACCESS_LOGGED",
    reportedOn: BUCKET,
    stack: "build",
    type: "aws_s3_bucket_logging",
    weaken: (r) => r.addOverride("target_bucket", ""),
  },
  {
    rule: "ALB_ACCESS_LOGS",
    stack: "app-prod",
    type: "aws_lb",
    weaken: (r) => r.addOverride("access_logs.enabled", false),
  },
  { rule: "KMS_ROTATION", stack: "build", type: "aws_kms_key", weaken: (r) => r.addOverride("enable_key_rotation", false) },
  { rule: "KMS_EXPLICIT_POLICY", stack: "app-dev", type: "aws_kms_key", weaken: (r) => r.addOverride("policy", undefined) },
  {
    rule: "KMS_SERVICE_PRINCIPALS_SCOPED",
    stack: "app-dev",
    type: "aws_kms_key",
    // The service statement without its aws:SourceAccount condition (a confused deputy).
    weaken: (r) =>
      r.addOverride(
        "policy",
        policy(
          { Sid: "Admin", Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "kms:*", Resource: "*" },
          {
            Sid: "ServicesEncryptForThisAccount",
            Effect: "Allow",
            Principal: { Service: ["cloudwatch.amazonaws.com"] },
            Action: "kms:Decrypt",
            Resource: "*",
          },
        ),
      ),
  },
  {
    rule: "CODEBUILD_ENCRYPTED_WITH_CMK",
    stack: "build",
    type: "aws_codebuild_project",
    path: "build/build/project",
    weaken: (r) => r.addOverride("encryption_key", undefined),
  },
  {
    rule: "CODEBUILD_LOGGING",
    stack: "build",
    type: "aws_codebuild_project",
    path: "build/build/project",
    weaken: (r) => r.addOverride("logs_config.cloudwatch_logs.status", "DISABLED"),
  },
  {
    rule: "CODEBUILD_NO_PLAINTEXT_SECRETS",
    stack: "build",
    type: "aws_codebuild_project",
    path: "build/build/project",
    weaken: (r) => r.addOverride("environment.environment_variable", [{ name: "DB_PASSWORD", value: "hunter2", type: "PLAINTEXT" }]),
  },
  {
    rule: "CODEBUILD_NOT_PRIVILEGED",
    stack: "build",
    type: "aws_codebuild_project",
    path: "build/build/project",
    weaken: (r) => r.addOverride("environment.privileged_mode", true),
  },
  {
    rule: "CODEPIPELINE_ENCRYPTED_WITH_CMK",
    stack: "app-dev",
    type: "aws_codepipeline",
    path: "/pipeline/pipeline",
    weaken: (r) => r.addOverride("artifact_store", [{ type: "S3", location: "bucket" }]),
  },
  {
    rule: "CODEPIPELINE_V2",
    stack: "app-dev",
    type: "aws_codepipeline",
    path: "/pipeline/pipeline",
    weaken: (r) => r.addOverride("pipeline_type", "V1"),
  },
  {
    rule: "CODEPIPELINE_NO_PLAINTEXT_SECRETS",
    stack: "app-dev",
    type: "aws_codepipeline",
    path: "/pipeline/pipeline",
    // The Build stage is the second: Source, Build, ...
    weaken: (r) =>
      r.addOverride(
        "stage.1.action.0.configuration.EnvironmentVariables",
        JSON.stringify([{ name: "DB_PASSWORD", value: "hunter2", type: "PLAINTEXT" }]),
      ),
  },
  {
    rule: "CODEPIPELINE_APPROVAL_BEFORE_DEPLOY",
    stack: "app-prod",
    type: "aws_codepipeline",
    path: "/pipeline/pipeline",
    // The approval moved after the deploy.
    weaken: (r) => {
      r.addOverride("stage.2.action.0.category", "Deploy");
      r.addOverride("stage.3.action.0.category", "Approval");
    },
  },
  {
    rule: "CODEDEPLOY_NO_GROUP_COPY",
    stack: "app-dev",
    type: "aws_codedeploy_deployment_group",
    weaken: (r) => {
      r.addOverride("deployment_style.deployment_type", "BLUE_GREEN");
      r.addOverride("blue_green_deployment_config", { green_fleet_provisioning_option: { action: "COPY_AUTO_SCALING_GROUP" } });
    },
  },
  {
    rule: "ALB_WEIGHTS_OWNED_BY_DEPLOYMENTS",
    stack: "app-prod",
    type: "aws_lb_listener",
    path: "web/https",
    weaken: (r) => {
      r.lifecycle = {};
    },
  },
  {
    rule: "CODEDEPLOY_AUTO_ROLLBACK",
    stack: "app-dev",
    type: "aws_codedeploy_deployment_group",
    weaken: (r) => r.addOverride("auto_rollback_configuration.enabled", false),
  },
  {
    rule: "EC2_IMDSV2",
    stack: "app-dev",
    type: "aws_launch_template",
    weaken: (r) => r.addOverride("metadata_options.http_tokens", "optional"),
  },
  {
    rule: "EC2_NO_PUBLIC_IP",
    stack: "app-dev",
    type: "aws_launch_template",
    weaken: (r) => r.addOverride("network_interfaces", [{ associate_public_ip_address: "true" }]),
  },
  {
    rule: "EC2_EBS_ENCRYPTED",
    stack: "app-dev",
    type: "aws_launch_template",
    weaken: (r) => r.addOverride("block_device_mappings", [{ device_name: "/dev/xvda", ebs: { encrypted: "false" } }]),
  },
  {
    rule: "ASG_ELB_HEALTH_CHECK",
    stack: "app-dev",
    type: "aws_autoscaling_group",
    weaken: (r) => r.addOverride("health_check_type", "EC2"),
  },
  {
    rule: "ASG_TARGET_TRACKING",
    stack: "app-dev",
    type: "aws_autoscaling_policy",
    reportedOn: { type: "aws_autoscaling_group", path: "workload-api/fleet/group" },
    weaken: (r) => r.addOverride("policy_type", "SimpleScaling"),
  },
  {
    rule: "ASG_PRODUCTION_NEVER_SLEEPS",
    stack: "app-prod",
    type: "aws_autoscaling_group",
    path: "fleet/group",
    reportedOn: { type: "aws_autoscaling_schedule", path: "workload-api/fleet/group/night" },
    weaken: (r) =>
      new AutoscalingSchedule(r, "night", {
        scheduledActionName: "webapp-prod-night",
        autoscalingGroupName: "webapp-prod",
        recurrence: "0 22 * * *",
        minSize: 0,
        maxSize: 0,
        desiredCapacity: 0,
      }),
  },
  {
    rule: "ASG_PRODUCTION_ON_DEMAND_BASE",
    stack: "app-prod",
    type: "aws_autoscaling_group",
    path: "fleet/group-green",
    weaken: (r) => {
      r.addOverride("launch_template", undefined);
      r.addOverride("mixed_instances_policy", {
        instances_distribution: { on_demand_base_capacity: 1, on_demand_percentage_above_base_capacity: 0 },
        launch_template: { launch_template_specification: { launch_template_id: "lt-1", version: "$Latest" } },
      });
    },
  },
  {
    rule: "ALB_HTTP_REDIRECTS",
    stack: "app-prod",
    type: "aws_lb_listener",
    path: "http-redirect",
    weaken: (r) =>
      r.addOverride("default_action", [
        { type: "forward", target_group_arn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/x/1" },
      ]),
  },
  {
    rule: "ALB_TLS_POLICY",
    stack: "app-prod",
    type: "aws_lb_listener",
    path: "https",
    weaken: (r) => r.addOverride("ssl_policy", "ELBSecurityPolicy-2016-08"),
  },
  {
    rule: "ALB_DROPS_INVALID_HEADERS",
    stack: "app-dev",
    type: "aws_lb",
    weaken: (r) => r.addOverride("drop_invalid_header_fields", false),
  },
  {
    rule: "ALB_DELETION_PROTECTION_IN_PRODUCTION",
    stack: "app-prod",
    type: "aws_lb",
    weaken: (r) => r.addOverride("enable_deletion_protection", false),
  },
  {
    rule: "SG_NO_OPEN_ADMIN_PORTS",
    stack: "app-dev",
    type: "aws_vpc_security_group_ingress_rule",
    path: "instances-from-alb",
    weaken: (r) => openIngress(r, { cidr_ipv4: "0.0.0.0/0" }, { from_port: 22, to_port: 22 }),
  },
  {
    rule: "SG_NO_OPEN_HTTP",
    stack: "app-dev",
    type: "aws_vpc_security_group_ingress_rule",
    path: "instances-from-alb",
    weaken: (r) => openIngress(r, { cidr_ipv6: "::/0" }, { from_port: 0, to_port: 1024 }),
  },
  {
    rule: "IAM_NO_WILDCARD_ACTIONS",
    stack: "app-dev",
    type: "aws_iam_role_policy",
    path: "/pipeline/role/policy",
    weaken: (r) => r.addOverride("policy", policy({ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::x/*" })),
  },
  {
    rule: "IAM_NO_WILDCARD_RESOURCES",
    stack: "build",
    type: "aws_iam_role_policy",
    path: "build/build/role/policy",
    weaken: (r) =>
      r.addOverride("policy", policy({ Effect: "Allow", Action: ["s3:GetObject", "cloudwatch:PutMetricData"], Resource: "*" })),
  },
  {
    rule: "IAM_TRUST_BOUND_TO_ACCOUNT",
    stack: "build",
    type: "aws_iam_role",
    path: "build/build/role/role",
    weaken: (r) =>
      r.addOverride(
        "assume_role_policy",
        policy({ Effect: "Allow", Principal: { Service: "codebuild.amazonaws.com" }, Action: "sts:AssumeRole" }),
      ),
  },
  {
    rule: "LOGS_RETENTION",
    stack: "build",
    type: "aws_cloudwatch_log_group",
    path: "build/build/logs",
    weaken: (r) => r.addOverride("retention_in_days", undefined),
  },
  {
    rule: "SNS_ENCRYPTED_WITH_CMK",
    stack: "app-qa",
    type: "aws_sns_topic",
    weaken: (r) => r.addOverride("kms_master_key_id", "alias/aws/sns"),
  },
  {
    rule: "SNS_TLS_ONLY",
    reportedOn: { type: "aws_sns_topic", path: "alerts/topic" },
    stack: "app-qa",
    type: "aws_sns_topic_policy",
    weaken: (r) =>
      r.addOverride(
        "policy",
        policy({ Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sns:Publish", Resource: "*" }),
      ),
  },
];

// Access between accounts (modules/rules/accounts.ts): production runs in an account of its own.
WEAKENINGS.push(
  {
    rule: "CROSS_ACCOUNT_TRUST_NEEDS_CONDITION",
    stack: "app-prod",
    type: "aws_iam_role",
    path: "pipeline-actions/role",
    // Trusting the whole tooling account instead of its pipelines' roles.
    weaken: (r) =>
      r.addOverride(
        "assume_role_policy",
        policy({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "sts:AssumeRole" }),
      ),
  },
  // Each a trust of GitHub's tokens with weaker conditions than the ci stack's.
  ...(
    [
      // Any branch or environment of the repository (the usual shortcut) could apply production.
      [
        "github-production/apply-role",
        {
          StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
          StringLike: { "token.actions.githubusercontent.com:sub": "repo:example-org/webapp-infra:*" },
        },
      ],
      // No audience: a token minted for another relying party would do.
      [
        "github-dev/plan-role",
        { StringEquals: { "token.actions.githubusercontent.com:sub": "repo:example-org/webapp-infra:environment:dev-plan" } },
      ],
      // Any repository of the organisation.
      [
        "github-dev/plan-role",
        {
          StringEquals: {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": "repo:example-org/*:environment:dev-plan",
          },
        },
      ],
    ] as const
  ).map(([path, condition]): Weakening => ({
    rule: "GITHUB_OIDC_TRUST_NEEDS_SUBJECT",
    stack: "ci",
    type: "aws_iam_role",
    path,
    weaken: (r) =>
      r.addOverride(
        "assume_role_policy",
        policy({
          Effect: "Allow",
          Principal: { Federated: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: condition,
        }),
      ),
  })),
  {
    rule: "KEY_AND_BUCKET_GRANTS_MATCH",
    stack: "build",
    type: "aws_s3_bucket_policy",
    path: "artifacts/policy",
    // A grant added to the bucket policy alone: the account's reads would fail on the key.
    weaken: (r) =>
      r.addOverride(
        "policy",
        policy({
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::210987654321:root" },
          Action: "s3:GetObject",
          Resource: "arn:aws:s3:::webapp-artifacts-123456789012-eu-west-1/prod-webapp/*",
          Condition: { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::210987654321:role/webapp-prod-*" } },
        }),
      ),
  },
);

/** Production's service pipeline: stage 1 holds the build and the scans (secrets, dependencies, code), stage 2 the approval. */
const scanVariables = (scan: string, failOn: string) =>
  JSON.stringify([
    { name: "SCAN", value: scan, type: "PLAINTEXT" },
    { name: "FAIL_ON", value: failOn, type: "PLAINTEXT" },
  ]);
const PROD_PIPELINE = { stack: "app-prod", type: "aws_codepipeline", path: "/pipeline/pipeline" } as const;
WEAKENINGS.push(
  // A production scan that only warns.
  {
    rule: "PRODUCTION_PIPELINE_SCANS",
    ...PROD_PIPELINE,
    weaken: (r) => r.addOverride("stage.1.action.3.configuration.EnvironmentVariables", scanVariables("code", "warn")),
  },
  // A production pipeline without its secrets scan.
  {
    rule: "PRODUCTION_PIPELINE_SCANS",
    ...PROD_PIPELINE,
    weaken: (r) => r.addOverride("stage.1.action.1.configuration.EnvironmentVariables", "[]"),
  },
  // The approval in the stage of the scans: it can be given before they finish.
  // A production deploy that succeeds at once, unwatched.
  { rule: "PRODUCTION_PIPELINE_BAKES", ...PROD_PIPELINE, weaken: (r) => r.addOverride("stage.3.on_success", undefined) },
  // A bake too short to see an alarm.
  {
    rule: "PRODUCTION_PIPELINE_BAKES",
    ...PROD_PIPELINE,
    weaken: (r) => {
      for (const i of [0, 1, 2, 3]) r.addOverride(`stage.3.on_success.condition.rule.${i}.configuration.WaitTime`, "1");
    },
  },
  // Production without its acceptance tests.
  { rule: "PRODUCTION_PIPELINE_TESTS", ...PROD_PIPELINE, weaken: (r) => r.addOverride("stage.3.action.2.category", "Build") },
  // The traffic moves before the tests.
  { rule: "PRODUCTION_PIPELINE_TESTS", ...PROD_PIPELINE, weaken: (r) => r.addOverride("stage.3.action.3.run_order", 2) },
  { rule: "APPROVAL_AFTER_SCANS", ...PROD_PIPELINE, weaken: (r) => r.addOverride("stage.1.action.0.category", "Approval") },
);

/** A container's definitions, compliant but for `change` (the task definition of CONTAINER_PROJECT's api). */
const containerDefinitions = (change: Json) =>
  JSON.stringify([
    {
      name: "api",
      image: "111122223333.dkr.ecr.us-east-2.amazonaws.com/shop/api:initial",
      privileged: false,
      readonlyRootFilesystem: true,
      logConfiguration: { logDriver: "awslogs", options: {} },
      ...change,
    },
  ]);
const REPOSITORY = { stack: "build", type: "aws_ecr_repository", path: "image-repository-api/repository", containers: true } as const;
const TASK = { stack: "app-dev", type: "aws_ecs_task_definition", path: "container-api/task", containers: true } as const;
const SERVICE = { stack: "app-dev", type: "aws_ecs_service", path: "container-api/service", containers: true } as const;
WEAKENINGS.push(
  { rule: "ECR_TAGS_IMMUTABLE", ...REPOSITORY, weaken: (r) => r.addOverride("image_tag_mutability", "MUTABLE") },
  { rule: "ECR_SCAN_ON_PUSH", ...REPOSITORY, weaken: (r) => r.addOverride("image_scanning_configuration.scan_on_push", false) },
  {
    rule: "ECR_ENCRYPTED_WITH_CMK",
    ...REPOSITORY,
    weaken: (r) => r.addOverride("encryption_configuration.0.encryption_type", "AES256"),
  },
  {
    rule: "ECR_LIFECYCLE_POLICY",
    stack: "build",
    type: "aws_ecr_lifecycle_policy",
    path: "image-repository-api/lifecycle",
    containers: true,
    weaken: (r) => r.addOverride("repository", "another-repository"),
    reportedOn: { type: "aws_ecr_repository", path: "image-repository-api/repository" },
  },
  {
    rule: "ECS_NOT_PRIVILEGED",
    ...TASK,
    weaken: (r) => r.addOverride("container_definitions", containerDefinitions({ privileged: true })),
  },
  {
    rule: "ECS_READ_ONLY_ROOT",
    ...TASK,
    weaken: (r) => r.addOverride("container_definitions", containerDefinitions({ readonlyRootFilesystem: false })),
  },
  { rule: "ECS_NO_HOST_NETWORK", ...TASK, weaken: (r) => r.addOverride("network_mode", "host") },
  { rule: "ECS_NOT_ROOT_USER", ...TASK, weaken: (r) => r.addOverride("container_definitions", containerDefinitions({ user: "0:0" })) },
  {
    rule: "ECS_NO_SECRETS_IN_ENVIRONMENT",
    ...TASK,
    weaken: (r) =>
      r.addOverride("container_definitions", containerDefinitions({ environment: [{ name: "DB_PASSWORD", value: "hunter2" }] })),
  },
  {
    rule: "ECS_TASK_LOGS",
    ...TASK,
    weaken: (r) => r.addOverride("container_definitions", containerDefinitions({ logConfiguration: undefined })),
  },
  { rule: "ECS_SERVICE_NO_PUBLIC_IP", ...SERVICE, weaken: (r) => r.addOverride("network_configuration.assign_public_ip", true) },
  { rule: "ECS_SERVICE_ROLLS_BACK", ...SERVICE, weaken: (r) => r.addOverride("deployment_circuit_breaker.rollback", false) },
  {
    rule: "ECS_CONTAINER_INSIGHTS_IN_PRODUCTION",
    stack: "app-prod",
    type: "aws_ecs_cluster",
    path: "cluster",
    containers: true,
    weaken: (r) => r.addOverride("setting.0.value", "disabled"),
  },
);

const SITE = "site_storefront";
const DISTRIBUTION = { type: "aws_cloudfront_distribution", path: "workload-storefront/site-storefront/distribution" };
WEAKENINGS.push(
  {
    rule: "CLOUDFRONT_HTTPS_ONLY",
    stack: "app-dev",
    type: "aws_cloudfront_distribution",
    weaken: (r) => r.addOverride("default_cache_behavior.viewer_protocol_policy", "allow-all"),
  },
  {
    rule: "ALB_WEB_FIREWALL_IN_PRODUCTION",
    reportedOn: { type: "aws_lb", path: "web/alb" },
    stack: "app-prod",
    type: "aws_wafv2_web_acl_association",
    weaken: (r) =>
      r.addOverride("resource_arn", "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/other/0123456789abcdef"),
  },
  {
    // A target group of another stack (or a typo): the alarm would watch nothing, and stay OK.
    rule: "METRICS_MATCH_RESOURCES",
    stack: "app-prod",
    type: "aws_cloudwatch_metric_alarm",
    path: "alarms/http-5xx",
    weaken: (r) => r.addOverride("dimensions.TargetGroup", "targetgroup/webapp-prod/0123456789abcdef"),
  },
  {
    // A median is no alarm on slow responses: the tail is what users wait on.
    rule: "FLEET_LATENCY_ALARM_IN_PRODUCTION",
    stack: "app-prod",
    type: "aws_cloudwatch_metric_alarm",
    path: "alarms-green/latency",
    reportedOn: { type: "aws_lb_target_group", path: "web/targets-green" },
    weaken: (r) => r.addOverride("extended_statistic", "p50"),
  },
  {
    rule: "CLOUDFRONT_WEB_FIREWALL_IN_PRODUCTION",
    stack: "app-prod",
    type: "aws_cloudfront_distribution",
    weaken: (r) => r.addOverride("web_acl_id", ""),
  },
  {
    rule: "WAF_LOGGING",
    reportedOn: { type: "aws_wafv2_web_acl", path: "firewall/acl" },
    stack: "app-prod",
    type: "aws_wafv2_web_acl_logging_configuration",
    path: "/firewall/logging",
    weaken: (r) =>
      r.addOverride("resource_arn", "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/other/12345678-1234-1234-1234-123456789012"),
  },
  {
    rule: "CLOUDFRONT_OWN_DOMAIN_IN_PRODUCTION",
    stack: "app-prod",
    type: "aws_cloudfront_distribution",
    weaken: (r) => {
      r.addOverride("viewer_certificate", { cloudfront_default_certificate: true });
      r.addOverride("aliases", []);
    },
  },
  {
    rule: "CLOUDFRONT_MODERN_TLS",
    stack: "app-dev",
    type: "aws_cloudfront_distribution",
    weaken: (r) =>
      r.addOverride("viewer_certificate", {
        acm_certificate_arn: "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012",
        ssl_support_method: "sni-only",
        minimum_protocol_version: "TLSv1_2016",
      }),
  },
  {
    rule: "CLOUDFRONT_ORIGIN_ACCESS_CONTROL",
    stack: "app-dev",
    type: "aws_cloudfront_distribution",
    weaken: (r) => r.addOverride("origin", [{ origin_id: "site-bucket", domain_name: "bucket.s3.eu-west-1.amazonaws.com" }]),
  },
  {
    rule: "CLOUDFRONT_LOGGING",
    reportedOn: DISTRIBUTION,
    stack: "app-dev",
    type: "aws_cloudwatch_log_delivery_source",
    weaken: (r) => r.addOverride("resource_arn", "arn:aws:cloudfront::123456789012:distribution/EOTHER"),
  },
  {
    rule: "CLOUDFRONT_SECURITY_HEADERS",
    reportedOn: DISTRIBUTION,
    stack: "app-dev",
    type: "aws_cloudfront_response_headers_policy",
    weaken: (r) => r.addOverride("security_headers_config.strict_transport_security", null),
  },
  {
    rule: "S3_NO_WEBSITE_ENDPOINT",
    stack: "app-dev",
    type: "aws_s3_bucket",
    path: "site-storefront/files/bucket",
    weaken: (r) =>
      new S3BucketWebsiteConfiguration(r, "website", {
        bucket: `\${aws_s3_bucket.${SITE}_files_bucket.id}`,
        indexDocument: { suffix: "index.html" },
      }),
  },
);

describe("rule pack", () => {
  it("gives every rule an id, the controls it follows, a description and a fix", () => {
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
    for (const rule of RULES) {
      expect(rule.id).toMatch(/^[A-Z0-9_]+$/);
      expect(rule.controls.length).toBeGreaterThan(0);
      expect(rule.description.length).toBeGreaterThan(10);
      expect(rule.fix.length).toBeGreaterThan(5);
    }
  });

  it("passes the shipped stacks and a project with a container, with every rule checking at least one of their resources (its compliant case)", () => {
    const checked = new Map<string, number>();
    for (const stack of [...Object.values(shippedStacks()), ...Object.values(containerStacks())]) {
      const json = JSON.parse(Testing.synth(stack)) as Json;
      expect(json.resource).toBeDefined();
      const result = stack.evaluateRules();
      expect(result.violations.map((v) => `${v.rule.id} ${v.resource.path}`)).toEqual([]);
      for (const [id, n] of result.checked) checked.set(id, (checked.get(id) ?? 0) + n);
    }
    expect(RULES.filter((r) => !checked.get(r.id)).map((r) => r.id)).toEqual([]);
  });

  it("has a non-compliant case for every rule", () => {
    expect([...new Set(WEAKENINGS.map((w) => w.rule))].sort()).toEqual(RULES.map((r) => r.id).sort());
  });

  it.each(WEAKENINGS)("fails the synth with $rule when the shipped default is weakened in $stack", (w) => {
    const stack = (w.containers ? containerStacks : shippedStacks)(w.stack)[w.stack];
    const resource = resourceOf(stack, w.type, w.path);
    w.weaken(resource);
    let message = "";
    try {
      Testing.synth(stack);
    } catch (error) {
      message = (error as Error).message;
    }
    const at = w.reportedOn ?? { type: w.type, path: resource.node.path.slice(w.stack.length + 1) };
    expect(message).toContain(`[${w.rule}] ${w.stack}/${at.path} (${at.type}):`);
    expect(message).toContain("Fix: ");
    expect(message).toContain("nothing was synthesized");
  });

  it("fails KEY_AND_BUCKET_GRANTS_MATCH either way: production's account granted by the key alone, as by the bucket alone", () => {
    const build = shippedStacks().build;
    const bucketPolicy = resourceOf(build, "aws_s3_bucket_policy", "artifacts/policy");
    // Everything but the environment account's grants.
    bucketPolicy.addOverride(
      "policy",
      policy({
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: "s3:*",
        Resource: "*",
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      }),
    );
    expect(() => Testing.synth(build)).toThrow(
      'key artifact-key/key admits arn:aws:iam::210987654321:root as ["arn:aws:iam::210987654321:role/webapp-hotfix-*"]; arn:aws:iam::210987654321:root as ["arn:aws:iam::210987654321:role/webapp-prod-*"], which the bucket policy does not',
    );
    // The shipped build grants both sides alike.
    expect(shippedStacks().build.evaluateRules().violations).toEqual([]);
  });

  it("fails FLEET_LATENCY_ALARM_IN_PRODUCTION for a latency alarm that notifies nobody, and only in production", () => {
    const silence = (r: TerraformResource) => r.addOverride("alarm_actions", undefined);
    const prod = shippedStacks("app-prod")["app-prod"];
    silence(resourceOf(prod, "aws_cloudwatch_metric_alarm", "alarms/latency"));
    expect(() => Testing.synth(prod)).toThrow(
      "[FLEET_LATENCY_ALARM_IN_PRODUCTION] app-prod/web/targets (aws_lb_target_group): no alarm notifies when its responses slow down",
    );
    const dev = shippedStacks("app-dev")["app-dev"];
    silence(resourceOf(dev, "aws_cloudwatch_metric_alarm", "alarms/latency"));
    expect(() => Testing.synth(dev)).not.toThrow();
  });

  it.each([
    [
      "a CloudFront graph read outside us-east-1",
      [
        "AWS/CloudFront",
        "Requests",
        "DistributionId",
        "${aws_cloudfront_distribution.site_storefront_distribution.id}",
        "Region",
        "Global",
      ],
      "eu-west-1",
      "published in us-east-1 only, but reads it in eu-west-1",
    ],
    [
      "a load balancer graph read in us-east-1",
      ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", "${aws_lb.web_alb.arn_suffix}"],
      "us-east-1",
      "published in the stack's region eu-west-1, but reads it in us-east-1",
    ],
    [
      "a metric of ours by a dimension no metric filter sets",
      ["webapp/Delivery", "PipelineExecutions", "Pipeline", "prod-webapp"],
      "eu-west-1",
      "webapp/Delivery PipelineExecutions by Pipeline, which no metric filter of this stack publishes",
    ],
    [
      "a metric AWS does not publish",
      ["AWS/ApplicationELB", "Latency", "LoadBalancer", "${aws_lb.web_alb.arn_suffix}"],
      "eu-west-1",
      "AWS/ApplicationELB Latency, which is not a metric AWS publishes",
    ],
    [
      "healthy hosts by load balancer alone",
      ["AWS/ApplicationELB", "HealthyHostCount", "LoadBalancer", "${aws_lb.web_alb.arn_suffix}"],
      "eu-west-1",
      "by LoadBalancer, where AWS publishes it by LoadBalancer, TargetGroup",
    ],
    [
      "a group of no fleet of the stack",
      ["AWS/EC2", "CPUUtilization", "AutoScalingGroupName", "${aws_autoscaling_group.other.name}"],
      "eu-west-1",
      "AutoScalingGroupName = ${aws_autoscaling_group.other.name}, which is not the name of a aws_autoscaling_group of this stack",
    ],
  ])("fails METRICS_MATCH_RESOURCES for a dashboard graph of %s", (_, line, region, problem) => {
    const prod = shippedStacks("app-prod")["app-prod"];
    const body = { widgets: [{ type: "metric", properties: { title: "weakened", region, metrics: [[...line, { stat: "Sum" }]] } }] };
    resourceOf(prod, "aws_cloudwatch_dashboard").addOverride("dashboard_body", JSON.stringify(body));
    expect(() => Testing.synth(prod)).toThrow(
      `[METRICS_MATCH_RESOURCES] app-prod/dashboard/dashboard (aws_cloudwatch_dashboard): the graph "weakened" names`,
    );
    expect(() => Testing.synth(prod)).toThrow(problem);
  });

  it("fails S3_TLS_ONLY when the TLS denial covers the objects only: bucket-level calls over HTTP stay allowed", () => {
    const stack = shippedStacks("build").build;
    const bucketPolicy = resourceOf(stack, "aws_s3_bucket_policy", "artifacts/policy");
    const arn = "${aws_s3_bucket.artifacts_bucket.arn}";
    bucketPolicy.addOverride(
      "policy",
      policy({
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: `${arn}/*`,
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      }),
    );
    expect(() => Testing.synth(stack)).toThrow(
      "[S3_TLS_ONLY] build/artifacts/bucket (aws_s3_bucket): the bucket policy does not deny insecure transport for every call on the bucket and its objects",
    );
  });

  it.each([
    ["RDP", { from_port: 3389, to_port: 3389, ip_protocol: "tcp" }, "port 3389 (SSH/RDP) is open to 0.0.0.0/0"],
    ["a range that contains SSH", { from_port: 0, to_port: 1024, ip_protocol: "tcp" }, "port 22 (SSH/RDP) is open to 0.0.0.0/0"],
    ["all ports", { from_port: undefined, to_port: undefined, ip_protocol: "-1" }, "all ports are open to 0.0.0.0/0"],
  ])("fails SG_NO_OPEN_ADMIN_PORTS for %s open to the internet", (_, ports, problem) => {
    const stack = shippedStacks("app-dev")["app-dev"];
    openIngress(resourceOf(stack, "aws_vpc_security_group_ingress_rule", "instances-from-alb"), { cidr_ipv4: "0.0.0.0/0" }, ports);
    expect(() => Testing.synth(stack)).toThrow(
      `[SG_NO_OPEN_ADMIN_PORTS] app-dev/web/instances-from-alb (aws_vpc_security_group_ingress_rule): ${problem}`,
    );
  });

  it("fails SSM_PARAMETER_NO_SECRET_VALUE for a secret's name whose value Terraform holds, not for one that only names a secret", () => {
    const stack = shippedStacks("app-dev")["app-dev"];
    const reference = resourceOf(stack, "aws_ssm_parameter", "runtime/secret-DATABASE_PASSWORD-reference");
    expect(() => Testing.synth(stack)).not.toThrow();
    reference.addOverride("value", "hunter2");
    expect(() => Testing.synth(stack)).toThrow(
      "[SSM_PARAMETER_NO_SECRET_VALUE] app-dev/runtime/secret-DATABASE_PASSWORD-reference (aws_ssm_parameter): DATABASE_PASSWORD looks like a secret's name, with its value in Terraform",
    );
  });

  it("rejects a secret version that names its secret by a literal name, not a reference (SECRETSMANAGER_VALUE_OUTSIDE_TERRAFORM)", () => {
    const stack = shippedStacks("app-dev")["app-dev"];
    new SecretsmanagerSecretVersion(stack, "by-name", { secretId: "webapp/dev/DATABASE_PASSWORD", secretString: "hunter2" });
    expect(() => Testing.synth(stack)).toThrow(
      /\[SECRETSMANAGER_VALUE_OUTSIDE_TERRAFORM\] app-dev\/by-name \(aws_secretsmanager_secret_version\): it sets the value of secret "webapp\/dev\/DATABASE_PASSWORD" in Terraform/,
    );
  });

  it("accepts credentials passed through Parameter Store (CODEBUILD_NO_PLAINTEXT_SECRETS compliant)", () => {
    const stack = shippedStacks().build;
    resourceOf(stack, "aws_codebuild_project", "build/build/project").addOverride("environment.environment_variable", [
      { name: "DB_PASSWORD", value: "/webapp/db-password", type: "PARAMETER_STORE" },
    ]);
    expect(() => Testing.synth(stack)).not.toThrow();
  });

  it("requires deletion protection from production environments only", () => {
    expect(() => synthApp("sandbox", { tier: "development", network: NETWORK, deletionProtection: false })).not.toThrow();
    expect(() => synthApp("live", { tier: "production", network: NETWORK, deletionProtection: false })).toThrow(
      /\[ALB_DELETION_PROTECTION_IN_PRODUCTION\] app-live\/web\/alb \(aws_lb\): deletion protection is off in production/,
    );
  });

  it("runs in the app command: a weakened module stops `cdktf synth`, naming rule and path", () => {
    const stacks = shippedStacks();
    resourceOf(stacks["app-qa"], "aws_launch_template").addOverride("metadata_options.http_tokens", "optional");
    expect(() => (stacks["app-qa"].node.scope as any).synth()).toThrow(/\[EC2_IMDSV2\] app-qa\/workload-api\/fleet\/template/);
  });
});

describe("suppressions", () => {
  const devJson = shippedStacks()["app-dev"].toTerraform();
  const view = new StackView("app-dev", devJson, { tier: "development", account: "123456789012" });

  it("are all listed in one place, and the shipped stacks (and a project with a container) use each of them", () => {
    const used = new Set<string>();
    const withContainer = stackList(createStacks(Testing.app(), makeConfig(CONTAINER_ENVIRONMENTS, CONTAINER_PROJECT)));
    for (const stack of [...Object.values(shippedStacks()), ...withContainer]) {
      for (const s of stack.evaluateRules().suppressed) {
        used.add(`${s.rule} ${s.path}`);
      }
    }
    expect([...used].sort()).toEqual(SUPPRESSIONS.map((s) => `${s.rule} ${s.path}`).sort());
  });

  it("the public ALB's port 80 ingress is the suppressed example: without its suppression it fails", () => {
    const result = evaluate(view, RULES, []);
    expect(result.violations.map((v) => `${v.rule.id} ${v.resource.path}`)).toEqual(["SG_NO_OPEN_HTTP web/ingress-80-0-0-0-0-0"]);
  });

  it("the access-log bucket is the other suppressed example: SSE-S3 and no logs of its own, and nothing else", () => {
    const build = new StackView("build", shippedStacks("build").build.toTerraform(), { account: "123456789012" });
    const result = evaluate(build, RULES, []);
    expect(result.violations.map((v) => `${v.rule.id} ${v.resource.path}`).sort()).toEqual([
      "S3_ACCESS_LOGGED access-logs/bucket",
      "S3_ENCRYPTED_WITH_CMK access-logs/bucket",
    ]);
  });

  it("of the access-log bucket do not reach the artifact bucket: without its logging it fails", () => {
    const stack = shippedStacks("build").build;
    resourceOf(stack, "aws_s3_bucket_logging").node.scope!.node.tryRemoveChild("access-logs");
    const result = stack.evaluateRules();
    expect(result.violations.map((v) => `${v.rule.id} ${v.resource.path} ${v.problem}`)).toEqual([
      "S3_ACCESS_LOGGED artifacts/bucket server access logging is not configured",
    ]);
  });

  it("cover a single resource: the same problem elsewhere still fails", () => {
    const stack = shippedStacks()["app-dev"];
    openIngress(
      resourceOf(stack, "aws_vpc_security_group_ingress_rule", "instances-from-alb"),
      { cidr_ipv4: "0.0.0.0/0" },
      { from_port: 80, to_port: 80 },
    );
    expect(() => Testing.synth(stack)).toThrow(/\[SG_NO_OPEN_HTTP\] app-dev\/web\/instances-from-alb/);
  });

  it("rejects a suppression without a reason, or for an unknown rule", () => {
    const bad: Suppression[] = [
      { rule: "SG_NO_OPEN_HTTP", path: "web/ingress-80-0-0-0-0-0", reason: "  " },
      { rule: "NO_SUCH_RULE", path: "web/alb", reason: "because" },
    ];
    const result = evaluate(view, RULES, bad);
    expect(result.suppressionErrors).toEqual([
      "the suppression of SG_NO_OPEN_HTTP on web/ingress-80-0-0-0-0-0 has no reason: say why the rule does not apply there",
      "the suppression on web/alb names an unknown rule NO_SUCH_RULE",
    ]);
    // A suppression without a reason suppresses nothing.
    expect(result.violations.map((v) => v.rule.id)).toEqual(["SG_NO_OPEN_HTTP"]);
  });

  it("applies to environments on restricted CIDRs alike (no 0.0.0.0/0, nothing to suppress)", () => {
    const restricted = makeConfig({ corp: { tier: "preproduction", network: NETWORK, allowedIngressCidrs: ["10.0.0.0/8"] } });
    expect(restricted.environments[0].allowedIngressCidrs).toEqual(["10.0.0.0/8"]);
    expect(() => synthApp("corp", { tier: "preproduction", network: NETWORK, allowedIngressCidrs: ["10.0.0.0/8"] })).not.toThrow();
  });
});
