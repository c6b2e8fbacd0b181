import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { App, TerraformStack } from "../../modules/lib/cdk";
import type { Construct } from "constructs";
import { createStacks } from "../../modules/stacks";
import { AppFleet, type AppFleetProps } from "../../modules/constructs/app-fleet";
import { ArtifactBucket } from "../../modules/constructs/artifact-bucket";
import { AccessLogBucket } from "../../modules/constructs/access-log-bucket";
import { ScanProject } from "../../modules/constructs/scan-project";
import { AcceptanceTests } from "../../modules/constructs/acceptance-tests";
import { ReleaseSteps } from "../../modules/constructs/release-steps";
import { SharedBuildProject } from "../../modules/constructs/shared-build-project";
import { EncryptionKey } from "../../modules/constructs/encryption-key";
import { ServiceRole } from "../../modules/constructs/service-role";
import { WebEntry, type WebEntryProps } from "../../modules/constructs/web-entry";
import { RuntimeConfig, type RuntimeConfigProps } from "../../modules/constructs/runtime-config";
import { InPlaceDeployment } from "../../modules/constructs/in-place-deployment";
import { PrivateEndpoints } from "../../modules/constructs/private-endpoints";
import { DeliveryPipeline, type DeliveryPipelineProps } from "../../modules/constructs/delivery-pipeline";
import { StaticSite, type StaticSiteProps } from "../../modules/constructs/static-site";
import { SiteAlarms } from "../../modules/constructs/site-alarms";
import { SiteInvalidation } from "../../modules/constructs/site-invalidation";
import { TrafficSwitch } from "../../modules/constructs/traffic-switch";
import { WebFirewall } from "../../modules/constructs/web-firewall";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { PipelineActionsRole } from "../../modules/constructs/pipeline-actions-role";
import { ContainerService } from "../../modules/constructs/container-service";
import { ImageBuildProject } from "../../modules/constructs/image-build-project";
import { ImageRepository } from "../../modules/constructs/image-repository";
import { ImageScanGate } from "../../modules/constructs/image-scan-gate";
import { NETWORK, PROJECT, ROOT, makeConfig } from "../support/helpers";

/**
 * Runs what `cdktf synth` runs (validate, build the stacks, write them) into a fresh folder.
 * @returns the error message, and the stacks that were written (there must be none).
 */
function attempt(build: (app: App) => void): { message: string; written: string[] } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "bad-input-"));
  let message = "";
  try {
    const app = new App({ outdir });
    build(app);
    app.synth();
  } catch (error) {
    message = (error as Error).message;
  }
  const stacksDir = path.join(outdir, "stacks");
  const written = fs.existsSync(stacksDir) ? fs.readdirSync(stacksDir) : [];
  fs.rmSync(outdir, { recursive: true, force: true });
  return { message, written };
}

const dev = { tier: "development", network: NETWORK };
const env =
  (input: Record<string, unknown>, name = "dev") =>
  (app: App) =>
    createStacks(app, makeConfig({ [name]: input }));
const project = (input: Record<string, unknown>) => (app: App) => createStacks(app, makeConfig({ dev }, { ...PROJECT, ...input }));
const inStack = (make: (scope: Construct) => void) => (app: App) => make(new TerraformStack(app, "s"));
/** A project with a container beside the service, and one environment of it. */
const API = { kind: "container", repository: "acme/api", paths: ["/api/*"] };
const withApi =
  (input: Record<string, unknown>, api: Record<string, unknown> = {}, name = "dev") =>
  (app: App) =>
    createStacks(app, makeConfig({ [name]: input }, { ...PROJECT, workloads: { ...PROJECT.workloads, api: { ...API, ...api } } }));
const withApiAndSite = (input: Record<string, unknown>) => (app: App) =>
  createStacks(
    app,
    makeConfig(
      { dev: input },
      { ...PROJECT, workloads: { ...PROJECT.workloads, api: API, site: { kind: "static-site", repository: "acme/site" } } },
    ),
  );
/** ContainerService's props in a stack `s`. */
const containerService = (memory: number) => ({
  name: "shop-dev-api",
  containerName: "api",
  clusterName: "shop-dev",
  clusterArn: "arn:aws:ecs:us-east-2:111122223333:cluster/shop-dev",
  vpcId: NETWORK.vpcId,
  privateSubnetIds: NETWORK.privateSubnetIds,
  albSecurityGroupId: "sg-1",
  listenerArns: ["arn:aws:elasticloadbalancing:us-east-2:111122223333:listener/app/shop-dev/1/2"],
  paths: ["/api/*"],
  priority: 10,
  port: 8080,
  healthCheckPath: "/health",
  cpu: 256,
  memory,
  initialImage: "111122223333.dkr.ecr.us-east-2.amazonaws.com/shop/api:initial",
  repositoryArn: "arn:aws:ecr:us-east-2:111122223333:repository/shop/api",
  logGroupName: "/shop/dev/application",
  logGroupArn: "arn:aws:logs:us-east-2:111122223333:log-group:/shop/dev/application",
  environment: {},
  secrets: [],
  fetchGrants: [],
  minTasks: 1,
  maxTasks: 2,
  cpuTarget: 60,
  spot: false,
  alarms: {
    topicArn: "arn:aws:sns:us-east-2:111122223333:t",
    loadBalancerArnSuffix: "app/shop-dev/1",
    http5xxCount: 5,
    unhealthyHosts: 1,
    cpuPercent: 80,
    latencyP99Seconds: 2,
  },
  accountId: "111122223333",
  region: "us-east-2",
  artifactBucketArn: "arn:aws:s3:::b",
  artifactPrefix: "dev-api-shop",
  artifactKeyArn: "arn:aws:kms:us-east-2:111122223333:key/k",
  logKeyArn: "arn:aws:kms:us-east-2:111122223333:key/k",
  logRetentionDays: 30,
});
const stepResources = {
  accountId: "111122223333",
  region: "us-east-2",
  artifactBucketArn: "arn:aws:s3:::b",
  artifactPrefix: "dev-api-shop",
  artifactKeyArn: "arn:aws:kms:us-east-2:111122223333:key/k",
  logKeyArn: "arn:aws:kms:us-east-2:111122223333:key/k",
  logRetentionDays: 30,
};

/** A static site's props in a stack `s`, with its key and us-east-1 provider. */
const site = (s: Construct, change: Partial<StaticSiteProps> = {}): StaticSiteProps => ({
  name: "shop-dev-admin",
  bucketName: "shop-dev-admin-111122223333",
  key: new EncryptionKey(s, "key", { alias: "k", description: "k", accountId: "111122223333", region: "us-east-2" }),
  serverAccessLogs: { bucketName: "logs", prefix: "s3-access/shop-dev-admin-111122223333" },
  accessLogs: { bucketArn: "arn:aws:s3:::logs", prefix: "cloudfront-access/dev/admin" },
  edgeProvider: new AwsProvider(s, "edge", { region: "us-east-1", alias: "edge" }),
  priceClass: "PriceClass_100",
  ...change,
});

