import { Testing, TerraformStack } from "../../modules/lib/cdk";
import { DeliveryPipeline } from "../../modules/constructs/delivery-pipeline";
import {
  deliveryStages,
  pipelineProblems,
  type DeliveryTarget,
  type PipelineAction,
  type PipelineStage,
} from "../../modules/lib/pipeline-stages";

const source: PipelineAction = {
  name: "Source",
  category: "Source",
  provider: "CodeStarSourceConnection",
  configuration: {},
  outputArtifacts: ["Source"],
};
const build: PipelineAction = {
  name: "Build",
  category: "Build",
  provider: "CodeBuild",
  configuration: {},
  inputArtifacts: ["Source"],
  outputArtifacts: ["Build"],
};
const approve: PipelineAction = { name: "Approve", category: "Approval", provider: "Manual", configuration: {} };
const deploy: PipelineAction = { name: "Deploy", category: "Deploy", provider: "CodeDeploy", configuration: {}, inputArtifacts: ["Build"] };
const tests: PipelineAction = {
  name: "AcceptanceTests",
  category: "Test",
  provider: "CodeBuild",
  configuration: {},
  inputArtifacts: ["Source"],
};
const stage = (name: string, ...actions: PipelineAction[]): PipelineStage => ({ name, actions });
const good = [stage("Source", source), stage("Build", build), stage("Approve", approve), stage("Deploy", deploy)];

