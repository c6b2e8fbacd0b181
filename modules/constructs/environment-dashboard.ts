import { Construct } from "constructs";
import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { dashboardBody, type Widget } from "../lib/dashboard";

export interface EnvironmentDashboardProps {
  /** The dashboard's name (`<appName>-<env>`): letters, digits, - and _ (CloudWatch PutDashboard). */
  readonly name: string;
  readonly region: string;
  /** What the dashboard's first row says: the environment, its tier, where to go next (Markdown). */
  readonly header: string;
  /** The workloads' graphs, in the environment's order. */
  readonly widgets: readonly Widget[];
  /** The environment's alarms, any region, shown by state (an alarm status widget holds up to 100). */
  readonly alarmArns: readonly string[];
}

/**
 * The environment's CloudWatch dashboard (docs/monitoring.md, "Dashboards"): a header, each
 * workload's graphs, then the state of every alarm of the environment. Defined as data
 * (modules/lib/dashboard.ts); the rule METRICS_MATCH_RESOURCES checks every metric it names.
 */
export class EnvironmentDashboard extends Construct {
  readonly dashboard: CloudwatchDashboard;
  /** The dashboard in the CloudWatch console. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: EnvironmentDashboardProps) {
    super(scope, id);
    if (props.alarmArns.length > 100) {
      throw new Error(`${props.name}: ${props.alarmArns.length} alarms, more than the 100 an alarm status widget shows`);
    }
    const body = dashboardBody(
      [{ type: "text", markdown: props.header }, ...props.widgets, { type: "alarms", title: "Alarms", alarmArns: props.alarmArns }],
      props.region,
      // The last day, each graph's period adapting to a longer range (the stage durations table
      // reads the same day).
      { start: "-P1D", periodOverride: "auto" },
    );
    this.dashboard = new CloudwatchDashboard(this, "dashboard", { dashboardName: props.name, dashboardBody: JSON.stringify(body) });
    this.url = `https://${props.region}.console.aws.amazon.com/cloudwatch/home?region=${props.region}#dashboards/dashboard/${props.name}`;
  }
}
