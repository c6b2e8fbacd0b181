import { createStacks } from "../../modules/stacks";
import { Testing } from "../../modules/lib/cdk";
import { PUBLISHED_METRICS } from "../../modules/lib/dashboard";
import { makeConfig, NETWORK, PROJECT, resourcesOf, shippedConfig, synthAll, synthApp, type Json } from "../support/helpers";

// Each environment's dashboard (docs/monitoring.md, "Dashboards"): a graph only for what the
// environment runs, every metric on dimensions that name the stack's own resources (the rule
// METRICS_MATCH_RESOURCES refuses anything else at synth; its failing cases are below).
const shipped = synthAll(shippedConfig());

interface Line {
  readonly graph: string;
  readonly region: string;
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Record<string, string>;
  readonly options: Json;
}

const bodyOf = (stack: Json): Json => JSON.parse(resourcesOf(stack, "aws_cloudwatch_dashboard")[0].dashboard_body);
const graphs = (stack: Json): Json[] => bodyOf(stack).widgets.filter((w: Json) => w.type === "metric");
const titles = (stack: Json): string[] => graphs(stack).map((g) => g.properties.title);

/** Every metric line of every graph, read back from the dashboard's JSON. */
function linesOf(stack: Json): Line[] {
  return graphs(stack).flatMap((g) =>
    (g.properties.metrics as unknown[][])
      .filter((l) => typeof l[0] === "string")
      .map((l) => {
        const [namespace, name, ...rest] = l as string[];
        const options = rest.pop() as unknown as Json;
        const dimensions: Record<string, string> = {};
        for (let i = 0; i < rest.length; i += 2) dimensions[rest[i]] = rest[i + 1];
        return { graph: g.properties.title, region: g.properties.region, namespace, name, dimensions, options };
      }),
  );
}

/** The stack's resources of `type`, as the `${type.id.attribute}` references a dimension would hold. */
const refs = (stack: Json, type: string, attribute: string): string[] =>
  Object.keys(stack.resource[type] ?? {}).map((id) => `\${${type}.${id}.${attribute}}`);

