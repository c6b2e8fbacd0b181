import { z } from "zod";
import { isKnownInstanceType } from "./instance-types";

/** Values CloudWatch Logs accepts for `retention_in_days` (0, "never expire", is not allowed here). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const TIERS = ["development", "preproduction", "production"] as const;
export type Tier = (typeof TIERS)[number];

export const EXECUTION_MODES = ["QUEUED", "SUPERSEDED", "PARALLEL"] as const;
export type ExecutionMode = (typeof EXECUTION_MODES)[number];

export const DEPLOYMENT_CONFIGS = [
  "CodeDeployDefault.OneAtATime",
  "CodeDeployDefault.HalfAtATime",
  "CodeDeployDefault.AllAtOnce",
] as const;
export type DeploymentConfigName = (typeof DEPLOYMENT_CONFIGS)[number];

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
  .refine(
    (v) => cidrV4.safeParse(v).success || cidrV6.safeParse(v).success,
    "must be an IPv4 or IPv6 CIDR block such as 10.0.0.0/16",
  );

const certificateArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/,
    "must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<uuid>)",
  );

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

const tags = z.record(
  z
    .string()
    .min(1)
    .max(128)
    .regex(/^(?!aws:)[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u, "must be a valid tag key (not starting with aws:)"),
  z.string().max(256),
);

/** A git branch name that CodePipeline can trigger on (a subset of git-check-ref-format). */
const branch = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9._/-]+$/, "must contain only letters, digits and . _ / -")
  .refine((v) => !v.includes("..") && !v.startsWith("/") && !v.endsWith("/") && !v.endsWith(".lock"), {
    message: "is not a valid git branch name",
  });

const instanceType = z
  .string()
  .refine(isKnownInstanceType, "is not a known instance type (see INSTANCE_FAMILIES in modules/config/instance-types.ts)");

// ---------------------------------------------------------------------------------------------
// environments/<name>.ts
// ---------------------------------------------------------------------------------------------

export const EnvironmentInputSchema = z.strictObject({
  /** Which tier's defaults apply (modules/config/tiers.ts). */
  tier: z.enum(TIERS),
  network: z.strictObject({
    vpcId: awsId("vpc"),
    /** Subnets of the ALB: at least two, in different Availability Zones. */
    publicSubnetIds: z.array(awsId("subnet")).min(2, "needs at least two subnets (an ALB spans two Availability Zones)"),
    /** Subnets of the instances: no public IPs are assigned. */
    privateSubnetIds: z.array(awsId("subnet")).min(1, "needs at least one subnet"),
  }),
  /** @default ["0.0.0.0/0"] - the ALB is public; only ports 80/443 are opened. */
  allowedIngressCidrs: z.array(cidr).min(1, "needs at least one CIDR block").optional(),
  /** @default - no certificate: the ALB listens on plain HTTP only. */
  certificateArn: certificateArn.optional(),
  /** @default [] - no email subscribers. */
  notificationEmails: z.array(z.email("must be an email address")).optional(),
  compute: z
    .strictObject({
      instanceType: instanceType.optional(),
      minCapacity: positiveInt(100).optional(),
      desiredCapacity: positiveInt(100).optional(),
      maxCapacity: positiveInt(100).optional(),
    })
    .optional(),
  pipeline: z
    .strictObject({
      /** @default "deploy/<name>" */
      branch: branch.optional(),
      requireApproval: z.boolean().optional(),
      executionMode: z.enum(EXECUTION_MODES).optional(),
      notifyOnSuccess: z.boolean().optional(),
    })
    .optional(),
  deployment: z.strictObject({ config: z.enum(DEPLOYMENT_CONFIGS).optional() }).optional(),
  alarms: z
    .strictObject({
      /** Target 5xx responses in 5 minutes that raise the alarm. */
      http5xxCount: positiveInt(100000).optional(),
      /** Unhealthy targets that raise the alarm. */
      unhealthyHosts: positiveInt(100).optional(),
      /** Average CPU utilisation of the Auto Scaling group, in percent. */
      cpuPercent: positiveInt(100).optional(),
    })
    .optional(),
  logRetentionDays: retentionDays.optional(),
  deletionProtection: z.boolean().optional(),
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
    .regex(/^[a-z][a-z0-9-]{0,18}[a-z0-9]$/, "must be 2-20 characters: lowercase letters, digits and hyphens, starting with a letter"),
  /** The AWS account the stacks may be deployed to (the provider refuses any other). */
  accountId: z.string().regex(/^\d{12}$/, "must be a 12-digit AWS account id"),
  region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "must be an AWS region such as eu-west-1"),
  /** GitHub repository of the application, "owner/name". */
  repository: z
    .string()
    .regex(/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/, 'must be a GitHub repository "owner/name"'),
  /** @default - the build stack creates a connection (completed once in the console). */
  connectionArn: connectionArn.optional(),
  stateBackend: z.strictObject({
    /** The S3 bucket that holds every stack's state; created once by scripts/create-state-bucket.sh. */
    bucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be a valid S3 bucket name")
      .refine((v) => !v.includes(".."), "must be a valid S3 bucket name"),
    /** @default - the project's region */
    region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "must be an AWS region such as eu-west-1").optional(),
    /** @default - the appName: state keys are <keyPrefix>/<stack>.tfstate */
    keyPrefix: z.string().regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, "must be an S3 key prefix without leading or trailing /").optional(),
  }),
  build: z
    .strictObject({
      /** @default "aws/codebuild/standard:7.0" */
      image: z.string().min(1).optional(),
      /** @default "BUILD_GENERAL1_SMALL" */
      computeType: z
        .enum(["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE", "BUILD_GENERAL1_XLARGE", "BUILD_GENERAL1_2XLARGE"])
        .optional(),
      /** @default 2 */
      concurrentBuildLimit: positiveInt(100).optional(),
      /** @default 30 */
      timeoutMinutes: z.number().int().min(5).max(2160).optional(),
      /** @default 90 */
      logRetentionDays: retentionDays.optional(),
    })
    .optional(),
  /** @default 30 - days a replaced artifact version is kept before it expires. */
  noncurrentArtifactDays: positiveInt(3650).optional(),
  application: z
    .strictObject({
      /** @default 8080 - the port the service listens on, behind the ALB. */
      port: z.number().int().min(1024, "must be an unprivileged port (1024-65535)").max(65535).optional(),
      /** @default "/health" */
      healthCheckPath: z.string().regex(/^\/[A-Za-z0-9._~/-]*$/, "must be a URL path starting with /").optional(),
    })
    .optional(),
  tags: tags.optional(),
});

export type ProjectInput = z.input<typeof ProjectInputSchema>;
