import type { Suppression } from "./engine";

/**
 * Every rule suppression of the shipped stacks, in one place. Each names the rule, one resource
 * (its construct path within the stack) and why the rule does not apply to it.
 */
export const SUPPRESSIONS: readonly Suppression[] = [
  {
    rule: "SG_NO_OPEN_HTTP",
    path: "web/ingress-80-0-0-0-0-0",
    reason:
      "the environment's public ALB accepts HTTP from anywhere: with a certificate its port 80 only redirects to HTTPS (ALB_HTTP_REDIRECTS); without one the environment is HTTP-only by choice (no certificateArn)",
  },
];
