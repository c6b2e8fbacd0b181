import { z } from "zod";
import { isKnownInstanceType } from "../lib/instance-types";
import { TRAFFIC_SHIFTS } from "../lib/traffic-plan";
import { FIREWALL_MODES, RATE_LIMIT_BOUNDS } from "../lib/firewall";
import { COMMERCIAL_REGIONS, isCommercialRegion, type Region } from "./regions";
import { isGitBranchName, isS3BucketName, looksLikeSecretName, looksLikeSecretValue } from "../lib/validators";

/** Values CloudWatch Logs accepts for `retention_in_days` (0, "never expire", is not allowed here). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const TIERS = ["development", "preproduction", "production"] as const;
export type Tier = (typeof TIERS)[number];

export const EXECUTION_MODES = ["QUEUED", "SUPERSEDED", "PARALLEL"] as const;
export type ExecutionMode = (typeof EXECUTION_MODES)[number];

/** What target tracking follows: the group's average CPU, or the ALB's requests per instance. */
export const SCALING_METRICS = ["cpu", "requests"] as const;
export type ScalingMetric = (typeof SCALING_METRICS)[number];

export const DEPLOYMENT_CONFIGS = ["CodeDeployDefault.OneAtATime", "CodeDeployDefault.HalfAtATime", "CodeDeployDefault.AllAtOnce"] as const;
export type DeploymentConfigName = (typeof DEPLOYMENT_CONFIGS)[number];

/**
 * How a release reaches the service's instances (docs/blue-green.md, "Blue/green"): `in-place` replaces the
 * version on the serving instances, a batch at a time; `blue-green` installs it on the idle one of
 * two fleets and moves the ALB's traffic to that fleet once it is healthy.
 */
export const DEPLOYMENT_STYLES = ["in-place", "blue-green"] as const;
export type DeploymentStyle = (typeof DEPLOYMENT_STYLES)[number];

export { DASHBOARD_LEVELS, type DashboardLevel } from "../lib/dashboard";
import { DASHBOARD_LEVELS } from "../lib/dashboard";
import { SCAN_LEVELS } from "../lib/scans";
import { BAKE_LIMITS } from "../lib/pipeline-stages";
export { TRAFFIC_SHIFTS, type TrafficShift } from "../lib/traffic-plan";

// ---------------------------------------------------------------------------------------------
// Field formats
// ---------------------------------------------------------------------------------------------

const awsId = (prefix: string) =>
  z
    .string()
    .regex(
      new RegExp(`^${prefix}-([0-9a-f]{8}|[0-9a-f]{17})$`),
      `must be a ${prefix} id: "${prefix}-" followed by 8 or 17 lowercase hex digits`,
    );

const cidrV4 = z.cidrv4();
const cidrV6 = z.cidrv6();
const cidr = z
  .string()
  .refine((v) => cidrV4.safeParse(v).success || cidrV6.safeParse(v).success, "must be an IPv4 or IPv6 CIDR block such as 10.0.0.0/16");

const certificateArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/,
    "must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<uuid>)",
  );

/** GitHub: an owner is 1-39 letters, digits and single hyphens, not at either end; a repository
 * name is 1-100 letters, digits and . _ -, not "." or "..", and does not end in ".git". */
const repository = z
  .string()
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?\/[A-Za-z0-9._-]{1,100}$/, 'must be a GitHub repository "owner/name"')
  .refine((v) => !/\/\.{1,2}$/.test(v) && !v.endsWith(".git"), 'must be a GitHub repository "owner/name" (without ".git")');

/** A workload's name: part of its resources' names (the site bucket's among them, 63 characters at most). */
const workloadName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,14}[a-z0-9]$/, "must be 2-16 lowercase letters, digits and hyphens, starting with a letter");

/** CloudFront's price classes (modules/constructs/static-site.ts). */
export const PRICE_CLASSES = ["PriceClass_100", "PriceClass_200", "PriceClass_All"] as const;
export type PriceClass = (typeof PRICE_CLASSES)[number];

