import { makeConfig, NETWORK, onlyResource, PROJECT, resourcesOf, shippedConfig, synthAll, synthApp, type Json } from "../support/helpers";
import { MANAGED_RULE_GROUPS, RATE_RULE, WAF_DESCRIPTION } from "../../modules/constructs/web-firewall";
import { TIER_DEFAULTS } from "../../modules/config";

// Production's edges behind a web firewall (docs/security.md, "Web firewall"): a regional web ACL
// on the load balancer and a CloudFront one on each static site, by tier, as data.
const shipped = synthAll(shippedConfig());
const prod = shipped["app-prod"];
const acls = (stack: Json) => resourcesOf(stack, "aws_wafv2_web_acl");
const acl = (stack: Json, scope: string) => acls(stack).find((a) => a.scope === scope)!;
const ruleNames = (a: Json) => a.rule.map((r: Json) => r.name);
const CERT = "arn:aws:acm:us-east-1:111122223333:certificate/12345678-1234-1234-1234-123456789012";
const SITE_ACL = "arn:aws:wafv2:us-east-1:111122223333:global/webacl/own/12345678-1234-1234-1234-123456789012";
const ALB_ACL = "arn:aws:wafv2:us-east-2:111122223333:regional/webacl/own/12345678-1234-1234-1234-123456789012";

describe("the web firewall, by tier", () => {
  it("is on (block) in production and off elsewhere, by default", () => {
    expect(TIER_DEFAULTS.production.firewall.mode).toBe("block");
    expect(TIER_DEFAULTS.preproduction.firewall.mode).toBe("off");
    expect(TIER_DEFAULTS.development.firewall.mode).toBe("off");
    for (const name of ["app-dev", "app-qa", "app-staging", "app-demo", "app-hotfix"]) {
      expect({ [name]: acls(shipped[name]).length }).toEqual({ [name]: 0 });
      expect(resourcesOf(shipped[name], "aws_wafv2_web_acl_association")).toEqual([]);
    }
  });

  it("guards production's load balancer with a regional web ACL, associated with it", () => {
    const regional = acl(prod, "REGIONAL");
    expect(regional).toMatchObject({ name: "webapp-prod", default_action: { allow: {} } });
    expect(onlyResource(prod, "aws_wafv2_web_acl_association")).toEqual(
      expect.objectContaining({ resource_arn: "${aws_lb.web_alb.arn}", web_acl_arn: "${aws_wafv2_web_acl.firewall_acl.arn}" }),
    );
  });

  it("guards each production site with a CloudFront web ACL in us-east-1, named in its distribution", () => {
    const global = acl(prod, "CLOUDFRONT");
    expect(global.name).toBe("webapp-prod-storefront");
    expect(global.provider).toBe("aws.us_east_1");
    expect(onlyResource(prod, "aws_cloudfront_distribution").web_acl_id).toBe("${aws_wafv2_web_acl.site_storefront_firewall_acl.arn}");
  });

  it("runs the AWS managed groups (IP reputation, anonymizers, core rules, known bad inputs), then a rate limit per address", () => {
    for (const a of acls(prod)) {
      expect(ruleNames(a)).toEqual([...MANAGED_RULE_GROUPS, RATE_RULE]);
      expect(a.rule.map((r: Json) => r.priority)).toEqual([0, 1, 2, 3, 4]);
      for (const r of a.rule.slice(0, -1)) {
        expect(r.statement.managed_rule_group_statement).toMatchObject({ name: r.name, vendor_name: "AWS" });
        expect(r.override_action).toEqual({ none: {} });
      }
      const rate = a.rule[a.rule.length - 1];
      expect(rate.action).toEqual({ block: {} });
      expect(rate.statement.rate_based_statement).toEqual({ limit: 2000, aggregate_key_type: "IP", evaluation_window_sec: 300 });
      // Every rule and the web ACL itself publish metrics and sampled requests.
      for (const v of [a.visibility_config, ...a.rule.map((r: Json) => r.visibility_config)]) {
        expect(v).toMatchObject({ cloudwatch_metrics_enabled: true, sampled_requests_enabled: true });
      }
      // Hosting providers' addresses only count: blocking them would block cloud-hosted clients.
      expect(a.rule[1].statement.managed_rule_group_statement.rule_action_override).toEqual([
        { name: "HostingProviderIPList", action_to_use: { count: {} } },
      ]);
      // A description WAF accepts at apply time (no parentheses, among others).
      expect(a.description).toMatch(WAF_DESCRIPTION);
    }
    // Before the load balancer, a body over 8 KB (an upload, a large JSON post) only counts; a site takes no bodies.
    const overrides = (scope: string) => acl(prod, scope).rule[2].statement.managed_rule_group_statement.rule_action_override;
    expect(overrides("REGIONAL")).toEqual([{ name: "SizeRestrictions_BODY", action_to_use: { count: {} } }]);
    expect(overrides("CLOUDFRONT")).toBeUndefined();
  });

  it("logs every request to an aws-waf-logs- group of its region, credentials redacted, the regional one under the environment's key", () => {
    const logging = resourcesOf(prod, "aws_wafv2_web_acl_logging_configuration");
    expect(logging.map((l) => l.resource_arn).sort()).toEqual([
      "${aws_wafv2_web_acl.firewall_acl.arn}",
      "${aws_wafv2_web_acl.site_storefront_firewall_acl.arn}",
    ]);
    for (const l of logging) {
      expect(l.redacted_fields).toEqual([{ single_header: { name: "authorization" } }, { single_header: { name: "cookie" } }]);
    }
    const groups = resourcesOf(prod, "aws_cloudwatch_log_group").filter((g) => String(g.name).startsWith("aws-waf-logs-"));
    expect(groups.map((g) => [g.name, g.kms_key_id, g.provider, g.retention_in_days])).toEqual([
      ["aws-waf-logs-webapp-prod", "${aws_kms_key.key.arn}", undefined, 365],
      ["aws-waf-logs-webapp-prod-storefront", undefined, "aws.us_east_1", 365],
    ]);
  });

  it("alarms on blocked requests with the dimensions each scope publishes, and both reach the topic", () => {
    const blocked = resourcesOf(prod, "aws_cloudwatch_metric_alarm").filter((a) => a.metric_name === "BlockedRequests");
    const regional = blocked.find((a) => a.alarm_name === "webapp-prod-waf-blocked")!;
    expect(regional).toMatchObject({
      namespace: "AWS/WAFV2",
      dimensions: { WebACL: "webapp-prod", Rule: "ALL", Region: "eu-west-1" },
      alarm_actions: ["${aws_sns_topic.alerts_topic.arn}"],
      threshold: 100,
    });
    const site = blocked.find((a) => a.alarm_name === "webapp-prod-storefront-waf-blocked")!;
    // A CloudFront web ACL's metrics are in us-east-1 without a Region dimension; its alarm goes
    // through the site alarms' forwarder to the environment's region.
    expect(site).toMatchObject({ provider: "aws.us_east_1", dimensions: { WebACL: "webapp-prod-storefront", Rule: "ALL" } });
    expect(site.dimensions.Region).toBeUndefined();
    const forward = resourcesOf(prod, "aws_cloudwatch_event_rule").find((r) => r.name === "webapp-prod-site-alarms-forward")!;
    expect(JSON.parse(forward.event_pattern).resources).toContain(
      "arn:aws:cloudwatch:us-east-1:210987654321:alarm:webapp-prod-storefront-waf-blocked",
    );
  });
});

