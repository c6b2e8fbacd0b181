/**
 * The scans every workload's pipeline runs on its source before anything is deployed
 * (docs/pipelines.md, "Scans"), each a parallel action of the build stage on the scan project of
 * the build stack, whose program is runtime/scan/scan.js.
 */
export const SCAN_KINDS = ["secrets", "dependencies", "code"] as const;
export type ScanKind = (typeof SCAN_KINDS)[number];

/**
 * What a scan does with its findings: "off" (it does not run), "warn" (it reports them and never
 * fails), or the lowest severity that fails the pipeline ("high" fails on high and critical).
 */
export const SCAN_LEVELS = ["off", "warn", "low", "medium", "high", "critical"] as const;
export type ScanLevel = (typeof SCAN_LEVELS)[number];

export type ScanSettings = Readonly<Record<ScanKind, ScanLevel>>;

/** Whether a scan at this level stops a release on a finding. */
export const scanBlocks = (level: ScanLevel): boolean => level !== "off" && level !== "warn";

/** The pipeline action of each scan (its name in the build stage). */
export const SCAN_ACTIONS: Readonly<Record<ScanKind, string>> = {
  secrets: "ScanSecrets",
  dependencies: "ScanDependencies",
  code: "ScanCode",
};

/**
 * The application's acceptance tests after each deploy (docs/pipelines.md, "Acceptance tests"):
 * whether they run, the buildspec of the application repository that runs them, and whether a
 * failure also rolls the deploy back.
 */
export interface AcceptanceTestSettings {
  readonly enabled: boolean;
  readonly buildspec: string;
  readonly rollbackOnFailure: boolean;
  /** They run inside the environment's VPC (its private subnets), to reach private endpoints. */
  readonly inVpc: boolean;
}

/** The action that runs them, last in the deploy stage (before the traffic moves in blue/green). */
export const ACCEPTANCE_ACTION = "AcceptanceTests";

/** The SBOM of what ships (CycloneDX), the dependency scan's output artifact. */
export const SBOM_ARTIFACT = "SBOM";
