/**
 * The project-wide defaults, in one place: the configuration resolver applies them to
 * environments/_project.ts, and the constructs that take the same settings default to the same
 * values. (Defaults that differ by tier are in tiers.ts.)
 */
export const BUILD_DEFAULTS = {
  /** An x86_64 Linux image: the shared project is a LINUX_CONTAINER. */
  image: "aws/codebuild/standard:7.0",
  computeType: "BUILD_GENERAL1_SMALL",
  timeoutMinutes: 30,
  logRetentionDays: 90,
} as const;

export const PROJECT_DEFAULTS = {
  /** Days a replaced artifact version is kept in the artifact bucket. */
  noncurrentArtifactDays: 30,
  application: { port: 8080, healthCheckPath: "/health" },
  /**
   * Access logs are kept a year, the retention PCI DSS (requirement 10.5.1) and most security
   * teams ask of audit logs; a deleted or overwritten log file stays recoverable for 30 days.
   */
  accessLogs: {
    retentionDays: { albAccess: 365, albConnection: 365, s3Access: 365, cloudfrontAccess: 365 },
    noncurrentDays: 30,
  },
} as const;