/** A custom domain of a site: a DNS name CloudFront accepts as an alternate domain name. */
const domainName = z
  .string()
  .max(253)
  .regex(/^(\*\.)?([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "must be a lowercase DNS name such as admin.example.com");

const connectionArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection\/[0-9a-f-]{36}$/,
    "must be a CodeConnections connection ARN (arn:aws:codestar-connections:<region>:<account>:connection/<uuid>)",
  );

const retentionDays = z
  .number()
  .refine(
    (v) => (LOG_RETENTION_DAYS as readonly number[]).includes(v),
    `must be one of the values CloudWatch Logs accepts: ${LOG_RETENTION_DAYS.join(", ")}`,
  );

const positiveInt = (max: number) => z.number().int("must be a whole number").min(1).max(max);

/**
 * Tags AWS accepts on every service the stacks tag (IAM, ELB and KMS are the strictest): letters,
 * digits, spaces and _ . : / = + - @, no "aws:" prefix in any case (IAM API reference, "Tag").
 * The keys the stacks set themselves are reserved: a second key differing only in case is refused
 * by IAM ("Duplicate tag keys found ... Tag keys are case insensitive").
 */
export const RESERVED_TAG_KEYS = ["Application", "Stack", "ManagedBy", "Environment", "Tier", "Name"] as const;
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const tags = z.record(
  z
    .string()
    .min(1)
    .max(128)
    .regex(TAG_TEXT, "must be a valid tag key: letters, digits, spaces and _ . : / = + - @")
    .refine((k) => !k.toLowerCase().startsWith("aws:"), "must not start with aws: (reserved by AWS, in any case)")
    .refine(
      (k) => !RESERVED_TAG_KEYS.some((r) => r.toLowerCase() === k.toLowerCase()),
      `is set by the stacks themselves (${RESERVED_TAG_KEYS.join(", ")}); choose another key`,
    ),
  z
    .string()
    .max(256)
    .regex(TAG_TEXT, "must be a valid tag value: letters, digits, spaces and _ . : / = + - @")
    .refine((v) => !v.toLowerCase().startsWith("aws:"), "must not start with aws: (reserved by AWS)"),
);

/** Name prefixes AWS refuses: sg- (EC2 CreateSecurityGroup), internal- (ELB CreateLoadBalancer), xn--, sthree-, amzn-s3-demo- (S3 bucket naming rules). */
const RESERVED_NAME_PREFIXES = ["sg-", "internal-", "xn--", "sthree-", "amzn-s3-demo-"];
/** Accounts an Amazon Linux 2023 instance already has: the service user must be its own. */
const SYSTEM_USERS = [
  "root",
  "bin",
  "daemon",
  "adm",
  "lp",
  "sync",
  "shutdown",
  "halt",
  "mail",
  "operator",
  "games",
  "ftp",
  "nobody",
  "ec2-user",
  "ssm-user",
  "cwagent",
  "sshd",
  "chrony",
  "rpc",
  "dbus",
  "tss",
  "apache",
  "nginx",
  "codedeploy",
];

const region = z
  .string()
  .refine(
    isCommercialRegion,
    `must be an AWS commercial region (every ARN is built in the "aws" partition; GovCloud and China are not supported): ${COMMERCIAL_REGIONS.join(", ")}`,
  )
  // The refinement proved it; zod does not narrow the type by itself.
  .transform((v) => v as Region);

/** A git branch name that CodePipeline can trigger on (a subset of git-check-ref-format). */
const branch = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9._/-]+$/, "must contain only letters, digits and . _ / -")
  .refine(isGitBranchName, { message: "is not a valid git branch name (git check-ref-format)" });

const instanceType = z
  .string()
  .refine(isKnownInstanceType, "is not a known instance type (see INSTANCE_FAMILIES in modules/lib/instance-types.ts)");

/** An IANA time zone name, as Auto Scaling's scheduled actions and CodePipeline's rules take it. */
function isTimeZone(value: string): boolean {
  if (!/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(value)) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

const DAY = "(SUN|MON|TUE|WED|THU|FRI|SAT)";
/** The day-of-week field of a cron expression: MON-FRI, or MON,WED,FRI. */
const weekDays = z
  .string()
  .regex(new RegExp(`^${DAY}(-${DAY}|(,${DAY})+)?$`), "must be days of the week as cron writes them: MON-FRI, or MON,WED,FRI");

/** Variables the pipeline sets on every build itself (modules/lib/pipeline-stages.ts). */
export const PIPELINE_BUILD_VARIABLES = ["ENVIRONMENT", "COMMIT_ID", "WORKLOAD"] as const;

/**
 * Plain-text variables a workload's build receives: they are written into the pipeline definition,
 * so a name that looks like a secret's is refused (the rule pack refuses them too).
 */
const buildVariables = z
  .record(
    z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,254}$/, "must be a variable name: letters, digits and _, not starting with a digit")
      .refine((n) => !n.startsWith("CODEBUILD_"), "must not start with CODEBUILD_ (reserved by CodeBuild)")
      .refine(
        (n) => !(PIPELINE_BUILD_VARIABLES as readonly string[]).includes(n),
        `is set by the pipeline itself (${PIPELINE_BUILD_VARIABLES.join(", ")})`,
      )
      .refine(
        (n) => !looksLikeSecretName(n),
        "looks like a secret's name, and build variables are plain text in the pipeline definition: keep secrets in Secrets Manager or Parameter Store",
      ),
    z.string().max(4096),
  )
  .refine((v) => Object.keys(v).length <= 50, "must hold at most 50 variables");

const serviceWorkload = z.strictObject({
  kind: z.literal("service"),
  /** GitHub repository "owner/name" holding the service, its buildspec.yml and appspec.yml. */
  repository,
  /** @default {} */
  buildVariables: buildVariables.optional(),
});