describe("every environment's dashboard", () => {
  it.each(Object.keys(shipped).filter((s) => s.startsWith("app-")))(
    "%s: one dashboard, named for the environment, whose every metric is published with its dimensions and names a resource of the stack",
    (name) => {
      const stack = shipped[name];
      const env = name.replace(/^app-/, "");
      expect(resourcesOf(stack, "aws_cloudwatch_dashboard").map((d) => d.dashboard_name)).toEqual([`webapp-${env}`]);
      const lines = linesOf(stack);
      expect(lines.length).toBeGreaterThan(10);
      const resources: Record<string, string[]> = {
        LoadBalancer: refs(stack, "aws_lb", "arn_suffix"),
        TargetGroup: refs(stack, "aws_lb_target_group", "arn_suffix"),
        AutoScalingGroupName: refs(stack, "aws_autoscaling_group", "name"),
        DistributionId: refs(stack, "aws_cloudfront_distribution", "id"),
      };
      for (const l of lines.filter((x) => x.namespace === "webapp/Delivery")) {
        // Ours: published by one of the stack's metric filters, by exactly these dimensions, for its own pipelines.
        const filters = resourcesOf(stack, "aws_cloudwatch_log_metric_filter").map((f) => f.metric_transformation);
        expect(filters).toContainEqual(expect.objectContaining({ namespace: l.namespace, name: l.name, dimensions: expect.any(Object) }));
        const filter = filters.find((t: Json) => t.name === l.name)!;
        expect(Object.keys(filter.dimensions).sort()).toEqual(Object.keys(l.dimensions).sort());
        expect(resourcesOf(stack, "aws_codepipeline").map((p) => p.name)).toContain(l.dimensions.Pipeline);
      }
      for (const l of lines.filter((x) => x.namespace !== "webapp/Delivery")) {
        const sets = PUBLISHED_METRICS[l.namespace]?.[l.name] ?? [];
        expect([l.graph, l.namespace, l.name, sets.length > 0]).toEqual([l.graph, l.namespace, l.name, true]);
        expect(sets.map((s) => s.join())).toContain(Object.keys(l.dimensions).sort().join());
        for (const [key, value] of Object.entries(l.dimensions)) {
          if (resources[key]) expect([l.graph, key, resources[key]]).toEqual([l.graph, key, expect.arrayContaining([value])]);
        }
        // CloudFront publishes in us-east-1 only, with Region = Global.
        if (l.namespace === "AWS/CloudFront") expect([l.region, l.dimensions.Region]).toEqual(["us-east-1", "Global"]);
        else expect(l.region).toBe("eu-west-1");
      }
      // Every fleet's target group and group, and every site's distribution, is on it.
      for (const key of Object.keys(resources)) {
        expect(new Set(lines.map((l) => l.dimensions[key]).filter(Boolean))).toEqual(new Set(resources[key]));
      }
      expect(stack.output.dashboard_url.value).toBe(
        `https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/webapp-${env}`,
      );
    },
  );

  it("shows the state of every alarm of the environment, a site's in us-east-1 too", () => {
    for (const name of ["app-dev", "app-prod"]) {
      const stack = shipped[name];
      const widget = bodyOf(stack).widgets.find((w: Json) => w.type === "alarm");
      const all = Object.keys(stack.resource.aws_cloudwatch_metric_alarm).map((id) => `\${aws_cloudwatch_metric_alarm.${id}.arn}`);
      expect(widget.properties.alarms.sort()).toEqual(all.sort());
      expect(
        Object.values<Json>(stack.resource.aws_cloudwatch_metric_alarm).filter((a) => a.provider === "aws.us_east_1").length,
      ).toBeGreaterThan(0);
    }
  });

  it("is detailed in production: error rates by metric math, p50/p90/p99, the load balancer's own 5xx, the cache hit rate", () => {
    expect(titles(shipped["app-prod"])).toEqual([
      "api: requests",
      "api: target 5xx and 4xx responses",
      "api: response time (p50, p90, p99)",
      "api: healthy and unhealthy hosts",
      "api: capacity",
      "api: CPU",
      "api: error rates",
      "api: load balancer 5xx (no target answered)",
      "storefront: requests",
      "storefront: error rates",
      "storefront: cache hit rate",
      "webapp-prod: pipeline executions by result",
    ]);
    // Each rate divides a fleet's errors by the same fleet's requests, both hidden, in the same graph.
    const rates = graphs(shipped["app-prod"]).find((g) => g.properties.title === "api: error rates")!.properties.metrics as unknown[][];
    const byId = new Map(rates.filter((l) => typeof l[0] === "string").map((l) => [(l[l.length - 1] as Json).id, l as (string | Json)[]]));
    const expressions = rates.filter((l) => typeof l[0] !== "string").map((l) => l[0] as Json);
    expect(expressions).toHaveLength(4);
    for (const e of expressions) {
      const [errors, requests] = [...String(e.expression).matchAll(/[a-z]\w*/g)].map((m) => byId.get(m[0])!);
      expect([errors[1], requests[1]]).toEqual([expect.stringMatching(/^HTTPCode_Target_[45]XX_Count$/), "RequestCount"]);
      expect(errors[5]).toBe(requests[5]); // the same target group
      expect([(errors[6] as Json).visible, (requests[6] as Json).visible]).toEqual([false, false]);
    }
    // The cache hit rate is one of CloudFront's additional metrics: production subscribes to them.
    const subscriptions = resourcesOf(shipped["app-prod"], "aws_cloudfront_monitoring_subscription");
    expect(subscriptions).toEqual([
      {
        distribution_id: "${aws_cloudfront_distribution.site_storefront_distribution.id}",
        monitoring_subscription: { realtime_metrics_subscription_config: { realtime_metrics_subscription_status: "Enabled" } },
      },
    ]);
  });

  it("is basic elsewhere (p99 only, no rates, no additional CloudFront metrics), unless the environment asks for detail", () => {
    expect(titles(shipped["app-dev"])).toEqual([
      "api: requests",
      "api: target 5xx and 4xx responses",
      "api: response time (p99)",
      "api: healthy and unhealthy hosts",
      "api: capacity",
      "api: CPU",
      "storefront: requests",
      "storefront: error rates",
      "webapp-dev: pipeline executions by result",
    ]);
    expect(resourcesOf(shipped["app-dev"], "aws_cloudfront_monitoring_subscription")).toEqual([]);
    const detailed = synthApp("dev", { tier: "development", network: NETWORK, dashboard: "detailed" });
    expect(titles(detailed)).toContain("shop: error rates");
  });

  it("graphs the group metrics each group publishes: they are enabled, each minute, on every group", () => {
    for (const g of [
      ...resourcesOf(shipped["app-dev"], "aws_autoscaling_group"),
      ...resourcesOf(shipped["app-prod"], "aws_autoscaling_group"),
    ]) {
      expect(g).toMatchObject({ metrics_granularity: "1Minute" });
      expect(g.enabled_metrics).toEqual(expect.arrayContaining(["GroupInServiceInstances", "GroupDesiredCapacity"]));
    }
  });

  it("has a line per fleet in blue/green, labelled by slot", () => {
    const requests = linesOf(shipped["app-prod"]).filter((l) => l.graph === "api: requests");
    expect(requests.map((l) => [l.options.label, l.dimensions.TargetGroup])).toEqual([
      ["blue", "${aws_lb_target_group.web_targets.arn_suffix}"],
      ["green", "${aws_lb_target_group.web_targets_green.arn_suffix}"],
    ]);
  });

  it("shows a project of one service and two sites (E-Com67) with both sites' graphs", () => {
    const config = makeConfig(
      { dev: { tier: "development", network: NETWORK } },
      {
        ...PROJECT,
        workloads: {
          api: { kind: "service", repository: "example-org/e-com67-api" },
          admin: { kind: "static-site", repository: "example-org/e-com67-admin" },
          customer: { kind: "static-site", repository: "example-org/e-com67-customer" },
        },
      },
    );
    const app = Testing.app();
    const dev = createStacks(app, config).apps[0];
    const stack = JSON.parse(Testing.synth(dev)) as Json;
    expect(titles(stack).filter((t) => t.endsWith(": requests"))).toEqual(["api: requests", "admin: requests", "customer: requests"]);
    expect(
      new Set(
        linesOf(stack)
          .map((l) => l.dimensions.DistributionId)
          .filter(Boolean),
      ).size,
    ).toBe(2);
  });
});