const runtime: RuntimeConfigProps = {
  appName: "shop",
  environment: "dev",
  accountId: "111122223333",
  region: "us-east-2",
  settings: {},
  secrets: [],
  kmsKeyArn: "arn:aws:kms:us-east-2:111122223333:key/k",
};

const fleet: AppFleetProps = {
  name: "shop-dev",
  accountId: "111122223333",
  region: "us-east-2",
  environment: "dev",
  parameterPath: "/shop/dev",
  instanceType: "t3.micro",
  minCapacity: 1,
  desiredCapacity: 1,
  maxCapacity: 2,
  privateSubnetIds: ["subnet-0123456789abcdef3"],
  securityGroupId: "sg-1",
  targets: [{ targetGroupArn: "arn:aws:elasticloadbalancing:us-east-2:111122223333:targetgroup/x/1" }],
  artifactBucketArn: "arn:aws:s3:::b",
  artifactPrefix: "dev-shop",
  artifactKeyArn: "arn:aws:kms:us-east-2:111122223333:key/k",
  logGroupName: "/shop/dev/application",
  logGroupArn: "arn:aws:logs:us-east-2:111122223333:log-group:/shop/dev/application",
  serviceUser: "shop",
  appPort: 8080,
  healthCheckPath: "/health",
};
const web: WebEntryProps = {
  name: "shop-dev",
  vpcId: "vpc-1",
  publicSubnetIds: ["subnet-a", "subnet-b"],
  allowedIngressCidrs: ["0.0.0.0/0"],
  appPort: 8080,
  healthCheckPath: "/health",
  logs: { bucketName: "logs", accessPrefix: "alb-access/dev", connectionPrefix: "alb-connection/dev" },
};
const artifactBucket = {
  bucketName: "artifacts",
  kmsKeyArn: "k",
  serverAccessLogs: { bucketName: "logs", prefix: "s3-access/artifacts" },
};
const buildProject = {
  projectName: "shop-build",
  accountId: "111122223333",
  region: "us-east-2",
  artifactBucketName: "b",
  artifactBucketArn: "arn:aws:s3:::b",
  kmsKeyArn: "k",
};

const pipeline: DeliveryPipelineProps = {
  pipelineName: "dev-shop",
  accountId: "111122223333",
  region: "us-east-2",
  stages: [],
  branch: "deploy/dev",
  artifactBucketName: "b",
  artifactBucketArn: "arn:aws:s3:::b",
  kmsKeyArn: "k",
  statements: [],
  artifactPrefix: "dev-shop",
};

type Case = [description: string, build: (app: App) => void, file: string, field: string, value: string];

