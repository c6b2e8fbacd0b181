import { releaseRecordPrefix } from "../lib/releases";
import { Construct } from "constructs";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { TerraformOutput } from "../lib/cdk";
import {
  environmentPrefix,
  PEOPLE_ROLE_PATH,
  peopleRoleName,
  pipelineName,
  sitePipelineName,
  accessLogBucketName,
  artifactBucketName,
  artifactKeyAlias,
  artifactPrefix,
  bootstrapStackName,
  BUILD_STACK,
  buildProjectName,
  scanProjectName,
  CI_ROLE_PATH,
  CI_STACK,
  ciRoleName,
  deployRoleName,
  GITHUB_OIDC_HOST,
  githubEnvironmentSlug,
  githubEnvironmentSubject,
  readRoleName,
  type CiEnvironment,
  type EnvironmentConfig,
  type ProjectConfig,
} from "../config";
import { ProjectStack, type SynthOptions } from "./project-stack";
import { ENVIRONMENT_SERVICES, INSTANCE_SERVICES, MANAGE_INSTANCE_PROFILE_ACTIONS, MANAGE_ROLE_ACTIONS } from "./bootstrap-stack";
import { stateLocation } from "./state";
import { deliveryEventsLogPrefix } from "../constructs/delivery-events";
import { AlertTopic } from "../constructs/alert-topic";
import { decryptSecureParametersThroughSsm, policyDocument, type PolicyStatement } from "../lib/policy";
import { validateProps } from "../lib/props";
import { PARTITION } from "../lib/arn";

/**
 * What the apply roles manage in the tooling account, on any resource, beyond the environment
 * services: the GitHub connection (build). Pipelines are not among them: an apply role manages its
 * own stacks' pipelines only, by name, and no role its stacks create calls CodePipeline.
 */
export const TOOLING_SERVICES = [...ENVIRONMENT_SERVICES, "codestar-connections", "codeconnections"] as const;

/** A bucket's own settings: what no apply role may change on the state bucket, nor, but build's, on build's buckets. */
const BUCKET_CONFIGURATION = [
  "s3:PutBucket*",
  "s3:DeleteBucket*",
  "s3:PutLifecycleConfiguration",
  "s3:PutEncryptionConfiguration",
  "s3:PutReplicationConfiguration",
  "s3:PutObjectLockConfiguration",
];

/** The audience GitHub's token must carry for STS (aws-actions/configure-aws-credentials' default). */
export const STS_AUDIENCE = "sts.amazonaws.com";

export interface CiStackProps extends SynthOptions {
  readonly project: ProjectConfig;
  readonly environments: readonly EnvironmentConfig[];
  /** The project's GitHub environments and their stacks (ciEnvironments). */
  readonly ci: readonly CiEnvironment[];
  /**
   * By GitHub environment, the names of the roles and instance profiles its stacks create in the
   * tooling account (ProjectStack.toolingIdentities): all its apply role may manage in IAM.
   */
  readonly identities: ReadonlyMap<string, { readonly roles: readonly string[]; readonly profiles: readonly string[] }>;
}

/**
 * CI's identities, in the tooling account (docs/accounts.md, "CI and people"): GitHub's OIDC
 * provider and, per GitHub environment, a plan role and an apply role that only this repository's
 * workflows can assume, and only from a job running in that environment (`<env>-plan` for the
 * plan role, `<env>` for the apply role). They live where Terraform's state, build's outputs and
 * the pipelines are; an environment account's deploy and read roles trust the roles of the
 * GitHub environments deployed there, and no other's (modules/stacks/bootstrap-stack.ts).
 *
 * An administrator deploys this stack once (after the state bucket, before build), and again when
 * a GitHub environment is added. CI never deploys it: no CI role may change a CI role.
 */
export class CiStack extends ProjectStack {
  private readonly providerArn: string;

