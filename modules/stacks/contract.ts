import { Construct } from "constructs";
import { DataTerraformRemoteStateS3, TerraformOutput, type TerraformStack } from "../lib/cdk";
import { DataAwsCodestarconnectionsConnection } from "@cdktf/provider-aws/lib/data-aws-codestarconnections-connection";
import { testStateEndpointSettings, type StateLocation } from "./state";
import { arn, PARTITION, type AccountScope } from "../lib/arn";
import type { PolicyStatement } from "../lib/policy";

/**
 * The contract between the build stack and the app stacks: the names of the outputs build
 * publishes and every app stack reads from build's remote state. Renaming one is a breaking change
 * (deployed app stacks read the old name until they are re-applied).
 */
export const BUILD_OUTPUTS = {
  artifactBucketName: { name: "artifact_bucket_name", description: "Name of the shared artifact bucket" },
  artifactBucketArn: { name: "artifact_bucket_arn", description: "ARN of the shared artifact bucket" },
  artifactKeyArn: { name: "artifact_key_arn", description: "ARN of the KMS key that encrypts artifacts" },
  buildProjectName: { name: "build_project_name", description: "Name of the shared CodeBuild project" },
  buildProjectArn: { name: "build_project_arn", description: "ARN of the shared CodeBuild project" },
  connectionArn: { name: "connection_arn", description: "ARN of the GitHub connection" },
  // Added with the scans (docs/pipelines.md, "Scans"): as for the access logs below, an app stack
  // planned against an older build state stops with readBuildOutputs' message until build is deployed again.
  scanProjectName: { name: "scan_project_name", description: "Name of the CodeBuild project that scans every workload's source" },
  scanProjectArn: { name: "scan_project_arn", description: "ARN of the scan project" },
  // Added with the access logs: an app stack planned against an older build state stops with the
  // message of readBuildOutputs' postcondition until build is deployed again.
  accessLogBucketName: { name: "access_log_bucket_name", description: "Name of the access-log bucket (ALB and S3 access logs)" },
  accessLogBucketArn: {
    name: "access_log_bucket_arn",
    description: "ARN of the access-log bucket (the destination a CloudFront log delivery names)",
  },
  // Added with the delivery events: build holds the one resource policy that lets EventBridge
  // write into every environment's log group under this prefix (modules/constructs/delivery-events.ts).
  deliveryEventsLogPrefix: {
    name: "delivery_events_log_prefix",
    description: "Where the environments' delivery event log groups live (/aws/events/<appName>/<env>)",
  },
} as const;

/**
 * What an app stack reads of its account's bootstrap (through terraform_remote_state, as it reads
 * build's outputs; modules/stacks/contract.ts). Renaming one is a breaking change.
 */
export const BOOTSTRAP_OUTPUTS = {
  accountId: { name: "account_id", description: "The account this bootstrap prepared" },
  deployRoleArn: { name: "deploy_role_arn", description: "The role app stacks assume to deploy into this account" },
  readRoleArn: { name: "read_role_arn", description: "The role read-only plans (pull requests, drift) assume in this account" },
  boundaryArn: { name: "permissions_boundary_arn", description: "The permission boundary every role of an app stack carries here" },
  environments: { name: "environments", description: "The environments this account was bootstrapped for, comma-separated" },
  accessLogBucketName: { name: "access_log_bucket_name", description: "The account's access-log bucket (ALB, S3 and CloudFront logs)" },
  accessLogBucketArn: { name: "access_log_bucket_arn", description: "ARN of the account's access-log bucket" },
  deliveryEventsLogPrefix: { name: "delivery_events_log_prefix", description: "Where the environments' delivery event log groups live" },
} as const;

export type BootstrapOutputs = { readonly [K in keyof typeof BOOTSTRAP_OUTPUTS]: string };

export type BuildOutputKey = keyof typeof BUILD_OUTPUTS;
export type BuildOutputs = { readonly [K in BuildOutputKey]: string };

/** The logical id of the remote state data source in every app stack. */
export const BUILD_REMOTE_STATE_ID = "build";

type OutputSpec = Readonly<Record<string, { readonly name: string; readonly description: string }>>;

/** Declares each output under its documented name (not a generated logical id). */
export function publishOutputs<S extends OutputSpec>(stack: TerraformStack, spec: S, values: { readonly [K in keyof S]: string }): void {
  for (const key of Object.keys(spec) as (keyof S & string)[]) {
    const { name, description } = spec[key];
    const output = new TerraformOutput(stack, name, { value: values[key], description });
    output.overrideLogicalId(name);
  }
}

/** Declares every contract output on the build stack, under its contract name. */
export function publishBuildOutputs(stack: TerraformStack, values: BuildOutputs): void {
  publishOutputs(stack, BUILD_OUTPUTS, values);
}

