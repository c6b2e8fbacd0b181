import * as fs from "fs";
import * as path from "path";
import { runSimulation, type Simulation } from "@cloud-copilot/iam-simulate";
import { BUILD_OUTPUTS, type BuildOutputKey } from "../../modules/stacks/contract";
import {
  artifactPrefix,
  environmentPrefix,
  liveSlotParameter,
  parameterPath,
  pipelineName,
  secretName,
  settingParameterName,
  siteBucketName,
  sitePipelineName,
  sitePrefix,
} from "../../modules/config";
import { makeConfig, NETWORK, onlyResource, PROJECT, resourcesOf, ROOT, shippedConfig, synthAll, type Json } from "../support/helpers";
import { accessLogPrefix } from "../../modules/config";
import { ELB_LOG_DELIVERY, ELB_LOG_DELIVERY_SERVICE, type Region } from "../../modules/config/regions";
import { S3_LOG_DELIVERY_SERVICE } from "../../modules/constructs/access-log-bucket";
import { promoterPolicy } from "../../scripts/promote";

// Least privilege, proven with an IAM policy evaluator (@cloud-copilot/iam-simulate) over the
// inline policies of every role as synthesized, together with the artifact key's and bucket's
// resource policies, each Terraform reference replaced by the ARN it resolves to.
const config = shippedConfig();
const { accountId: ACCOUNT, region: REGION, appName } = config.project;
const stacks = synthAll(config);

const BUCKET = `${appName}-artifacts-${ACCOUNT}-${REGION}`;
const LOG_BUCKET = `${appName}-access-logs-${ACCOUNT}-${REGION}`;
const BUILD_PROJECT = `${appName}-build`;
const ARTIFACT_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/aaaaaaaa-0000-4000-8000-000000000001`;
const CONNECTION = `arn:aws:codestar-connections:${REGION}:${ACCOUNT}:connection/aaaaaaaa-0000-4000-8000-000000000002`;
const BUILD_OUTPUT_VALUES: Record<BuildOutputKey, string> = {
  artifactBucketName: BUCKET,
  artifactBucketArn: `arn:aws:s3:::${BUCKET}`,
  artifactKeyArn: ARTIFACT_KEY,
  buildProjectName: BUILD_PROJECT,
  buildProjectArn: `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/${BUILD_PROJECT}`,
  connectionArn: CONNECTION,
  accessLogBucketName: LOG_BUCKET,
  accessLogBucketArn: `arn:aws:s3:::${LOG_BUCKET}`,
  deliveryEventsLogPrefix: "/aws/events/webapp/",
};
const OUTPUT_BY_NAME = Object.fromEntries(
  (Object.keys(BUILD_OUTPUTS) as BuildOutputKey[]).map((k) => [BUILD_OUTPUTS[k].name, BUILD_OUTPUT_VALUES[k]]),
);

function stackNameOf(stack: Json): string {
  const found = Object.entries(stacks).find(([, s]) => s === stack);
  if (!found) throw new Error("not a synthesized stack of the shipped configuration");
  return found[0];
}

/** A distribution's ARN as the simulation resolves it: a fake id per stack and construct. */
function distributionArn(stackName: string, id: string): string {
  return `arn:aws:cloudfront::${ACCOUNT}:distribution/E${`${stackName}${id}`.toUpperCase().replace(/[^A-Z0-9]/g, "")}`;
}

/** A stack's listener ARN as the simulation resolves it: under the stack's load balancer. */
function listenerArn(stackName: string): string {
  return `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener/app/${appName}-${stackName.replace(/^app-/, "")}/50dc6c495c0c9188/f2f7dc8efc522ab2`;
}

/** What `${type.id.attribute}` resolves to, from the referenced resource's configuration. */
function resolveReference(stack: Json, type: string, id: string, attribute: string): string {
  const r: Json = stack.resource?.[type]?.[id];
  if (!r) throw new Error(`unknown reference ${type}.${id}`);
  const arns: Record<string, () => string> = {
    aws_s3_bucket: () => `arn:aws:s3:::${r.bucket}`,
    // Each environment's key gets its own ARN, so that one environment's is not another's.
    aws_kms_key: () =>
      stack === stacks.build
        ? ARTIFACT_KEY
        : `arn:aws:kms:${REGION}:${ACCOUNT}:key/bbbbbbbb-0000-4000-8000-${Object.keys(stacks).indexOf(stackNameOf(stack)).toString().padStart(12, "0")}`,
    aws_cloudwatch_log_group: () => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${r.name}`,
    aws_sns_topic: () => `arn:aws:sns:${REGION}:${ACCOUNT}:${r.name}`,
    aws_codebuild_project: () => `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/${r.name}`,
    // Each stack's distribution gets its own id, so that one environment's is not another's.
    aws_cloudfront_distribution: () => distributionArn(stackNameOf(stack), id),
  };
  if (attribute === "arn" && arns[type]) return arns[type]();
  // A blue/green environment's listener, named after its load balancer (one per stack).
  if (type === "aws_lb_listener" && attribute === "arn") return listenerArn(stackNameOf(stack));
  // Names set in the configuration (groups, alarms, deployment groups, the CodeDeploy application).
  if (
    ["name", "alarm_name", "deployment_group_name"].includes(attribute) &&
    typeof r[attribute] === "string" &&
    !r[attribute].includes("${")
  ) {
    return r[attribute];
  }
  if (type === "aws_s3_bucket" && (attribute === "bucket" || attribute === "id")) return r.bucket;
  throw new Error(`no resolution for ${type}.${id}.${attribute}`);
}

/**
 * The policy text with every Terraform reference replaced by the value it resolves to. Fails on a
 * reference it cannot resolve, and on a Resource that is then neither an ARN nor "*": the
 * simulator treats any other string as matching every resource, so a must-allow case would pass
 * while proving nothing.
 */
