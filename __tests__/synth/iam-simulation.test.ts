import * as fs from "fs";
import * as path from "path";
import { runSimulation, runUnsafeSimulation } from "@cloud-copilot/iam-simulate";
import { BUILD_OUTPUTS, type BuildOutputKey } from "../../modules/stacks/contract";
import {
  artifactPrefix,
  ciEnvironments,
  CI_ROLE_PATH,
  environmentPrefix,
  githubEnvironmentSubject,
  liveSlotParameter,
  parameterPath,
  pipelineName,
  secretName,
  settingParameterName,
  siteBucketName,
  sitePipelineName,
  sitePrefix,
} from "../../modules/config";
import {
  makeConfig,
  NETWORK,
  onlyResource,
  PROJECT,
  resourcesOf,
  ROOT,
  SHIPPED_CONTAINER,
  shippedConfigWith,
  synthAll,
  type Json,
} from "../support/helpers";
import { accessLogPrefix } from "../../modules/config";
import { ELB_LOG_DELIVERY, ELB_LOG_DELIVERY_SERVICE, type Region } from "../../modules/config/regions";
import { S3_LOG_DELIVERY_SERVICE } from "../../modules/constructs/access-log-bucket";
import { promoterPolicy } from "../../scripts/promote";

// Least privilege, proven with an IAM policy evaluator (@cloud-copilot/iam-simulate) over the
// inline policies of every role as synthesized, together with the artifact key's and bucket's
// resource policies, each Terraform reference replaced by the ARN it resolves to. The project is
// the shipped one with a container beside the service (SHIPPED_CONTAINER), so that a container's
// roles are simulated in every environment too, in place and blue/green, in either account.
const config = shippedConfigWith(SHIPPED_CONTAINER);
// ACCOUNT is the tooling account: build, the artifacts, every pipeline. Production and hotfix run
// in an account of their own (environments/prod.ts), so every ARN below names its owner's account.
const { accountId: ACCOUNT, region: REGION, appName } = config.project;
const stacks = synthAll(config);
/** The account an environment runs in. */
const accountOf = (env: string) => config.environments.find((e) => e.name === env)!.accountId;
const CROSS_ACCOUNT = config.environments.filter((e) => e.accountId !== ACCOUNT).map((e) => e.name);
/** The account a stack's default provider deploys to. */
function stackAccount(stackName: string): string {
  if (stackName.startsWith("app-")) return accountOf(stackName.slice("app-".length));
  if (stackName.startsWith("bootstrap-")) return stackName.slice("bootstrap-".length);
  return ACCOUNT;
}

const BUCKET = `${appName}-artifacts-${ACCOUNT}-${REGION}`;
const LOG_BUCKET = `${appName}-access-logs-${ACCOUNT}-${REGION}`;
const BUILD_PROJECT = `${appName}-build`;
const SCAN_PROJECT = `${appName}-scan`;
const ARTIFACT_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/aaaaaaaa-0000-4000-8000-000000000001`;
const CONNECTION = `arn:aws:codestar-connections:${REGION}:${ACCOUNT}:connection/aaaaaaaa-0000-4000-8000-000000000002`;
const BUILD_OUTPUT_VALUES: Record<BuildOutputKey, string> = {
  artifactBucketName: BUCKET,
  artifactBucketArn: `arn:aws:s3:::${BUCKET}`,
  artifactKeyArn: ARTIFACT_KEY,
  buildProjectName: BUILD_PROJECT,
  buildProjectArn: `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/${BUILD_PROJECT}`,
  scanProjectName: SCAN_PROJECT,
  scanProjectArn: `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/${SCAN_PROJECT}`,
  connectionArn: CONNECTION,
  accessLogBucketName: LOG_BUCKET,
  accessLogBucketArn: `arn:aws:s3:::${LOG_BUCKET}`,
  deliveryEventsLogPrefix: "/aws/events/webapp/",
};
const OUTPUT_BY_NAME = Object.fromEntries(
  (Object.keys(BUILD_OUTPUTS) as BuildOutputKey[]).map((k) => [BUILD_OUTPUTS[k].name, BUILD_OUTPUT_VALUES[k]]),
);
/** An environment account's bootstrap outputs, as its app stacks read them. */
function bootstrapOutput(account: string, name: string): string {
  const logs = `${appName}-access-logs-${account}-${REGION}`;
  const values: Record<string, string> = {
    access_log_bucket_name: logs,
    access_log_bucket_arn: `arn:aws:s3:::${logs}`,
    delivery_events_log_prefix: "/aws/events/webapp/",
    deploy_role_arn: `arn:aws:iam::${account}:role/${appName}-deploy`,
    permissions_boundary_arn: `arn:aws:iam::${account}:policy/${appName}-boundary`,
  };
  if (!(name in values)) throw new Error(`unresolved reference to the bootstrap's output ${name}`);
  return values[name];
}

function stackNameOf(stack: Json): string {
  const found = Object.entries(stacks).find(([, s]) => s === stack);
  if (!found) throw new Error("not a synthesized stack of the shipped configuration");
  return found[0];
}

/** A distribution's ARN as the simulation resolves it: a fake id per stack and construct. */
function distributionArn(stackName: string, id: string): string {
  return `arn:aws:cloudfront::${stackAccount(stackName)}:distribution/E${`${stackName}${id}`.toUpperCase().replace(/[^A-Z0-9]/g, "")}`;
}

/** A stack's listener ARN as the simulation resolves it: under the stack's load balancer. */
function listenerArn(stackName: string): string {
  return `arn:aws:elasticloadbalancing:${REGION}:${stackAccount(stackName)}:listener/app/${appName}-${stackName.replace(/^app-/, "")}/50dc6c495c0c9188/f2f7dc8efc522ab2`;
}

/** What `${type.id.attribute}` resolves to, from the referenced resource's configuration. */
function resolveReference(stack: Json, type: string, id: string, attribute: string): string {
  const r: Json = stack.resource?.[type]?.[id];
  if (!r) throw new Error(`unknown reference ${type}.${id}`);
  // A resource is in its stack's account, unless the stack placed it in the tooling account's.
  const stackName = Object.entries(stacks).find(([, st]) => st === stack)?.[0];
  const own = r.provider === "aws.tooling" || !stackName ? ACCOUNT : stackAccount(stackName);
  const arns: Record<string, () => string> = {
    aws_iam_role: () => `arn:aws:iam::${own}:role${r.path ?? "/"}${r.name}`,
    aws_iam_openid_connect_provider: () => `arn:aws:iam::${own}:oidc-provider/${String(r.url).replace(/^https:\/\//, "")}`,
    aws_s3_bucket: () => `arn:aws:s3:::${r.bucket}`,
    // Each environment's key gets its own ARN, so that one environment's is not another's.
    aws_kms_key: () =>
      stack === stacks.build
        ? ARTIFACT_KEY
        : `arn:aws:kms:${REGION}:${own}:key/bbbbbbbb-0000-4000-8000-${Object.keys(stacks).indexOf(stackNameOf(stack)).toString().padStart(12, "0")}`,
    aws_cloudwatch_log_group: () => `arn:aws:logs:${REGION}:${own}:log-group:${r.name}`,
    aws_sns_topic: () => `arn:aws:sns:${REGION}:${own}:${r.name}`,
    aws_codebuild_project: () => `arn:aws:codebuild:${REGION}:${own}:project/${r.name}`,
    aws_ecr_repository: () => `arn:aws:ecr:${REGION}:${own}:repository/${r.name}`,
    // Each stack's distribution gets its own id, so that one environment's is not another's.
    aws_cloudfront_distribution: () => distributionArn(stackNameOf(stack), id),
  };
  if (attribute === "arn" && arns[type]) return arns[type]();
  // A blue/green environment's listener, named after its load balancer (one per stack).
  if (type === "aws_lb_listener" && attribute === "arn") return listenerArn(stackNameOf(stack));
  // Names set in the configuration (groups, alarms, deployment groups, the CodeDeploy application).
  if (
    ["name", "alarm_name", "deployment_group_name", "deployment_config_name"].includes(attribute) &&
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
    .replace(/\$\{data\.terraform_remote_state\.bootstrap\.outputs\.([a-z_]+)\}/g, (_, name: string) =>
      bootstrapOutput(stackAccount(stackNameOf(stack)), name),
    )
    .replace(/\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}/g, (_, type, id, attr) => resolveReference(stack, type, id, attr));
  if (resolved.includes("${")) throw new Error(`unresolved reference in ${resolved.match(/\$\{[^}]*\}/)?.[0]}`);
  for (const statement of [JSON.parse(resolved).Statement].flat()) {
    for (const r of [statement.Resource ?? []].flat() as string[]) {
      if (r !== "*" && !/^arn:aws:[a-z0-9-]+:/.test(r)) throw new Error(`policy Resource ${JSON.stringify(r)} is not an ARN`);
    }
  }
  return resolved;
}

/** The role's id (its address) in its stack. */
function roleId(stackName: string, roleName: string): string {
  const found = Object.entries<Json>(stacks[stackName].resource?.aws_iam_role ?? {}).find(([, r]) => r.name === roleName);
  if (!found) throw new Error(`no role ${roleName} in ${stackName}`);
  return found[0];
}

/** The role's inline policies (one, or one per pipeline for a pipeline-actions role), references resolved. */
function policiesOfRole(stackName: string, roleName: string): Json[] {
  const stack = stacks[stackName];
  const ref = `\${aws_iam_role.${roleId(stackName, roleName)}.name}`;
  const found = resourcesOf(stack, "aws_iam_role_policy").filter((r) => r.role === ref);
  if (!found.length) throw new Error(`no inline policy for ${roleName} in ${stackName}`);
  return found.map((p) => JSON.parse(resolve(stack, p.policy)));
}

/** The account a role lives in: its stack's, or the tooling account's for what the stack placed there (pipelines). */
function roleAccount(stackName: string, roleName: string): string {
  const role = stacks[stackName].resource.aws_iam_role[roleId(stackName, roleName)];
  return role.provider === "aws.tooling" ? ACCOUNT : stackAccount(stackName);
}

/**
 * The permission boundary a role carries (every role of an environment in its own account), as its
 * account's bootstrap writes it: an action the boundary does not allow is denied however the role's
 * own policy reads.
 */
function boundaryOfRole(stackName: string, roleName: string): Json | undefined {
  const role = stacks[stackName].resource.aws_iam_role[roleId(stackName, roleName)];
  if (!role.permissions_boundary) return undefined;
  const account = roleAccount(stackName, roleName);
  // A role in the tooling account carries its GitHub environment's boundary, from the ci stack.
  if (account === ACCOUNT) {
    const ci = CI.find((c) => c.stacks.includes(stackName))!;
    expect(role.permissions_boundary).toBe(ci.boundaryArn);
    return ciBoundaryPolicy(ci.boundaryArn);
  }
  expect(resolve(stacks[stackName], `{"Statement":[{"Resource":"${role.permissions_boundary}"}]}`)).toContain(
    `arn:aws:iam::${account}:policy/${appName}-boundary`,
  );
  const bootstrap = stacks[`bootstrap-${account}`];
  return JSON.parse(resolve(bootstrap, onlyResource(bootstrap, "aws_iam_policy").policy));
}

