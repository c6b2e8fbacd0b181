import { Construct } from "constructs";
import type { CodebuildProject } from "@cdktf/provider-aws/lib/codebuild-project";
import type { ServiceRole } from "./service-role";
import { validateProps } from "../lib/props";
import type { PolicyStatement } from "../lib/policy";
import { pipelineStepProject, type PipelineStepResources } from "./pipeline-step-project";
import { projectNameCheck } from "./shared-build-project";
import { arn } from "../lib/arn";

/** With the pipeline's artifacts, which hold the source the tests come from (PipelineStepResources). */
export interface AcceptanceTestsProps extends PipelineStepResources {
  /** The project's name (the workload's prefix and "-acceptance"). */
  readonly projectName: string;
  /** The buildspec of the application repository that runs the tests (acceptanceTests.buildspec). */
  readonly buildspec: string;
}

/**
 * The application's acceptance tests, run by its pipeline after each deploy against the workload's
 * URL (APP_URL, with ENVIRONMENT and COMMIT_ID, set by the action): docs/pipelines.md, "Acceptance
 * tests". The tests and their buildspec come from the application repository at the commit being
 * released (the pipeline's source artifact), so the application owns them.
 *
 * A CodeBuild project of its own per workload and environment, in the environment's account, with
 * a role that may read the pipeline's artifacts and write its logs and test reports, and nothing
 * else: the tests reach the application over HTTP(S), as its users do, and hold no AWS permission.
 */
export class AcceptanceTests extends Construct {
  readonly project: CodebuildProject;
  readonly role: ServiceRole;

  constructor(scope: Construct, id: string, props: AcceptanceTestsProps) {
    super(scope, id);
    validateProps(this, "modules/constructs/acceptance-tests.ts", [
      projectNameCheck(props.projectName),
      {
        field: "buildspec",
        value: props.buildspec,
        ok: /^(?!\/)(?!.*\.\.)[A-Za-z0-9._/-]+\.ya?ml$/.test(props.buildspec),
        message: "must be a .yml or .yaml path inside the repository (no leading / and no ..)",
      },
    ]);
    ({ project: this.project, role: this.role } = pipelineStepProject(this, {
      ...props,
      description: `Runs the application's acceptance tests (${props.buildspec}) after each deploy`,
      statements: [
        {
          // Its reports (buildspec-test.yml's report groups, <project>-<name>; CodeBuild user guide,
          // "Create a report group (buildspec)").
          sid: "PublishTestReports",
          actions: ["codebuild:CreateReportGroup", "codebuild:CreateReport", "codebuild:UpdateReport", "codebuild:BatchPutTestCases"],
          resources: [arn(props, "codebuild", `report-group/${props.projectName}-*`)],
        },
      ],
      program: { buildspecFile: props.buildspec },
      variables: {},
      buildTimeout: 30,
    }));
  }

  /** Running the project from the workload's pipeline. */
  grantRun(): PolicyStatement {
    return { sid: "RunOwnAcceptanceTests", actions: ["codebuild:StartBuild", "codebuild:BatchGetBuilds"], resources: [this.project.arn] };
  }
}
