/** Metrics named by alarms and dashboards: they exist, with the dimensions and resources they name. */
import type { Attrs, Resource, Rule, StackView } from "./engine";
import { DELIVERY_METRICS, EDGE_ONLY_NAMESPACES, EDGE_REGION, PUBLISHED_METRICS } from "../lib/dashboard";

/** A metric as an alarm or a dashboard names it, and where it is read. */
interface NamedMetric {
  readonly where: string;
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** Where it is read: an alarm's provider's region, a graph's region (undefined: the stack's). */
  readonly region?: string;
}

/** The resource a dimension's value refers to: its type and the attribute that names it in CloudWatch. */
const REFERENCES: Readonly<Record<string, { readonly type: string; readonly attribute: string }>> = {
  LoadBalancer: { type: "aws_lb", attribute: "arn_suffix" },
  TargetGroup: { type: "aws_lb_target_group", attribute: "arn_suffix" },
  AutoScalingGroupName: { type: "aws_autoscaling_group", attribute: "name" },
  DistributionId: { type: "aws_cloudfront_distribution", attribute: "id" },
};

function alarmMetrics(r: Resource): NamedMetric[] {
  const region = r.attrs.provider === "aws.us_east_1" ? "us-east-1" : undefined;
  const queries: Attrs[] = r.attrs.metric_query ?? [];
  const metrics = r.attrs.metric_name
    ? [{ namespace: r.attrs.namespace, metric_name: r.attrs.metric_name, dimensions: r.attrs.dimensions }]
    : queries.flatMap((q) => q.metric ?? []);
  return metrics.map((m: Attrs) => ({
    where: `the alarm ${r.attrs.alarm_name}`,
    namespace: String(m.namespace),
    name: String(m.metric_name),
    dimensions: m.dimensions ?? {},
    region,
  }));
}

function dashboardMetrics(r: Resource): NamedMetric[] {
  const body = JSON.parse(String(r.attrs.dashboard_body)) as { widgets: Attrs[] };
  return body.widgets
    .filter((w) => w.type === "metric")
    .flatMap((w) =>
      (w.properties.metrics as unknown[][])
        .filter((line) => typeof line[0] === "string")
        .map((line) => {
          const parts = typeof line[line.length - 1] === "object" ? line.slice(0, -1) : line;
          const [namespace, name, ...pairs] = parts as string[];
          const dimensions: Record<string, string> = {};
          for (let i = 0; i < pairs.length; i += 2) dimensions[pairs[i]] = pairs[i + 1];
          return { where: `the graph "${w.properties.title}"`, namespace, name, dimensions, region: w.properties.region };
        }),
    );
}

/** What is wrong with one named metric: each problem would leave its graph or alarm empty. */
function metricProblems(m: NamedMetric, stack: StackView): string[] {
  const at = `${m.where} names ${m.namespace} ${m.name}`;
  const keys = Object.keys(m.dimensions).sort();
  if (!m.namespace.startsWith("AWS/")) {
    // A metric of ours: one of the stack's metric filters must publish it, by these dimensions.
    const published = stack.ofType("aws_cloudwatch_log_metric_filter").some((f) => {
      const t = [f.attrs.metric_transformation].flat()[0] ?? {};
      return (
        t.namespace === m.namespace &&
        t.name === m.name &&
        Object.keys(t.dimensions ?? {})
          .sort()
          .join() === keys.join()
      );
    });
    // The project's delivery dashboard (build) reads what every environment's delivery log publishes.
    const delivery =
      m.namespace.endsWith("/Delivery") &&
      !stack.ofType("aws_cloudwatch_log_metric_filter").length &&
      keys.length > 0 &&
      [...(DELIVERY_METRICS[m.name] ?? [])].sort().join() === keys.join();
    if (delivery) return [];
    return published ? [] : [`${at} by ${keys.join(", ") || "no dimension"}, which no metric filter of this stack publishes`];
  }
  const sets = PUBLISHED_METRICS[m.namespace]?.[m.name];
  if (!sets) return [`${at}, which is not a metric AWS publishes (modules/lib/dashboard.ts, PUBLISHED_METRICS)`];
  const problems: string[] = [];
  if (!sets.some((s) => s.join() === keys.join())) {
    problems.push(`${at} by ${keys.join(", ") || "no dimension"}, where AWS publishes it by ${sets.map((s) => s.join(", ")).join(" or ")}`);
  }
  for (const [key, value] of Object.entries(m.dimensions)) {
    const ref = REFERENCES[key];
    if (!ref) continue;
    const found = new RegExp(`^\\$\\{${ref.type}\\.([\\w-]+)\\.${ref.attribute}\\}$`).exec(value);
    if (!found || !stack.ofType(ref.type).some((r) => r.id === found[1])) {
      problems.push(`${at} with ${key} = ${value}, which is not the ${ref.attribute} of a ${ref.type} of this stack`);
    }
  }
  const edgeOnly = EDGE_ONLY_NAMESPACES.includes(m.namespace) || (m.namespace === "AWS/WAFV2" && m.dimensions.Region === undefined);
  const readIn = m.region ?? stack.region;
  if (edgeOnly && readIn !== EDGE_REGION) problems.push(`${at}, published in ${EDGE_REGION} only, but reads it in ${readIn}`);
  if (!edgeOnly && readIn !== stack.region)
    problems.push(`${at}, published in the stack's region ${stack.region}, but reads it in ${readIn}`);
  if (m.namespace === "AWS/WAFV2" && m.dimensions.Region !== undefined && m.dimensions.Region !== stack.region) {
    problems.push(`${at} with Region = ${m.dimensions.Region}: a regional web ACL of this stack reports in ${stack.region}`);
  }
  if (m.namespace === "AWS/CloudFront" && m.dimensions.Region !== "Global") {
    problems.push(`${at} with Region = ${m.dimensions.Region}: CloudFront publishes with Region = Global`);
  }
  if (m.namespace === "AWS/WAFV2") {
    const acls = stack.ofType("aws_wafv2_web_acl").map((a) => [a.attrs.visibility_config].flat()[0]?.metric_name);
    if (!acls.includes(m.dimensions.WebACL))
      problems.push(`${at} with WebACL = ${m.dimensions.WebACL}, the metric name of no web ACL of this stack`);
  }
  return problems;
}

export const METRICS: Rule[] = [
  {
    id: "METRICS_MATCH_RESOURCES",
    controls: ["project policy: an alarm or graph on a wrong metric or dimension shows nothing (docs/monitoring.md, Dashboards)"],
    description:
      "Alarms and dashboards name metrics AWS publishes, by their dimensions, for resources of the stack, in the metric's region",
    fix: "name the metric and dimensions as PUBLISHED_METRICS (modules/lib/dashboard.ts) lists them, with references to the stack's own resources",
    types: ["aws_cloudwatch_metric_alarm", "aws_cloudwatch_dashboard"],
    check: (r, stack) => {
      const metrics = r.type === "aws_cloudwatch_dashboard" ? dashboardMetrics(r) : alarmMetrics(r);
      const problems = metrics.flatMap((m) => metricProblems(m, stack));
      return problems.length ? problems.join("; ") : undefined;
    },
  },
];
