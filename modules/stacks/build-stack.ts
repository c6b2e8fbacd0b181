import { Construct } from "constructs";
import { CodestarconnectionsConnection } from "@cdktf/provider-aws/lib/codestarconnections-connection";
import {
  BUILD_STACK,
  alarmForwardingName,
  accessLogBucketName,
  accessLogPrefix,
  artifactBucketName,
  artifactKeyAlias,
  buildProjectName,
  scanProjectName,
  imageProjectName,
  imageRepositoryName,
  connectionName,
  TIERS,
  artifactPrefix,
  environmentPrefix,
  isCrossAccount,
  workloadPipelineName,
  type EnvironmentConfig,
  type ProjectConfig,
} from "../config";
import { ProjectStack, type SynthOptions } from "./project-stack";
import { EncryptionKey } from "../constructs/encryption-key";
import { ArtifactBucket } from "../constructs/artifact-bucket";
import { AccessLogBucket } from "../constructs/access-log-bucket";
import { SharedBuildProject } from "../constructs/shared-build-project";
import { ScanProject } from "../constructs/scan-project";
import { ImageRepository } from "../constructs/image-repository";
import { ImageBuildProject } from "../constructs/image-build-project";
import { publishBuildOutputs } from "./contract";
import { DeliveryEventsPolicy, deliveryWidgets } from "../constructs/delivery-events";
import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { dashboardBody } from "../lib/dashboard";
import { accountRootArn, roleArn } from "../lib/arn";
import { CloudwatchEventBusPolicy } from "@cdktf/provider-aws/lib/cloudwatch-event-bus-policy";
import { policyDocument } from "../lib/policy";

export interface BuildStackProps extends SynthOptions {
  readonly project: ProjectConfig;
  /**
   * The environments whose delivery the project's dashboard shows (previews aside).
   * @default [] - no delivery dashboard
   */
  readonly environments?: readonly EnvironmentConfig[];
}

/**
 * The shared build stack, deployed once per account before any app stack: the artifact KMS key
 * and bucket, the access-log bucket, the shared CodeBuild project and its role, and the GitHub
 * connection. It publishes the contract outputs (modules/stacks/contract.ts) that the app stacks
 * read.
 */
export class BuildStack extends ProjectStack {
  readonly key: EncryptionKey;
  readonly artifacts: ArtifactBucket;
  readonly accessLogs: AccessLogBucket;
  readonly build: SharedBuildProject;
  readonly scan: ScanProject;
  readonly connectionArn: string;
  /** The container workloads' repositories, by workload, and the project that builds their images. */
  readonly images?: { readonly repositories: Readonly<Record<string, ImageRepository>>; readonly project: ImageBuildProject };

  constructor(scope: Construct, props: BuildStackProps) {
    super(scope, BUILD_STACK, { ...props, tags: {} });
    const { appName, accountId, region } = props.project;

    this.key = new EncryptionKey(this, "artifact-key", {
      alias: artifactKeyAlias(appName),
      description: `Encrypts ${appName}'s pipeline artifacts and build logs`,
      accountId,
      region,
      allowCloudWatchLogs: true,
      retain: true,
    });

    this.accessLogs = new AccessLogBucket(this, "access-logs", {
      bucketName: accessLogBucketName(appName, accountId, region),
      accountId,
      region,
      retentionDays: props.project.accessLogs.retentionDays,
      noncurrentVersionDays: props.project.accessLogs.noncurrentDays,
    });

    const artifactBucket = artifactBucketName(appName, accountId, region);
    this.artifacts = new ArtifactBucket(this, "artifacts", {
      bucketName: artifactBucket,
      kmsKeyArn: this.key.arn,
      noncurrentVersionDays: props.project.noncurrentArtifactDays,
      serverAccessLogs: { bucketName: this.accessLogs.name, prefix: accessLogPrefix("s3Access", artifactBucket) },
    });

    this.grantEnvironmentAccounts(props.project, props.environments ?? []);

    this.build = new SharedBuildProject(this, "build", {
      projectName: buildProjectName(appName),
      accountId,
      region,
      artifactBucketName: this.artifacts.name,
      artifactBucketArn: this.artifacts.arn,
      kmsKeyArn: this.key.arn,
      ...props.project.build,
    });

    this.scan = new ScanProject(this, "scan", {
      projectName: scanProjectName(appName),
      accountId,
      region,
      artifactBucketName: this.artifacts.name,
      artifactBucketArn: this.artifacts.arn,
      kmsKeyArn: this.key.arn,
      logRetentionDays: props.project.build?.logRetentionDays,
    });

    this.images = this.containerImages(props.project, props.environments ?? []);

    this.connectionArn =
      props.project.connectionArn ??
      new CodestarconnectionsConnection(this, "github", { name: connectionName(appName), providerType: "GitHub" }).arn;

    const deliveryEvents = new DeliveryEventsPolicy(this, "delivery-events", { appName, accountId, region });
    this.deliveryDashboard(props.project, props.environments ?? []);

    publishBuildOutputs(this, {
      artifactBucketName: this.artifacts.name,
      artifactBucketArn: this.artifacts.arn,
      artifactKeyArn: this.key.arn,
      buildProjectName: this.build.project.name,
      buildProjectArn: this.build.project.arn,
      scanProjectName: this.scan.project.name,
      scanProjectArn: this.scan.project.arn,
      connectionArn: this.connectionArn,
      accessLogBucketName: this.accessLogs.name,
      accessLogBucketArn: this.accessLogs.arn,
      deliveryEventsLogPrefix: deliveryEvents.prefix,
    });
  }