function resolve(stack: Json, text: string): string {
  const resolved = text
    .replace(/\$\{data\.terraform_remote_state\.build\.outputs\.([a-z_]+)\}/g, (_, name: string) => {
      if (!(name in OUTPUT_BY_NAME)) throw new Error(`unresolved reference to build's output ${name}`);
      return OUTPUT_BY_NAME[name];
    })
    .replace(/\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}/g, (_, type, id, attr) => resolveReference(stack, type, id, attr));
  if (resolved.includes("${")) throw new Error(`unresolved reference in ${resolved.match(/\$\{[^}]*\}/)?.[0]}`);
  for (const statement of [JSON.parse(resolved).Statement].flat()) {
    for (const r of [statement.Resource ?? []].flat() as string[]) {
      if (r !== "*" && !/^arn:aws:[a-z0-9-]+:/.test(r)) throw new Error(`policy Resource ${JSON.stringify(r)} is not an ARN`);
    }
  }
  return resolved;
}

/** The role's inline policy, references resolved. */
function policyOfRole(stackName: string, roleName: string): Json {
  const stack = stacks[stackName];
  const p = resourcesOf(stack, "aws_iam_role_policy").find((r) => r.name === `${roleName}-policy`);
  if (!p) throw new Error(`no inline policy for ${roleName} in ${stackName}`);
  return JSON.parse(resolve(stack, p.policy));
}

/** The policy of the bucket `resource` is in (or is), among `stack`'s buckets, references resolved. */
function bucketPolicyOf(stack: Json, resource: string): Json | undefined {
  const policy = resourcesOf(stack, "aws_s3_bucket_policy").find((p) => {
    const name = resolveBucketName(stack, p.bucket);
    return resource === `arn:aws:s3:::${name}` || resource.startsWith(`arn:aws:s3:::${name}/`);
  });
  return policy ? JSON.parse(resolve(stack, policy.policy)) : undefined;
}

/** The bucket name a `${aws_s3_bucket.<id>.id}` reference resolves to. */
function resolveBucketName(stack: Json, ref: string): string {
  const m = /^\$\{aws_s3_bucket\.([A-Za-z0-9_-]+)\.id\}$/.exec(ref);
  if (!m) throw new Error(`not a bucket reference: ${ref}`);
  return resolveReference(stack, "aws_s3_bucket", m[1], "id");
}

/** The resource policy AWS evaluates with the request: the artifact key's, or the bucket's. */
function resourcePolicyFor(action: string, resource: string): Json | undefined {
  if (action.startsWith("kms:") && resource === ARTIFACT_KEY) {
    return JSON.parse(resolve(stacks.build, onlyResource(stacks.build, "aws_kms_key").policy));
  }
  // An environment's key: its own, or another environment's.
  const owner = Object.entries(stacks).find(
    ([name, stack]) => name !== "build" && action.startsWith("kms:") && resource === resolveReference(stack, "aws_kms_key", "key", "arn"),
  );
  if (owner) return JSON.parse(resolve(owner[1], onlyResource(owner[1], "aws_kms_key").policy));
  if (action.startsWith("s3:")) return bucketPolicyOf(stacks.build, resource);
  return undefined;
}

