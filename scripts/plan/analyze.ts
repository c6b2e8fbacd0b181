/** What Terraform will do to one resource, in the words a reviewer uses. */
export type Action = "create" | "update" | "replace" | "delete" | "read" | "no-op";

export const COUNTED_ACTIONS = ["create", "update", "replace", "delete"] as const;
export type CountedAction = (typeof COUNTED_ACTIONS)[number];

/** A resource whose loss is costly, and why. */
export interface ProtectionRule {
  readonly type: string;
  readonly reason: string;
  /** @default - always protected */
  readonly when?: (before: Record<string, unknown> | null) => boolean;
}

/**
 * Resources that a plan may not delete or replace without `--allow-destroy`: they hold data or
 * are the account's shared build infrastructure.
 */
export const PROTECTED_RESOURCES: readonly ProtectionRule[] = [
  {
    type: "aws_s3_bucket",
    reason:
      "the bucket holds data no stack can recreate (the artifact bucket every build revision, the access-log bucket every access log)",
  },
  { type: "aws_kms_key", reason: "what the key encrypted (artifacts, logs, notifications) becomes unreadable" },
  { type: "aws_cloudwatch_log_group", reason: "the log group's logs are deleted with it" },
  {
    type: "aws_secretsmanager_secret",
    reason:
      "the secret's value was set out of band and no stack can recreate it; its name stays taken during the recovery window (restore it with aws secretsmanager restore-secret)",
  },
  {
    type: "aws_lb",
    reason: "the ALB has deletion protection in this environment (its DNS name changes when it is replaced)",
    when: (before) => before?.enable_deletion_protection === true,
  },
];

export interface ResourceChange {
  readonly address: string;
  readonly type: string;
  readonly action: Action;
  /** Set when the change deletes or replaces a protected resource. */
  readonly protectedReason?: string;
}

/** An output the stack will publish after apply. */
export interface PlannedOutput {
  readonly name: string;
  readonly description?: string;
  /** The value when the plan knows it; absent when it is known only after apply. */
  readonly value?: unknown;
  readonly sensitive?: boolean;
}

export interface StackPlan {
  readonly stack: string;
  readonly changes: readonly ResourceChange[];
  readonly counts: Readonly<Record<CountedAction, number>>;
  /** @default [] */
  readonly outputs?: readonly PlannedOutput[];
}

interface PlanJson {
  configuration?: { root_module?: { outputs?: Record<string, { description?: string; sensitive?: boolean }> } };
  planned_values?: { outputs?: Record<string, { value?: unknown; sensitive?: boolean }> };
  resource_changes?: {
    address: string;
    type: string;
    mode: string;
    change: { actions: string[]; before: Record<string, unknown> | null };
  }[];
}

export function actionOf(actions: readonly string[]): Action {
  const key = [...actions].sort().join(",");
  switch (key) {
    case "create":
      return "create";
    case "update":
      return "update";
    case "delete":
      return "delete";
    case "create,delete":
      return "replace";
    case "read":
      return "read";
    case "no-op":
      return "no-op";
    default:
      throw new Error(`unknown Terraform plan actions: ${JSON.stringify(actions)}`);
  }
}

function protection(type: string, action: Action, before: Record<string, unknown> | null): string | undefined {
  if (action !== "delete" && action !== "replace") return undefined;
  const rule = PROTECTED_RESOURCES.find((r) => r.type === type && (r.when ? r.when(before) : true));
  return rule?.reason;
}

/** Reads `terraform show -json <plan>` output into the changes a reviewer needs to see. */
export function analyzePlan(stack: string, plan: PlanJson): StackPlan {
  const changes: ResourceChange[] = (plan.resource_changes ?? [])
    .filter((rc) => rc.mode === "managed")
    .map((rc) => {
      const action = actionOf(rc.change.actions);
      const protectedReason = protection(rc.type, action, rc.change.before);
      return { address: rc.address, type: rc.type, action, ...(protectedReason ? { protectedReason } : {}) };
    });
  const counts = Object.fromEntries(COUNTED_ACTIONS.map((a) => [a, changes.filter((c) => c.action === a).length])) as Record<
    CountedAction,
    number
  >;
  const planned = plan.planned_values?.outputs ?? {};
  const outputs: PlannedOutput[] = Object.entries(plan.configuration?.root_module?.outputs ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, o]) => {
      const sensitive = o.sensitive ?? planned[name]?.sensitive ?? false;
      const value = sensitive ? undefined : planned[name]?.value;
      return {
        name,
        ...(o.description ? { description: o.description } : {}),
        ...(value !== undefined ? { value } : {}),
        ...(sensitive ? { sensitive } : {}),
      };
    });
  return { stack, changes, counts, outputs };
}

/** Deletions and replacements of protected resources, across stacks. */
export function protectedViolations(plans: readonly StackPlan[]): { stack: string; change: ResourceChange }[] {
  return plans.flatMap((p) => p.changes.filter((c) => c.protectedReason).map((change) => ({ stack: p.stack, change })));
}
