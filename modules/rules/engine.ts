import type { Tier } from "../config";
import { ProjectError } from "../lib/errors";

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Attrs = Record<string, any>;

/** One resource of a synthesized stack, as Terraform will see it (overrides included). */
export interface Resource {
  readonly type: string;
  readonly id: string;
  /** Construct path without the stack, e.g. "web/alb". */
  readonly path: string;
  readonly attrs: Attrs;
}

/** Facts about a stack that some rules depend on (set by the stack, from its environment). */
export interface StackFacts {
  /** @default - not an environment stack */
  readonly tier?: Tier;
  /** The environment requires a manual approval before deploy. @default false */
  readonly requireApproval?: boolean;
  /**
   * Why the environment's file turns off the web firewall its tier has (firewall.reason, checked
   * by the configuration): the firewall rules accept its edges without a web ACL then.
   * @default - not turned off
   */
  readonly firewallOffReason?: string;
  /** The account the stack's default provider deploys to. @default - unknown */
  readonly account?: string;
}

/** The synthesized stack a rule looks at. */
export class StackView {
  readonly resources: readonly Resource[];
  /** The default provider's region: where the stack's regional resources and metrics live. */
  readonly region?: string;

  constructor(
    readonly name: string,
    json: Attrs,
    readonly facts: StackFacts,
  ) {
    this.resources = Object.entries((json.resource ?? {}) as Record<string, Record<string, Attrs>>).flatMap(([type, byId]) =>
      Object.entries(byId).map(([id, attrs]) => {
        const full: string = attrs["//"]?.metadata?.path ?? `${name}/${id}`;
        return { type, id, path: full.startsWith(`${name}/`) ? full.slice(name.length + 1) : full, attrs };
      }),
    );
    this.region = ([json.provider?.aws ?? []].flat() as Attrs[]).find((p) => !p.alias)?.region;
  }

  ofType(type: string): Resource[] {
    return this.resources.filter((r) => r.type === type);
  }

  /** Resources of `type` whose attribute `attr` refers to `target` (`${type.id.…}`). */
  referring(type: string, attr: string, target: Resource): Resource[] {
    const ref = `\${${target.type}.${target.id}.`;
    return this.ofType(type).filter((r) => JSON.stringify(r.attrs[attr] ?? "").includes(ref));
  }
}

/** A security or safety rule: one small unit, with the public controls it follows. */
export interface Rule {
  readonly id: string;
  /** checkov ids and/or AWS Security Hub controls. */
  readonly controls: readonly string[];
  readonly description: string;
  readonly fix: string;
  /** The resource types the rule checks. */
  readonly types: readonly string[];
  /** What is wrong with the resource, or undefined when it complies. */
  check(resource: Resource, stack: StackView): string | undefined;
}

/** Turns a rule off for one resource, for a stated reason. */
export interface Suppression {
  readonly rule: string;
  /**
   * Construct path of the resource within its stack, e.g. "web/ingress-80-0-0-0-0-0", or its end
   * within a workload, e.g. "traffic/live-slot" for "workload-api/traffic/live-slot": whole
   * segments, so that a suppression does not depend on what the project names its workloads.
   */
  readonly path: string;
  readonly reason: string;
}

/** Whether a suppression's path names this resource's path (all of it, or its last whole segments). */
export function pathMatches(suppressed: string, path: string): boolean {
  return path === suppressed || path.endsWith(`/${suppressed}`);
}

export interface Violation {
  readonly rule: Rule;
  readonly resource: Resource;
  readonly problem: string;
}

export interface Evaluation {
  readonly violations: readonly Violation[];
  /** Problems with the suppressions themselves (no reason, unknown rule). */
  readonly suppressionErrors: readonly string[];
  /** How many resources each rule checked. */
  readonly checked: ReadonlyMap<string, number>;
  readonly suppressed: readonly { rule: string; path: string }[];
}

export function evaluate(stack: StackView, rules: readonly Rule[], suppressions: readonly Suppression[]): Evaluation {
  const ids = new Set(rules.map((r) => r.id));
  const suppressionErrors = suppressions.flatMap((s) => [
    ...(s.reason.trim() ? [] : [`the suppression of ${s.rule} on ${s.path} has no reason: say why the rule does not apply there`]),
    ...(ids.has(s.rule) ? [] : [`the suppression on ${s.path} names an unknown rule ${s.rule}`]),
  ]);
  const violations: Violation[] = [];
  const suppressed: { rule: string; path: string }[] = [];
  const checked = new Map<string, number>();
  for (const rule of rules) {
    for (const resource of stack.resources.filter((r) => rule.types.includes(r.type))) {
      checked.set(rule.id, (checked.get(rule.id) ?? 0) + 1);
      const problem = rule.check(resource, stack);
      if (problem === undefined) continue;
      const suppression = suppressions.find((s) => s.rule === rule.id && pathMatches(s.path, resource.path) && s.reason.trim());
      if (suppression) {
        suppressed.push({ rule: rule.id, path: suppression.path });
      } else {
        violations.push({ rule, resource, problem });
      }
    }
  }
  return { violations, suppressionErrors, checked, suppressed };
}

export function formatViolation(stack: string, v: Violation): string {
  return (
    `[${v.rule.id}] ${stack}/${v.resource.path} (${v.resource.type}): ${v.problem}. ` + `Fix: ${v.rule.fix} (${v.rule.controls.join(", ")})`
  );
}

/** Thrown at synth when a stack breaks a rule: nothing is written. */
export class RuleViolationError extends ProjectError {
  constructor(
    readonly stack: string,
    readonly violations: readonly Violation[],
    suppressionErrors: readonly string[],
  ) {
    const lines = [...suppressionErrors, ...violations.map((v) => formatViolation(stack, v))];
    super(
      `${stack} breaks ${lines.length} security rule${lines.length === 1 ? "" : "s"}; nothing was synthesized:\n${lines.map((l) => `  - ${l}`).join("\n")}`,
    );
  }
}