async function decide(stackName: string, roleName: string, action: string, resource: string, context: Record<string, string> = {}) {
  const simulation: Simulation = {
    identityPolicies: [{ name: `${roleName}-policy`, policy: policyOfRole(stackName, roleName) }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: resourcePolicyFor(action, resource),
    request: {
      action,
      principal: `arn:aws:iam::${ACCOUNT}:role/${roleName}`,
      resource: { accountId: ACCOUNT, resource },
      contextVariables: { "aws:SecureTransport": "true", ...context },
    },
  };
  const response = await runSimulation(simulation, {});
  if (response.resultType === "error") throw new Error(`simulation error for ${action} on ${resource}: ${JSON.stringify(response.errors)}`);
  return response.overallResult;
}

const object = (prefix: string) => `arn:aws:s3:::${BUCKET}/${prefix}/Build/abc123.zip`;
const group = (env: string) => `arn:aws:codedeploy:${REGION}:${ACCOUNT}:deploymentgroup:${appName}-${env}/${appName}-${env}`;
const VIA_S3 = { "kms:ViaService": `s3.${REGION}.amazonaws.com` };

type Case = [stack: string, role: string, action: string, resource: string, context?: Record<string, string>];

const environments = config.environments.map((e) => e.name);
/** Another environment than `env`: the one whose resources `env`'s roles must not reach. */
const otherThan = (env: string) => environments[(environments.indexOf(env) + 1) % environments.length];

const blueGreen = (env: string) => config.environments.find((e) => e.name === env)?.deployment.style === "blue-green";
const BLUE_GREEN = environments.filter(blueGreen);
const asg = (env: string, suffix = "") =>
  `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:6d3fd1a3-8a4b-4a7f-9b1e-0123456789ab:autoScalingGroupName/${appName}-${env}${suffix}`;
const alarm = (name: string) => `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`;
const groupOf = (env: string, name: string) => `arn:aws:codedeploy:${REGION}:${ACCOUNT}:deploymentgroup:${appName}-${env}/${name}`;

/** The traffic switch of a blue/green environment: its own listener, fleets, record, alarms and deployments, nothing more. */
function trafficAllows(env: string): Case[] {
  const stack = `app-${env}`;
  const role = `${environmentPrefix(appName, env)}-traffic`;
  const prefix = artifactPrefix(pipelineName(appName, env));
  const record = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${liveSlotParameter(appName, env)}`;
  return [
    [stack, role, "elasticloadbalancing:ModifyListener", listenerArn(stack)],
    [stack, role, "elasticloadbalancing:DescribeTargetHealth", "*"],
    [stack, role, "autoscaling:UpdateAutoScalingGroup", asg(env)],
    [stack, role, "autoscaling:UpdateAutoScalingGroup", asg(env, "-green")],
    [stack, role, "ssm:GetParameter", record],
    [stack, role, "ssm:PutParameter", record],
    [stack, role, "cloudwatch:DescribeAlarms", alarm(`${appName}-${env}-green-http-5xx`)],
    [stack, role, "cloudwatch:DescribeAlarms", alarm(`${appName}-${env}-unhealthy-hosts`)],
    [stack, role, "codedeploy:CreateDeployment", groupOf(env, `${appName}-${env}-green`)],
    [stack, role, "codedeploy:GetDeployment", groupOf(env, `${appName}-${env}`)],
    [stack, role, "codedeploy:ListDeployments", groupOf(env, `${appName}-${env}-green`)],
    [stack, role, "s3:GetObject", object(prefix)],
    [stack, role, "kms:Decrypt", ARTIFACT_KEY],
  ];
}

function trafficDenials(env: string): Case[] {
  const stack = `app-${env}`;
  const role = `${environmentPrefix(appName, env)}-traffic`;
  const pipeline = `${pipelineName(appName, env)}-pipeline`;
  const other = otherThan(env);
  const prefix = artifactPrefix(pipelineName(appName, env));
  return [
    [stack, role, "elasticloadbalancing:ModifyListener", listenerArn(`app-${other}`)],
    [stack, role, "elasticloadbalancing:DeleteListener", listenerArn(stack)],
    [stack, role, "autoscaling:UpdateAutoScalingGroup", asg(other)],
    [stack, role, "autoscaling:DeleteAutoScalingGroup", asg(env)],
    [stack, role, "ssm:PutParameter", `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${settingParameterName(appName, env, "GREETING")}`],
    [stack, role, "ssm:PutParameter", `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${liveSlotParameter(appName, other)}`],
    [stack, role, "cloudwatch:DescribeAlarms", alarm(`${appName}-${other}-http-5xx`)],
    [stack, role, "codedeploy:CreateDeployment", group(other)],
    [stack, role, "s3:PutObject", object(prefix)],
    [stack, role, "ec2:TerminateInstances", `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0123456789abcdef0`],
    [stack, role, "iam:PassRole", `arn:aws:iam::${ACCOUNT}:role/${environmentPrefix(appName, env)}-instance`],
    // Only the switch moves traffic or deploys: not the pipeline, not the instances.
    [stack, pipeline, "elasticloadbalancing:ModifyListener", listenerArn(stack)],
    [stack, pipeline, "codedeploy:CreateDeployment", groupOf(env, `${appName}-${env}-green`)],
    [stack, `${environmentPrefix(appName, env)}-instance`, "elasticloadbalancing:ModifyListener", listenerArn(stack)],
  ];
}

/** What each environment's roles must be able to do, on their own environment's resources. */
function environmentAllows(env: string): Case[] {
  const stack = `app-${env}`;
  const pipeline = `${pipelineName(appName, env)}-pipeline`;
  const instance = `${environmentPrefix(appName, env)}-instance`;
  const deployer = `${environmentPrefix(appName, env)}-codedeploy`;
  const prefix = artifactPrefix(pipelineName(appName, env));
  return [
    // Pipelines: start and read builds on the shared project, use the connection, their own artifacts and deployments.
    [stack, pipeline, "codebuild:StartBuild", BUILD_OUTPUT_VALUES.buildProjectArn],
    [stack, pipeline, "codebuild:BatchGetBuilds", BUILD_OUTPUT_VALUES.buildProjectArn],
    [stack, pipeline, "codestar-connections:UseConnection", CONNECTION],
    [stack, pipeline, "s3:PutObject", object(prefix)],
    [stack, pipeline, "s3:GetObject", object(prefix)],
    [stack, pipeline, "kms:GenerateDataKey", ARTIFACT_KEY],
    [stack, pipeline, "kms:Decrypt", ARTIFACT_KEY],
    ...(blueGreen(env)
      ? // Blue/green: the pipeline only runs the traffic switch, which deploys.
        ([
          [
            stack,
            pipeline,
            "codebuild:StartBuild",
            `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/${environmentPrefix(appName, env)}-traffic`,
          ],
        ] as Case[])
      : ([[stack, pipeline, "codedeploy:CreateDeployment", group(env)]] as Case[])),
    // Instances: their own environment's revisions (decrypted through S3) and their log group.
    [stack, instance, "s3:GetObject", object(prefix)],
    [stack, instance, "kms:Decrypt", ARTIFACT_KEY, VIA_S3],
    [stack, instance, "logs:PutLogEvents", `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/${appName}/${env}/application:log-stream:i-1/app`],
    [stack, instance, "codedeploy-commands-secure:PollHostCommand", "*"],
    // CodeDeploy, for an Auto Scaling group with a launch template: launch and tag instances, pass the instance role to EC2.
    [stack, deployer, "ec2:RunInstances", `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/*`],
    [stack, deployer, "ec2:RunInstances", `arn:aws:ec2:${REGION}::image/ami-0123456789abcdef0`],
    [
      stack,
      deployer,
      "ec2:CreateTags",
      `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0123456789abcdef0`,
      { "ec2:CreateAction": "RunInstances" },
    ],
    [stack, deployer, "iam:PassRole", `arn:aws:iam::${ACCOUNT}:role/${instance}`, { "iam:PassedToService": "ec2.amazonaws.com" }],
  ];
}

/** An environment's settings and secrets as the simulation names them (modules/constructs/runtime-config.ts). */
function runtimeNames(env: string) {
  const path = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${parameterPath(appName, env)}`;
  const setting = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${settingParameterName(appName, env, "GREETING")}`;
  // Secrets Manager appends a hyphen and six random characters to a secret's ARN.
  const secret = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${secretName(appName, env, "DATABASE_PASSWORD")}-AbC123`;
  return {
    path,
    setting,
    secret,
    key: ENV_KEY(`app-${env}`),
    viaSsm: { "kms:ViaService": `ssm.${REGION}.amazonaws.com` },
    viaSecrets: { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` },
  };
}

