import type { DashboardLevel, DeploymentConfigName, DeploymentStyle, ExecutionMode, PriceClass, Tier } from "./schema";

import type { Schedule } from "../lib/pipeline-stages";
import type { BlueGreenSettings } from "../lib/traffic-plan";
import type { FirewallSettings } from "../lib/firewall";
import type { AcceptanceTestSettings, ScanLevel, ScanSettings } from "../lib/scans";

export type { Schedule, BlueGreenSettings };

/**
 * The defaults of each tier: the one place where environments differ by policy. An environment file
 * names its tier and overrides only what differs. Secure settings are on in every tier; production
 * adds approval, deletion protection and longer retention.
 */
export interface TierDefaults {
  readonly allowedIngressCidrs: readonly string[];
  readonly instanceType: string;
  readonly minCapacity: number;
  readonly desiredCapacity: number;
  readonly maxCapacity: number;
  readonly requireApproval: boolean;
  readonly executionMode: ExecutionMode;
  readonly notifyOnSuccess: boolean;
  /** Minutes a release is held after deploy, its alarms watched (docs/pipelines.md, "Bake"); 0: none. */
  readonly bakeMinutes: number;
  readonly deploymentConfig: DeploymentConfigName;
  /** In place, or blue/green (docs/blue-green.md, "Blue/green"). */
  readonly deploymentStyle: DeploymentStyle;
  /** How a blue/green deployment moves traffic and when it releases the old fleet. */
  readonly blueGreen: BlueGreenSettings;
  readonly http5xxCount: number;
  readonly unhealthyHosts: number;
  readonly cpuPercent: number;
  /** The 99th percentile of the fleet's target response time, in seconds, that raises its latency alarm. */
  readonly latencyP99Seconds: number;
  readonly logRetentionDays: number;
  readonly deletionProtection: boolean;
  /** Which CloudFront edge locations serve the static sites (modules/constructs/static-site.ts). */
  readonly sitePriceClass: PriceClass;
  /** How much the environment's dashboard shows (modules/constructs/environment-dashboard.ts). */
  readonly dashboard: DashboardLevel;
  /** A static site's share of 5xx responses, in percent over 5 minutes, that raises its alarm. */
  readonly site5xxPercent: number;
  /** Target tracking on CPU: the group's average utilisation it keeps, in percent. */
  readonly cpuTarget: number;
  /** Target tracking on requests: ALB requests per instance per minute it keeps. */
  readonly requestsTarget: number;
  /** Seconds before a new instance's metrics count: bootstrap, agent, first deployment. */
  readonly warmupSeconds: number;
  /** Working hours, or none: the service runs all the time. */
  readonly schedule?: Schedule;
  /** Whether instances above the on-demand base run on Spot. */
  readonly spot: boolean;
  /** Whether an environment may have working hours (and sleep outside them). */
  readonly mayScheduleToZero: boolean;
  /** Whether, on Spot, at least the minimum capacity must stay on demand. */
  readonly minimumOnDemand: boolean;
  /**
   * Days a destroyed secret stays recoverable (`aws secretsmanager restore-secret`); its name is
   * taken until then (Secrets Manager, DeleteSecret "RecoveryWindowInDays": 7-30), so that the
   * environment cannot be created again before. 0 deletes at once (ForceDeleteWithoutRecovery).
   */
  readonly secretRecoveryDays: number;
  /** Whether the pipeline starts only on pushes to the environment's own branch (no patterns). */
  readonly ownBranchOnly: boolean;
  /** The web firewall before the load balancer and the static sites (docs/security.md, "Web firewall"). */
  readonly firewall: FirewallSettings;
  /** What each scan of the source does with its findings (docs/pipelines.md, "Scans"). */
  readonly scans: ScanSettings;
  /** The application's acceptance tests after each deploy (docs/pipelines.md, "Acceptance tests"). */
  readonly acceptanceTests: AcceptanceTestSettings;
  /** The severity of an image finding that stops a container's release (docs/workloads.md, "Containers"). */
  readonly imageScan: ScanLevel;
  /** A container's tasks: at least, at most, and whether the cluster runs Container Insights. */
  readonly containers: { readonly minTasks: number; readonly maxTasks: number; readonly insights: boolean };
}

const common = {
  allowedIngressCidrs: ["0.0.0.0/0"],
  deploymentConfig: "CodeDeployDefault.OneAtATime",
  deploymentStyle: "in-place",
  // A quarter of the traffic every 5 minutes (one alarm period), then an hour with the old fleet
  // ready: a release is judged on real traffic before the way back is given up.
  blueGreen: { traffic: "linear", stepPercent: 25, stepMinutes: 5, releaseAfterMinutes: 60 },
  unhealthyHosts: 1,
  requestsTarget: 1000,
  // Bootstrap (packages, the CodeDeploy agent) and the first deployment take 3-5 minutes.
  warmupSeconds: 300,
} as const;

/**
 * No web ACL outside production (each costs money every month: docs/security.md, "Web firewall");
 * an environment opts in with firewall.mode. The limits apply where it is on.
 */
const firewallOff: FirewallSettings = { mode: "off", rateLimit: 2000, blockedRequestsAlarm: 100 };