/**
 * Where an environment lives, published by every app stack (`terraform output`, `cdktf output
 * app-<env>`, and the plan summary). Nothing reads them across stacks; renaming one still breaks
 * whoever scripts against it.
 */
export const ENVIRONMENT_OUTPUTS = {
  url: {
    name: "url",
    description:
      "The load balancer's address, over HTTPS when a certificate is configured (point the certificate's domain at it: the certificate does not name this host)",
  },
  pipelineName: { name: "pipeline_name", description: "The environment's CodePipeline (push to its branch to run it)" },
  pipelineConsoleUrl: { name: "pipeline_console_url", description: "The pipeline in the AWS console" },
  deploymentGroup: { name: "deployment_group", description: "CodeDeploy application/deployment group that deploys the service" },
  alertTopicArn: { name: "alert_topic_arn", description: "SNS topic of the environment's alarms, pipeline events and approvals" },
  logGroupName: { name: "log_group_name", description: "CloudWatch log group of the application and the CodeDeploy agent" },
} as const;

export type EnvironmentOutputs = { readonly [K in keyof typeof ENVIRONMENT_OUTPUTS]: string };

export function publishEnvironmentOutputs(stack: TerraformStack, values: EnvironmentOutputs): void {
  publishOutputs(stack, ENVIRONMENT_OUTPUTS, values);
}

/** Reads a stack's outputs from its remote state, stopping the plan with `postconditions` when they do not hold. */
function readOutputs<S extends OutputSpec>(
  scope: Construct,
  id: string,
  spec: S,
  location: StateLocation,
  testEndpoint: string | undefined,
  postconditions: readonly { condition: string; error_message: string }[],
): { readonly [K in keyof S]: string } {
  const state = new DataTerraformRemoteStateS3(scope, id, {
    ...location,
    ...(testEndpoint ? testStateEndpointSettings(testEndpoint) : {}),
  });
  state.addOverride("lifecycle.postcondition", postconditions);
  return Object.fromEntries(Object.keys(spec).map((key) => [key, state.getString(spec[key].name)])) as { readonly [K in keyof S]: string };
}

/** The names of `spec`'s outputs that the state lacks, as a Terraform expression on `self`. */
function missingOutputs(spec: OutputSpec): string {
  return `setsubtract(${JSON.stringify(Object.values(spec).map((o) => o.name))}, keys(self.outputs))`;
}

/**
 * Reads build's outputs from its remote state (no cdktf stack dependency, so `cdktf deploy
 * app-<env>` runs on its own; docs/architecture.md, "Architecture").
 */
export function readBuildOutputs(scope: Construct, location: StateLocation, testEndpoint?: string): BuildOutputs {
  // A build state written by an older version of the project lacks the outputs added since. Say
  // so, instead of Terraform's "This object does not have an attribute named ...".
  const missing = missingOutputs(BUILD_OUTPUTS);
  return readOutputs(scope, BUILD_REMOTE_STATE_ID, BUILD_OUTPUTS, location, testEndpoint, [
    {
      condition: `\${length(${missing}) == 0}`,
      error_message:
        `build's state lacks the output(s) \${join(", ", ${missing})}: ` +
        "it was deployed by an older version of this project. Deploy build again first (`npx cdktf deploy build`), then this stack.",
    },
  ]);
}

/** The logical id of the account bootstrap's remote state data source in a cross-account app stack. */
export const BOOTSTRAP_REMOTE_STATE_ID = "bootstrap";

/**
 * Reads the bootstrap of the environment's account (modules/stacks/bootstrap-stack.ts) from its
 * remote state: the deploy role the stack's provider assumes comes from it, so a plan stops here,
 * before any call into the account, when the account is not bootstrapped, was bootstrapped for
 * another account id, or not for this environment.
 */
export function readBootstrapOutputs(
  scope: Construct,
  location: StateLocation,
  expected: { readonly accountId: string; readonly environment: string; readonly stackName: string },
  testEndpoint?: string,
): BootstrapOutputs {
  const missing = missingOutputs(BOOTSTRAP_OUTPUTS);
  const again = `bootstrap it again with the tooling account's credentials: \`npx cdktf deploy ${expected.stackName}\` (docs/accounts.md, "Bootstrap an account")`;
  return readOutputs(scope, BOOTSTRAP_REMOTE_STATE_ID, BOOTSTRAP_OUTPUTS, location, testEndpoint, [
    {
      condition: `\${length(${missing}) == 0}`,
      error_message: `The bootstrap of account ${expected.accountId} lacks the output(s) \${join(", ", ${missing})}: ${again}.`,
    },
    {
      condition: `\${lookup(self.outputs, "account_id", "") == "${expected.accountId}"}`,
      error_message: `The bootstrap at ${location.key} prepared account \${lookup(self.outputs, "account_id", "?")}, not ${expected.accountId}: ${again}.`,
    },
    {
      condition: `\${contains(split(",", lookup(self.outputs, "environments", "")), "${expected.environment}")}`,
      error_message: `Account ${expected.accountId} was bootstrapped before environment ${expected.environment} ran there (its event bus does not take this environment's pipeline events yet): ${again}.`,
    },
  ]);
}

