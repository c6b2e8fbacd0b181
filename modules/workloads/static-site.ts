import type { Construct } from "constructs";
import { TerraformOutput } from "../lib/cdk";
import { accessLogPrefix, artifactPrefix, siteBucketName, sitePipelineName, sitePrefix, type SiteConfig } from "../config";
import { StaticSite } from "../constructs/static-site";
import { SiteAlarms, siteErrorAlarmName } from "../constructs/site-alarms";
import { EDGE_REGION } from "../config/regions";
import { SiteInvalidation } from "../constructs/site-invalidation";
import { WebFirewall } from "../constructs/web-firewall";
import type { DeliveryPipeline } from "../constructs/delivery-pipeline";
import type { EnvironmentContext } from "./environment";
import { workloadPipeline } from "./pipeline";
import { siteWidgets } from "./widgets";
import type { Widget } from "../lib/dashboard";
import { Workload, type WorkloadKind } from "./workload";

/**
 * A static site (docs/workloads.md): a private bucket behind its CloudFront distribution, and its
 * own pipeline, which uploads the build's assets and pages and then invalidates the distribution's
 * cache through its own CodeBuild project. Its 5xx-rate alarm is one of the environment's site
 * alarms (STATIC_SITE.shared).
 */
export class StaticSiteWorkload extends Workload {
  readonly site: StaticSite;
  /** The site's web ACL, where the environment's firewall is on and the site brings none of its own. */
  readonly firewall?: WebFirewall;
  readonly invalidation: SiteInvalidation;
  readonly pipeline: DeliveryPipeline;
  readonly pipelineNames: readonly string[];
  override readonly widgets: readonly Widget[];

  constructor(
    scope: Construct,
    id: string,
    environment: EnvironmentContext,
    readonly config: SiteConfig,
  ) {
    super(scope, id);
    const { project, environment: env, build, key } = environment;
    const name = sitePipelineName(project.appName, env.name, config.name);
    this.firewall = this.webFirewall(environment);
    this.site = this.hosting(environment);
    this.invalidation = new SiteInvalidation(this, `site-${config.name}-invalidation`, {
      projectName: `${sitePrefix(project.appName, env.name, config.name)}-invalidate`,
      accountId: project.accountId,
      region: project.region,
      distributionId: this.site.distribution.id,
      distributionArn: this.site.distribution.arn,
      artifactBucketArn: build.artifactBucketArn,
      artifactPrefix: artifactPrefix(name),
      artifactKeyArn: build.artifactKeyArn,
      logKeyArn: key.arn,
      projectKeyArn: environment.delivery.actionsRole ? key.arn : undefined,
      logRetentionDays: env.logRetentionDays,
      retain: env.deletionProtection,
    });
    this.pipeline = workloadPipeline(this, environment, {
      id: `site-${config.name}-pipeline`,
      pipelineName: name,
      workload: config.name,
      repository: config.repository,
      buildVariables: config.buildVariables,
      target: {
        kind: "static-site",
        bucketName: this.site.bucket.bucket.bucket,
        kmsKeyArn: key.arn,
        invalidationProject: this.invalidation.project.name,
      },
      deployGrants: [...this.site.grantDeploy(project.region), this.invalidation.grantRun()],
      acceptance: { projectName: `${sitePrefix(project.appName, env.name, config.name)}-acceptance`, url: this.site.url },
      releaseProjectName: `${sitePrefix(project.appName, env.name, config.name)}-release`,
      // Created with the environment's other sites (shared), named here: the bake reads it by name.
      bakeAlarms: [{ name: siteErrorAlarmName(environment.name, config.name), region: EDGE_REGION, accountId: project.accountId }],
    });
    this.pipelineNames = [name];
    this.widgets = siteWidgets(config.name, env.dashboard, this.site.distribution.id);
  }

  /**
   * A CLOUDFRONT web ACL of the site's own (in us-east-1, as CloudFront requires), unless the site
   * names one (workloads.<site>.webAclArn, which takes precedence) or the firewall is off.
   */
  private webFirewall({ project, environment: env, edgeProvider }: EnvironmentContext): WebFirewall | undefined {
    const { firewall } = env;
    if (this.config.webAclArn || firewall.mode === "off") return undefined;
    return new WebFirewall(this, `site-${this.config.name}-firewall`, {
      name: sitePrefix(project.appName, env.name, this.config.name),
      scope: "CLOUDFRONT",
      provider: edgeProvider(),
      mode: firewall.mode,
      rateLimit: firewall.rateLimit,
      logRetentionDays: env.logRetentionDays,
      retain: env.deletionProtection,
    });
  }

  private hosting({ project, environment: env, build, key, edgeProvider }: EnvironmentContext): StaticSite {
    const { config: site } = this;
    const bucketName = siteBucketName(project.appName, env.name, site.name, project.accountId);
    return new StaticSite(this, `site-${site.name}`, {
      name: sitePrefix(project.appName, env.name, site.name),
      bucketName,
      key,
      serverAccessLogs: { bucketName: build.accessLogBucketName, prefix: accessLogPrefix("s3Access", bucketName) },
      accessLogs: { bucketArn: build.accessLogBucketArn, prefix: accessLogPrefix("cloudfrontAccess", `${env.name}/${site.name}`) },
      edgeProvider: edgeProvider(),
      priceClass: site.priceClass,
      aliases: site.aliases,
      certificateArn: site.certificateArn,
      webAclArn: site.webAclArn ?? this.firewall?.acl.arn,
      contentSecurityPolicy: site.contentSecurityPolicy,
      retain: env.deletionProtection,
      additionalMetrics: env.dashboard === "detailed",
    });
  }
}

export const STATIC_SITE: WorkloadKind<SiteConfig> = {
  kind: "static-site",
  build: (scope, environment, config) => new StaticSiteWorkload(scope, `workload-${config.name}`, environment, config),
  /** Every site's 5xx-rate alarm, with one rule to the environment's topic, and the sites' addresses. */
  shared(scope, { project, environment: env, name, alerts, edgeProvider }, workloads) {
    const sites = workloads as readonly StaticSiteWorkload[];
    new SiteAlarms(scope, "site-alarms", {
      name,
      accountId: project.accountId,
      region: project.region,
      edgeProvider: edgeProvider(),
      sites: sites.map((s) => ({ name: s.config.name, distributionId: s.site.distribution.id, firewall: s.firewall })),
      blockedRequests: env.firewall.blockedRequestsAlarm,
      errorRatePercent: env.alarms.site5xxPercent,
      topicArn: alerts.arn,
      ruleName: alerts.siteAlarmRuleName,
    });
    const output = new TerraformOutput(scope, "site_urls", {
      value: Object.fromEntries(sites.map((s) => [s.config.name, s.site.url])),
      description: "Each static site's address on CloudFront (point a custom domain's DNS at it)",
    });
    output.overrideLogicalId("site_urls");
  },
};
