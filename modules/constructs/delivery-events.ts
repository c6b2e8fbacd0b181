import { Construct } from "constructs";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchLogMetricFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-metric-filter";
import { CloudwatchLogResourcePolicy } from "@cdktf/provider-aws/lib/cloudwatch-log-resource-policy";
import { arn, type AccountScope } from "../lib/arn";
import { policyDocument } from "../lib/policy";
import type { Widget } from "../lib/dashboard";

/** Where the environments' delivery event log groups live: `<prefix><env>`. */
export const deliveryEventsLogPrefix = (appName: string) => `/aws/events/${appName}/`;

/** The namespace of the metrics the delivery log's filters publish. */
export const deliveryNamespace = (appName: string) => `${appName}/Delivery`;

/** The pipeline and deployment results the dashboard graphs (EventBridge events' `state`). */
export const PIPELINE_RESULTS = ["SUCCEEDED", "FAILED", "STOPPED", "SUPERSEDED", "CANCELED"] as const;
export const DEPLOYMENT_RESULTS = ["SUCCESS", "FAILURE", "STOP"] as const;

export interface DeliveryEventsPolicyProps extends AccountScope {
  readonly appName: string;
}

/**
 * The build stack's one resource policy that lets EventBridge write into every environment's
 * delivery log group (EventBridge user guide, "Using resource-based policies for Amazon
 * EventBridge", CloudWatch Logs permissions). One for the project, not one per environment: an
 * account holds at most 10 CloudWatch Logs resource policies per region (PutResourcePolicy), and
 * previews come and go.
 */
export class DeliveryEventsPolicy extends Construct {
  readonly prefix: string;

  constructor(scope: Construct, id: string, props: DeliveryEventsPolicyProps) {
    super(scope, id);
    this.prefix = deliveryEventsLogPrefix(props.appName);
    new CloudwatchLogResourcePolicy(this, "policy", {
      policyName: `${props.appName}-delivery-events`,
      policyDocument: policyDocument([
        {
          sid: "EventBridgeWritesDeliveryEvents",
          principals: { Service: ["events.amazonaws.com", "delivery.logs.amazonaws.com"] },
          actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
          resources: [arn(props, "logs", `log-group:${this.prefix}*:*`)],
        },
      ]),
    });
  }
}

export interface DeliveryEventsProps {
  readonly appName: string;
  /** The environment's prefix (`<appName>-<env>`): the rules' names. */
  readonly name: string;
  /** The log group: build's prefix and the environment's name. */
  readonly logGroupName: string;
  readonly region: string;
  readonly kmsKeyArn: string;
  readonly retentionDays: number;
  readonly retain: boolean;
  /** The environment's pipelines, and the CodeDeploy applications its workloads deploy with. */
  readonly pipelineNames: readonly string[];
  readonly codeDeployApplications: readonly string[];
  /**
   * Record the environment's alarms' state changes (the time to restore).
   * @default true
   */
  readonly alarms?: boolean;
}

/**
 * The environment's delivery events, from what AWS already emits, with no code of ours: EventBridge
 * sends its pipelines' execution and stage events, and its CodeDeploy deployments' events, whole,
 * into a log group (CodePipeline user guide, "Monitoring CodePipeline events"; EventBridge,
 * "AWS CodeDeploy events"); metric filters count executions and deployments by result (CloudWatch
 * Logs, "Filter pattern syntax": hyphens are allowed in selectors, NOT EXISTS tells pipeline events
 * from stage events); a Logs Insights query reads each stage's duration.
 */
export class DeliveryEvents extends Construct {
  readonly logGroup: CloudwatchLogGroup;
  /** The graphs for the environment's dashboard. */
  readonly widgets: readonly Widget[];

