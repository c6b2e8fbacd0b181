/**
 * The resolved configuration's shapes (what the stacks read) and the problems found on the way:
 * the types every other file of modules/config shares, kept here so that none of them has to
 * import another in a circle (__tests__/unit/layers.test.ts).
 */
import { ProjectError } from "../lib/errors";
import { branchPattern } from "../lib/validators";
import type {
  DashboardLevel,
  DeploymentConfigName,
  DeploymentStyle,
  EnvironmentInput,
  ExecutionMode,
  PriceClass,
  ScalingMetric,
  Tier,
} from "./schema";
import type { BlueGreenSettings, Schedule } from "./tiers";
import type { AccessLogKind } from "./names";
import type { FirewallSettings } from "../lib/firewall";
import type { AcceptanceTestSettings, ScanLevel, ScanSettings } from "../lib/scans";
import type { Region } from "./regions";

/** Project-wide settings with every default applied. */
export interface ProjectConfig {
  readonly appName: string;
  /** The tooling account: build, state, artifacts and every pipeline. */
  readonly accountId: string;
  readonly region: Region;
  /** Accounts other than the tooling account that environments run in (docs/accounts.md). */
  readonly accounts: {
    /** The tooling account's roles that each account's deploy role trusts. */
    readonly deployers: readonly string[];
    /** The tooling account's roles that may plan read-only in the environments' accounts. */
    readonly planners: readonly string[];
    readonly environments: Readonly<Record<string, AccountSettings>>;
  };
  /** CI on GitHub Actions: the ci stack's roles trust this repository's workflows (docs/accounts.md). */
  readonly ci?: { readonly repository: string; readonly oidcProviderArn?: string };
  /** The project's service, if it has one: the EC2 fleet behind the ALB that every environment runs. */
  readonly service?: { readonly name: string; readonly repository: string; readonly buildVariables: Readonly<Record<string, string>> };
  /** The project's container services (ECS on Fargate behind the ALB), by name, as declared with their defaults. */
  readonly containers: Readonly<Record<string, ContainerDeclaration>>;
  readonly connectionArn?: string;
  readonly stateBackend: { readonly bucket: string; readonly region: string; readonly keyPrefix: string };
  readonly build: {
    readonly image: string;
    readonly computeType: string;
    /** Absent: builds queue (see SharedBuildProjectProps.concurrentBuildLimit). */
    readonly concurrentBuildLimit?: number;
    readonly timeoutMinutes: number;
    readonly logRetentionDays: number;
  };
  readonly noncurrentArtifactDays: number;
  readonly accessLogs: {
    readonly retentionDays: { readonly [K in AccessLogKind]: number };
    readonly noncurrentDays: number;
  };
  readonly application: { readonly port: number; readonly healthCheckPath: string };
  /** The static sites every environment serves unless it disables one, by name. */
  readonly staticSites: Readonly<
    Record<
      string,
      { readonly repository: string; readonly buildVariables: Readonly<Record<string, string>>; readonly contentSecurityPolicy?: string }
    >
  >;
  readonly tags: Readonly<Record<string, string>>;
}

/** An environment account's bootstrap settings (modules/stacks/bootstrap-stack.ts). */
export interface AccountSettings {
  readonly bootstrapRoleName: string;
  readonly cloudTrail: boolean;
}

/** The service as one environment runs it (modules/workloads/service.ts): the environment's compute, deployment and alarms settings are its own. */
export interface ServiceConfig {
  readonly kind: "service";
  readonly name: string;
  readonly repository: string;
  readonly buildVariables: Readonly<Record<string, string>>;
}

/** A container service as the project declares it (environments/_project.ts), with its defaults. */
export interface ContainerDeclaration {
  readonly repository: string;
  readonly buildVariables: Readonly<Record<string, string>>;
  readonly dockerfile: string;
  readonly port: number;
  readonly healthCheckPath: string;
  readonly cpu: number;
  readonly memory: number;
  /** Its listener rule's path patterns. */
  readonly paths: readonly string[];
  /** Its listener rule's priority: its place among the project's containers (10, 20, …). */
  readonly priority: number;
}

/** A container service as one environment runs it (modules/workloads/container.ts). */
export interface ContainerConfig extends ContainerDeclaration {
  readonly kind: "container";
  readonly name: string;
  readonly minTasks: number;
  readonly maxTasks: number;
  readonly cpuTarget: number;
  /** Tasks above the minimum run on FARGATE_SPOT. */
  readonly spot: boolean;
  /** CloudWatch Container Insights on the environment's cluster. */
  readonly insights: boolean;
}

