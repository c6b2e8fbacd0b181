/** Working hours: the service runs from `wake` to `sleep` (hours) on `days`, in `timeZone`. */
export interface Schedule {
  readonly timeZone: string;
  readonly days: string;
  readonly wake: number;
  readonly sleep: number;
}
import { ProjectError } from "./errors";
import { approvalPrecedesDeploy, DEPLOY_STAGE, stageKinds } from "./validators";
import { ACCEPTANCE_ACTION, SBOM_ARTIFACT, SCAN_ACTIONS, SCAN_KINDS, type ScanKind, type ScanSettings } from "./scans";
import {
  DIGEST_VARIABLE,
  ORIGIN_VARIABLE,
  PROMOTE_ACTION,
  RECORD_ACTION,
  RECORD_STAGE,
  RELEASE_NAMESPACE,
  SEAL_ACTION,
  VERIFY_ACTION,
} from "./releases";

/** One action of a pipeline, as CodePipeline's action declaration (version "1", owner "AWS"). */
export interface PipelineAction {
  readonly name: string;
  readonly category: "Source" | "Build" | "Test" | "Approval" | "Deploy";
  readonly provider: string;
  readonly configuration: Readonly<Record<string, string>>;
  /** @default [] */
  readonly inputArtifacts?: readonly string[];
  /** @default [] */
  readonly outputArtifacts?: readonly string[];
  /** @default - none: the action's variables are not exported */
  readonly namespace?: string;
  /** @default 1 */
  readonly runOrder?: number;
  /**
   * The role in another account that the action runs as (a cross-account deploy; CodePipeline user
   * guide, "Create a pipeline in CodePipeline that uses resources from another AWS account").
   * @default - the pipeline's own role
   */
  readonly roleArn?: string;
}

/**
 * A bake: once the stage's actions succeed, CodePipeline watches these alarms for `minutes` and
 * rolls the stage back if one goes into ALARM (an On Success condition with CloudWatchAlarm rules;
 * docs/pipelines.md, "Bake").
 */
export interface Bake {
  readonly minutes: number;
  /** The alarms watched: their names, and their region when not the pipeline's (a site's, us-east-1). */
  readonly alarms: readonly { readonly name: string; readonly region?: string }[];
  /** The role that reads them, in the environment's account. @default - the pipeline's role */
  readonly roleArn?: string;
}

/** A bake's bounds in minutes: one alarm period at least, six hours at most. */
export const BAKE_LIMITS = { min: 5, max: 360 } as const;

/** Rules per condition (CodePipeline API reference, "Condition": rules, 1 to 5 items). */
export const MAX_CONDITION_RULES = 5;

export interface PipelineStage {
  readonly name: string;
  readonly actions: readonly PipelineAction[];
  /** @default - the stage succeeds as soon as its actions do */
  readonly bake?: Bake;
  /**
   * A failed stage rolls back to its last successful execution (an On Failure condition with the
   * result ROLLBACK; CodePipeline user guide, "Configure conditions for a stage"). @default false
   */
  readonly rollbackOnFailure?: boolean;
  /** An entry condition: executions enter the stage only inside this window. @default - always */
  readonly window?: DeploymentWindow;
}

/** When a stage may run: CodePipeline's DeploymentWindow rule (a 6-field cron, and a time zone). */
export interface DeploymentWindow {
  readonly cron: string;
  readonly timeZone: string;
}

/**
 * The deployment window of an environment that sleeps: from an hour after it wakes (the fleet has
 * launched and installed the last release) to an hour before it sleeps (a deployment ends before
 * the group empties). CodePipeline's cron has a seconds field first, which must be `*`
 * (CodePipeline user guide, "DeploymentWindow" rule reference).
 */
export function deploymentWindow(schedule: Schedule): DeploymentWindow {
  const first = schedule.wake + 1;
  const last = schedule.sleep - 2;
  return { cron: `* * ${first === last ? first : `${first}-${last}`} ? * ${schedule.days}`, timeZone: pipelineTimeZone(schedule.timeZone) };
}

/**
 * The schedule's time zone as the DeploymentWindow rule takes it. Its reference lists three forms
 * (CodePipeline user guide, "DeploymentWindow": TimeZone): Region/City (`Europe/Paris`), `UTC`
 * with an optional offset (the default), and an abbreviation; `Etc/UTC`, the canonical IANA name
 * that the Auto Scaling schedule asks for, is none of them, so UTC's aliases become `UTC`.
 */