  constructor(scope: Construct, id: string, props: DeliveryEventsProps) {
    super(scope, id);
    this.logGroup = new CloudwatchLogGroup(this, "log", {
      name: props.logGroupName,
      retentionInDays: props.retentionDays,
      kmsKeyId: props.kmsKeyArn,
      lifecycle: { preventDestroy: props.retain },
    });
    const sources: { id: string; source: string; detailTypes: string[]; detail: Record<string, unknown[]> }[] = [
      {
        id: "pipelines",
        source: "aws.codepipeline",
        detailTypes: ["CodePipeline Pipeline Execution State Change", "CodePipeline Stage Execution State Change"],
        detail: { pipeline: [...props.pipelineNames] },
      },
    ];
    if (props.codeDeployApplications.length) {
      sources.push({
        id: "deployments",
        source: "aws.codedeploy",
        detailTypes: ["CodeDeploy Deployment State-change Notification"],
        detail: { application: [...props.codeDeployApplications] },
      });
    }
    // The environment's alarms going into and out of ALARM: the time to restore (CloudWatch user
    // guide, "Alarm events and EventBridge"). A site's alarms change state in us-east-1, on that
    // region's bus: they are not among these.
    if (props.alarms !== false)
      sources.push({
        id: "alarms",
        source: "aws.cloudwatch",
        detailTypes: ["CloudWatch Alarm State Change"],
        detail: { alarmName: [{ prefix: `${props.name}-` }] },
      });
    for (const s of sources) {
      const rule = new CloudwatchEventRule(this, `${s.id}-rule`, {
        name: `${props.name}-delivery-${s.id}`,
        description: `Records the ${s.id}' events of ${props.name} in ${props.logGroupName}`,
        eventPattern: JSON.stringify({ source: [s.source], "detail-type": s.detailTypes, detail: s.detail }),
      });
      // The log group's ARN without the trailing ":*" (its `arn` attribute): events sent to the
      // ":*" form are reported never to arrive (aws-samples/serverless-patterns #221).
      new CloudwatchEventTarget(this, `${s.id}-to-log`, { rule: rule.name, arn: this.logGroup.arn });
    }
    const namespace = deliveryNamespace(props.appName);
    new CloudwatchLogMetricFilter(this, "executions", {
      name: `${props.name}-pipeline-executions`,
      logGroupName: this.logGroup.name,
      pattern: '{ $.detail-type = "CodePipeline Pipeline Execution State Change" && $.detail.stage NOT EXISTS }',
      metricTransformation: {
        namespace,
        name: "PipelineExecutions",
        value: "1",
        // Low cardinality only: a metric filter is disabled past 1,000 name/value pairs.
        dimensions: { Pipeline: "$.detail.pipeline", State: "$.detail.state" },
      },
    });
    if (props.codeDeployApplications.length) {
      new CloudwatchLogMetricFilter(this, "deployments", {
        name: `${props.name}-deployments`,
        logGroupName: this.logGroup.name,
        pattern: '{ $.detail-type = "CodeDeploy Deployment State-change Notification" }',
        metricTransformation: {
          namespace,
          name: "Deployments",
          value: "1",
          dimensions: { Application: "$.detail.application", DeploymentGroup: "$.detail.deploymentGroup", State: "$.detail.state" },
        },
      });
    }
    this.widgets = this.graphs(props, namespace);
  }

  private graphs(props: DeliveryEventsProps, namespace: string): Widget[] {
    const executions: Widget = {
      type: "graph",
      title: `${props.name}: pipeline executions by result`,
      unit: "Count",
      metrics: props.pipelineNames.flatMap((pipeline) =>
        PIPELINE_RESULTS.map((state) => ({
          namespace,
          name: "PipelineExecutions",
          dimensions: { Pipeline: pipeline, State: state },
          stat: "Sum",
          label: `${pipeline} ${state.toLowerCase()}`,
        })),
      ),
    };
    // Each stage's duration in each execution: from its STARTED event to its last one. Fields with
    // a hyphen are quoted in backticks (CloudWatch Logs Insights, "Fields that contain special characters").
    const durations: Widget = {
      type: "log",
      title: `${props.name}: stage durations (minutes), newest executions first`,
      region: props.region,
      query: [
        `SOURCE '${props.logGroupName}'`,
        "filter `detail-type` = 'CodePipeline Stage Execution State Change'",
        // Arithmetic takes numbers: the event time as milliseconds first (toMillis).
        "fields toMillis(@timestamp) as t",
        "stats (max(t) - min(t)) / 60000 as minutes, latest(`detail.state`) as result, max(t) as ended by `detail.pipeline`, `detail.stage`, `detail.execution-id`",
        "sort ended desc",
        "limit 50",
      ].join("\n| "),
    };
    const widgets: Widget[] = [executions, durations];
    if (props.codeDeployApplications.length) {
      widgets.push({
        type: "log",
        title: `${props.name}: deployments by group and result`,
        region: props.region,
        query: [
          `SOURCE '${props.logGroupName}'`,
          "filter `detail-type` = 'CodeDeploy Deployment State-change Notification' and `detail.state` in ['SUCCESS', 'FAILURE', 'STOP']",
          "stats count(*) as deployments by `detail.deploymentGroup`, `detail.state`",
        ].join("\n| "),
      });
    }
    return widgets;
  }
}

/** The parts of an ISO-8601 UTC date ("2019-10-02T17:20:03.642+0000"), as a Logs Insights parse regex. */
export const UTC_DATE_PARTS = String.raw`/^(?<y>\d{4})-(?<mo>\d{2})-(?<dd>\d{2})T(?<hh>\d{2}):(?<mi>\d{2}):(?<ss>\d{2})\.(?<ms>\d{3})/`;

/**
 * Milliseconds since 1970 from the parsed parts, in Logs Insights arithmetic (+ - * / and floor):
 * the days from a civil date (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms",
 * days_from_civil), then the time of day. Each step is `fields <expression> as <name>`.
 */
export const EPOCH_MILLIS_STEPS: readonly (readonly [expression: string, name: string])[] = [
  ["floor((14 - mo) / 12)", "a"],
  ["y - a", "yy"],
  ["mo + 12 * a - 3", "mm"],
  ["365 * yy + floor(yy / 4) - floor(yy / 100) + floor(yy / 400) + floor((153 * mm + 2) / 5) + dd - 719469", "days"],
  ["((days * 24 + hh) * 60 + mi) * 60 * 1000 + ss * 1000 + ms", "began"],
];

