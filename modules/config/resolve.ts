import type { z } from "zod";
import { EnvironmentInputSchema, ProjectInputSchema } from "./schema";
import { TIER_DEFAULTS, type BlueGreenSettings, type TierDefaults } from "./tiers";
import { spotAlternatives } from "../lib/instance-types";
import { MAX_ENVIRONMENT_PREFIX_LENGTH, defaultBranch, environmentPrefix } from "./names";
import { crossEnvironmentProblems, environmentProblems, projectProblems } from "./checks";
import { BUILD_DEFAULTS, PROJECT_DEFAULTS } from "./defaults";
import {
  ConfigError,
  type Config,
  type ConfigProblem,
  type EnvironmentConfig,
  type EnvironmentSource,
  type ProjectConfig,
  type ProjectSource,
  type ContainerConfig,
  type SiteConfig,
  type SpotSettings,
} from "./model";

const ENV_NAME = /^[a-z][a-z0-9-]*[a-z0-9]$/;

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

export function zodProblems(file: string, input: unknown, error: z.ZodError): ConfigProblem[] {
  return error.issues.map((issue) => {
    if (issue.code === "unrecognized_keys") {
      const where = issue.path.map(String).join(".");
      return {
        file,
        field: issue.keys.map((k) => (where ? `${where}.${k}` : k)).join(", "),
        value: undefined,
        message: "unknown field (check the spelling against the configuration reference in docs/configuration.md)",
      };
    }
    return {
      file,
      field: issue.path.map(String).join(".") || "(file)",
      value: valueAt(input, issue.path),
      // A record key's own checks say more than zod's "Invalid key in record".
      message: issue.code === "invalid_key" ? issue.issues.map((i) => i.message).join("; ") : issue.message,
    };
  });
}

function missingExport(file: string, helper: string): ConfigProblem {
  return { file, field: "(file)", value: undefined, message: `has no default export: write \`export default ${helper}({ ... })\`` };
}

export function resolveProject(source: ProjectSource): { config?: ProjectConfig; problems: ConfigProblem[] } {
  if (source.input === undefined) return { problems: [missingExport(source.file, "defineProject")] };
  const parsed = ProjectInputSchema.safeParse(source.input);
  if (!parsed.success) return { problems: zodProblems(source.file, source.input, parsed.error) };
  const p = parsed.data;
  const workloads = Object.entries(p.workloads);
  const services = workloads.filter(([, w]) => w.kind === "service");
  const containerCount = workloads.filter(([, w]) => w.kind === "container").length;
  if (services.length > 1 || services.length + containerCount === 0) {
    return {
      problems: [
        {
          file: source.file,
          field: "workloads",
          value: services.map(([name]) => name),
          message:
            services.length > 1
              ? `must declare at most one workload of kind "service" (declares ${services.length}): the load balancer's default route goes to it`
              : 'must declare a workload of kind "service" or "container": every environment runs one behind its load balancer',
        },
      ],
    };
  }
  const service = services[0];
  const application = {
    port: p.application?.port ?? PROJECT_DEFAULTS.application.port,
    healthCheckPath: p.application?.healthCheckPath ?? PROJECT_DEFAULTS.application.healthCheckPath,
  };
  // Alone on the load balancer, the one container takes every path; beside the service or another
  // container, it takes its own (projectProblems refuses a container without paths there).
  const alone = !service && containerCount === 1;
  const containers: ProjectConfig["containers"] = Object.fromEntries(
    workloads
      .flatMap(([name, w]) => (w.kind === "container" ? [[name, w] as const] : []))
      .map(([name, w], i) => [
        name,
        {
          repository: w.repository,
          buildVariables: w.buildVariables ?? {},
          dockerfile: w.dockerfile ?? "Dockerfile",
          port: w.port ?? application.port,
          healthCheckPath: w.healthCheckPath ?? application.healthCheckPath,
          cpu: w.cpu ?? 256,
          memory: w.memory ?? (w.cpu ?? 256) * 2,
          paths: w.paths ?? (alone ? ["/*"] : []),
          priority: (i + 1) * 10,
        },
      ]),
  );
  const staticSites: ProjectConfig["staticSites"] = Object.fromEntries(
    workloads.flatMap(([name, w]) =>
      w.kind === "static-site"
        ? [[name, { repository: w.repository, buildVariables: w.buildVariables ?? {}, contentSecurityPolicy: w.contentSecurityPolicy }]]
        : [],
    ),
  );
  return {
    problems: [],
    config: {
      appName: p.appName,
      accountId: p.accountId,
      region: p.region,
      accounts: {
        deployers: p.accounts?.deployers ?? [],
        planners: p.accounts?.planners ?? [],
        environments: Object.fromEntries(
          Object.entries(p.accounts?.environments ?? {}).map(([id, a]) => [
            id,
            { bootstrapRoleName: a.bootstrapRoleName ?? "OrganizationAccountAccessRole", cloudTrail: a.cloudTrail ?? false },
          ]),
        ),
      },
      ...(p.ci ? { ci: { repository: p.ci.repository, oidcProviderArn: p.ci.oidcProviderArn } } : {}),
      ...(service
        ? { service: { name: service[0], repository: service[1].repository, buildVariables: service[1].buildVariables ?? {} } }
        : {}),
      containers,
      connectionArn: p.connectionArn,
      stateBackend: {
        bucket: p.stateBackend.bucket,
        region: p.stateBackend.region ?? p.region,
        keyPrefix: p.stateBackend.keyPrefix ?? p.appName,
      },
      build: {
        image: p.build?.image ?? BUILD_DEFAULTS.image,
        computeType: p.build?.computeType ?? BUILD_DEFAULTS.computeType,
        concurrentBuildLimit: p.build?.concurrentBuildLimit,
        timeoutMinutes: p.build?.timeoutMinutes ?? BUILD_DEFAULTS.timeoutMinutes,
        logRetentionDays: p.build?.logRetentionDays ?? BUILD_DEFAULTS.logRetentionDays,
      },
      noncurrentArtifactDays: p.noncurrentArtifactDays ?? PROJECT_DEFAULTS.noncurrentArtifactDays,
      accessLogs: {
        retentionDays: {
          albAccess: p.accessLogs?.retentionDays?.albAccess ?? PROJECT_DEFAULTS.accessLogs.retentionDays.albAccess,
          albConnection: p.accessLogs?.retentionDays?.albConnection ?? PROJECT_DEFAULTS.accessLogs.retentionDays.albConnection,
          s3Access: p.accessLogs?.retentionDays?.s3Access ?? PROJECT_DEFAULTS.accessLogs.retentionDays.s3Access,
          cloudfrontAccess: p.accessLogs?.retentionDays?.cloudfrontAccess ?? PROJECT_DEFAULTS.accessLogs.retentionDays.cloudfrontAccess,
        },
        noncurrentDays: p.accessLogs?.noncurrentDays ?? PROJECT_DEFAULTS.accessLogs.noncurrentDays,
      },
      application,
      staticSites,
      tags: p.tags ?? {},
    },
  };
}