describe("an environment's own firewall settings", () => {
  it("turn it on, in count mode for a first rollout, with its own limit and alarm", () => {
    const dev = synthApp("dev", {
      tier: "development",
      network: NETWORK,
      firewall: { mode: "count", rateLimit: 500, blockedRequestsAlarm: 20 },
    });
    const a = acl(dev, "REGIONAL");
    for (const r of a.rule.slice(0, -1)) expect(r.override_action).toEqual({ count: {} });
    expect(a.rule[a.rule.length - 1]).toMatchObject({ action: { count: {} }, statement: { rate_based_statement: { limit: 500 } } });
    // Nothing is blocked in count mode: the alarm watches what would have been.
    expect(resourcesOf(dev, "aws_cloudwatch_metric_alarm").find((x) => x.namespace === "AWS/WAFV2")).toMatchObject({
      alarm_name: "shop-dev-waf-counted",
      metric_name: "CountedRequests",
      threshold: 20,
    });
  });

  it("take a web ACL of the user's own before making one: the load balancer's and a site's", () => {
    const config = makeConfig(
      {
        live: {
          tier: "production",
          network: NETWORK,
          firewall: { webAclArn: ALB_ACL },
          workloads: { storefront: { aliases: ["shop.example.com"], certificateArn: CERT, webAclArn: SITE_ACL } },
        },
      },
      { ...PROJECT, workloads: { ...PROJECT.workloads, storefront: { kind: "static-site", repository: "acme/storefront" } } },
    );
    const live = synthAll(config)["app-live"];
    expect(acls(live)).toEqual([]);
    expect(onlyResource(live, "aws_wafv2_web_acl_association").web_acl_arn).toBe(ALB_ACL);
    expect(onlyResource(live, "aws_cloudfront_distribution").web_acl_id).toBe(SITE_ACL);
  });

  it("turn it off in production only with a reason, which the firewall rules then accept, for the sites too", () => {
    const reason = "behind the company's own WAF appliance (ticket SEC-123)";
    const withSite = {
      ...PROJECT,
      workloads: { ...PROJECT.workloads, storefront: { kind: "static-site", repository: "acme/storefront" } },
    };
    const live = synthAll(
      makeConfig(
        {
          live: {
            tier: "production",
            network: NETWORK,
            firewall: { mode: "off", reason },
            workloads: { storefront: { aliases: ["shop.example.com"], certificateArn: CERT } },
          },
        },
        withSite,
      ),
    )["app-live"];
    expect(acls(live)).toEqual([]);
    expect(resourcesOf(live, "aws_wafv2_web_acl_association")).toEqual([]);
    expect(onlyResource(live, "aws_cloudfront_distribution").web_acl_id).toBeUndefined();
  });
});