const siteWorkload = z.strictObject({
  kind: z.literal("static-site"),
  /** GitHub repository "owner/name" holding the site and its buildspec.yml. */
  repository,
  /** @default {} */
  buildVariables: buildVariables.optional(),
  /** @default DEFAULT_CSP (modules/constructs/static-site.ts) - the Content-Security-Policy header */
  contentSecurityPolicy: z.string().min(1).max(1783, "must be at most 1783 characters (CloudFront's limit)").optional(),
});

/** Fargate's task sizes: CPU units, and the memory (MiB) each allows (ECS developer guide, "Task size"). */
export const FARGATE_SIZES: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: [1024, 2048, 3072, 4096],
  1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
  2048: Array.from({ length: 13 }, (_, i) => 4096 + i * 1024),
  4096: Array.from({ length: 23 }, (_, i) => 8192 + i * 1024),
};

/** A listener rule's path pattern (ELB user guide, "Path conditions": up to 128 characters, * and ? as wildcards). */
const pathPattern = z
  .string()
  .regex(
    /^\/[A-Za-z0-9_\-.$/~"'@:+*?&]{0,127}$/,
    "must be a path pattern starting with / (letters, digits, _-.$/~\"'@:+&, and * or ? wildcards), 128 characters at most",
  );

const containerWorkload = z.strictObject({
  kind: z.literal("container"),
  /** GitHub repository "owner/name" holding the service and its Dockerfile. */
  repository,
  /** @default {} - passed to the image build as build arguments (--build-arg) */
  buildVariables: buildVariables.optional(),
  /** @default "Dockerfile" - the Dockerfile's path in the repository */
  dockerfile: z
    .string()
    .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, "must be a relative path in the repository")
    .refine((p) => !p.split("/").includes(".."), "must not leave the repository")
    .optional(),
  /** @default application.port - the port the container listens on */
  port: z.number().int().min(1024, "must be 1024 or above: the container runs as a user other than root").max(65535).optional(),
  /** @default application.healthCheckPath */
  healthCheckPath: z.string().startsWith("/").max(1024).optional(),
  /** @default 256 - the task's CPU units (Fargate: 256, 512, 1024, 2048 or 4096) */
  cpu: z
    .number()
    .refine((c) => c in FARGATE_SIZES, "must be 256, 512, 1024, 2048 or 4096 (Fargate's task sizes)")
    .optional(),
  /** @default 512 - the task's memory in MiB, one Fargate allows with its CPU */
  memory: z.number().int().optional(),
  /**
   * The paths the load balancer sends to it (its listener rule's path patterns, at most 5).
   * @default ["/*"] when no other workload shares the load balancer; required beside the service
   */
  paths: z.array(pathPattern).min(1).max(5, "must hold at most 5 patterns (a listener rule's limit of condition values)").optional(),
});

/**
 * The name of a setting or a secret: a name that Parameter Store (letters, digits, _ . -), Secrets
 * Manager (letters, digits, / _ + = . @ -) and a shell variable all accept, so that one name works
 * as the parameter's, the secret's and a build variable's.
 */
const settingName = z
  .string()
  .regex(
    /^[A-Za-z][A-Za-z0-9_]{0,127}$/,
    "must be 1-128 letters, digits and _, starting with a letter (a name Parameter Store, Secrets Manager and the shell all accept)",
  );

/** A plain setting's value: a standard parameter holds 1 to 4096 bytes (KMS developer guide, "How Parameter Store uses AWS KMS"). */
const settingValue = z
  .string()
  .min(1, "must not be empty (Parameter Store refuses an empty value)")
  .refine((v) => Buffer.byteLength(v, "utf8") <= 4096, "must be at most 4096 bytes in UTF-8 (a standard parameter's limit)")
  .refine(
    (v) => !looksLikeSecretValue(v),
    "looks like a credential: settings are plain text in git and in Terraform state; declare it under secrets and set its value in Secrets Manager",
  );

// ---------------------------------------------------------------------------------------------
// environments/<name>.ts
// ---------------------------------------------------------------------------------------------

/** A role people take (of an identity account, or IAM Identity Center's `aws-reserved/sso.amazonaws.com/` ones). */
const peopleRole = z
  .string()
  .regex(
    /^arn:aws:iam::\d{12}:role\/[\w+=,.@\/-]{1,512}$/,
    "must be an IAM role ARN (arn:aws:iam::<account>:role/<name>): not a user or a whole account",
  );