/** One workload's pipeline in one environment, for the project's delivery dashboard. */
export interface DeliveryPipeline {
  readonly environment: string;
  readonly workload: string;
  readonly pipeline: string;
  readonly production: boolean;
}

export interface DeliveryDashboardProps {
  readonly appName: string;
  readonly region: string;
  /** Every environment's pipelines (previews aside), in deploy order, production last. */
  readonly pipelines: readonly DeliveryPipeline[];
}

const quoted = (names: readonly string[]) => `[${names.map((n) => `'${n}'`).join(", ")}]`;

const DAY = 86_400;
const WEEK = 7 * DAY;

/**
 * The project's delivery metrics (docs/monitoring.md, "Delivery metrics"), per environment and
 * workload, from the environments' delivery events: deployment frequency (successful executions
 * per day) and change failure rate (failed executions in % of finished ones, per week) by metric
 * math on PipelineExecutions; lead time and time to restore by Logs Insights over every
 * environment's log group (SOURCE '<group>' | SOURCE ..., "Dashboard body structure", log widget;
 * two stats commands and a filter on the first one's fields, "Use multiple stats commands").
 */
export function deliveryWidgets(props: DeliveryDashboardProps): Widget[] {
  const namespace = deliveryNamespace(props.appName);
  const executions = (p: DeliveryPipeline, state: string, id: string, visible = true) => ({
    namespace,
    name: "PipelineExecutions",
    dimensions: { Pipeline: p.pipeline, State: state },
    stat: "Sum",
    label: `${p.environment} ${p.workload}`,
    id,
    ...(visible ? {} : { visible: false }),
  });
  const environments = [...new Set(props.pipelines.map((p) => p.environment))];
  const sources = environments.map((e) => `SOURCE '${deliveryEventsLogPrefix(props.appName)}${e}'`);
  const production = props.pipelines.filter((p) => p.production).map((p) => p.pipeline);
  const leadTime: Widget = {
    type: "log",
    title: "Lead time for changes (hours): a commit's first pipeline start to its production success",
    region: props.region,
    query: [
      ...sources,
      "filter `detail-type` = 'CodePipeline Pipeline Execution State Change' and ispresent(`detail.execution-trigger.commit-id`)",
      `filter \`detail.state\` = 'STARTED' or (\`detail.state\` = 'SUCCEEDED' and \`detail.pipeline\` in ${quoted(production)})`,
      "fields toMillis(@timestamp) as t",
      "stats (max(t) - min(t)) / 3600000 as hours, latest(`detail.pipeline`) as last_pipeline, latest(`detail.state`) as last_state by `detail.execution-trigger.commit-id`",
      `filter last_state = 'SUCCEEDED' and last_pipeline in ${quoted(production)}`,
      "stats avg(hours) as avg_hours, max(hours) as max_hours, count(*) as commits by last_pipeline",
    ].join("\n| "),
  };
  // The OK event carries when its ALARM began (previousState.timestamp, "2019-10-02T17:20:03.642+0000",
  // UTC). Logs Insights has no function that reads such a date (its date functions take timestamps:
  // "Datetime functions"), so the query parses its parts and counts the days since 1970 itself.
  const timeToRestore: Widget = {
    type: "log",
    title: "Time to restore (minutes): an alarm's ALARM to its OK, per alarm",
    region: props.region,
    query: [
      ...sources,
      "filter `detail-type` = 'CloudWatch Alarm State Change' and `detail.state.value` = 'OK' and `detail.previousState.value` = 'ALARM'",
      `parse \`detail.previousState.timestamp\` ${UTC_DATE_PARTS}`,
      ...EPOCH_MILLIS_STEPS.map(([expression, name]) => `fields ${expression} as ${name}`),
      "fields (toMillis(@timestamp) - began) / 60000 as minutes",
      "stats avg(minutes) as avg_minutes, max(minutes) as max_minutes, count(*) as restores by `detail.alarmName`",
    ].join("\n| "),
  };
  return [
    {
      type: "graph",
      title: "Deployment frequency: successful executions per day",
      unit: "Count",
      period: DAY,
      metrics: props.pipelines.map((p, i) => executions(p, "SUCCEEDED", `ok${i}`)),
    },
    {
      type: "graph",
      title: "Change failure rate: failed executions, % of finished ones, per week",
      unit: "Percent",
      period: WEEK,
      metrics: props.pipelines.flatMap((p, i) => [
        executions(p, "SUCCEEDED", `ok${i}`, false),
        executions(p, "FAILED", `failed${i}`, false),
      ]),
      expressions: props.pipelines.map((p, i) => ({
        id: `rate${i}`,
        expression: `100 * FILL(failed${i}, 0) / (FILL(failed${i}, 0) + FILL(ok${i}, 0))`,
        label: `${p.environment} ${p.workload}`,
      })),
    },
    leadTime,
    timeToRestore,
  ];
}
