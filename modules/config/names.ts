/**
 * Names derived from the configuration. Each is part of the contract with AWS: changing one
 * renames (and so replaces) resources, or moves a stack's state.
 */

export const BUILD_STACK = "build";

export function appStackName(environment: string): string {
  return `app-${environment}`;
}

/** Prefix of an environment's resource names; ALB and target group names allow 32 characters. */
export function environmentPrefix(appName: string, environment: string): string {
  return `${appName}-${environment}`;
}

export const MAX_ENVIRONMENT_PREFIX_LENGTH = 32;

/**
 * The two fleets of a blue/green environment (docs/blue-green.md, "Blue/green"). Blue is the environment's
 * fleet as an in-place deployment has it, same names and addresses: turning blue/green on adds
 * green beside it and replaces nothing. Green's Auto Scaling group, target group, deployment group
 * and alarms take the suffix "-green" (in names and construct ids).
 */
export const SLOTS = ["blue", "green"] as const;
export type Slot = (typeof SLOTS)[number];

/** "" for blue (the in-place names), "-green" for green. */
export function slotSuffix(slot: Slot | undefined): string {
  return slot === undefined || slot === SLOTS[0] ? "" : `-${slot}`;
}

/** The longest slot suffix ("-green"), which a blue/green environment's prefix must leave room for. */
export const SLOT_SUFFIX_LENGTH = Math.max(...SLOTS.map((s) => slotSuffix(s).length));

/**
 * Where a blue/green environment records which fleet serves: a String parameter beside (not under)
 * the environment's runtime path `/<app>/<env>`, so that the instances' GetParametersByPath never
 * reads it. Environment names hold no dot, so no other environment's path can contain it.
 */
export function liveSlotParameter(appName: string, environment: string): string {
  return `/${appName}/${environment}.live-slot`;
}

/** The CodeBuild project (and its role) that moves a blue/green environment's traffic. */
export function trafficProjectName(prefix: string): string {
  return `${prefix}-traffic`;
}

/**
 * CodePipeline stores a pipeline's artifacts under the first 20 characters of its name in the
 * artifact bucket. The environment comes first so that prefixes stay distinct per environment.
 */
export function pipelineName(appName: string, environment: string): string {
  return `${environment}-${appName}`;
}

/**
 * A static site's pipeline in an environment: the site before the application, so that its
 * artifact prefix differs from the service's and from other sites' (checked across the project).
 */
export function sitePipelineName(appName: string, environment: string, site: string): string {
  return `${environment}-${site}-${appName}`;
}

/** The pipeline of one workload in an environment: the service's, or a static site's. */
export function workloadPipelineName(
  appName: string,
  environment: string,
  workload: { readonly kind: string; readonly name: string },
): string {
  return workload.kind === "service" ? pipelineName(appName, environment) : sitePipelineName(appName, environment, workload.name);
}

export const ARTIFACT_PREFIX_LENGTH = 20;

export function artifactPrefix(pipeline: string): string {
  return pipeline.slice(0, ARTIFACT_PREFIX_LENGTH);
}

export function defaultBranch(environment: string): string {
  return `deploy/${environment}`;
}

/** The build stack's names that share a namespace with an environment's (modules/stacks/build-stack.ts). */
export function artifactKeyAlias(appName: string): string {
  return `${appName}-artifacts`;
}
export function artifactBucketName(appName: string, accountId: string, region: string): string {
  return `${appName}-artifacts-${accountId}-${region}`;
}
/** The account's access-log bucket, beside the artifact bucket (modules/constructs/access-log-bucket.ts). */
export function accessLogBucketName(appName: string, accountId: string, region: string): string {
  return `${appName}-access-logs-${accountId}-${region}`;
}

/**
 * The kinds of access log in the access-log bucket, each under its own top-level prefix, so that
 * each kind has its own lifecycle rule and bucket policy statement.
 */
export const ACCESS_LOG_KINDS = {
  /** An environment's ALB: one request per line. */
  albAccess: "alb-access",
  /** An environment's ALB: one line per connection (client, TLS protocol and cipher, handshake failures). */
  albConnection: "alb-connection",
  /** S3 server access logs of the project's buckets. */
  s3Access: "s3-access",
  /** CloudFront standard logging (v2) of each static site's distribution. */
  cloudfrontAccess: "cloudfront-access",
} as const;