describe("pipeline definition checks", () => {
  it("accept the delivery stages the app stacks build, with and without approval", () => {
    const common = {
      environment: "dev",
      workload: "w",
      repository: "o/r",
      branch: "deploy/dev",
      connectionArn: "c",
      buildProjectName: "p",
    };
    const targets: DeliveryTarget[] = [
      { kind: "service", codeDeployApplication: "a", codeDeployGroup: "g" },
      { kind: "static-site", bucketName: "b", kmsKeyArn: "k", invalidationProject: "i" },
    ];
    for (const target of targets) {
      expect(pipelineProblems(deliveryStages({ ...common, target }))).toEqual([]);
      expect(pipelineProblems(deliveryStages({ ...common, target, approval: { topicArn: "t" } }), { requireApproval: true })).toEqual([]);
    }
    expect(pipelineProblems(good, { requireApproval: true })).toEqual([]);
  });

  type BadCase = [name: string, stages: PipelineStage[], message: string, options?: { requireApproval?: boolean; requireTests?: boolean }];
  // A rest parameter: jest would take a declared parameter beyond a row's length for `done`.
  it.each<BadCase>([
    ["rejects a pipeline with fewer than two stages", [stage("Source", source)], "a pipeline needs at least two stages (has 1)"],
    ["rejects a first stage without a source action", [stage("Source"), stage("Build", build)], 'the first stage "Source" has no action'],
    [
      "rejects a non-source action in the first stage",
      [stage("Source", source, { ...build, name: "Early" }), stage("Deploy", deploy)],
      '"Early" is a Build action',
    ],
    [
      "rejects a source action after the first stage",
      [stage("Source", source), stage("Build", build, { ...source, name: "Late", outputArtifacts: ["Other"] })],
      'source action "Late" must be in the first stage',
    ],
    [
      "rejects two stages with one name",
      [stage("Source", source), stage("Build", build), stage("Build", deploy)],
      'stage name "Build" is used twice',
    ],
    [
      "rejects two actions with one name in a stage",
      [stage("Source", source), stage("Build", build, { ...build, outputArtifacts: ["Build2"] })],
      'action name "Build" is used twice in stage "Build"',
    ],
    [
      "rejects an output artifact name used twice",
      [stage("Source", source), stage("Build", build, { ...build, name: "Build2" })],
      'output artifact "Build" of "Build2" is already produced by "Build"',
    ],
    [
      "rejects an input artifact nobody produced",
      [stage("Source", source), stage("Deploy", { ...deploy, inputArtifacts: ["Missing"] })],
      'input artifact "Missing" of "Deploy" in stage "Deploy" is not produced by an earlier action',
    ],
    [
      "rejects an input produced later in the same stage",
      [stage("Source", source), stage("Both", { ...deploy, runOrder: 1 }, { ...build, runOrder: 2 })],
      'input artifact "Build" of "Deploy" in stage "Both" is not produced by an earlier action',
    ],
    [
      "rejects a missing approval where the environment requires one",
      [stage("Source", source), stage("Build", build), stage("Deploy", deploy)],
      "no manual approval stage comes before the deploy stage",
      { requireApproval: true },
    ],
    [
      "rejects an approval after the deploy",
      [stage("Source", source), stage("Build", build), stage("Deploy", deploy), stage("Approve", approve)],
      "no manual approval stage comes before the deploy stage",
      { requireApproval: true },
    ],
    [
      "rejects a bake that watches more alarms than a condition takes",
      [
        ...good.slice(0, 3),
        { ...stage("Deploy", deploy), bake: { minutes: 30, alarms: [1, 2, 3, 4, 5, 6].map((i) => ({ name: `a${i}` })) } },
      ],
      'the bake of stage "Deploy" watches 6 alarms: a condition takes 1 to 5 rules',
    ],
    [
      "rejects acceptance tests that are missing",
      good,
      'the environment runs acceptance tests, but the "Deploy" stage has no AcceptanceTests action',
      { requireTests: true },
    ],
    [
      "rejects acceptance tests before the release is in place",
      [...good.slice(0, 3), stage("Deploy", { ...deploy, runOrder: 2 }, { ...tests, runOrder: 1 })],
      "AcceptanceTests must run after Deploy: the tests need the release in place",
      { requireTests: true },
    ],
    [
      "rejects acceptance tests after the traffic moves",
      [
        ...good.slice(0, 3),
        stage(
          "Deploy",
          { ...deploy, name: "InstallOnIdleFleet" },
          { ...deploy, name: "ShiftTraffic", runOrder: 2 },
          { ...tests, runOrder: 3 },
        ),
      ],
      "AcceptanceTests must run before ShiftTraffic: a release takes traffic only once it passes",
      { requireTests: true },
    ],
    [
      "rejects a bake that watches nothing",
      [...good.slice(0, 3), { ...stage("Deploy", deploy), bake: { minutes: 30, alarms: [] } }],
      'the bake of stage "Deploy" watches 0 alarms',
    ],
    [
      "rejects a bake shorter than an alarm period",
      [...good.slice(0, 3), { ...stage("Deploy", deploy), bake: { minutes: 2, alarms: [{ name: "a" }] } }],
      'the bake of stage "Deploy" lasts 2 minutes (5-360)',
    ],
  ])("%s", (...[, stages, message, options]: BadCase) => {
    expect(pipelineProblems(stages, options)).toEqual(expect.arrayContaining([expect.stringContaining(message)]));
  });

  it("turns a bake into an On Success condition that rolls back on any watched alarm, read by the bake's role", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    const alarms = [{ name: "fleet-5xx" }, { name: "site-5xx-rate", region: "us-east-1" }];
    new DeliveryPipeline(stack, "p", {
      pipelineName: "prod-w",
      accountId: "111122223333",
      region: "eu-west-1",
      branch: "deploy/prod",
      artifactBucketName: "b",
      artifactBucketArn: "arn:aws:s3:::b",
      artifactPrefix: "prod-w",
      kmsKeyArn: "k",
      statements: [],
      stages: [
        ...good.slice(0, 3),
        { ...stage("Deploy", deploy), bake: { minutes: 30, alarms, roleArn: "arn:aws:iam::444455556666:role/r" } },
      ],
    });
    const pipeline = Object.values<Record<string, unknown>>(JSON.parse(Testing.synth(stack)).resource.aws_codepipeline)[0] as {
      stage: { name: string; on_success?: unknown }[];
    };
    expect(pipeline.stage.filter((s) => s.on_success).map((s) => s.name)).toEqual(["Deploy"]);
    expect(pipeline.stage[3].on_success).toEqual({
      condition: {
        result: "ROLLBACK",
        rule: alarms.map((a, i) => ({
          name: `WatchAlarm${i + 1}`,
          rule_type_id: { category: "Rule", owner: "AWS", provider: "CloudWatchAlarm", version: "1" },
          configuration: { AlarmName: a.name, AlarmStates: "ALARM", WaitTime: "30" },
          role_arn: "arn:aws:iam::444455556666:role/r",
          ...(a.region ? { region: a.region } : {}),
        })),
      },
    });
  });

  it("accepts an input produced by an earlier run order in the same stage", () => {
    expect(pipelineProblems([stage("Source", source), stage("Both", { ...build, runOrder: 1 }, { ...deploy, runOrder: 2 })])).toEqual([]);
  });

  it("fails the synth in the construct, naming its path and every problem", () => {
    const scope = new TerraformStack(Testing.app(), "s");
    expect(
      () =>
        new DeliveryPipeline(scope, "pipeline", {
          pipelineName: "dev-x",
          accountId: "123456789012",
          region: "eu-west-1",
          stages: [stage("Source", source), stage("Deploy", { ...deploy, inputArtifacts: ["Nope"] })],
          branch: "deploy/dev",
          artifactBucketName: "b",
          artifactBucketArn: "arn:aws:s3:::b",
          artifactPrefix: "dev-x",
          kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k",
          statements: [],
          requireApproval: true,
        }),
    ).toThrow(/The pipeline s\/pipeline is invalid:\n  - input artifact "Nope".*\n  - the environment requires an approval/);
  });
});