  /**
   * A repository per container workload, shared by its environments (an image is built once and
   * promoted by digest), and the one privileged project that builds and pushes their images.
   */
  private containerImages(project: ProjectConfig, environments: readonly EnvironmentConfig[]): BuildStack["images"] {
    const names = Object.keys(project.containers);
    if (!names.length) return undefined;
    const repositories = Object.fromEntries(
      names.map((workload) => [
        workload,
        new ImageRepository(this, `image-repository-${workload}`, {
          name: imageRepositoryName(project.appName, workload),
          kmsKeyArn: this.key.arn,
          pullers: environments
            .filter((e) => isCrossAccount(project, e) && e.containers.some((c) => c.name === workload))
            .map((e) => ({ accountId: e.accountId, rolePrefix: `${environmentPrefix(project.appName, e.name)}-` })),
        }),
      ]),
    );
    const imageProject = new ImageBuildProject(this, "image", {
      projectName: imageProjectName(project.appName),
      accountId: project.accountId,
      region: project.region,
      artifactBucketArn: this.artifacts.arn,
      kmsKeyArn: this.key.arn,
      repositoryArns: Object.values(repositories).map((r) => r.repository.arn),
      computeType: project.build.computeType,
      timeoutMinutes: project.build.timeoutMinutes,
      logRetentionDays: project.build.logRetentionDays,
    });
    return { repositories, project: imageProject };
  }