/** One static site as one environment serves it (modules/workloads/static-site.ts). */
export interface SiteConfig {
  readonly kind: "static-site";
  readonly name: string;
  readonly repository: string;
  readonly priceClass: PriceClass;
  readonly aliases: readonly string[];
  readonly certificateArn?: string;
  readonly webAclArn?: string;
  readonly contentSecurityPolicy?: string;
  readonly buildVariables: Readonly<Record<string, string>>;
}

/** One workload of an environment, as the stack builds it (modules/workloads/index.ts, WORKLOAD_KINDS). */
export type WorkloadConfig = ServiceConfig | ContainerConfig | SiteConfig;

/** Target tracking: the metric kept near `target`, and a new instance's warm-up. */
export interface ScalingSettings {
  readonly metric: ScalingMetric;
  readonly target: number;
  readonly warmupSeconds: number;
}

/** Spot above an on-demand base, over several instance types of one architecture. */
export interface SpotSettings {
  readonly instanceTypes: readonly string[];
  readonly onDemandBase: number;
  readonly onDemandPercentAboveBase: number;
}

/** One environment with its tier defaults applied. */
export interface EnvironmentConfig {
  readonly name: string;
  /** The file it came from, for messages. */
  readonly file: string;
  readonly tier: Tier;
  readonly network: {
    readonly vpcId: string;
    readonly publicSubnetIds: readonly string[];
    readonly privateSubnetIds: readonly string[];
    readonly vpcEndpoints?: { readonly privateRouteTableIds: readonly string[] };
  };
  readonly allowedIngressCidrs: readonly string[];
  readonly certificateArn?: string;
  /** The name the service is reached by (its certificate covers it, its DNS points at the load balancer). */
  readonly hostName?: string;
  readonly notificationEmails: readonly string[];
  readonly compute: {
    readonly instanceType: string;
    readonly minCapacity: number;
    readonly desiredCapacity: number;
    readonly maxCapacity: number;
    readonly scaling: ScalingSettings;
    /** undefined: on-demand only. */
    readonly spot?: SpotSettings;
  };
  /** Working hours (the service sleeps outside them), or undefined: always on. */
  readonly schedule?: Schedule;
  readonly pipeline: {
    readonly branch: string;
    /** Branch names or patterns whose pushes start the pipeline. */
    readonly triggerBranches: readonly string[];
    readonly requireApproval: boolean;
    readonly executionMode: ExecutionMode;
    readonly notifyOnSuccess: boolean;
    /** Minutes a release is held and watched after deploy; 0: none. */
    readonly bakeMinutes: number;
    /** The environments whose passed releases it deploys, in order; empty: it builds. */
    readonly promoteFrom: readonly string[];
    /** Workloads that build again here although it promotes. */
    readonly rebuild: readonly string[];
  };
  readonly deployment: {
    readonly style: DeploymentStyle;
    readonly config: DeploymentConfigName;
    /** Set only for the blue-green style. */
    readonly blueGreen?: BlueGreenSettings;
  };
  readonly alarms: {
    readonly http5xxCount: number;
    readonly unhealthyHosts: number;
    readonly cpuPercent: number;
    readonly latencyP99Seconds: number;
    readonly site5xxPercent: number;
  };
  readonly logRetentionDays: number;
  readonly deletionProtection: boolean;
  /** How much the environment's dashboard shows. */
  readonly dashboard: DashboardLevel;
  /** The web firewall, with the tier's defaults applied; `webAclArn`: the load balancer's own ACL. */
  readonly firewall: FirewallSettings & { readonly webAclArn?: string };
  /** What each scan of the source does with its findings, with the tier's defaults applied. */
  readonly scans: ScanSettings;
  /** What the scan gate of a container's image does with ECR's findings (scans.image). */
  readonly imageScan: ScanLevel;
  /** The application's acceptance tests after each deploy, with the tier's defaults applied. */
  readonly acceptanceTests: AcceptanceTestSettings;
  /** The project's static sites this environment serves. */
  readonly staticSites: readonly SiteConfig[];
  /** The project's containers this environment runs. */
  readonly containers: readonly ContainerConfig[];
  /** Every workload this environment runs, by kind: the service first, then the containers, then the static sites. */
  readonly workloads: readonly WorkloadConfig[];
  /** The environment file's workloads section as written, for checks against the project's. */
  readonly workloadSettings: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** The account the environment runs in: the tooling account unless the file names another. */
  readonly accountId: string;
  /** The GitHub environment that gates this stack's deploy in CI. */
  readonly githubEnvironment: string;
  /** Who may take its people roles (the ci stack): role ARNs. */
  readonly people: { readonly operators: readonly string[]; readonly readers: readonly string[] };
  /** What the application reads at run time (modules/constructs/runtime-config.ts). */
  readonly runtime: RuntimeSettings;
  readonly tags: Readonly<Record<string, string>>;
  /** Set on a preview environment (modules/config/previews.ts): its registry entry. */
  readonly preview?: PreviewEntry;
}

