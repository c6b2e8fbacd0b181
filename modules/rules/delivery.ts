/** Delivery: CodeBuild, CodePipeline, CodeDeploy. */
import type { Attrs, Rule } from "./engine";
import { list, isTrue } from "./policy-reader";
import { approvalPrecedesDeploy, DEPLOY_STAGE, SECRET_NAME, SECRET_VALUE, stageKinds } from "../lib/validators";
import { BAKE_LIMITS } from "../lib/pipeline-stages";
import { SCAN_KINDS, scanBlocks, type ScanLevel } from "../lib/scans";

export const CODEBUILD: Rule[] = [
  {
    id: "CODEBUILD_ENCRYPTED_WITH_CMK",
    controls: ["CKV_AWS_147"],
    description: "CodeBuild projects encrypt artifacts with a customer-managed key",
    fix: "set encryption_key to a customer-managed KMS key ARN",
    types: ["aws_codebuild_project"],
    check: (r) =>
      r.attrs.encryption_key && !String(r.attrs.encryption_key).includes("alias/aws/") ? undefined : "no customer-managed encryption key",
  },
  {
    id: "CODEBUILD_LOGGING",
    controls: ["CodeBuild.4"],
    description: "CodeBuild projects log to CloudWatch Logs or S3",
    fix: "set logs_config.cloudwatch_logs.status = ENABLED",
    types: ["aws_codebuild_project"],
    check: (r) => {
      const logs = r.attrs.logs_config ?? {};
      const cw = logs.cloudwatch_logs?.status ?? "ENABLED";
      const s3 = logs.s3_logs?.status ?? "DISABLED";
      return cw === "ENABLED" || s3 === "ENABLED" ? undefined : "build logging is disabled";
    },
  },
  {
    id: "CODEBUILD_NO_PLAINTEXT_SECRETS",
    controls: ["CodeBuild.2"],
    description: "CodeBuild environment variables hold no credentials in plaintext",
    fix: "give the variable type PARAMETER_STORE or SECRETS_MANAGER and a reference as its value",
    types: ["aws_codebuild_project"],
    check: (r) => {
      const leaking = list(r.attrs.environment?.environment_variable).filter(
        (v: Attrs) => (v.type ?? "PLAINTEXT") === "PLAINTEXT" && (SECRET_NAME.test(String(v.name)) || SECRET_VALUE.test(String(v.value))),
      );
      return leaking.length
        ? `plaintext variable${leaking.length > 1 ? "s" : ""} ${leaking.map((v: Attrs) => v.name).join(", ")} look like credentials`
        : undefined;
    },
  },
  {
    id: "CODEBUILD_NOT_PRIVILEGED",
    controls: ["CodeBuild.5"],
    description: "CodeBuild projects do not run privileged (root on the build host's Docker daemon)",
    fix: "set environment.privileged_mode = false, or suppress the rule for the project with the reason it builds images",
    types: ["aws_codebuild_project"],
    check: (r) => (isTrue(r.attrs.environment?.privileged_mode) ? "privileged mode is on" : undefined),
  },
];

export const PIPELINE: Rule[] = [
  {
    id: "CODEPIPELINE_ENCRYPTED_WITH_CMK",
    controls: ["CKV_AWS_219"],
    description: "CodePipeline artifact stores are encrypted with a customer-managed key",
    fix: "set artifact_store.encryption_key to a customer-managed KMS key",
    types: ["aws_codepipeline"],
    check: (r) =>
      list(r.attrs.artifact_store).every((s: Attrs) => s.encryption_key?.id) ? undefined : "an artifact store has no customer-managed key",
  },
  {
    id: "CODEPIPELINE_V2",
    controls: ["project rule: V2 is needed for branch triggers and execution modes"],
    description: "Pipelines are V2 (branch triggers, execution modes)",
    fix: 'set pipeline_type = "V2"',
    types: ["aws_codepipeline"],
    check: (r) => (r.attrs.pipeline_type === "V2" ? undefined : `pipeline type is ${r.attrs.pipeline_type ?? "V1 (the default)"}`),
  },
  {
    id: "CODEPIPELINE_APPROVAL_BEFORE_DEPLOY",
    controls: ["project rule: approval where the environment requires it"],
    description: "Pipelines of environments that require approval have a manual approval before any deploy",
    fix: "add an Approval stage before the Deploy stage (pipeline.requireApproval in the environment file)",
    types: ["aws_codepipeline"],
    check: (r, stack) => {
      if (!stack.facts.requireApproval) return undefined;
      const stages = (list(r.attrs.stage) as Attrs[]).map((s) =>
        stageKinds(
          String(s.name),
          list(s.action).map((a: Attrs) => String(a.category)),
        ),
      );
      return approvalPrecedesDeploy(stages) ? undefined : "no manual approval before deploy";
    },
  },
];

