import { Construct } from "constructs";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";

export interface HealthAlarmsProps {
  readonly name: string;
  readonly topicArn: string;
  readonly loadBalancerArnSuffix: string;
  readonly targetGroupArnSuffix: string;
  /** The fleet's group, whose CPU the cpu alarm watches; or a container service's (ECS metrics). */
  readonly autoScalingGroupName?: string;
  readonly ecsService?: { readonly clusterName: string; readonly serviceName: string };
  readonly http5xxCount: number;
  readonly unhealthyHosts: number;
  readonly cpuPercent: number;
  readonly latencyP99Seconds: number;
}

/**
 * Alarms on the environment's health, each notifying the topic; the 5xx and unhealthy-hosts alarms
 * also stop and roll back a deployment. CodeDeploy stops a deployment when any of its alarms is in
 * ALARM, also at the start (CodeDeploy user guide, "Monitoring deployments with CloudWatch
 * alarms"): before the first revision the instances' bootstrap responder (modules/lib/user-data.ts)
 * keeps the targets healthy, so the unhealthy-hosts alarm is OK when the first deployment starts.
 * The latency alarm (p99 of the target response time) only notifies: a percentile over a minute
 * of few requests is noisy, a release that answers slowly but correctly is better looked at than
 * rolled back, and the deployment's own alarms catch a release that fails (docs/architecture.md,
 * "Day one: what the stacks do so that a real account works").
 */
export class HealthAlarms extends Construct {
  readonly http5xx: CloudwatchMetricAlarm;
  readonly unhealthyHosts: CloudwatchMetricAlarm;
  readonly cpu: CloudwatchMetricAlarm;
  readonly latency: CloudwatchMetricAlarm;

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
      ...(props.ecsService
        ? {
            alarmDescription: "Average CPU of the service's tasks is high",
            namespace: "AWS/ECS",
            metricName: "CPUUtilization",
            dimensions: { ClusterName: props.ecsService.clusterName, ServiceName: props.ecsService.serviceName },
          }
        : {
            alarmDescription: "Average CPU of the Auto Scaling group is high",
            namespace: "AWS/EC2",
            metricName: "CPUUtilization",
            dimensions: { AutoScalingGroupName: props.autoScalingGroupName ?? "" },
          }),
      statistic: "Average",
      period: 300,
      evaluationPeriods: 2,
      threshold: props.cpuPercent,
    });
    // TargetResponseTime is in seconds, per target group and load balancer, reported only while
    // requests flow (ELB user guide, "CloudWatch metrics for your Application Load Balancer"): no
    // request at all is not breaching. A p99 is significant from 10 / (1 - 0.99) = 1,000 samples
    // in a period (CloudWatch user guide, "Percentile-based alarms and low data samples"): over
    // 5 minutes that is 3.3 requests a second, where a 1-minute period would need 17. Periods
    // with fewer are ignored (the alarm keeps its state) rather than flapping on a few requests.
    this.latency = new CloudwatchMetricAlarm(this, "latency", {
      ...common,
      alarmName: `${props.name}-latency-p99`,
      alarmDescription: `The slowest 1% of responses took ${props.latencyP99Seconds} s or more, in 2 of 3 five-minute periods`,
      namespace: "AWS/ApplicationELB",
      metricName: "TargetResponseTime",
      dimensions: albDimensions,
      extendedStatistic: "p99",
      evaluateLowSampleCountPercentiles: "ignore",
      period: 300,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      threshold: props.latencyP99Seconds,
    });
  }

  /** The alarms that stop and roll back a deployment in progress. */
  get deploymentAlarms(): CloudwatchMetricAlarm[] {
    return [this.http5xx, this.unhealthyHosts];
  }
}
