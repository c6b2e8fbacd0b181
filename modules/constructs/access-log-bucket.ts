import { Construct } from "constructs";
import { ACCESS_LOG_KINDS, type AccessLogKind } from "../config/names";
import { elbLogDeliveryPrincipal, type Region } from "../config/regions";
import { inRange, validateProps } from "../lib/props";
import type { PolicyStatement } from "../lib/policy";
import { SecureBucket } from "./secure-bucket";
import { EDGE_REGION } from "../config/regions";

export interface AccessLogBucketProps {
  readonly bucketName: string;
  readonly accountId: string;
  /** The region of the bucket and of every load balancer that writes into it. */
  readonly region: Region;
  /** Days after which a log file of each kind expires. */
  readonly retentionDays: { readonly [K in AccessLogKind]: number };
  /** @default 30 - days a deleted or overwritten log file stays recoverable */
  readonly noncurrentVersionDays?: number;
}

/** CloudWatch Logs' delivery service: vended logs, CloudFront's standard logging (v2) among them. */
export const VENDED_LOG_DELIVERY_SERVICE = "delivery.logs.amazonaws.com";

/** S3 server access log delivery's service principal (S3 user guide, "Enabling Amazon S3 server access logging"). */
export const S3_LOG_DELIVERY_SERVICE = "logging.s3.amazonaws.com";

/**
 * The account's access-log bucket: the ALBs' access and connection logs and the buckets' server
 * access logs, each kind under its own prefix (ACCESS_LOG_KINDS) with its own expiry.
 *
 * Encrypted with SSE-S3, not the customer key: SSE-S3 is the only default encryption ALB log
 * delivery supports (ELB user guide, "Enable access logs for your Application Load Balancer",
 * bucket requirements), and S3 server access logs cannot be delivered to a bucket whose default
 * encryption is SSE-KMS (S3 user guide, "Enabling Amazon S3 server access logging"). The bucket
 * has no server access logs of its own (each delivery would log another one), nor Object Lock or
 * Requester Pays, which S3 log delivery refuses.
 *
 * The policy lets exactly two writers put objects, each only under its kind's prefix and this
 * account's path; nobody outside the account may read.
 * - ALB log delivery, as the ELB log delivery service principal (and, in regions older than August
 *   2022, the region's Elastic Load Balancing account; modules/config/regions.ts), under
 *   `<kind>/<env>/AWSLogs/<account>/`. The documented policy has no source condition, so it cannot
 *   tell one of the account's load balancers from another: each environment's ALB is configured
 *   with its own prefix.
 * - S3 server access log delivery, under `s3-access/`, only for source buckets of this account
 *   (aws:SourceAccount; the S3 guide's recommended condition).
 * - CloudWatch Logs' vended log delivery, for the static sites' CloudFront standard logging (v2),
 *   under `cloudfront-access/`, only from this account's delivery sources in us-east-1. Unlike
 *   CloudFront's legacy logging, it needs no bucket ACLs, so the bucket keeps BucketOwnerEnforced.
 */
export class AccessLogBucket extends SecureBucket {
  constructor(scope: Construct, id: string, props: AccessLogBucketProps) {
    const { accountId, region, retentionDays } = props;
    super(scope, id, {
      bucketName: props.bucketName,
      noncurrentVersionDays: props.noncurrentVersionDays,
      lifecycleRules: (Object.keys(ACCESS_LOG_KINDS) as AccessLogKind[]).map((kind) => ({
        id: `expire-${ACCESS_LOG_KINDS[kind]}`,
        status: "Enabled",
        filter: [{ prefix: `${ACCESS_LOG_KINDS[kind]}/` }],
        expiration: [{ days: retentionDays[kind] }],
      })),
      policyStatements: (arn) => deliveryStatements(arn, accountId, region),
    });
    validateProps(
      this,
      "modules/constructs/access-log-bucket.ts",
      (Object.keys(ACCESS_LOG_KINDS) as AccessLogKind[]).map((kind) => ({
        field: `retentionDays.${kind}`,
        value: retentionDays[kind],
        ok: inRange(retentionDays[kind], 1, 36500),
        message: "must be a whole number of days, at least 1",
      })),
    );
  }
}

/** The Allow statements of the log delivery services (the TLS-only denial comes with SecureBucket). */
function deliveryStatements(bucketArn: string, accountId: string, region: Region): PolicyStatement[] {
  // CloudWatch Logs' delivery sources of this account in CloudFront's region.
  const deliverySources = `arn:aws:logs:${EDGE_REGION}:${accountId}:delivery-source:*`;
  const albPaths = (["albAccess", "albConnection"] as const).map((k) => `${bucketArn}/${ACCESS_LOG_KINDS[k]}/*/AWSLogs/${accountId}/*`);
  return [
    {
      // ELB user guide, "Enable access logs for your Application Load Balancer", step 2.
      sid: "AlbLogDelivery",
      principals: elbLogDeliveryPrincipal(region),
      actions: ["s3:PutObject"],
      resources: albPaths,
    },
    {
      // S3 user guide, "Enabling Amazon S3 server access logging": permissions for log delivery.
      sid: "S3ServerAccessLogDelivery",
      principals: { Service: S3_LOG_DELIVERY_SERVICE },
      actions: ["s3:PutObject"],
      resources: [`${bucketArn}/${ACCESS_LOG_KINDS.s3Access}/*`],
      conditions: { StringEquals: { "aws:SourceAccount": accountId } },
    },
    {
      // CloudWatch Logs user guide, "Logs sent to Amazon S3" (vended logs, used by CloudFront's
      // standard logging v2): only deliveries from this account's sources in CloudFront's region.
      sid: "CloudFrontLogDelivery",
      principals: { Service: VENDED_LOG_DELIVERY_SERVICE },
      actions: ["s3:PutObject"],
      resources: [`${bucketArn}/${ACCESS_LOG_KINDS.cloudfrontAccess}/*`],
      conditions: {
        StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceAccount": accountId },
        ArnLike: { "aws:SourceArn": deliverySources },
      },
    },
    {
      // Same guide: delivery checks the bucket's ACL before its first write.
      sid: "CloudFrontLogDeliveryAclCheck",
      principals: { Service: VENDED_LOG_DELIVERY_SERVICE },
      actions: ["s3:GetBucketAcl"],
      resources: [bucketArn],
      conditions: {
        StringEquals: { "aws:SourceAccount": accountId },
        ArnLike: { "aws:SourceArn": deliverySources },
      },
    },
  ];
}