export type AccessLogKind = keyof typeof ACCESS_LOG_KINDS;

/**
 * Where one source writes one kind of log: `<kind>/<source>` (an environment's name, or a bucket's).
 * ALB log delivery then appends AWSLogs/<account>/elasticloadbalancing/<region>/<date>/..., S3
 * <account>/<region>/<bucket>/<date>/... (its partitioned key format).
 */
export function accessLogPrefix(kind: AccessLogKind, source: string): string {
  return `${ACCESS_LOG_KINDS[kind]}/${source}`;
}

/** Prefix of a static site's names in an environment: `<appName>-<env>-<site>`. */
export function sitePrefix(appName: string, environment: string, site: string): string {
  return `${environmentPrefix(appName, environment)}-${site}`;
}

/** A static site's bucket; bucket names are global, so the account is in it. */
export function siteBucketName(appName: string, environment: string, site: string, accountId: string): string {
  return `${sitePrefix(appName, environment, site)}-${accountId}`;
}

/**
 * An environment's Parameter Store path, `/<appName>/<env>`: its settings below `settings/`, and
 * below `secrets/` one parameter per secret naming it, so that one GetParametersByPath finds both.
 */
export function parameterPath(appName: string, environment: string): string {
  return `/${appName}/${environment}`;
}
export function settingParameterName(appName: string, environment: string, setting: string): string {
  return `${parameterPath(appName, environment)}/settings/${setting}`;
}
export function secretReferenceParameterName(appName: string, environment: string, secret: string): string {
  return `${parameterPath(appName, environment)}/secrets/${secret}`;
}
/** An environment's secret in Secrets Manager: `<appName>/<env>/<NAME>`. */
export function secretName(appName: string, environment: string, secret: string): string {
  return `${appName}/${environment}/${secret}`;
}

export function buildProjectName(appName: string): string {
  return `${appName}-build`;
}
/** The CodeBuild project that scans every workload's source (modules/constructs/scan-project.ts). */
export function scanProjectName(appName: string): string {
  return `${appName}-scan`;
}
/** The CodeBuild project that builds every container workload's image (modules/constructs/image-build-project.ts). */
export function imageProjectName(appName: string): string {
  return `${appName}-image`;
}
/** A container workload's ECR repository, in the tooling account: one for all its environments. */
export function imageRepositoryName(appName: string, workload: string): string {
  return `${appName}/${workload}`;
}
/** Its URI, as the build pushes to it and the tasks pull from it. */
export function imageRepositoryUri(
  project: { readonly appName: string; readonly accountId: string; readonly region: string },
  workload: string,
): string {
  return `${project.accountId}.dkr.ecr.${project.region}.amazonaws.com/${imageRepositoryName(project.appName, workload)}`;
}
export function connectionName(appName: string): string {
  return `${appName}-github`;
}

/** Account-wide namespaces in which build's and the environments' names must not meet. */
export type NameSpace = "KMS alias" | "IAM role" | "SNS topic" | "CloudWatch log group";

/** The names build takes in each shared namespace. */
export function buildNames(appName: string): Record<NameSpace, string[]> {
  const projects = [buildProjectName(appName), scanProjectName(appName)];
  return {
    "KMS alias": [artifactKeyAlias(appName)],
    "IAM role": projects.map((p) => `${p}-codebuild`),
    "SNS topic": [],
    "CloudWatch log group": projects.map((p) => `/aws/codebuild/${p}`),
  };
}

/** The names an environment takes in the same namespaces (modules/stacks/app-stack.ts and its constructs). */
export function environmentNames(appName: string, environment: string): Record<NameSpace, string[]> {
  const prefix = environmentPrefix(appName, environment);
  return {
    "KMS alias": [prefix],
    "IAM role": [
      `${prefix}-instance`,
      `${prefix}-codedeploy`,
      `${pipelineName(appName, environment)}-pipeline`,
      trafficProjectName(prefix),
      `${prefix}-acceptance`,
      `${prefix}-release`,
    ],
    "SNS topic": [`${prefix}-alerts`],
    "CloudWatch log group": [
      `/${appName}/${environment}/application`,
      `/aws/codebuild/${trafficProjectName(prefix)}`,
      `/aws/codebuild/${prefix}-acceptance`,
      `/aws/codebuild/${prefix}-release`,
    ],
  };
}

