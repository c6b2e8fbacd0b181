import { Construct } from "constructs";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";

export interface PipelineEventsProps {
  readonly ruleName: string;
  /** The environment's pipelines: the service's and each static site's. */
  readonly pipelineNames: readonly string[];
  readonly topicArn: string;
  /** @default false - only failures are sent */
  readonly notifyOnSuccess?: boolean;
}

/** Sends the pipelines' failed (and, where configured, succeeded) executions to the topic. */
export class PipelineEvents extends Construct {
  readonly rule: CloudwatchEventRule;

  constructor(scope: Construct, id: string, props: PipelineEventsProps) {
    super(scope, id);
    const states = props.notifyOnSuccess ? ["FAILED", "SUCCEEDED"] : ["FAILED"];
    this.rule = new CloudwatchEventRule(this, "rule", {
      name: props.ruleName,
      // EventBridge allows 512 characters: the pipelines are in the pattern, not listed here.
      description: `Executions of ${props.pipelineNames[0]}${props.pipelineNames.length > 1 ? ` and ${props.pipelineNames.length - 1} other pipeline(s)` : ""} that ended ${states.join(" or ")}`,
      eventPattern: JSON.stringify({
        source: ["aws.codepipeline"],
        "detail-type": ["CodePipeline Pipeline Execution State Change"],
        detail: { pipeline: [...props.pipelineNames], state: states },
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
