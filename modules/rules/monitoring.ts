/** Logs, notification topics and alarms. */
import type { Rule } from "./engine";
import { deniesInsecureTransport } from "./policy-reader";

export const LOGS_AND_TOPICS: Rule[] = [
  {
    id: "LOGS_RETENTION",
    controls: ["CKV_AWS_66"],
    description: "Log groups have a retention period",
    fix: "set retention_in_days (logRetentionDays in the environment file)",
    types: ["aws_cloudwatch_log_group"],
    check: (r) => (Number(r.attrs.retention_in_days ?? 0) > 0 ? undefined : "logs are kept forever"),
  },
  {
    id: "SNS_ENCRYPTED_WITH_CMK",
    controls: ["CKV_AWS_26"],
    description: "SNS topics are encrypted with a customer-managed KMS key",
    fix: "set kms_master_key_id to a customer-managed key",
    types: ["aws_sns_topic"],
    check: (r) =>
      r.attrs.kms_master_key_id && !String(r.attrs.kms_master_key_id).startsWith("alias/aws/")
        ? undefined
        : "the topic is not encrypted with a customer key",
  },
  {
    id: "SNS_TLS_ONLY",
    controls: ["AWS SNS best practice: enforce encryption in transit"],
    description: "SNS topic policies deny publishing without TLS",
    fix: "add a Deny statement with Bool aws:SecureTransport = false to the topic policy",
    types: ["aws_sns_topic"],
    check: (r, stack) => {
      const policies = stack.referring("aws_sns_topic_policy", "arn", r);
      return policies.some((p) => deniesInsecureTransport(p.attrs.policy)) ? undefined : "publishing without TLS is not denied";
    },
  },
  {
    id: "FLEET_LATENCY_ALARM_IN_PRODUCTION",
    controls: [
      "project policy: production alarms on slow responses (docs/architecture.md, Day one: what the stacks do so that a real account works)",
    ],
    description: "Every production fleet (target group) has an alarm on a high percentile of its response time that notifies",
    fix: "keep the service's latency alarm (modules/constructs/health-alarms.ts); alarms.latencyP99Seconds sets its threshold",
    types: ["aws_lb_target_group"],
    check: (r, stack) => {
      if (stack.facts.tier !== "production") return undefined;
      const watching = stack
        .referring("aws_cloudwatch_metric_alarm", "dimensions", r)
        .filter(
          (a) =>
            a.attrs.namespace === "AWS/ApplicationELB" &&
            a.attrs.metric_name === "TargetResponseTime" &&
            /^p(9[5-9](\.\d+)?|100)$/.test(String(a.attrs.extended_statistic ?? "")) &&
            Array.isArray(a.attrs.alarm_actions) &&
            a.attrs.alarm_actions.length > 0,
        );
      return watching.length ? undefined : "no alarm notifies when its responses slow down (TargetResponseTime at p95 or above)";
    },
  },
];
