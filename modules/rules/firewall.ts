/** The web firewall (AWS WAFv2) before production's edges: its load balancers and distributions. */
import type { Rule, StackView } from "./engine";

/** Where a production stack must have a web ACL: not an environment whose file turned it off with a reason. */
const needsFirewall = (stack: StackView) => stack.facts.tier === "production" && !stack.facts.firewallOffReason;

/** A web ACL ARN or a reference to one (a WAFv2 web ACL's, not a WAF Classic id). */
const isWebAcl = (value: unknown) => /^arn:aws:wafv2:|^\$\{aws_wafv2_web_acl\.[A-Za-z0-9_-]+\.arn\}$/.test(String(value ?? ""));

export const FIREWALL: Rule[] = [
  {
    id: "ALB_WEB_FIREWALL_IN_PRODUCTION",
    controls: ["CKV2_AWS_28", "ELB.16"],
    description: "A production environment's internet-facing load balancer is associated with a WAFv2 web ACL",
    fix: 'keep the tier\'s firewall on (firewall.mode "block" or "count"), give firewall.webAclArn, or turn it off with firewall.reason in the environment\'s file (docs/security.md, "Web firewall")',
    types: ["aws_lb"],
    check: (r, stack) => {
      if (!needsFirewall(stack) || r.attrs.internal === true) return undefined;
      const associations = stack.referring("aws_wafv2_web_acl_association", "resource_arn", r).filter((a) => isWebAcl(a.attrs.web_acl_arn));
      return associations.length ? undefined : "no web ACL is associated with it (aws_wafv2_web_acl_association)";
    },
  },
  {
    id: "CLOUDFRONT_WEB_FIREWALL_IN_PRODUCTION",
    controls: ["CKV_AWS_68", "CloudFront.6"],
    description: "A production environment's CloudFront distributions have a WAFv2 web ACL",
    fix: 'keep the tier\'s firewall on, give the site a web ACL of its own (workloads.<site>.webAclArn), or turn it off with firewall.reason (docs/security.md, "Web firewall")',
    types: ["aws_cloudfront_distribution"],
    check: (r, stack) => (!needsFirewall(stack) || isWebAcl(r.attrs.web_acl_id) ? undefined : "it has no web ACL (web_acl_id)"),
  },
  {
    id: "WAF_LOGGING",
    controls: ["CKV2_AWS_31"],
    description: "Every WAFv2 web ACL logs its requests",
    fix: "give the web ACL an aws_wafv2_web_acl_logging_configuration (WebFirewall does)",
    types: ["aws_wafv2_web_acl"],
    check: (r, stack) =>
      stack.referring("aws_wafv2_web_acl_logging_configuration", "resource_arn", r).length
        ? undefined
        : "no logging configuration refers to it",
  },
];