export const EnvironmentInputSchema = z.strictObject({
  /** Which tier's defaults apply (modules/config/tiers.ts). */
  tier: z.enum(TIERS),
  network: z.strictObject({
    vpcId: awsId("vpc"),
    /** Subnets of the ALB: at least two, in different Availability Zones. */
    publicSubnetIds: z.array(awsId("subnet")).min(2, "needs at least two subnets (an ALB spans two Availability Zones)"),
    /**
     * Subnets of the instances: no public IPs are assigned. They need a route to S3, CodeDeploy,
     * Systems Manager and CloudWatch Logs: a NAT gateway, or the endpoints below.
     */
    privateSubnetIds: z.array(awsId("subnet")).min(1, "needs at least one subnet"),
    /**
     * Create the VPC endpoints the instances need (interface endpoints for SSM, CodeDeploy and
     * CloudWatch Logs, an S3 gateway endpoint on these route tables), for private subnets without NAT.
     * @default - none: the private subnets reach AWS through a NAT gateway
     */
    vpcEndpoints: z.strictObject({ privateRouteTableIds: z.array(awsId("rtb")).min(1, "needs at least one route table") }).optional(),
  }),
  /** @default ["0.0.0.0/0"] - the ALB is public; only ports 80/443 are opened. */
  allowedIngressCidrs: z.array(cidr).min(1, "needs at least one CIDR block").optional(),
  /** @default - no certificate: the ALB listens on plain HTTP only. */
  certificateArn: certificateArn.optional(),
  /**
   * The name the service is reached by: covered by certificateArn, its DNS pointing at the load
   * balancer (an alias record of yours). The service's URL and its acceptance tests use it.
   * @default - the load balancer's own DNS name (which no certificate names)
   */
  hostName: domainName.optional(),
  /** @default [] - no email subscribers. */
  notificationEmails: z.array(z.email("must be an email address")).optional(),
  compute: z
    .strictObject({
      instanceType: instanceType.optional(),
      minCapacity: positiveInt(100).optional(),
      desiredCapacity: positiveInt(100).optional(),
      maxCapacity: positiveInt(100).optional(),
      /** Target tracking: instances are added and removed to keep the metric near the target. */
      scaling: z
        .strictObject({
          /** @default "cpu" */
          metric: z.enum(SCALING_METRICS).optional(),
          /** CPU in percent (10-90), or requests per instance per minute. @default - the tier's */
          target: z.number().positive().optional(),
          /** Seconds a new instance needs before its metrics count (bootstrap and first deployment). @default 300 */
          warmupSeconds: z.number().int("must be a whole number").min(0).max(3600).optional(),
        })
        .optional(),
      /**
       * Spot capacity, or false for on-demand only (never allowed below production's minimum).
       * @default - on in development, off elsewhere
       */
      spot: z
        .union([
          z.literal(false),
          z.strictObject({
            /** Types to draw Spot capacity from, all of the instance type's architecture. @default - its same-size siblings */
            instanceTypes: z.array(instanceType).min(2).max(20).optional(),
            /** On-demand instances before any Spot. @default 0 (production: minCapacity) */
            onDemandBase: z.number().int("must be a whole number").min(0).max(100).optional(),
            /** Share of on-demand above the base, in percent. @default 0 */
            onDemandPercentAboveBase: z.number().int("must be a whole number").min(0).max(100).optional(),
          }),
        ])
        .optional(),
    })
    .optional(),
  /**
   * Working hours: the service scales to zero outside them and back at `wake` (never in production).
   * @default - weekdays 07:00-19:00 UTC in development; none elsewhere
   */
  schedule: z
    .union([
      z.literal(false),
      z.strictObject({
        timeZone: z.string().refine(isTimeZone, "must be an IANA time zone such as Europe/Paris or UTC"),
        /** @default "MON-FRI" */
        days: weekDays.optional(),
        /** The hour (0-23) at which the service wakes. */
        wake: z.number().int("must be a whole hour").min(0).max(23),
        /** The hour (1-23) at which it goes to sleep, the same day. */
        sleep: z.number().int("must be a whole hour").min(1).max(23),
      }),
    ])
    .optional(),
  pipeline: z
    .strictObject({
      /** @default "deploy/<name>" */
      branch: branch.optional(),
      /**
       * Branches whose pushes start the pipeline: names or patterns (`*` within a path segment,
       * `**` across segments), at most 8 (CodePipeline's limit per trigger filter). A hotfix
       * environment takes `["hotfix/**"]`; production deploys from its own branch only.
       * @default [branch]
       */
      triggerBranches: z
        .array(
          z
            .string()
            .min(1)
            .max(255)
            .regex(/^[A-Za-z0-9._/*-]+$/, "must be a branch name or pattern: letters, digits, . _ / - and * (** spans folders)"),
        )
        .min(1)
        .max(8, "must hold at most 8 patterns (CodePipeline's limit per trigger filter)")
        .optional(),
      requireApproval: z.boolean().optional(),
      executionMode: z.enum(EXECUTION_MODES).optional(),
      notifyOnSuccess: z.boolean().optional(),
      /**
       * Minutes a deployed release is held, its alarms watched, before its pipeline succeeds; an
       * alarm rolls it back (docs/pipelines.md, "Bake"). 0: no bake; otherwise at least 5 (one
       * alarm period).
       * @default - the tier's: 30 in production, 0 elsewhere
       */
      bakeMinutes: z
        .number()
        .int("must be a whole number")
        .min(0)
        .max(BAKE_LIMITS.max, `must be at most ${BAKE_LIMITS.max} minutes: a bake holds every release queued behind it`)
        .optional(),
      /**
       * Build once, promote (docs/pipelines.md): the environments whose passed releases this one
       * deploys, in the order they are looked for: its pipelines take the stored artifact of the
       * commit that passed one of them, instead of building it again.
       * @default [] - it builds what is pushed to it
       */
      promoteFrom: z
        .array(z.string().regex(/^[a-z][a-z0-9-]*$/, "must be an environment's name"))
        .min(1)
        .max(4, "must name at most 4 environments")
        .optional(),
      /**
       * Workloads that build again in this environment although it promotes: those whose build
       * bakes this environment's own settings in (a static site's buildSettings). Their commit is
       * the one that passed; their artifact is built here.
       * @default []
       */
      rebuild: z.array(workloadName).optional(),
    })
    .optional(),
  deployment: z
    .strictObject({
      /** @default "blue-green" in production, "in-place" in the other tiers */
      style: z.enum(DEPLOYMENT_STYLES).optional(),
      /**
       * How many instances CodeDeploy updates at a time: the serving ones in place, or the idle
       * fleet in blue/green (which serves nobody yet).
       * @default "CodeDeployDefault.OneAtATime" in place, "CodeDeployDefault.AllAtOnce" in blue/green
       */
      config: z.enum(DEPLOYMENT_CONFIGS).optional(),
      /** Blue/green only. */
      blueGreen: z
        .strictObject({
          /** @default "linear" */
          traffic: z.enum(TRAFFIC_SHIFTS).optional(),
          /** Linear: the share of traffic each step moves, in percent. @default 25 */
          stepPercent: z.number().int("must be a whole number").min(5).max(50).optional(),
          /** Linear: minutes between steps, alarms watched. @default 5 */
          stepMinutes: z.number().int("must be a whole number").min(1).max(60).optional(),
          /**
           * Minutes the old fleet stays ready for an instant rollback after all traffic has moved,
           * alarms watched, before it is scaled to zero; at least one alarm period (5 minutes).
           * @default 60
           */
          releaseAfterMinutes: z.number().int("must be a whole number").min(5).max(360).optional(),
        })
        .optional(),
    })
    .optional(),
  alarms: z
    .strictObject({
      /** Target 5xx responses in 5 minutes that raise the alarm. */
      http5xxCount: positiveInt(100000).optional(),
      /** Unhealthy targets that raise the alarm. */
      unhealthyHosts: positiveInt(100).optional(),
      /** Average CPU utilisation of the Auto Scaling group, in percent. */
      cpuPercent: positiveInt(100).optional(),
      /**
       * The 99th percentile of each fleet's target response time over 5 minutes, in seconds, that
       * raises its latency alarm (2 of 3 periods): at most the load balancer's idle timeout, 60 s.
       */
      latencyP99Seconds: z
        .number()
        .min(0.01, "must be at least 0.01 seconds (10 ms)")
        .max(60, "must be at most 60 seconds: the load balancer closes a connection idle for 60 seconds")
        .optional(),
      /** A static site's 5xx responses, in percent of its requests over 5 minutes (CloudFront's 5xxErrorRate). */
      site5xxPercent: positiveInt(100).optional(),
    })
    .optional(),
  logRetentionDays: retentionDays.optional(),
  deletionProtection: z.boolean().optional(),
  /**
   * The environment's CloudWatch dashboard (docs/monitoring.md, "Dashboards"): "basic" shows each
   * workload's traffic, errors, p99 latency, hosts and alarms; "detailed" adds error rates, p50 and
   * p90, the load balancer's own 5xx and each site's cache hit rate (CloudFront's additional metrics).
   * @default - the tier's: detailed in production, basic elsewhere
   */
  dashboard: z.enum(DASHBOARD_LEVELS).optional(),
  /**
   * The application's acceptance tests, run after each deploy against the workload's URL
   * (docs/pipelines.md, "Acceptance tests").
   * @default - the tier's: on everywhere, buildspec-test.yml; a failure rolls back before production and in production
   */
  acceptanceTests: z
    .strictObject({
      enabled: z.boolean().optional(),
      /** The buildspec in the application repository that runs them, relative to its root. */
      buildspec: z
        .string()
        .regex(/^(?!\/)(?!.*\.\.)[A-Za-z0-9._/-]+\.ya?ml$/, "must be a .yml or .yaml path inside the repository (no leading / and no ..)")
        .max(200)
        .optional(),
      /** A failure also deploys the last good release again (the deploy stage rolls back). */
      rollbackOnFailure: z.boolean().optional(),
      /**
       * Run inside the environment's VPC (its private subnets, through their NAT for the internet),
       * to reach private endpoints. @default false
       */
      inVpc: z.boolean().optional(),
    })
    .optional(),
  /**
   * The scans of every workload's source before anything is deployed (docs/pipelines.md, "Scans"):
   * per scan, "off", "warn" (report only), or the lowest severity that fails the pipeline.
   * @default - the tier's: warn in development; critical (secrets, dependencies) and high (code)
   * before production; critical (secrets) and high (dependencies, code) in production
   */
  scans: z
    .strictObject({
      /** Secrets committed to the source (secretlint): every finding is critical. */
      secrets: z.enum(SCAN_LEVELS).optional(),
      /** Known vulnerabilities of the dependencies that ship (npm audit), and the SBOM. */
      dependencies: z.enum(SCAN_LEVELS).optional(),
      /** Static analysis of the code (eslint-plugin-security). */
      code: z.enum(SCAN_LEVELS).optional(),
      /**
       * A container's image, as ECR's basic scanning finds it on push: the pipeline waits for the
       * scan and stops on a finding at or above this severity (docs/workloads.md, "Containers").
       */
      image: z.enum(SCAN_LEVELS).optional(),
    })
    .optional(),
  /**
   * The web firewall (a WAFv2 web ACL) before the load balancer and each static site
   * (docs/security.md, "Web firewall").
   * @default - the tier's: on (block) in production, off elsewhere
   */
  firewall: z
    .strictObject({
      /** "block", "count" (a first rollout: nothing refused, everything measured) or "off". */
      mode: z.enum(FIREWALL_MODES).optional(),
      /** Requests from one IP address in 5 minutes above which the rate-based rule acts. @default 2000 */
      rateLimit: z
        .number()
        .int("must be a whole number")
        .min(RATE_LIMIT_BOUNDS.min, `must be at least ${RATE_LIMIT_BOUNDS.min} (AWS WAF's minimum)`)
        .max(RATE_LIMIT_BOUNDS.max)
        .optional(),
      /** Blocked requests in 5 minutes that raise the alarm. @default 100 */
      blockedRequestsAlarm: positiveInt(1_000_000).optional(),
      /** Why the firewall is off where the tier turns it on: required then, refused otherwise. */
      reason: z.string().trim().min(10, "must say why, in at least 10 characters").max(500).optional(),
      /**
       * A regional WAFv2 web ACL of your own for the load balancer: it takes precedence, and no ACL
       * is created for it. (A site's own ACL is workloads.<site>.webAclArn.)
       */
      webAclArn: z
        .string()
        .regex(/^arn:aws:wafv2:[a-z0-9-]+:\d{12}:regional\/webacl\/[A-Za-z0-9_-]+\/[0-9a-f-]{36}$/, "must be a regional WAFv2 web ACL ARN")
        .optional(),
    })
    .optional(),
  /**
   * Per workload of the project: whether this environment runs it, and how (the settings below
   * apply to static sites; the service's are the fields above).
   * @default - every workload, with its defaults
   */
  workloads: z
    .record(
      workloadName,
      z.strictObject({
        /** @default true (a service cannot be disabled: every environment runs it) */
        enabled: z.boolean().optional(),
        /** @default - the tier's (PriceClass_100 outside production, PriceClass_All in production) */
        priceClass: z.enum(PRICE_CLASSES).optional(),
        /** Custom domains; each needs the certificate below. @default - the *.cloudfront.net name only */
        aliases: z.array(domainName).max(100).optional(),
        /** An ACM certificate in us-east-1 (CloudFront's region) for the aliases. */
        certificateArn: certificateArn.optional(),
        /** A container's task count: the least, kept by scaling (0 outside working hours where the tier sleeps). @default - the tier's */
        minTasks: z.number().int().min(1).max(1000).optional(),
        /** A container's task count at most. @default - the tier's */
        maxTasks: z.number().int().min(1).max(1000).optional(),
        /** A container's target tracking: the average CPU, in percent, scaling keeps. @default - the tier's cpuTarget */
        cpuTarget: z.number().int().min(10).max(90).optional(),
        /** @default - none: a WAF web ACL (global scope) to attach */
        webAclArn: z
          .string()
          .regex(
            /^arn:aws:wafv2:us-east-1:\d{12}:global\/webacl\/[A-Za-z0-9_-]+\/[0-9a-f-]{36}$/,
            "must be a global (CloudFront) WAFv2 web ACL ARN",
          )
          .optional(),
      }),
    )
    .optional(),
  /**
   * The application's settings in this environment: names and plain values, never secrets. Each is
   * a parameter `/<appName>/<env>/settings/<NAME>` encrypted with the environment's key; the
   * instances render them into the service's runtime file at every deployment
   * (docs/settings-and-secrets.md, "Settings and secrets").
   * @default {}
   */
  settings: z
    .record(
      settingName.refine(
        (n) => !looksLikeSecretName(n),
        "looks like a secret's name: settings are plain text in git and in Terraform state; declare it under secrets instead",
      ),
      settingValue,
    )
    .optional(),
  /**
   * Names of the application's secrets. Each is a Secrets Manager secret `<appName>/<env>/<NAME>`,
   * encrypted with the environment's key, whose value is set out of band and never seen by
   * Terraform (docs/settings-and-secrets.md, "Settings and secrets").
   * @default []
   */
  secrets: z.array(settingName).optional(),
  /**
   * Settings that this environment's static sites' builds also receive, as plain-text variables
   * (a site's API address, for one; a service reads its settings at run time, so its build gets
   * none and its artifact can be promoted). Secrets never reach the shared build project.
   * @default []
   */
  buildSettings: z.array(settingName).optional(),
  /**
   * The AWS account the environment runs in: one of the accounts `_project.ts` declares under
   * `accounts.environments` (docs/accounts.md, "An account per environment"). Its pipelines stay
   * in the tooling account, beside the build.
   * @default - the tooling account (the project's `accountId`)
   */
  accountId: z
    .string()
    .regex(/^\d{12}$/, "must be a 12-digit AWS account id")
    .optional(),
  /**
   * The GitHub environment whose protection rules (required reviewers) gate this stack's deploy.
   * @default - the environment's name
   */
  githubEnvironment: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[A-Za-z0-9._ -]+$/, "must be a GitHub environment name: letters, digits, spaces and . _ -")
    .optional(),
  /**
   * Who may take the environment's people roles (the ci stack makes them; docs/accounts.md,
   * "People"): IAM roles, of an identity account or IAM Identity Center's, by ARN. An operator
   * starts, retries and approves the environment's pipelines and reads its logs; a reader reads.
   * @default - no people roles
   */
  people: z
    .strictObject({
      operators: z.array(peopleRole).min(1).optional(),
      readers: z.array(peopleRole).min(1).optional(),
    })
    .optional(),
  tags: tags.optional(),
});

/** What an environment file declares: everything but `tier` and `network` has a tier default. */
export type EnvironmentInput = z.input<typeof EnvironmentInputSchema>;

// ---------------------------------------------------------------------------------------------
// environments/_project.ts
// ---------------------------------------------------------------------------------------------

export const ProjectInputSchema = z.strictObject({
  /** Short name used as the prefix of every resource name. */
  appName: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,18}[a-z0-9]$/, "must be 2-20 characters: lowercase letters, digits and hyphens, starting with a letter")
    .refine(
      (v) => !RESERVED_NAME_PREFIXES.some((p) => `${v}-`.startsWith(p)),
      `must not make resource names start with a prefix AWS reserves (${"sg- (security groups), internal- (load balancers), xn--, sthree-, amzn-s3-demo- (buckets)"})`,
    )
    .refine(
      (v) => !SYSTEM_USERS.includes(v),
      `is the name of a system account on Amazon Linux 2023; the service runs as a user named after appName, so choose another name`,
    ),
  /**
   * The tooling account: it holds the build stack, the state bucket, the artifact bucket and key,
   * and every pipeline; environments run here unless they name an account of their own.
   */
  accountId: z.string().regex(/^\d{12}$/, "must be a 12-digit AWS account id"),
  /**
   * The other accounts environments run in, and who deploys into them (docs/accounts.md). Each
   * account is bootstrapped once (`npx cdktf deploy bootstrap-<accountId>`) before its first
   * environment.
   * @default - every environment runs in the tooling account
   */
  accounts: z
    .strictObject({
      /**
       * The tooling account's deploying identities: IAM roles (ARNs) that each account's deploy role
       * trusts, beside the CI apply roles of the GitHub environments deployed there (with `ci`).
       * @default [] - the CI apply roles only (required without `ci`)
       */
      deployers: z
        .array(
          z
            .string()
            .regex(/^arn:aws:iam::\d{12}:role\/[\w+=,.@\/-]{1,512}$/, "must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)"),
        )
        .min(1, "must name at least one role of the tooling account")
        .optional(),
      /**
       * Roles of the tooling account that may plan read-only in the environments' accounts (CI's
       * plan role, for pull requests and the drift check), through each account's read role.
       * @default [] - the deployers only
       */
      planners: z
        .array(
          z
            .string()
            .regex(/^arn:aws:iam::\d{12}:role\/[\w+=,.@\/-]{1,512}$/, "must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)"),
        )
        .optional(),
      /** The environments' accounts, by id. */
      environments: z.record(
        z.string().regex(/^\d{12}$/, "must be a 12-digit AWS account id"),
        z.strictObject({
          /**
           * The role in that account that bootstrap assumes from the tooling account, with rights to
           * create IAM roles there: AWS Organizations creates OrganizationAccountAccessRole in the
           * accounts it creates; elsewhere, create a role by this name once (docs/accounts.md).
           * @default "OrganizationAccountAccessRole"
           */
          bootstrapRoleName: z
            .string()
            .regex(/^[\w+=,.@-]{1,64}$/, "must be an IAM role name (1-64 letters, digits and +=,.@_-)")
            .optional(),
          /**
           * A CloudTrail trail of the account's management events (for an account that has none).
           * @default false
           */
          cloudTrail: z.boolean().optional(),
        }),
      ),
    })
    .optional(),
  /**
   * CI on GitHub Actions (docs/accounts.md, "CI and people"): the `ci` stack creates, in the tooling
   * account, the GitHub OIDC provider and a plan role and an apply role per GitHub environment,
   * each trusted only by this repository's workflows running in that environment.
   * @default - no ci stack: CI uses roles you create (the repository's AWS_PLAN_ROLE_ARN and AWS_APPLY_ROLE_ARN)
   */
  ci: z
    .strictObject({
      /** This project's own repository (owner/name), whose workflows plan and deploy the stacks. */
      repository: z
        .string()
        .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/, "must be a GitHub repository as owner/name"),
      /**
       * The tooling account's GitHub OIDC provider, where it already has one (IAM takes one provider
       * per URL and account).
       * @default - the ci stack creates it
       */
      oidcProviderArn: z
        .string()
        .regex(
          /^arn:aws:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/,
          "must be the ARN of an IAM OIDC provider for token.actions.githubusercontent.com",
        )
        .optional(),
    })
    .optional(),
  region,
  /** Moved into `workloads` (docs/upgrading.md, "Upgrading"). */
  repository: z
    .unknown()
    .refine(
      () => false,
      'has moved: declare the service as workloads: { <name>: { kind: "service", repository: "owner/name" } } (docs/upgrading.md, "Upgrading")',
    )
    .optional(),
  /**
   * What the project deploys, by name: at most one `service` (the EC2 fleet behind the ALB), any
   * number of `container`s (ECS on Fargate behind the same ALB) and `static-site`s (S3 +
   * CloudFront), at least one service or container; each built from its own repository by its own
   * pipeline in every environment (docs/workloads.md, "Workloads").
   */
  workloads: z.record(workloadName, z.discriminatedUnion("kind", [serviceWorkload, containerWorkload, siteWorkload])),
  /** @default - the build stack creates a connection (completed once in the console). */
  connectionArn: connectionArn.optional(),
  stateBackend: z.strictObject({
    /** The S3 bucket that holds every stack's state; created once by scripts/create-state-bucket.sh. */
    bucket: z.string().refine(isS3BucketName, "must be a valid S3 bucket name"),
    /** @default - the project's region */
    region: region.optional(),
    /** @default - the appName: state keys are <keyPrefix>/<stack>.tfstate */
    keyPrefix: z
      .string()
      .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, "must be an S3 key prefix without leading or trailing /")
      .optional(),
  }),
  build: z
    .strictObject({
      /** @default BUILD_DEFAULTS.image (modules/config/defaults.ts) - an x86_64 Linux image (the project is LINUX_CONTAINER) */
      image: z
        .string()
        .min(1)
        .refine(
          (v) => !/aarch64|arm64|windows|lambda/i.test(v),
          "must be an x86_64 Linux image: the shared project's environment type is LINUX_CONTAINER, on which CodeBuild refuses ARM, Windows and Lambda images",
        )
        .optional(),
      /** @default "BUILD_GENERAL1_SMALL" */
      computeType: z
        .enum(["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE", "BUILD_GENERAL1_XLARGE", "BUILD_GENERAL1_2XLARGE"])
        .optional(),
      /** @default - no cap: builds queue at the account's limit instead of failing */
      concurrentBuildLimit: positiveInt(100).optional(),
      /** @default BUILD_DEFAULTS.timeoutMinutes */
      timeoutMinutes: z.number().int().min(5).max(2160).optional(),
      /** @default BUILD_DEFAULTS.logRetentionDays */
      logRetentionDays: retentionDays.optional(),
    })
    .optional(),
  /** @default PROJECT_DEFAULTS.noncurrentArtifactDays - days a replaced artifact version is kept before it expires. */
  noncurrentArtifactDays: positiveInt(3650).optional(),
  /** The access-log bucket (modules/constructs/access-log-bucket.ts): how long each kind of log is kept. */
  accessLogs: z
    .strictObject({
      /** @default PROJECT_DEFAULTS.accessLogs.retentionDays - days after which a log file expires, per kind */
      retentionDays: z
        .strictObject({
          albAccess: positiveInt(3650).optional(),
          albConnection: positiveInt(3650).optional(),
          cloudfrontAccess: positiveInt(3650).optional(),
          s3Access: positiveInt(3650).optional(),
        })
        .optional(),
      /** @default PROJECT_DEFAULTS.accessLogs.noncurrentDays - days a deleted or overwritten log file stays recoverable */
      noncurrentDays: positiveInt(365).optional(),
    })
    .optional(),
  application: z
    .strictObject({
      /** @default PROJECT_DEFAULTS.application.port - the port the service listens on, behind the ALB. */
      port: z.number().int().min(1024, "must be an unprivileged port (1024-65535)").max(65535).optional(),
      /** @default PROJECT_DEFAULTS.application.healthCheckPath */
      healthCheckPath: z
        .string()
        .max(1024, "must be at most 1024 characters (the target group's limit)")
        .regex(/^\/[A-Za-z0-9._~/-]*$/, "must be a URL path starting with /")
        .optional(),
    })
    .optional(),
  tags: tags.optional(),
});

export type ProjectInput = z.input<typeof ProjectInputSchema>;