  constructor(scope: Construct, props: CiStackProps) {
    super(scope, CI_STACK, { ...props, tags: {} });
    const { project } = props;
    const ci = project.ci;
    if (!ci) throw new Error(`${CI_STACK}: the project sets no ci (environments/_project.ts)`);
    // One provider per URL and account. No thumbprint: IAM trusts GitHub's certificate authority
    // itself (IAM user guide, "Create an OpenID Connect (OIDC) identity provider in IAM").
    this.providerArn =
      ci.oidcProviderArn ??
      new IamOpenidConnectProvider(this, "github", {
        url: `https://${GITHUB_OIDC_HOST}`,
        clientIdList: [STS_AUDIENCE],
      }).arn;

    const environments = props.ci;
    const allStacks = [
      CI_STACK,
      ...Object.keys(project.accounts.environments).map(bootstrapStackName),
      ...environments.flatMap((e) => e.stacks),
    ];
    for (const env of environments) {
      const scope = new Construct(this, `github-${githubEnvironmentSlug(env.githubEnvironment)}`);
      const plan = this.role(scope, "plan-role", project, env, "plan");
      const apply = this.role(scope, "apply-role", project, env, "apply");
      new IamRolePolicy(scope, "plan-policy", { name: "plan", role: plan.name, policy: policyDocument(this.planStatements(project, env)) });
      const fences = this.fences(
        project,
        env,
        environments.filter((o) => o !== env).flatMap((o) => o.environments),
      );
      const { bucket } = stateLocation(project, CI_STACK);
      const stateKey = (stack: string) => `arn:${PARTITION}:s3:::${bucket}/${stateLocation(project, stack).key}*`;
      const identities = props.identities.get(env.githubEnvironment) ?? { roles: [], profiles: [] };
      const applyPolicy = policyDocument([
        ...this.applyStatements(project, env, identities, fences),
        // Its own stacks' state only, and never the bucket's settings.
        {
          sid: "NeverOtherStacksState",
          effect: "Deny",
          actions: ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectAcl"],
          resources: allStacks.filter((s) => !env.stacks.includes(s)).map(stateKey),
        },
        {
          sid: "NeverTheStateBucketsConfiguration",
          effect: "Deny",
          actions: BUCKET_CONFIGURATION,
          resources: [`arn:${PARTITION}:s3:::${bucket}`],
        },
      ]);
      new IamRolePolicy(scope, "ci-apply-policy", { name: "apply", role: apply.name, policy: applyPolicy });
      // The most a role its stacks create in the tooling account may do: what the apply role may,
      // but IAM, within the same fences (as an environment account's boundary does for its roles).
      const boundaryPolicy = policyDocument([
        {
          sid: "ToolingServices",
          actions: [...TOOLING_SERVICES, ...INSTANCE_SERVICES].map((s) => `${s}:*`),
          resources: ["*"],
        },
        // A pipeline's deploy actions run as a role of the environment's account.
        { sid: "AssumeAppRoles", actions: ["sts:AssumeRole"], resources: [`arn:${PARTITION}:iam::*:role/${project.appName}-*`] },
        ...(identities.roles.length
          ? [
              {
                sid: "PassOwnRoles",
                actions: ["iam:PassRole", "iam:GetRole"],
                resources: identities.roles.map((r) => this.own(project, "role", r)),
              },
            ]
          : []),
        // What it creates never needs the state: none of it, whatever the number of stacks.
        {
          sid: "NeverTheState",
          effect: "Deny",
          actions: ["s3:*"],
          resources: [`arn:${PARTITION}:s3:::${bucket}`, `arn:${PARTITION}:s3:::${bucket}/*`],
        },
        ...fences,
      ]);
      new IamPolicy(scope, "ci-boundary", {
        name: ciRoleName(project.appName, env.githubEnvironment, "boundary"),
        path: CI_ROLE_PATH,
        description: `The most any role of ${env.stacks.join(", ")} may do in the tooling account`,
        policy: boundaryPolicy,
      });
      // IAM refuses an inline policy over 10,240 characters and a managed one over 6,144 (IAM user
      // guide, "IAM and AWS STS quotas"; whitespace not counted): say so at synth, not at apply.
      const size = (policy: string) => policy.replace(/\s/g, "").length;
      validateProps(scope, "modules/stacks/ci-stack.ts", [
        {
          field: "apply policy",
          value: size(applyPolicy),
          ok: size(applyPolicy) <= 10_240,
          message: `of GitHub environment ${env.githubEnvironment} must be at most 10,240 characters (IAM's inline limit): fewer environments per tooling account, or shorter names`,
        },
        {
          field: "boundary policy",
          value: size(boundaryPolicy),
          ok: size(boundaryPolicy) <= 6_144,
          message: `of GitHub environment ${env.githubEnvironment} must be at most 6,144 characters (IAM's managed policy limit): fewer environments per tooling account, or shorter names`,
        },
      ]);
    }
    for (const env of props.environments.filter((e) => !e.preview)) this.peopleRoles(project, env);

    // What to set in each GitHub environment (Settings -> Environments -> Variables).
    new TerraformOutput(this, "github_environment_variables", {
      description: 'The variables to set in each GitHub environment (docs/accounts.md, "CI and people")',
      value: Object.fromEntries(
        environments.flatMap((e) => [
          [e.githubEnvironment, { AWS_APPLY_ROLE_ARN: e.applyRoleArn, AWS_REGION: project.region }],
          [e.planEnvironment, { AWS_PLAN_ROLE_ARN: e.planRoleArn, AWS_REGION: project.region }],
        ]),
      ),
    });
  }