/** The instances read their own environment's settings and secrets, decrypting them through the two services. */
function runtimeAllows(env: string): Case[] {
  const stack = `app-${env}`;
  const instance = `${environmentPrefix(appName, env)}-instance`;
  const own = runtimeNames(env);
  return [
    [stack, instance, "ssm:GetParametersByPath", own.path],
    [stack, instance, "ssm:GetParametersByPath", `${own.path}/settings`],
    [stack, instance, "secretsmanager:GetSecretValue", own.secret],
    [stack, instance, "kms:Decrypt", own.key, own.viaSsm],
    [stack, instance, "kms:Decrypt", own.key, own.viaSecrets],
  ];
}

/**
 * Nobody reads another environment's settings or secrets, nor decrypts with its key: not the
 * instances, not the pipelines, and not the build project that every environment's build shares.
 */
function runtimeDenials(env: string): Case[] {
  const stack = `app-${env}`;
  const instance = `${environmentPrefix(appName, env)}-instance`;
  const pipeline = `${pipelineName(appName, env)}-pipeline`;
  const own = runtimeNames(env);
  const other = runtimeNames(otherThan(env));
  return [
    [stack, instance, "ssm:GetParametersByPath", other.path],
    [stack, instance, "ssm:GetParameter", other.setting],
    [stack, instance, "secretsmanager:GetSecretValue", other.secret],
    [stack, instance, "kms:Decrypt", other.key, other.viaSsm],
    [stack, instance, "kms:Decrypt", other.key, other.viaSecrets],
    // Not every environment's at once (the path above them all), nor an environment whose name starts like this one's.
    [stack, instance, "ssm:GetParametersByPath", `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/${appName}`],
    [stack, instance, "ssm:GetParametersByPath", `${own.path}-2`],
    [stack, instance, "secretsmanager:GetSecretValue", own.secret.replace(`/${env}/`, `/${env}-2/`)],
    // Its own key only through the two services.
    [stack, instance, "kms:Decrypt", own.key],
    [stack, instance, "kms:Decrypt", own.key, { "kms:ViaService": `sns.${REGION}.amazonaws.com` }],
    [stack, instance, "secretsmanager:PutSecretValue", own.secret],
    [stack, instance, "ssm:PutParameter", own.setting],
    [stack, pipeline, "ssm:GetParametersByPath", own.path],
    [stack, pipeline, "ssm:GetParameter", own.setting],
    [stack, pipeline, "secretsmanager:GetSecretValue", own.secret],
    ["build", BUILD_ROLE, "ssm:GetParametersByPath", own.path],
    ["build", BUILD_ROLE, "ssm:GetParameters", own.setting],
    ["build", BUILD_ROLE, "secretsmanager:GetSecretValue", own.secret],
    ["build", BUILD_ROLE, "kms:Decrypt", own.key, own.viaSsm],
    ["build", BUILD_ROLE, "kms:Decrypt", own.key, own.viaSecrets],
  ];
}

/** What each environment's roles must not do: another environment's resources, or beyond their job. */
function environmentDenials(env: string): Case[] {
  const stack = `app-${env}`;
  const other = otherThan(env);
  const pipeline = `${pipelineName(appName, env)}-pipeline`;
  const instance = `${environmentPrefix(appName, env)}-instance`;
  const deployer = `${environmentPrefix(appName, env)}-codedeploy`;
  const prefix = artifactPrefix(pipelineName(appName, env));
  const otherPrefix = artifactPrefix(pipelineName(appName, other));
  return [
    [stack, pipeline, "s3:GetObject", object(otherPrefix)],
    [stack, pipeline, "s3:PutObject", object(otherPrefix)],
    [stack, pipeline, "s3:PutObject", `arn:aws:s3:::${BUCKET}/build-cache/x`],
    [stack, pipeline, "codedeploy:CreateDeployment", group(other)],
    [stack, pipeline, "codebuild:StartBuild", `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/other-project`],
    [stack, instance, "s3:GetObject", object(otherPrefix)],
    [stack, instance, "s3:PutObject", object(prefix)],
    [stack, instance, "kms:Decrypt", ARTIFACT_KEY, { "kms:ViaService": `sns.${REGION}.amazonaws.com` }],
    [stack, instance, "codedeploy:CreateDeployment", group(env)],
    // The deploy role passes only its own environment's instance role, and only to EC2.
    [
      stack,
      deployer,
      "iam:PassRole",
      `arn:aws:iam::${ACCOUNT}:role/${environmentPrefix(appName, other)}-instance`,
      { "iam:PassedToService": "ec2.amazonaws.com" },
    ],
    [stack, deployer, "iam:PassRole", `arn:aws:iam::${ACCOUNT}:role/${pipeline}`, { "iam:PassedToService": "ec2.amazonaws.com" }],
    [stack, deployer, "iam:PassRole", `arn:aws:iam::${ACCOUNT}:role/${instance}`, { "iam:PassedToService": "lambda.amazonaws.com" }],
    [
      stack,
      deployer,
      "ec2:CreateTags",
      `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0123456789abcdef0`,
      { "ec2:CreateAction": "CreateTags" },
    ],
    [stack, deployer, "ec2:RunInstances", `arn:aws:ec2:${REGION === "us-east-1" ? "us-west-2" : "us-east-1"}:${ACCOUNT}:instance/*`],
  ];
}

/** The shipped configuration's static sites, in every environment. */
const SITES = Object.keys(config.project.staticSites);

