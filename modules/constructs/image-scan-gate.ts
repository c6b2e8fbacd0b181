import { Construct } from "constructs";
import type { CodebuildProject } from "@cdktf/provider-aws/lib/codebuild-project";
import type { ServiceRole } from "./service-role";
import { pipelineStepProject, type PipelineStepResources } from "./pipeline-step-project";
import { projectNameCheck } from "./shared-build-project";
import { containerStepsProgram } from "./container-service";
import { validateProps } from "../lib/props";
import type { PolicyStatement } from "../lib/policy";
import { SCAN_LEVELS, type ScanLevel } from "../lib/scans";

export interface ImageScanGateProps extends PipelineStepResources {
  readonly projectName: string;
  /** The container's name in imagedefinitions.json (the workload's). */
  readonly containerName: string;
  /** The workload's repository (ImageRepository), in the same account. */
  readonly repositoryName: string;
  readonly repositoryArn: string;
  /** The lowest severity that stops the release, or "warn" (lists, never stops). "off" is not a gate. */
  readonly failOn: Exclude<ScanLevel, "off">;
}

/**
 * The scan gate of a container's image, in the account that holds its repository, beside the
 * pipeline (runtime/container-steps.js, scan): it waits for ECR's scan on push of the image the
 * build stage hands on, by digest, and fails on findings at or above `failOn` (docs/workloads.md,
 * "Containers"). Its role reads that repository's scan findings and nothing else.
 */
export class ImageScanGate extends Construct {
  readonly project: CodebuildProject;
  readonly role: ServiceRole;

  constructor(scope: Construct, id: string, props: ImageScanGateProps) {
    super(scope, id);
    validateProps(this, "modules/constructs/image-scan-gate.ts", [
      projectNameCheck(props.projectName),
      {
        field: "failOn",
        value: props.failOn,
        ok: (SCAN_LEVELS as readonly string[]).includes(props.failOn) && (props.failOn as string) !== "off",
        message: `must be one of ${SCAN_LEVELS.filter((l) => l !== "off").join(", ")}`,
      },
    ]);
    const statements: PolicyStatement[] = [
      {
        sid: "ReadOwnImageScans",
        actions: ["ecr:DescribeImageScanFindings", "ecr:DescribeImages"],
        resources: [props.repositoryArn],
      },
    ];
    ({ project: this.project, role: this.role } = pipelineStepProject(this, {
      ...props,
      description: `Waits for ECR's scan of each image of ${props.containerName} and stops the release on findings at or above ${props.failOn}`,
      statements,
      program: {
        commands: [
          `echo ${Buffer.from(containerStepsProgram()).toString("base64")} | base64 -d > /tmp/container-steps.js`,
          "node /tmp/container-steps.js",
        ],
      },
      variables: { STEP: "scan", CONTAINER: props.containerName, REPOSITORY: props.repositoryName, FAIL_ON: props.failOn },
      buildTimeout: 40,
    }));
  }

  /** Running the gate from the workload's pipeline. */
  grantRun(): PolicyStatement {
    return { sid: "RunOwnImageScanGate", actions: ["codebuild:StartBuild", "codebuild:BatchGetBuilds"], resources: [this.project.arn] };
  }
}