export function resolveEnvironment(
  source: EnvironmentSource,
  project: ProjectConfig | undefined,
): { config?: EnvironmentConfig; problems: ConfigProblem[] } {
  const { name, file } = source;
  const problems: ConfigProblem[] = [];
  if (!ENV_NAME.test(name)) {
    problems.push({
      file,
      field: "(file name)",
      value: name,
      message:
        "an environment's name comes from its file name and must be lowercase letters, digits and hyphens, starting with a letter (it becomes the stack name app-<name>)",
    });
  } else if (project && environmentPrefix(project.appName, name).length > MAX_ENVIRONMENT_PREFIX_LENGTH) {
    problems.push({
      file,
      field: "(file name)",
      value: name,
      message: `"${environmentPrefix(project.appName, name)}" is longer than ${MAX_ENVIRONMENT_PREFIX_LENGTH} characters, the limit of ALB and target group names: shorten the environment name or appName`,
    });
  }
  if (source.input === undefined) return { problems: [...problems, missingExport(file, "defineEnvironment")] };
  const parsed = EnvironmentInputSchema.safeParse(source.input);
  if (!parsed.success) {
    problems.push(...zodProblems(file, source.input, parsed.error));
    // Check the rules between fields too, on what is left without the invalid fields, so that a
    // file's problems are all reported at once.
    const rest = EnvironmentInputSchema.safeParse(withoutIssues(source.input, parsed.error));
    if (rest.success) problems.push(...environmentProblems(merge(name, file, rest.data, project), project));
    return { problems };
  }
  const config = merge(name, file, parsed.data, project);
  problems.push(...environmentProblems(config, project));
  return problems.length ? { problems } : { config, problems };
}

/** A copy of `input` without the fields (or unknown keys) that the issues point at. */
function withoutIssues(input: unknown, error: z.ZodError): unknown {
  const copy = structuredClone(input);
  for (const issue of error.issues) {
    const paths = issue.code === "unrecognized_keys" ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
    for (const full of paths) {
      // A bad list element removes the whole list: the rules between fields never read lists.
      const firstIndex = full.findIndex((k) => typeof k === "number");
      const path = firstIndex === -1 ? full : full.slice(0, firstIndex);
      const parent = valueAt(copy, path.slice(0, -1));
      if (path.length && parent && typeof parent === "object") delete (parent as Record<PropertyKey, unknown>)[path[path.length - 1]];
    }
  }
  return copy;
}