export const TIER_DEFAULTS: Readonly<Record<Tier, TierDefaults>> = {
  development: {
    ...common,
    instanceType: "t3.micro",
    minCapacity: 1,
    desiredCapacity: 1,
    maxCapacity: 2,
    requireApproval: false,
    // Nobody waits on dev: a newer commit replaces a waiting one.
    executionMode: "SUPERSEDED",
    notifyOnSuccess: false,
    bakeMinutes: 0,
    http5xxCount: 20,
    cpuPercent: 90,
    latencyP99Seconds: 3,
    logRetentionDays: 30,
    deletionProtection: false,
    // North America and Europe only: cheapest, and enough for people testing.
    sitePriceClass: "PriceClass_100",
    dashboard: "basic",
    site5xxPercent: 10,
    cpuTarget: 70,
    // Nobody uses dev at night: it sleeps outside working hours, and runs on Spot.
    // Etc/UTC: the canonical IANA name, as the Auto Scaling API asks for.
    schedule: { timeZone: "Etc/UTC", days: "MON-FRI", wake: 7, sleep: 19 },
    spot: true,
    mayScheduleToZero: true,
    minimumOnDemand: false,
    // A development environment (a preview for one) is destroyed and created again: its secrets
    // go at once, or the names stay taken for the window.
    secretRecoveryDays: 0,
    ownBranchOnly: false,
    firewall: firewallOff,
    // Development shows every finding and stops nothing: the same scans block before production.
    scans: { secrets: "warn", dependencies: "warn", code: "warn" },
    // A failing release stays in development for whoever debugs it.
    acceptanceTests: { enabled: true, buildspec: "buildspec-test.yml", rollbackOnFailure: false, inVpc: false },
    imageScan: "warn",
    // Container Insights costs per metric (CloudWatch pricing): the service's own metrics suffice here.
    containers: { minTasks: 1, maxTasks: 2, insights: false },
  },
  preproduction: {
    ...common,
    instanceType: "t3.small",
    minCapacity: 1,
    desiredCapacity: 2,
    maxCapacity: 4,
    requireApproval: true,
    // Gated pipelines queue, so an approval always applies to the commit it was asked for.
    executionMode: "QUEUED",
    notifyOnSuccess: true,
    bakeMinutes: 0,
    http5xxCount: 10,
    cpuPercent: 85,
    latencyP99Seconds: 2,
    logRetentionDays: 90,
    deletionProtection: false,
    // North America and Europe only: cheapest, and enough for people testing.
    sitePriceClass: "PriceClass_100",
    dashboard: "basic",
    site5xxPercent: 5,
    cpuTarget: 60,
    spot: false,
    mayScheduleToZero: true,
    minimumOnDemand: false,
    secretRecoveryDays: 7,
    ownBranchOnly: false,
    firewall: firewallOff,
    // A release that would be refused in production is refused here first, on the worst findings.
    scans: { secrets: "critical", dependencies: "critical", code: "high" },
    acceptanceTests: { enabled: true, buildspec: "buildspec-test.yml", rollbackOnFailure: true, inVpc: false },
    imageScan: "critical",
    containers: { minTasks: 1, maxTasks: 4, insights: false },
  },
  production: {
    ...common,
    // A release serves production only once it is healthy on a fleet of its own, and the previous
    // fleet takes the traffic back at once if an alarm fires (docs/blue-green.md, "Blue/green").
    deploymentStyle: "blue-green",
    instanceType: "t3.small",
    minCapacity: 2,
    desiredCapacity: 2,
    maxCapacity: 6,
    requireApproval: true,
    executionMode: "QUEUED",
    notifyOnSuccess: true,
    // Half an hour of real traffic, watched, before a release counts as done (AWS Deployment
    // Pipeline Reference Architecture: bake time in production).
    bakeMinutes: 30,
    http5xxCount: 5,
    cpuPercent: 80,
    latencyP99Seconds: 1,
    logRetentionDays: 365,
    deletionProtection: true,
    // Every edge location: users everywhere get the nearest one.
    sitePriceClass: "PriceClass_All",
    dashboard: "detailed",
    site5xxPercent: 2,
    // Headroom for a sudden rise while new instances warm up.
    cpuTarget: 50,
    spot: false,
    // Production runs around the clock, and its minimum is never interruptible.
    mayScheduleToZero: false,
    minimumOnDemand: true,
    secretRecoveryDays: 30,
    // Only a commit pushed (promoted) to production's branch reaches its approval.
    ownBranchOnly: true,
    // Production's edges are behind a web firewall (CKV2_AWS_28, ELB.16; CKV_AWS_68, CloudFront.6):
    // 2,000 requests from one address in 5 minutes is far above a person's use of the site.
    firewall: { mode: "block", rateLimit: 2000, blockedRequestsAlarm: 100 },
    // Every scan blocks: any secret, and high or critical vulnerabilities and code findings.
    scans: { secrets: "critical", dependencies: "high", code: "high" },
    acceptanceTests: { enabled: true, buildspec: "buildspec-test.yml", rollbackOnFailure: true, inVpc: false },
    // An image with a high or critical finding never reaches production.
    imageScan: "high",
    // Two tasks in two zones at least; per-task metrics for whoever is on call.
    containers: { minTasks: 2, maxTasks: 6, insights: true },
  },
};