describe("each environment's delivery events (what the pipelines and deployments did)", () => {
  const dev = shipped["app-dev"];
  const rules = Object.fromEntries(resourcesOf(dev, "aws_cloudwatch_event_rule").map((r) => [r.name, JSON.parse(r.event_pattern)]));

  it("sends its pipelines' execution and stage events, and its CodeDeploy deployments' events, whole, to its own log group", () => {
    expect(rules["webapp-dev-delivery-pipelines"]).toEqual({
      source: ["aws.codepipeline"],
      "detail-type": ["CodePipeline Pipeline Execution State Change", "CodePipeline Stage Execution State Change"],
      detail: { pipeline: ["dev-webapp", "dev-storefront-webapp"] },
    });
    expect(rules["webapp-dev-delivery-deployments"]).toEqual({
      source: ["aws.codedeploy"],
      "detail-type": ["CodeDeploy Deployment State-change Notification"],
      detail: { application: ["${aws_codedeploy_app.deploy_application.name}"] },
    });
    const log = resourcesOf(dev, "aws_cloudwatch_log_group").find((g) => g.name === "/aws/events/webapp/dev")!;
    expect(log).toMatchObject({ retention_in_days: 30, kms_key_id: "${aws_kms_key.key.arn}" });
    // And its own alarms' state changes (the time to restore), by their names' prefix.
    expect(rules["webapp-dev-delivery-alarms"]).toEqual({
      source: ["aws.cloudwatch"],
      "detail-type": ["CloudWatch Alarm State Change"],
      detail: { alarmName: [{ prefix: "webapp-dev-" }] },
    });
    const targets = resourcesOf(dev, "aws_cloudwatch_event_target").filter((t) => String(t.rule).includes("delivery"));
    // The log group's arn attribute (no ":*"), with no input transformer: the whole event is kept.
    expect(targets.map((t) => [t.arn, t.input_transformer])).toEqual(
      Array(3).fill(["${aws_cloudwatch_log_group.delivery_log.arn}", undefined]),
    );
    expect(resourcesOf(shipped["app-prod"], "aws_cloudwatch_log_group").find((g) => g.name === "/aws/events/webapp/prod")).toMatchObject({
      lifecycle: { prevent_destroy: true },
    });
  });

  it("counts executions and deployments by result with metric filters on the events' own fields", () => {
    const filters = Object.fromEntries(resourcesOf(dev, "aws_cloudwatch_log_metric_filter").map((f) => [f.name, f]));
    expect(filters["webapp-dev-pipeline-executions"]).toMatchObject({
      log_group_name: "${aws_cloudwatch_log_group.delivery_log.name}",
      pattern: '{ $.detail-type = "CodePipeline Pipeline Execution State Change" && $.detail.stage NOT EXISTS }',
      metric_transformation: {
        namespace: "webapp/Delivery",
        name: "PipelineExecutions",
        value: "1",
        dimensions: { Pipeline: "$.detail.pipeline", State: "$.detail.state" },
      },
    });
    expect(filters["webapp-dev-deployments"].metric_transformation.dimensions).toEqual({
      Application: "$.detail.application",
      DeploymentGroup: "$.detail.deploymentGroup",
      State: "$.detail.state",
    });
  });

  it("lets EventBridge write into the environments' log groups with one resource policy in build, for the project's prefix only", () => {
    const build = shipped.build;
    const [policy] = resourcesOf(build, "aws_cloudwatch_log_resource_policy");
    expect(policy.policy_name).toBe("webapp-delivery-events");
    expect(JSON.parse(policy.policy_document).Statement).toEqual([
      {
        Sid: "EventBridgeWritesDeliveryEvents",
        Effect: "Allow",
        Principal: { Service: ["events.amazonaws.com", "delivery.logs.amazonaws.com"] },
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/events/webapp/*:*",
      },
    ]);
    expect(build.output.delivery_events_log_prefix.value).toBe("/aws/events/webapp/");
  });

  it("shows each stage's duration and the deployments from Logs Insights, quoting the hyphenated fields", () => {
    const logs = bodyOf(dev).widgets.filter((w: Json) => w.type === "log");
    expect(logs.map((w: Json) => w.properties.title)).toEqual([
      "webapp-dev: stage durations (minutes), newest executions first",
      "webapp-dev: deployments by group and result",
    ]);
    for (const w of logs) {
      expect(w.properties).toMatchObject({ region: "eu-west-1", view: "table" });
      expect(w.properties.query.startsWith("SOURCE '/aws/events/webapp/dev'\n| filter `detail-type` = ")).toBe(true);
      // Every hyphenated field is in backticks, or Logs Insights reads it as a subtraction.
      expect(w.properties.query.replace(/`[^`]*`/g, "").replace(/'[^']*'/g, "")).not.toMatch(/[a-z]-[a-z]/);
    }
  });
});

describe("the project's delivery dashboard (build)", () => {
  const body = bodyOf(shipped.build);
  const widget = (title: string) => body.widgets.find((w: Json) => String(w.properties.title).startsWith(title));
  const pipelines = shippedConfig().environments.flatMap((e) =>
    e.workloads.map((w) => (w.kind === "service" ? `${e.name}-webapp` : `${e.name}-${w.name}-webapp`)),
  );

  it("is named for the project and shows every environment's pipelines, production last, over 30 days at their own periods", () => {
    expect(resourcesOf(shipped.build, "aws_cloudwatch_dashboard").map((d) => d.dashboard_name)).toEqual(["webapp-delivery"]);
    // Without these, CloudWatch shows 3 hours and adapts every period to them (periodOverride auto).
    expect([body.start, body.periodOverride]).toEqual(["-P30D", "inherit"]);
    const frequency = widget("Deployment frequency").properties;
    expect(frequency.period).toBe(86_400);
    const lines = (frequency.metrics as unknown[][]).map((l) => [l[0], l[1], l[3], l[5]]);
    expect(lines.map((l) => l[2]).sort()).toEqual([...pipelines].sort());
    expect(lines.every((l) => l[0] === "webapp/Delivery" && l[1] === "PipelineExecutions" && l[3] === "SUCCEEDED")).toBe(true);
    expect(lines.slice(-2).map((l) => l[2])).toEqual(["prod-webapp", "prod-storefront-webapp"]);
  });

  it("computes the change failure rate per pipeline and week from its failed and succeeded executions", () => {
    const rate = widget("Change failure rate").properties;
    expect(rate.period).toBe(604_800);
    const expressions = (rate.metrics as Json[][]).filter((l) => typeof l[0] !== "string").map((l) => l[0]);
    expect(expressions).toHaveLength(pipelines.length);
    const byId = new Map((rate.metrics as unknown[][]).filter((l) => typeof l[0] === "string").map((l) => [(l[6] as Json).id, l]));
    for (const e of expressions) {
      const ids = [...new Set([...String(e.expression).matchAll(/\b(failed\d+|ok\d+)\b/g)].map((m) => m[1]))];
      expect(ids).toHaveLength(2);
      const [failed, ok] = ids.map((id) => byId.get(id)!);
      expect([failed[5], ok[5], failed[3]]).toEqual(["FAILED", "SUCCEEDED", ok[3]]);
    }
  });

  it("reads lead time and time to restore from every environment's delivery log with Logs Insights", () => {
    const lead: string = widget("Lead time for changes").properties.query;
    for (const e of shippedConfig().environments) expect(lead).toContain(`SOURCE '/aws/events/webapp/${e.name}'`);
    // A commit: from its first execution start anywhere to its success in production.
    expect(lead).toContain("ispresent(`detail.execution-trigger.commit-id`)");
    expect(lead).toContain("filter last_state = 'SUCCEEDED' and last_pipeline in ['prod-webapp', 'prod-storefront-webapp']");
    expect(lead.match(/\| stats /g)).toHaveLength(2);
    const restore: string = widget("Time to restore").properties.query;
    expect(restore).toContain("`detail.state.value` = 'OK' and `detail.previousState.value` = 'ALARM'");
    expect(restore).toContain("parse `detail.previousState.timestamp` /^(?<y>");
    expect(restore).toContain("fields (toMillis(@timestamp) - began) / 60000 as minutes");
    // Timestamps become numbers before any arithmetic (toMillis): Logs Insights' arithmetic takes numbers.
    expect(lead).toContain("fields toMillis(@timestamp) as t\n| stats (max(t) - min(t)) / 3600000 as hours");
    for (const q of [lead, restore])
      expect(
        q
          .replace(/`[^`]*`/g, "")
          .replace(/'[^']*'/g, "")
          .replace(/"[^"]*"/g, ""),
      ).not.toMatch(/[a-z]-[a-z]/);
  });

  it("is not made without environments, and a build stack publishes only the contract's outputs still", () => {
    const config = makeConfig({ dev: { tier: "development", network: NETWORK } });
    expect(resourcesOf(synthAll(config).build, "aws_cloudwatch_dashboard").map((d) => d.dashboard_name)).toEqual(["shop-delivery"]);
    expect(Object.keys(shipped.build.output)).not.toContain("delivery_dashboard_url");
  });
});

describe("the date arithmetic of the time-to-restore query", () => {
  // The same steps the query runs in Logs Insights, run here on the same parts.
  const { EPOCH_MILLIS_STEPS, UTC_DATE_PARTS } = jest.requireActual(
    "../../modules/constructs/delivery-events",
  ) as typeof import("../../modules/constructs/delivery-events");
  const epochMillis = (iso: string): number => {
    const regex = new RegExp(UTC_DATE_PARTS.slice(1, -1));
    const parts = Object.fromEntries(Object.entries(regex.exec(iso)!.groups!).map(([k, v]) => [k, Number(v)]));
    for (const [expression, name] of EPOCH_MILLIS_STEPS) {
      const js = expression
        .replace(/floor\(/g, "Math.floor(")
        .replace(/\b([a-z]+)\b/g, (w) => (w === "Math" || w === "floor" ? w : `v.${w}`));
      parts[name] = new Function("v", `return ${js.replace(/Math\.v\.floor/g, "Math.floor")};`)(parts);
    }
    return parts.began;
  };

  it.each([
    "1970-01-01T00:00:00.000+0000",
    "2019-10-02T17:20:03.642+0000",
    "2024-02-29T23:59:59.999+0000",
    "2000-03-01T00:00:00.001+0000",
    "2026-12-31T12:34:56.789+0000",
  ])("reads %s as the milliseconds Date.parse gives", (iso) => {
    expect(epochMillis(iso)).toBe(Date.parse(iso.replace("+0000", "Z")));
  });
});
