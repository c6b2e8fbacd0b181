import type { IConstruct } from "constructs";
import { TerraformStack, type IAspect } from "cdktf";
import { evaluate, RuleViolationError, StackView, type Rule, type StackFacts, type Suppression } from "./engine";

/**
 * Checks a stack's final configuration (overrides included) against the rules at every synth,
 * and fails the synth, naming each rule, construct path, problem and fix.
 */
export class SecurityRules implements IAspect {
  constructor(
    private readonly rules: readonly Rule[],
    private readonly suppressions: readonly Suppression[],
    private readonly facts: () => StackFacts,
  ) {}

  visit(node: IConstruct): void {
    if (!TerraformStack.isStack(node)) return;
    const view = new StackView(node.node.id, node.toTerraform(), this.facts());
    const result = evaluate(view, this.rules, this.suppressions);
    if (result.violations.length || result.suppressionErrors.length) {
      throw new RuleViolationError(node.node.id, result.violations, result.suppressionErrors);
    }
  }
}
