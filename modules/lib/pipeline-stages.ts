import { ProjectError } from "./errors";
import { approvalPrecedesDeploy } from "./validators";

/** One action of a pipeline, as CodePipeline's action declaration (version "1", owner "AWS"). */
export interface PipelineAction {
  readonly name: string;
  readonly category: "Source" | "Build" | "Approval" | "Deploy";
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
}

export interface PipelineStage {
  readonly name: string;
  readonly actions: readonly PipelineAction[];
}

/** Artifact names shared by the stages below and the build/deploy steps of the application. */
export const SOURCE_ARTIFACT = "Source";
export const BUILD_ARTIFACT = "Build";
export const SOURCE_NAMESPACE = "SourceVariables";
export const SOURCE_ACTION = "Source";

/**
 * Checks a pipeline definition the way CodePipeline would at apply time (or would not at all):
 * returns every problem found, empty when the definition is sound.
 */
export function pipelineProblems(stages: readonly PipelineStage[], options: { requireApproval?: boolean } = {}): string[] {
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
  if (options.requireApproval) {
    if (!approvalPrecedesDeploy(stages.map((s) => s.actions.map((a) => a.category)))) {
      problems.push("the environment requires an approval, but no manual approval stage comes before the deploy stage");
    }
  }
  return problems;
}

/** Thrown at synth for a pipeline definition that CodePipeline would reject or that skips a gate. */
export class PipelineDefinitionError extends ProjectError {
  constructor(path: string, problems: readonly string[]) {
    super(`The pipeline ${path} is invalid:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

export interface DeliveryStagesProps {
  readonly environment: string;
  readonly repository: string;
  readonly branch: string;
  readonly connectionArn: string;
  readonly buildProjectName: string;
  /** @default - no approval stage */
  readonly approval?: { readonly topicArn: string; readonly reviewUrl?: string };
  readonly codeDeployApplication: string;
  readonly codeDeployGroup: string;
}

/**
 * The stages of an environment's pipeline: source from `deploy/<env>`, build on the shared
 * CodeBuild project with ENVIRONMENT and COMMIT_ID, an approval where required, then CodeDeploy.
 */
export function deliveryStages(props: DeliveryStagesProps): PipelineStage[] {
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
        {
          name: "Build",
          category: "Build",
          provider: "CodeBuild",
          inputArtifacts: [SOURCE_ARTIFACT],
          outputArtifacts: [BUILD_ARTIFACT],
          configuration: {
            ProjectName: props.buildProjectName,
            EnvironmentVariables: JSON.stringify([
              { name: "ENVIRONMENT", value: props.environment, type: "PLAINTEXT" },
              { name: "COMMIT_ID", value: `#{${SOURCE_NAMESPACE}.CommitId}`, type: "PLAINTEXT" },
            ]),
          },
        },
      ],
    },
  ];
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
            CustomData: `Deploy commit #{${SOURCE_NAMESPACE}.CommitId} to ${props.environment}?`,
            ...(props.approval.reviewUrl ? { ExternalEntityLink: props.approval.reviewUrl } : {}),
          },
        },
      ],
    });
  }
  stages.push({
    name: "Deploy",
    actions: [
      {
        name: "Deploy",
        category: "Deploy",
        provider: "CodeDeploy",
        inputArtifacts: [BUILD_ARTIFACT],
        configuration: {
          ApplicationName: props.codeDeployApplication,
          DeploymentGroupName: props.codeDeployGroup,
        },
      },
    ],
  });
  return stages;
}
