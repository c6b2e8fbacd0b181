import { Construct } from "constructs";
import { Wafv2WebAcl } from "@cdktf/provider-aws/lib/wafv2-web-acl";
import { Wafv2WebAclLoggingConfiguration } from "@cdktf/provider-aws/lib/wafv2-web-acl-logging-configuration";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { inRange, isName, validateProps } from "../lib/props";
import { RATE_LIMIT_BOUNDS, type FirewallMode } from "../lib/firewall";

/**
 * The AWS managed rule groups every web ACL runs, in this order (AWS WAF developer guide,
 * "Baseline rule groups" and "IP reputation rule groups"; none carries the extra fee that Bot
 * Control, ATP and ACFP do): addresses on Amazon's threat lists (25 WCU), anonymizers such as Tor
 * and open proxies (50), the OWASP-style core rule set (700), and request patterns known to exploit
 * vulnerabilities, Log4j's among them (200); with the rate-based rule (2), 977 WCU in all, within
 * the 1,500 a web ACL's price includes ("AWS WAF web ACL capacity units").
 */
export const MANAGED_RULE_GROUPS = [
  "AWSManagedRulesAmazonIpReputationList",
  "AWSManagedRulesAnonymousIpList",
  "AWSManagedRulesCommonRuleSet",
  "AWSManagedRulesKnownBadInputsRuleSet",
] as const;

type ManagedRuleGroup = (typeof MANAGED_RULE_GROUPS)[number];

/**
 * Rules of those groups that only count, even in block mode (counted, they still show in the
 * metrics and the logs). HostingProviderIPList blocks every address of a cloud or hosting provider,
 * which AWS WAF's guide says can include legitimate users ("IP reputation rule groups"). Before a
 * load balancer, SizeRestrictions_BODY would refuse any request body over 8 KB ("Baseline rule
 * groups", core rule set): an API's uploads and large JSON posts; a static site takes no bodies.
 */
const COUNT_ONLY: Readonly<Record<"REGIONAL" | "CLOUDFRONT", Partial<Record<ManagedRuleGroup, readonly string[]>>>> = {
  REGIONAL: { AWSManagedRulesAnonymousIpList: ["HostingProviderIPList"], AWSManagedRulesCommonRuleSet: ["SizeRestrictions_BODY"] },
  CLOUDFRONT: { AWSManagedRulesAnonymousIpList: ["HostingProviderIPList"] },
};

