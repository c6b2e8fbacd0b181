import * as crypto from "crypto";
import * as path from "path";
import { Construct } from "constructs";
import { CodebuildProject } from "@cdktf/provider-aws/lib/codebuild-project";
import type { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { ServiceRole } from "./service-role";
import { arn } from "../lib/arn";
import { validateProps } from "../lib/props";
import { projectLogs, projectNameCheck, type SharedBuildProjectProps } from "./shared-build-project";
import { smallEnvironment } from "./pipeline-step-project";
import { RUNTIME_DIR, runtimeFile } from "../lib/runtime-files";

/** The files of runtime/scan/ that make the scan toolkit (its node_modules come from npm ci). */
export const SCAN_TOOLKIT_FILES = [
  "package.json",
  "package-lock.json",
  "scan.js",
  "eslint.config.mjs",
  ".secretlintrc.json",
  ".secretlintignore",
];

/** Where the toolkit lies in the artifact bucket: one folder per content, so a new one never changes a running scan's. */
export const SCAN_TOOLKIT_PREFIX = "scan-toolkit";

/** The toolkit's version: the first 16 hex digits of the SHA-256 of its files, in order. */
export function scanToolkitVersion(): string {
  const hash = crypto.createHash("sha256");
  for (const file of SCAN_TOOLKIT_FILES)
    hash
      .update(file)
      .update("\0")
      .update(runtimeFile(path.join("scan", file)))
      .update("\0");
  return hash.digest("hex").slice(0, 16);
}

/** Where a scan writes, under the source folder: its reports (CodeBuild reports) and its output artifact. */
export const SCAN_WORK_DIR = ".scan";

/** The shared build's props that the scan project takes too. */
export type ScanProjectProps = Pick<
  SharedBuildProjectProps,
  "projectName" | "accountId" | "region" | "artifactBucketName" | "artifactBucketArn" | "kmsKeyArn" | "logRetentionDays"
>;

/**
 * The CodeBuild project every workload's pipeline scans its source on (docs/pipelines.md, "Scans"),
 * once per scan, in parallel with the build: SCAN names the scan and FAIL_ON its threshold. Its
 * buildspec is its own, never the application's, so nothing of the scanned repository runs here:
 * it installs the toolkit (runtime/scan/, uploaded to the artifact bucket by this construct) with
 * `npm ci --ignore-scripts`, which checks every package against the checksum in its lockfile, and
 * runs scan.js. Its role reads the pipelines' artifacts and the toolkit, writes its output artifact
 * (the SBOM), its logs and its reports, and nothing else; it has no secret in its environment.
 */
export class ScanProject extends Construct {
  readonly project: CodebuildProject;
  readonly role: ServiceRole;
  readonly logGroup: CloudwatchLogGroup;
  readonly toolkitPrefix: string;

  constructor(scope: Construct, id: string, props: ScanProjectProps) {
    super(scope, id);
    validateProps(this, "modules/constructs/scan-project.ts", [projectNameCheck(props.projectName)]);
    const { projectName, artifactBucketArn } = props;
    this.toolkitPrefix = `${SCAN_TOOLKIT_PREFIX}/${scanToolkitVersion()}`;
    for (const file of SCAN_TOOLKIT_FILES) {
      new S3Object(this, `toolkit-${file.replace(/^\./, "dot-").replace(/\./g, "-")}`, {
        bucket: props.artifactBucketName,
        key: `${this.toolkitPrefix}/${file}`,
        // As base64: Terraform would read the `${…}` of scan.js as its own interpolation.
        contentBase64: Buffer.from(runtimeFile(path.join("scan", file))).toString("base64"),
        contentType: file.endsWith(".json") ? "application/json" : "text/plain",
        serverSideEncryption: "aws:kms",
        kmsKeyId: props.kmsKeyArn,
      });
    }

    const logs = projectLogs(this, projectName, props.kmsKeyArn, props.logRetentionDays);
    this.logGroup = logs.logGroup;

    this.role = new ServiceRole(this, "role", {
      roleName: `${projectName}-codebuild`,
      service: "codebuild.amazonaws.com",
      accountId: props.accountId,
      sourceArns: [arn(props, "codebuild", `project/${projectName}`)],
      statements: [
        logs.writeLogs,
        {
          // The source it scans and the toolkit it runs; its output artifact (the SBOM) under the pipeline's prefix.
          sid: "ReadSourcesWriteScanOutput",
          actions: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
          resources: [`${artifactBucketArn}/*`],
        },
        {
          // The toolkit is Terraform's to write: a scan cannot change what the next one runs.
          sid: "NeverRewriteToolkit",
          effect: "Deny",
          actions: ["s3:PutObject"],
          resources: [`${artifactBucketArn}/${SCAN_TOOLKIT_PREFIX}/*`],
        },
        {
          // `aws s3 cp --recursive` lists the toolkit's folder first (ListObjectsV2 needs s3:ListBucket
          // on the bucket; S3 user guide, "Policy actions for Amazon S3"), and only that folder.
          sid: "ListToolkit",
          actions: ["s3:ListBucket"],
          resources: [artifactBucketArn],
          conditions: { StringLike: { "s3:prefix": [`${SCAN_TOOLKIT_PREFIX}/*`] } },
        },
        {
          // CodeBuild checks the bucket's owner before it downloads (CodeBuild user guide, "Allow
          // CodeBuild to interact with other AWS services": the S3BucketIdentity statement).
          sid: "LocateArtifactBucket",
          actions: ["s3:GetBucketAcl", "s3:GetBucketLocation"],
          resources: [artifactBucketArn],
        },
        { sid: "UseArtifactKey", actions: ["kms:Decrypt", "kms:GenerateDataKey"], resources: [props.kmsKeyArn] },
        {
          // Its report group, <project>-findings, which CodeBuild creates at the first report
          // (CodeBuild user guide, "Create a report group": "Create a report group (buildspec)").
          sid: "PublishScanReports",
          actions: ["codebuild:CreateReportGroup", "codebuild:CreateReport", "codebuild:UpdateReport", "codebuild:BatchPutTestCases"],
          resources: [arn(props, "codebuild", `report-group/${projectName}-*`)],
        },
      ],
    });

    const toolkit = "/tmp/scan-toolkit";
    const buildspec = {
      version: "0.2",
      env: { shell: "bash" },
      phases: {
        install: {
          "runtime-versions": { nodejs: 20 },
          commands: [
            `aws s3 cp --recursive --only-show-errors "s3://${props.artifactBucketName}/${this.toolkitPrefix}/" ${toolkit}/`,
            // Every package at the version and checksum of the lockfile, and none of their install scripts.
            `npm ci --prefix ${toolkit} --ignore-scripts --no-audit --no-fund`,
          ],
        },
        build: {
          commands: [
            `node ${toolkit}/scan.js "$SCAN" --fail-on "$FAIL_ON" --source "$CODEBUILD_SRC_DIR" --reports "${SCAN_WORK_DIR}/reports" --output "${SCAN_WORK_DIR}/output"`,
          ],
        },
      },
      reports: { findings: { "base-directory": `${SCAN_WORK_DIR}/reports`, files: ["*.xml"], "file-format": "JUNITXML" } },
      // The dependency scan's SBOM (the action's output artifact); every scan's summary, so the upload is never empty.
      artifacts: { "base-directory": `${SCAN_WORK_DIR}/output`, files: ["**/*"] },
    };
    this.project = new CodebuildProject(this, "project", {
      name: projectName,
      description: "Scans a workload's source for every environment's pipeline: secrets, dependencies (with the SBOM), code",
      serviceRole: this.role.arn,
      encryptionKey: props.kmsKeyArn,
      buildTimeout: 20,
      queuedTimeout: 480,
      source: { type: "CODEPIPELINE", buildspec: JSON.stringify(buildspec) },
      artifacts: { type: "CODEPIPELINE" },
      environment: smallEnvironment({}),
      logsConfig: { cloudwatchLogs: { status: "ENABLED", groupName: this.logGroup.name }, s3Logs: { status: "DISABLED" } },
      dependsOn: this.role.grants,
    });
  }
}

/** The folder of the toolkit's files in this repository (its tests install and run it from there). */
export const SCAN_TOOLKIT_DIR = path.join(RUNTIME_DIR, "scan");
