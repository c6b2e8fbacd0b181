import { Construct } from "constructs";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { ServiceRole } from "./service-role";
import { EDGE_REGION } from "../config/regions";
import { arn } from "../lib/arn";
import { inRange, validateProps } from "../lib/props";
import { firewallAlarm } from "./web-firewall";
import type { FirewallMode } from "../lib/firewall";

/** EventBridge's default limit on an event pattern's length (EventBridge user guide, "Quotas"). */
export const MAX_EVENT_PATTERN = 2048;

export interface SiteAlarmsProps {
  /** Prefix of the alarm, rule and role names: the environment's. */
  readonly name: string;
  readonly accountId: string;
  /** The environment's region, where its topic is. */
  readonly region: string;
  /** A provider for us-east-1, where CloudFront publishes its metrics. */
  readonly edgeProvider: AwsProvider;
  /** Each site's name and distribution id, and the web firewall WebFirewall made for it, if any. */
  readonly sites: readonly {
    readonly name: string;
    readonly distributionId: string;
    readonly firewall?: { readonly metricName: string; readonly mode: Exclude<FirewallMode, "off"> };
  }[];
  /** The share of 5xx responses, in percent over 5 minutes, that raises a site's alarm. */
  readonly errorRatePercent: number;
  /** Requests a site's web ACL blocks (counts, in count mode) in 5 minutes that raise its alarm. */
  readonly blockedRequests: number;
  /** The environment's topic, and the rule name its policy lets publish (AlertTopic.siteAlarmRuleName). */
  readonly topicArn: string;
  readonly ruleName: string;
}

/**
 * Each static site's 5xx-rate alarm, and its web firewall's blocked-requests alarm where it has
 * one (firewallAlarm), notifying the environment's topic.
 *
 * CloudFront publishes its metrics in us-east-1 only (CloudFront developer guide, "Monitoring
 * CloudFront metrics with CloudWatch"), and an alarm can notify only a topic of its own region. So
 * the alarms carry no actions: their state changes, which CloudWatch sends to EventBridge
 * ("Alarm events and EventBridge"), are forwarded from us-east-1's default bus to the environment
 * region's (EventBridge user guide, "Sending and receiving events between AWS Regions"), where one
 * rule publishes them to the environment's topic, as the pipeline events are. In us-east-1 itself
 * the rule there publishes directly.
 */
/** A site's error-rate alarm, in us-east-1 (its pipeline's bake watches it too). */
export function siteErrorAlarmName(environmentName: string, site: string): string {
  return `${environmentName}-${site}-5xx-rate`;
}

export class SiteAlarms extends Construct {
  readonly alarms: CloudwatchMetricAlarm[];
  /** Each site web ACL's blocked-requests alarm, routed to the topic like the 5xx alarms. */
  readonly firewallAlarms: CloudwatchMetricAlarm[];
  readonly rule: CloudwatchEventRule;
  readonly forwarder?: CloudwatchEventRule;
  readonly forwarderRole?: ServiceRole;

  constructor(scope: Construct, id: string, props: SiteAlarmsProps) {
    super(scope, id);
    validateProps(this, "modules/constructs/site-alarms.ts", [
      {
        field: "errorRatePercent",
        value: props.errorRatePercent,
        ok: inRange(props.errorRatePercent, 1, 100),
        message: "must be a whole percentage from 1 to 100",
      },
    ]);
    const edge = { accountId: props.accountId, region: EDGE_REGION };
    const alarmNames = props.sites.map((site) => siteErrorAlarmName(props.name, site.name));
    this.alarms = props.sites.map(
      (site, i) =>
        new CloudwatchMetricAlarm(this, `${site.name}-5xx-rate`, {
          provider: props.edgeProvider,
          alarmName: alarmNames[i],
          alarmDescription: `Static site ${site.name} answered 5xx to more than ${props.errorRatePercent}% of requests`,
          namespace: "AWS/CloudFront",
          metricName: "5xxErrorRate",
          dimensions: { DistributionId: site.distributionId, Region: "Global" },
          statistic: "Average",
          period: 300,
          evaluationPeriods: 1,
          threshold: props.errorRatePercent,
          comparisonOperator: "GreaterThanThreshold",
          treatMissingData: "notBreaching",
        }),
    );
    const firewallAlarms = props.sites.flatMap((site) =>
      site.firewall ? [{ site: site.name, ...firewallAlarm(site.firewall, props.blockedRequests) }] : [],
    );
    this.firewallAlarms = firewallAlarms.map(
      ({ site, ...alarm }) => new CloudwatchMetricAlarm(this, `${site}-waf-blocked`, { provider: props.edgeProvider, ...alarm }),
    );
    const pattern = JSON.stringify({
      source: ["aws.cloudwatch"],
      "detail-type": ["CloudWatch Alarm State Change"],
      resources: [...alarmNames, ...firewallAlarms.map((a) => a.alarmName)].map((alarm) => arn(edge, "cloudwatch", `alarm:${alarm}`)),
    });
    // EventBridge refuses a pattern over 2,048 characters at apply time (EventBridge quotas, "Event
    // pattern": adjustable to 4,096); each site's alarms add two ARNs to it.
    validateProps(this, "modules/constructs/site-alarms.ts", [
      {
        field: "sites",
        value: props.sites.map((x) => x.name),
        ok: pattern.length <= MAX_EVENT_PATTERN,
        message: `make an event pattern of ${pattern.length} characters, more than EventBridge's ${MAX_EVENT_PATTERN}: fewer sites per environment, or shorter names`,
      },
    ]);
    this.rule = new CloudwatchEventRule(this, "rule", {
      name: props.ruleName,
      description: `State changes of ${props.name}'s static-site alarms`,
      eventPattern: pattern,
    });
    new CloudwatchEventTarget(this, "to-topic", {
      rule: this.rule.name,
      arn: props.topicArn,
      inputTransformer: {
        inputPaths: { alarm: "$.detail.alarmName", state: "$.detail.state.value", reason: "$.detail.state.reason" },
        inputTemplate: '"Alarm <alarm> is <state>: <reason>"',
      },
    });
    if (props.region === EDGE_REGION) return;

    const bus = arn(props, "events", "event-bus/default");
    const forwarderName = `${props.name}-site-alarms-forward`;
    this.forwarderRole = new ServiceRole(this, "forward-role", {
      roleName: forwarderName,
      service: "events.amazonaws.com",
      accountId: props.accountId,
      sourceArns: [arn(edge, "events", `rule/${forwarderName}`)],
      statements: [{ sid: "PutEventsOnEnvironmentBus", actions: ["events:PutEvents"], resources: [bus] }],
    });
    this.forwarder = new CloudwatchEventRule(this, "forward", {
      provider: props.edgeProvider,
      name: forwarderName,
      description: `Forwards ${props.name}'s static-site alarm state changes to ${props.region}`,
      eventPattern: pattern,
    });
    new CloudwatchEventTarget(this, "forward-target", {
      provider: props.edgeProvider,
      rule: this.forwarder.name,
      arn: bus,
      roleArn: this.forwarderRole.arn,
      dependsOn: this.forwarderRole.grants,
    });
  }
}
