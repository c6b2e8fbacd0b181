import { Construct } from "constructs";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { denyInsecureTransport, policyDocument } from "../lib/policy";
import { inRange, validateProps } from "../lib/props";
import { isS3BucketName } from "../lib/validators";

export interface ArtifactBucketProps {
  readonly bucketName: string;
  /** ARN of the customer-managed KMS key that encrypts every object. */
  readonly kmsKeyArn: string;
  /** @default 30 - days a replaced object version is kept */
  readonly noncurrentVersionDays?: number;
  /** @default 7 - days before an unfinished multipart upload is aborted */
  readonly abortIncompleteUploadDays?: number;
}

/**
 * The pipelines' artifact bucket: versioned, SSE-KMS with the customer key, no public access, no
 * ACLs, TLS only. Each pipeline writes under its own prefix (modules/config/names.ts).
 *
 * Uploads that ask for another encryption (SSE-S3, SSE-C) are denied; uploads that ask for none
 * get the bucket's default, SSE-KMS with this key, so no object is ever stored unencrypted. Current versions never expire: CodeDeploy's rollback
 * redeploys the last good revision, however old.
 */
export class ArtifactBucket extends Construct {
  readonly bucket: S3Bucket;

  constructor(scope: Construct, id: string, props: ArtifactBucketProps) {
    super(scope, id);
    validateProps(this, "modules/constructs/artifact-bucket.ts", [
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
    ]);
    this.bucket = new S3Bucket(this, "bucket", {
      bucket: props.bucketName,
      lifecycle: { preventDestroy: true },
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
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: props.kmsKeyArn },
          bucketKeyEnabled: true,
        },
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
      ],
    });
    const objects = `${this.bucket.arn}/*`;
    new S3BucketPolicy(this, "policy", {
      bucket,
      policy: policyDocument([
        denyInsecureTransport([this.bucket.arn, objects], ["s3:*"]),
        {
          // Conditions are ANDed: the header is present and asks for something other than SSE-KMS.
          sid: "DenyUploadsWithOtherEncryption",
          effect: "Deny",
          principals: { AWS: "*" },
          actions: ["s3:PutObject"],
          resources: [objects],
          conditions: {
            Null: { "s3:x-amz-server-side-encryption": "false" },
            StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" },
          },
        },
      ]),
      // The public access block must exist first, or a policy could briefly apply without it.
      dependsOn: [publicAccess],
    });
  }

  get arn(): string {
    return this.bucket.arn;
  }

  get name(): string {
    return this.bucket.bucket;
  }
}
