/**
 * Checks that only relations reveal: between fields of one environment, between environments, and
 * with the project settings. Each stops the synth (with file, field and value) on a configuration
 * that AWS would refuse at apply time or that would leave an environment unusable.
 */
import {
  buildSettingValues,
  patternTakes,
  workloadBuildInputs,
  type ConfigProblem,
  type EnvironmentConfig,
  type ProjectConfig,
} from "./model";
import { differingInputs } from "../lib/releases";
import {
  accessLogBucketName,
  artifactBucketName,
  artifactPrefix,
  buildNames,
  environmentNames,
  environmentPrefix,
  MAX_ENVIRONMENT_PREFIX_LENGTH,
  pipelineName,
  SLOT_SUFFIX_LENGTH,
  sitePipelineName,
  type NameSpace,
} from "./names";
import { arnParts, EDGE_REGION } from "./regions";
import { TIER_DEFAULTS } from "./tiers";
import { architectureOf, isKnownInstanceType } from "../lib/instance-types";
import { BUILD_STACK, ciRoleName, siteBucketName } from "./names";
import { isS3BucketName } from "../lib/validators";
import { PIPELINE_BUILD_VARIABLES, RESERVED_TAG_KEYS } from "./schema";
import { capacityProblems } from "../lib/validators";
import { BAKE_LIMITS, buildVariablesJson } from "../lib/pipeline-stages";
import { MAX_SHIFT_MINUTES, shiftMinutes } from "../lib/traffic-plan";
import { SCAN_KINDS, scanBlocks } from "../lib/scans";
import { FARGATE_SIZES } from "./schema";

/** CodePipeline's limit on one action configuration value. */
export const MAX_ACTION_CONFIGURATION_VALUE = 1000;

/** AWS's limit of tags per resource (the stacks tag every resource through default_tags). */
export const MAX_TAGS_PER_RESOURCE = 50;
/** Default quota of inbound rules per security group (Amazon VPC quotas; adjustable). */
export const MAX_INGRESS_RULES = 60;

/**
 * Where an ARN that must live in the project's partition, region and account lives instead, as a
 * message ending with `why`; undefined when it is in the right place.
 */
function elsewhere(arn: string, project: ProjectConfig, why: string): string | undefined {
  const parts = arnParts(arn);
  if (!parts) return undefined;
  const where = [];
  if (parts.partition !== "aws") where.push(`partition ${parts.partition} (only "aws" is supported)`);
  if (parts.region !== project.region) where.push(`region ${parts.region}, not the project's ${project.region}`);
  if (parts.account !== project.accountId) where.push(`account ${parts.account}, not the project's ${project.accountId}`);
  return where.length ? `is in ${where.join(" and ")}: ${why}; use one in ${project.region} of ${project.accountId}` : undefined;
}

/** An IPv4 block's network and prefix, or undefined for IPv6. */
function ipv4(cidr: string): { network: string; length: number; hostBitsSet: boolean } | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) return undefined;
  const length = Number(m[5]);
  const address = m.slice(1, 5).reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - length);
  const network = address - (address % size);
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256);
  return { network: `${octets.join(".")}/${length}`, length, hostBitsSet: network !== address };
}

function duplicates(values: readonly string[], key: (v: string) => string = (v) => v): string[] {
  const seen = new Set<string>();
  return values.filter((v) => (seen.has(key(v)) ? true : (seen.add(key(v)), false)));
}

/**
 * The web firewall: off where the tier has it on only with a reason, a reason only for that, and
 * an ACL of the user's own in the environment's region and account (WAF associates a regional
 * web ACL with a load balancer of its own region only).
 */
function firewallProblems(c: EnvironmentConfig, project: ProjectConfig | undefined): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (field: string, value: unknown, message: string) => problems.push({ file: c.file, field, value, message });
  const tierMode = TIER_DEFAULTS[c.tier].firewall.mode;
  const { mode, reason, webAclArn } = c.firewall;
  // A web ACL of the user's own covers the load balancer only (each site's is workloads.<site>.webAclArn):
  // it stands in for the load balancer's web ACL, never for a reason.
  if (mode === "off" && tierMode !== "off" && !reason) {
    add(
      "firewall.mode",
      mode,
      `turns off the web firewall that a ${c.tier} environment has: give firewall.reason (why, and who decided), or use "count" for a first rollout (a web ACL of your own goes in firewall.webAclArn, with the firewall on)`,
    );
  }
  if (reason && !(mode === "off" && tierMode !== "off")) {
    add(
      "firewall.reason",
      reason,
      `is only for turning off the web firewall where the tier has it on (firewall.mode "off" in a production environment); remove it`,
    );
  }
  if (webAclArn && project) {
    const wrong = elsewhere(webAclArn, project, "WAF associates a load balancer with a regional web ACL of its own region and account");
    if (wrong) add("firewall.webAclArn", webAclArn, wrong);
  }
  return problems;
}

/**
 * Scans: in production each one runs and blocks (rule PRODUCTION_PIPELINE_SCANS checks the
 * pipelines); a scan that only warns, or does not run, would let any finding through.
 */
