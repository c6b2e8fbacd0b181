/**
 * CloudWatch dashboards as data (docs/monitoring.md, "Dashboards"): the widgets a workload shows,
 * laid out into a dashboard body (CloudWatch API reference, "Dashboard body structure and syntax"),
 * and the metrics widgets and alarms may name, each with the dimensions AWS publishes it with. A
 * widget or an alarm on a metric that does not exist, or on other dimensions, shows nothing and
 * raises no error: the rule METRICS_MATCH_RESOURCES (modules/rules/metrics.ts) refuses it at synth.
 */

export const DASHBOARD_LEVELS = ["basic", "detailed"] as const;
/** "basic": traffic, errors, p99 latency, hosts, alarms; "detailed" adds rates, p50/p90, cache hits. */
export type DashboardLevel = (typeof DASHBOARD_LEVELS)[number];

/** One metric line of a graph. */
export interface Metric {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** Sum, Average, Maximum, p99... */
  readonly stat: string;
  readonly label?: string;
  /** The metric's id in the graph's metric math; `visible: false` when it only feeds an expression. */
  readonly id?: string;
  readonly visible?: boolean;
}

/** A metric math line: `expression` over the ids of the graph's metrics (e.g. 100 * m2 / m1). */
export interface Expression {
  readonly id: string;
  readonly expression: string;
  readonly label: string;
}

export interface GraphWidget {
  readonly type: "graph";
  readonly title: string;
  readonly metrics: readonly Metric[];
  readonly expressions?: readonly Expression[];
  /** @default - the dashboard's region; CloudFront's metrics exist in us-east-1 only */
  readonly region?: string;
  /** The left axis' label (Count, Seconds, Percent). */
  readonly unit: string;
  /** Seconds per data point. @default 300 */
  readonly period?: number;
}

/** A CloudWatch Logs Insights query's result (table): `query` starts with SOURCE '<log group>'. */
export interface LogWidget {
  readonly type: "log";
  readonly title: string;
  readonly region: string;
  readonly query: string;
}

export type Widget =
  | { readonly type: "text"; readonly markdown: string }
  | GraphWidget
  | LogWidget
  | { readonly type: "alarms"; readonly title: string; readonly alarmArns: readonly string[] };

/** The dashboard grid is 24 units wide; graphs take half of it. */
const GRID = 24;
const GRAPH = { width: 12, height: 6 };
/** Every graph's period: AWS/ApplicationELB and AWS/CloudFront publish each minute; 5 minutes reads better over days. */
const PERIOD = 300;

/** A metric as a dashboard's metrics array writes it: namespace, name, dimension pairs, options. */
export function metricLine(m: Metric): unknown[] {
  const options = Object.fromEntries(
    Object.entries({ stat: m.stat, label: m.label, id: m.id, visible: m.visible }).filter(([, v]) => v !== undefined),
  );
  return [m.namespace, m.name, ...Object.entries(m.dimensions).flat(), options];
}

/**
 * The dashboard body of `widgets`, in order: a text or alarm widget takes a row of its own, graphs
 * two to a row.
 */
/**
 * The dashboard's default time range (an ISO-8601 duration back from now, e.g. -P1D) and whether
 * graphs keep their own periods ("inherit") or adapt them to the range ("auto", CloudWatch's
 * default): "Dashboard body structure and syntax", start and periodOverride.
 */
export interface DashboardRange {
  readonly start: string;
  readonly periodOverride: "auto" | "inherit";
}

export function dashboardBody(
  widgets: readonly Widget[],
  region: string,
  range?: DashboardRange,
): { widgets: Record<string, unknown>[]; start?: string; periodOverride?: string } {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  const place = (width: number, height: number) => {
    if (x + width > GRID) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const at = { x, y, width, height };
    x += width;
    rowHeight = Math.max(rowHeight, height);
    return at;
  };
  const fullRow = (height: number) => {
    if (x > 0) place(GRID, 0);
    return place(GRID, height);
  };
  return {
    ...(range ?? {}),
    widgets: widgets.map((w) => {
      switch (w.type) {
        case "text":
          return { type: "text", ...fullRow(2), properties: { markdown: w.markdown } };
        case "alarms":
          return {
            type: "alarm",
            ...fullRow(2 + Math.ceil(w.alarmArns.length / 4)),
            properties: { title: w.title, alarms: w.alarmArns, sortBy: "stateUpdatedTimestamp" },
          };
        case "log":
          return {
            type: "log",
            ...place(GRAPH.width, GRAPH.height),
            properties: { title: w.title, region: w.region, query: w.query, view: "table" },
          };
        case "graph":
          return {
            type: "metric",
            ...place(GRAPH.width, GRAPH.height),
            properties: {
              title: w.title,
              view: "timeSeries",
              stacked: false,
              region: w.region ?? region,
              period: w.period ?? PERIOD,
              metrics: [...(w.expressions ?? []).map((e) => [{ ...e }]), ...w.metrics.map(metricLine)],
              yAxis: { left: { min: 0, label: w.unit, showUnits: false } },
            },
          };
      }
    }),
  };
}