describe("build once, promote (the pipeline model)", () => {
  const common = {
    environment: "prod",
    workload: "w",
    repository: "o/r",
    branch: "deploy/prod",
    connectionArn: "c",
    buildProjectName: "p",
    approval: { topicArn: "t" },
  };
  const service: DeliveryTarget = { kind: "service", codeDeployApplication: "a", codeDeployGroup: "g" };
  const site: DeliveryTarget = { kind: "static-site", bucketName: "b", kmsKeyArn: "k", invalidationProject: "i" };
  const blueGreen: DeliveryTarget = { kind: "blue-green-service", trafficProject: "t" };
  const builds = (target: DeliveryTarget) => deliveryStages({ ...common, target, release: { projectName: "r", promoteFrom: [] } });
  const promotes = (target: DeliveryTarget) =>
    deliveryStages({ ...common, target, release: { projectName: "r", promoteFrom: ["staging"] } });
  const rebuilds = (target: DeliveryTarget) =>
    deliveryStages({ ...common, target, release: { projectName: "r", promoteFrom: [], verifyFrom: ["staging"] } });
  /** The stages with one action changed (or removed, when `change` returns undefined). */
  const edit = (stages: PipelineStage[], name: string, change: (a: PipelineAction) => PipelineAction | undefined): PipelineStage[] =>
    stages.map((s) => ({ ...s, actions: s.actions.flatMap((a) => (a.name === name ? (change(a) ?? []) : [a])) }));

  it("accepts what the app stacks build: seal after the build, or the promotion in its place; the record last", () => {
    for (const target of [service, site, blueGreen]) {
      expect(pipelineProblems(builds(target), { requireApproval: true, release: "build" })).toEqual([]);
      expect(pipelineProblems(promotes(target), { requireApproval: true, release: "promote" })).toEqual([]);
      expect(pipelineProblems(rebuilds(target), { requireApproval: true, release: "rebuild" })).toEqual([]);
    }
    expect(rebuilds(site)[1].actions.map((a) => `${a.name}@${a.runOrder}`)).toEqual(["VerifyCommitPassed@1", "Build@2", "SealArtifact@3"]);
    const promoted = promotes(site);
    expect(promoted[1].actions.map((a) => a.name)).toEqual(["Promote"]);
    expect(promoted[1].actions[0].outputArtifacts).toEqual(["Assets", "Pages"]);
    expect(promoted.map((s) => s.name)).toEqual(["Source", "Build", "Approve", "Deploy", "Record"]);
    expect(promoted[4].actions[0]).toMatchObject({ inputArtifacts: ["Assets", "Pages"], configuration: { PrimarySource: "Pages" } });
  });

  type BadCase = [name: string, stages: PipelineStage[], mode: "build" | "promote" | "rebuild", message: string];
  it.each<BadCase>([
    [
      "an environment that promotes but deploys a build",
      builds(service),
      "promote",
      'the deploy takes "Build" from "Build": in an environment that promotes, it must come from Promote, never from a build',
    ],
    [
      "a build without its seal",
      edit(builds(service), "SealArtifact", () => undefined),
      "build",
      "the pipeline has no SealArtifact action",
    ],
    [
      "a seal beside the build instead of after it",
      edit(builds(service), "SealArtifact", (a) => ({ ...a, runOrder: 1 })),
      "build",
      "SealArtifact must run after Build, in its stage",
    ],
    [
      "a seal that leaves out the site's assets",
      edit(builds(site), "SealArtifact", (a) => ({ ...a, inputArtifacts: ["Pages"] })),
      "build",
      'SealArtifact does not store the build\'s artifact "Assets"',
    ],
    [
      "a promotion that exports no variables",
      edit(promotes(service), "Promote", (a) => ({ ...a, namespace: undefined })),
      "promote",
      "Promote must export its variables as ReleaseVariables",
    ],
    [
      "an approval that does not show the digest",
      edit(promotes(service), "Approve", (a) => ({ ...a, configuration: { CustomData: "Deploy?" } })),
      "promote",
      "must show the artifact's digest (#{ReleaseVariables.ARTIFACT_DIGEST})",
    ],
    [
      "no record after the deploy",
      promotes(service).slice(0, 4),
      "promote",
      'the last stage must be "Record", after "Deploy", with the RecordRelease action',
    ],
    [
      "a workload built again, where the environment promotes, without checking that its commit passed",
      builds(site),
      "rebuild",
      "a workload built again where the environment promotes must run VerifyCommitPassed before Build, in its stage",
    ],
    [
      "a record that is not given the digest to check",
      edit(builds(service), "RecordRelease", (a) => ({ ...a, configuration: { ProjectName: "r" } })),
      "build",
      "RecordRelease must check the deployed artifacts against #{ReleaseVariables.ARTIFACT_DIGEST}",
    ],
    [
      "a record that does not check the assets deployed",
      edit(builds(site), "RecordRelease", (a) => ({ ...a, inputArtifacts: ["Pages"] })),
      "build",
      'RecordRelease does not check the deployed artifact "Assets"',
    ],
  ])("rejects %s", (...[, stages, mode, message]: BadCase) => {
    expect(pipelineProblems(stages, { requireApproval: true, release: mode }).join("\n")).toContain(message);
  });
});