/** The environment's Spot settings: its own, or the tier's default; undefined for on-demand only. */
/**
 * The environment's deployment style and its settings. Blue/green settings are resolved when the
 * style is blue-green, or when the file gives them (checks.ts then refuses them on in-place).
 * All-at-once traffic moves 100 % in one step; a step size given with it is kept, to be refused.
 */
function deploymentSettings(e: z.output<typeof EnvironmentInputSchema>, d: TierDefaults): EnvironmentConfig["deployment"] {
  const style = e.deployment?.style ?? d.deploymentStyle;
  const own = e.deployment?.blueGreen;
  const traffic = own?.traffic ?? d.blueGreen.traffic;
  const blueGreen: BlueGreenSettings | undefined =
    style === "blue-green" || own
      ? {
          traffic,
          stepPercent: own?.stepPercent ?? (traffic === "linear" ? d.blueGreen.stepPercent : 100),
          stepMinutes: own?.stepMinutes ?? d.blueGreen.stepMinutes,
          releaseAfterMinutes: own?.releaseAfterMinutes ?? d.blueGreen.releaseAfterMinutes,
        }
      : undefined;
  // The idle fleet serves nobody while it installs: all of it at once is the fastest safe choice.
  const config = e.deployment?.config ?? (style === "blue-green" ? "CodeDeployDefault.AllAtOnce" : d.deploymentConfig);
  return { style, config, ...(blueGreen ? { blueGreen } : {}) };
}

function spotSettings(e: z.output<typeof EnvironmentInputSchema>, d: TierDefaults): SpotSettings | undefined {
  const own = e.compute?.spot;
  if (own === false || (own === undefined && !d.spot)) return undefined;
  const instanceType = e.compute?.instanceType ?? d.instanceType;
  return {
    instanceTypes: own?.instanceTypes ?? spotAlternatives(instanceType),
    // A tier that keeps its minimum on demand defaults the base to it (checks.ts refuses less).
    onDemandBase: own?.onDemandBase ?? (d.minimumOnDemand ? (e.compute?.minCapacity ?? d.minCapacity) : 0),
    onDemandPercentAboveBase: own?.onDemandPercentAboveBase ?? 0,
  };
}

