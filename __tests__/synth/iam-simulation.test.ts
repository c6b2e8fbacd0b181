import { runSimulation, type Simulation } from "@cloud-copilot/iam-simulate";
import { BUILD_OUTPUTS, type BuildOutputKey } from "../../modules/stacks/contract";
import { resourcesOf, shippedConfig, synthAll, type Json } from "../support/helpers";

// Least privilege, proven with an IAM policy evaluator (@cloud-copilot/iam-simulate) over the
// inline policies of every role as synthesized, together with the artifact key's and bucket's
// resource policies, each Terraform reference replaced by the ARN it resolves to.
const config = shippedConfig();
const { accountId: ACCOUNT, region: REGION, appName } = config.project;
const stacks = synthAll(config);

const BUCKET = `${appName}-artifacts-${ACCOUNT}-${REGION}`;
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
};
const OUTPUT_BY_NAME = Object.fromEntries(
  (Object.keys(BUILD_OUTPUTS) as BuildOutputKey[]).map((k) => [BUILD_OUTPUTS[k].name, BUILD_OUTPUT_VALUES[k]]),
);

/** What `${type.id.attribute}` resolves to, from the referenced resource's configuration. */
function resolveReference(stack: Json, type: string, id: string, attribute: string): string {
  const r: Json = stack.resource?.[type]?.[id];
  if (!r) throw new Error(`unknown reference ${type}.${id}`);
  const arns: Record<string, () => string> = {
    aws_s3_bucket: () => `arn:aws:s3:::${r.bucket}`,
    aws_kms_key: () => (stack === stacks.build ? ARTIFACT_KEY : `arn:aws:kms:${REGION}:${ACCOUNT}:key/bbbbbbbb-0000-4000-8000-${id.length.toString().padStart(12, "0")}`),
    aws_cloudwatch_log_group: () => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${r.name}`,
    aws_sns_topic: () => `arn:aws:sns:${REGION}:${ACCOUNT}:${r.name}`,
    aws_codebuild_project: () => `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/${r.name}`,
  };
  if (attribute === "arn" && arns[type]) return arns[type]();
  if (type === "aws_s3_bucket" && (attribute === "bucket" || attribute === "id")) return r.bucket;
  throw new Error(`no resolution for ${type}.${id}.${attribute}`);
}

function resolve(stack: Json, text: string): string {
  return text
    .replace(/\$\{data\.terraform_remote_state\.build\.outputs\.([a-z_]+)\}/g, (_, name) => OUTPUT_BY_NAME[name])
    .replace(/\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}/g, (_, type, id, attr) => resolveReference(stack, type, id, attr));
}

/** The role's inline policy, references resolved. */
function policyOfRole(stackName: string, roleName: string): Json {
  const stack = stacks[stackName];
  const p = resourcesOf(stack, "aws_iam_role_policy").find((r) => r.name === `${roleName}-policy`);
  if (!p) throw new Error(`no inline policy for ${roleName} in ${stackName}`);
  const text = resolve(stack, p.policy);
  expect(text).not.toContain("${");
  return JSON.parse(text);
}

/** The resource policy AWS evaluates with the request: the artifact key's, or the bucket's. */
function resourcePolicyFor(action: string, resource: string): Json | undefined {
  const only = (type: string) => {
    const [r] = resourcesOf(stacks.build, type);
    return JSON.parse(resolve(stacks.build, r.policy));
  };
  if (action.startsWith("kms:") && resource === ARTIFACT_KEY) return only("aws_kms_key");
  if (action.startsWith("s3:") && resource.startsWith(`arn:aws:s3:::${BUCKET}`)) return only("aws_s3_bucket_policy");
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

const MUST_ALLOW: Case[] = [
  // Pipelines: start and read builds on the shared project, use the connection, their own artifacts and deployments.
  ["app-dev", "dev-webapp-pipeline", "codebuild:StartBuild", BUILD_OUTPUT_VALUES.buildProjectArn],
  ["app-dev", "dev-webapp-pipeline", "codebuild:BatchGetBuilds", BUILD_OUTPUT_VALUES.buildProjectArn],
  ["app-dev", "dev-webapp-pipeline", "codestar-connections:UseConnection", CONNECTION],
  ["app-dev", "dev-webapp-pipeline", "s3:PutObject", object("dev-webapp")],
  ["app-dev", "dev-webapp-pipeline", "s3:GetObject", object("dev-webapp")],
  ["app-dev", "dev-webapp-pipeline", "kms:GenerateDataKey", ARTIFACT_KEY],
  ["app-dev", "dev-webapp-pipeline", "kms:Decrypt", ARTIFACT_KEY],
  ["app-dev", "dev-webapp-pipeline", "codedeploy:CreateDeployment", group("dev")],
  ["app-prod", "prod-webapp-pipeline", "codedeploy:CreateDeployment", group("prod")],
  ["app-prod", "prod-webapp-pipeline", "s3:PutObject", object("prod-webapp")],
  // The shared build: logs, reports, every pipeline's artifacts with the key.
  ["build", "webapp-build-codebuild", "logs:PutLogEvents", `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/codebuild/webapp-build:log-stream:abc`],
  ["build", "webapp-build-codebuild", "codebuild:CreateReport", `arn:aws:codebuild:${REGION}:${ACCOUNT}:report-group/webapp-build-unit-tests`],
  ["build", "webapp-build-codebuild", "codebuild:BatchPutCodeCoverages", `arn:aws:codebuild:${REGION}:${ACCOUNT}:report-group/webapp-build-coverage`],
  ["build", "webapp-build-codebuild", "s3:GetObject", object("qa-webapp")],
  ["build", "webapp-build-codebuild", "s3:PutObject", object("prod-webapp")],
  ["build", "webapp-build-codebuild", "kms:GenerateDataKey", ARTIFACT_KEY],
  // Instances: their own environment's revisions (decrypted through S3) and their log group.
  ["app-dev", "webapp-dev-instance", "s3:GetObject", object("dev-webapp")],
  ["app-dev", "webapp-dev-instance", "kms:Decrypt", ARTIFACT_KEY, VIA_S3],
  ["app-dev", "webapp-dev-instance", "logs:PutLogEvents", `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/webapp/dev/application:log-stream:i-1/app`],
  ["app-dev", "webapp-dev-instance", "codedeploy-commands-secure:PollHostCommand", "*"],
  // CodeDeploy, for an Auto Scaling group with a launch template: launch and tag instances, pass the instance role to EC2.
  ["app-dev", "webapp-dev-codedeploy", "ec2:RunInstances", `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/*`],
  ["app-dev", "webapp-dev-codedeploy", "ec2:RunInstances", `arn:aws:ec2:${REGION}::image/ami-0123456789abcdef0`],
  ["app-dev", "webapp-dev-codedeploy", "ec2:CreateTags", `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0123456789abcdef0`, { "ec2:CreateAction": "RunInstances" }],
  ["app-dev", "webapp-dev-codedeploy", "iam:PassRole", `arn:aws:iam::${ACCOUNT}:role/webapp-dev-instance`, { "iam:PassedToService": "ec2.amazonaws.com" }],
];

const MUST_DENY: Case[] = [
  ["app-dev", "dev-webapp-pipeline", "s3:GetObject", object("prod-webapp")],
  ["app-dev", "dev-webapp-pipeline", "s3:PutObject", object("staging-webapp")],
  ["app-dev", "dev-webapp-pipeline", "s3:PutObject", `arn:aws:s3:::${BUCKET}/build-cache/x`],
  ["app-dev", "webapp-dev-instance", "s3:GetObject", object("prod-webapp")],
  ["app-dev", "webapp-dev-instance", "s3:PutObject", object("dev-webapp")],
  ["app-dev", "webapp-dev-instance", "kms:Decrypt", ARTIFACT_KEY, { "kms:ViaService": `sns.${REGION}.amazonaws.com` }],
  ["build", "webapp-build-codebuild", "iam:CreateRole", `arn:aws:iam::${ACCOUNT}:role/anything`],
  ["build", "webapp-build-codebuild", "iam:PassRole", `arn:aws:iam::${ACCOUNT}:role/webapp-prod-instance`],
  ["build", "webapp-build-codebuild", "iam:PutRolePolicy", `arn:aws:iam::${ACCOUNT}:role/webapp-build-codebuild`],
  ["build", "webapp-build-codebuild", "codebuild:CreateReport", `arn:aws:codebuild:${REGION}:${ACCOUNT}:report-group/other-project-tests`],
  ["app-dev", "dev-webapp-pipeline", "codedeploy:CreateDeployment", group("prod")],
  ["app-prod", "prod-webapp-pipeline", "codedeploy:CreateDeployment", group("dev")],
  ["app-qa", "qa-webapp-pipeline", "codedeploy:CreateDeployment", group("staging")],
  ["build", "webapp-build-codebuild", "codedeploy:CreateDeployment", group("prod")],
  ["app-dev", "webapp-dev-instance", "codedeploy:CreateDeployment", group("dev")],
  ["app-dev", "dev-webapp-pipeline", "codebuild:StartBuild", `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/other-project`],
  // The deploy role passes only its own environment's instance role, and only to EC2.
  ["app-dev", "webapp-dev-codedeploy", "iam:PassRole", `arn:aws:iam::${ACCOUNT}:role/webapp-prod-instance`, { "iam:PassedToService": "ec2.amazonaws.com" }],
  ["app-dev", "webapp-dev-codedeploy", "iam:PassRole", `arn:aws:iam::${ACCOUNT}:role/dev-webapp-pipeline`, { "iam:PassedToService": "ec2.amazonaws.com" }],
  ["app-dev", "webapp-dev-codedeploy", "iam:PassRole", `arn:aws:iam::${ACCOUNT}:role/webapp-dev-instance`, { "iam:PassedToService": "lambda.amazonaws.com" }],
  ["app-dev", "webapp-dev-codedeploy", "ec2:CreateTags", `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0123456789abcdef0`, { "ec2:CreateAction": "CreateTags" }],
  ["app-dev", "webapp-dev-codedeploy", "ec2:RunInstances", `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/*`],
];

describe("the artifact bucket's own policy", () => {
  it("denies a request without TLS even to a role allowed to read", async () => {
    expect(await decide("app-dev", "webapp-dev-instance", "s3:GetObject", object("dev-webapp"), { "aws:SecureTransport": "false" })).toBe(
      "ExplicitlyDenied",
    );
  });

  it("denies an upload asking for SSE-S3 instead of SSE-KMS", async () => {
    expect(
      await decide("app-dev", "dev-webapp-pipeline", "s3:PutObject", object("dev-webapp"), { "s3:x-amz-server-side-encryption": "AES256" }),
    ).toBe("ExplicitlyDenied");
    expect(
      await decide("app-dev", "dev-webapp-pipeline", "s3:PutObject", object("dev-webapp"), { "s3:x-amz-server-side-encryption": "aws:kms" }),
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

  it("simulates every role with an inline policy", () => {
    const simulated = new Set([...MUST_ALLOW, ...MUST_DENY].map(([stack, role]) => `${stack} ${role}`));
    const roles = Object.entries(stacks).flatMap(([name, s]) =>
      resourcesOf(s, "aws_iam_role_policy").map((p) => `${name} ${String(p.name).replace(/-policy$/, "")}`),
    );
    const covered = roles.filter((r) => simulated.has(r) || /-(pipeline|instance|codedeploy)$/.test(r.split(" ")[1]));
    expect(covered).toEqual(roles);
    expect(simulated.has("build webapp-build-codebuild")).toBe(true);
  });
});