export function pipelineTimeZone(timeZone: string): string {
  return ["Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "Etc/GMT", "UTC", "GMT"].includes(timeZone) ? "UTC" : timeZone;
}

/** Artifact names shared by the stages below and the build/deploy steps of the application. */
export const SOURCE_ARTIFACT = "Source";
export const BUILD_ARTIFACT = "Build";
/**
 * A static site's build has two outputs, named after its buildspec's secondary-artifacts (CodeBuild
 * maps each identifier to the action's output artifact of that name; CodeBuild user guide,
 * "CodePipeline integration with CodeBuild and multiple input sources and output artifacts"):
 * content-hashed assets, cached for a year, and the pages that name them, revalidated every time.
 */
export const SITE_ASSETS_ARTIFACT = "Assets";
export const SITE_PAGES_ARTIFACT = "Pages";
/** Cache-Control of each part of a site (S3 deploy action, CacheControl). */
export const SITE_CACHE_CONTROL = { assets: "public, max-age=31536000, immutable", pages: "no-cache" } as const;
export const SOURCE_NAMESPACE = "SourceVariables";
export const SOURCE_ACTION = "Source";

/**
 * Checks a pipeline definition the way CodePipeline would at apply time (or would not at all):
 * returns every problem found, empty when the definition is sound.
 */
export function pipelineProblems(
  stages: readonly PipelineStage[],
  options: {
    requireApproval?: boolean;
    /** The scans the environment runs: each must be an action before the first approval or deploy. */
    requireScans?: readonly ScanKind[];
    /** The environment runs acceptance tests: after the deploy, before any traffic moves. */
    requireTests?: boolean;
    /** A container's pipeline: its image's scan gate before the first approval or deploy, after what makes the image's artifact. */
    requireImageScan?: boolean;
    /**
     * How the deployed artifact comes to be (docs/pipelines.md, "Build once, promote"): built and
     * sealed here, or promoted; either way recorded once it has passed. @default - not checked
     */
    release?: ReleaseMode;
  } = {},
): string[] {
  const problems: string[] = [];
  if (stages.length < 2) problems.push(`a pipeline needs at least two stages (has ${stages.length})`);
  const [first, ...rest] = stages;
  if (first) {
    if (first.actions.length === 0) problems.push(`the first stage "${first.name}" has no action: it must hold at least one source action`);
    for (const a of first.actions.filter((a) => a.category !== "Source")) {
      problems.push(`the first stage "${first.name}" may hold only source actions, but "${a.name}" is a ${a.category} action`);
    }
  }
  for (const stage of rest) {
    for (const a of stage.actions.filter((a) => a.category === "Source")) {
      problems.push(`source action "${a.name}" must be in the first stage, not in "${stage.name}"`);
    }
  }
  const stageNames = new Set<string>();
  for (const stage of stages) {
    if (stageNames.has(stage.name)) problems.push(`stage name "${stage.name}" is used twice`);
    stageNames.add(stage.name);
    if (stage.actions.length === 0) problems.push(`stage "${stage.name}" has no action`);
    const actionNames = new Set<string>();
    for (const a of stage.actions) {
      if (actionNames.has(a.name)) problems.push(`action name "${a.name}" is used twice in stage "${stage.name}"`);
      actionNames.add(a.name);
      const runOrder = a.runOrder ?? 1;
      if (!Number.isInteger(runOrder) || runOrder < 1 || runOrder > 999)
        problems.push(`action "${a.name}" has run order ${runOrder} (1-999)`);
    }
  }
  // Artifacts: each output name once; each input produced earlier (an earlier stage, or an earlier
  // run order in the same stage).
  const producedBy = new Map<string, string>();
  for (const stage of stages) {
    for (const a of stage.actions) {
      for (const out of a.outputArtifacts ?? []) {
        const owner = producedBy.get(out);
        if (owner) problems.push(`output artifact "${out}" of "${a.name}" is already produced by "${owner}"`);
        else producedBy.set(out, a.name);
      }
    }
  }
  const available = new Set<string>();
  for (const stage of stages) {
    const orders = [...new Set(stage.actions.map((a) => a.runOrder ?? 1))].sort((x, y) => x - y);
    for (const order of orders) {
      const batch = stage.actions.filter((a) => (a.runOrder ?? 1) === order);
      for (const a of batch) {
        for (const input of a.inputArtifacts ?? []) {
          if (!available.has(input))
            problems.push(`input artifact "${input}" of "${a.name}" in stage "${stage.name}" is not produced by an earlier action`);
        }
      }
      for (const a of batch) for (const out of a.outputArtifacts ?? []) available.add(out);
    }
  }
  problems.push(...scanProblems(stages, options.requireScans ?? []));
  if (options.requireTests) problems.push(...testProblems(stages));
  if (options.requireImageScan) problems.push(...imageScanProblems(stages));
  if (options.release) problems.push(...releaseProblems(stages, options.release));
  for (const { name, bake } of stages.filter((s) => s.bake)) {
    const count = bake!.alarms.length;
    if (count < 1 || count > MAX_CONDITION_RULES)
      problems.push(`the bake of stage "${name}" watches ${count} alarms: a condition takes 1 to ${MAX_CONDITION_RULES} rules`);
    if (bake!.minutes < BAKE_LIMITS.min || bake!.minutes > BAKE_LIMITS.max)
      problems.push(`the bake of stage "${name}" lasts ${bake!.minutes} minutes (${BAKE_LIMITS.min}-${BAKE_LIMITS.max})`);
  }
  if (options.requireApproval) {
    if (
      !approvalPrecedesDeploy(
        stages.map((s) =>
          stageKinds(
            s.name,
            s.actions.map((a) => a.category),
          ),
        ),
      )
    ) {
      problems.push("the environment requires an approval, but no manual approval stage comes before the deploy stage");
    }
  }
  return problems;
}

/**
 * Each required scan is one action (ProjectName and SCAN as deliveryStages writes them), in a stage
 * before the first approval or deploy: a release waits for its scans before anyone is asked to
 * approve it, and before anything ships.
 */
function scanProblems(stages: readonly PipelineStage[], kinds: readonly ScanKind[]): string[] {
  const problems: string[] = [];
  const gate = stages.findIndex(
    (s) => s.name === DEPLOY_STAGE || s.actions.some((a) => a.category === "Approval" || a.category === "Deploy"),
  );
  for (const kind of kinds) {
    const at = stages.findIndex((s) => s.actions.some((a) => a.name === SCAN_ACTIONS[kind]));
    if (at === -1) problems.push(`the environment scans ${kind}, but the pipeline has no ${SCAN_ACTIONS[kind]} action`);
    else if (gate !== -1 && at >= gate)
      problems.push(
        `${SCAN_ACTIONS[kind]} is in stage "${stages[at].name}": a scan must run before the first approval or deploy ("${stages[gate].name}")`,
      );
  }
  return problems;
}

/**
 * A container's scan gate: it reads the build stage's image artifact, after the action that makes
 * it (the build or the promotion), and before the first approval or deploy: an image with
 * findings at the environment's level never reaches the approver, nor the service.
 */
function imageScanProblems(stages: readonly PipelineStage[]): string[] {
  const at = stages.findIndex((s) => s.actions.some((a) => a.name === IMAGE_SCAN_ACTION));
  if (at === -1) return [`a container's pipeline needs its ${IMAGE_SCAN_ACTION} action`];
  const gate = stages.findIndex(
    (s) => s.name === DEPLOY_STAGE || s.actions.some((a) => a.category === "Approval" || a.category === "Deploy"),
  );
  const problems: string[] = [];
  if (gate !== -1 && at >= gate)
    problems.push(
      `${IMAGE_SCAN_ACTION} is in stage "${stages[at].name}": it must run before the first approval or deploy ("${stages[gate].name}")`,
    );
  const scan = stages[at].actions.find((a) => a.name === IMAGE_SCAN_ACTION)!;
  if (!(scan.inputArtifacts ?? []).includes(BUILD_ARTIFACT))
    problems.push(`${IMAGE_SCAN_ACTION} must read the "${BUILD_ARTIFACT}" artifact, the image's`);
  const maker = stages[at].actions.find((a) => (a.outputArtifacts ?? []).includes(BUILD_ARTIFACT));
  if (maker && (maker.runOrder ?? 1) >= (scan.runOrder ?? 1))
    problems.push(`${IMAGE_SCAN_ACTION} must run after ${maker.name}, which makes the image's artifact`);
  return problems;
}

/**
 * The acceptance tests: in the deploy stage, after every action that installs the release, and in
 * blue/green before the traffic moves (a release that fails them never serves).
 */
function testProblems(stages: readonly PipelineStage[]): string[] {
  const deploy = stages.find((s) => s.name === DEPLOY_STAGE);
  const tests = deploy?.actions.find((a) => a.name === ACCEPTANCE_ACTION);
  if (!deploy || !tests)
    return [`the environment runs acceptance tests, but the "${DEPLOY_STAGE}" stage has no ${ACCEPTANCE_ACTION} action`];
  const order = (a: PipelineAction) => a.runOrder ?? 1;
  const traffic = ["ShiftTraffic", "ReleaseOldFleet"];
  const problems: string[] = [];
  for (const a of deploy.actions.filter((a) => a !== tests)) {
    if (traffic.includes(a.name) && order(a) <= order(tests))
      problems.push(`${ACCEPTANCE_ACTION} must run before ${a.name}: a release takes traffic only once it passes`);
    if (!traffic.includes(a.name) && order(a) >= order(tests))
      problems.push(`${ACCEPTANCE_ACTION} must run after ${a.name}: the tests need the release in place`);
  }
  return problems;
}

/**
 * Build once, promote: what the deploy stage installs is the output of the seal's build or of the
 * promotion, in a stage before the first approval or deploy, which exports the digest; the
 * approval request shows it; the last stage, after the deploy, records those very artifacts.
 */
/**
 * How a pipeline's deployed artifact comes to be: built here (and sealed), promoted, or built again
 * here from a commit that must have passed where the environment promotes from (pipeline.rebuild).
 */
export type ReleaseMode = "build" | "promote" | "rebuild";

function releaseProblems(stages: readonly PipelineStage[], mode: ReleaseMode): string[] {
  const problems: string[] = [];
  const deployAt = stages.findIndex((s) => s.name === DEPLOY_STAGE);
  if (deployAt === -1) return [`the pipeline records its releases, but has no "${DEPLOY_STAGE}" stage`];
  const all = stages.flatMap((s, at) => s.actions.map((a) => ({ a, at })));
  const producer = (artifact: string) => all.find(({ a }) => (a.outputArtifacts ?? []).includes(artifact));
  const deployed = [...new Set(stages[deployAt].actions.flatMap((a) => a.inputArtifacts ?? []))].filter((x) => x !== SOURCE_ARTIFACT);
  const gate = stages.findIndex(
    (s) => s.actions.some((a) => a.category === "Approval" || a.category === "Deploy") || s.name === DEPLOY_STAGE,
  );
  const expected = mode === "promote" ? PROMOTE_ACTION : "Build";
  for (const artifact of deployed) {
    const from = producer(artifact);
    if (!from || from.a.name !== expected)
      problems.push(
        mode === "promote"
          ? `the deploy takes "${artifact}" from ${from ? `"${from.a.name}"` : "nowhere"}: in an environment that promotes, it must come from ${PROMOTE_ACTION}, never from a build`
          : `the deploy takes "${artifact}" from ${from ? `"${from.a.name}"` : "nowhere"}, not from the build that ${SEAL_ACTION} stores`,
      );
  }
  const exporter = all.find(({ a }) => a.name === (mode === "promote" ? PROMOTE_ACTION : SEAL_ACTION));
  if (!exporter) problems.push(`the pipeline has no ${mode === "promote" ? PROMOTE_ACTION : SEAL_ACTION} action`);
  else {
    if (exporter.a.namespace !== RELEASE_NAMESPACE)
      problems.push(
        `${exporter.a.name} must export its variables as ${RELEASE_NAMESPACE}: the approval and the record read the digest there`,
      );
    if (gate !== -1 && exporter.at >= gate)
      problems.push(`${exporter.a.name} must run before the first approval or deploy ("${stages[gate].name}")`);
    if (mode !== "promote") {
      const build = all.find(({ a }) => a.name === "Build");
      const verify = all.find(({ a }) => a.name === VERIFY_ACTION);
      if (mode === "rebuild" && (!verify || !build || verify.at !== build.at || (verify.a.runOrder ?? 1) >= (build.a.runOrder ?? 1)))
        problems.push(`a workload built again where the environment promotes must run ${VERIFY_ACTION} before Build, in its stage`);
      const sealed = new Set(exporter.a.inputArtifacts ?? []);
      if (!build || build.at !== exporter.at || (exporter.a.runOrder ?? 1) <= (build.a.runOrder ?? 1))
        problems.push(`${SEAL_ACTION} must run after Build, in its stage`);
      for (const artifact of build?.a.outputArtifacts ?? [])
        if (!sealed.has(artifact)) problems.push(`${SEAL_ACTION} does not store the build's artifact "${artifact}"`);
    }
  }
  for (const approval of all.filter(({ a }) => a.category === "Approval")) {
    if (!(approval.a.configuration.CustomData ?? "").includes(DIGEST_VARIABLE))
      problems.push(`the approval "${approval.a.name}" must show the artifact's digest (${DIGEST_VARIABLE}) in its request`);
  }
  const last = stages[stages.length - 1];
  const recorder = last?.actions.find((a) => a.name === RECORD_ACTION);
  if (!recorder || last.name !== RECORD_STAGE || stages.length - 1 <= deployAt)
    problems.push(`the last stage must be "${RECORD_STAGE}", after "${DEPLOY_STAGE}", with the ${RECORD_ACTION} action`);
  else {
    if (!(recorder.configuration.EnvironmentVariables ?? "").includes(DIGEST_VARIABLE))
      problems.push(`${RECORD_ACTION} must check the deployed artifacts against ${DIGEST_VARIABLE}`);
    const recorded = new Set(recorder.inputArtifacts ?? []);
    for (const artifact of deployed)
      if (!recorded.has(artifact)) problems.push(`${RECORD_ACTION} does not check the deployed artifact "${artifact}"`);
  }
  return problems;
}

/** Thrown at synth for a pipeline definition that CodePipeline would reject or that skips a gate. */
export class PipelineDefinitionError extends ProjectError {
  constructor(path: string, problems: readonly string[]) {
    super(`The pipeline ${path} is invalid:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/**
 * The build action's EnvironmentVariables: what the pipeline sets, the environment's build
 * settings, then the workload's own (the configuration checks refuse a name given twice).
 */
export function buildVariablesJson(
  environment: string,
  workload: string,
  own: Readonly<Record<string, string>>,
  settings: Readonly<Record<string, string>> = {},
): string {
  const variables = { ENVIRONMENT: environment, COMMIT_ID: `#{${SOURCE_NAMESPACE}.CommitId}`, WORKLOAD: workload, ...settings, ...own };
  return JSON.stringify(Object.entries(variables).map(([name, value]) => ({ name, value, type: "PLAINTEXT" })));
}

/** How a pipeline delivers its build: CodeDeploy onto the service's fleet, or into a site's bucket. */
export type DeliveryTarget =
  | { readonly kind: "service"; readonly codeDeployApplication: string; readonly codeDeployGroup: string }
  | {
      /** Blue/green: each step of the switch is a run of the environment's traffic project (TrafficSwitch). */
      readonly kind: "blue-green-service";
      readonly trafficProject: string;
    }
  | {
      /** A container service, rolling: one run of its deploy project (runtime/container-steps.js). */
      readonly kind: "container";
      readonly deployProject: string;
    }
  | {
      /** A container service in blue/green through CodeDeploy: install on replacement tasks, then shift. */
      readonly kind: "blue-green-container";
      readonly deployProject: string;
    }
  | {
      readonly kind: "static-site";
      readonly bucketName: string;
      readonly kmsKeyArn: string;
      /** The site's own CodeBuild project that invalidates its distribution (SiteInvalidation). */
      readonly invalidationProject: string;
    };

export interface DeliveryStagesProps {
  readonly environment: string;
  /** The workload's name, passed to its build as WORKLOAD. */
  readonly workload: string;
  readonly repository: string;
  readonly branch: string;
  readonly connectionArn: string;
  readonly buildProjectName: string;
  /**
   * The scans of the source, as parallel actions of the build stage on the scan project
   * (docs/pipelines.md, "Scans"). @default - no scan
   */
  readonly scans?: { readonly projectName: string; readonly settings: ScanSettings };
  /** Plain-text variables for the build, after ENVIRONMENT, COMMIT_ID and WORKLOAD. @default {} */
  readonly buildVariables?: Readonly<Record<string, string>>;
  /** The environment's settings that its builds receive (plain text). @default {} */
  readonly buildSettings?: Readonly<Record<string, string>>;
  /**
   * A container's image: the gate that waits for ECR's scan of the image the build stage hands on
   * (the build's or the promoted one) and fails on findings at or above the environment's level.
   * @default - no image
   */
  readonly imageScan?: { readonly projectName: string };
  /** @default - no approval stage */
  readonly approval?: { readonly topicArn: string; readonly reviewUrl?: string };
  readonly target: DeliveryTarget;
  /** When the Deploy stage may start (an environment that sleeps). @default - any time */
  readonly deployWindow?: DeploymentWindow;
  /**
   * The role in the environment's account that runs every Deploy action, when the environment runs
   * in an account other than the pipeline's. @default - the pipeline's role
   */
  readonly deployRoleArn?: string;
  /** Holds the release after the deploy, its alarms watched. @default - no bake */
  readonly bake?: Omit<Bake, "roleArn">;
  /**
   * The application's acceptance tests, after the deploy (before any traffic moves in blue/green):
   * the project that runs them, the URL they test, and whether a failure rolls the deploy back.
   * @default - none
   */
  readonly acceptance?: { readonly projectName: string; readonly url: string; readonly rollbackOnFailure: boolean };
  /**
   * Build once, promote (docs/pipelines.md): the workload's release project, and the environments
   * whose passed releases this one deploys, in order (empty: it builds, and seals what it built).
   * @default - releases are neither stored nor recorded
   */
  readonly release?: {
    readonly projectName: string;
    readonly promoteFrom: readonly string[];
    /** Built again although the environment promotes (pipeline.rebuild): the commit must have passed one of these first. @default [] */
    readonly verifyFrom?: readonly string[];
  };
}

/**
 * The stages of a workload's pipeline in one environment: source from `deploy/<env>`, build on the
 * shared CodeBuild project, an approval where required, then the delivery.
 */
export function deliveryStages(props: DeliveryStagesProps): PipelineStage[] {
  const outputs = props.target.kind === "static-site" ? [SITE_ASSETS_ARTIFACT, SITE_PAGES_ARTIFACT] : [BUILD_ARTIFACT];
  const stages: PipelineStage[] = [
    {
      name: "Source",
      actions: [
        {
          name: SOURCE_ACTION,
          category: "Source",
          provider: "CodeStarSourceConnection",
          namespace: SOURCE_NAMESPACE,
          outputArtifacts: [SOURCE_ARTIFACT],
          configuration: {
            ConnectionArn: props.connectionArn,
            FullRepositoryId: props.repository,
            // Used for manual starts; pushes are matched by the pipeline trigger.
            BranchName: props.branch,
            OutputArtifactFormat: "CODE_ZIP",
            DetectChanges: "false",
          },
        },
      ],
    },
    {
      name: "Build",
      actions: [
        ...(props.release?.promoteFrom.length
          ? [promoteAction(props.release.projectName, props.release.promoteFrom, outputs)]
          : buildActions(props, outputs)),
        ...(props.scans ? scanActions(props.scans.projectName, props.scans.settings) : []),
      ],
    },
  ];
  if (props.imageScan) {
    // After whatever makes the image's artifact (the build, or the promotion), in the same stage.
    const build = stages[1];
    const last = Math.max(...build.actions.map((a) => a.runOrder ?? 1));
    stages[1] = {
      ...build,
      actions: [
        ...build.actions,
        {
          name: IMAGE_SCAN_ACTION,
          category: "Test",
          provider: "CodeBuild",
          inputArtifacts: [BUILD_ARTIFACT],
          runOrder: last + 1,
          configuration: { ProjectName: props.imageScan.projectName },
        },
      ],
    };
  }
  if (props.approval) {
    stages.push({
      name: "Approve",
      actions: [
        {
          name: "Approve",
          category: "Approval",
          provider: "Manual",
          configuration: {
            NotificationArn: props.approval.topicArn,
            // The commit and the branch it was pushed to (a hotfix's is promoted by `npm run
            // promote`, which also notifies the same topic that it is a hotfix; docs/environments.md, "Hotfix").
            CustomData:
              `Deploy ${props.workload} at commit #{${SOURCE_NAMESPACE}.CommitId} (pushed to #{${SOURCE_NAMESPACE}.BranchName}) to ${props.environment}?` +
              (props.release ? ` Artifact ${DIGEST_VARIABLE} (${ORIGIN_VARIABLE}).` : ""),
            ...(props.approval.reviewUrl ? { ExternalEntityLink: props.approval.reviewUrl } : {}),
          },
        },
      ],
    });
  }
  const actions = deployActions(props.target);
  if (props.acceptance) actions.splice(testPosition(props.target, actions), 0, acceptanceAction(props, actions));
  const deploy = renumber(actions).map((a) => (props.deployRoleArn ? { ...a, roleArn: props.deployRoleArn } : a));
  stages.push({
    name: DEPLOY_STAGE,
    actions: deploy,
    ...(props.deployWindow ? { window: props.deployWindow } : {}),
    ...(props.bake ? { bake: { ...props.bake, ...(props.deployRoleArn ? { roleArn: props.deployRoleArn } : {}) } } : {}),
    // Blue/green needs no rollback: traffic moves only after the tests pass, and the switch sends
    // it back itself on an alarm.
    ...(props.acceptance?.rollbackOnFailure && !isBlueGreen(props.target) ? { rollbackOnFailure: true } : {}),
  });
  // Its own stage, so that it runs only once the deploy stage has succeeded, its bake included.
  if (props.release) stages.push({ name: RECORD_STAGE, actions: [recordAction(props.release.projectName, outputs)] });
  return stages;
}

/** A CodeBuild action's variables, as its EnvironmentVariables. */
function variablesJson(variables: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.entries(variables).map(([name, value]) => ({ name, value, type: "PLAINTEXT" })));
}

/**
 * A release step's artifacts as its inputs: the primary last (runtime/release.js reads the others
 * from CODEBUILD_SRC_DIR_<name>; CodePipeline needs PrimarySource when there are several).
 */
function releaseInputs(artifacts: readonly string[]): Pick<PipelineAction, "inputArtifacts"> & { primary: Record<string, string> } {
  return {
    inputArtifacts: [...artifacts],
    primary: artifacts.length > 1 ? { PrimarySource: artifacts[artifacts.length - 1] } : {},
  };
}

/** The build on the shared project and, when releases are stored, the seal of what it built. */
function buildActions(props: DeliveryStagesProps, outputs: readonly string[]): PipelineAction[] {
  const build: PipelineAction = {
    name: "Build",
    category: "Build",
    provider: "CodeBuild",
    inputArtifacts: [SOURCE_ARTIFACT],
    outputArtifacts: [...outputs],
    configuration: {
      ProjectName: props.buildProjectName,
      EnvironmentVariables: buildVariablesJson(props.environment, props.workload, props.buildVariables ?? {}, props.buildSettings ?? {}),
    },
  };
  if (!props.release) return [build];
  const { inputArtifacts, primary } = releaseInputs(outputs);
  const from = props.release.verifyFrom ?? [];
  const verify: PipelineAction[] = from.length
    ? [
        {
          name: VERIFY_ACTION,
          category: "Build",
          provider: "CodeBuild",
          inputArtifacts: [SOURCE_ARTIFACT],
          runOrder: 1,
          configuration: {
            ProjectName: props.release.projectName,
            EnvironmentVariables: variablesJson({ STEP: "verify", FROM: from.join(","), COMMIT_ID: `#{${SOURCE_NAMESPACE}.CommitId}` }),
          },
        },
      ]
    : [];
  const after = verify.length;
  return [
    ...verify,
    { ...build, runOrder: 1 + after },
    {
      name: SEAL_ACTION,
      category: "Build",
      provider: "CodeBuild",
      inputArtifacts,
      namespace: RELEASE_NAMESPACE,
      runOrder: 2 + after,
      configuration: {
        ProjectName: props.release.projectName,
        ...primary,
        EnvironmentVariables: variablesJson({ STEP: "seal", COMMIT_ID: `#{${SOURCE_NAMESPACE}.CommitId}` }),
      },
    },
  ];
}

/** In place of the build: the stored artifact of the commit, as it passed one of `from`. */
function promoteAction(projectName: string, from: readonly string[], outputs: readonly string[]): PipelineAction {
  return {
    name: PROMOTE_ACTION,
    category: "Build",
    provider: "CodeBuild",
    inputArtifacts: [SOURCE_ARTIFACT],
    outputArtifacts: [...outputs],
    namespace: RELEASE_NAMESPACE,
    configuration: {
      ProjectName: projectName,
      EnvironmentVariables: variablesJson({ STEP: "promote", FROM: from.join(","), COMMIT_ID: `#{${SOURCE_NAMESPACE}.CommitId}` }),
    },
  };
}

/** The record that the release passed: it measures the deployed artifacts against the digest handed on. */
function recordAction(projectName: string, outputs: readonly string[]): PipelineAction {
  const { inputArtifacts, primary } = releaseInputs(outputs);
  return {
    name: RECORD_ACTION,
    category: "Build",
    provider: "CodeBuild",
    inputArtifacts,
    configuration: {
      ProjectName: projectName,
      ...primary,
      EnvironmentVariables: variablesJson({
        STEP: "record",
        DIGEST: DIGEST_VARIABLE,
        ORIGIN: ORIGIN_VARIABLE,
        COMMIT_ID: `#{${SOURCE_NAMESPACE}.CommitId}`,
        EXECUTION_ID: "#{codepipeline.PipelineExecutionId}",
      }),
    },
  };
}

/**
 * One action per scan that runs, beside the build (the same run order: they run in parallel, and
 * the stage ends when all have; CodePipeline user guide, "Pipeline structure reference": actions
 * with the same runOrder run in parallel). Each scans the source; the dependency scan's output is
 * the SBOM, kept with the pipeline's artifacts.
 */
export function scanActions(projectName: string, settings: ScanSettings): PipelineAction[] {
  return SCAN_KINDS.filter((kind) => settings[kind] !== "off").map((kind) => ({
    name: SCAN_ACTIONS[kind],
    category: "Build",
    provider: "CodeBuild",
    inputArtifacts: [SOURCE_ARTIFACT],
    ...(kind === "dependencies" ? { outputArtifacts: [SBOM_ARTIFACT] } : {}),
    configuration: {
      ProjectName: projectName,
      EnvironmentVariables: JSON.stringify([
        { name: "SCAN", value: kind, type: "PLAINTEXT" },
        { name: "FAIL_ON", value: settings[kind], type: "PLAINTEXT" },
      ]),
    },
  }));
}

/**
 * Where the acceptance tests go among the deploy actions: in blue/green after the release is
 * installed on the idle fleet and before any traffic moves (they reach it through the test
 * listener); otherwise last, once the release serves.
 */
function testPosition(target: DeliveryTarget, actions: readonly PipelineAction[]): number {
  return isBlueGreen(target) ? actions.findIndex((a) => a.name === "ShiftTraffic") : actions.length;
}

/** Whether traffic moves only after the release is installed beside the serving one (and tested there). */
function isBlueGreen(target: DeliveryTarget): boolean {
  return target.kind === "blue-green-service" || target.kind === "blue-green-container";
}

/** The scan gate of a container's image (runtime/container-steps.js, scan). */
export const IMAGE_SCAN_ACTION = "ScanImage";

/**
 * A container's deploy actions, each a run of its deploy project: rolling, one; blue/green, the
 * install on replacement tasks (served by the test listener), then the shift of traffic.
 */
export const CONTAINER_ACTIONS = {
  rolling: [{ name: "Deploy", step: "deploy" }],
  blueGreen: [
    { name: "InstallOnIdleTasks", step: "install" },
    { name: "ShiftTraffic", step: "shift" },
  ],
} as const;

/** The acceptance tests' action: the application's buildspec on the source of the commit released, against APP_URL. */
function acceptanceAction(props: DeliveryStagesProps, actions: readonly PipelineAction[]): PipelineAction {
  const { projectName, url } = props.acceptance!;
  return {
    name: ACCEPTANCE_ACTION,
    category: "Test",
    provider: "CodeBuild",
    inputArtifacts: [SOURCE_ARTIFACT],
    runOrder: actions.length + 1,
    configuration: {
      ProjectName: projectName,
      EnvironmentVariables: JSON.stringify([
        { name: "APP_URL", value: url, type: "PLAINTEXT" },
        { name: "ENVIRONMENT", value: props.environment, type: "PLAINTEXT" },
        { name: "COMMIT_ID", value: `#{${SOURCE_NAMESPACE}.CommitId}`, type: "PLAINTEXT" },
      ]),
    },
  };
}

/** Actions in sequence, each after the one before (run orders 1, 2, …). */
function renumber(actions: readonly PipelineAction[]): PipelineAction[] {
  return actions.map((a, i) => ({ ...a, runOrder: i + 1 }));
}

/**
 * The actions of a blue/green deployment, one per step of the traffic switch, in order
 * (runtime/traffic-switch.js). Each gets the build's artifact: CodeBuild needs an input, and
 * the install step deploys that very object.
 */
export const BLUE_GREEN_ACTIONS = [
  { name: "PrepareIdleFleet", step: "prepare" },
  { name: "InstallOnIdleFleet", step: "install" },
  { name: "ShiftTraffic", step: "shift" },
  { name: "ReleaseOldFleet", step: "release" },
] as const;

/** Each step of a deploy program (the traffic switch, a container's steps) as a run of its project, in order. */
function stepActions(projectName: string, steps: readonly { readonly name: string; readonly step: string }[]): PipelineAction[] {
  return steps.map(({ name, step }, i) => ({
    name,
    category: "Build",
    provider: "CodeBuild",
    inputArtifacts: [BUILD_ARTIFACT],
    runOrder: i + 1,
    configuration: {
      ProjectName: projectName,
      EnvironmentVariables: JSON.stringify([{ name: "STEP", value: step, type: "PLAINTEXT" }]),
    },
  }));
}

function deployActions(target: DeliveryTarget): PipelineAction[] {
  if (target.kind === "blue-green-service") return stepActions(target.trafficProject, BLUE_GREEN_ACTIONS);
  if (target.kind === "container") return stepActions(target.deployProject, CONTAINER_ACTIONS.rolling);
  if (target.kind === "blue-green-container") return stepActions(target.deployProject, CONTAINER_ACTIONS.blueGreen);
  if (target.kind === "service") {
    return [
      {
        name: "Deploy",
        category: "Deploy",
        provider: "CodeDeploy",
        inputArtifacts: [BUILD_ARTIFACT],
        configuration: { ApplicationName: target.codeDeployApplication, DeploymentGroupName: target.codeDeployGroup },
      },
    ];
  }
  // S3 deploy action (CodePipeline user guide, "Amazon S3 deploy action reference"): Extract
  // uploads every file of the artifact with the action's CacheControl, and deletes nothing, so
  // the assets of the previous release stay for pages still open. Assets go first: a page is
  // never published before the files it names.
  const upload = (name: string, artifact: string, cacheControl: string, runOrder: number): PipelineAction => ({
    name,
    category: "Deploy",
    provider: "S3",
    inputArtifacts: [artifact],
    runOrder,
    configuration: { BucketName: target.bucketName, Extract: "true", CacheControl: cacheControl, KMSEncryptionKeyARN: target.kmsKeyArn },
  });
  return [
    upload("UploadAssets", SITE_ASSETS_ARTIFACT, SITE_CACHE_CONTROL.assets, 1),
    upload("UploadPages", SITE_PAGES_ARTIFACT, SITE_CACHE_CONTROL.pages, 2),
    {
      // A CodeBuild action needs an input artifact; the pages are the smallest.
      name: "Invalidate",
      category: "Build",
      provider: "CodeBuild",
      inputArtifacts: [SITE_PAGES_ARTIFACT],
      runOrder: 3,
      configuration: { ProjectName: target.invalidationProject },
    },
  ];
}
