import { Construct } from "constructs";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { denyInsecureTransport, policyDocument, type PolicyStatement } from "../lib/policy";
import { arn } from "../lib/arn";
import { Lazy } from "../lib/cdk";

export interface AlertsProps {
  /** Prefix of the topic, alarm and rule names. */
  readonly name: string;
  readonly accountId: string;
  readonly region: string;
  /** Customer-managed key whose policy lets CloudWatch and EventBridge use it. */
  readonly kmsKeyArn: string;
  /** @default [] */
  readonly emails?: readonly string[];
}

/**
 * The environment's notification topic: SNS encrypted with the environment's customer-managed key,
 * publishable by this environment's alarms and pipeline rule over TLS only, with email subscribers.
 */
export class AlertTopic extends Construct {
  /** The topic's name for an environment prefix (known at synth, for policies). */
  static topicName(name: string): string {
    return `${name}-alerts`;
  }

  readonly topic: SnsTopic;
  private readonly statements: PolicyStatement[] = [];
  private readonly publishers: string[] = [];
  readonly pipelineRuleName: string;
  /** The rule that brings the static sites' alarms (in us-east-1) to the topic (SiteAlarms). */
  readonly siteAlarmRuleName: string;

  constructor(scope: Construct, id: string, props: AlertsProps) {
    super(scope, id);
    const { name, accountId } = props;
    this.pipelineRuleName = `${name}-pipeline-events`;
    this.siteAlarmRuleName = `${name}-site-alarms`;
    this.topic = new SnsTopic(this, "topic", { name: AlertTopic.topicName(name), kmsMasterKeyId: props.kmsKeyArn });
    new SnsTopicPolicy(this, "policy", {
      arn: this.topic.arn,
      // Rendered at synth: the pipelines of another account that publish approvals come later (addPublisher).
      policy: Lazy.stringValue({ produce: () => policyDocument(this.statements) }),
    });
    this.statements.push(
      {
        sid: "EnvironmentAlarmsPublish",
        principals: { Service: "cloudwatch.amazonaws.com" },
        actions: ["sns:Publish"],
        resources: [this.topic.arn],
        conditions: {
          StringEquals: { "aws:SourceAccount": accountId },
          ArnLike: { "aws:SourceArn": arn(props, "cloudwatch", `alarm:${name}-*`) },
        },
      },
      {
        sid: "EnvironmentRulesPublish",
        principals: { Service: "events.amazonaws.com" },
        actions: ["sns:Publish"],
        resources: [this.topic.arn],
        conditions: {
          ArnEquals: {
            "aws:SourceArn": [this.pipelineRuleName, this.siteAlarmRuleName].map((rule) => arn(props, "events", `rule/${rule}`)),
          },
        },
      },
      denyInsecureTransport([this.topic.arn], ["sns:Publish"]),
    );
    for (const email of props.emails ?? []) {
      new SnsTopicSubscription(this, `email-${email}`, { topicArn: this.topic.arn, protocol: "email", endpoint: email });
    }
  }

  get arn(): string {
    return this.topic.arn;
  }

  /**
   * Lets roles of another account publish (the tooling account's pipelines, for their approval
   * requests: CodePipeline publishes with the pipeline's role; CodePipeline user guide, "Grant
   * Amazon SNS permissions to a CodePipeline service role").
   */
  addPublisher(roleArn: string): void {
    if (!this.publishers.length) {
      this.statements.splice(this.statements.length - 1, 0, {
        sid: "ToolingPipelinesPublishApprovals",
        principals: { AWS: this.publishers },
        actions: ["sns:Publish"],
        resources: [this.topic.arn],
      });
    }
    this.publishers.push(roleArn);
  }

  /** Publishing to the topic (with its key's grant, since the topic is encrypted). */
  grantPublish(): PolicyStatement[] {
    return [{ sid: "NotifyApprovers", actions: ["sns:Publish"], resources: [this.arn] }];
  }
}
