/**
 * Each workload kind's graphs on its environment's dashboard (docs/monitoring.md, "Dashboards"),
 * as data: "basic" shows traffic, errors, the p99 response time, hosts and capacity; "detailed"
 * adds error rates, p50 and p90, the load balancer's own 5xx and a site's cache hit rate.
 */
import { EDGE_REGION, type DashboardLevel, type Expression, type Metric, type Widget } from "../lib/dashboard";

/** One fleet of the service: its target group and Auto Scaling group, labelled by its slot. */
export interface FleetMetrics {
  readonly label: string;
  readonly targetGroupArnSuffix: string;
  readonly autoScalingGroupName: string;
}

const ELB = "AWS/ApplicationELB";

/** The service's graphs: one line per fleet (blue and green in blue/green). */
export function serviceWidgets(
  name: string,
  level: DashboardLevel,
  loadBalancerArnSuffix: string,
  fleets: readonly FleetMetrics[],
): Widget[] {
  const detailed = level === "detailed";
  const byFleet = (metric: string, stat: string, what = "") =>
    fleets.map((f, i): Metric => ({
      namespace: ELB,
      name: metric,
      dimensions: { LoadBalancer: loadBalancerArnSuffix, TargetGroup: f.targetGroupArnSuffix },
      stat,
      label: `${f.label}${what}`,
      id: `${metric.replace(/[^A-Za-z0-9]/g, "").toLowerCase()}${i}`,
    }));
  const byGroup = (namespace: string, metric: string, stat: string, what = "") =>
    fleets.map((f): Metric => ({
      namespace,
      name: metric,
      dimensions: { AutoScalingGroupName: f.autoScalingGroupName },
      stat,
      label: `${f.label}${what}`,
    }));
  const percentiles = detailed ? ["p50", "p90", "p99"] : ["p99"];
  const widgets: Widget[] = [
    { type: "graph", title: `${name}: requests`, unit: "Count", metrics: byFleet("RequestCount", "Sum") },
    {
      type: "graph",
      title: `${name}: target 5xx and 4xx responses`,
      unit: "Count",
      metrics: [...byFleet("HTTPCode_Target_5XX_Count", "Sum", " 5xx"), ...byFleet("HTTPCode_Target_4XX_Count", "Sum", " 4xx")],
    },
    {
      type: "graph",
      title: `${name}: response time (${percentiles.join(", ")})`,
      unit: "Seconds",
      metrics: percentiles.flatMap((p) => byFleet("TargetResponseTime", p, ` ${p}`).map(({ id: _id, ...m }) => m)),
    },
    {
      type: "graph",
      title: `${name}: healthy and unhealthy hosts`,
      unit: "Count",
      metrics: [...byFleet("HealthyHostCount", "Minimum", " healthy"), ...byFleet("UnHealthyHostCount", "Maximum", " unhealthy")],
    },
    {
      type: "graph",
      title: `${name}: capacity`,
      unit: "Count",
      metrics: [
        ...byGroup("AWS/AutoScaling", "GroupInServiceInstances", "Average", " in service"),
        ...byGroup("AWS/AutoScaling", "GroupDesiredCapacity", "Average", " desired"),
      ],
    },
    { type: "graph", title: `${name}: CPU`, unit: "Percent", metrics: byGroup("AWS/EC2", "CPUUtilization", "Average") },
  ];
  if (!detailed) return widgets;
  const requests = byFleet("RequestCount", "Sum").map((m) => ({ ...m, visible: false }));
  const [errors5xx, errors4xx] = ["HTTPCode_Target_5XX_Count", "HTTPCode_Target_4XX_Count"].map((metric) =>
    byFleet(metric, "Sum").map((m) => ({ ...m, visible: false })),
  );
  const rates: Expression[] = fleets.flatMap((f, i) => [
    // A count is reported only when it is not zero: FILL makes a minute without errors 0 %, not a gap.
    { id: `rate5xx${i}`, expression: `100 * FILL(${errors5xx[i].id}, 0) / ${requests[i].id}`, label: `${f.label} 5xx %` },
    { id: `rate4xx${i}`, expression: `100 * FILL(${errors4xx[i].id}, 0) / ${requests[i].id}`, label: `${f.label} 4xx %` },
  ]);
  return [
    ...widgets,
    {
      type: "graph",
      title: `${name}: error rates`,
      unit: "Percent",
      metrics: [...requests, ...errors5xx, ...errors4xx],
      expressions: rates,
    },
    {
      type: "graph",
      title: `${name}: load balancer 5xx (no target answered)`,
      unit: "Count",
      metrics: [
        {
          namespace: ELB,
          name: "HTTPCode_ELB_5XX_Count",
          dimensions: { LoadBalancer: loadBalancerArnSuffix },
          stat: "Sum",
          label: "ELB 5xx",
        },
      ],
    },
  ];
}

/** A static site's graphs, read in us-east-1 (CloudFront publishes its metrics there only). */
export function siteWidgets(site: string, level: DashboardLevel, distributionId: string): Widget[] {
  const metric = (name: string, stat: string, label: string): Metric => ({
    namespace: "AWS/CloudFront",
    name,
    dimensions: { DistributionId: distributionId, Region: "Global" },
    stat,
    label,
  });
  const widgets: Widget[] = [
    { type: "graph", title: `${site}: requests`, unit: "Count", region: EDGE_REGION, metrics: [metric("Requests", "Sum", "requests")] },
    {
      type: "graph",
      title: `${site}: error rates`,
      unit: "Percent",
      region: EDGE_REGION,
      metrics: [metric("5xxErrorRate", "Average", "5xx %"), metric("4xxErrorRate", "Average", "4xx %")],
    },
  ];
  if (level === "detailed") {
    // One of CloudFront's additional metrics: published once the distribution's monitoring
    // subscription is on (modules/constructs/static-site.ts).
    widgets.push({
      type: "graph",
      title: `${site}: cache hit rate`,
      unit: "Percent",
      region: EDGE_REGION,
      metrics: [metric("CacheHitRate", "Average", "hit %")],
    });
  }
  return widgets;
}
