import { Construct } from "constructs";
import { CloudfrontOriginAccessControl } from "@cdktf/provider-aws/lib/cloudfront-origin-access-control";
import { CloudfrontResponseHeadersPolicy } from "@cdktf/provider-aws/lib/cloudfront-response-headers-policy";
import { CloudfrontDistribution } from "@cdktf/provider-aws/lib/cloudfront-distribution";
import { CloudfrontMonitoringSubscription } from "@cdktf/provider-aws/lib/cloudfront-monitoring-subscription";
import { CloudwatchLogDeliverySource } from "@cdktf/provider-aws/lib/cloudwatch-log-delivery-source";
import { CloudwatchLogDeliveryDestination } from "@cdktf/provider-aws/lib/cloudwatch-log-delivery-destination";
import { CloudwatchLogDelivery } from "@cdktf/provider-aws/lib/cloudwatch-log-delivery";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { isName, validateProps } from "../lib/props";
import { SecureBucket, type ServerAccessLogTarget } from "./secure-bucket";
import type { EncryptionKey } from "./encryption-key";
import type { PriceClass } from "../config/schema";
import { EDGE_REGION } from "../config/regions";
import type { PolicyStatement } from "../lib/policy";

/** TLS 1.2 or newer, with the 2021 cipher list: CloudFront's recommended policy for a custom domain. */
export const CLOUDFRONT_TLS_POLICY = "TLSv1.2_2021";

/**
 * The managed cache policy "CachingOptimized" (CloudFront developer guide, "Use managed cache
 * policies"): no cookies, headers or query strings in the cache key, gzip and brotli.
 */
export const CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6";

/** A restrictive default: scripts, styles, images and fonts from the site itself only. */
export const DEFAULT_CSP =
  "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'";

export interface StaticSiteProps {
  /** Prefix of the site's names: bucket, distribution comment, policies (e.g. "webapp-dev-admin"). */
  readonly name: string;
  /** The bucket's name (S3 bucket names are global: account and region in it). */
  readonly bucketName: string;
  /** The environment's key: it encrypts the files, and CloudFront may decrypt them for this distribution only. */
  readonly key: EncryptionKey;
  /** Where the bucket's server access logs go. */
  readonly serverAccessLogs: ServerAccessLogTarget;
  /**
   * Where the distribution's access logs go (CloudFront standard logging v2): a bucket whose policy
   * lets CloudWatch Logs' delivery service write under the prefix (AccessLogBucket).
   */
  readonly accessLogs: { readonly bucketArn: string; readonly prefix: string };
  /** A provider for us-east-1, where CloudFront's log delivery is configured. */
  readonly edgeProvider: AwsProvider;
  readonly priceClass: PriceClass;
  /** @default - none: the site is served on its *.cloudfront.net name */
  readonly aliases?: readonly string[];
  /** An ACM certificate in us-east-1 (CloudFront's region) covering the aliases. Required with aliases. */
  readonly certificateArn?: string;
  /** @default - no WAF web ACL */
  readonly webAclArn?: string;
  /** @default DEFAULT_CSP */
  readonly contentSecurityPolicy?: string;
  /** @default false - keep the site's files when the stack is destroyed */
  readonly retain?: boolean;
  /**
   * CloudFront's additional metrics for the distribution (cache hit rate, origin latency, error
   * rates by status): billed as CloudWatch metrics (CloudFront developer guide, "Viewing
   * additional CloudFront distribution metrics").
   * @default false
   */
  readonly additionalMetrics?: boolean;
}

/**
 * A single-page application's hosting: a private SecureBucket (SSE-KMS with the environment's key)
 * readable only by its own CloudFront distribution through Origin Access Control (CloudFront
 * developer guide, "Restrict access to an Amazon S3 origin"; OAC, not the legacy OAI, is what works
 * with SSE-KMS). The distribution redirects HTTP to HTTPS, compresses, serves /index.html for paths
 * the bucket does not have (S3 answers 403 to OAC for a missing key, as OAC may not list), and adds
 * security headers (HSTS, nosniff, frame options, referrer policy, CSP).
 */
