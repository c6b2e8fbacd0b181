import type { Construct } from "constructs";
import { artifactPrefix, buildSettingValues } from "../config";
import { DeliveryPipeline } from "../constructs/delivery-pipeline";
import {
  BUILD_ARTIFACT,
  deliveryStages,
  SITE_ASSETS_ARTIFACT,
  SITE_PAGES_ARTIFACT,
  type DeliveryTarget,
  type DeploymentWindow,
} from "../lib/pipeline-stages";
import { ReleaseSteps } from "../constructs/release-steps";
import { buildInputsHash } from "../lib/releases";
import type { PolicyStatement } from "../lib/policy";
import type { EnvironmentContext } from "./environment";
import { SCAN_KINDS } from "../lib/scans";
import { arn } from "../lib/arn";
import { AcceptanceTests } from "../constructs/acceptance-tests";
import { ImageScanGate } from "../constructs/image-scan-gate";

export interface WorkloadPipelineProps {
  /** The pipeline construct's id, which is its address ("pipeline", "site-<name>-pipeline"). */
  readonly id: string;
  readonly pipelineName: string;
  /** The workload's name (its builds get it as WORKLOAD) and its repository. */
  readonly workload: string;
  readonly repository: string;
  readonly buildVariables: Readonly<Record<string, string>>;
  readonly target: DeliveryTarget;
  /** What the pipeline's role may do to deliver, each grant from the construct that owns the resource. */
  readonly deployGrants: readonly PolicyStatement[];
  /** @default - deploys any time */
  readonly deployWindow?: DeploymentWindow;
  /**
   * The alarms the environment's bake watches (pipeline.bakeMinutes): names, and the account and
   * region they live in (the environment's; a site's in us-east-1). @default - no bake
   */
  readonly bakeAlarms?: readonly { readonly name: string; readonly accountId: string; readonly region?: string }[];
  /**
   * Where the application's acceptance tests run (acceptanceTests in the environment file): the
   * project's name and the URL they test (a blue/green service's test listener).
   */
  readonly acceptance: { readonly projectName: string; readonly url: string };
  /** The name of the workload's release project (build once, promote: ReleaseSteps). */
  readonly releaseProjectName: string;
  /**
   * A container's image: built on the build stack's image project (its variables are the
   * workload's own plus these), and gated on ECR's scan before any deploy.
   * @default - built on the shared build project
   */
  readonly image?: {
    readonly projectName: string;
    readonly variables: Readonly<Record<string, string>>;
    readonly repositoryName: string;
    readonly repositoryArn: string;
    readonly scanProjectName: string;
  };
}

/**
 * A workload's pipeline in its environment: source on the environment's branch of its repository,
 * the shared build, the approval where the environment requires one, the delivery.
 */
