import type { IConstruct } from "constructs";
import { Token } from "./cdk";
import { ProjectError } from "./errors";

/** One check of a construct prop; skipped when the value is a token (known only at apply). */
export interface PropCheck {
  readonly field: string;
  readonly value: unknown;
  readonly ok: boolean;
  /** What the value must be, e.g. "must be 1-64 characters". */
  readonly message: string;
}

/** Thrown while a construct is built: the synth stops before any stack is written. */
export class PropsError extends ProjectError {}

const unresolved = (v: unknown): boolean => Token.isUnresolved(v) || (Array.isArray(v) && v.some(unresolved));

/**
 * Fails with every failed check, naming the module file, the construct's class and path, the
 * field and the value.
 */
export function validateProps(scope: IConstruct, file: string, checks: readonly PropCheck[]): void {
  const failed = checks.filter((c) => !c.ok && !unresolved(c.value));
  if (failed.length === 0) return;
  const where = `${file} ${scope.constructor.name} at ${scope.node.path}`;
  throw new PropsError(
    `Invalid props (${where}); nothing was synthesized:\n` +
      failed.map((c) => `  - ${c.field}: ${c.message} (got ${JSON.stringify(c.value)})`).join("\n"),
  );
}

export const isName = (value: string, pattern: RegExp, max: number) =>
  typeof value === "string" && value.length <= max && pattern.test(value);
export const inRange = (value: number | undefined, min: number, max: number) =>
  value === undefined || (Number.isInteger(value) && value >= min && value <= max);