  /**
   * A role that only GitHub's tokens for this repository's jobs in one GitHub environment may
   * assume: the audience STS expects and the exact subject (IAM user guide, "Configuring a role for
   * GitHub OIDC identity provider"; rule GITHUB_OIDC_TRUST_NEEDS_SUBJECT).
   */
  private role(scope: Construct, id: string, project: ProjectConfig, env: CiEnvironment, kind: "plan" | "apply"): IamRole {
    const githubEnvironment = kind === "plan" ? env.planEnvironment : env.githubEnvironment;
    const role = new IamRole(scope, id, {
      name: ciRoleName(project.appName, env.githubEnvironment, kind),
      path: CI_ROLE_PATH,
      description: `GitHub Actions (${project.ci!.repository}, environment ${githubEnvironment}): ${kind === "plan" ? "plans" : "applies"} ${env.stacks.join(", ")}`,
      maxSessionDuration: 3600,
      assumeRolePolicy: policyDocument([
        {
          sid: "GitHubEnvironmentOnly",
          principals: { Federated: this.providerArn },
          actions: ["sts:AssumeRoleWithWebIdentity"],
          conditions: {
            StringEquals: {
              [`${GITHUB_OIDC_HOST}:aud`]: STS_AUDIENCE,
              [`${GITHUB_OIDC_HOST}:sub`]: githubEnvironmentSubject(project.ci!.repository, githubEnvironment),
            },
          },
        },
      ]),
    });
    // Reading is what a plan does, and an apply's refresh: AWS's ReadOnlyAccess (the read role's own).
    new IamRolePolicyAttachment(scope, `${kind}-read-only`, {
      role: role.name,
      policyArn: `arn:${PARTITION}:iam::aws:policy/ReadOnlyAccess`,
    });
    return role;
  }

  /** The read-only plan: the environments' SecureString parameters through SSM, and each account's read role. */
  private planStatements(project: ProjectConfig, env: CiEnvironment): PolicyStatement[] {
    return [
      decryptSecureParametersThroughSsm(project.region, project.accountId),
      ...(env.accounts.length
        ? [
            {
              sid: "ReadRolesOfItsAccounts",
              actions: ["sts:AssumeRole"],
              resources: env.accounts.map((a) => `arn:${PARTITION}:iam::${a}:role/${readRoleName(project.appName)}`),
            },
          ]
        : []),
    ];
  }