function scanProblems(c: EnvironmentConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { enabled, rollbackOnFailure } = c.acceptanceTests;
  if (!enabled && rollbackOnFailure) {
    problems.push({
      file: c.file,
      field: "acceptanceTests.rollbackOnFailure",
      value: true,
      message: "rolls back on a failure of acceptance tests that do not run: remove it, or set acceptanceTests.enabled to true",
    });
  }
  if (c.tier !== "production") return problems;
  if (!enabled) {
    problems.push({
      file: c.file,
      field: "acceptanceTests.enabled",
      value: false,
      message: `a production release must pass the application's acceptance tests (${c.acceptanceTests.buildspec} in its repository): remove the field`,
    });
  }
  return problems.concat(
    SCAN_KINDS.filter((kind) => !scanBlocks(c.scans[kind])).map((kind) => ({
      file: c.file,
      field: `scans.${kind}`,
      value: c.scans[kind],
      message: `must block in a production environment: give the lowest severity that stops a release ("${TIER_DEFAULTS.production.scans[kind]}" is the tier's), or remove the field to keep the tier's default`,
    })),
    c.containers.length && !scanBlocks(c.imageScan)
      ? [
          {
            file: c.file,
            field: "scans.image",
            value: c.imageScan,
            message: `must block in a production environment that runs containers (${c.containers.map((w) => w.name).join(", ")}): give the lowest severity of an image finding that stops a release ("${TIER_DEFAULTS.production.imageScan}" is the tier's), or remove the field`,
          },
        ]
      : [],
  );
}

/**
 * Settings, secrets and build settings: names given twice (also in another case, which would be
 * two parameters but one variable to a reader that ignores case), build settings that are not
 * settings, and names the build already uses.
 */
function runtimeProblems(c: EnvironmentConfig, project: ProjectConfig | undefined): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (field: string, value: unknown, message: string) => problems.push({ file: c.file, field, value, message });
  const { settings, secrets, buildSettings } = c.runtime;
  const settingNames = Object.keys(settings);
  for (const name of duplicates(settingNames, (n) => n.toUpperCase())) {
    add(`settings.${name}`, name, "differs from another setting only in case: give each setting its own name");
  }
  for (const name of duplicates(secrets, (n) => n.toUpperCase()))
    add("secrets", name, "is listed twice (names are compared ignoring case)");
  const settingKeys = new Set(settingNames.map((n) => n.toUpperCase()));
  for (const name of secrets.filter((n) => settingKeys.has(n.toUpperCase()))) {
    add("secrets", name, "is also a setting: a name is either a plain setting or a secret; remove it from one of them");
  }
  for (const name of duplicates(buildSettings)) add("buildSettings", name, "is listed twice");
  for (const name of buildSettings) {
    if (secrets.includes(name)) {
      add(
        "buildSettings",
        name,
        "is a secret: secrets never reach the shared build project, whose role every environment's build uses; read it at run time instead",
      );
    } else if (!(name in settings)) {
      add(
        "buildSettings",
        name,
        `is not one of this environment's settings (${settingNames.join(", ") || "none declared"}): declare it under settings`,
      );
    } else if (name.startsWith("CODEBUILD_") || (PIPELINE_BUILD_VARIABLES as readonly string[]).includes(name)) {
      add(
        "buildSettings",
        name,
        `is a variable CodeBuild or the pipeline sets itself (CODEBUILD_*, ${PIPELINE_BUILD_VARIABLES.join(", ")})`,
      );
    }
    const workloads = project ? c.workloads : [];
    for (const w of workloads.filter((w) => name in w.buildVariables)) {
      add(
        "buildSettings",
        name,
        `is also a build variable of workload ${w.name} (environments/_project.ts): give one of them another name`,
      );
    }
  }
  // "Parameter names can't be prefixed with aws or ssm (case-insensitive)" (Systems Manager user
  // guide, "Parameter Store: requirements and constraints for parameter names").
  if (project && (settingNames.length || secrets.length) && /^(aws|ssm)/i.test(project.appName)) {
    add(
      "settings",
      project.appName,
      "needs parameters under /<appName>/, and Parameter Store refuses names that start with aws or ssm: rename appName",
    );
  }
  return problems;
}

/** The deployment style and its settings (docs/blue-green.md, "Blue/green"). */
function deploymentStyleProblems(c: EnvironmentConfig, project: ProjectConfig | undefined): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (field: string, value: unknown, message: string) => problems.push({ file: c.file, field, value, message });
  const { style, blueGreen } = c.deployment;
  if (!blueGreen) return problems;
  if (style !== "blue-green") {
    add(
      "deployment.blueGreen",
      blueGreen,
      `applies to blue-green deployments only, and this environment deploys ${style}: set deployment.style to "blue-green" or remove deployment.blueGreen`,
    );
    return problems;
  }
  if (blueGreen.traffic === "all-at-once" && blueGreen.stepPercent !== 100) {
    add(
      "deployment.blueGreen.stepPercent",
      blueGreen.stepPercent,
      'applies to linear traffic only: all-at-once moves 100 % in one step; remove it or set traffic to "linear"',
    );
  }
  const minutes = shiftMinutes(blueGreen);
  if (minutes > MAX_SHIFT_MINUTES) {
    add(
      "deployment.blueGreen",
      blueGreen,
      `takes ${minutes} minutes from the first step to the release, more than ${MAX_SHIFT_MINUTES} (the traffic step runs in one CodeBuild build, limited to 8 hours): use fewer or shorter steps, or a shorter releaseAfterMinutes`,
    );
  }
  // A working-hours schedule sets the bounds of a group by name; in blue/green the serving group
  // changes with every deployment, and the idle one must stay empty.
  if (c.schedule) {
    add(
      "schedule",
      c.schedule,
      "cannot apply to a blue-green environment, whose serving fleet changes with each deployment: remove schedule (or set it to false), or deploy in-place",
    );
  }
  if (project) {
    const prefix = environmentPrefix(project.appName, c.name);
    if (prefix.length + SLOT_SUFFIX_LENGTH > MAX_ENVIRONMENT_PREFIX_LENGTH) {
      add(
        "(file name)",
        c.name,
        `"${prefix}-green" is longer than ${MAX_ENVIRONMENT_PREFIX_LENGTH} characters, the limit of target group names, and blue/green names a fleet after each slot: shorten the environment name or appName, or deploy in-place`,
      );
    }
  }
  return problems;
}

