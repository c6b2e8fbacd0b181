/** Logs and notification topics. */
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
];