/** AWS WAF's pattern of a web ACL's description (WAFV2 API reference, WebACL "Description"). */
export const WAF_DESCRIPTION = /^[\w+=:#@/\-,.][\w+=:#@/\-,.\s]+[\w+=:#@/\-,.]$/;

/**
 * The alarm on what a web ACL refuses in 5 minutes: BlockedRequests, or in count mode (where
 * nothing is blocked) CountedRequests, what block mode would have refused. Its dimensions are the
 * web ACL's metric name and Rule ALL (the whole web ACL), and Region for a REGIONAL one: a
 * CLOUDFRONT web ACL reports in us-east-1 without it (AWS WAF developer guide, "AWS WAF metrics and
 * dimensions"). WebFirewall's own alarm, and SiteAlarms' for a site (routed from us-east-1).
 */
export function firewallAlarm(
  firewall: { readonly metricName: string; readonly mode: Exclude<FirewallMode, "off"> },
  threshold: number,
  region?: string,
) {
  const counting = firewall.mode === "count";
  return {
    alarmName: `${firewall.metricName}-waf-${counting ? "counted" : "blocked"}`,
    alarmDescription: `The web firewall ${firewall.metricName} ${counting ? "would have blocked" : "blocked"} more than ${threshold} requests in 5 minutes (an attack, or a rule refusing real users: read its sampled requests)`,
    namespace: "AWS/WAFV2",
    metricName: counting ? "CountedRequests" : "BlockedRequests",
    dimensions: { WebACL: firewall.metricName, Rule: "ALL", ...(region ? { Region: region } : {}) },
    statistic: "Sum",
    period: 300,
    evaluationPeriods: 1,
    threshold,
    comparisonOperator: "GreaterThanThreshold",
    treatMissingData: "notBreaching",
  };
}

/** The rate-based rule's name, and the web ACL's own metric's suffix. */
export const RATE_RULE = "rate-per-ip";

/** The longest metric-name suffix a rule adds to the web ACL's name (AWS WAF allows 128 characters). */
const LONGEST_SUFFIX = Math.max(...[...MANAGED_RULE_GROUPS, RATE_RULE].map((r) => r.length + 1));

/** WAF's prefix for a log group it may deliver to (AWS WAF developer guide, "CloudWatch Logs"). */
export const WAF_LOG_GROUP_PREFIX = "aws-waf-logs-";

export interface WebFirewallProps {
  /** The web ACL's name, and its metrics' and log group's: the environment's or the site's prefix. */
  readonly name: string;
  /** REGIONAL for a load balancer; CLOUDFRONT for a distribution (created in us-east-1). */
  readonly scope: "REGIONAL" | "CLOUDFRONT";
  /** For CLOUDFRONT: the us-east-1 provider, where such a web ACL, its logs and metrics live. */
  readonly provider?: AwsProvider;
  /** "block", or "count" for a first rollout (every rule only counts). */
  readonly mode: Exclude<FirewallMode, "off">;
  /** Requests from one IP address in 5 minutes above which the rate-based rule acts. */
  readonly rateLimit: number;
  readonly logRetentionDays: number;
  /**
   * A KMS key for the log group, of the log group's region, whose policy lets CloudWatch Logs use
   * it. @default - CloudWatch Logs' own encryption (a CLOUDFRONT web ACL logs in us-east-1, where
   * the environment's key is not)
   */
  readonly logKeyArn?: string;
  /**
   * An alarm on the requests the web ACL blocks in 5 minutes, notifying these actions (a topic of
   * the alarm's region). @default - no alarm here (a CLOUDFRONT web ACL's is a site alarm: SiteAlarms)
   */
  readonly alarm?: { readonly blockedRequests: number; readonly actions: readonly string[]; readonly region: string };
  /** @default false - keep the logs when the stack is destroyed */
  readonly retain?: boolean;
}

/**
 * A WAFv2 web ACL (docs/security.md, "Web firewall"): the AWS managed rule groups above and a
 * rate-based rule per client address, each with its CloudWatch metrics and sampled requests;
 * logging to a log group of its own, with the Authorization and Cookie headers redacted; and, for
 * a regional one, an alarm on blocked requests. In count mode nothing is blocked: every rule only
 * counts, which shows in the metrics and the logs what block mode would refuse.
 */
export class WebFirewall extends Construct {
  readonly acl: Wafv2WebAcl;
  readonly logGroup: CloudwatchLogGroup;
  readonly blockedAlarm?: CloudwatchMetricAlarm;
  /** The web ACL's own metric name: its metrics' WebACL dimension. */
  readonly metricName: string;
  readonly mode: Exclude<FirewallMode, "off">;

  constructor(scope: Construct, id: string, props: WebFirewallProps) {
    super(scope, id);
    validateProps(this, "modules/constructs/web-firewall.ts", [
      {
        field: "name",
        value: props.name,
        // The ACL's name and its rules' metric names (the name and a suffix) take at most 128 characters.
        ok: isName(props.name, /^[A-Za-z0-9][A-Za-z0-9_-]*$/, 128 - LONGEST_SUFFIX),
        message: "must be letters, digits, _ and -, short enough for the web ACL's name and its metrics",
      },
      {
        field: "rateLimit",
        value: props.rateLimit,
        ok: inRange(props.rateLimit, RATE_LIMIT_BOUNDS.min, RATE_LIMIT_BOUNDS.max),
        message: `must be ${RATE_LIMIT_BOUNDS.min} to ${RATE_LIMIT_BOUNDS.max} requests per 5 minutes (AWS WAF's bounds)`,
      },
      {
        field: "scope",
        value: props.scope,
        ok: props.scope === "REGIONAL" || props.provider !== undefined,
        message: "a CLOUDFRONT web ACL needs the us-east-1 provider (props.provider): CloudFront's web ACLs live there",
      },
    ]);
    const { name, provider } = props;
    const counting = props.mode === "count";
    const visibility = (metricName: string) => ({ cloudwatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true });
    this.metricName = name;
    this.mode = props.mode;
    const countOnly = COUNT_ONLY[props.scope];
    this.acl = new Wafv2WebAcl(this, "acl", {
      provider,
      name,
      // No parentheses: WAF refuses them in a description at apply time (WAF_DESCRIPTION).
      description: `${name}: AWS managed rules and a rate limit per client address, ${props.mode} mode`,
      scope: props.scope,
      defaultAction: { allow: {} },
      // Rule blocks, not rule_json: the provider detects drift in rule blocks only (its docs:
      // rule_json has "no drift detection"), and a firewall changed by hand must show in a plan.
      // The price: the nested rule schema makes each web ACL add about 3 s to a plan here.
      rule: [
        ...MANAGED_RULE_GROUPS.map((group, priority) => ({
          name: group,
          priority,
          // In count mode the group's rules count instead of acting (AWS WAF developer guide,
          // "Overriding rule group actions"); none keeps each rule's own action (block).
          overrideAction: counting ? { count: {} } : { none: {} },
          // The provider binding takes the statement as written in Terraform's own names.
          statement: {
            managed_rule_group_statement: {
              name: group,
              vendor_name: "AWS",
              ...(countOnly[group]
                ? { rule_action_override: countOnly[group].map((rule) => ({ name: rule, action_to_use: { count: {} } })) }
                : {}),
            },
          },
          visibilityConfig: visibility(`${name}-${group}`),
        })),
        {
          name: RATE_RULE,
          priority: MANAGED_RULE_GROUPS.length,
          action: counting ? { count: {} } : { block: {} },
          statement: { rate_based_statement: { limit: props.rateLimit, aggregate_key_type: "IP", evaluation_window_sec: 300 } },
          visibilityConfig: visibility(`${name}-${RATE_RULE}`),
        },
      ],
      visibilityConfig: visibility(name),
    });
    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      provider,
      name: `${WAF_LOG_GROUP_PREFIX}${name}`,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.logKeyArn,
      lifecycle: { preventDestroy: props.retain ?? false },
    });
    new Wafv2WebAclLoggingConfiguration(this, "logging", {
      provider,
      resourceArn: this.acl.arn,
      logDestinationConfigs: [this.logGroup.arn],
      // Credentials and sessions stay out of the logs.
      redactedFields: [{ singleHeader: { name: "authorization" } }, { singleHeader: { name: "cookie" } }],
    });
    if (props.alarm) {
      this.blockedAlarm = new CloudwatchMetricAlarm(this, "blocked", {
        provider,
        ...firewallAlarm(this, props.alarm.blockedRequests, props.alarm.region),
        alarmActions: [...props.alarm.actions],
        okActions: [...props.alarm.actions],
      });
    }
  }
}