export class StaticSite extends Construct {
  readonly bucket: SecureBucket;
  readonly distribution: CloudfrontDistribution;
  private readonly keyArn: string;

  constructor(scope: Construct, id: string, props: StaticSiteProps) {
    super(scope, id);
    validateProps(this, "modules/constructs/static-site.ts", [
      {
        field: "name",
        value: props.name,
        // Response headers policy and OAC names: 128 characters of letters, digits, - and _.
        ok: isName(props.name, /^[A-Za-z0-9_-]+$/, 100),
        message: "must be 1-100 letters, digits, - and _",
      },
      {
        field: "certificateArn",
        value: props.certificateArn,
        ok: !(props.aliases?.length && !props.certificateArn),
        message: "is required with aliases: CloudFront serves a custom domain only with a certificate that covers it",
      },
      {
        field: "certificateArn",
        value: props.certificateArn,
        ok: props.certificateArn === undefined || props.certificateArn.startsWith(`arn:aws:acm:${EDGE_REGION}:`),
        message: `must be an ACM certificate in ${EDGE_REGION}: CloudFront uses certificates from that region only`,
      },
    ]);
    this.keyArn = props.key.arn;
    this.bucket = new SecureBucket(this, "files", {
      bucketName: props.bucketName,
      kmsKeyArn: props.key.arn,
      serverAccessLogs: props.serverAccessLogs,
      retain: props.retain ?? false,
    });
    const oac = new CloudfrontOriginAccessControl(this, "origin-access", {
      name: props.name,
      description: `${props.name}: CloudFront signs every request to the site's bucket`,
      originAccessControlOriginType: "s3",
      signingBehavior: "always",
      signingProtocol: "sigv4",
    });
    const headers = new CloudfrontResponseHeadersPolicy(this, "headers", {
      name: `${props.name}-security-headers`,
      comment: `Security headers of ${props.name}`,
      securityHeadersConfig: {
        strictTransportSecurity: { accessControlMaxAgeSec: 63072000, includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: "DENY", override: true },
        referrerPolicy: { referrerPolicy: "strict-origin-when-cross-origin", override: true },
        contentSecurityPolicy: { contentSecurityPolicy: props.contentSecurityPolicy ?? DEFAULT_CSP, override: true },
      },
    });
    const origin = "site-bucket";
    // A single-page app routes in the browser: any path the bucket lacks is the app's index page.
    const spaFallback = [403, 404].map((errorCode) => ({
      errorCode,
      responseCode: 200,
      responsePagePath: "/index.html",
      errorCachingMinTtl: 10,
    }));
    this.distribution = new CloudfrontDistribution(this, "distribution", {
      enabled: true,
      comment: props.name,
      defaultRootObject: "index.html",
      isIpv6Enabled: true,
      httpVersion: "http2and3",
      priceClass: props.priceClass,
      aliases: props.aliases?.length ? [...props.aliases] : undefined,
      webAclId: props.webAclArn,
      origin: [
        {
          originId: origin,
          domainName: this.bucket.bucket.bucketRegionalDomainName,
          originAccessControlId: oac.id,
        },
      ],
      defaultCacheBehavior: {
        targetOriginId: origin,
        viewerProtocolPolicy: "redirect-to-https",
        allowedMethods: ["GET", "HEAD"],
        cachedMethods: ["GET", "HEAD"],
        compress: true,
        cachePolicyId: CACHING_OPTIMIZED_POLICY_ID,
        responseHeadersPolicyId: headers.id,
      },
      customErrorResponse: spaFallback,
      restrictions: { geoRestriction: { restrictionType: "none" } },
      viewerCertificate: props.certificateArn
        ? { acmCertificateArn: props.certificateArn, sslSupportMethod: "sni-only", minimumProtocolVersion: CLOUDFRONT_TLS_POLICY }
        : { cloudfrontDefaultCertificate: true },
      lifecycle: { preventDestroy: props.retain ?? false },
    });
    if (props.additionalMetrics) {
      new CloudfrontMonitoringSubscription(this, "metrics", {
        distributionId: this.distribution.id,
        monitoringSubscription: { realtimeMetricsSubscriptionConfig: { realtimeMetricsSubscriptionStatus: "Enabled" } },
      });
    }
    // CloudFront developer guide, "Standard logging (v2)": the delivery is configured in us-east-1
    // whatever the bucket's region; the bucket's policy must already allow it (build stack).
    const logSource = new CloudwatchLogDeliverySource(this, "log-source", {
      provider: props.edgeProvider,
      name: props.name,
      logType: "ACCESS_LOGS",
      resourceArn: this.distribution.arn,
    });
    const logDestination = new CloudwatchLogDeliveryDestination(this, "log-destination", {
      provider: props.edgeProvider,
      name: props.name,
      outputFormat: "parquet",
      // A path after the bucket replaces the default AWSLogs/<account>/CloudFront/ prefix.
      deliveryDestinationConfiguration: [{ destinationResourceArn: `${props.accessLogs.bucketArn}/${props.accessLogs.prefix}` }],
    });
    new CloudwatchLogDelivery(this, "log-delivery", {
      provider: props.edgeProvider,
      deliverySourceName: logSource.name,
      deliveryDestinationArn: logDestination.arn,
      s3DeliveryConfiguration: [{ suffixPath: "{yyyy}/{MM}/{dd}/{HH}", enableHiveCompatiblePath: false }],
    });
    const onlyThisDistribution = { StringEquals: { "aws:SourceArn": this.distribution.arn } };
    // CloudFront developer guide, "Restrict access to an Amazon S3 origin": the bucket policy.
    this.bucket.addToResourcePolicy({
      sid: "CloudFrontReadsForThisDistribution",
      principals: { Service: "cloudfront.amazonaws.com" },
      actions: ["s3:GetObject"],
      resources: [`${this.bucket.arn}/*`],
      conditions: onlyThisDistribution,
    });
    // Same guide, "SSE-KMS": the key policy lets CloudFront decrypt, for this distribution only.
    // The guide's statement also allows kms:Encrypt and GenerateDataKey*, for uploads through
    // CloudFront; this distribution allows GET and HEAD only, so Decrypt is all it needs.
    props.key.addToResourcePolicy({
      sid: `CloudFrontDecryptsFor${id.replace(/[^A-Za-z0-9]/g, "")}`,
      principals: { Service: "cloudfront.amazonaws.com" },
      actions: ["kms:Decrypt"],
      resources: ["*"],
      conditions: onlyThisDistribution,
    });
  }

  /**
   * What the site's pipeline needs to publish a release: write this bucket's files (S3 deploy
   * action, "Service role permissions") and encrypt them with the environment's key, through S3
   * only (kms:ViaService; S3 user guide, "Using SSE-KMS": uploads need GenerateDataKey and Decrypt).
   */
  grantDeploy(region: string): PolicyStatement[] {
    return [
      { sid: "WriteOwnSiteFiles", actions: ["s3:PutObject", "s3:PutObjectAcl"], resources: [`${this.bucket.arn}/*`] },
      {
        sid: "LocateOwnSiteBucket",
        actions: ["s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:GetBucketAcl"],
        resources: [this.bucket.arn],
      },
      {
        sid: "EncryptOwnSiteFiles",
        actions: ["kms:GenerateDataKey", "kms:Decrypt"],
        resources: [this.keyArn],
        conditions: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } },
      },
    ];
  }

  /** The site's address on CloudFront's domain. */
  get url(): string {
    return `https://${this.distribution.domainName}`;
  }
}