/**
 * The metrics this project's widgets and alarms may name, per namespace, each with the sets of
 * dimensions AWS publishes it with. Sources: ELB user guide, "CloudWatch metrics for your
 * Application Load Balancer"; EC2 user guide, "Instance metrics" (per Auto Scaling group); Amazon
 * EC2 Auto Scaling user guide, "Amazon CloudWatch metrics for Amazon EC2 Auto Scaling" (group
 * metrics, published once the group enables them); CloudFront developer guide, "Monitoring
 * CloudFront metrics with Amazon CloudWatch" (us-east-1 only, Region = Global; CacheHitRate among
 * the additional metrics); AWS WAF developer guide, "AWS WAF metrics and dimensions".
 */
export const PUBLISHED_METRICS: Readonly<Record<string, Readonly<Record<string, readonly (readonly string[])[]>>>> = {
  "AWS/ApplicationELB": {
    RequestCount: [["LoadBalancer"], ["LoadBalancer", "TargetGroup"]],
    HTTPCode_Target_5XX_Count: [["LoadBalancer"], ["LoadBalancer", "TargetGroup"]],
    HTTPCode_Target_4XX_Count: [["LoadBalancer"], ["LoadBalancer", "TargetGroup"]],
    HTTPCode_ELB_5XX_Count: [["LoadBalancer"]],
    TargetResponseTime: [["LoadBalancer"], ["LoadBalancer", "TargetGroup"]],
    HealthyHostCount: [["LoadBalancer", "TargetGroup"]],
    UnHealthyHostCount: [["LoadBalancer", "TargetGroup"]],
  },
  "AWS/EC2": { CPUUtilization: [["AutoScalingGroupName"]] },
  // ECS developer guide, "Amazon ECS CloudWatch metrics": per service, by cluster and service name.
  "AWS/ECS": { CPUUtilization: [["ClusterName", "ServiceName"]], MemoryUtilization: [["ClusterName", "ServiceName"]] },
  "AWS/AutoScaling": {
    GroupDesiredCapacity: [["AutoScalingGroupName"]],
    GroupInServiceInstances: [["AutoScalingGroupName"]],
    GroupMaxSize: [["AutoScalingGroupName"]],
  },
  "AWS/CloudFront": Object.fromEntries(
    ["Requests", "4xxErrorRate", "5xxErrorRate", "TotalErrorRate", "CacheHitRate"].map((m) => [m, [["DistributionId", "Region"]]]),
  ),
  "AWS/WAFV2": Object.fromEntries(
    ["AllowedRequests", "BlockedRequests", "CountedRequests"].map((m) => [
      m,
      [
        ["Rule", "WebACL"],
        ["Region", "Rule", "WebACL"],
      ],
    ]),
  ),
};

/** The Auto Scaling group metrics the dashboards read: a group publishes them only once it enables them. */
export const GROUP_METRICS = Object.keys(PUBLISHED_METRICS["AWS/AutoScaling"]);

/** The namespaces whose metrics exist only in us-east-1 (CloudFront's; a CLOUDFRONT web ACL's have no Region). */
export const EDGE_ONLY_NAMESPACES = ["AWS/CloudFront"];
/** Where CloudFront publishes its metrics (CloudFront developer guide, "Monitoring CloudFront metrics"). */
export const EDGE_REGION = "us-east-1";

/** The metrics every environment's delivery log publishes (modules/constructs/delivery-events.ts), by their dimensions. */
export const DELIVERY_METRICS: Readonly<Record<string, readonly string[]>> = {
  PipelineExecutions: ["Pipeline", "State"],
  Deployments: ["Application", "DeploymentGroup", "State"],
};
