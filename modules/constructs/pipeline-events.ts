import { Construct } from "constructs";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { ServiceRole } from "./service-role";
import { arn } from "../lib/arn";

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

export interface EventForwardingProps {
  /** The rule's and its role's name (the receiving bus's policy names the rule). */
  readonly name: string;
  /** The account the rule runs in, and the account whose default bus receives the events. */
  readonly accountId: string;
  readonly destinationAccountId: string;
  readonly region: string;
  /** The events to send (an EventBridge event pattern), and what they are, for the rule's description. */
  readonly eventPattern: Readonly<Record<string, unknown>>;
  readonly description: string;
  /** The target's construct id (an address). @default "to-destination" */
  readonly targetId?: string;
}

/**
 * Sends the events a pattern matches to the default event bus of another account, where that
 * account's rules take them as they would their own (EventBridge user guide, "Sending and
 * receiving events between AWS accounts": the target is the other bus, sent with a role of the
 * sender's account; the receiving bus's policy admits this rule only, by aws:SourceArn).
 */
export class EventForwarding extends Construct {
  readonly rule: CloudwatchEventRule;

  constructor(scope: Construct, id: string, props: EventForwardingProps) {
    super(scope, id);
    const busArn = `arn:aws:events:${props.region}:${props.destinationAccountId}:event-bus/default`;
    this.rule = new CloudwatchEventRule(this, "rule", {
      name: props.name,
      description: props.description,
      eventPattern: JSON.stringify(props.eventPattern),
    });
    const role = new ServiceRole(this, "role", {
      roleName: props.name,
      service: "events.amazonaws.com",
      accountId: props.accountId,
      sourceArns: [arn(props, "events", `rule/${props.name}`)],
      statements: [{ sid: "PutOnEnvironmentsBus", actions: ["events:PutEvents"], resources: [busArn] }],
    });
    new CloudwatchEventTarget(this, props.targetId ?? "to-destination", { rule: this.rule.name, arn: busArn, roleArn: role.arn });
  }
}

export interface PipelineEventForwardingProps {
  /** The rule's and its role's name (the account bootstrap's bus policy names the rule). */
  readonly name: string;
  /** The tooling account (where the rule runs) and the environment's account (where its bus is). */
  readonly accountId: string;
  readonly environmentAccountId: string;
  readonly region: string;
  readonly pipelineNames: readonly string[];
}

/**
 * In the tooling account: sends every event of an environment's pipelines to the default event bus
 * of the environment's account, where its notification and delivery-events rules take them as
 * they would their own; the bus's policy, set by the account's bootstrap, admits this rule only.
 */
export class PipelineEventForwarding extends EventForwarding {
  constructor(scope: Construct, id: string, props: PipelineEventForwardingProps) {
    super(scope, id, {
      name: props.name,
      accountId: props.accountId,
      destinationAccountId: props.environmentAccountId,
      region: props.region,
      eventPattern: { source: ["aws.codepipeline"], detail: { pipeline: [...props.pipelineNames] } },
      description: `Every event of ${props.pipelineNames.length} pipeline(s), to account ${props.environmentAccountId}`,
      targetId: "to-environment",
    });
  }
}