/** A site's pipeline, invalidation project and bucket in an environment, as the simulation names them. */
function siteNames(env: string, site: string) {
  const pipeline = sitePipelineName(appName, env, site);
  return {
    stack: `app-${env}`,
    pipelineRole: `${pipeline}-pipeline`,
    invalidation: `${sitePrefix(appName, env, site)}-invalidate`,
    bucketArn: `arn:aws:s3:::${siteBucketName(appName, env, site, ACCOUNT)}`,
    distribution: distributionArn(`app-${env}`, `site_${site}_distribution`),
    prefix: artifactPrefix(pipeline),
  };
}
const ENV_KEY = (stack: string) =>
  resolve(stacks[stack], '{"Statement":[{"Resource":"${aws_kms_key.key.arn}"}]}').match(/arn:aws:kms:[^"]+/)![0];

/** A site's roles: the pipeline writes its bucket and runs its invalidation; that project invalidates its distribution. */
function siteAllows(env: string, site: string): Case[] {
  const n = siteNames(env, site);
  const s3Context = { "kms:ViaService": `s3.${REGION}.amazonaws.com` };
  return [
    [n.stack, n.pipelineRole, "s3:PutObject", `${n.bucketArn}/index.html`],
    [n.stack, n.pipelineRole, "kms:GenerateDataKey", ENV_KEY(n.stack), s3Context],
    [n.stack, n.pipelineRole, "codebuild:StartBuild", `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/${n.invalidation}`],
    [n.stack, n.pipelineRole, "codebuild:StartBuild", BUILD_OUTPUT_VALUES.buildProjectArn],
    [n.stack, n.pipelineRole, "s3:GetObject", object(n.prefix)],
    [n.stack, n.invalidation, "cloudfront:CreateInvalidation", n.distribution],
    [n.stack, n.invalidation, "s3:GetObject", `arn:aws:s3:::${BUCKET}/${n.prefix}/Pages/abc.zip`],
    [
      n.stack,
      n.invalidation,
      "logs:PutLogEvents",
      `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/codebuild/${n.invalidation}:log-stream:x`,
    ],
  ];
}

function siteDenials(env: string, site: string): Case[] {
  const n = siteNames(env, site);
  const other = siteNames(otherThan(env), site);
  return [
    [n.stack, n.pipelineRole, "s3:PutObject", `${other.bucketArn}/index.html`],
    [n.stack, n.pipelineRole, "kms:GenerateDataKey", ENV_KEY(n.stack), { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` }],
    [n.stack, n.pipelineRole, "cloudfront:CreateInvalidation", n.distribution],
    [n.stack, n.pipelineRole, "codebuild:StartBuild", `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/${other.invalidation}`],
    [n.stack, n.pipelineRole, "codedeploy:CreateDeployment", group(env)],
    [n.stack, n.invalidation, "cloudfront:CreateInvalidation", other.distribution],
    [n.stack, n.invalidation, "s3:GetObject", object(artifactPrefix(pipelineName(appName, env)))],
    [n.stack, n.invalidation, "s3:PutObject", `${n.bucketArn}/index.html`],
  ];
}

/** The role that forwards the sites' alarm events from us-east-1 may put events on its environment's bus only. */
const forwardRole = (env: string) => `${environmentPrefix(appName, env)}-site-alarms-forward`;
const bus = (region: string) => `arn:aws:events:${region}:${ACCOUNT}:event-bus/default`;

const BUILD_ROLE = `${appName}-build-codebuild`;
const MUST_ALLOW: Case[] = [
  // The shared build: logs, reports, every pipeline's artifacts with the key.
  ["build", BUILD_ROLE, "logs:PutLogEvents", `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/codebuild/${BUILD_PROJECT}:log-stream:abc`],
  ["build", BUILD_ROLE, "codebuild:CreateReport", `arn:aws:codebuild:${REGION}:${ACCOUNT}:report-group/${BUILD_PROJECT}-unit-tests`],
  ["build", BUILD_ROLE, "codebuild:BatchPutCodeCoverages", `arn:aws:codebuild:${REGION}:${ACCOUNT}:report-group/${BUILD_PROJECT}-coverage`],
  ...environments.flatMap((env) => [
    ["build", BUILD_ROLE, "s3:GetObject", object(artifactPrefix(pipelineName(appName, env)))] as Case,
    ["build", BUILD_ROLE, "s3:PutObject", object(artifactPrefix(pipelineName(appName, env)))] as Case,
  ]),
  ["build", BUILD_ROLE, "kms:GenerateDataKey", ARTIFACT_KEY],
  ...environments.flatMap(environmentAllows),
  ...environments.flatMap(runtimeAllows),
  ...BLUE_GREEN.flatMap(trafficAllows),
];

MUST_ALLOW.push(
  ...environments.flatMap((env) => SITES.flatMap((site) => siteAllows(env, site))),
  ...environments.map((env): Case => [`app-${env}`, forwardRole(env), "events:PutEvents", bus(REGION)]),
);

const MUST_DENY: Case[] = [
  ["build", BUILD_ROLE, "iam:CreateRole", `arn:aws:iam::${ACCOUNT}:role/anything`],
  ["build", BUILD_ROLE, "iam:PassRole", `arn:aws:iam::${ACCOUNT}:role/${environmentPrefix(appName, "prod")}-instance`],
  ["build", BUILD_ROLE, "iam:PutRolePolicy", `arn:aws:iam::${ACCOUNT}:role/${BUILD_ROLE}`],
  ["build", BUILD_ROLE, "codebuild:CreateReport", `arn:aws:codebuild:${REGION}:${ACCOUNT}:report-group/other-project-tests`],
  ["build", BUILD_ROLE, "codedeploy:CreateDeployment", group("prod")],
  ...environments.flatMap(environmentDenials),
  ...environments.flatMap(runtimeDenials),
  ...BLUE_GREEN.flatMap(trafficDenials),
  ...environments.flatMap((env) => SITES.flatMap((site) => siteDenials(env, site))),
  ...environments.map((env): Case => [`app-${env}`, forwardRole(env), "events:PutEvents", bus("us-west-2")]),
  ...environments.map((env): Case => [`app-${env}`, forwardRole(env), "sns:Publish", `arn:aws:sns:${REGION}:${ACCOUNT}:x`]),
];

describe("the artifact bucket's own policy", () => {
  it("denies a request without TLS even to a role allowed to read", async () => {
    expect(await decide("app-dev", "webapp-dev-instance", "s3:GetObject", object("dev-webapp"), { "aws:SecureTransport": "false" })).toBe(
      "ExplicitlyDenied",
    );
  });

  it("denies bucket-level calls without TLS too, not only object calls", async () => {
    expect(await decide("build", BUILD_ROLE, "s3:GetBucketLocation", `arn:aws:s3:::${BUCKET}`, { "aws:SecureTransport": "false" })).toBe(
      "ExplicitlyDenied",
    );
  });

  it("denies an upload asking for SSE-S3 instead of SSE-KMS", async () => {
    expect(
      await decide("app-dev", "dev-webapp-pipeline", "s3:PutObject", object("dev-webapp"), { "s3:x-amz-server-side-encryption": "AES256" }),
    ).toBe("ExplicitlyDenied");
    expect(
      await decide("app-dev", "dev-webapp-pipeline", "s3:PutObject", object("dev-webapp"), {
        "s3:x-amz-server-side-encryption": "aws:kms",
      }),
    ).toBe("Allowed");
  });
});

describe("least privilege, simulated", () => {
  // A rest parameter: jest would take a fifth declared parameter for a `done` callback.
  it.each(MUST_ALLOW)("%s: %s may %s on %s", async (...[stack, role, action, resource, context]: Case) => {
    expect(await decide(stack, role, action, resource, context)).toBe("Allowed");
  });

  it.each(MUST_DENY)("%s: %s may not %s on %s", async (...[stack, role, action, resource, context]: Case) => {
    expect(await decide(stack, role, action, resource, context)).toBe("ImplicitlyDenied");
  });

  it("simulates every role with an inline policy, with something it must do and something it must not", () => {
    const roles = Object.entries(stacks).flatMap(([name, stack]) =>
      resourcesOf(stack, "aws_iam_role_policy").map((p) => `${name} ${String(p.name).replace(/-policy$/, "")}`),
    );
    const withCase = (cases: Case[]) => new Set(cases.map(([stack, role]) => `${stack} ${role}`));
    const allowed = withCase(MUST_ALLOW);
    const denied = withCase(MUST_DENY);
    // build's role; per environment the service's three, each site's two and the alarm forwarder;
    // the traffic switch of each blue/green environment.
    expect(SITES.length).toBeGreaterThan(0);
    expect(BLUE_GREEN).toEqual(["prod"]);
    expect(roles.length).toBe(1 + environments.length * (3 + 2 * SITES.length + 1) + BLUE_GREEN.length);
    expect(roles.filter((r) => !allowed.has(r) || !denied.has(r))).toEqual([]);
  });

  it('fails loudly on a reference it cannot resolve, instead of simulating the text "undefined"', () => {
    const policyWith = (resource: string) =>
      JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: resource }] });
    expect(() => resolve(stacks.build, policyWith("${data.terraform_remote_state.build.outputs.no_such_output}"))).toThrow(
      "unresolved reference to build's output no_such_output",
    );
    expect(() => resolve(stacks.build, policyWith("${aws_s3_bucket.no_such_bucket.arn}"))).toThrow(
      "unknown reference aws_s3_bucket.no_such_bucket",
    );
    expect(() => resolve(stacks.build, policyWith("undefined/*"))).toThrow('policy Resource "undefined/*" is not an ARN');
    expect(resolve(stacks.build, policyWith("${aws_s3_bucket.artifacts_bucket.arn}/*"))).toContain(`arn:aws:s3:::${BUCKET}/*`);
  });
});

/**
 * The access-log bucket's policy, simulated for the writers AWS uses: a regional Elastic Load
 * Balancing account (regions before August 2022; the shipped region) or the ELB log delivery
 * service principal (regions since), and S3's log delivery service.
 */
describe("the access-log bucket's policy", () => {
  /** A request by `principal` under the log bucket of `stack`; `identity` is the principal's own IAM policy. */
  async function logBucketDecision(
    stack: Json,
    principal: string,
    action: string,
    resource: string,
    { identity, context = {} }: { identity?: Json; context?: Record<string, string> } = {},
  ) {
    const resourcePolicy = bucketPolicyOf(stack, resource);
    if (!resourcePolicy) throw new Error(`no bucket policy covers ${resource}`);
    const response = await runSimulation(
      {
        identityPolicies: identity ? [{ name: "own", policy: identity }] : [],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy,
        request: {
          action,
          principal,
          resource: { accountId: ACCOUNT, resource },
          contextVariables: { "aws:SecureTransport": "true", ...context },
        },
      },
      {},
    );
    if (response.resultType === "error") throw new Error(`simulation error: ${JSON.stringify(response.errors)}`);
    return response.overallResult;
  }

  /** What another account's principal may do by its own IAM: everything. Only the bucket policy can stop it. */
  const EVERYTHING = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };
  const logObject = (bucket: string, prefix: string, account = ACCOUNT, region = REGION) =>
    `arn:aws:s3:::${bucket}/${prefix}/AWSLogs/${account}/elasticloadbalancing/${region}/2026/11/23/file.log.gz`;
  const OTHER_ACCOUNT = "444455556666";

  describe(`in ${REGION}, a region with an Elastic Load Balancing account`, () => {
    const delivery = ELB_LOG_DELIVERY[REGION as Region];
    if (delivery === "service-principal") throw new Error(`the shipped region ${REGION} was expected to have an ELB account`);
    const ELB = `arn:aws:iam::${delivery.account}:root`;
    const elb = (action: string, resource: string, context?: Record<string, string>) =>
      logBucketDecision(stacks.build, ELB, action, resource, { identity: EVERYTHING, context });

    it.each(environments)("lets the ELB account write %s's access and connection logs under its prefixes", async (env) => {
      expect(await elb("s3:PutObject", logObject(LOG_BUCKET, accessLogPrefix("albAccess", env)))).toBe("Allowed");
      expect(await elb("s3:PutObject", logObject(LOG_BUCKET, accessLogPrefix("albConnection", env)))).toBe("Allowed");
    });

    it("denies it any other prefix, another account's path, reads, and anything without TLS", async () => {
      expect(await elb("s3:PutObject", `arn:aws:s3:::${LOG_BUCKET}/${accessLogPrefix("s3Access", BUCKET)}/x.log`)).toBe("ImplicitlyDenied");
      expect(await elb("s3:PutObject", `arn:aws:s3:::${LOG_BUCKET}/AWSLogs/${ACCOUNT}/x.log`)).toBe("ImplicitlyDenied");
      expect(await elb("s3:PutObject", logObject(LOG_BUCKET, accessLogPrefix("albAccess", "dev"), OTHER_ACCOUNT))).toBe("ImplicitlyDenied");
      expect(await elb("s3:GetObject", logObject(LOG_BUCKET, accessLogPrefix("albAccess", "dev")))).toBe("ImplicitlyDenied");
      expect(await elb("s3:DeleteObject", logObject(LOG_BUCKET, accessLogPrefix("albAccess", "dev")))).toBe("ImplicitlyDenied");
      expect(
        await elb("s3:PutObject", logObject(LOG_BUCKET, accessLogPrefix("albAccess", "dev")), { "aws:SecureTransport": "false" }),
      ).toBe("ExplicitlyDenied");
    });

    it("lets the ELB log delivery service principal write the same prefixes (the form the ELB guides now recommend)", async () => {
      const object = logObject(LOG_BUCKET, accessLogPrefix("albAccess", "dev"));
      expect(await logBucketDecision(stacks.build, ELB_LOG_DELIVERY_SERVICE, "s3:PutObject", object)).toBe("Allowed");
      expect(await logBucketDecision(stacks.build, ELB_LOG_DELIVERY_SERVICE, "s3:GetObject", object)).toBe("ImplicitlyDenied");
    });
  });

  describe("in eu-central-2, a region opened after August 2022", () => {
    const region = "eu-central-2";
    const stack = synthAll(makeConfig({ dev: { tier: "development", network: NETWORK } }, { ...PROJECT, region })).build;
    const bucket = `${PROJECT.appName}-access-logs-${PROJECT.accountId}-${region}`;
    const object = (prefix: string, account = PROJECT.accountId) => logObject(bucket, prefix, account, region);

    it("lets the ELB log delivery service principal write under the ALB prefixes of this account only", async () => {
      const elb = (resource: string) => logBucketDecision(stack, ELB_LOG_DELIVERY_SERVICE, "s3:PutObject", resource);
      expect(await elb(object(accessLogPrefix("albAccess", "dev")))).toBe("Allowed");
      expect(await elb(object(accessLogPrefix("albConnection", "dev")))).toBe("Allowed");
      expect(await elb(object(accessLogPrefix("albAccess", "dev"), OTHER_ACCOUNT))).toBe("ImplicitlyDenied");
      expect(await elb(`arn:aws:s3:::${bucket}/${accessLogPrefix("s3Access", "x")}/f`)).toBe("ImplicitlyDenied");
      expect(await logBucketDecision(stack, ELB_LOG_DELIVERY_SERVICE, "s3:GetObject", object(accessLogPrefix("albAccess", "dev")))).toBe(
        "ImplicitlyDenied",
      );
    });

    it("names no Elastic Load Balancing account (there is none in this region)", async () => {
      const anyOldAccount = Object.values(ELB_LOG_DELIVERY).find((d) => d !== "service-principal") as { account: string };
      expect(
        await logBucketDecision(
          stack,
          `arn:aws:iam::${anyOldAccount.account}:root`,
          "s3:PutObject",
          object(accessLogPrefix("albAccess", "dev")),
          {
            identity: EVERYTHING,
          },
        ),
      ).toBe("ImplicitlyDenied");
    });
  });

  describe("S3 server access log delivery", () => {
    const artifactLogs = `arn:aws:s3:::${LOG_BUCKET}/${accessLogPrefix("s3Access", BUCKET)}/${ACCOUNT}/${REGION}/${BUCKET}/2026/11/23/x`;
    const s3 = (resource: string, context: Record<string, string>) =>
      logBucketDecision(stacks.build, S3_LOG_DELIVERY_SERVICE, "s3:PutObject", resource, { context });

    it("may write the artifact bucket's logs under s3-access/, for a source bucket of this account", async () => {
      const fromArtifacts = { "aws:SourceAccount": ACCOUNT, "aws:SourceArn": `arn:aws:s3:::${BUCKET}` };
      expect(await s3(artifactLogs, fromArtifacts)).toBe("Allowed");
      expect(await s3(logObject(LOG_BUCKET, accessLogPrefix("albAccess", "dev")), fromArtifacts)).toBe("ImplicitlyDenied");
    });

    it("may not write for a bucket of another account (the confused deputy)", async () => {
      expect(await s3(artifactLogs, { "aws:SourceAccount": OTHER_ACCOUNT, "aws:SourceArn": "arn:aws:s3:::someone-elses" })).toBe(
        "ImplicitlyDenied",
      );
    });
  });

  describe("readers", () => {
    const someLog = logObject(LOG_BUCKET, accessLogPrefix("albAccess", "prod"));

    it("are only the account's own principals, through their IAM policies", async () => {
      const auditor = `arn:aws:iam::${ACCOUNT}:role/auditor`;
      const reads = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] };
      expect(await logBucketDecision(stacks.build, auditor, "s3:GetObject", someLog, { identity: reads })).toBe("Allowed");
      expect(await logBucketDecision(stacks.build, auditor, "s3:GetObject", someLog)).toBe("ImplicitlyDenied");
    });

    it("exclude every other account, however broad its own policy", async () => {
      const outsider = `arn:aws:iam::${OTHER_ACCOUNT}:role/admin`;
      expect(await logBucketDecision(stacks.build, outsider, "s3:GetObject", someLog, { identity: EVERYTHING })).toBe("ImplicitlyDenied");
      expect(await logBucketDecision(stacks.build, outsider, "s3:PutObject", someLog, { identity: EVERYTHING })).toBe("ImplicitlyDenied");
    });

    it("exclude the log delivery services", async () => {
      expect(
        await logBucketDecision(stacks.build, S3_LOG_DELIVERY_SERVICE, "s3:GetObject", someLog, {
          context: { "aws:SourceAccount": ACCOUNT },
        }),
      ).toBe("ImplicitlyDenied");
    });
  });
});

describe("a static site's bucket policy", () => {
  /** CloudFront's request for an object, on behalf of the distribution `source`. */
  async function cloudFrontReads(stackName: string, object: string, source: string, action = "s3:GetObject") {
    const resourcePolicy = bucketPolicyOf(stacks[stackName], object);
    if (!resourcePolicy) throw new Error(`no bucket policy covers ${object}`);
    const response = await runSimulation(
      {
        identityPolicies: [],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy,
        request: {
          action,
          principal: "cloudfront.amazonaws.com",
          resource: { accountId: ACCOUNT, resource: object },
          contextVariables: { "aws:SecureTransport": "true", "aws:SourceArn": source, "aws:SourceAccount": ACCOUNT },
        },
      },
      {},
    );
    if (response.resultType === "error") throw new Error(`simulation error: ${JSON.stringify(response.errors)}`);
    return response.overallResult;
  }

  it.each(environments.flatMap((env) => SITES.map((site) => [env, site])))(
    "lets CloudFront read %s's %s bucket for its own distribution only, and never write",
    async (env, site) => {
      const n = siteNames(env, site);
      const other = siteNames(otherThan(env), site);
      expect(await cloudFrontReads(n.stack, `${n.bucketArn}/index.html`, n.distribution)).toBe("Allowed");
      expect(await cloudFrontReads(n.stack, `${n.bucketArn}/index.html`, other.distribution)).toBe("ImplicitlyDenied");
      expect(await cloudFrontReads(n.stack, `${n.bucketArn}/index.html`, n.distribution, "s3:PutObject")).toBe("ImplicitlyDenied");
    },
  );
});

describe('npm run promote\'s hotfix notice (docs/environments.md, "Hotfix")', () => {
  const topic = (env: string) => `arn:aws:sns:${REGION}:${ACCOUNT}:${environmentPrefix(appName, env)}-alerts`;
  const VIA_SNS = { "kms:ViaService": `sns.${REGION}.amazonaws.com` };
  const policy = promoterPolicy(topic("prod"), ENV_KEY("app-prod"), REGION);

  /** The promoter's request, with the documented policy (or `identity`) and the key's own policy. */
  async function promoter(action: string, resource: string, context: Record<string, string> = {}, identity: Json = policy) {
    const response = await runSimulation(
      {
        identityPolicies: [{ name: "promoter", policy: identity }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: resourcePolicyFor(action, resource),
        request: {
          action,
          principal: `arn:aws:iam::${ACCOUNT}:role/release-manager`,
          resource: { accountId: ACCOUNT, resource },
          contextVariables: { "aws:SecureTransport": "true", ...context },
        },
      },
      {},
    );
    if (response.resultType === "error") throw new Error(`simulation error: ${JSON.stringify(response.errors)}`);
    return response.overallResult;
  }

  it("publishes on production's encrypted topic: sns:Publish, and the key's data key and decrypt through SNS", async () => {
    // The topic the notice goes to is production's alert topic as synthesized.
    expect(resolve(stacks["app-prod"], '{"Statement":[{"Resource":"${aws_sns_topic.alerts_topic.arn}"}]}')).toContain(`"${topic("prod")}"`);
    expect(await promoter("sns:Publish", topic("prod"))).toBe("Allowed");
    expect(await promoter("kms:GenerateDataKey", ENV_KEY("app-prod"), VIA_SNS)).toBe("Allowed");
    expect(await promoter("kms:Decrypt", ENV_KEY("app-prod"), VIA_SNS)).toBe("Allowed");
  });

  it("is the policy the docs give, placeholders and all", () => {
    const documented = promoterPolicy(
      "arn:aws:sns:<region>:<account>:<appName>-prod-alerts",
      "arn:aws:kms:<region>:<account>:key/<key id of app-prod>",
      "<region>",
    );
    const page = fs.readFileSync(path.join(ROOT, "docs", "environments.md"), "utf8");
    const blocks = [...page.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]));
    expect(blocks).toContainEqual(documented);
  });

  it("fails without the key statement (sns:Publish alone, as the docs once said), and reaches nothing else", async () => {
    const publishOnly = { ...policy, Statement: policy.Statement.filter((st) => st.Sid === "PublishHotfixNotice") };
    expect(await promoter("kms:GenerateDataKey", ENV_KEY("app-prod"), VIA_SNS, publishOnly)).toBe("ImplicitlyDenied");
    expect(await promoter("kms:GenerateDataKey", ENV_KEY("app-prod"))).toBe("ImplicitlyDenied");
    expect(await promoter("sns:Publish", topic("dev"))).toBe("ImplicitlyDenied");
    expect(await promoter("kms:Decrypt", ENV_KEY("app-dev"), VIA_SNS)).toBe("ImplicitlyDenied");
  });
});