  /**
   * Each environment in an account of its own may read its own artifacts and nothing more: the bucket
   * policy and the key policy name the same principals under the same condition (rule
   * ARTIFACT_GRANTS_MATCH), as cross-account delivery needs both sides (CodePipeline user guide,
   * "Create a pipeline in CodePipeline that uses resources from another AWS account", steps 1.2
   * and 1.3; the key by its ARN, as aliases do not work from other accounts). The prefix is the
   * bucket policy's limit: with S3 Bucket Keys, S3 asks KMS with the bucket's ARN as encryption
   * context (S3 user guide, "Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys"), so the key
   * policy admits KMS requests made by S3 for this bucket only.
   */
  private grantEnvironmentAccounts(project: ProjectConfig, environments: readonly EnvironmentConfig[]): void {
    const bucketArn = this.artifacts.arn;
    const crossAccount = environments.filter((e) => isCrossAccount(project, e));
    // The tooling account's default bus takes each such environment's alarm state changes from its
    // forwarding rule only (EventBridge user guide, "Example policy: Send events only from a
    // specific rule to the bus in a different account"), for the delivery dashboard's time to
    // restore. One policy per bus: build owns the tooling account's default bus policy.
    if (crossAccount.length) {
      const busArn = `arn:aws:events:${project.region}:${project.accountId}:event-bus/default`;
      new CloudwatchEventBusPolicy(this, "event-bus-policy", {
        eventBusName: "default",
        policy: policyDocument(
          crossAccount.map((env) => ({
            sid: `${env.name.replace(/[^A-Za-z0-9]/g, "")}AlarmEventsFromAccount${env.accountId}`,
            principals: { AWS: accountRootArn(env.accountId) },
            actions: ["events:PutEvents"],
            resources: [busArn],
            conditions: {
              ArnEquals: {
                "aws:SourceArn": `arn:aws:events:${project.region}:${env.accountId}:rule/${alarmForwardingName(project.appName, env.name)}`,
              },
            },
          })),
        ),
      });
    }
    for (const env of environments.filter((e) => isCrossAccount(project, e))) {
      const principals = { AWS: accountRootArn(env.accountId) };
      // The environment's own roles: its pipeline-actions role, its instances', its pipeline steps'.
      // Another environment of the account named "<env>-<more>" would match the pattern: the
      // configuration refuses it (crossEnvironmentProblems).
      const conditions = { ArnLike: { "aws:PrincipalArn": roleArn(env.accountId, `${environmentPrefix(project.appName, env.name)}-*`) } };
      const prefixes = env.workloads.map((w) => artifactPrefix(workloadPipelineName(project.appName, env.name, w)));
      const id = env.name.replace(/[^A-Za-z0-9]/g, "");
      this.artifacts.addToResourcePolicy({
        sid: `${id}InAccount${env.accountId}ReadsItsArtifacts`,
        principals,
        actions: ["s3:GetObject", "s3:GetObjectVersion"],
        resources: prefixes.map((p) => `${bucketArn}/${p}/*`),
        conditions,
      });
      this.artifacts.addToResourcePolicy({
        // CodeBuild checks the bucket's owner and region before it downloads an input.
        sid: `${id}InAccount${env.accountId}LocatesTheBucket`,
        principals,
        actions: ["s3:GetBucketLocation", "s3:GetBucketAcl"],
        resources: [bucketArn],
        conditions,
      });
      this.key.addToResourcePolicy({
        sid: `${id}InAccount${env.accountId}DecryptsItsArtifacts`,
        principals,
        actions: ["kms:Decrypt"],
        resources: ["*"],
        conditions: {
          ...conditions,
          StringEquals: { "kms:ViaService": `s3.${project.region}.amazonaws.com` },
          // The bucket's ARN with an S3 Bucket Key, an object's without one.
          StringLike: { "kms:EncryptionContext:aws:s3:arn": [bucketArn, `${bucketArn}/*`] },
        },
      });
    }
  }

  /**
   * The project's delivery dashboard, `<appName>-delivery`: each environment's pipelines, production
   * last. Found by its name (build publishes only the contract's outputs).
   */
  private deliveryDashboard(project: ProjectConfig, environments: readonly EnvironmentConfig[]): void {
    const order = (e: EnvironmentConfig) => TIERS.indexOf(e.tier);
    const pipelines = [...environments]
      .filter((e) => e.preview === undefined)
      .sort((a, b) => order(a) - order(b))
      .flatMap((e) =>
        e.workloads.map((w) => ({
          environment: e.name,
          workload: w.name,
          pipeline: workloadPipelineName(project.appName, e.name, w),
          production: e.tier === "production",
        })),
      );
    if (!pipelines.length) return;
    const name = `${project.appName}-delivery`;
    const header = [
      `# ${name}`,
      "Each environment's delivery, from its delivery events (docs/monitoring.md, Delivery metrics): deployment frequency, change failure rate, lead time for changes and time to restore.",
    ].join("\n\n");
    new CloudwatchDashboard(this, "delivery-dashboard", {
      dashboardName: name,
      dashboardBody: JSON.stringify(
        dashboardBody(
          [{ type: "text", markdown: header }, ...deliveryWidgets({ appName: project.appName, region: project.region, pipelines })],
          project.region,
          // 30 days (what dev keeps of its logs), each graph at its own period: daily, weekly.
          { start: "-P30D", periodOverride: "inherit" },
        ),
      ),
    });
  }
}
