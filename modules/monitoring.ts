import { Construct } from "constructs";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { denyInsecureTransport, policyDocument } from "./iam";
import { arn } from "./arn";

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
  readonly pipelineRuleName: string;

  constructor(scope: Construct, id: string, props: AlertsProps) {
    super(scope, id);
    const { name, accountId } = props;
    this.pipelineRuleName = `${name}-pipeline-events`;
    this.topic = new SnsTopic(this, "topic", { name: AlertTopic.topicName(name), kmsMasterKeyId: props.kmsKeyArn });
    new SnsTopicPolicy(this, "policy", {
      arn: this.topic.arn,
      policy: policyDocument([
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
          sid: "PipelineEventsRulePublishes",
          principals: { Service: "events.amazonaws.com" },
          actions: ["sns:Publish"],
          resources: [this.topic.arn],
          conditions: {
            ArnEquals: { "aws:SourceArn": arn(props, "events", `rule/${this.pipelineRuleName}`) },
          },
        },
        denyInsecureTransport([this.topic.arn], ["sns:Publish"]),
      ]),
    });
    for (const email of props.emails ?? []) {
      new SnsTopicSubscription(this, `email-${email}`, { topicArn: this.topic.arn, protocol: "email", endpoint: email });
    }
  }

  get arn(): string {
    return this.topic.arn;
  }
}

export interface HealthAlarmsProps {
  readonly name: string;
  readonly topicArn: string;
  readonly loadBalancerArnSuffix: string;
  readonly targetGroupArnSuffix: string;
  readonly autoScalingGroupName: string;
  readonly http5xxCount: number;
  readonly unhealthyHosts: number;
  readonly cpuPercent: number;
}

/**
 * Alarms on the environment's health, each notifying the topic; the 5xx and unhealthy-hosts alarms
 * also stop and roll back a deployment. CodeDeploy stops a deployment when any of its alarms is in
 * ALARM, also at the start (CodeDeploy user guide, "Monitoring deployments with CloudWatch
 * alarms"): before the first revision the instances' bootstrap responder (modules/compute.ts)
 * keeps the targets healthy, so the unhealthy-hosts alarm is OK when the first deployment starts.
 */
export class HealthAlarms extends Construct {
  readonly http5xx: CloudwatchMetricAlarm;
  readonly unhealthyHosts: CloudwatchMetricAlarm;
  readonly cpu: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: HealthAlarmsProps) {
    super(scope, id);
    const common = {
      alarmActions: [props.topicArn],
      okActions: [props.topicArn],
      treatMissingData: "notBreaching",
      comparisonOperator: "GreaterThanOrEqualToThreshold",
    };
    const albDimensions = { LoadBalancer: props.loadBalancerArnSuffix, TargetGroup: props.targetGroupArnSuffix };
    this.http5xx = new CloudwatchMetricAlarm(this, "http-5xx", {
      ...common,
      alarmName: `${props.name}-http-5xx`,
      alarmDescription: "The application answered 5xx too often",
      namespace: "AWS/ApplicationELB",
      metricName: "HTTPCode_Target_5XX_Count",
      dimensions: albDimensions,
      statistic: "Sum",
      period: 300,
      evaluationPeriods: 1,
      threshold: props.http5xxCount,
    });
    this.unhealthyHosts = new CloudwatchMetricAlarm(this, "unhealthy-hosts", {
      ...common,
      alarmName: `${props.name}-unhealthy-hosts`,
      alarmDescription: "Targets fail the ALB health check",
      namespace: "AWS/ApplicationELB",
      metricName: "UnHealthyHostCount",
      dimensions: albDimensions,
      statistic: "Maximum",
      period: 60,
      evaluationPeriods: 3,
      threshold: props.unhealthyHosts,
    });
    this.cpu = new CloudwatchMetricAlarm(this, "cpu", {
      ...common,
      alarmName: `${props.name}-cpu-high`,
      alarmDescription: "Average CPU of the Auto Scaling group is high",
      namespace: "AWS/EC2",
      metricName: "CPUUtilization",
      dimensions: { AutoScalingGroupName: props.autoScalingGroupName },
      statistic: "Average",
      period: 300,
      evaluationPeriods: 2,
      threshold: props.cpuPercent,
    });
  }

  /** The alarms that stop and roll back a deployment in progress. */
  get deploymentAlarms(): CloudwatchMetricAlarm[] {
    return [this.http5xx, this.unhealthyHosts];
  }
}

export interface PipelineEventsProps {
  readonly ruleName: string;
  readonly pipelineName: string;
  readonly topicArn: string;
  /** @default false - only failures are sent */
  readonly notifyOnSuccess?: boolean;
}

/** Sends the pipeline's failed (and, where configured, succeeded) executions to the topic. */
export class PipelineEvents extends Construct {
  readonly rule: CloudwatchEventRule;

  constructor(scope: Construct, id: string, props: PipelineEventsProps) {
    super(scope, id);
    const states = props.notifyOnSuccess ? ["FAILED", "SUCCEEDED"] : ["FAILED"];
    this.rule = new CloudwatchEventRule(this, "rule", {
      name: props.ruleName,
      description: `Executions of ${props.pipelineName} that ended ${states.join(" or ")}`,
      eventPattern: JSON.stringify({
        source: ["aws.codepipeline"],
        "detail-type": ["CodePipeline Pipeline Execution State Change"],
        detail: { pipeline: [props.pipelineName], state: states },
      }),
    });
    new CloudwatchEventTarget(this, "to-topic", {
      rule: this.rule.name,
      arn: props.topicArn,
      inputTransformer: {
        inputPaths: { pipeline: "$.detail.pipeline", state: "$.detail.state", execution: "$.detail.execution-id" },
        inputTemplate: '"Pipeline <pipeline> execution <execution> ended <state>."',
      },
    });
  }
}