/** Each scan action of a synthesized pipeline: its stage's index, its scan and its threshold (SCAN, FAIL_ON). */
function scanActionsOf(pipeline: Attrs): { stage: number; scan: string; failOn: string }[] {
  return (list(pipeline.stage) as Attrs[]).flatMap((stage, index) =>
    list(stage.action).flatMap((action: Attrs) => {
      let variables: { name: string; value: string }[] = [];
      try {
        variables = JSON.parse(String(action.configuration?.EnvironmentVariables ?? "[]"));
      } catch {
        return [];
      }
      const value = (name: string) => variables.find((v) => v.name === name)?.value;
      const scan = value("SCAN");
      return scan ? [{ stage: index, scan, failOn: value("FAIL_ON") ?? "warn" }] : [];
    }),
  );
}

const stageIndex = (pipeline: Attrs, category: string): number =>
  (list(pipeline.stage) as Attrs[]).findIndex((s) => list(s.action).some((a: Attrs) => a.category === category));

export const PIPELINE_SCANS: Rule[] = [
  {
    id: "PRODUCTION_PIPELINE_SCANS",
    controls: ['project rule: production releases are scanned (docs/pipelines.md, "Scans")'],
    description:
      "Production pipelines scan the source for secrets, vulnerable dependencies and code findings, and each scan blocks a release",
    fix: 'keep the production tier\'s scans (or set scans.<scan> to a severity such as "high" in the environment file)',
    types: ["aws_codepipeline"],
    check: (r, stack) => {
      if (stack.facts.tier !== "production") return undefined;
      const scans = scanActionsOf(r.attrs);
      const problems = SCAN_KINDS.flatMap((kind) => {
        const action = scans.find((s) => s.scan === kind);
        if (!action) return [`no ${kind} scan`];
        return scanBlocks(action.failOn as ScanLevel) ? [] : [`the ${kind} scan only warns`];
      });
      return problems.length ? problems.join("; ") : undefined;
    },
  },
  {
    id: "PRODUCTION_PIPELINE_BAKES",
    controls: ['project rule: a production release is watched before it counts as done (docs/pipelines.md, "Bake")'],
    description: "Production pipelines hold each release after deploy, watching its alarms, and roll it back on one",
    fix: "keep pipeline.bakeMinutes (30 in the production tier) and the workload's alarms",
    types: ["aws_codepipeline"],
    check: (r, stack) => {
      if (stack.facts.tier !== "production") return undefined;
      const deploy = (list(r.attrs.stage) as Attrs[]).find((s) => s.name === DEPLOY_STAGE);
      const condition = deploy?.on_success?.condition ?? {};
      const watches = list(condition.rule).filter(
        (rule: Attrs) => rule.rule_type_id?.provider === "CloudWatchAlarm" && Number(rule.configuration?.WaitTime ?? 0) >= BAKE_LIMITS.min,
      );
      if (condition.result !== "ROLLBACK") return "the deploy stage does not roll back on an alarm after it succeeds";
      return watches.length ? undefined : `no alarm is watched for at least ${BAKE_LIMITS.min} minutes after the deploy`;
    },
  },
  {
    id: "PRODUCTION_PIPELINE_TESTS",
    controls: ['project rule: a production release passes the application\'s acceptance tests (docs/pipelines.md, "Acceptance tests")'],
    description: "Production pipelines run the application's acceptance tests after the deploy, and in blue/green before any traffic moves",
    fix: "keep acceptanceTests enabled in the production environment file (the tier's default)",
    types: ["aws_codepipeline"],
    check: (r, stack) => {
      if (stack.facts.tier !== "production") return undefined;
      const deploy = (list(r.attrs.stage) as Attrs[]).find((s) => s.name === DEPLOY_STAGE);
      const actions = list(deploy?.action) as Attrs[];
      const tests = actions.find((a) => a.category === "Test");
      if (!tests) return "no acceptance tests after the deploy";
      const shift = actions.find((a) => a.name === "ShiftTraffic");
      return shift && Number(shift.run_order) <= Number(tests.run_order) ? "the traffic moves before the acceptance tests pass" : undefined;
    },
  },
  {
    id: "APPROVAL_AFTER_SCANS",
    controls: ["project rule: an approver sees a scanned release"],
    description: "A pipeline's manual approval comes after every scan of the source, never beside or before one",
    fix: "put the scan actions in a stage before the Approve stage (the build stage, as modules/lib/pipeline-stages.ts does)",
    types: ["aws_codepipeline"],
    check: (r) => {
      const approval = stageIndex(r.attrs, "Approval");
      if (approval === -1) return undefined;
      const late = scanActionsOf(r.attrs).filter((s) => s.stage >= approval);
      return late.length ? `the ${late.map((s) => s.scan).join(", ")} scan runs at or after the approval` : undefined;
    },
  },
];