/**
 * The stack that bootstraps an environment account once (modules/stacks/bootstrap-stack.ts): one
 * per account, shared by every environment that runs there.
 */
export function bootstrapStackName(accountId: string): string {
  return `bootstrap-${accountId}`;
}

/** The role in an environment account that Terraform assumes to deploy there (from the tooling account). */
export function deployRoleName(appName: string): string {
  return `${appName}-deploy`;
}

/** The role in an environment account that read-only plans assume (pull requests, drift). */
export function readRoleName(appName: string): string {
  return `${appName}-read`;
}

/**
 * The Terraform variable that picks the role a cross-account stack's provider assumes: "deploy"
 * (the default: `cdktf deploy`, `npm run apply`) or "read" (`npm run plan -- --no-lock`). It is
 * ephemeral: not kept in a saved plan, and set again when the plan is applied, so that a plan made
 * read-only is applied with the deploy role (modules/stacks/app-stack.ts).
 */
export const ACCOUNT_ACCESS_VARIABLE = "account_access";

/** The permission boundary that every role created in an environment account carries. */
export function roleBoundaryName(appName: string): string {
  return `${appName}-boundary`;
}

/**
 * The role in an environment's account that its pipelines' deploy actions run as (CodePipeline
 * user guide, "Create a pipeline in CodePipeline that uses resources from another AWS account").
 */
export function pipelineActionsRoleName(appName: string, environment: string): string {
  return `${environmentPrefix(appName, environment)}-pipeline-actions`;
}

/**
 * The rule (and its role) in an environment's own account that sends its alarms' state changes to
 * the tooling account, where the delivery dashboard reads the time to restore.
 */
export function alarmForwardingName(appName: string, environment: string): string {
  return `${environmentPrefix(appName, environment)}-forward-alarms`;
}

/** The rule (and its role) in the tooling account that sends an environment's pipeline events to its account. */
export function eventForwardingName(appName: string, environment: string): string {
  return `${environmentPrefix(appName, environment)}-forward-events`;
}

/**
 * The stack of CI's identities in the tooling account (modules/stacks/ci-stack.ts): the GitHub OIDC
 * provider and a plan role and an apply role per GitHub environment. An administrator deploys it
 * once, before build; CI never deploys it.
 */
export const CI_STACK = "ci";

/** The host of GitHub Actions' OIDC tokens: the provider's URL and the prefix of its condition keys. */
export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";

/**
 * The IAM path of the CI roles: no app stack's role is on it (theirs are `/<appName>-*`), so the
 * apply roles, allowed the app's roles, can never touch their own.
 */
export const CI_ROLE_PATH = "/ci/";

/**
 * The GitHub environment a stack's plans run in (pull requests, the drift check, deploy's plan
 * job): no required reviewers, any branch, and the plan role in its variables. The stack's own
 * GitHub environment (reviewers, the apply role) gates only the apply.
 */
export function planEnvironmentName(githubEnvironment: string): string {
  return `${githubEnvironment}-plan`;
}

/**
 * The CI role of a GitHub environment, on CI_ROLE_PATH: `<appName>-github-<environment>-plan|apply`
 * (and the permission boundary of the roles its apply role creates, `-boundary`),
 * the environment's name lowercased with what IAM refuses in a name (spaces) as hyphens.
 */
export function ciRoleName(appName: string, githubEnvironment: string, kind: "plan" | "apply" | "boundary"): string {
  return `${appName}-github-${githubEnvironmentSlug(githubEnvironment)}-${kind}`;
}

/** A GitHub environment's name as IAM takes it in a role name: lowercase, spaces as hyphens. */
export function githubEnvironmentSlug(githubEnvironment: string): string {
  return githubEnvironment.toLowerCase().replace(/[^a-z0-9_.-]/g, "-");
}

/**
 * The IAM path of the people roles (the ci stack): out of reach of every CI apply role, as
 * CI_ROLE_PATH is.
 */
export const PEOPLE_ROLE_PATH = "/people/";

/** An environment's people role, on PEOPLE_ROLE_PATH: `<appName>-<env>-operator` or `-reader`. */
export function peopleRoleName(appName: string, environment: string, kind: "operator" | "reader"): string {
  return `${environmentPrefix(appName, environment)}-${kind}`;
}