/** Stand-ins for the account bootstrap's outputs in an offline plan, each marked as a placeholder. */
export function placeholderBootstrapOutputs(appName: string, accountId: string, environment: string): BootstrapOutputs {
  const name = `${appName}-${PLACEHOLDER_MARK}`;
  return {
    accountId,
    deployRoleArn: `arn:${PARTITION}:iam::${accountId}:role/${name}-deploy`,
    readRoleArn: `arn:${PARTITION}:iam::${accountId}:role/${name}-read`,
    boundaryArn: `arn:${PARTITION}:iam::${accountId}:policy/${name}-boundary`,
    environments: environment,
    accessLogBucketName: `${name}-access-logs-${accountId}`,
    accessLogBucketArn: `arn:${PARTITION}:s3:::${name}-access-logs-${accountId}`,
    deliveryEventsLogPrefix: `/aws/events/${name}/`,
  };
}

/** The logical id of the GitHub connection's data source in every app stack. */
export const CONNECTION_DATA_ID = "github_connection";

/**
 * Stops the plan of an app stack while the GitHub connection is not AVAILABLE. The build stack
 * creates it PENDING and a person completes the handshake once in the console; a pipeline created
 * before that fails its first run (CodePipeline user guide, "Update a pending connection"). Read at
 * plan time, so `cdktf deploy app-<env>`, `npm run plan` and the deploy workflow say what to do.
 */
export function requireAvailableConnection(scope: Construct, connectionArn: string): DataAwsCodestarconnectionsConnection {
  const connection = new DataAwsCodestarconnectionsConnection(scope, CONNECTION_DATA_ID, {
    arn: connectionArn,
    lifecycle: {
      postcondition: [
        {
          condition: '${self.connection_status == "AVAILABLE"}',
          errorMessage:
            "The GitHub connection is ${self.connection_status}, not AVAILABLE: complete its handshake once in the AWS console " +
            "(Developer Tools > Settings > Connections > ${self.name} > Update pending connection), then deploy this stack again. " +
            "A pipeline created before that fails its first run.",
        },
      ],
    },
  });
  connection.overrideLogicalId(CONNECTION_DATA_ID);
  return connection;
}

/** Marks every placeholder value, so that it is obvious in a plan where one was used. */
export const PLACEHOLDER_MARK = "offline-placeholder";

/**
 * Stand-ins for build's outputs in an offline plan (when build's state cannot be read). Each is a
 * well-formed name or ARN of the project's account and region, and each contains
 * "offline-placeholder". A plan made with them must never be applied.
 */
export function placeholderBuildOutputs(scope: AccountScope, appName: string): BuildOutputs {
  const name = `${appName}-${PLACEHOLDER_MARK}`;
  return {
    artifactBucketName: `${name}-artifacts`,
    artifactBucketArn: `arn:${PARTITION}:s3:::${name}-artifacts`,
    // Not a key id nor a connection id AWS would give: the mark is the resource part, as in the others.
    artifactKeyArn: arn(scope, "kms", `key/${PLACEHOLDER_MARK}`),
    buildProjectName: `${name}-build`,
    buildProjectArn: arn(scope, "codebuild", `project/${name}-build`),
    scanProjectName: `${name}-scan`,
    scanProjectArn: arn(scope, "codebuild", `project/${name}-scan`),
    connectionArn: arn(scope, "codestar-connections", `connection/${PLACEHOLDER_MARK}`),
    accessLogBucketName: `${name}-access-logs`,
    accessLogBucketArn: `arn:${PARTITION}:s3:::${name}-access-logs`,
    deliveryEventsLogPrefix: `/aws/events/${name}/`,
  };
}

/**
 * What an environment's pipeline needs of the build stack: run and follow builds on the shared
 * project and the scan project, and use the GitHub connection (both the CodeStar and the CodeConnections service
 * prefixes: the console and API accept either name for a connection).
 */
export function grantPipelineUseOfBuild(build: BuildOutputs): PolicyStatement[] {
  return [
    {
      sid: "RunSharedBuildAndScans",
      actions: ["codebuild:StartBuild", "codebuild:BatchGetBuilds"],
      resources: [build.buildProjectArn, build.scanProjectArn],
    },
    {
      sid: "UseGitHubConnection",
      actions: ["codestar-connections:UseConnection", "codeconnections:UseConnection"],
      resources: [build.connectionArn],
    },
  ];
}