  /**
   * An environment's people roles (docs/accounts.md, "People"), trusted by the roles its file
   * names: the reader reads its pipelines, logs and alarms; the operator also starts, retries,
   * stops and approves its pipelines. In an account of its own, both read there through the
   * account's read role. No other role of the project may approve its releases but its GitHub
   * environment's apply role (the CI roles' fences keep the others out).
   */
  private peopleRoles(project: ProjectConfig, env: EnvironmentConfig): void {
    const { appName, region, accountId } = project;
    const pipelines = [pipelineName(appName, env.name), ...env.staticSites.map((s) => sitePipelineName(appName, env.name, s.name))];
    const pipelineArns = pipelines.flatMap((p) => {
      const arn = `arn:${PARTITION}:codepipeline:${region}:${accountId}:${p}`;
      return [arn, `${arn}/*`];
    });
    const logGroup = (name: string) => `arn:${PARTITION}:logs:${region}:${accountId}:log-group:${name}`;
    const read: PolicyStatement[] = [
      {
        sid: "ReadItsPipelines",
        actions: [
          "codepipeline:GetPipeline",
          "codepipeline:GetPipelineState",
          "codepipeline:GetPipelineExecution",
          "codepipeline:ListPipelineExecutions",
          "codepipeline:ListActionExecutions",
          "codepipeline:ListRuleExecutions",
        ],
        resources: pipelineArns,
      },
      {
        sid: "ReadItsLogs",
        actions: ["logs:GetLogEvents", "logs:FilterLogEvents", "logs:DescribeLogStreams", "logs:StartQuery", "logs:GetQueryResults"],
        resources: [
          // Its pipelines' events, its own groups (in the tooling account when it runs there), the shared build's.
          logGroup(`${deliveryEventsLogPrefix(appName)}${env.name}:*`),
          logGroup(`/${appName}/${env.name}/*`),
          logGroup(`/aws/codebuild/${buildProjectName(appName)}:*`),
          logGroup(`/aws/codebuild/${scanProjectName(appName)}:*`),
        ],
      },
      // These take no resource (Service Authorization Reference): listing pipelines and log groups,
      // Logs Insights' queries, metric statistics. Alarms are listed, not changed.
      {
        sid: "ListPipelinesGroupsAndQueries",
        actions: [
          "codepipeline:ListPipelines",
          "logs:DescribeLogGroups",
          "logs:DescribeQueries",
          "logs:StopQuery",
          "cloudwatch:GetMetricStatistics",
        ],
        resources: ["*"],
      },
      { sid: "ReadAlarms", actions: ["cloudwatch:DescribeAlarms"], resources: [`arn:${PARTITION}:cloudwatch:*:${accountId}:alarm:*`] },
      {
        sid: "ReadItsDashboard",
        actions: ["cloudwatch:GetDashboard"],
        resources: [`arn:${PARTITION}:cloudwatch::${accountId}:dashboard/${environmentPrefix(appName, env.name)}`],
      },
      ...(env.accountId !== accountId
        ? [
            {
              sid: "ReadItsAccount",
              actions: ["sts:AssumeRole"],
              resources: [`arn:${PARTITION}:iam::${env.accountId}:role/${readRoleName(appName)}`],
            },
          ]
        : []),
    ];
    // The hotfix notice (npm run promote): its topic, encrypted with its key, through SNS only.
    const topicArn = `arn:${PARTITION}:sns:${region}:${env.accountId}:${AlertTopic.topicName(environmentPrefix(appName, env.name))}`;
    const notify: PolicyStatement[] = [
      { sid: "PublishHotfixNotice", actions: ["sns:Publish"], resources: [topicArn] },
      {
        sid: "EncryptHotfixNoticeForTheTopic",
        actions: ["kms:GenerateDataKey*", "kms:Decrypt"],
        resources: [`arn:${PARTITION}:kms:${region}:${env.accountId}:key/*`],
        conditions: { StringEquals: { "kms:ViaService": `sns.${region}.amazonaws.com` } },
      },
    ];
    const operate: PolicyStatement = {
      sid: "OperateItsPipelines",
      actions: [
        "codepipeline:StartPipelineExecution",
        "codepipeline:RetryStageExecution",
        "codepipeline:StopPipelineExecution",
        "codepipeline:PutApprovalResult",
      ],
      resources: pipelineArns,
    };
    for (const [kind, principals, statements] of [
      ["reader", env.people.readers, read],
      ["operator", env.people.operators, [...read, operate, ...notify]],
    ] as const) {
      if (!principals.length) continue;
      const scope = new Construct(this, `people-${env.name}-${kind}`);
      const role = new IamRole(scope, "role", {
        name: peopleRoleName(appName, env.name, kind),
        path: PEOPLE_ROLE_PATH,
        description: `${kind === "operator" ? "Operates" : "Reads"} ${appName}'s ${env.name} environment`,
        maxSessionDuration: 3600,
        // The roles the environment's file names, and no whole account (rule CROSS_ACCOUNT_TRUST_NEEDS_CONDITION).
        assumeRolePolicy: policyDocument([{ sid: "NamedRolesOnly", principals: { AWS: [...principals] }, actions: ["sts:AssumeRole"] }]),
      });
      new IamRolePolicy(scope, "policy", { name: kind, role: role.name, policy: policyDocument(statements) });
      // Graphs: GetMetricData's only resource is a PromQL/OTLP dataset; ordinary metrics take "*".
      new IamRolePolicy(scope, "read-metrics", {
        name: "read-metrics",
        role: role.name,
        policy: policyDocument([{ sid: "ReadMetrics", actions: ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"], resources: ["*"] }]),
      });
    }
  }

  private own(project: ProjectConfig, kind: string, name: string): string {
    return `arn:${PARTITION}:iam::${project.accountId}:${kind}/${name}`;
  }

  /**
   * The apply: the tooling services (its stacks' resources there: build, or the pipelines, and the
   * whole environment when it runs in the tooling account); in IAM, exactly its stacks' roles and
   * instance profiles, and a role only with its boundary; each account's deploy role; within the
   * fences.
   */
  private applyStatements(
    project: ProjectConfig,
    env: CiEnvironment,
    identities: { readonly roles: readonly string[]; readonly profiles: readonly string[] },
    fences: readonly PolicyStatement[],
  ): PolicyStatement[] {
    const roles = identities.roles.map((r) => this.own(project, "role", r));
    const profiles = identities.profiles.map((p) => this.own(project, "instance-profile", p));
    return [
      ...this.planStatements(project, env),
      { sid: "ToolingServices", actions: TOOLING_SERVICES.map((s) => `${s}:*`), resources: ["*"] },
      // Its own stacks' pipelines, their stages and actions (approvals included), and no other's.
      ...(env.pipelines.length
        ? [
            {
              sid: "ItsPipelines",
              actions: ["codepipeline:*"],
              resources: env.pipelines.flatMap((p) => {
                const arn = `arn:${PARTITION}:codepipeline:${project.region}:${project.accountId}:${p}`;
                return [arn, `${arn}/*`];
              }),
            },
          ]
        : []),
      ...(roles.length
        ? [
            {
              sid: "CreateItsRolesWithinTheBoundary",
              actions: ["iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePermissionsBoundary"],
              resources: roles,
              conditions: { StringEquals: { "iam:PermissionsBoundary": env.boundaryArn } },
            },
            {
              sid: "ManageItsRoles",
              actions: [...MANAGE_ROLE_ACTIONS],
              resources: roles,
            },
          ]
        : []),
      ...(profiles.length
        ? [
            {
              sid: "ManageItsInstanceProfiles",
              actions: [...MANAGE_INSTANCE_PROFILE_ACTIONS],
              resources: profiles,
            },
          ]
        : []),
      { sid: "ReadPolicies", actions: ["iam:GetPolicy", "iam:GetPolicyVersion"], resources: ["*"] },
      { sid: "ServiceLinkedRoles", actions: ["iam:CreateServiceLinkedRole"], resources: [this.own(project, "role", "aws-service-role/*")] },
      ...(env.accounts.length
        ? [
            {
              sid: "DeployRolesOfItsAccounts",
              actions: ["sts:AssumeRole"],
              resources: env.accounts.map((a) => `arn:${PARTITION}:iam::${a}:role/${deployRoleName(project.appName)}`),
            },
          ]
        : []),
      {
        sid: "NeverCiIdentities",
        effect: "Deny",
        actions: ["iam:*"],
        resources: [
          this.own(project, "role", `${CI_ROLE_PATH.slice(1)}*`),
          this.own(project, "policy", `${CI_ROLE_PATH.slice(1)}*`),
          this.own(project, "role", `${PEOPLE_ROLE_PATH.slice(1)}*`),
          this.own(project, "oidc-provider", "*"),
        ],
      },
      { sid: "NeverRemoveTheBoundary", effect: "Deny", actions: ["iam:DeleteRolePermissionsBoundary"], resources: ["*"] },
      ...fences,
    ];
  }

  /**
   * What neither the apply role nor any role it creates may touch (explicit denies, in its policy
   * and in its boundary): other environments' artifacts, and, but for build's, the artifact and
   * access-log buckets' configuration, the artifact key's administration and the shared build
   * project's. The state has its own fences (per stack in the apply role, whole in the boundary);
   * other environments' pipelines are out of reach for want of a grant.
   */
  private fences(
    project: ProjectConfig,
    env: CiEnvironment,
    otherEnvironments: readonly { readonly name: string; readonly pipelines: readonly string[] }[],
  ): PolicyStatement[] {
    // Another environment's artifact prefixes and its release records all start with "<env>-": one pattern each keeps the
    // policies small (IAM: 10,240 characters inline, 6,144 managed), unless an own prefix starts
    // so too (dev-eu's, for dev), when they are listed one by one.
    const ownPrefixes = env.pipelines.map(artifactPrefix);
    const fenced = (o: { readonly name: string; readonly pipelines: readonly string[] }) => {
      const stem = artifactPrefix(`${o.name}-`);
      // The pattern covers its release records too (<env>-releases/: build once, promote); listed, they are added.
      return ownPrefixes.some((p) => p.startsWith(stem))
        ? [...o.pipelines.map((p) => `${artifactPrefix(p)}/*`), `${releaseRecordPrefix(o.name)}/*`]
        : [`${stem}*`];
    };
    const builds = env.stacks.includes(BUILD_STACK);
    const artifacts = artifactBucketName(project.appName, project.accountId, project.region);
    const statements: PolicyStatement[] = [];
    if (!builds) {
      const bucketArn = `arn:${PARTITION}:s3:::${artifacts}/`;
      statements.push(
        ...(otherEnvironments.length
          ? [
              {
                sid: "NeverOtherEnvironmentsArtifacts",
                effect: "Deny" as const,
                actions: ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"],
                resources: otherEnvironments.flatMap((o) => fenced(o).map((r) => `${bucketArn}${r}`)),
              },
            ]
          : []),
        {
          sid: "NeverBuildsBuckets",
          effect: "Deny",
          actions: BUCKET_CONFIGURATION,
          resources: [
            `arn:${PARTITION}:s3:::${artifacts}`,
            `arn:${PARTITION}:s3:::${accessLogBucketName(project.appName, project.accountId, project.region)}`,
          ],
        },
        {
          sid: "NeverTheArtifactKeysAdministration",
          effect: "Deny",
          actions: [
            "kms:PutKeyPolicy",
            "kms:ScheduleKeyDeletion",
            "kms:DisableKey",
            "kms:CreateGrant",
            "kms:RevokeGrant",
            "kms:UpdateAlias",
            "kms:DeleteAlias",
            "kms:TagResource",
            "kms:UntagResource",
          ],
          resources: ["*"],
          conditions: { "ForAnyValue:StringEquals": { "kms:ResourceAliases": `alias/${artifactKeyAlias(project.appName)}` } },
        },
        {
          sid: "NeverTheSharedBuildAndScanProjects",
          effect: "Deny",
          actions: [
            "codebuild:UpdateProject",
            "codebuild:DeleteProject",
            "codebuild:CreateWebhook",
            "codebuild:UpdateWebhook",
            "codebuild:DeleteWebhook",
          ],
          resources: [buildProjectName(project.appName), scanProjectName(project.appName)].map(
            (name) => `arn:${PARTITION}:codebuild:${project.region}:${project.accountId}:project/${name}`,
          ),
        },
      );
    }
    return statements;
  }
}