export function workloadPipeline(scope: Construct, environment: EnvironmentContext, props: WorkloadPipelineProps): DeliveryPipeline {
  const { project, environment: env, build, alerts, key, delivery } = environment;
  const { actionsRole } = delivery;
  const tests = env.acceptanceTests.enabled
    ? new AcceptanceTests(scope, `${props.id}-acceptance`, {
        projectName: props.acceptance.projectName,
        buildspec: env.acceptanceTests.buildspec,
        ...(env.acceptanceTests.inVpc ? { vpc: { vpcId: env.network.vpcId, subnetIds: env.network.privateSubnetIds } } : {}),
        accountId: project.accountId,
        region: project.region,
        artifactBucketArn: build.artifactBucketArn,
        artifactPrefix: artifactPrefix(props.pipelineName),
        artifactKeyArn: build.artifactKeyArn,
        logKeyArn: key.arn,
        projectKeyArn: actionsRole ? key.arn : undefined,
        logRetentionDays: env.logRetentionDays,
        retain: env.deletionProtection,
      })
    : undefined;
  // A site's build gets the environment's build settings; a service reads its settings at run time.
  const buildSettings = props.target.kind === "static-site" ? buildSettingValues(env.runtime) : {};
  const promotes = env.pipeline.promoteFrom.length > 0 && !env.pipeline.rebuild.includes(props.workload);
  const rebuilds = env.pipeline.promoteFrom.length > 0 && env.pipeline.rebuild.includes(props.workload);
  // A step of the pipeline in the pipelines' account, beside the artifacts (placed with the pipeline).
  const inTooling = {
    accountId: delivery.accountId,
    region: project.region,
    artifactBucketArn: build.artifactBucketArn,
    artifactPrefix: artifactPrefix(props.pipelineName),
    artifactKeyArn: build.artifactKeyArn,
    // The artifact key lets CloudWatch Logs of its own account use it (the build's logs too).
    logKeyArn: build.artifactKeyArn,
    logRetentionDays: env.logRetentionDays,
    retain: env.deletionProtection,
  };
  const release = new ReleaseSteps(scope, `${props.id}-release`, {
    projectName: props.releaseProjectName,
    artifactBucketName: build.artifactBucketName,
    workload: props.workload,
    environment: env.name,
    inputsHash: buildInputsHash(props.workload, { ...buildSettings, ...props.buildVariables }),
    artifacts: props.target.kind === "static-site" ? [SITE_ASSETS_ARTIFACT, SITE_PAGES_ARTIFACT] : [BUILD_ARTIFACT],
    // Where successes are announced, each release that passed is, with its digest.
    ...(env.pipeline.notifyOnSuccess ? { notify: { topicArn: alerts.arn, keyArn: key.arn } } : {}),
    ...inTooling,
  });
  delivery.place(release);
  // In another account, the topic's and the key's policies must admit the announcer too.
  if (env.pipeline.notifyOnSuccess && actionsRole) {
    alerts.addPublisher(release.role.arn);
    key.allowPublisher(release.role.arn);
  }
  const alarms = env.pipeline.bakeMinutes > 0 ? (props.bakeAlarms ?? []) : [];
  // The role that watches a bake reads the alarms (CloudWatchAlarm rule): the actions role in the
  // environment's account, else the pipeline's own.
  const deployGrants: readonly PolicyStatement[] = [
    ...props.deployGrants,
    ...(tests ? [tests.grantRun()] : []),
    ...(alarms.length
      ? [
          {
            sid: "WatchBakeAlarms",
            actions: ["cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmHistory"],
            resources: alarms.map((a) =>
              arn({ accountId: a.accountId, region: a.region ?? project.region }, "cloudwatch", `alarm:${a.name}`),
            ),
          },
        ]
      : []),
  ];
  // In the pipelines' account, beside the repository (placed with the pipeline).
  const imageScan =
    props.image && env.imageScan !== "off"
      ? new ImageScanGate(scope, `${props.id}-image-scan`, {
          projectName: props.image.scanProjectName,
          containerName: props.workload,
          repositoryName: props.image.repositoryName,
          repositoryArn: props.image.repositoryArn,
          failOn: env.imageScan,
          ...inTooling,
        })
      : undefined;
  if (imageScan) delivery.place(imageScan);
  const approval = env.pipeline.requireApproval ? { topicArn: alerts.arn } : undefined;
  const statements: PolicyStatement[] = [
    ...environment.buildGrants,
    release.grantRun(),
    ...(props.image
      ? [
          {
            sid: "RunImageBuild",
            actions: ["codebuild:StartBuild", "codebuild:BatchGetBuilds"],
            resources: [arn({ accountId: delivery.accountId, region: project.region }, "codebuild", `project/${props.image.projectName}`)],
          },
        ]
      : []),
    ...(imageScan ? [imageScan.grantRun()] : []),
    // Cross-account, the deploy runs as the environment's role: the pipeline may only assume it.
    ...(actionsRole ? [{ sid: "AssumeEnvironmentsActionsRole", actions: ["sts:AssumeRole"], resources: [actionsRole.arn] }] : deployGrants),
    ...(approval ? [...alerts.grantPublish(), key.grantEncrypt("EncryptApprovalNotifications")] : []),
  ];
  const pipeline = new DeliveryPipeline(scope, props.id, {
    pipelineName: props.pipelineName,
    accountId: delivery.accountId,
    region: project.region,
    branch: env.pipeline.branch,
    triggerBranches: env.pipeline.triggerBranches,
    executionMode: env.pipeline.executionMode,
    requireApproval: env.pipeline.requireApproval,
    requireScans: SCAN_KINDS.filter((kind) => env.scans[kind] !== "off"),
    requireTests: env.acceptanceTests.enabled,
    requireImageScan: !!imageScan,
    release: promotes ? "promote" : rebuilds ? "rebuild" : "build",
    artifactBucketName: build.artifactBucketName,
    artifactBucketArn: build.artifactBucketArn,
    artifactPrefix: artifactPrefix(props.pipelineName),
    kmsKeyArn: build.artifactKeyArn,
    statements,
    stages: deliveryStages({
      environment: env.name,
      workload: props.workload,
      repository: props.repository,
      branch: env.pipeline.branch,
      connectionArn: build.connectionArn,
      buildProjectName: props.image?.projectName ?? build.buildProjectName,
      scans: { projectName: build.scanProjectName, settings: env.scans },
      buildVariables: { ...props.buildVariables, ...props.image?.variables },
      buildSettings,
      ...(imageScan ? { imageScan: { projectName: imageScan.project.name } } : {}),
      approval,
      target: props.target,
      deployWindow: props.deployWindow,
      deployRoleArn: actionsRole?.arn,
      release: {
        projectName: release.project.name,
        promoteFrom: promotes ? env.pipeline.promoteFrom : [],
        verifyFrom: rebuilds ? env.pipeline.promoteFrom : [],
      },
      ...(tests
        ? {
            acceptance: {
              projectName: tests.project.name,
              url: props.acceptance.url,
              rollbackOnFailure: env.acceptanceTests.rollbackOnFailure,
            },
          }
        : {}),
      ...(alarms.length
        ? {
            bake: {
              minutes: env.pipeline.bakeMinutes,
              alarms: alarms.map(({ name, region }) => ({ name, ...(region ? { region } : {}) })),
            },
          }
        : {}),
    }),
  });
  delivery.place(pipeline);
  if (actionsRole) {
    actionsRole.addPipeline(props.pipelineName, pipeline.role.arn, artifactPrefix(props.pipelineName), deployGrants);
    // Its approval requests go to the environment's topic, in the other account, encrypted with its key.
    if (approval) {
      alerts.addPublisher(pipeline.role.arn);
      key.allowPublisher(pipeline.role.arn);
    }
  }
  return pipeline;
}
