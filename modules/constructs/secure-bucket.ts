import { Construct } from "constructs";
import { Lazy } from "../lib/cdk";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import {
  S3BucketLifecycleConfiguration,
  type S3BucketLifecycleConfigurationRule,
} from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketLoggingA } from "@cdktf/provider-aws/lib/s3-bucket-logging";
import { denyInsecureTransport, policyDocument, type PolicyStatement } from "../lib/policy";
import { inRange, validateProps } from "../lib/props";
import { isS3BucketName } from "../lib/validators";

/** Where a bucket's server access logs go: the access-log bucket, under the bucket's own prefix. */
export interface ServerAccessLogTarget {
  readonly bucketName: string;
  /** e.g. "s3-access/<bucket name>" (modules/config/names.ts, accessLogPrefix) */
  readonly prefix: string;
}

export interface SecureBucketProps {
  readonly bucketName: string;
  /**
   * ARN of the customer-managed KMS key that encrypts every object.
   * @default - SSE-S3, only for a destination of a service that cannot write SSE-KMS objects
   */
  readonly kmsKeyArn?: string;
  /** @default 30 - days a replaced or deleted object version is kept */
  readonly noncurrentVersionDays?: number;
  /** @default 7 - days before an unfinished multipart upload is aborted */
  readonly abortIncompleteUploadDays?: number;
  /** Lifecycle rules beyond the three every bucket has (noncurrent versions, delete markers, uploads). */
  readonly lifecycleRules?: readonly S3BucketLifecycleConfigurationRule[];
  /** Bucket policy statements beyond the TLS-only denial, given the bucket's ARN. */
  readonly policyStatements?: (bucketArn: string) => readonly PolicyStatement[];
  /** @default - no server access logs: only for the access-log bucket itself */
  readonly serverAccessLogs?: ServerAccessLogTarget;
  /**
   * Refuse to destroy the bucket (Terraform `prevent_destroy`). A bucket that is not retained holds
   * only what a pipeline can write again, so destroying it also deletes its objects (`force_destroy`).
   * @default true
   */
  readonly retain?: boolean;
}

/**
 * A private S3 bucket with the settings every bucket of the project shares: versioned, encrypted
 * by default, no public access, no ACLs (bucket owner enforced), TLS only, protected from destroy,
 * lifecycle rules that clean up noncurrent versions and unfinished uploads, and server access logs
 * into the access-log bucket. ArtifactBucket and AccessLogBucket extend it.
 */
export class SecureBucket extends Construct {
  readonly bucket: S3Bucket;
  private readonly policyStatements: PolicyStatement[] = [];

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    validateProps(this, "modules/constructs/secure-bucket.ts", [
      {
        field: "bucketName",
        value: props.bucketName,
        ok: isS3BucketName(props.bucketName),
        message: "must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)",
      },
      {
        field: "noncurrentVersionDays",
        value: props.noncurrentVersionDays,
        ok: inRange(props.noncurrentVersionDays, 1, 36500),
        message: "must be at least 1 day",
      },
      {
        field: "abortIncompleteUploadDays",
        value: props.abortIncompleteUploadDays,
        ok: inRange(props.abortIncompleteUploadDays, 1, 365),
        message: "must be 1-365 days",
      },
      {
        field: "serverAccessLogs.bucketName",
        value: props.serverAccessLogs?.bucketName,
        ok: props.serverAccessLogs?.bucketName !== props.bucketName,
        message: "must be another bucket: a bucket that logs into itself logs each log delivery, without end",
      },
    ]);
    const retain = props.retain ?? true;
    this.bucket = new S3Bucket(this, "bucket", {
      bucket: props.bucketName,
      forceDestroy: retain ? undefined : true,
      lifecycle: { preventDestroy: retain },
    });
    const bucket = this.bucket.id;
    new S3BucketOwnershipControls(this, "ownership", {
      bucket,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    const publicAccess = new S3BucketPublicAccessBlock(this, "public-access", {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketVersioningA(this, "versioning", {
      bucket,
      versioningConfiguration: { status: "Enabled" },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket,
      rule: [
        props.kmsKeyArn
          ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: props.kmsKeyArn }, bucketKeyEnabled: true }
          : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
      ],
    });
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket,
      rule: [
        {
          id: "expire-noncurrent-versions",
          status: "Enabled",
          filter: [{ prefix: "" }],
          noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentVersionDays ?? 30 }],
          expiration: [{ expiredObjectDeleteMarker: true }],
        },
        {
          id: "abort-incomplete-uploads",
          status: "Enabled",
          filter: [{ prefix: "" }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: props.abortIncompleteUploadDays ?? 7 }],
        },
        ...(props.lifecycleRules ?? []),
      ],
    });
    this.policyStatements.push(
      denyInsecureTransport([this.bucket.arn, `${this.bucket.arn}/*`], ["s3:*"]),
      ...(props.policyStatements?.(this.bucket.arn) ?? []),
    );
    new S3BucketPolicy(this, "policy", {
      bucket,
      // Rendered at synth, so that constructs created after the bucket can add to it.
      policy: Lazy.stringValue({ produce: () => policyDocument(this.policyStatements) }),
      // The public access block must exist first, or a policy could briefly apply without it.
      dependsOn: [publicAccess],
    });
    if (props.serverAccessLogs) {
      new S3BucketLoggingA(this, "access-logs", {
        bucket,
        targetBucket: props.serverAccessLogs.bucketName,
        // S3 appends nothing between the prefix and the key: end it with "/" to make it a folder.
        targetPrefix: `${props.serverAccessLogs.prefix}/`,
        // <prefix>/<account>/<region>/<bucket>/<yyyy>/<mm>/<dd>/...: partitions Athena can prune.
        targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: "EventTime" } },
      });
    }
  }

  /** Adds a statement to the bucket policy (a service reading for one distribution, for example). */
  addToResourcePolicy(statement: PolicyStatement): void {
    this.policyStatements.push(statement);
  }

  get arn(): string {
    return this.bucket.arn;
  }

  get name(): string {
    return this.bucket.bucket;
  }
}
