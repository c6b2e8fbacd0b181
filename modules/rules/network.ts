/** Network: load balancers and security groups. */
import type { Attrs, Resource, Rule } from "./engine";
import { list, isTrue } from "./policy-reader";

const TLS_POLICIES = /^ELBSecurityPolicy-(TLS13-1-[23]-|TLS-1-2-|FS-1-2-)/;

export const LOAD_BALANCER: Rule[] = [
  {
    id: "ALB_WEIGHTS_OWNED_BY_DEPLOYMENTS",
    controls: ["project rule: blue/green without drift (docs/blue-green.md, Blue/green)"],
    description:
      "A listener that forwards to several target groups by weight leaves its default action to the deployments that move the weights",
    fix: 'add lifecycle.ignore_changes = ["default_action"] (WebEntry with slots does): otherwise an apply moves the traffic back to where Terraform first put it',
    types: ["aws_lb_listener"],
    check: (r) => {
      const weighted = (list(r.attrs.default_action) as Attrs[]).some((a) =>
        (list(a.forward) as Attrs[]).some((f) => list(f.target_group).length > 1),
      );
      if (!weighted) return undefined;
      return list(r.attrs.lifecycle?.ignore_changes).includes("default_action")
        ? undefined
        : "Terraform would set the weights back at every apply, after each deployment moved them";
    },
  },
  {
    id: "ALB_HTTP_REDIRECTS",
    controls: ["ELB.1"],
    description: "When an ALB has an HTTPS listener, its HTTP listeners only redirect to HTTPS",
    fix: "make the HTTP listener's default action a redirect to port 443, HTTPS",
    types: ["aws_lb_listener"],
    check: (r, stack) => {
      if (r.attrs.protocol !== "HTTP") return undefined;
      const lb = JSON.stringify(r.attrs.load_balancer_arn);
      const hasHttps = stack
        .ofType("aws_lb_listener")
        .some((l) => l.attrs.protocol === "HTTPS" && JSON.stringify(l.attrs.load_balancer_arn) === lb);
      if (!hasHttps) return undefined;
      const actions = list(r.attrs.default_action) as Attrs[];
      return actions.length > 0 && actions.every((a) => a.type === "redirect" && a.redirect?.protocol === "HTTPS")
        ? undefined
        : "HTTP is served although HTTPS exists";
    },
  },
  {
    id: "ALB_TLS_POLICY",
    controls: ["CKV_AWS_103"],
    description: "HTTPS listeners use a TLS 1.2+ security policy",
    fix: "set ssl_policy to ELBSecurityPolicy-TLS13-1-2-2021-06",
    types: ["aws_lb_listener"],
    check: (r) =>
      r.attrs.protocol !== "HTTPS" || TLS_POLICIES.test(String(r.attrs.ssl_policy))
        ? undefined
        : `TLS policy ${r.attrs.ssl_policy ?? "(default)"} allows TLS < 1.2`,
  },
  {
    id: "ALB_DROPS_INVALID_HEADERS",
    controls: ["CKV_AWS_131"],
    description: "ALBs drop invalid HTTP headers",
    fix: "set drop_invalid_header_fields = true",
    types: ["aws_lb"],
    check: (r) => (isTrue(r.attrs.drop_invalid_header_fields) ? undefined : "invalid headers are passed on"),
  },
  {
    id: "ALB_ACCESS_LOGS",
    controls: ["CKV_AWS_91", "ELB.5"],
    description: "ALBs write access logs to S3",
    fix: "set access_logs { enabled = true, bucket = <the access-log bucket> } (WebEntry's logs prop)",
    types: ["aws_lb"],
    check: (r) => {
      const logs = (list(r.attrs.access_logs) as Attrs[])[0];
      if (!logs || !isTrue(logs.enabled)) return "access logs are not enabled";
      return logs.bucket ? undefined : "access logs have no bucket";
    },
  },
  {
    id: "ALB_DELETION_PROTECTION_IN_PRODUCTION",
    controls: ["CKV_AWS_150"],
    description: "ALBs of production environments have deletion protection",
    fix: "keep deletionProtection true in the production environment's file",
    types: ["aws_lb"],
    check: (r, stack) =>
      stack.facts.tier !== "production" || isTrue(r.attrs.enable_deletion_protection)
        ? undefined
        : "deletion protection is off in production",
  },
];

const ANYWHERE = ["0.0.0.0/0", "::/0"];
/** Ingress rules in any of the three shapes the provider has, as [from, to, protocol, cidrs]. */
function ingressRules(r: Resource): { from: number; to: number; protocol: string; cidrs: string[] }[] {
  const a = r.attrs;
  if (r.type === "aws_vpc_security_group_ingress_rule") {
    return [
      {
        from: Number(a.from_port ?? 0),
        to: Number(a.to_port ?? 65535),
        protocol: String(a.ip_protocol),
        cidrs: [a.cidr_ipv4, a.cidr_ipv6].filter(Boolean),
      },
    ];
  }
  if (r.type === "aws_security_group_rule") {
    if (a.type !== "ingress") return [];
    return [
      {
        from: Number(a.from_port),
        to: Number(a.to_port),
        protocol: String(a.protocol),
        cidrs: [...list(a.cidr_blocks), ...list(a.ipv6_cidr_blocks)] as string[],
      },
    ];
  }
  return (list(a.ingress) as Attrs[]).map((i) => ({
    from: Number(i.from_port),
    to: Number(i.to_port),
    protocol: String(i.protocol),
    cidrs: [...list(i.cidr_blocks), ...list(i.ipv6_cidr_blocks)] as string[],
  }));
}
const allPorts = (p: string) => p === "-1" || p === "all";
const SG_TYPES = ["aws_vpc_security_group_ingress_rule", "aws_security_group_rule", "aws_security_group"];

function openTo(ports: number[], label: string) {
  return (r: Resource): string | undefined => {
    for (const rule of ingressRules(r)) {
      const open = rule.cidrs.filter((c) => ANYWHERE.includes(c));
      if (open.length === 0) continue;
      if (allPorts(rule.protocol)) return `all ports are open to ${open.join(", ")}`;
      const hit = ports.find((p) => rule.from <= p && p <= rule.to);
      if (hit !== undefined) return `port ${hit} (${label}) is open to ${open.join(", ")}`;
    }
    return undefined;
  };
}

export const NETWORK: Rule[] = [
  {
    id: "SG_NO_OPEN_ADMIN_PORTS",
    controls: ["CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_277"],
    description: "No security group opens SSH, RDP or all ports to the internet",
    fix: "remove the rule; reach instances through SSM Session Manager",
    types: SG_TYPES,
    check: openTo([22, 3389], "SSH/RDP"),
  },
  {
    id: "SG_NO_OPEN_HTTP",
    controls: ["CKV_AWS_260"],
    description: "No security group opens port 80 to the internet",
    fix: "restrict the CIDRs, or suppress the rule for a public load balancer's listener with the reason",
    types: SG_TYPES,
    check: openTo([80], "HTTP"),
  },
];