/** Rules between fields of one environment (and with the project), after tier defaults apply. */
export function environmentProblems(c: EnvironmentConfig, projectConfig: ProjectConfig | undefined): ConfigProblem[] {
  // The environment's ARNs and names are of its own account (the tooling account unless it names another).
  const project = projectConfig && c.accountId ? { ...projectConfig, accountId: c.accountId } : projectConfig;
  const problems: ConfigProblem[] = [];
  const add = (field: string, value: unknown, message: string) => problems.push({ file: c.file, field, value, message });
  if (project) problems.push(...siteProblems(c, project));
  problems.push(...runtimeProblems(c, project));
  problems.push(...firewallProblems(c, project));
  problems.push(...scanProblems(c));
  const { minCapacity, desiredCapacity, maxCapacity } = c.compute;

  for (const p of capacityProblems(minCapacity, desiredCapacity, maxCapacity, "compute.")) add(p.field, p.value, p.message);
  const { branch, triggerBranches } = c.pipeline;
  if (TIER_DEFAULTS[c.tier].ownBranchOnly && (triggerBranches.length !== 1 || triggerBranches[0] !== branch)) {
    add(
      "pipeline.triggerBranches",
      triggerBranches,
      `must be [${JSON.stringify(branch)}] in a ${c.tier} environment: only a commit promoted to its own branch reaches it (hotfix branches deploy to a hotfix environment first; docs/environments.md, "Hotfix")`,
    );
  }
  if (c.certificateArn && c.acceptanceTests.enabled && !c.hostName) {
    add(
      "hostName",
      undefined,
      "is needed with certificateArn: the acceptance tests reach the service over HTTPS by the name its certificate covers (no certificate names the load balancer's own DNS name). Give that name, with a DNS alias record to the load balancer",
    );
  }
  const { bakeMinutes } = c.pipeline;
  if (bakeMinutes > 0 && bakeMinutes < BAKE_LIMITS.min) {
    add(
      "pipeline.bakeMinutes",
      bakeMinutes,
      `must be 0 (no bake) or at least ${BAKE_LIMITS.min}: the alarms it watches judge 5-minute periods, so a shorter bake ends before any alarm can fire`,
    );
  }
  if (c.tier === "production" && bakeMinutes === 0) {
    add(
      "pipeline.bakeMinutes",
      0,
      `a production release must bake: give at least ${BAKE_LIMITS.min} minutes (the tier's default is ${TIER_DEFAULTS.production.bakeMinutes})`,
    );
  }
  if (c.tier === "production" && !c.pipeline.requireApproval) {
    add("pipeline.requireApproval", false, "a production environment must require a manual approval before deploy");
  }
  // CodeDeploy runs one deployment per deployment group at a time (CodeDeploy quotas, not
  // adjustable): overlapping PARALLEL executions fail at Deploy, and cannot roll back a stage.
  if (c.pipeline.executionMode === "PARALLEL") {
    add(
      "pipeline.executionMode",
      "PARALLEL",
      "CodeDeploy allows one deployment per deployment group at a time, so PARALLEL executions fail at Deploy; use QUEUED or SUPERSEDED",
    );
  }
  // HalfAtATime keeps half the instances (rounded up) healthy; with one instance no deployment
  // can start (CodeDeploy user guide, "Instance health").
  if (c.deployment.config === "CodeDeployDefault.HalfAtATime" && minCapacity < 2) {
    add(
      "deployment.config",
      c.deployment.config,
      `needs at least 2 instances, but compute.minCapacity is ${minCapacity}: use CodeDeployDefault.OneAtATime or minCapacity >= 2`,
    );
  }
  problems.push(...capacityPlanProblems(c), ...deploymentStyleProblems(c, project));
  if (c.alarms.unhealthyHosts > maxCapacity) {
    add(
      "alarms.unhealthyHosts",
      c.alarms.unhealthyHosts,
      `can never be reached with at most ${maxCapacity} instances (compute.maxCapacity), so a deployment would never stop on unhealthy hosts`,
    );
  }

  for (const email of duplicates(c.notificationEmails, (e) => e.toLowerCase())) add("notificationEmails", email, "is listed twice");

  const { publicSubnetIds, privateSubnetIds } = c.network;
  for (const id of duplicates(publicSubnetIds))
    add("network.publicSubnetIds", id, "is listed twice: an ALB needs two distinct subnets in different Availability Zones");
  for (const id of duplicates(privateSubnetIds)) add("network.privateSubnetIds", id, "is listed twice");
  for (const id of publicSubnetIds.filter((s) => privateSubnetIds.includes(s))) {
    add(
      "network.privateSubnetIds",
      id,
      "is also a public (ALB) subnet: instances without public IPs need private subnets with a route to AWS (NAT or VPC endpoints)",
    );
  }

  for (const cidr of c.allowedIngressCidrs) {
    const v4 = ipv4(cidr);
    if (!v4) add("allowedIngressCidrs", cidr, "is an IPv6 block, but the load balancer is IPv4 only: it would open nothing");
    else if (v4.hostBitsSet) add("allowedIngressCidrs", cidr, `is not a network address (AWS refuses it); did you mean ${v4.network}?`);
  }
  for (const cidr of duplicates(c.allowedIngressCidrs, (v) => ipv4(v)?.network ?? v.toLowerCase())) {
    add("allowedIngressCidrs", cidr, "repeats a block already listed (EC2 refuses duplicate rules)");
  }
  // Per CIDR: HTTP, HTTPS with a certificate, and blue/green's test listener.
  const rules = c.allowedIngressCidrs.length * ((c.certificateArn ? 2 : 1) + (c.deployment.style === "blue-green" ? 1 : 0));
  if (rules > MAX_INGRESS_RULES) {
    add(
      "allowedIngressCidrs",
      c.allowedIngressCidrs.length,
      `opens ${rules} rules on the ALB's security group, more than the default quota of ${MAX_INGRESS_RULES}`,
    );
  }

  const tagKeys = new Set([...RESERVED_TAG_KEYS, ...Object.keys(project?.tags ?? {}), ...Object.keys(c.tags)].map((k) => k.toLowerCase()));
  if (tagKeys.size > MAX_TAGS_PER_RESOURCE) {
    add(
      "tags",
      Object.keys(c.tags).length,
      `with the project's tags and the ${RESERVED_TAG_KEYS.length} the stacks set, resources would carry ${tagKeys.size} tags; AWS allows ${MAX_TAGS_PER_RESOURCE}`,
    );
  }
  for (const key of Object.keys(c.tags)) {
    const clash = Object.keys(project?.tags ?? {}).find((p) => p !== key && p.toLowerCase() === key.toLowerCase());
    if (clash)
      add(`tags.${key}`, key, `differs from the project's tag "${clash}" only in case; IAM refuses tag keys that differ only in case`);
  }

  if (project && c.certificateArn) {
    const wrong = elsewhere(c.certificateArn, project, "an ALB can use only an ACM certificate of its own region and account");
    if (wrong) add("certificateArn", c.certificateArn, wrong);
  }
  return problems;
}