/** [what is wrong, how it is fed in, the file, field and value the message must name] */
const CASES: Case[] = [
  // Environment files: wrong types, ranges, formats, contradictions, unknown keys, empty strings, lengths.
  ["a capacity given as a string", env({ ...dev, compute: { minCapacity: "2" } }), "environments/dev.ts", "compute.minCapacity", '"2"'],
  ["a fractional capacity", env({ ...dev, compute: { maxCapacity: 2.5 } }), "environments/dev.ts", "compute.maxCapacity", "2.5"],
  ["a CPU threshold above 100%", env({ ...dev, alarms: { cpuPercent: 150 } }), "environments/dev.ts", "alarms.cpuPercent", "150"],
  [
    "a latency threshold beyond the load balancer's 60-second idle timeout",
    env({ ...dev, alarms: { latencyP99Seconds: 90 } }),
    "environments/dev.ts",
    "alarms.latencyP99Seconds",
    "90",
  ],
  ["a dashboard level that does not exist", env({ ...dev, dashboard: "full" }), "environments/dev.ts", "dashboard", '"full"'],
  [
    "a latency threshold of zero",
    env({ ...dev, alarms: { latencyP99Seconds: 0 } }),
    "environments/dev.ts",
    "alarms.latencyP99Seconds",
    "0",
  ],
  ["a web firewall mode that does not exist", env({ ...dev, firewall: { mode: "on" } }), "environments/dev.ts", "firewall.mode", '"on"'],
  ["a scan threshold that does not exist", env({ ...dev, scans: { code: "severe" } }), "environments/dev.ts", "scans.code", '"severe"'],
  [
    "a production scan that only warns",
    env({ tier: "production", network: NETWORK, scans: { dependencies: "warn" } }, "prod"),
    "environments/prod.ts",
    "scans.dependencies",
    '"warn"',
  ],
  [
    "acceptance tests outside the repository",
    env({ ...dev, acceptanceTests: { buildspec: "../tests.yml" } }),
    "environments/dev.ts",
    "acceptanceTests.buildspec",
    '"../tests.yml"',
  ],
  [
    "a rollback on acceptance tests that do not run",
    env({ ...dev, acceptanceTests: { enabled: false, rollbackOnFailure: true } }),
    "environments/dev.ts",
    "acceptanceTests.rollbackOnFailure",
    "true",
  ],
  [
    "a production release without acceptance tests",
    env({ tier: "production", network: NETWORK, acceptanceTests: { enabled: false } }, "prod"),
    "environments/prod.ts",
    "acceptanceTests.enabled",
    "false",
  ],
  [
    "an environment that promotes from one that does not exist",
    (app: App) => createStacks(app, makeConfig({ dev, qa: { ...dev, pipeline: { promoteFrom: ["test"] } } })),
    "environments/qa.ts",
    "pipeline.promoteFrom",
    '"test"',
  ],
  [
    "two environments that promote from each other",
    (app: App) =>
      createStacks(
        app,
        makeConfig({ dev, qa: { ...dev, pipeline: { promoteFrom: ["staging"] } }, staging: { ...dev, pipeline: { promoteFrom: ["qa"] } } }),
      ),
    "environments/qa.ts",
    "pipeline.promoteFrom",
    '"staging"',
  ],
  [
    "a site promoted between environments whose builds bake different settings",
    (app: App) =>
      createStacks(
        app,
        makeConfig(
          {
            dev: { ...dev, settings: { API: "https://dev" }, buildSettings: ["API"] },
            qa: { ...dev, settings: { API: "https://qa" }, buildSettings: ["API"], pipeline: { promoteFrom: ["dev"] } },
          },
          { ...PROJECT, workloads: { ...PROJECT.workloads, web: { kind: "static-site", repository: "acme/web" } } },
        ),
      ),
    "environments/qa.ts",
    "pipeline.promoteFrom",
    '"dev"',
  ],
  [
    "a rebuild list in an environment that does not promote",
    env({ ...dev, pipeline: { rebuild: ["shop"] } }),
    "environments/dev.ts",
    "pipeline.rebuild",
    '["shop"]',
  ],
  [
    "a workload to rebuild that the environment does not run",
    (app: App) => createStacks(app, makeConfig({ dev, qa: { ...dev, pipeline: { promoteFrom: ["dev"], rebuild: ["web"] } } })),
    "environments/qa.ts",
    "pipeline.rebuild",
    '"web"',
  ],
  [
    "a bake shorter than an alarm period",
    env({ ...dev, pipeline: { bakeMinutes: 3 } }),
    "environments/dev.ts",
    "pipeline.bakeMinutes",
    "3",
  ],
  [
    "a production release that does not bake",
    env({ tier: "production", network: NETWORK, pipeline: { bakeMinutes: 0 } }, "prod"),
    "environments/prod.ts",
    "pipeline.bakeMinutes",
    "0",
  ],
  [
    "a production scan turned off",
    env({ tier: "production", network: NETWORK, scans: { secrets: "off" } }, "prod"),
    "environments/prod.ts",
    "scans.secrets",
    '"off"',
  ],
  [
    "a rate limit below AWS WAF's minimum of 10",
    env({ ...dev, firewall: { rateLimit: 5 } }),
    "environments/dev.ts",
    "firewall.rateLimit",
    "5",
  ],
  [
    "production's web firewall turned off without a reason",
    env({ tier: "production", network: NETWORK, firewall: { mode: "off" } }, "prod"),
    "environments/prod.ts",
    "firewall.mode",
    '"off"',
  ],
  [
    "production's web firewall turned off with a web ACL of the user's own for the load balancer, but no reason (it does not cover the sites)",
    env(
      {
        tier: "production",
        network: NETWORK,
        firewall: {
          mode: "off",
          webAclArn: "arn:aws:wafv2:us-east-2:111122223333:regional/webacl/own/12345678-1234-1234-1234-123456789012",
        },
      },
      "prod",
    ),
    "environments/prod.ts",
    "firewall.mode",
    '"off"',
  ],
  [
    "a reason to turn off a web firewall that the tier does not have",
    env({ ...dev, firewall: { mode: "off", reason: "nobody outside the office reaches dev" } }),
    "environments/dev.ts",
    "firewall.reason",
    '"nobody outside the office reaches dev"',
  ],
  [
    "a load balancer web ACL of another region",
    env({
      ...dev,
      firewall: { webAclArn: "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/own/12345678-1234-1234-1234-123456789012" },
    }),
    "environments/dev.ts",
    "firewall.webAclArn",
    '"arn:aws:wafv2:us-east-1',
  ],
  ["a zero unhealthy-host threshold", env({ ...dev, alarms: { unhealthyHosts: 0 } }), "environments/dev.ts", "alarms.unhealthyHosts", "0"],
  ["a malformed VPC id", env({ ...dev, network: { ...NETWORK, vpcId: "vpc-XYZ" } }), "environments/dev.ts", "network.vpcId", '"vpc-XYZ"'],
  [
    "a security group id where a subnet belongs",
    env({ ...dev, network: { ...NETWORK, privateSubnetIds: ["sg-0123456789abcdef0"] } }),
    "environments/dev.ts",
    "network.privateSubnetIds.0",
    '"sg-0123456789abcdef0"',
  ],
  [
    "a CIDR with a /33 mask",
    env({ ...dev, allowedIngressCidrs: ["10.0.0.0/33"] }),
    "environments/dev.ts",
    "allowedIngressCidrs.0",
    '"10.0.0.0/33"',
  ],
  [
    "a CIDR with an octet above 255",
    env({ ...dev, allowedIngressCidrs: ["300.1.1.0/24"] }),
    "environments/dev.ts",
    "allowedIngressCidrs.0",
    '"300.1.1.0/24"',
  ],
  [
    "a malformed IPv6 CIDR",
    env({ ...dev, allowedIngressCidrs: ["2001:db8:::/32"] }),
    "environments/dev.ts",
    "allowedIngressCidrs.0",
    '"2001:db8:::/32"',
  ],
  [
    "a minimum above the maximum",
    env({ ...dev, compute: { minCapacity: 4, maxCapacity: 2 } }),
    "environments/dev.ts",
    "compute.minCapacity",
    "4",
  ],
  [
    "production without approval",
    env({ tier: "production", network: NETWORK, pipeline: { requireApproval: false } }, "prod"),
    "environments/prod.ts",
    "pipeline.requireApproval",
    "false",
  ],
  [
    "PARALLEL execution where approval is required",
    env({ tier: "preproduction", network: NETWORK, pipeline: { executionMode: "PARALLEL" } }, "qa"),
    "environments/qa.ts",
    "pipeline.executionMode",
    '"PARALLEL"',
  ],
  ["an unknown key", env({ ...dev, instanceType: "t3.micro" }), "environments/dev.ts", "instanceType", ""],
  ["an empty certificate ARN", env({ ...dev, certificateArn: "" }), "environments/dev.ts", "certificateArn", '""'],
  ["an empty branch", env({ ...dev, pipeline: { branch: "" } }), "environments/dev.ts", "pipeline.branch", '""'],
  [
    "a branch that is not a git ref",
    env({ ...dev, pipeline: { branch: "deploy/../main" } }),
    "environments/dev.ts",
    "pipeline.branch",
    '"deploy/../main"',
  ],
  ["an unknown tier", env({ tier: "prod", network: NETWORK }), "environments/dev.ts", "tier", '"prod"'],
  ["a retention CloudWatch does not accept", env({ ...dev, logRetentionDays: 45 }), "environments/dev.ts", "logRetentionDays", "45"],
  [
    "an unknown deployment configuration",
    env({ ...dev, deployment: { config: "CodeDeployDefault.TenPercent" } }),
    "environments/dev.ts",
    "deployment.config",
    '"CodeDeployDefault.TenPercent"',
  ],
  ["a tag key in the reserved aws: namespace", env({ ...dev, tags: { "aws:owner": "x" } }), "environments/dev.ts", "tags.aws:owner", ""],
  ["a tag value over 256 characters", env({ ...dev, tags: { Owner: "x".repeat(257) } }), "environments/dev.ts", "tags.Owner", '"xxxx'],
  [
    "an environment name too long once prefixed (33 > 32 characters)",
    env(dev, "customer-facing-checkout-v21"),
    "environments/customer-facing-checkout-v21.ts",
    "(file name)",
    '"customer-facing-checkout-v21"',
  ],
  [
    "notification emails given as one string",
    env({ ...dev, notificationEmails: "ops@example.com" }),
    "environments/dev.ts",
    "notificationEmails",
    '"ops@example.com"',
  ],
  // What AWS would refuse at apply, or what would leave the environment unusable: relations
  // between fields, with the project, and between environments.
  [
    "a certificate from another region (ACM certificates are regional)",
    env({ ...dev, certificateArn: "arn:aws:acm:eu-west-1:111122223333:certificate/12345678-1234-1234-1234-123456789012" }),
    "environments/dev.ts",
    "certificateArn",
    '"arn:aws:acm:eu-west-1',
  ],
  [
    // 21 CIDRs open 42 rules for HTTP and HTTPS, and 63 with the test listener's port: over the quota of 60.
    "more ingress rules than a security group takes, counting blue/green's test port",
    env(
      {
        tier: "preproduction",
        network: NETWORK,
        deployment: { style: "blue-green" },
        certificateArn: "arn:aws:acm:us-east-2:111122223333:certificate/12345678-1234-1234-1234-123456789012",
        hostName: "staging.example.com",
        allowedIngressCidrs: Array.from({ length: 21 }, (_, i) => `10.${i}.0.0/16`),
      },
      "staging",
    ),
    "environments/staging.ts",
    "allowedIngressCidrs",
    "21",
  ],
  [
    "a certificate of another account",
    env({ ...dev, certificateArn: "arn:aws:acm:us-east-2:999988887777:certificate/12345678-1234-1234-1234-123456789012" }),
    "environments/dev.ts",
    "certificateArn",
    '"arn:aws:acm:us-east-2:999988887777',
  ],
  [
    "a CIDR with host bits set",
    env({ ...dev, allowedIngressCidrs: ["10.0.0.1/8"] }),
    "environments/dev.ts",
    "allowedIngressCidrs",
    '"10.0.0.1/8"',
  ],
  [
    "an IPv6 CIDR on the IPv4-only load balancer",
    env({ ...dev, allowedIngressCidrs: ["2001:db8::/32"] }),
    "environments/dev.ts",
    "allowedIngressCidrs",
    '"2001:db8::/32"',
  ],
  [
    "the same CIDR twice (one construct id, a duplicate rule)",
    env({ ...dev, allowedIngressCidrs: ["10.0.0.0/8", "10.0.0.0/8"] }),
    "environments/dev.ts",
    "allowedIngressCidrs",
    '"10.0.0.0/8"',
  ],
  [
    "more ALB rules than a security group holds",
    env({ ...dev, allowedIngressCidrs: Array.from({ length: 61 }, (_, i) => `10.${i}.0.0/16`) }),
    "environments/dev.ts",
    "allowedIngressCidrs",
    "61",
  ],
  [
    "the same email twice, in another case",
    env({ ...dev, notificationEmails: ["ops@example.com", "Ops@example.com"] }),
    "environments/dev.ts",
    "notificationEmails",
    '"Ops@example.com"',
  ],
  [
    "one public subnet listed twice (an ALB needs two zones)",
    env({ ...dev, network: { ...NETWORK, publicSubnetIds: [NETWORK.publicSubnetIds[0], NETWORK.publicSubnetIds[0]] } }),
    "environments/dev.ts",
    "network.publicSubnetIds",
    `"${NETWORK.publicSubnetIds[0]}"`,
  ],
  [
    "a subnet that is both public and private",
    env({ ...dev, network: { ...NETWORK, privateSubnetIds: [NETWORK.publicSubnetIds[1]] } }),
    "environments/dev.ts",
    "network.privateSubnetIds",
    `"${NETWORK.publicSubnetIds[1]}"`,
  ],
  [
    "HalfAtATime on a single instance",
    env({ ...dev, deployment: { config: "CodeDeployDefault.HalfAtATime" } }),
    "environments/dev.ts",
    "deployment.config",
    '"CodeDeployDefault.HalfAtATime"',
  ],
  [
    "PARALLEL executions onto one deployment group",
    env({ ...dev, pipeline: { executionMode: "PARALLEL" } }),
    "environments/dev.ts",
    "pipeline.executionMode",
    '"PARALLEL"',
  ],
  [
    "an unhealthy-host alarm above the fleet's maximum",
    env({ ...dev, alarms: { unhealthyHosts: 3 } }),
    "environments/dev.ts",
    "alarms.unhealthyHosts",
    "3",
  ],
  ["a tag key the stacks set, in another case", env({ ...dev, tags: { environment: "x" } }), "environments/dev.ts", "tags.environment", ""],
  ["a tag value with a character AWS refuses", env({ ...dev, tags: { Owner: "a,b" } }), "environments/dev.ts", "tags.Owner", '"a,b"'],
  [
    "more tags than a resource may carry",
    env({ ...dev, tags: Object.fromEntries(Array.from({ length: 45 }, (_, i) => [`k${i}`, "v"])) }),
    "environments/dev.ts",
    "tags",
    "45",
  ],
  [
    "a branch git refuses (leading -)",
    env({ ...dev, pipeline: { branch: "-deploy" } }),
    "environments/dev.ts",
    "pipeline.branch",
    '"-deploy"',
  ],
  [
    "a branch git refuses (//)",
    env({ ...dev, pipeline: { branch: "deploy//dev" } }),
    "environments/dev.ts",
    "pipeline.branch",
    '"deploy//dev"',
  ],
  [
    "VPC endpoints in a VPC another environment uses",
    (app: App) =>
      createStacks(
        app,
        makeConfig({
          dev: { ...dev, network: { ...NETWORK, vpcEndpoints: { privateRouteTableIds: ["rtb-0123456789abcdef0"] } } },
          qa: dev,
        }),
      ),
    "environments/dev.ts",
    "network.vpcEndpoints",
    `"${NETWORK.vpcId}"`,
  ],
  [
    "an environment named like the build stack's key alias",
    env(dev, "artifacts"),
    "environments/artifacts.ts",
    "(file name)",
    '"artifacts"',
  ],
  // Project settings.
  [
    "a GovCloud region (ARNs are built in the aws partition)",
    project({ region: "us-gov-west-1" }),
    "environments/_project.ts",
    "region",
    '"us-gov-west-1"',
  ],
  ["a misspelt region", project({ region: "eu-wset-1" }), "environments/_project.ts", "region", '"eu-wset-1"'],
  [
    "a connection in another region",
    project({ connectionArn: "arn:aws:codestar-connections:eu-west-1:111122223333:connection/12345678-1234-1234-1234-123456789012" }),
    "environments/_project.ts",
    "connectionArn",
    '"arn:aws:codestar-connections:eu-west-1',
  ],
  [
    "the artifact bucket's name as state bucket",
    project({ stateBackend: { bucket: "shop-artifacts-111122223333-us-east-2" } }),
    "environments/_project.ts",
    "stateBackend.bucket",
    '"shop-artifacts-111122223333-us-east-2"',
  ],
  [
    "the access-log bucket's name as state bucket",
    project({ stateBackend: { bucket: "shop-access-logs-111122223333-us-east-2" } }),
    "environments/_project.ts",
    "stateBackend.bucket",
    '"shop-access-logs-111122223333-us-east-2"',
  ],
  [
    "an access-log retention of zero days",
    project({ accessLogs: { retentionDays: { albAccess: 0 } } }),
    "environments/_project.ts",
    "accessLogs.retentionDays.albAccess",
    "0",
  ],
  [
    "an application name that makes security groups start with sg-",
    project({ appName: "sg" }),
    "environments/_project.ts",
    "appName",
    '"sg"',
  ],
  [
    "an application name that makes the ALB start with internal-",
    project({ appName: "internal" }),
    "environments/_project.ts",
    "appName",
    '"internal"',
  ],
  ["an application name that is a system account", project({ appName: "root" }), "environments/_project.ts", "appName", '"root"'],
  [
    "a build cap below the pipelines that start together",
    (app: App) => createStacks(app, makeConfig({ dev, qa: dev }, { ...PROJECT, build: { concurrentBuildLimit: 1 } })),
    "environments/_project.ts",
    "build.concurrentBuildLimit",
    "1",
  ],
  [
    "an ARM build image on the x86 build project",
    project({ build: { image: "aws/codebuild/amazonlinux2-aarch64-standard:3.0" } }),
    "environments/_project.ts",
    "build.image",
    '"aws/codebuild/amazonlinux2-aarch64-standard:3.0"',
  ],
  ["a repository ending in .git", project({ repository: "acme/shop.git" }), "environments/_project.ts", "repository", '"acme/shop.git"'],
  ["a GitHub owner with a leading hyphen", project({ repository: "-acme/shop" }), "environments/_project.ts", "repository", '"-acme/shop"'],
  [
    "a health check path over 1024 characters",
    project({ application: { healthCheckPath: `/${"h".repeat(1024)}` } }),
    "environments/_project.ts",
    "application.healthCheckPath",
    '"/hhhh',
  ],
  ["an upper-case application name", project({ appName: "Shop" }), "environments/_project.ts", "appName", '"Shop"'],
  ["an account id with 11 digits", project({ accountId: "11112222333" }), "environments/_project.ts", "accountId", '"11112222333"'],
  ["a privileged application port", project({ application: { port: 80 } }), "environments/_project.ts", "application.port", "80"],
  [
    "an S3 state bucket name with capitals",
    project({ stateBackend: { bucket: "My-State" } }),
    "environments/_project.ts",
    "stateBackend.bucket",
    '"My-State"',
  ],
  [
    "a build timeout above CodeBuild's limit",
    project({ build: { timeoutMinutes: 5000 } }),
    "environments/_project.ts",
    "build.timeoutMinutes",
    "5000",
  ],
  // Accounts (docs/accounts.md).
  [
    "an environment account id that is not 12 digits",
    env({ ...dev, accountId: "2109876543" }),
    "environments/dev.ts",
    "accountId",
    '"2109876543"',
  ],
  [
    "an environment in an account the project does not declare",
    env({ ...dev, accountId: "210987654321" }),
    "environments/dev.ts",
    "accountId",
    '"210987654321"',
  ],
  [
    "the tooling account declared as an environment account",
    project({ accounts: { deployers: ["arn:aws:iam::111122223333:role/deployer"], environments: { "111122223333": {} } } }),
    "environments/_project.ts",
    "accounts.environments.111122223333",
    '"111122223333"',
  ],
  [
    "a declared account no environment runs in",
    project({ accounts: { deployers: ["arn:aws:iam::111122223333:role/deployer"], environments: { "210987654321": {} } } }),
    "environments/_project.ts",
    "accounts.environments.210987654321",
    '"210987654321"',
  ],
  [
    "a deployer of another account than the tooling account",
    project({ accounts: { deployers: ["arn:aws:iam::444455556666:role/deployer"], environments: {} } }),
    "environments/_project.ts",
    "accounts.deployers[0]",
    '"arn:aws:iam::444455556666:role/deployer"',
  ],
  [
    "environment accounts with no deployer to trust",
    project({ accounts: { deployers: [], environments: {} } }),
    "environments/_project.ts",
    "accounts.deployers",
    "",
  ],
  [
    "a bootstrap role name IAM refuses",
    project({
      accounts: { deployers: ["arn:aws:iam::111122223333:role/d"], environments: { "210987654321": { bootstrapRoleName: "no spaces" } } },
    }),
    "environments/_project.ts",
    "accounts.environments.210987654321.bootstrapRoleName",
    '"no spaces"',
  ],
  [
    "a certificate of the tooling account for an environment in its own account",
    (app: App) =>
      createStacks(
        app,
        makeConfig(
          {
            prod: {
              tier: "production",
              network: NETWORK,
              accountId: "210987654321",
              certificateArn: "arn:aws:acm:us-east-2:111122223333:certificate/11111111-2222-3333-4444-555555555555",
            },
          },
          { ...PROJECT, accounts: { deployers: ["arn:aws:iam::111122223333:role/d"], environments: { "210987654321": {} } } },
        ),
      ),
    "environments/prod.ts",
    "certificateArn",
    '"arn:aws:acm:us-east-2:111122223333:certificate/11111111-2222-3333-4444-555555555555"',
  ],
  [
    "two environments of one account whose names extend one another",
    (app: App) =>
      createStacks(
        app,
        makeConfig(
          {
            prod: { tier: "production", network: NETWORK, accountId: "210987654321" },
            "prod-eu": { tier: "production", network: NETWORK, accountId: "210987654321" },
          },
          { ...PROJECT, accounts: { deployers: ["arn:aws:iam::111122223333:role/d"], environments: { "210987654321": {} } } },
        ),
      ),
    "environments/prod-eu.ts",
    "(name)",
    '"prod-eu"',
  ],
  // CI's roles (the ci stack).
  [
    "a CI repository that is not owner/name",
    project({ ci: { repository: "webapp-infra" } }),
    "environments/_project.ts",
    "ci.repository",
    '"webapp-infra"',
  ],
  [
    "a GitHub OIDC provider of another account",
    project({
      ci: { repository: "acme/infra", oidcProviderArn: "arn:aws:iam::444455556666:oidc-provider/token.actions.githubusercontent.com" },
    }),
    "environments/_project.ts",
    "ci.oidcProviderArn",
    '"arn:aws:iam::444455556666:oidc-provider/token.actions.githubusercontent.com"',
  ],
  [
    "an OIDC provider that is not GitHub's",
    project({ ci: { repository: "acme/infra", oidcProviderArn: "arn:aws:iam::111122223333:oidc-provider/gitlab.com" } }),
    "environments/_project.ts",
    "ci.oidcProviderArn",
    '"arn:aws:iam::111122223333:oidc-provider/gitlab.com"',
  ],
  [
    "a GitHub environment whose CI role name would pass IAM's 64 characters",
    (app: App) =>
      createStacks(
        app,
        makeConfig({ dev: { ...dev, githubEnvironment: "d".repeat(50) } }, { ...PROJECT, ci: { repository: "acme/infra" } }),
      ),
    "environments/dev.ts",
    "githubEnvironment",
    `"${"d".repeat(50)}"`,
  ],
  [
    "a GitHub environment named like another's plan environment",
    env({ ...dev, githubEnvironment: "production-plan" }),
    "environments/dev.ts",
    "githubEnvironment",
    '"production-plan"',
  ],
  [
    "a person's role given as a user",
    (app: App) =>
      createStacks(
        app,
        makeConfig(
          { dev: { ...dev, people: { operators: ["arn:aws:iam::555566667777:user/alice"] } } },
          { ...PROJECT, ci: { repository: "acme/infra" } },
        ),
      ),
    "environments/dev.ts",
    "people.operators.0",
    '"arn:aws:iam::555566667777:user/alice"',
  ],
  [
    "people roles without the ci stack that makes them",
    env({ ...dev, people: { readers: ["arn:aws:iam::555566667777:role/developers"] } }),
    "environments/dev.ts",
    "people",
    "",
  ],
  [
    "so many GitHub environments that a CI apply policy would pass IAM's 10,240 characters",
    (app: App) =>
      createStacks(
        app,
        makeConfig(
          Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`env-number-${i}`, { tier: "development", network: NETWORK }])),
          { ...PROJECT, ci: { repository: "acme/infra" } },
        ),
      ),
    "modules/stacks/ci-stack.ts",
    "apply policy",
    "",
  ],
  [
    "two GitHub environments that make one CI role name",
    (app: App) =>
      createStacks(
        app,
        makeConfig(
          { dev: { ...dev, githubEnvironment: "Dev Team" }, qa: { tier: "development", network: NETWORK, githubEnvironment: "dev team" } },
          { ...PROJECT, ci: { repository: "acme/infra" } },
        ),
      ),
    "environments/qa.ts",
    "githubEnvironment",
    '"dev team"',
  ],
  // Module props.
  [
    "a pipeline-actions role name over IAM's 64 characters",
    inStack(
      (s) => new PipelineActionsRole(s, "actions", { roleName: "a".repeat(65), artifactBucketArn: "arn:aws:s3:::b", artifactKeyArn: "k" }),
    ),
    "modules/constructs/pipeline-actions-role.ts",
    "roleName",
    '"aaaa',
  ],
  [
    "a role name over IAM's 64 characters",
    inStack((s) => new ServiceRole(s, "role", { roleName: "r".repeat(70), service: "codebuild.amazonaws.com", accountId: "111122223333" })),
    "modules/constructs/service-role.ts",
    "roleName",
    '"rrrr',
  ],
  [
    "a service principal that is not one",
    inStack((s) => new ServiceRole(s, "role", { roleName: "r", service: "codebuild", accountId: "111122223333" })),
    "modules/constructs/service-role.ts",
    "service",
    '"codebuild"',
  ],
  [
    "a key deletion window of 3 days",
    inStack(
      (s) =>
        new EncryptionKey(s, "key", {
          alias: "a",
          description: "d",
          accountId: "111122223333",
          region: "us-east-2",
          deletionWindowInDays: 3,
        }),
    ),
    "modules/constructs/encryption-key.ts",
    "deletionWindowInDays",
    "3",
  ],
  [
    "an alias in the aws/ namespace",
    inStack((s) => new EncryptionKey(s, "key", { alias: "aws/s3", description: "d", accountId: "111122223333", region: "us-east-2" })),
    "modules/constructs/encryption-key.ts",
    "alias",
    '"aws/s3"',
  ],
  [
    "a bucket name over 63 characters",
    inStack((s) => new ArtifactBucket(s, "b", { ...artifactBucket, bucketName: "b".repeat(64) })),
    "modules/constructs/secure-bucket.ts",
    "bucketName",
    '"bbbb',
  ],
  [
    "a bucket that writes its server access logs into itself",
    inStack(
      (s) =>
        new ArtifactBucket(s, "b", { ...artifactBucket, serverAccessLogs: { bucketName: "artifacts", prefix: "s3-access/artifacts" } }),
    ),
    "modules/constructs/secure-bucket.ts",
    "serverAccessLogs.bucketName",
    '"artifacts"',
  ],
  [
    "an access-log expiry of 0 days",
    inStack(
      (s) =>
        new AccessLogBucket(s, "logs", {
          bucketName: "logs",
          accountId: "111122223333",
          region: "us-east-2",
          retentionDays: { albAccess: 365, albConnection: 0, s3Access: 365, cloudfrontAccess: 365 },
        }),
    ),
    "modules/constructs/access-log-bucket.ts",
    "retentionDays.albConnection",
    "0",
  ],
  [
    "an ALB log prefix containing AWSLogs",
    inStack((s) => new WebEntry(s, "web", { ...web, logs: { ...web.logs, accessPrefix: "alb/AWSLogs" } })),
    "modules/constructs/web-entry.ts",
    "logs.accessPrefix",
    '"alb/AWSLogs"',
  ],
  [
    "an acceptance buildspec outside the repository",
    inStack(
      (s) =>
        new AcceptanceTests(s, "tests", {
          projectName: "shop-dev-acceptance",
          buildspec: "/etc/buildspec.yml",
          accountId: "111122223333",
          region: "us-east-2",
          artifactBucketArn: "arn:aws:s3:::b",
          artifactPrefix: "dev-shop",
          artifactKeyArn: "k",
          logKeyArn: "k",
          logRetentionDays: 30,
        }),
    ),
    "modules/constructs/acceptance-tests.ts",
    "buildspec",
    '"/etc/buildspec.yml"',
  ],
  [
    "a scan project name with a space",
    inStack((s) => new ScanProject(s, "scan", { ...buildProject, projectName: "shop scan" })),
    "modules/constructs/scan-project.ts",
    "projectName",
    '"shop scan"',
  ],
  [
    "a concurrent build limit of 0",
    inStack((s) => new SharedBuildProject(s, "p", { ...buildProject, concurrentBuildLimit: 0 })),
    "modules/constructs/shared-build-project.ts",
    "concurrentBuildLimit",
    "0",
  ],
  [
    "an ALB name over 32 characters",
    inStack((s) => new WebEntry(s, "web", { ...web, name: "a-very-long-application-name-dev-1" })),
    "modules/constructs/web-entry.ts",
    "name",
    '"a-very-long-application-name-dev-1"',
  ],
  [
    "a health check path without /",
    inStack((s) => new WebEntry(s, "web", { ...web, healthCheckPath: "health" })),
    "modules/constructs/web-entry.ts",
    "healthCheckPath",
    '"health"',
  ],
  [
    "a desired capacity above the maximum",
    inStack((s) => new AppFleet(s, "fleet", { ...fleet, desiredCapacity: 5 })),
    "modules/constructs/app-fleet.ts",
    "desiredCapacity",
    "5",
  ],
  [
    "a root volume too small for Amazon Linux",
    inStack((s) => new AppFleet(s, "fleet", { ...fleet, rootVolumeGiB: 4 })),
    "modules/constructs/app-fleet.ts",
    "rootVolumeGiB",
    "4",
  ],
  [
    "a VPC endpoint set without route tables",
    inStack(
      (s) =>
        new PrivateEndpoints(s, "e", {
          name: "shop-dev",
          region: "us-east-2",
          vpcId: "vpc-1",
          subnetIds: ["subnet-a"],
          routeTableIds: [],
          instanceSecurityGroupId: "sg-1",
        }),
    ),
    "modules/constructs/private-endpoints.ts",
    "routeTableIds",
    "[]",
  ],
  [
    "an artifact prefix CodePipeline would not write to",
    inStack((s) => new DeliveryPipeline(s, "p", { ...pipeline, artifactPrefix: "shop-dev" })),
    "modules/constructs/delivery-pipeline.ts",
    "artifactPrefix",
    '"shop-dev"',
  ],
  [
    "a pipeline branch with ..",
    inStack((s) => new DeliveryPipeline(s, "p", { ...pipeline, branch: "deploy/../prod" })),
    "modules/constructs/delivery-pipeline.ts",
    "branch",
    '"deploy/../prod"',
  ],
  [
    "a static site with aliases but no certificate",
    inStack((s) => new StaticSite(s, "site", site(s, { aliases: ["admin.example.com"] }))),
    "modules/constructs/static-site.ts",
    "certificateArn",
    "",
  ],
  [
    "a static site alarm at 0 percent",
    inStack(
      (s) =>
        new SiteAlarms(s, "alarms", {
          name: "shop-dev",
          accountId: "111122223333",
          region: "us-east-2",
          edgeProvider: new AwsProvider(s, "edge", { region: "us-east-1", alias: "edge" }),
          sites: [{ name: "admin", distributionId: "E123" }],
          errorRatePercent: 0,
          blockedRequests: 100,
          topicArn: "arn:aws:sns:us-east-2:111122223333:t",
          ruleName: "r",
        }),
    ),
    "modules/constructs/site-alarms.ts",
    "errorRatePercent",
    "0",
  ],
  [
    "a web firewall rate limit below AWS WAF's minimum",
    inStack(
      (s) => new WebFirewall(s, "firewall", { name: "shop-dev", scope: "REGIONAL", mode: "block", rateLimit: 9, logRetentionDays: 30 }),
    ),
    "modules/constructs/web-firewall.ts",
    "rateLimit",
    "9",
  ],
  [
    "a CloudFront web firewall without the us-east-1 provider",
    inStack(
      (s) =>
        new WebFirewall(s, "firewall", {
          name: "shop-dev-admin",
          scope: "CLOUDFRONT",
          mode: "block",
          rateLimit: 2000,
          logRetentionDays: 30,
        }),
    ),
    "modules/constructs/web-firewall.ts",
    "scope",
    '"CLOUDFRONT"',
  ],
  [
    "so many static sites with long names that their alarms' event pattern passes EventBridge's 2,048 characters",
    inStack(
      (s) =>
        new SiteAlarms(s, "alarms", {
          name: "a-long-application-name-production",
          accountId: "111122223333",
          region: "us-east-2",
          edgeProvider: new AwsProvider(s, "edge", { region: "us-east-1", alias: "edge" }),
          sites: Array.from({ length: 9 }, (_, i) => ({
            name: `site-number-${i}`,
            distributionId: `E${i}`,
            firewall: { metricName: `a-long-application-name-production-site-number-${i}`, mode: "block" as const },
          })),
          errorRatePercent: 5,
          blockedRequests: 100,
          topicArn: "arn:aws:sns:us-east-2:111122223333:t",
          ruleName: "r",
        }),
    ),
    "modules/constructs/site-alarms.ts",
    "sites",
    '["site-number-0"',
  ],
  [
    "release steps for an artifact whose name is no CodeBuild variable",
    inStack(
      (s) =>
        new ReleaseSteps(s, "release", {
          projectName: "shop-dev-release",
          artifactBucketName: "b",
          workload: "shop",
          environment: "dev",
          inputsHash: "0123456789abcdef",
          artifacts: ["Build-1"],
          accountId: "111122223333",
          region: "us-east-2",
          artifactBucketArn: "arn:aws:s3:::b",
          artifactPrefix: "dev-shop",
          artifactKeyArn: "arn:aws:kms:us-east-2:111122223333:key/k",
          logKeyArn: "arn:aws:kms:us-east-2:111122223333:key/k",
          logRetentionDays: 30,
        }),
    ),
    "modules/constructs/release-steps.ts",
    "artifacts",
    '["Build-1"]',
  ],
  [
    "an invalidation project named with a space",
    inStack(
      (s) =>
        new SiteInvalidation(s, "inv", {
          projectName: "shop dev",
          accountId: "111122223333",
          region: "us-east-2",
          distributionId: "E123",
          distributionArn: "arn:aws:cloudfront::111122223333:distribution/E123",
          artifactBucketArn: "arn:aws:s3:::b",
          artifactPrefix: "dev-admin-shop",
          artifactKeyArn: "arn:aws:kms:us-east-2:111122223333:key/k",
          logKeyArn: "arn:aws:kms:us-east-2:111122223333:key/l",
          logRetentionDays: 30,
        }),
    ),
    "modules/constructs/site-invalidation.ts",
    "projectName",
    '"shop dev"',
  ],
  [
    "a traffic switch without a listener to move",
    inStack(
      (s) =>
        new TrafficSwitch(s, "traffic", {
          projectName: "shop-prod-traffic",
          accountId: "111122223333",
          region: "us-east-2",
          parameterName: "/shop/prod.live-slot",
          listenerArns: [],
          slots: {
            blue: { autoScalingGroupName: "shop-prod", targetGroupArn: "tg-b", deploymentGroupName: "shop-prod", alarmNames: ["a"] },
            green: {
              autoScalingGroupName: "shop-prod-green",
              targetGroupArn: "tg-g",
              deploymentGroupName: "shop-prod-green",
              alarmNames: ["b"],
            },
          },
          codeDeployApplication: "shop-prod",
          deploymentConfig: "CodeDeployDefault.AllAtOnce",
          minCapacity: 2,
          settings: { traffic: "linear", stepPercent: 25, stepMinutes: 5, releaseAfterMinutes: 60 },
          artifactBucketArn: "arn:aws:s3:::b",
          artifactPrefix: "prod-shop",
          artifactKeyArn: "arn:aws:kms:us-east-2:111122223333:key/k",
          logKeyArn: "arn:aws:kms:us-east-2:111122223333:key/l",
          logRetentionDays: 30,
        }),
    ),
    "modules/constructs/traffic-switch.ts",
    "listenerArns",
    "[]",
  ],
  [
    "a deployment group without alarms",
    inStack(
      (s) =>
        new InPlaceDeployment(s, "d", {
          name: "shop-dev",
          accountId: "111122223333",
          region: "us-east-2",
          fleets: [{ autoScalingGroupName: "g", targetGroupName: "t", alarmNames: [] }],
          instanceRoleArn: "arn:aws:iam::111122223333:role/shop-dev-instance",
        }),
    ),
    "modules/constructs/in-place-deployment.ts",
    "fleets[0].alarmNames",
    "[]",
  ],
  // Containers (docs/workloads.md, "Containers").
  [
    "a container beside the service without its paths",
    withApi(dev, { paths: undefined }),
    "environments/_project.ts",
    "workloads.api.paths",
    "",
  ],
  [
    "a container memory Fargate does not run with its CPU",
    withApi(dev, { cpu: 256, memory: 4096 }),
    "environments/_project.ts",
    "workloads.api.memory",
    "4096",
  ],
  ["a container CPU that is no Fargate size", withApi(dev, { cpu: 300 }), "environments/_project.ts", "workloads.api.cpu", "300"],
  ["a container on a privileged port", withApi(dev, { port: 80 }), "environments/_project.ts", "workloads.api.port", "80"],
  [
    "a container path that is not a path",
    withApi(dev, { paths: ["api/*"] }),
    "environments/_project.ts",
    "workloads.api.paths.0",
    '"api/*"',
  ],
  [
    "one task of a container in production",
    withApi({ tier: "production", network: NETWORK, workloads: { api: { minTasks: 1 } } }, {}, "prod"),
    "environments/prod.ts",
    "workloads.api.minTasks",
    "1",
  ],
  [
    "fewer tasks at most than at least",
    withApi({ ...dev, workloads: { api: { minTasks: 3, maxTasks: 2 } } }),
    "environments/dev.ts",
    "workloads.api.maxTasks",
    "2",
  ],
  [
    "a site setting on a container",
    withApi({ ...dev, workloads: { api: { priceClass: "PriceClass_All" } } }),
    "environments/dev.ts",
    "workloads.api.priceClass",
    '"PriceClass_All"',
  ],
  [
    "a container setting on a site",
    withApiAndSite({ ...dev, workloads: { site: { minTasks: 2 } } }),
    "environments/dev.ts",
    "workloads.site.minTasks",
    "2",
  ],
  [
    "a production image scan that only warns",
    withApi({ tier: "production", network: NETWORK, scans: { image: "warn" } }, {}, "prod"),
    "environments/prod.ts",
    "scans.image",
    '"warn"',
  ],
  [
    "a container to rebuild",
    (app: App) =>
      createStacks(
        app,
        makeConfig(
          { dev, qa: { ...dev, pipeline: { promoteFrom: ["dev"], rebuild: ["api"] } } },
          { ...PROJECT, workloads: { ...PROJECT.workloads, api: API } },
        ),
      ),
    "environments/qa.ts",
    "pipeline.rebuild",
    '"api"',
  ],
  [
    "every container disabled in a project without the service",
    (app: App) =>
      createStacks(
        app,
        makeConfig(
          { dev: { ...dev, workloads: { api: { enabled: false } } } },
          { ...PROJECT, workloads: { api: { kind: "container", repository: "acme/api" } } },
        ),
      ),
    "environments/dev.ts",
    "workloads",
    '["api"]',
  ],
  [
    "a task memory Fargate does not run",
    inStack((s) => new ContainerService(s, "api", containerService(300))),
    "modules/constructs/container-service.ts",
    "memory",
    "300",
  ],
  [
    "an image build project with no repository to push to",
    inStack(
      (s) =>
        new ImageBuildProject(s, "image", {
          projectName: "shop-image",
          accountId: "111122223333",
          region: "us-east-2",
          artifactBucketArn: "arn:aws:s3:::b",
          kmsKeyArn: "arn:aws:kms:us-east-2:111122223333:key/k",
          repositoryArns: [],
        }),
    ),
    "modules/constructs/image-build-project.ts",
    "repositoryArns",
    "[]",
  ],
  [
    "an image repository named in capitals",
    inStack(
      (s) => new ImageRepository(s, "repo", { name: "Shop/API", kmsKeyArn: "arn:aws:kms:us-east-2:111122223333:key/k", pullers: [] }),
    ),
    "modules/constructs/image-repository.ts",
    "name",
    '"Shop/API"',
  ],
  [
    "an image scan gate that is off",
    inStack(
      (s) =>
        new ImageScanGate(s, "gate", {
          ...stepResources,
          projectName: "shop-dev-api-image-scan",
          containerName: "api",
          repositoryName: "shop/api",
          repositoryArn: "arn:aws:ecr:us-east-2:111122223333:repository/shop/api",
          failOn: "off" as "warn",
        }),
    ),
    "modules/constructs/image-scan-gate.ts",
    "failOn",
    '"off"',
  ],
  [
    "runtime configuration whose secrets stay recoverable for 3 days",
    inStack((s) => new RuntimeConfig(s, "runtime", { ...runtime, secrets: ["DB_PASSWORD"], secretRecoveryDays: 3 })),
    "modules/constructs/runtime-config.ts",
    "secretRecoveryDays",
    "3",
  ],
  [
    "runtime configuration naming one name as a setting and a secret",
    inStack(
      (s) => new RuntimeConfig(s, "runtime", { ...runtime, settings: { DB_URL: "postgres://db.internal/shop" }, secrets: ["DB_URL"] }),
    ),
    "modules/constructs/runtime-config.ts",
    "settings",
    '["DB_URL"]',
  ],
];

describe("bad input", () => {
  it("has a case for every construct that checks its props, each case distinct", () => {
    expect(new Set(CASES.map(([d]) => d)).size).toBe(CASES.length);
    const dir = path.join(ROOT, "modules", "constructs");
    const checking = fs
      .readdirSync(dir)
      .filter((f) => fs.readFileSync(path.join(dir, f), "utf8").includes("validateProps(this,"))
      .map((f) => `modules/constructs/${f}`);
    expect(checking.length).toBeGreaterThan(5);
    const covered = new Set(CASES.map(([, , file]) => file));
    expect(checking.filter((f) => !covered.has(f))).toEqual([]);
  });
  it.each(CASES)("rejects %s, naming file, field and value, and writes no stack", (...[, build, file, field, value]: Case) => {
    const { message, written } = attempt(build);
    expect(message).toContain(file);
    expect(message).toContain(`${field}:`);
    if (value) expect(message).toContain(`(got ${value}`);
    expect(message).toContain("nothing was synthesized");
    expect(written).toEqual([]);
  });
});