function merge(name: string, file: string, e: z.output<typeof EnvironmentInputSchema>, project?: ProjectConfig): EnvironmentConfig {
  const d = TIER_DEFAULTS[e.tier];
  const branch = e.pipeline?.branch ?? defaultBranch(name);
  // Sites the environment names but the project does not declare are reported by environmentProblems.
  const staticSites = Object.entries(project?.staticSites ?? {})
    .filter(([site]) => e.workloads?.[site]?.enabled !== false)
    .map(([site, declared]): SiteConfig => {
      const own = e.workloads?.[site];
      return {
        kind: "static-site",
        name: site,
        repository: declared.repository,
        priceClass: own?.priceClass ?? d.sitePriceClass,
        aliases: own?.aliases ?? [],
        certificateArn: own?.certificateArn,
        webAclArn: own?.webAclArn,
        contentSecurityPolicy: declared.contentSecurityPolicy,
        buildVariables: declared.buildVariables,
      };
    });
  const containers = Object.entries(project?.containers ?? {})
    .filter(([container]) => e.workloads?.[container]?.enabled !== false)
    .map(([container, declared]): ContainerConfig => {
      const own = e.workloads?.[container];
      const minTasks = own?.minTasks ?? d.containers.minTasks;
      return {
        kind: "container",
        name: container,
        ...declared,
        minTasks,
        maxTasks: own?.maxTasks ?? Math.max(d.containers.maxTasks, minTasks),
        cpuTarget: own?.cpuTarget ?? d.cpuTarget,
        spot: e.compute?.spot === false ? false : d.spot,
        insights: d.containers.insights,
      };
    });
  return {
    name,
    file,
    tier: e.tier,
    network: e.network,
    allowedIngressCidrs: e.allowedIngressCidrs ?? d.allowedIngressCidrs,
    certificateArn: e.certificateArn,
    ...(e.hostName ? { hostName: e.hostName } : {}),
    notificationEmails: e.notificationEmails ?? [],
    compute: {
      instanceType: e.compute?.instanceType ?? d.instanceType,
      minCapacity: e.compute?.minCapacity ?? d.minCapacity,
      desiredCapacity: e.compute?.desiredCapacity ?? d.desiredCapacity,
      maxCapacity: e.compute?.maxCapacity ?? d.maxCapacity,
      scaling: {
        metric: e.compute?.scaling?.metric ?? "cpu",
        target: e.compute?.scaling?.target ?? ((e.compute?.scaling?.metric ?? "cpu") === "cpu" ? d.cpuTarget : d.requestsTarget),
        warmupSeconds: e.compute?.scaling?.warmupSeconds ?? d.warmupSeconds,
      },
      spot: spotSettings(e, d),
    },
    schedule: e.schedule === false ? undefined : e.schedule ? { days: "MON-FRI", ...e.schedule } : d.schedule,
    pipeline: {
      branch,
      triggerBranches: e.pipeline?.triggerBranches ?? [branch],
      requireApproval: e.pipeline?.requireApproval ?? d.requireApproval,
      executionMode: e.pipeline?.executionMode ?? d.executionMode,
      notifyOnSuccess: e.pipeline?.notifyOnSuccess ?? d.notifyOnSuccess,
      bakeMinutes: e.pipeline?.bakeMinutes ?? d.bakeMinutes,
      promoteFrom: e.pipeline?.promoteFrom ?? [],
      rebuild: e.pipeline?.rebuild ?? [],
    },
    deployment: deploymentSettings(e, d),
    alarms: {
      http5xxCount: e.alarms?.http5xxCount ?? d.http5xxCount,
      unhealthyHosts: e.alarms?.unhealthyHosts ?? d.unhealthyHosts,
      cpuPercent: e.alarms?.cpuPercent ?? d.cpuPercent,
      latencyP99Seconds: e.alarms?.latencyP99Seconds ?? d.latencyP99Seconds,
      site5xxPercent: e.alarms?.site5xxPercent ?? d.site5xxPercent,
    },
    logRetentionDays: e.logRetentionDays ?? d.logRetentionDays,
    deletionProtection: e.deletionProtection ?? d.deletionProtection,
    dashboard: e.dashboard ?? d.dashboard,
    firewall: {
      mode: e.firewall?.mode ?? d.firewall.mode,
      rateLimit: e.firewall?.rateLimit ?? d.firewall.rateLimit,
      blockedRequestsAlarm: e.firewall?.blockedRequestsAlarm ?? d.firewall.blockedRequestsAlarm,
      ...(e.firewall?.reason ? { reason: e.firewall.reason } : {}),
      ...(e.firewall?.webAclArn ? { webAclArn: e.firewall.webAclArn } : {}),
    },
    imageScan: e.scans?.image ?? d.imageScan,
    scans: {
      secrets: e.scans?.secrets ?? d.scans.secrets,
      dependencies: e.scans?.dependencies ?? d.scans.dependencies,
      code: e.scans?.code ?? d.scans.code,
    },
    acceptanceTests: {
      enabled: e.acceptanceTests?.enabled ?? d.acceptanceTests.enabled,
      buildspec: e.acceptanceTests?.buildspec ?? d.acceptanceTests.buildspec,
      rollbackOnFailure:
        e.acceptanceTests?.rollbackOnFailure ?? (e.acceptanceTests?.enabled === false ? false : d.acceptanceTests.rollbackOnFailure),
      inVpc: e.acceptanceTests?.inVpc ?? d.acceptanceTests.inVpc,
    },
    accountId: e.accountId ?? project?.accountId ?? "",
    githubEnvironment: e.githubEnvironment ?? name,
    people: { operators: e.people?.operators ?? [], readers: e.people?.readers ?? [] },
    runtime: {
      settings: e.settings ?? {},
      secrets: e.secrets ?? [],
      buildSettings: e.buildSettings ?? [],
      secretRecoveryDays: d.secretRecoveryDays,
    },
    staticSites,
    containers,
    workloads: [...(project?.service ? [{ kind: "service" as const, ...project.service }] : []), ...containers, ...staticSites],
    workloadSettings: e.workloads ?? {},
    tags: e.tags ?? {},
  };
}

/**
 * Validates the project and every environment, collecting all problems before failing.
 * @throws ConfigError listing every problem, each with its file, field and value.
 */
export function validateConfig(
  projectSource: ProjectSource,
  envSources: readonly EnvironmentSource[],
  otherProblems: readonly ConfigProblem[] = [],
): Config {
  const project = resolveProject(projectSource);
  const problems = [...project.problems, ...(project.config ? projectProblems(project.config, projectSource.file) : []), ...otherProblems];
  const environments: EnvironmentConfig[] = [];
  for (const source of envSources) {
    const env = resolveEnvironment(source, project.config);
    problems.push(...env.problems);
    if (env.config) environments.push(env.config);
  }
  if (envSources.length === 0) {
    problems.push({
      file: "environments/",
      field: "(files)",
      value: undefined,
      message: "no environment files found: add one, for example environments/dev.ts",
    });
  }
  if (project.config) problems.push(...crossEnvironmentProblems(project.config, environments, projectSource.file));
  if (problems.length || !project.config) throw new ConfigError(problems);
  return { project: project.config, environments };
}