/** Scaling, working hours and Spot: each within what AWS accepts, and none working against another. */
function capacityPlanProblems(c: EnvironmentConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (field: string, value: unknown, message: string) => problems.push({ file: c.file, field, value, message });
  const { minCapacity, maxCapacity, scaling, spot, instanceType } = c.compute;
  const policy = TIER_DEFAULTS[c.tier];
  if (maxCapacity <= minCapacity) {
    add(
      "compute.maxCapacity",
      maxCapacity,
      `must be greater than compute.minCapacity (${minCapacity}): target tracking needs room to add instances under load`,
    );
  }
  if (scaling.metric === "cpu" && (scaling.target < 10 || scaling.target > 90)) {
    add(
      "compute.scaling.target",
      scaling.target,
      "is a CPU utilisation in percent: use 10-90 (near 100 there is no headroom left to react)",
    );
  }
  if (scaling.metric === "requests" && (!Number.isInteger(scaling.target) || scaling.target > 100_000)) {
    add("compute.scaling.target", scaling.target, "is requests per instance per minute: a whole number up to 100000");
  }
  if (c.schedule) {
    const { wake, sleep } = c.schedule;
    if (!policy.mayScheduleToZero) {
      add("schedule", c.schedule, `a ${c.tier} environment is never scheduled to zero: remove schedule (or set it to false)`);
    }
    // Deployments are allowed from an hour after waking to an hour before sleeping (the pipeline's
    // deployment window): the fleet has launched and the window closes before the sleep action.
    if (sleep - wake < 3) {
      add(
        "schedule.sleep",
        sleep,
        `must be at least 3 hours after wake (${wake}): deployments run from an hour after waking to an hour before sleeping`,
      );
    }
  }
  if (spot) {
    const architecture = architectureOf(instanceType);
    for (const t of spot.instanceTypes.filter((t) => isKnownInstanceType(t) && architectureOf(t) !== architecture)) {
      add(
        "compute.spot.instanceTypes",
        t,
        `is ${architectureOf(t)}, but ${instanceType} is ${architecture}: the launch template's AMI fits one architecture`,
      );
    }
    if (spot.instanceTypes.length < 2) {
      add(
        "compute.spot.instanceTypes",
        spot.instanceTypes,
        `needs at least two instance types (${instanceType} has no same-size sibling): Spot capacity from one pool is often unavailable; list them, or set compute.spot to false`,
      );
    }
    if (policy.minimumOnDemand && spot.onDemandBase < minCapacity) {
      add(
        "compute.spot.onDemandBase",
        spot.onDemandBase,
        `must be at least compute.minCapacity (${minCapacity}) in ${c.tier}: its minimum runs on demand, and only capacity above it may be interrupted`,
      );
    }
    if (spot.onDemandBase > maxCapacity) {
      add("compute.spot.onDemandBase", spot.onDemandBase, `exceeds compute.maxCapacity (${maxCapacity})`);
    }
  }
  return problems;
}