export const CODEDEPLOY: Rule[] = [
  {
    id: "CODEDEPLOY_AUTO_ROLLBACK",
    controls: ["project rule: CodeDeploy automatic rollback"],
    description: "Deployment groups roll back on failure and on alarm, with alarms attached",
    fix: "enable auto_rollback_configuration with DEPLOYMENT_FAILURE and DEPLOYMENT_STOP_ON_ALARM, and alarm_configuration with alarms",
    types: ["aws_codedeploy_deployment_group"],
    check: (r) => {
      const rollback = r.attrs.auto_rollback_configuration ?? {};
      const events: string[] = list(rollback.events);
      if (!isTrue(rollback.enabled) || !events.includes("DEPLOYMENT_FAILURE") || !events.includes("DEPLOYMENT_STOP_ON_ALARM")) {
        return "automatic rollback on failure and on alarm is not enabled";
      }
      const alarms = r.attrs.alarm_configuration ?? {};
      return isTrue(alarms.enabled) && list(alarms.alarms).length > 0 ? undefined : "no alarms are attached";
    },
  },
  {
    id: "CODEDEPLOY_NO_GROUP_COPY",
    controls: ["project rule: Terraform owns every Auto Scaling group (terraform-provider-aws #4678)"],
    description:
      "Deployment groups never use CodeDeploy's blue/green for Auto Scaling groups, which copies the group and deletes the one Terraform owns",
    fix: 'deploy in place, and set deployment.style to "blue-green" in the environment file for two Terraform-owned fleets (docs/blue-green.md, "Blue/green")',
    types: ["aws_codedeploy_deployment_group"],
    check: (r) => {
      if (r.attrs.deployment_style?.deployment_type !== "BLUE_GREEN") return undefined;
      const copies = list(r.attrs.blue_green_deployment_config).some((c: Attrs) =>
        list(c.green_fleet_provisioning_option).some((o: Attrs) => o.action === "COPY_AUTO_SCALING_GROUP"),
      );
      return copies || list(r.attrs.autoscaling_groups).length > 0
        ? "CodeDeploy's blue/green would replace the Auto Scaling group that Terraform owns: the next apply creates it again"
        : undefined;
    },
  },
];