/** A GitHub environment's boundary (the ci stack's managed policy at that ARN), references resolved. */
function ciBoundaryPolicy(boundaryArn: string): Json {
  const policy = resourcesOf(stacks.ci, "aws_iam_policy").find((p) => boundaryArn.endsWith(`${p.path}${p.name}`));
  if (!policy) throw new Error(`no boundary ${boundaryArn} in the ci stack`);
  return JSON.parse(resolve(stacks.ci, policy.policy));
}

/** The account that owns a resource: the one in its ARN, or for S3 the one its bucket's name ends with (or the tooling account's). */
function resourceAccount(resource: string, principalAccount = ACCOUNT): string {
  const [, , service, , fromArn] = resource.split(":");
  if (fromArn) return fromArn;
  // "*", or an ARN without an account (an AMI, a CloudFront-free resource): the caller's own.
  if (service !== "s3") return principalAccount;
  const bucket = resource.replace(/^arn:aws:s3:::/, "").split("/")[0];
  return /(\d{12})(-[a-z]{2}-[a-z]+-\d)?$/.exec(bucket)?.[1] ?? ACCOUNT;
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

/** The artifact key's policy as synthesized, references resolved. */
function artifactKeyPolicy(): Json {
  return JSON.parse(resolve(stacks.build, onlyResource(stacks.build, "aws_kms_key").policy));
}

/**
 * The key policy as the simulator can evaluate it: without its `kms:EncryptionContext:<key>`
 * conditions, which it drops from every request (it knows variable condition keys of the
 * `<key>/<name>` form only), so that they could never match. What they require is asserted on the
 * policy's text instead ("each environment account's key grant ...", below).
 */
function simulatedKeyPolicy(policy: Json): Json {
  const statements = [policy.Statement].flat().map((st: Json) => {
    if (!st.Condition) return st;
    const condition = Object.fromEntries(
      Object.entries<Json>(st.Condition)
        .map(([op, keys]) => [op, Object.fromEntries(Object.entries<Json>(keys).filter(([k]) => !k.startsWith("kms:EncryptionContext:")))])
        .filter(([, keys]) => Object.keys(keys).length),
    );
    return { ...st, Condition: condition };
  });
  return { ...policy, Statement: statements };
}

/**
 * An image repository's policy (build's), with its implied Resource (a repository policy names
 * none: it is the repository's) made explicit for the simulator.
 */
function repositoryPolicy(repositoryArn: string): Json | undefined {
  const policy = resourcesOf(stacks.build, "aws_ecr_repository_policy").find(
    (p) =>
      `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${resolve(stacks.build, `{"Statement":[{"R":"${p.repository}"}]}`).match(/"R":"([^"]+)"/)![1]}` ===
      repositoryArn,
  );
  if (!policy) return undefined;
  const parsed = JSON.parse(resolve(stacks.build, policy.policy));
  return { ...parsed, Statement: [parsed.Statement].flat().map((st: Json) => ({ ...st, Resource: repositoryArn })) };
}

/** The trust policy of the role `roleArn`, from whichever stack creates it. */
function trustPolicyOf(roleArn: string): Json | undefined {
  for (const [name, stack] of Object.entries(stacks)) {
    for (const [id, role] of Object.entries<Json>(stack.resource?.aws_iam_role ?? {})) {
      if (resolveReference(stack, "aws_iam_role", id, "arn") === roleArn) return JSON.parse(resolve(stack, role.assume_role_policy));
      void name;
    }
  }
  return undefined;
}

/** The resource policy AWS evaluates with the request: a role's trust, a topic's, a bus's, a key's or a bucket's. */
function resourcePolicyFor(action: string, resource: string): Json | undefined {
  if (action === "sts:AssumeRole") return trustPolicyOf(resource);
  if (action === "sns:Publish") {
    for (const stack of Object.values(stacks)) {
      for (const p of resourcesOf(stack, "aws_sns_topic_policy")) {
        const policy = JSON.parse(resolve(stack, p.policy));
        if (JSON.stringify(policy).includes(`"${resource}"`)) return policy;
      }
    }
    return undefined;
  }
  if (action === "events:PutEvents") {
    // An environment account's bus: its bootstrap's policy; the tooling account's: build's.
    const account = resourceAccount(resource);
    const owner = Object.entries(stacks).find(([name]) => name === (account === ACCOUNT ? "build" : `bootstrap-${account}`));
    return owner ? JSON.parse(resolve(owner[1], onlyResource(owner[1], "aws_cloudwatch_event_bus_policy").policy)) : undefined;
  }
  if (action.startsWith("kms:") && resource === ARTIFACT_KEY) return simulatedKeyPolicy(artifactKeyPolicy());
  if (action.startsWith("ecr:")) return repositoryPolicy(resource);
  // An environment's key: its own, or another environment's.
  const owner = Object.entries(stacks).find(
    ([name, stack]) =>
      name.startsWith("app-") && action.startsWith("kms:") && resource === resolveReference(stack, "aws_kms_key", "key", "arn"),
  );
  if (owner) return JSON.parse(resolve(owner[1], onlyResource(owner[1], "aws_kms_key").policy));
  if (action.startsWith("s3:")) {
    for (const stack of Object.values(stacks)) {
      const policy = bucketPolicyOf(stack, resource);
      if (policy) return policy;
    }
  }
  return undefined;
}

async function decide(stackName: string, roleName: string, action: string, resource: string, context: Record<string, string> = {}) {
  // Its ARN, with its path (the CI roles are on /ci/).
  const principal = resolveReference(stacks[stackName], "aws_iam_role", roleId(stackName, roleName), "arn");
  const account = roleAccount(stackName, roleName);
  return simulate({
    principal,
    identities: policiesOfRole(stackName, roleName),
    boundary: boundaryOfRole(stackName, roleName),
    resourcePolicy: resourcePolicyFor(action, resource),
    action,
    resource,
    resourceAccount: resourceAccount(resource, account),
    // What AWS sets on every request by a role (the simulator takes it from the context only).
    context: { "aws:PrincipalArn": principal, "aws:PrincipalAccount": account, ...context },
  });
}

/** One request, as the simulator decides it: `principal` with its own policies, against `resourcePolicy`. */
async function simulate(request: {
  principal: string;
  identities: readonly Json[];
  /** The principal's permission boundary, if it has one. */
  boundary?: Json;
  resourcePolicy: Json | undefined;
  action: string;
  resource: string;
  resourceAccount: string;
  context: Record<string, string>;
}) {
  const response = await runSimulation(
    {
      ...(request.boundary ? { permissionBoundaryPolicies: [{ name: "boundary", policy: request.boundary }] } : {}),
      identityPolicies: request.identities.map((policy, i) => ({ name: `policy-${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: request.resourcePolicy,
      request: {
        action: request.action,
        principal: request.principal,
        resource: { accountId: request.resourceAccount, resource: request.resource },
        contextVariables: { "aws:SecureTransport": "true", ...request.context },
      },
    },
    {},
  );
  if (response.resultType === "error")
    throw new Error(`simulation error for ${request.action} on ${request.resource}: ${JSON.stringify(response.errors)}`);
  return response.overallResult;
}

const object = (prefix: string) => `arn:aws:s3:::${BUCKET}/${prefix}/Build/abc123.zip`;
const group = (env: string) => `arn:aws:codedeploy:${REGION}:${accountOf(env)}:deploymentgroup:${appName}-${env}/${appName}-${env}`;
const VIA_S3 = { "kms:ViaService": `s3.${REGION}.amazonaws.com` };

type Case = [stack: string, role: string, action: string, resource: string, context?: Record<string, string>];

/** The role in a cross-account environment's account that its pipelines' Deploy actions run as. */
const actionsRole = (env: string) => `${environmentPrefix(appName, env)}-pipeline-actions`;

const environments = config.environments.map((e) => e.name);
/** Another environment than `env`: the one whose resources `env`'s roles must not reach. */
const otherThan = (env: string) => environments[(environments.indexOf(env) + 1) % environments.length];

const blueGreen = (env: string) => config.environments.find((e) => e.name === env)?.deployment.style === "blue-green";
const BLUE_GREEN = environments.filter(blueGreen);
const asg = (env: string, suffix = "") =>
  `arn:aws:autoscaling:${REGION}:${accountOf(env)}:autoScalingGroup:6d3fd1a3-8a4b-4a7f-9b1e-0123456789ab:autoScalingGroupName/${appName}-${env}${suffix}`;
const alarm = (env: string, name: string) => `arn:aws:cloudwatch:${REGION}:${accountOf(env)}:alarm:${name}`;
const groupOf = (env: string, name: string) => `arn:aws:codedeploy:${REGION}:${accountOf(env)}:deploymentgroup:${appName}-${env}/${name}`;

/** The traffic switch of a blue/green environment: its own listener, fleets, record, alarms and deployments, nothing more. */
function trafficAllows(env: string): Case[] {
  const stack = `app-${env}`;
  const role = `${environmentPrefix(appName, env)}-traffic`;
  const prefix = artifactPrefix(pipelineName(appName, env));
  const record = `arn:aws:ssm:${REGION}:${accountOf(env)}:parameter${liveSlotParameter(appName, env)}`;
  return [
    [stack, role, "elasticloadbalancing:ModifyListener", listenerArn(stack)],
    [stack, role, "elasticloadbalancing:DescribeTargetHealth", "*"],
    [stack, role, "autoscaling:UpdateAutoScalingGroup", asg(env)],
    [stack, role, "autoscaling:UpdateAutoScalingGroup", asg(env, "-green")],
    [stack, role, "ssm:GetParameter", record],
    [stack, role, "ssm:PutParameter", record],
    [stack, role, "cloudwatch:DescribeAlarms", alarm(env, `${appName}-${env}-green-http-5xx`)],
    [stack, role, "cloudwatch:DescribeAlarms", alarm(env, `${appName}-${env}-unhealthy-hosts`)],
    [stack, role, "codedeploy:CreateDeployment", groupOf(env, `${appName}-${env}-green`)],
    [stack, role, "codedeploy:GetDeployment", groupOf(env, `${appName}-${env}`)],
    [stack, role, "codedeploy:ListDeployments", groupOf(env, `${appName}-${env}-green`)],
    [stack, role, "s3:GetObject", object(prefix)],
    [stack, role, "kms:Decrypt", ARTIFACT_KEY, { ...VIA_S3, "kms:EncryptionContext:aws:s3:arn": `arn:aws:s3:::${BUCKET}` }],
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
    [stack, role, "ssm:PutParameter", `arn:aws:ssm:${REGION}:${accountOf(env)}:parameter${settingParameterName(appName, env, "GREETING")}`],
    [stack, role, "ssm:PutParameter", `arn:aws:ssm:${REGION}:${accountOf(other)}:parameter${liveSlotParameter(appName, other)}`],
    [stack, role, "cloudwatch:DescribeAlarms", alarm(other, `${appName}-${other}-http-5xx`)],
    [stack, role, "codedeploy:CreateDeployment", group(other)],
    [stack, role, "s3:PutObject", object(prefix)],
    [stack, role, "ec2:TerminateInstances", `arn:aws:ec2:${REGION}:${accountOf(env)}:instance/i-0123456789abcdef0`],
    [stack, role, "iam:PassRole", `arn:aws:iam::${accountOf(env)}:role/${environmentPrefix(appName, env)}-instance`],
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
  // Cross-account, the deploy runs as the environment's pipeline-actions role, which the pipeline may assume.
  const deploys = CROSS_ACCOUNT.includes(env) ? actionsRole(env) : pipeline;
  const instance = `${environmentPrefix(appName, env)}-instance`;
  const deployer = `${environmentPrefix(appName, env)}-codedeploy`;
  const prefix = artifactPrefix(pipelineName(appName, env));
  return [
    // Pipelines: start and read builds on the shared project, use the connection, their own artifacts and deployments.
    [stack, pipeline, "codebuild:StartBuild", BUILD_OUTPUT_VALUES.buildProjectArn],
    [stack, pipeline, "codebuild:StartBuild", BUILD_OUTPUT_VALUES.scanProjectArn],
    [stack, pipeline, "codebuild:BatchGetBuilds", BUILD_OUTPUT_VALUES.buildProjectArn],
    [stack, pipeline, "codestar-connections:UseConnection", CONNECTION],
    [stack, pipeline, "s3:PutObject", object(prefix)],
    [stack, pipeline, "s3:GetObject", object(prefix)],
    [stack, pipeline, "kms:GenerateDataKey", ARTIFACT_KEY],
    [stack, pipeline, "kms:Decrypt", ARTIFACT_KEY],
    ...(CROSS_ACCOUNT.includes(env)
      ? ([
          [stack, pipeline, "sts:AssumeRole", `arn:aws:iam::${accountOf(env)}:role/${actionsRole(env)}`],
          [stack, deploys, "s3:GetObject", object(prefix)],
          [stack, deploys, "kms:Decrypt", ARTIFACT_KEY, { ...VIA_S3, "kms:EncryptionContext:aws:s3:arn": `arn:aws:s3:::${BUCKET}` }],
        ] as Case[])
      : []),
    ...(blueGreen(env)
      ? // Blue/green: the pipeline only runs the traffic switch, which deploys.
        ([
          [
            stack,
            deploys,
            "codebuild:StartBuild",
            `arn:aws:codebuild:${REGION}:${accountOf(env)}:project/${environmentPrefix(appName, env)}-traffic`,
          ],
        ] as Case[])
      : ([[stack, deploys, "codedeploy:CreateDeployment", group(env)]] as Case[])),
    // Instances: their own environment's revisions (decrypted through S3, for this bucket) and their log group.
    [stack, instance, "s3:GetObject", object(prefix)],
    [stack, instance, "kms:Decrypt", ARTIFACT_KEY, { ...VIA_S3, "kms:EncryptionContext:aws:s3:arn": `arn:aws:s3:::${BUCKET}` }],
    [
      stack,
      instance,
      "logs:PutLogEvents",
      `arn:aws:logs:${REGION}:${accountOf(env)}:log-group:/${appName}/${env}/application:log-stream:i-1/app`,
    ],
    [stack, instance, "codedeploy-commands-secure:PollHostCommand", "*"],
    // CodeDeploy, for an Auto Scaling group with a launch template: launch and tag instances, pass the instance role to EC2.
    [stack, deployer, "ec2:RunInstances", `arn:aws:ec2:${REGION}:${accountOf(env)}:instance/*`],
    [stack, deployer, "ec2:RunInstances", `arn:aws:ec2:${REGION}::image/ami-0123456789abcdef0`],
    [
      stack,
      deployer,
      "ec2:CreateTags",
      `arn:aws:ec2:${REGION}:${accountOf(env)}:instance/i-0123456789abcdef0`,
      { "ec2:CreateAction": "RunInstances" },
    ],
    [stack, deployer, "iam:PassRole", `arn:aws:iam::${accountOf(env)}:role/${instance}`, { "iam:PassedToService": "ec2.amazonaws.com" }],
  ];
}

/** An environment's settings and secrets as the simulation names them (modules/constructs/runtime-config.ts). */
function runtimeNames(env: string) {
  const path = `arn:aws:ssm:${REGION}:${accountOf(env)}:parameter${parameterPath(appName, env)}`;
  const setting = `arn:aws:ssm:${REGION}:${accountOf(env)}:parameter${settingParameterName(appName, env, "GREETING")}`;
  // Secrets Manager appends a hyphen and six random characters to a secret's ARN.
  const secret = `arn:aws:secretsmanager:${REGION}:${accountOf(env)}:secret:${secretName(appName, env, "DATABASE_PASSWORD")}-AbC123`;
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
    [stack, instance, "ssm:GetParametersByPath", `arn:aws:ssm:${REGION}:${accountOf(env)}:parameter/${appName}`],
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
      `arn:aws:iam::${accountOf(other)}:role/${environmentPrefix(appName, other)}-instance`,
      { "iam:PassedToService": "ec2.amazonaws.com" },
    ],
    [stack, deployer, "iam:PassRole", `arn:aws:iam::${ACCOUNT}:role/${pipeline}`, { "iam:PassedToService": "ec2.amazonaws.com" }],
    [stack, deployer, "iam:PassRole", `arn:aws:iam::${accountOf(env)}:role/${instance}`, { "iam:PassedToService": "lambda.amazonaws.com" }],
    [
      stack,
      deployer,
      "ec2:CreateTags",
      `arn:aws:ec2:${REGION}:${accountOf(env)}:instance/i-0123456789abcdef0`,
      { "ec2:CreateAction": "CreateTags" },
    ],
    [stack, deployer, "ec2:RunInstances", `arn:aws:ec2:${REGION === "us-east-1" ? "us-west-2" : "us-east-1"}:${accountOf(env)}:instance/*`],
  ];
}

/** The shipped configuration's static sites, in every environment. */
const SITES = Object.keys(config.project.staticSites);
const CONTAINERS = Object.keys(config.project.containers);

/** A site's pipeline, invalidation project and bucket in an environment, as the simulation names them. */
function siteNames(env: string, site: string) {
  const pipeline = sitePipelineName(appName, env, site);
  return {
    stack: `app-${env}`,
    pipelineRole: `${pipeline}-pipeline`,
    invalidation: `${sitePrefix(appName, env, site)}-invalidate`,
    bucketArn: `arn:aws:s3:::${siteBucketName(appName, env, site, accountOf(env))}`,
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
  const deploys = CROSS_ACCOUNT.includes(env) ? actionsRole(env) : n.pipelineRole;
  return [
    [n.stack, deploys, "s3:PutObject", `${n.bucketArn}/index.html`],
    [n.stack, deploys, "kms:GenerateDataKey", ENV_KEY(n.stack), s3Context],
    [n.stack, deploys, "codebuild:StartBuild", `arn:aws:codebuild:${REGION}:${accountOf(env)}:project/${n.invalidation}`],
    [n.stack, n.pipelineRole, "codebuild:StartBuild", BUILD_OUTPUT_VALUES.buildProjectArn],
    [n.stack, n.pipelineRole, "s3:GetObject", object(n.prefix)],
    [n.stack, n.invalidation, "cloudfront:CreateInvalidation", n.distribution],
    [n.stack, n.invalidation, "s3:GetObject", `arn:aws:s3:::${BUCKET}/${n.prefix}/Pages/abc.zip`],
    [
      n.stack,
      n.invalidation,
      "logs:PutLogEvents",
      `arn:aws:logs:${REGION}:${accountOf(env)}:log-group:/aws/codebuild/${n.invalidation}:log-stream:x`,
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
    [
      n.stack,
      n.pipelineRole,
      "codebuild:StartBuild",
      `arn:aws:codebuild:${REGION}:${accountOf(otherThan(env))}:project/${other.invalidation}`,
    ],
    [n.stack, n.pipelineRole, "codedeploy:CreateDeployment", group(env)],
    [n.stack, n.invalidation, "cloudfront:CreateInvalidation", other.distribution],
    [n.stack, n.invalidation, "s3:GetObject", object(artifactPrefix(pipelineName(appName, env)))],
    [n.stack, n.invalidation, "s3:PutObject", `${n.bucketArn}/index.html`],
  ];
}

/**
 * The acceptance tests of each workload (the service's and each site's): their pipeline's source
 * and their logs, nothing of AWS beyond; the role that runs the deploy may start them.
 */
function acceptanceNames(env: string) {
  const service = `${environmentPrefix(appName, env)}-acceptance`;
  return [
    { project: service, prefix: artifactPrefix(pipelineName(appName, env)), pipelineRole: `${pipelineName(appName, env)}-pipeline` },
    ...SITES.map((site) => ({ project: `${sitePrefix(appName, env, site)}-acceptance`, ...siteNames(env, site) })),
    ...CONTAINERS.map((c) => ({ project: `${sitePrefix(appName, env, c)}-acceptance`, ...siteNames(env, c) })),
  ];
}
function acceptanceAllows(env: string): Case[] {
  const stack = `app-${env}`;
  const deploys = (pipelineRole: string) => (CROSS_ACCOUNT.includes(env) ? actionsRole(env) : pipelineRole);
  return acceptanceNames(env).flatMap(({ project, prefix, pipelineRole }) => [
    [stack, project, "s3:GetObject", `arn:aws:s3:::${BUCKET}/${prefix}/Source/abc.zip`] as Case,
    [
      stack,
      project,
      "logs:PutLogEvents",
      `arn:aws:logs:${REGION}:${accountOf(env)}:log-group:/aws/codebuild/${project}:log-stream:x`,
    ] as Case,
    [stack, deploys(pipelineRole), "codebuild:StartBuild", `arn:aws:codebuild:${REGION}:${accountOf(env)}:project/${project}`] as Case,
    [
      stack,
      project,
      "codebuild:BatchPutTestCases",
      `arn:aws:codebuild:${REGION}:${accountOf(env)}:report-group/${project}-acceptance-tests`,
    ] as Case,
  ]);
}
function acceptanceDenials(env: string): Case[] {
  const stack = `app-${env}`;
  return acceptanceNames(env).flatMap(({ project }) => [
    [stack, project, "s3:GetObject", object(artifactPrefix(pipelineName(appName, otherThan(env))))] as Case,
    [stack, project, "s3:PutObject", `arn:aws:s3:::${BUCKET}/${artifactPrefix(pipelineName(appName, env))}/Source/abc.zip`] as Case,
    [stack, project, "ssm:GetParameter", `arn:aws:ssm:${REGION}:${accountOf(env)}:parameter/${appName}/${env}/GREETING`] as Case,
    [stack, project, "codedeploy:CreateDeployment", group(env)] as Case,
    [
      stack,
      project,
      "codebuild:CreateReport",
      `arn:aws:codebuild:${REGION}:${accountOf(env)}:report-group/${BUILD_PROJECT}-unit-tests`,
    ] as Case,
  ]);
}

/**
 * The release steps of each workload (build once, promote): in the pipelines' account, they read and
 * write the pipeline's artifacts and the workload's stored releases, read every environment's
 * records of the workload and write their own environment's only; the pipeline's role starts them.
 */
function releaseNames(env: string) {
  const service = {
    project: `${environmentPrefix(appName, env)}-release`,
    workload: "api",
    pipelineRole: `${pipelineName(appName, env)}-pipeline`,
  };
  return [
    { ...service, prefix: artifactPrefix(pipelineName(appName, env)) },
    ...SITES.map((site) => ({ project: `${sitePrefix(appName, env, site)}-release`, workload: site, ...siteNames(env, site) })),
    ...CONTAINERS.map((c) => ({ project: `${sitePrefix(appName, env, c)}-release`, workload: c, ...siteNames(env, c) })),
  ];
}
const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const releaseObject = (path: string) => `arn:aws:s3:::${BUCKET}/${path}`;
function releaseAllows(env: string): Case[] {
  const stack = `app-${env}`;
  return releaseNames(env).flatMap(({ project, workload, prefix, pipelineRole }): Case[] => [
    [stack, project, "s3:GetObject", releaseObject(`${prefix}/Build/abc.zip`)],
    [stack, project, "s3:PutObject", releaseObject(`${prefix}/Build/out.zip`)],
    [stack, project, "s3:PutObject", releaseObject(`releases/${workload}/${COMMIT}/${"a".repeat(64)}/Build.tgz`)],
    [stack, project, "s3:GetObject", releaseObject(`releases/${workload}/${COMMIT}/${"a".repeat(64)}/Build.tgz`)],
    [stack, project, "s3:GetObject", releaseObject(`${otherThan(env)}-releases/${workload}/${COMMIT}.json`)],
    [stack, project, "s3:PutObject", releaseObject(`${env}-releases/${workload}/${COMMIT}.json`)],
    [stack, project, "s3:ListBucket", `arn:aws:s3:::${BUCKET}`, { "s3:prefix": `${otherThan(env)}-releases/${workload}/${COMMIT}.json` }],
    [stack, project, "kms:GenerateDataKey", ARTIFACT_KEY],
    [stack, project, "kms:Decrypt", ARTIFACT_KEY],
    [stack, project, "logs:PutLogEvents", `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/codebuild/${project}:log-stream:x`],
    [stack, pipelineRole, "codebuild:StartBuild", `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/${project}`],
    // Where the environment announces successes, the release that passed is announced on its topic (its own account's, through its policies).
    ...(announces(env)
      ? ([
          [stack, project, "sns:Publish", alertTopic(env)],
          [stack, project, "kms:GenerateDataKey", ENV_KEY(stack), { "kms:ViaService": `sns.${REGION}.amazonaws.com` }],
        ] as Case[])
      : []),
  ]);
}
const alertTopic = (env: string) => `arn:aws:sns:${REGION}:${accountOf(env)}:${environmentPrefix(appName, env)}-alerts`;
const announces = (env: string) => config.environments.find((e) => e.name === env)!.pipeline.notifyOnSuccess;
function releaseDenials(env: string): Case[] {
  const stack = `app-${env}`;
  const other = otherThan(env);
  return releaseNames(env).flatMap(({ project, workload }): Case[] => [
    // No pipeline may claim that a release passed another environment, nor touch another workload's.
    [stack, project, "s3:PutObject", releaseObject(`${other}-releases/${workload}/${COMMIT}.json`)],
    [stack, project, "s3:PutObject", releaseObject(`releases/other/${COMMIT}/${"a".repeat(64)}/Build.tgz`)],
    [stack, project, "s3:GetObject", releaseObject(`${other}-releases/other/${COMMIT}.json`)],
    [stack, project, "s3:DeleteObject", releaseObject(`${env}-releases/${workload}/${COMMIT}.json`)],
    [stack, project, "s3:GetObject", object(artifactPrefix(pipelineName(appName, other)))],
    [stack, project, "s3:ListBucket", `arn:aws:s3:::${BUCKET}`, { "s3:prefix": `${artifactPrefix(pipelineName(appName, other))}/` }],
    [stack, project, "codedeploy:CreateDeployment", group(env)],
    [stack, project, "ssm:GetParameter", `arn:aws:ssm:${REGION}:${accountOf(env)}:parameter/${appName}/${env}/GREETING`],
    [stack, project, "sns:Publish", alertTopic(other)],
    [stack, project, "kms:GenerateDataKey", ENV_KEY(stack), { "kms:ViaService": `s3.${REGION}.amazonaws.com` }],
  ]);
}

/**
 * A container's roles in each environment (docs/workloads.md, "Containers"): its tasks' execution
 * role pulls its image from the tooling account's repository (whose policy admits the environment's
 * account), writes its log streams and fetches exactly its environment's settings and secrets; the
 * deploy step registers revisions of its task, passes its task's roles to ECS only, and updates its
 * service (or, in blue/green, deploys to its CodeDeploy group); the scan gate reads its image's
 * scan; the pipeline starts the image build, the gate and the deploy.
 */
const IMAGE_ROLE = `${appName}-image-codebuild`;
const repository = (name: string) => `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${appName}/${name}`;
function containerNames(env: string, c: string) {
  const prefix = sitePrefix(appName, env, c);
  const own = accountOf(env);
  return {
    ...siteNames(env, c),
    execution: `${prefix}-execution`,
    executionArn: `arn:aws:iam::${own}:role/${prefix}-execution`,
    deploy: `${prefix}-deploy`,
    scan: `${prefix}-image-scan`,
    codeDeploy: `${prefix}-codedeploy`,
    service: `arn:aws:ecs:${REGION}:${own}:service/${environmentPrefix(appName, env)}/${c}`,
    deploymentGroup: `arn:aws:codedeploy:${REGION}:${own}:deploymentgroup:${prefix}/${prefix}`,
    logStream: `arn:aws:logs:${REGION}:${own}:log-group:/${appName}/${env}/application:log-stream:${c}/abc`,
  };
}
const runtimeOf = (env: string) => config.environments.find((e) => e.name === env)!.runtime;
const PASSED_TO_ECS = { "iam:PassedToService": "ecs-tasks.amazonaws.com" };
function containerAllows(env: string): Case[] {
  const stack = `app-${env}`;
  const own = accountOf(env);
  const deploys = (pipelineRole: string) => (CROSS_ACCOUNT.includes(env) ? actionsRole(env) : pipelineRole);
  const [setting] = Object.keys(runtimeOf(env).settings);
  const [secret] = runtimeOf(env).secrets;
  return CONTAINERS.flatMap((c): Case[] => {
    const n = containerNames(env, c);
    return [
      [stack, n.execution, "ecr:GetAuthorizationToken", "*"],
      [stack, n.execution, "ecr:BatchGetImage", repository(c)],
      [stack, n.execution, "ecr:GetDownloadUrlForLayer", repository(c)],
      [stack, n.execution, "logs:PutLogEvents", n.logStream],
      ...(setting
        ? ([
            [
              stack,
              n.execution,
              "ssm:GetParameters",
              `arn:aws:ssm:${REGION}:${own}:parameter${settingParameterName(appName, env, setting)}`,
            ],
            [stack, n.execution, "kms:Decrypt", ENV_KEY(stack), { "kms:ViaService": `ssm.${REGION}.amazonaws.com` }],
          ] as Case[])
        : []),
      ...(secret
        ? ([
            [
              stack,
              n.execution,
              "secretsmanager:GetSecretValue",
              `arn:aws:secretsmanager:${REGION}:${own}:secret:${secretName(appName, env, secret)}-AbCdEf`,
            ],
          ] as Case[])
        : []),
      [stack, n.deploy, "ecs:RegisterTaskDefinition", "*"],
      [stack, n.deploy, "ecs:DescribeTaskDefinition", "*"],
      [stack, n.deploy, "iam:PassRole", n.executionArn, PASSED_TO_ECS],
      ...(blueGreen(env)
        ? ([
            [stack, n.deploy, "codedeploy:CreateDeployment", n.deploymentGroup],
            [stack, n.deploy, "codedeploy:GetDeployment", n.deploymentGroup],
            [stack, n.deploy, "codedeploy:ListDeployments", n.deploymentGroup],
            [
              stack,
              n.deploy,
              "codedeploy:RegisterApplicationRevision",
              n.deploymentGroup.replace(/deploymentgroup:([^/]+)\/.*/, "application:$1"),
            ],
            [stack, n.deploy, "codedeploy:ContinueDeployment", "*"],
            [stack, n.codeDeploy, "iam:PassRole", n.executionArn, PASSED_TO_ECS],
          ] as Case[])
        : ([
            [stack, n.deploy, "ecs:UpdateService", n.service],
            [stack, n.deploy, "ecs:DescribeServices", n.service],
          ] as Case[])),
      [stack, n.scan, "ecr:DescribeImageScanFindings", repository(c)],
      [stack, n.pipelineRole, "codebuild:StartBuild", `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/${appName}-image`],
      [stack, n.pipelineRole, "codebuild:StartBuild", `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/${n.scan}`],
      [stack, deploys(n.pipelineRole), "codebuild:StartBuild", `arn:aws:codebuild:${REGION}:${own}:project/${n.deploy}`],
    ];
  });
}
function containerDenials(env: string): Case[] {
  const stack = `app-${env}`;
  const own = accountOf(env);
  const other = otherThan(env);
  return CONTAINERS.flatMap((c): Case[] => {
    const n = containerNames(env, c);
    const theirs = containerNames(other, c);
    return [
      // The tasks pull, and only their own image; they read nothing of another environment.
      [stack, n.execution, "ecr:PutImage", repository(c)],
      [stack, n.execution, "ecr:BatchGetImage", repository("other")],
      [
        stack,
        n.execution,
        "ssm:GetParameters",
        `arn:aws:ssm:${REGION}:${accountOf(other)}:parameter${settingParameterName(appName, other, "GREETING")}`,
      ],
      [
        stack,
        n.execution,
        "secretsmanager:GetSecretValue",
        `arn:aws:secretsmanager:${REGION}:${accountOf(other)}:secret:${secretName(appName, other, "DATABASE_PASSWORD")}-AbCdEf`,
      ],
      [stack, n.execution, "logs:PutLogEvents", `arn:aws:logs:${REGION}:${own}:log-group:/aws/codebuild/${n.deploy}:log-stream:x`],
      // The deploy step passes its task's roles to ECS only, and touches no other service or group.
      [stack, n.deploy, "iam:PassRole", n.executionArn, { "iam:PassedToService": "ec2.amazonaws.com" }],
      [stack, n.deploy, "iam:PassRole", `arn:aws:iam::${own}:role/${environmentPrefix(appName, env)}-instance`, PASSED_TO_ECS],
      [stack, n.deploy, "ecs:UpdateService", theirs.service],
      [stack, n.deploy, "ecs:DeleteService", n.service],
      [stack, n.deploy, "codedeploy:CreateDeployment", group(env)],
      [stack, n.scan, "ecr:PutImage", repository(c)],
      [stack, n.scan, "ecr:DescribeImageScanFindings", repository("other")],
      [stack, n.pipelineRole, "ecs:UpdateService", n.service],
      ...(blueGreen(env)
        ? ([
            [stack, n.codeDeploy, "iam:PassRole", `arn:aws:iam::${own}:role/${environmentPrefix(appName, env)}-instance`, PASSED_TO_ECS],
          ] as Case[])
        : []),
    ];
  });
}

/** The role that forwards the sites' alarm events from us-east-1 may put events on its environment's bus only. */
const forwardRole = (env: string) => `${environmentPrefix(appName, env)}-site-alarms-forward`;
const bus = (env: string, region: string) => `arn:aws:events:${region}:${accountOf(env)}:event-bus/default`;

const BUILD_ROLE = `${appName}-build-codebuild`;
const SCAN_ROLE = `${SCAN_PROJECT}-codebuild`;
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
  // The scans: each pipeline's source, the toolkit, the SBOM under the pipeline's prefix, logs, reports.
  ["build", SCAN_ROLE, "logs:PutLogEvents", `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/codebuild/${SCAN_PROJECT}:log-stream:abc`],
  ["build", SCAN_ROLE, "codebuild:BatchPutTestCases", `arn:aws:codebuild:${REGION}:${ACCOUNT}:report-group/${SCAN_PROJECT}-findings`],
  ["build", SCAN_ROLE, "s3:GetObject", `arn:aws:s3:::${BUCKET}/scan-toolkit/0123456789abcdef/scan.js`],
  ...environments.flatMap((env) => [
    ["build", SCAN_ROLE, "s3:GetObject", object(artifactPrefix(pipelineName(appName, env)))] as Case,
    ["build", SCAN_ROLE, "s3:PutObject", object(artifactPrefix(pipelineName(appName, env)))] as Case,
  ]),
  ["build", SCAN_ROLE, "kms:Decrypt", ARTIFACT_KEY],
  ["build", SCAN_ROLE, "s3:ListBucket", `arn:aws:s3:::${BUCKET}`, { "s3:prefix": `scan-toolkit/0123456789abcdef/` }],
  ...environments.flatMap(environmentAllows),
  ...environments.flatMap(acceptanceAllows),
  ...environments.flatMap(releaseAllows),
  ...environments.flatMap(runtimeAllows),
  ...BLUE_GREEN.flatMap(trafficAllows),
  ...environments.flatMap(containerAllows),
  // The image build pushes to the container repositories, once per commit, and reads the sources.
  ["build", IMAGE_ROLE, "ecr:GetAuthorizationToken", "*"],
  ...CONTAINERS.flatMap((c): Case[] => [
    ["build", IMAGE_ROLE, "ecr:PutImage", repository(c)],
    ["build", IMAGE_ROLE, "ecr:DescribeImages", repository(c)],
    ["build", IMAGE_ROLE, "s3:GetObject", object(containerNames("dev", c).prefix)],
  ]),
  ["build", IMAGE_ROLE, "kms:GenerateDataKey", ARTIFACT_KEY],
];

MUST_ALLOW.push(
  ...environments.flatMap((env) => SITES.flatMap((site) => siteAllows(env, site))),
  ...environments.map((env): Case => [`app-${env}`, forwardRole(env), "events:PutEvents", bus(env, REGION)]),
);

/** A cross-account environment's own roles: its actions role, its event forwarder (in the tooling account), its approvals. */
const forwarding = (env: string) => `${environmentPrefix(appName, env)}-forward-events`;
const ruleArn = (env: string) => `arn:aws:events:${REGION}:${ACCOUNT}:rule/${forwarding(env)}`;
const topicOf = (env: string) => `arn:aws:sns:${REGION}:${accountOf(env)}:${environmentPrefix(appName, env)}-alerts`;
const approves = (env: string) => config.environments.find((e) => e.name === env)!.pipeline.requireApproval;
/** The deploy role of each environment account, and the boundary its roles must carry. */
const ENV_ACCOUNTS = [...new Set(CROSS_ACCOUNT.map(accountOf))];
const boundaryOf = (account: string) => `arn:aws:iam::${account}:policy/${appName}-boundary`;

/** An environment account's alarm forwarder (its time to restore, to the tooling account's bus). */
const alarmForwarding = (env: string) => `${environmentPrefix(appName, env)}-forward-alarms`;
const TOOLING_BUS = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`;

function crossAccountAllows(env: string): Case[] {
  const stack = `app-${env}`;
  const pipeline = `${pipelineName(appName, env)}-pipeline`;
  return [
    [stack, forwarding(env), "events:PutEvents", bus(env, REGION), { "aws:SourceArn": ruleArn(env) }],
    [
      stack,
      alarmForwarding(env),
      "events:PutEvents",
      TOOLING_BUS,
      { "aws:SourceArn": `arn:aws:events:${REGION}:${accountOf(env)}:rule/${alarmForwarding(env)}` },
    ],
    ...(approves(env)
      ? ([
          [stack, pipeline, "sns:Publish", topicOf(env)],
          [stack, pipeline, "kms:GenerateDataKey", ENV_KEY(stack), { "kms:ViaService": `sns.${REGION}.amazonaws.com` }],
        ] as Case[])
      : []),
  ];
}

function crossAccountDenials(env: string): Case[] {
  const stack = `app-${env}`;
  const other = otherThan(env);
  const pipeline = `${pipelineName(appName, env)}-pipeline`;
  return [
    // The bus takes this environment's rule only, and the forwarder does nothing else.
    [stack, forwarding(env), "events:PutEvents", bus(env, REGION), { "aws:SourceArn": `arn:aws:events:${REGION}:${ACCOUNT}:rule/other` }],
    // The tooling bus takes the alarm forwarder's events from its own rule only; it sends nowhere else.
    [
      stack,
      alarmForwarding(env),
      "events:PutEvents",
      TOOLING_BUS,
      { "aws:SourceArn": `arn:aws:events:${REGION}:${accountOf(env)}:rule/other` },
    ],
    [stack, alarmForwarding(env), "events:PutEvents", bus(other, REGION)],
    [stack, forwarding(env), "sns:Publish", topicOf(env)],
    // The actions role deploys this environment only, even another one of the same account.
    [stack, actionsRole(env), "codedeploy:CreateDeployment", group(other)],
    [stack, actionsRole(env), "s3:GetObject", object(artifactPrefix(pipelineName(appName, other)))],
    [stack, actionsRole(env), "s3:PutObject", object(artifactPrefix(pipelineName(appName, env)))],
    // The pipeline, in the tooling account, reaches the environment only through the actions role.
    [stack, pipeline, "codedeploy:CreateDeployment", group(env)],
    [stack, pipeline, "sns:Publish", topicOf(other)],
  ];
}

function deployRoleAllows(account: string): Case[] {
  const stack = `bootstrap-${account}`;
  const role = `${appName}-deploy`;
  return [
    [stack, role, "ec2:CreateSecurityGroup", `arn:aws:ec2:${REGION}:${account}:security-group/*`],
    [stack, role, "iam:CreateRole", `arn:aws:iam::${account}:role/${appName}-prod-new`, { "iam:PermissionsBoundary": boundaryOf(account) }],
    [stack, role, "iam:PassRole", `arn:aws:iam::${account}:role/${appName}-prod-instance`],
  ];
}

/** The read role: SecureString parameters refresh through SSM; nothing else is decrypted. */
function readRoleAllows(account: string): Case[] {
  return [
    [`bootstrap-${account}`, `${appName}-read`, "kms:Decrypt", ENV_KEY("app-prod"), { "kms:ViaService": `ssm.${REGION}.amazonaws.com` }],
  ];
}

function readRoleDenials(account: string): Case[] {
  const stack = `bootstrap-${account}`;
  const role = `${appName}-read`;
  return [
    [stack, role, "kms:Decrypt", ENV_KEY("app-prod")],
    [stack, role, "kms:Decrypt", ENV_KEY("app-prod"), { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` }],
    [stack, role, "kms:Decrypt", ARTIFACT_KEY, { "kms:ViaService": `ssm.${REGION}.amazonaws.com` }],
  ];
}

function deployRoleDenials(account: string): Case[] {
  const stack = `bootstrap-${account}`;
  const role = `${appName}-deploy`;
  return [
    // No role without the boundary, no role outside the app's names, never itself, no users.
    [stack, role, "iam:CreateRole", `arn:aws:iam::${account}:role/${appName}-prod-new`],
    [stack, role, "iam:CreateRole", `arn:aws:iam::${account}:role/admin`, { "iam:PermissionsBoundary": boundaryOf(account) }],
    [stack, role, "iam:PutRolePolicy", `arn:aws:iam::${account}:role/${role}`, { "iam:PermissionsBoundary": boundaryOf(account) }],
    [stack, role, "iam:DeleteRolePermissionsBoundary", `arn:aws:iam::${account}:role/${appName}-prod-instance`],
    [stack, role, "iam:CreatePolicyVersion", boundaryOf(account)],
    [stack, role, "iam:CreateUser", `arn:aws:iam::${account}:user/someone`],
    [stack, role, "organizations:LeaveOrganization", "*"],
  ];
}

/**
 * CI's roles (the ci stack), one plan and one apply role per GitHub environment, in the tooling
 * account: each reaches its own stacks' state and accounts, and nothing of another GitHub
 * environment's (docs/accounts.md, "CI and people").
 */
const CI = ciEnvironments(config.project, config.environments);
const roleNameOf = (arn: string) => arn.slice(arn.indexOf(CI_ROLE_PATH) + CI_ROLE_PATH.length);
const STATE = (stack: string) =>
  `arn:aws:s3:::${config.project.stateBackend.bucket}/${config.project.stateBackend.keyPrefix}/${stack}.tfstate`;
const TOOLING_KEY = ENV_KEY("app-dev");
const VIA_SSM = { "kms:ViaService": `ssm.${REGION}.amazonaws.com` };
const roleIn = (account: string, name: string) => `arn:aws:iam::${account}:role/${name}`;
/** A pipeline's manual approval action (modules/lib/pipeline-stages.ts: stage and action "Approve"). */
const APPROVAL = (pipeline: string) => `arn:aws:codepipeline:${REGION}:${ACCOUNT}:${pipeline}/Approve/Approve`;

/** The roles a GitHub environment's stacks create in the tooling account: those that carry its boundary. */
const toolingRolesOf = (ci: (typeof CI)[number]) =>
  Object.values(stacks).flatMap((stack) =>
    Object.values<Json>(stack.resource?.aws_iam_role ?? {})
      .filter((r) => r.permissions_boundary === ci.boundaryArn)
      .map((r) => roleIn(ACCOUNT, r.name)),
  );
const WITH_BOUNDARY = (ci: (typeof CI)[number]) => ({ "iam:PermissionsBoundary": ci.boundaryArn });
const STATE_BUCKET = `arn:aws:s3:::${config.project.stateBackend.bucket}`;

function ciAllows(ci: (typeof CI)[number]): Case[] {
  const plan = roleNameOf(ci.planRoleArn);
  const apply = roleNameOf(ci.applyRoleArn);
  const [ownRole] = toolingRolesOf(ci);
  return [
    ["ci", plan, "kms:Decrypt", TOOLING_KEY, VIA_SSM],
    ["ci", apply, "s3:PutObject", STATE(ci.stacks[0])],
    ["ci", apply, "s3:PutObject", `${STATE(ci.stacks[0])}.tflock`],
    // Its own stacks' roles, with its boundary.
    ["ci", apply, "iam:CreateRole", ownRole, WITH_BOUNDARY(ci)],
    ["ci", apply, "iam:PutRolePolicy", ownRole, WITH_BOUNDARY(ci)],
    ["ci", apply, "iam:PassRole", ownRole],
    ...ci.pipelines.slice(0, 1).flatMap((p): Case[] => [
      ["ci", apply, "codepipeline:UpdatePipeline", `arn:aws:codepipeline:${REGION}:${ACCOUNT}:${p}`],
      ["ci", apply, "codepipeline:PutApprovalResult", APPROVAL(p)],
    ]),
    // Across accounts: the identity policy here and the account's trust there.
    ...ci.accounts.flatMap((account): Case[] => [
      ["ci", plan, "sts:AssumeRole", roleIn(account, `${appName}-read`)],
      ["ci", apply, "sts:AssumeRole", roleIn(account, `${appName}-deploy`)],
    ]),
  ];
}

function ciDenials(ci: (typeof CI)[number]): Case[] {
  const plan = roleNameOf(ci.planRoleArn);
  const apply = roleNameOf(ci.applyRoleArn);
  const other = CI.find((o) => o !== ci && o.pipelines.length && !o.stacks.some((s) => ci.stacks.includes(s)))!;
  const foreign = ENV_ACCOUNTS.filter((a) => !ci.accounts.includes(a));
  const [ownRole] = toolingRolesOf(ci);
  const [otherRole] = toolingRolesOf(other);
  const otherPipeline = `arn:aws:codepipeline:${REGION}:${ACCOUNT}:${other.pipelines[0]}`;
  return [
    // The plan role writes nothing and deploys nowhere; decrypts only through SSM.
    ["ci", plan, "s3:PutObject", STATE(ci.stacks[0])],
    ["ci", plan, "kms:Decrypt", TOOLING_KEY],
    ...ci.accounts.map((account): Case => ["ci", plan, "sts:AssumeRole", roleIn(account, `${appName}-deploy`)]),
    // The apply role: never another GitHub environment's state, nor ci's or a bootstrap's, nor the bucket's settings.
    ["ci", apply, "s3:PutObject", STATE(other.stacks[0])],
    ["ci", apply, "s3:DeleteObject", STATE("ci")],
    ...ENV_ACCOUNTS.map((account): Case => ["ci", apply, "s3:PutObject", STATE(`bootstrap-${account}`)]),
    ["ci", apply, "s3:PutLifecycleConfiguration", STATE_BUCKET],
    ["ci", apply, "s3:PutBucketPolicy", STATE_BUCKET],
    // A role only with its boundary, only its own stacks' roles, and never a CI role or the provider.
    ["ci", apply, "iam:CreateRole", ownRole],
    ["ci", apply, "iam:PutRolePolicy", ownRole, { "iam:PermissionsBoundary": other.boundaryArn }],
    ["ci", apply, "iam:DeleteRolePermissionsBoundary", ownRole],
    ["ci", apply, "iam:CreateRole", roleIn(ACCOUNT, `${appName}-anything`), WITH_BOUNDARY(ci)],
    ["ci", apply, "iam:PutRolePolicy", otherRole, WITH_BOUNDARY(ci)],
    ["ci", apply, "iam:UpdateAssumeRolePolicy", ci.applyRoleArn],
    ["ci", apply, "iam:PutRolePolicy", other.applyRoleArn],
    ["ci", apply, "iam:CreatePolicyVersion", ci.boundaryArn],
    ["ci", apply, "iam:UpdateOpenIDConnectProviderThumbprint", `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`],
    ["ci", apply, "iam:CreateUser", `arn:aws:iam::${ACCOUNT}:user/someone`],
    // Another GitHub environment's pipelines: not changed, started or approved (dev's CI never approves prod).
    ["ci", apply, "codepipeline:UpdatePipeline", otherPipeline],
    ["ci", apply, "codepipeline:StartPipelineExecution", otherPipeline],
    ["ci", apply, "codepipeline:PutApprovalResult", APPROVAL(other.pipelines[0])],
    // Another environment's account: the dev apply role touching prod.
    ...foreign.flatMap((account): Case[] => [
      ["ci", apply, "sts:AssumeRole", roleIn(account, `${appName}-deploy`)],
      ["ci", plan, "sts:AssumeRole", roleIn(account, `${appName}-read`)],
    ]),
    // Build's own: its bucket's settings, its key's administration, the shared project.
    ...(ci.stacks.includes("build")
      ? []
      : ([
          ["ci", apply, "s3:PutBucketPolicy", `arn:aws:s3:::${BUCKET}`],
          ["ci", apply, "s3:PutObject", object(artifactPrefix(other.pipelines[0]))],
          ["ci", apply, "kms:ScheduleKeyDeletion", ARTIFACT_KEY, { "kms:ResourceAliases": `alias/${appName}-artifacts` }],
          ["ci", apply, "codebuild:UpdateProject", `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/${BUILD_PROJECT}`],
        ] as Case[])),
  ];
}

/** People's roles (the ci stack), per environment: the reader reads, the operator also runs and approves its pipelines. */
const PEOPLE = (env: string, kind: "operator" | "reader") => `${appName}-${env}-${kind}`;
const PIPELINE = (env: string) => `arn:aws:codepipeline:${REGION}:${ACCOUNT}:${pipelineName(appName, env)}`;
const EVENTS_LOG = (env: string) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/events/${appName}/${env}:*`;
const peopleAllows: Case[] = [
  ["ci", PEOPLE("dev", "operator"), "codepipeline:StartPipelineExecution", PIPELINE("dev")],
  ["ci", PEOPLE("dev", "operator"), "codepipeline:RetryStageExecution", `${PIPELINE("dev")}/Deploy`],
  ["ci", PEOPLE("prod", "operator"), "codepipeline:PutApprovalResult", APPROVAL(pipelineName(appName, "prod"))],
  ["ci", PEOPLE("prod", "operator"), "logs:FilterLogEvents", EVENTS_LOG("prod")],
  ["ci", PEOPLE("prod", "operator"), "sts:AssumeRole", roleIn(accountOf("prod"), `${appName}-read`)],
  // The hotfix notice (npm run promote), on the environment's topic: across accounts for prod.
  ["ci", PEOPLE("prod", "operator"), "sns:Publish", topicOf("prod")],
  ["ci", PEOPLE("prod", "operator"), "kms:GenerateDataKey", ENV_KEY("app-prod"), { "kms:ViaService": `sns.${REGION}.amazonaws.com` }],
  ["ci", PEOPLE("dev", "operator"), "sns:Publish", topicOf("dev")],
  ["ci", PEOPLE("prod", "reader"), "codepipeline:GetPipelineState", PIPELINE("prod")],
  ["ci", PEOPLE("prod", "reader"), "sts:AssumeRole", roleIn(accountOf("prod"), `${appName}-read`)],
];
const peopleDenials: Case[] = [
  // Developers operate dev, not production.
  ["ci", PEOPLE("dev", "operator"), "codepipeline:StartPipelineExecution", PIPELINE("prod")],
  ["ci", PEOPLE("dev", "operator"), "codepipeline:PutApprovalResult", APPROVAL(pipelineName(appName, "prod"))],
  ["ci", PEOPLE("dev", "operator"), "logs:FilterLogEvents", EVENTS_LOG("prod")],
  ["ci", PEOPLE("dev", "operator"), "sts:AssumeRole", roleIn(accountOf("prod"), `${appName}-read`)],
  // Operators run the pipeline; they do not change it or deploy around it.
  ["ci", PEOPLE("prod", "operator"), "codepipeline:UpdatePipeline", PIPELINE("prod")],
  ["ci", PEOPLE("prod", "operator"), "sts:AssumeRole", roleIn(accountOf("prod"), `${appName}-deploy`)],
  ["ci", PEOPLE("prod", "operator"), "codepipeline:PutApprovalResult", APPROVAL(pipelineName(appName, "dev"))],
  ["ci", PEOPLE("dev", "operator"), "sns:Publish", topicOf("prod")],
  ["ci", PEOPLE("prod", "operator"), "kms:GenerateDataKey", ENV_KEY("app-prod")],
  // Readers read.
  ["ci", PEOPLE("prod", "reader"), "sns:Publish", topicOf("prod")],
  ["ci", PEOPLE("prod", "reader"), "codepipeline:PutApprovalResult", APPROVAL(pipelineName(appName, "prod"))],
  ["ci", PEOPLE("prod", "reader"), "codepipeline:StartPipelineExecution", PIPELINE("prod")],
];

// Production's bake: its actions role reads the alarms it watches (the fleets' and the site's, in us-east-1), and only those.
const prodAlarm = (name: string, region = REGION) =>
  `arn:aws:cloudwatch:${region}:${accountOf("prod")}:alarm:${environmentPrefix(appName, "prod")}-${name}`;
MUST_ALLOW.push(
  ["app-prod", actionsRole("prod"), "cloudwatch:DescribeAlarms", prodAlarm("green-http-5xx")],
  ["app-prod", actionsRole("prod"), "cloudwatch:DescribeAlarmHistory", prodAlarm("unhealthy-hosts")],
  ["app-prod", actionsRole("prod"), "cloudwatch:DescribeAlarms", prodAlarm(`${SITES[0]}-5xx-rate`, "us-east-1")],
);
const bakeDenials: Case[] = [
  ["app-prod", actionsRole("prod"), "cloudwatch:DescribeAlarms", prodAlarm("cpu-high")],
  ["app-prod", actionsRole("prod"), "cloudwatch:DeleteAlarms", prodAlarm("green-http-5xx")],
  ["app-prod", actionsRole("prod"), "cloudwatch:SetAlarmState", prodAlarm("http-5xx")],
];
MUST_ALLOW.push(...peopleAllows);

MUST_ALLOW.push(...CI.flatMap(ciAllows));

MUST_ALLOW.push(
  ...CROSS_ACCOUNT.flatMap(crossAccountAllows),
  ...ENV_ACCOUNTS.flatMap(deployRoleAllows),
  ...ENV_ACCOUNTS.flatMap(readRoleAllows),
);

const MUST_DENY: Case[] = [
  ...bakeDenials,
  ...peopleDenials,
  ...CI.flatMap(ciDenials),
  ...CROSS_ACCOUNT.flatMap(crossAccountDenials),
  ...ENV_ACCOUNTS.flatMap(deployRoleDenials),
  ...ENV_ACCOUNTS.flatMap(readRoleDenials),
  ["build", BUILD_ROLE, "iam:CreateRole", `arn:aws:iam::${ACCOUNT}:role/anything`],
  ["build", BUILD_ROLE, "iam:PassRole", `arn:aws:iam::${ACCOUNT}:role/${environmentPrefix(appName, "prod")}-instance`],
  ["build", BUILD_ROLE, "iam:PutRolePolicy", `arn:aws:iam::${ACCOUNT}:role/${BUILD_ROLE}`],
  ["build", BUILD_ROLE, "codebuild:CreateReport", `arn:aws:codebuild:${REGION}:${ACCOUNT}:report-group/other-project-tests`],
  ["build", BUILD_ROLE, "codedeploy:CreateDeployment", group("prod")],
  // A scan may not change the toolkit the next one runs, report elsewhere, deploy, or reach a secret.
  ["build", SCAN_ROLE, "s3:PutObject", `arn:aws:s3:::${BUCKET}/scan-toolkit/0123456789abcdef/scan.js`],
  ["build", SCAN_ROLE, "codebuild:CreateReport", `arn:aws:codebuild:${REGION}:${ACCOUNT}:report-group/${BUILD_PROJECT}-unit-tests`],
  ["build", SCAN_ROLE, "codedeploy:CreateDeployment", group("prod")],
  ["build", SCAN_ROLE, "s3:ListBucket", `arn:aws:s3:::${BUCKET}`, { "s3:prefix": `${artifactPrefix(pipelineName(appName, "prod"))}/` }],
  ["build", SCAN_ROLE, "ssm:GetParameter", `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/${appName}/prod/GREETING`],
  ["build", SCAN_ROLE, "secretsmanager:GetSecretValue", `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${appName}/prod/DB-abcdef`],
  ["build", SCAN_ROLE, "s3:DeleteObject", object(artifactPrefix(pipelineName(appName, "prod")))],
  ...environments.flatMap(environmentDenials),
  ...environments.flatMap(acceptanceDenials),
  ...environments.flatMap(releaseDenials),
  ...environments.flatMap(runtimeDenials),
  ...BLUE_GREEN.flatMap(trafficDenials),
  ...environments.flatMap(containerDenials),
  ...CONTAINERS.flatMap((c): Case[] => [
    ["build", IMAGE_ROLE, "ecr:PutImage", repository("other")],
    ["build", IMAGE_ROLE, "ecr:DeleteRepository", repository(c)],
    ["build", IMAGE_ROLE, "ecr:SetRepositoryPolicy", repository(c)],
    ["build", IMAGE_ROLE, "iam:PassRole", containerNames("prod", c).executionArn],
    ["build", IMAGE_ROLE, "codedeploy:CreateDeployment", group("prod")],
  ]),
  ...environments.flatMap((env) => SITES.flatMap((site) => siteDenials(env, site))),
  ...environments.map((env): Case => [`app-${env}`, forwardRole(env), "events:PutEvents", bus(env, "us-west-2")]),
  ...environments.map((env): Case => [`app-${env}`, forwardRole(env), "sns:Publish", `arn:aws:sns:${REGION}:${accountOf(env)}:x`]),
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
    // Implicitly for lack of a grant, or explicitly where a policy says so (the deploy role's own Deny statements).
    expect(["ImplicitlyDenied", "ExplicitlyDenied"]).toContain(await decide(stack, role, action, resource, context));
  });

  it("simulates every role with an inline policy, with something it must do and something it must not", () => {
    const roles = Object.entries(stacks).flatMap(([name, stack]) =>
      Object.entries<Json>(stack.resource?.aws_iam_role ?? {})
        .filter(([id]) => resourcesOf(stack, "aws_iam_role_policy").some((p) => p.role === `\${aws_iam_role.${id}.name}`))
        .map(([, role]) => `${name} ${role.name}`),
    );
    const withCase = (cases: Case[]) => new Set(cases.map(([stack, role]) => `${stack} ${role}`));
    const allowed = withCase(MUST_ALLOW);
    const denied = withCase(MUST_DENY);
    // build's and the scan project's roles; per environment the service's three and its
    // acceptance tests' and release steps', each site's two with its acceptance tests' and release
    // steps', and the alarm forwarder;
    // the traffic switch of each blue/green environment; per cross-account environment its
    // pipeline-actions role, its event forwarder and its alarm forwarder; each account bootstrap's deploy and read roles;
    // a plan and an apply role per GitHub environment (build's, and each environment's); the
    // people roles the shipped files ask for (dev's operator, prod's operator and reader).
    expect(SITES.length).toBeGreaterThan(0);
    expect(BLUE_GREEN).toEqual(["prod"]);
    expect(CROSS_ACCOUNT).toEqual(["hotfix", "prod"]);
    expect(CI.map((c) => c.githubEnvironment)).toEqual(["build", "demo", "dev", "hotfix", "production", "qa", "staging"]);
    // Each container: the image build's role in build; per environment its pipeline's, acceptance
    // tests', release steps', scan gate's, tasks' execution and deploy step's roles, and in
    // blue/green its CodeDeploy role (its task role has no policy: the application gets nothing).
    expect(CONTAINERS).toEqual(["orders"]);
    expect(roles.length).toBe(
      3 +
        environments.length * (3 + 2 + 4 * SITES.length + 6 * CONTAINERS.length + 1) +
        BLUE_GREEN.length * (1 + CONTAINERS.length) +
        3 * CROSS_ACCOUNT.length +
        2 +
        2 * CI.length +
        3,
    );
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
    return simulate({
      principal,
      identities: identity ? [identity] : [],
      resourcePolicy,
      action,
      resource,
      resourceAccount: ACCOUNT,
      context,
    });
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
  const topic = (env: string) => `arn:aws:sns:${REGION}:${accountOf(env)}:${environmentPrefix(appName, env)}-alerts`;
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
          // Someone of production's account (docs/environments.md, "Hotfix").
          principal: `arn:aws:iam::${accountOf("prod")}:role/release-manager`,
          resource: { accountId: resourceAccount(resource, accountOf("prod")), resource },
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

/**
 * The paths between accounts (docs/accounts.md): a request crosses only when the identity policy
 * in one account and the resource policy in the other (a role's trust, the bucket's, the key's)
 * both allow it. Each principal here may do everything by its own IAM policy: only the other
 * side's policy can stop it.
 */
describe("cross-account paths", () => {
  const EVERYTHING = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };
  const PROD = accountOf("prod");
  const OUTSIDER = "444455556666";
  const role = (account: string, name: string) => `arn:aws:iam::${account}:role/${name}`;

  /** `principal`, allowed everything by its own account, asks for `action` on `resource` (owned by `owner`). */
  async function decideAs(principal: string, action: string, resource: string, context: Record<string, string> = {}) {
    const account = principal.split(":")[4];
    const resourcePolicy =
      action.startsWith("kms:") && resource === ARTIFACT_KEY
        ? simulatedKeyPolicy(artifactKeyPolicy())
        : resourcePolicyFor(action, resource);
    return simulate({
      principal,
      identities: [EVERYTHING],
      resourcePolicy,
      action,
      resource,
      resourceAccount: resourceAccount(resource, account),
      context: { "aws:PrincipalArn": principal, "aws:PrincipalAccount": account, ...context },
    });
  }

  const deployRole = role(PROD, `${appName}-deploy`);
  const prodPrefix = object(artifactPrefix(pipelineName(appName, "prod")));
  const devPrefix = object(artifactPrefix(pipelineName(appName, "dev")));

  it("the deploy role of production's account: only the tooling account's named deployers may assume it", async () => {
    expect(config.project.accounts.deployers).toEqual([role(ACCOUNT, `${appName}-deployer`)]);
    expect(await decideAs(role(ACCOUNT, `${appName}-deployer`), "sts:AssumeRole", deployRole)).toBe("Allowed");
    expect(await decideAs(role(ACCOUNT, "someone-else"), "sts:AssumeRole", deployRole)).toBe("ImplicitlyDenied");
    // Not even the dev environment's pipeline, nor anyone of production's own account or another.
    expect(await decideAs(role(ACCOUNT, `${pipelineName(appName, "dev")}-pipeline`), "sts:AssumeRole", deployRole)).toBe(
      "ImplicitlyDenied",
    );
    expect(await decideAs(role(PROD, `${appName}-prod-instance`), "sts:AssumeRole", deployRole)).toBe("ImplicitlyDenied");
    expect(await decideAs(role(OUTSIDER, `${appName}-deployer`), "sts:AssumeRole", deployRole)).toBe("ImplicitlyDenied");
  });

  it("the read role of production's account: the tooling account's planners and deployers, and nobody else", async () => {
    const readRole = role(PROD, `${appName}-read`);
    expect(config.project.accounts.planners).toEqual([role(ACCOUNT, `${appName}-planner`)]);
    expect(await decideAs(role(ACCOUNT, `${appName}-planner`), "sts:AssumeRole", readRole)).toBe("Allowed");
    expect(await decideAs(role(ACCOUNT, `${appName}-deployer`), "sts:AssumeRole", readRole)).toBe("Allowed");
    expect(await decideAs(role(ACCOUNT, "someone-else"), "sts:AssumeRole", readRole)).toBe("ImplicitlyDenied");
    // A planner never reaches the deploy role.
    expect(await decideAs(role(ACCOUNT, `${appName}-planner`), "sts:AssumeRole", deployRole)).toBe("ImplicitlyDenied");
  });

  it("an environment's pipeline-actions role: only its own pipelines may assume it, not dev's nor hotfix's", async () => {
    const actions = role(PROD, actionsRole("prod"));
    expect(await decideAs(role(ACCOUNT, `${pipelineName(appName, "prod")}-pipeline`), "sts:AssumeRole", actions)).toBe("Allowed");
    expect(await decideAs(role(ACCOUNT, `${sitePipelineName(appName, "prod", SITES[0])}-pipeline`), "sts:AssumeRole", actions)).toBe(
      "Allowed",
    );
    expect(await decideAs(role(ACCOUNT, `${pipelineName(appName, "dev")}-pipeline`), "sts:AssumeRole", actions)).toBe("ImplicitlyDenied");
    expect(await decideAs(role(ACCOUNT, `${pipelineName(appName, "hotfix")}-pipeline`), "sts:AssumeRole", actions)).toBe(
      "ImplicitlyDenied",
    );
    expect(await decideAs(role(PROD, `${appName}-deploy`), "sts:AssumeRole", actions)).toBe("ImplicitlyDenied");
  });

  it("the artifact bucket: production's account reads its own environments' prefixes, through its own roles, and nothing more", async () => {
    expect(await decideAs(role(PROD, `${appName}-prod-instance`), "s3:GetObject", prodPrefix)).toBe("Allowed");
    expect(
      await decideAs(role(PROD, `${appName}-hotfix-instance`), "s3:GetObject", object(artifactPrefix(pipelineName(appName, "hotfix")))),
    ).toBe("Allowed");
    // Another environment's prefix (dev runs in the tooling account), a write, a role outside the app's, another account.
    expect(await decideAs(role(PROD, `${appName}-prod-instance`), "s3:GetObject", devPrefix)).toBe("ImplicitlyDenied");
    expect(await decideAs(role(PROD, `${appName}-prod-instance`), "s3:PutObject", prodPrefix)).toBe("ImplicitlyDenied");
    expect(await decideAs(role(PROD, "admin"), "s3:GetObject", prodPrefix)).toBe("ImplicitlyDenied");
    expect(await decideAs(role(OUTSIDER, `${appName}-prod-instance`), "s3:GetObject", prodPrefix)).toBe("ImplicitlyDenied");
  });

  it("the artifact key: production's roles decrypt through S3 only, as the bucket policy's grantees", async () => {
    const viaS3 = { "kms:ViaService": `s3.${REGION}.amazonaws.com` };
    expect(await decideAs(role(PROD, `${appName}-prod-instance`), "kms:Decrypt", ARTIFACT_KEY, viaS3)).toBe("Allowed");
    expect(await decideAs(role(PROD, `${appName}-prod-instance`), "kms:Decrypt", ARTIFACT_KEY)).toBe("ImplicitlyDenied");
    expect(await decideAs(role(PROD, `${appName}-prod-instance`), "kms:Encrypt", ARTIFACT_KEY, viaS3)).toBe("ImplicitlyDenied");
    expect(await decideAs(role(PROD, "admin"), "kms:Decrypt", ARTIFACT_KEY, viaS3)).toBe("ImplicitlyDenied");
    expect(await decideAs(role(OUTSIDER, `${appName}-prod-instance`), "kms:Decrypt", ARTIFACT_KEY, viaS3)).toBe("ImplicitlyDenied");
  });

  it("every role of production's account carries the boundary, which lets the CodeDeploy agent and Session Manager work", async () => {
    const roles = Object.values<Json>(stacks["app-prod"].resource.aws_iam_role).filter((r) => r.provider !== "aws.tooling");
    expect(roles.length).toBeGreaterThan(4);
    for (const r of roles)
      expect([r.name, r.permissions_boundary]).toEqual([
        r.name,
        "${data.terraform_remote_state.bootstrap.outputs.permissions_boundary_arn}",
      ]);
    const instance = `${appName}-prod-instance`;
    expect(boundaryOfRole("app-prod", instance)).toBeDefined();
    expect(await decide("app-prod", instance, "codedeploy-commands-secure:PollHostCommand", "*")).toBe("Allowed");
    // AmazonSSMManagedInstanceCore (a managed policy, not simulated here) needs these; the boundary must not cut them.
    const boundaryActions = [boundaryOfRole("app-prod", instance)!.Statement].flat().flatMap((st: Json) => [st.Action].flat());
    expect(boundaryActions).toEqual(expect.arrayContaining(["ssm:*", "ssmmessages:*", "ec2messages:*"]));
  });

  it("each environment account's key grant requires S3's encryption context of the artifact bucket (not simulated: see simulatedKeyPolicy)", () => {
    const grants = [artifactKeyPolicy().Statement]
      .flat()
      .filter((st: Json) => JSON.stringify(st.Principal ?? {}).includes(`:${PROD}:root`));
    // One per environment of the account (hotfix and prod), each for its own roles.
    expect(grants.map((g: Json) => g.Condition.ArnLike["aws:PrincipalArn"])).toEqual([
      role(PROD, `${appName}-hotfix-*`),
      role(PROD, `${appName}-prod-*`),
    ]);
    for (const g of grants) {
      expect(g.Condition.StringLike["kms:EncryptionContext:aws:s3:arn"]).toEqual([`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`]);
    }
  });

  it("the event bus of production's account takes events from the forwarding rules of its environments only", async () => {
    const forwarder = role(ACCOUNT, forwarding("prod"));
    expect(await decideAs(forwarder, "events:PutEvents", bus("prod", REGION), { "aws:SourceArn": ruleArn("prod") })).toBe("Allowed");
    expect(await decideAs(forwarder, "events:PutEvents", bus("prod", REGION), { "aws:SourceArn": ruleArn("dev") })).toBe(
      "ImplicitlyDenied",
    );
    expect(await decideAs(role(OUTSIDER, "x"), "events:PutEvents", bus("prod", REGION), { "aws:SourceArn": ruleArn("prod") })).toBe(
      "ImplicitlyDenied",
    );
  });

  it("production's topic and key take approval requests from production's pipelines only", async () => {
    const prodPipeline = role(ACCOUNT, `${pipelineName(appName, "prod")}-pipeline`);
    const viaSns = { "kms:ViaService": `sns.${REGION}.amazonaws.com` };
    expect(await decideAs(prodPipeline, "sns:Publish", topicOf("prod"))).toBe("Allowed");
    expect(await decideAs(prodPipeline, "kms:GenerateDataKey", ENV_KEY("app-prod"), viaSns)).toBe("Allowed");
    expect(await decideAs(prodPipeline, "kms:GenerateDataKey", ENV_KEY("app-prod"))).toBe("ImplicitlyDenied");
    const devPipeline = role(ACCOUNT, `${pipelineName(appName, "dev")}-pipeline`);
    expect(await decideAs(devPipeline, "sns:Publish", topicOf("prod"))).toBe("ImplicitlyDenied");
    expect(await decideAs(devPipeline, "kms:GenerateDataKey", ENV_KEY("app-prod"), viaSns)).toBe("ImplicitlyDenied");
  });
});

/**
 * Who may assume a CI role: the role's trust as AWS evaluates a GitHub token's claims. The safe
 * simulation keeps only the condition keys its IAM data lists for the action, and that list lacks
 * GitHub's `token.actions.githubusercontent.com:sub` and `:aud` (the keys AWS's own guide uses), so
 * these requests go through the simulator's unsafe entry point, which takes the context as given;
 * the trust is passed as a validated policy (its `{ __validated, policyDocument, metadata }` form),
 * which that entry point needs to name it.
 */
describe("CI roles: GitHub's OIDC tokens", () => {
  const PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
  const REPOSITORY = config.project.ci!.repository;
  const assume = (roleArn: string, claims: { sub: string; aud?: string }) => {
    const trust = trustPolicyOf(roleArn);
    if (!trust) throw new Error(`no trust policy for ${roleArn}`);
    return runUnsafeSimulation(
      {
        identityPolicies: [],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: { __validated: true, policyDocument: trust, metadata: { name: "trust" }, errors: [] } as unknown as Json,
        request: {
          action: "sts:AssumeRoleWithWebIdentity",
          principal: PROVIDER,
          resource: { accountId: ACCOUNT, resource: roleArn },
          contextVariables: {
            "token.actions.githubusercontent.com:sub": claims.sub,
            "token.actions.githubusercontent.com:aud": claims.aud ?? "sts.amazonaws.com",
          },
        },
      },
      {},
    ) as unknown as string;
  };
  const token = (environment: string, repository = REPOSITORY) => ({ sub: githubEnvironmentSubject(repository, environment) });

  it("each trust names the tooling account's GitHub provider (the ci stack's own)", () => {
    for (const ci of CI) {
      for (const arn of [ci.applyRoleArn, ci.planRoleArn])
        expect([trustPolicyOf(arn)!.Statement].flat()[0].Principal).toEqual({ Federated: PROVIDER });
    }
  });

  it.each(CI.map((c) => [c.githubEnvironment, c] as const))(
    "%s: its apply role takes its environment's tokens only, its plan role its plan environment's only",
    (_, ci) => {
      expect(assume(ci.applyRoleArn, token(ci.githubEnvironment))).toBe("Allowed");
      expect(assume(ci.planRoleArn, token(ci.planEnvironment))).toBe("Allowed");
      // Another GitHub environment's token: neither role.
      for (const other of CI.filter((o) => o !== ci)) {
        expect([other.githubEnvironment, assume(ci.applyRoleArn, token(other.githubEnvironment))]).toEqual([
          other.githubEnvironment,
          "ImplicitlyDenied",
        ]);
        expect([other.planEnvironment, assume(ci.planRoleArn, token(other.planEnvironment))]).toEqual([
          other.planEnvironment,
          "ImplicitlyDenied",
        ]);
      }
      // A plan job cannot apply, and the apply environment's token is not a plan's.
      expect(assume(ci.applyRoleArn, token(ci.planEnvironment))).toBe("ImplicitlyDenied");
      expect(assume(ci.planRoleArn, token(ci.githubEnvironment))).toBe("ImplicitlyDenied");
    },
  );

  it.each<[string, { sub: string; aud?: string }]>([
    ["another repository's job in the same environment", token("production", "example-org/other-repo")],
    ["a fork's, with the same repository name", token("production", "someone/webapp-infra")],
    ["a job outside any environment (a push to main)", { sub: `repo:${REPOSITORY}:ref:refs/heads/main` }],
    ["a pull request's job", { sub: `repo:${REPOSITORY}:pull_request` }],
    ["a token for another audience", { ...token("production"), aud: "https://example.com" }],
  ])("production's apply role refuses %s", (_, claims) => {
    const production = CI.find((c) => c.githubEnvironment === "production")!;
    expect(assume(production.applyRoleArn, token("production"))).toBe("Allowed");
    expect(assume(production.applyRoleArn, claims)).toBe("ImplicitlyDenied");
  });
});

/**
 * The boundary is what makes the apply role's IAM rights safe: a role it creates, even with
 * AdministratorAccess as its own policy, can do no more than the boundary of its GitHub environment.
 */
describe("CI: a role an apply role creates stays within its GitHub environment's boundary", () => {
  const ADMIN = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };
  const asAdmin = (ci: (typeof CI)[number], action: string, resource: string, context: Record<string, string> = {}) => {
    const principal = roleIn(ACCOUNT, `${appName}-made-by-ci`);
    return simulate({
      principal,
      identities: [ADMIN],
      boundary: ciBoundaryPolicy(ci.boundaryArn),
      resourcePolicy: resourcePolicyFor(action, resource),
      action,
      resource,
      resourceAccount: resourceAccount(resource),
      context: { "aws:PrincipalArn": principal, "aws:PrincipalAccount": ACCOUNT, ...context },
    });
  };
  const dev = CI.find((c) => c.githubEnvironment === "dev")!;
  const production = CI.find((c) => c.githubEnvironment === "production")!;

  it("may do its environment's work: build on the shared project, read its artifacts, but not start pipelines", async () => {
    expect(await asAdmin(dev, "codebuild:StartBuild", `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/${BUILD_PROJECT}`)).toBe("Allowed");
    expect(await asAdmin(dev, "s3:GetObject", object(artifactPrefix(dev.pipelines[0])))).toBe("Allowed");
    // No role the stacks create calls CodePipeline: the boundary grants none of it.
    expect(await asAdmin(dev, "codepipeline:StartPipelineExecution", `arn:aws:codepipeline:${REGION}:${ACCOUNT}:${dev.pipelines[0]}`)).toBe(
      "ImplicitlyDenied",
    );
  });

  it.each<[string, string, Record<string, string>?]>([
    ["codepipeline:PutApprovalResult", APPROVAL(production.pipelines[0])],
    ["codepipeline:UpdatePipeline", `arn:aws:codepipeline:${REGION}:${ACCOUNT}:${production.pipelines[0]}`],
    ["s3:PutObject", STATE("app-prod")],
    ["s3:PutObject", object(artifactPrefix(production.pipelines[0]))],
    ["s3:PutBucketPolicy", STATE_BUCKET],
    ["kms:PutKeyPolicy", ARTIFACT_KEY, { "kms:ResourceAliases": `alias/${appName}-artifacts` }],
    ["codebuild:UpdateProject", `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/${BUILD_PROJECT}`],
    ["iam:CreateRole", roleIn(ACCOUNT, `${appName}-anything`)],
    ["iam:UpdateAssumeRolePolicy", production.applyRoleArn],
    ["sts:AssumeRole", production.applyRoleArn],
  ])("dev's may not %s on %s", async (...[action, resource, context]: [string, string, Record<string, string>?]) => {
    expect(["ImplicitlyDenied", "ExplicitlyDenied"]).toContain(await asAdmin(dev, action, resource, context));
  });
});

describe("production's approvals", () => {
  // Every pipeline of production (the service's and each site's), and every role with a policy of
  // its own; the others hold only AWS's ReadOnlyAccess, which approves nothing.
  const production = CI.find((c) => c.githubEnvironment === "production")!;
  const pipelines = production.pipelines.filter((p) => p.startsWith("prod-"));

  it.each(pipelines)(
    "only production's operator role and its CI apply role may approve %s, of every role the project makes",
    async (pipeline) => {
      const approvers: string[] = [];
      for (const [name, stack] of Object.entries(stacks)) {
        for (const [id, role] of Object.entries<Json>(stack.resource?.aws_iam_role ?? {})) {
          if (!resourcesOf(stack, "aws_iam_role_policy").some((p) => p.role === `\${aws_iam_role.${id}.name}`)) continue;
          if ((await decide(name, role.name, "codepipeline:PutApprovalResult", APPROVAL(pipeline))) === "Allowed")
            approvers.push(`${name} ${role.name}`);
        }
      }
      expect(approvers.sort()).toEqual([`ci ${roleNameOf(production.applyRoleArn)}`, `ci ${PEOPLE("prod", "operator")}`].sort());
    },
  );

  it("covers the service's pipeline and each site's", () => {
    expect(pipelines.length).toBe(1 + SITES.length);
  });
});