/** An environment's static sites against the project's declaration and CloudFront's rules. */
function siteProblems(c: EnvironmentConfig, project: ProjectConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (field: string, value: unknown, message: string) => problems.push({ file: c.file, field, value, message });
  const service = project.service?.name;
  const declared = [...(service ? [service] : []), ...Object.keys(project.containers), ...Object.keys(project.staticSites)];
  const CONTAINER_KEYS = ["enabled", "minTasks", "maxTasks", "cpuTarget"];
  for (const [name, settings] of Object.entries(c.workloadSettings)) {
    if (!declared.includes(name)) {
      add(`workloads.${name}`, name, `is not a workload of the project (environments/_project.ts declares ${declared.join(", ")})`);
    } else if (name === service) {
      if (settings.enabled === false) {
        add(
          `workloads.${name}.enabled`,
          false,
          "cannot be false: the service is the environment's core (its load balancer, fleet and pipeline); every environment runs it",
        );
      }
      for (const key of Object.keys(settings).filter((k) => k !== "enabled")) {
        add(
          `workloads.${name}.${key}`,
          settings[key],
          "applies to static sites and containers only; the service's settings are the environment's own fields (compute, alarms, certificateArn, ...)",
        );
      }
    } else if (name in project.containers) {
      for (const key of Object.keys(settings).filter((k) => !CONTAINER_KEYS.includes(k))) {
        add(`workloads.${name}.${key}`, settings[key], `applies to static sites only; a container takes ${CONTAINER_KEYS.join(", ")}`);
      }
    } else {
      for (const key of Object.keys(settings).filter((k) => k !== "enabled" && CONTAINER_KEYS.includes(k))) {
        add(`workloads.${name}.${key}`, settings[key], "applies to containers only");
      }
    }
  }
  if (!service && c.containers.length === 0) {
    add(
      "workloads",
      Object.keys(project.containers),
      "disables every container, and the project has no service: the environment would run nothing behind its load balancer; keep one enabled",
    );
  }
  for (const container of c.containers) {
    const field = (f: string) => `workloads.${container.name}.${f}`;
    if (container.maxTasks < container.minTasks) {
      add(field("maxTasks"), container.maxTasks, `must be at least minTasks (${container.minTasks})`);
    }
    if (c.tier === "production" && container.minTasks < 2) {
      add(
        field("minTasks"),
        container.minTasks,
        "must be at least 2 in production: one task per Availability Zone, so that a zone's loss is no outage",
      );
    }
  }
  for (const site of c.staticSites) {
    const field = (f: string) => `workloads.${site.name}.${f}`;
    if (site.aliases.length && !site.certificateArn) {
      add(
        field("aliases"),
        site.aliases,
        "needs a certificateArn: CloudFront serves a custom domain only with a certificate that covers it",
      );
    }
    if (site.certificateArn) {
      const parts = arnParts(site.certificateArn);
      if (parts && (parts.region !== EDGE_REGION || parts.account !== project.accountId)) {
        add(
          field("certificateArn"),
          site.certificateArn,
          `must be an ACM certificate in us-east-1 of account ${project.accountId}: CloudFront uses certificates from us-east-1 only`,
        );
      }
    }
    if (site.webAclArn && arnParts(site.webAclArn)?.account !== project.accountId) {
      add(field("webAclArn"), site.webAclArn, `must be a web ACL of account ${project.accountId}`);
    }
    const bucket = siteBucketName(project.appName, c.name, site.name, project.accountId);
    if (!isS3BucketName(bucket)) {
      add(
        `workloads.${site.name}`,
        site.name,
        `makes the site's bucket name "${bucket}" invalid (${bucket.length} characters; S3 allows 63): shorten the site, environment or appName`,
      );
    }
  }
  return problems;
}