/** An environment's settings (plain values) and secrets (names only: values live in Secrets Manager). */
export interface RuntimeSettings {
  readonly settings: Readonly<Record<string, string>>;
  readonly secrets: readonly string[];
  /** Names of the settings its static sites' builds receive as plain-text variables. */
  readonly buildSettings: readonly string[];
  /** Days a destroyed secret stays recoverable (Secrets Manager's recovery window: 0, or 7-30). */
  readonly secretRecoveryDays: number;
}

/** Whether pushes to `branch` start the environment's pipelines through one of its trigger patterns (its own branch aside). */
export function patternTakes(env: EnvironmentConfig, branch: string): boolean {
  return env.pipeline.triggerBranches.some((p) => p !== env.pipeline.branch && branchPattern(p).test(branch));
}

/**
 * The variables a workload's builds receive in an environment but ENVIRONMENT and COMMIT_ID, by
 * name: a static site's get the environment's build settings (it has no run time to read them at),
 * then its own; a service's only its own (it reads its settings at run time). What differs here
 * between two environments keeps one's artifact from being the other's (docs/pipelines.md,
 * "Build once, promote").
 */
export function workloadBuildInputs(env: EnvironmentConfig, workload: WorkloadConfig): Record<string, string> {
  return { ...(workload.kind === "static-site" ? buildSettingValues(env.runtime) : {}), ...workload.buildVariables };
}

/** The settings an environment's static sites' builds receive, by name, with their values. */
export function buildSettingValues(runtime: RuntimeSettings): Record<string, string> {
  return Object.fromEntries(runtime.buildSettings.filter((n) => n in runtime.settings).map((n) => [n, runtime.settings[n]]));
}

export interface Config {
  readonly project: ProjectConfig;
  /** The environment files' environments, then the previews'. */
  readonly environments: readonly EnvironmentConfig[];
  /** The preview template (environments/_previews.ts), when the project has one. */
  readonly previews?: PreviewsConfig;
}

/** One thing wrong with the configuration: where, which field, what value, and why. */
export interface ConfigProblem {
  readonly file: string;
  readonly field: string;
  readonly value: unknown;
  readonly message: string;
}

export function formatProblem(p: ConfigProblem): string {
  const value = p.value === undefined ? "" : ` (got ${JSON.stringify(p.value)})`;
  return `${p.file}: ${p.field}: ${p.message}${value}`;
}

/** Thrown before any stack is built; lists every problem found, not only the first. */
export class ConfigError extends ProjectError {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was synthesized:\n` +
        problems.map((p) => `  - ${formatProblem(p)}`).join("\n"),
    );
  }
}

/** Raw inputs as read from files, before validation. */
export interface EnvironmentSource {
  readonly name: string;
  readonly file: string;
  readonly input: unknown;
}
export interface ProjectSource {
  readonly file: string;
  readonly input: unknown;
}

/** The template, validated. */
export interface PreviewsConfig {
  readonly file: string;
  readonly maxPreviews: number;
  readonly ttlDays: number;
  readonly staticSites?: boolean;
  readonly environment: EnvironmentInput;
}

/** One preview, as the registry holds it. */
export interface PreviewEntry {
  /** The environment's name: `pv-<hash>-<slug>` (previewName). */
  readonly name: string;
  /** The branch it deploys. */
  readonly branch: string;
  /** When it was first created (ISO 8601). */
  readonly createdAt: string;
  /** The day (YYYY-MM-DD, UTC) after which `npm run preview -- expire` destroys it. */
  readonly expiresOn: string;
}

/** Whether the environment runs in an account of its own, apart from the tooling account. */
export function isCrossAccount(project: Pick<ProjectConfig, "accountId">, env: Pick<EnvironmentConfig, "accountId">): boolean {
  return env.accountId !== project.accountId;
}
