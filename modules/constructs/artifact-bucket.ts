import { Construct } from "constructs";
import { SecureBucket, type ServerAccessLogTarget } from "./secure-bucket";

export interface ArtifactBucketProps {
  readonly bucketName: string;
  /** ARN of the customer-managed KMS key that encrypts every object. */
  readonly kmsKeyArn: string;
  /** @default 30 - days a replaced object version is kept */
  readonly noncurrentVersionDays?: number;
  /** @default 7 - days before an unfinished multipart upload is aborted */
  readonly abortIncompleteUploadDays?: number;
  /** Where its server access logs go (the access-log bucket). */
  readonly serverAccessLogs: ServerAccessLogTarget;
}

/**
 * The pipelines' artifact bucket: a SecureBucket encrypted with the customer key. Each pipeline
 * writes under its own prefix (modules/config/names.ts).
 *
 * Uploads that ask for another encryption (SSE-S3, SSE-C) are denied; uploads that ask for none
 * get the bucket's default, SSE-KMS with this key, so no object is ever stored unencrypted.
 * Current versions never expire: CodeDeploy's rollback redeploys the last good revision, however
 * old.
 */
export class ArtifactBucket extends SecureBucket {
  constructor(scope: Construct, id: string, props: ArtifactBucketProps) {
    super(scope, id, {
      ...props,
      policyStatements: (arn) => [
        {
          // Conditions are ANDed: the header is present and asks for something other than SSE-KMS.
          sid: "DenyUploadsWithOtherEncryption",
          effect: "Deny",
          principals: { AWS: "*" },
          actions: ["s3:PutObject"],
          resources: [`${arn}/*`],
          conditions: {
            Null: { "s3:x-amz-server-side-encryption": "false" },
            StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" },
          },
        },
      ],
    });
  }
}