/** Rules between the project's own fields. */
export function projectProblems(project: ProjectConfig, file: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (project.connectionArn) {
    const wrong = elsewhere(project.connectionArn, project, "a pipeline's source action uses a connection of its own region and account");
    if (wrong) problems.push({ file, field: "connectionArn", value: project.connectionArn, message: wrong });
  }
  // One pipeline per repository and branch: two workloads on one repository would both build and
  // deploy on every push to deploy/<env>, each with the other's buildspec.
  // Beside the service (the load balancer's default route) or another container, a container is
  // reached by its own paths; alone it takes them all (resolveProject).
  for (const [name, container] of Object.entries(project.containers)) {
    const memories = FARGATE_SIZES[container.cpu] ?? [];
    if (!memories.includes(container.memory)) {
      problems.push({
        file,
        field: `workloads.${name}.memory`,
        value: container.memory,
        message: `is not a size Fargate runs with ${container.cpu} CPU units: give one of ${memories.join(", ")} (MiB)`,
      });
    }
    if (container.paths.length === 0) {
      problems.push({
        file,
        field: `workloads.${name}.paths`,
        value: undefined,
        message: `is required: the container shares the load balancer with ${[project.service?.name, ...Object.keys(project.containers).filter((n) => n !== name)].filter(Boolean).join(", ")}; give the paths it serves, e.g. ["/${name}/*"]`,
      });
    }
  }
  const byRepository = new Map<string, string>(project.service ? [[project.service.repository.toLowerCase(), project.service.name]] : []);
  const others = [...Object.entries(project.containers), ...Object.entries(project.staticSites)];
  for (const [site, { repository }] of others) {
    const other = byRepository.get(repository.toLowerCase());
    if (other) {
      problems.push({
        file,
        field: `workloads.${site}.repository`,
        value: repository,
        message: `is also the repository of workload "${other}": both pipelines would run on every push to its deploy/<env> branches; give each workload its own repository`,
      });
    } else byRepository.set(repository.toLowerCase(), site);
  }
  for (const id of Object.keys(project.accounts.environments)) {
    if (id === project.accountId) {
      problems.push({
        file,
        field: `accounts.environments.${id}`,
        value: id,
        message: "is the tooling account (accountId): environments run there without being declared; remove it from accounts.environments",
      });
    }
  }
  const tooling = (field: "deployers" | "planners") => (role: string, i: number) => {
    const account = arnParts(role)?.account;
    if (account !== project.accountId) {
      problems.push({
        file,
        field: `accounts.${field}[${i}]`,
        value: role,
        message: `is a role of account ${account}: the environment accounts' roles trust only the tooling account's (${project.accountId}) identities; name a role of ${project.accountId}`,
      });
    }
  };
  project.accounts.deployers.forEach(tooling("deployers"));
  project.accounts.planners.forEach(tooling("planners"));
  if (Object.keys(project.accounts.environments).length && !project.accounts.deployers.length && !project.ci) {
    problems.push({
      file,
      field: "accounts.deployers",
      value: [],
      message:
        "must name the tooling account's role(s) that deploy into the environments' accounts, or set ci: { repository } for CI's own roles (docs/accounts.md)",
    });
  }
  const provider = project.ci?.oidcProviderArn;
  if (provider && arnParts(provider)?.account !== project.accountId) {
    problems.push({
      file,
      field: "ci.oidcProviderArn",
      value: provider,
      message: `is a provider of account ${arnParts(provider)?.account}: the CI roles live in the tooling account (${project.accountId}) and trust its own provider; name that one, or remove the field to create it`,
    });
  }
  const buildBuckets = {
    "artifact bucket": artifactBucketName(project.appName, project.accountId, project.region),
    "access-log bucket": accessLogBucketName(project.appName, project.accountId, project.region),
  };
  for (const [what, name] of Object.entries(buildBuckets)) {
    if (project.stateBackend.bucket === name) {
      problems.push({
        file,
        field: "stateBackend.bucket",
        value: project.stateBackend.bucket,
        message: `is the name the build stack gives the ${what}; state needs a bucket of its own`,
      });
    }
  }
  return problems;
}

/**
 * The ci stack's roles are named after the GitHub environments (ciRoleName): each name must fit
 * IAM's 64 characters, and two GitHub environments must not make one name.
 */
function ciRoleProblems(project: ProjectConfig, envs: readonly EnvironmentConfig[], projectFile: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  // Each stack's plans run in <githubEnvironment>-plan, which has no reviewers (npm run stacks).
  for (const env of envs.filter((e) => e.githubEnvironment.toLowerCase().endsWith("-plan"))) {
    problems.push({
      file: env.file,
      field: "githubEnvironment",
      value: env.githubEnvironment,
      message: `ends with "-plan", the suffix of the GitHub environments plans run in (no reviewers, the read-only role): choose a name without it`,
    });
  }
  if (!project.ci) {
    for (const env of envs.filter((e) => e.people.operators.length || e.people.readers.length)) {
      problems.push({
        file: env.file,
        field: "people",
        value: env.people,
        message: `needs the ci stack, which makes the people roles: set ci: { repository: "<owner>/<repo>" } in ${projectFile} (docs/accounts.md, "People")`,
      });
    }
    return problems;
  }
  const byRole = new Map<string, string>([[ciRoleName(project.appName, BUILD_STACK, "apply"), BUILD_STACK]]);
  for (const env of envs) {
    const role = ciRoleName(project.appName, env.githubEnvironment, "apply");
    const other = byRole.get(role);
    if (role.length > 64) {
      problems.push({
        file: env.file,
        field: "githubEnvironment",
        value: env.githubEnvironment,
        message: `makes the CI role name ${role} (${role.length} characters; IAM allows 64): use a GitHub environment name of at most ${env.githubEnvironment.length - (role.length - 64)} characters`,
      });
    } else if (other !== undefined && other !== env.githubEnvironment) {
      problems.push({
        file: env.file,
        field: "githubEnvironment",
        value: env.githubEnvironment,
        message: `makes the same CI role name (${role}) as GitHub environment "${other}" (${projectFile}: ci): they differ only in case or spaces; use one name for both, or two that differ otherwise`,
      });
    } else byRole.set(role, env.githubEnvironment);
  }
  return problems;
}

/** Rules across environments: each owns its branch, its artifact prefix and its names. */
/**
 * Build once, promote (docs/pipelines.md): each environment promotes from others that exist and
 * run its workloads, without a cycle (a commit could never enter), and each workload it promotes
 * builds with the same inputs there (else the artifact that passed is not this environment's): a
 * site that bakes differing settings is listed in pipeline.rebuild.
 */
function promotionProblems(envs: readonly EnvironmentConfig[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const byName = new Map(envs.filter((e) => !e.preview).map((e) => [e.name, e]));
  const reaches = (from: string, target: string, seen = new Set<string>()): boolean =>
    from === target ||
    (!seen.has(from) && (seen.add(from), (byName.get(from)?.pipeline.promoteFrom ?? []).some((n) => reaches(n, target, seen))));
  for (const env of envs) {
    const { promoteFrom, rebuild } = env.pipeline;
    const add = (field: string, value: unknown, message: string) => problems.push({ file: env.file, field, value, message });
    if (!promoteFrom.length) {
      if (rebuild.length)
        add(
          "pipeline.rebuild",
          rebuild,
          "only applies with pipeline.promoteFrom (an environment that does not promote builds every workload): remove it",
        );
      continue;
    }
    if (env.preview) {
      add(
        "pipeline.promoteFrom",
        promoteFrom,
        "a preview builds its own branch and promotes nothing: remove it from environments/_previews.ts",
      );
      continue;
    }
    const sources: EnvironmentConfig[] = [];
    for (const name of promoteFrom) {
      const source = byName.get(name);
      if (name === env.name)
        add("pipeline.promoteFrom", name, "names the environment itself: name the environment a release passes before this one");
      else if (!source)
        add("pipeline.promoteFrom", name, `is not an environment (previews aside): the environments are ${[...byName.keys()].join(", ")}`);
      else if (reaches(name, env.name))
        add(
          "pipeline.promoteFrom",
          name,
          `promotes from ${env.name} in turn (a cycle): no commit could enter either; let the earlier one build`,
        );
      else sources.push(source);
    }
    for (const name of rebuild.filter((n) => !env.workloads.some((w) => w.name === n)))
      add("pipeline.rebuild", name, `is not a workload of ${env.name}: its workloads are ${env.workloads.map((w) => w.name).join(", ")}`);
    // A container's image is tagged by commit, and tags are immutable: a build again would find the
    // image the first build pushed, so "rebuilding" would only pretend to.
    for (const name of rebuild.filter((n) => env.containers.some((c) => c.name === n)))
      add(
        "pipeline.rebuild",
        name,
        "is a container: its image is built once per commit (the repository's tags are immutable) and reads its settings at run time; promote it instead",
      );
    for (const workload of env.workloads.filter((w) => !rebuild.includes(w.name))) {
      const inputs = workloadBuildInputs(env, workload);
      for (const source of sources) {
        const there = source.workloads.find((w) => w.name === workload.name);
        if (!there) {
          add(
            "pipeline.promoteFrom",
            source.name,
            `does not run ${workload.name}, so no release of it passes there: list ${workload.name} in pipeline.rebuild, or promote from an environment that runs it`,
          );
          continue;
        }
        const differing = differingInputs(inputs, workloadBuildInputs(source, there));
        if (differing.length)
          add(
            "pipeline.promoteFrom",
            source.name,
            `${workload.name}'s build takes other inputs in ${source.name} (${differing.join(", ")}): its artifact there is not ${env.name}'s. ` +
              `List ${workload.name} in pipeline.rebuild (it builds again here, from the commit that passed), or give both environments the same values`,
          );
      }
    }
  }
  return problems;
}

export function crossEnvironmentProblems(project: ProjectConfig, envs: readonly EnvironmentConfig[], projectFile: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const branches = new Map<string, string>();
  const prefixes = new Map<string, string>();
  const taken = buildNames(project.appName);
  // Every pipeline (each environment's service and sites) starts at once on creation, and several
  // on a promotion: a cap below their number turns builds into errors (see
  // SharedBuildProjectProps.concurrentBuildLimit).
  const limit = project.build.concurrentBuildLimit;
  const pipelineCount = envs.reduce((n, e) => n + 1 + e.staticSites.length, 0);
  if (limit !== undefined && limit < pipelineCount) {
    problems.push({
      file: projectFile,
      field: "build.concurrentBuildLimit",
      value: limit,
      message: `is below the ${pipelineCount} pipelines that build on the shared project: CodeBuild fails builds beyond the cap instead of queueing them; remove it (builds queue) or set at least ${pipelineCount}`,
    });
  }
  problems.push(...ciRoleProblems(project, envs, projectFile));
  problems.push(...promotionProblems(envs));
  const declared = Object.keys(project.accounts.environments);
  for (const env of envs) {
    if (env.accountId !== project.accountId && !declared.includes(env.accountId)) {
      problems.push({
        file: env.file,
        field: "accountId",
        value: env.accountId,
        message: `is not an account the project declares: add it to environments/_project.ts as accounts: { environments: { "${env.accountId}": {} } } and bootstrap it (docs/accounts.md), or remove accountId to run in the tooling account ${project.accountId}`,
      });
    }
  }
  // The artifact grants of an environment in its own account admit roles named <appName>-<env>-*
  // (BuildStack.grantEnvironmentAccounts): another environment of that account named <env>-<more>
  // would fall under them.
  for (const env of envs) {
    const under = envs.find(
      (o) => o !== env && o.accountId === env.accountId && env.accountId !== project.accountId && env.name.startsWith(`${o.name}-`),
    );
    if (under) {
      problems.push({
        file: env.file,
        field: "(name)",
        value: env.name,
        message: `starts with "${under.name}-", the name of another environment of account ${env.accountId}: its roles would fall under ${under.name}'s artifact grants (roles ${project.appName}-${under.name}-*); rename one, or run it in another account`,
      });
    }
  }
  for (const id of declared) {
    if (id !== project.accountId && !envs.some((e) => e.accountId === id)) {
      problems.push({
        file: projectFile,
        field: `accounts.environments.${id}`,
        value: id,
        message: "is an account no environment runs in: name it in an environment's accountId, or remove it",
      });
    }
  }
  // CodePipeline refuses an action configuration value over 1000 characters (API reference,
  // ActionDeclaration "configuration"): the build's variables are one such value.
  for (const env of envs) {
    const workloads = env.workloads.map((w) => ({
      name: w.name,
      field: `workloads.${w.name}.buildVariables`,
      variables: w.buildVariables,
      site: w.kind === "static-site",
    }));
    for (const w of workloads) {
      // The environment's build settings go to the static sites' builds (workloadBuildInputs).
      const settings = w.site ? buildSettingValues(env.runtime) : {};
      const length = buildVariablesJson(env.name, w.name, w.variables, settings).length;
      if (length > MAX_ACTION_CONFIGURATION_VALUE) {
        // The environment's build settings are to blame when the workload's own variables fit alone.
        const own = buildVariablesJson(env.name, w.name, w.variables).length <= MAX_ACTION_CONFIGURATION_VALUE;
        problems.push({
          file: own ? env.file : projectFile,
          field: own ? "buildSettings" : w.field,
          value: own ? env.runtime.buildSettings : Object.keys(w.variables),
          message: `make the build's variables of ${w.name} ${length} characters long in environment ${env.name}; CodePipeline accepts at most ${MAX_ACTION_CONFIGURATION_VALUE}: pass fewer or shorter values (or read them in the buildspec)`,
        });
      }
    }
  }
  // A name can be an alternate domain name of one distribution only (CloudFront developer guide,
  // "Use custom URLs by adding alternate domain names": CNAMEAlreadyExists). The schema keeps them lower case.
  const aliasOwners = new Map<string, string>();
  for (const env of envs) {
    for (const site of env.staticSites) {
      for (const alias of site.aliases) {
        const owner = aliasOwners.get(alias);
        if (owner) {
          problems.push({
            file: env.file,
            field: `workloads.${site.name}.aliases`,
            value: alias,
            message: `is already an alias of ${owner}: CloudFront gives a domain name to one distribution only (CNAMEAlreadyExists); give each site in each environment its own name`,
          });
        } else {
          aliasOwners.set(alias, `site ${site.name} in environment ${env.name}`);
        }
      }
    }
  }
  // A push starts every pipeline whose trigger matches it: one environment's patterns must not
  // take another's branch (a push to deploy/prod would also deploy elsewhere, or the reverse).
  for (const env of envs) {
    // Its own branch, taken twice, is reported below.
    for (const other of envs.filter((o) => o !== env && patternTakes(env, o.pipeline.branch))) {
      problems.push({
        file: env.file,
        field: "pipeline.triggerBranches",
        value: env.pipeline.triggerBranches,
        message: `takes environment "${other.name}"'s branch ${other.pipeline.branch}: a push there would start both pipelines; narrow the pattern`,
      });
    }
  }
  for (const env of envs) {
    const owner = branches.get(env.pipeline.branch);
    if (owner) {
      problems.push({
        file: env.file,
        field: "pipeline.branch",
        value: env.pipeline.branch,
        message: `is already the branch of environment "${owner}": each environment needs its own branch`,
      });
    } else {
      branches.set(env.pipeline.branch, env.name);
    }
    // Every workload's pipeline, the service's and each site's, owns its artifact prefix: the
    // roles that read artifacts are limited to their pipeline's.
    const pipelines: [string, string, string][] = [
      [pipelineName(project.appName, env.name), "(file name)", env.name],
      ...env.staticSites.map((s): [string, string, string] => [
        sitePipelineName(project.appName, env.name, s.name),
        `workloads.${s.name}`,
        s.name,
      ]),
    ];
    for (const [pipeline, field, value] of pipelines) {
      const prefix = artifactPrefix(pipeline);
      const prefixOwner = prefixes.get(prefix);
      if (prefixOwner) {
        problems.push({
          file: env.file,
          field,
          value,
          message: `gives pipeline ${pipeline} the artifact prefix "${prefix}" of pipeline ${prefixOwner} (CodePipeline keeps only the first 20 characters of a pipeline name): make the first characters of the names differ`,
        });
      } else {
        prefixes.set(prefix, pipeline);
      }
    }
    // Interface endpoints with private DNS answer for the whole VPC, and a route table takes one S3
    // gateway route: endpoints made for one environment would capture another's traffic in the
    // same VPC (their security group admits only their own instances), or fail to create.
    if (env.network.vpcEndpoints) {
      const neighbour = envs.find((o) => o !== env && o.network.vpcId === env.network.vpcId);
      if (neighbour) {
        problems.push({
          file: env.file,
          field: "network.vpcEndpoints",
          value: env.network.vpcId,
          message: `creates VPC endpoints with private DNS in a VPC that environment "${neighbour.name}" also uses; they would serve (and refuse) its instances too: give the environment its own VPC, or provide the endpoints outside the stacks`,
        });
      }
    }
    const names = environmentNames(project.appName, env.name);
    for (const space of Object.keys(names) as NameSpace[]) {
      for (const name of names[space].filter((n) => taken[space].includes(n))) {
        problems.push({
          file: env.file,
          field: "(file name)",
          value: env.name,
          message: `is reserved: the ${space} "${name}" belongs to the build stack; rename the environment`,
        });
      }
    }
  }
  return problems;
}
