/** Storage: S3 buckets and their companion resources. */
import type { Attrs, Resource, Rule, StackView } from "./engine";
import { insecureTransportDenial, isTrue, list, statements } from "./policy-reader";

/** A companion resource (public access block, versioning…) of an S3 bucket must satisfy `ok`. */
function bucketCompanion(type: string, missing: string, ok: (a: Attrs) => string | undefined) {
  return (bucket: Resource, stack: StackView): string | undefined => {
    const companions = stack.referring(type, "bucket", bucket);
    if (companions.length === 0) return missing;
    for (const c of companions) {
      const problem = ok(c.attrs);
      if (problem) return problem;
    }
    return undefined;
  };
}

export const S3: Rule[] = [
  {
    id: "S3_PUBLIC_ACCESS_BLOCKED",
    controls: ["CKV2_AWS_6", "S3.8"],
    description: "S3 buckets block all public access",
    fix: "add an aws_s3_bucket_public_access_block with all four flags true",
    types: ["aws_s3_bucket"],
    check: bucketCompanion("aws_s3_bucket_public_access_block", "no public access block", (a) => {
      const off = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"].filter(
        (f) => !isTrue(a[f]),
      );
      return off.length ? `public access is not fully blocked (${off.join(", ")} not true)` : undefined;
    }),
  },
  {
    id: "S3_VERSIONED",
    controls: ["CKV_AWS_21"],
    description: "S3 buckets are versioned",
    fix: "add an aws_s3_bucket_versioning with status Enabled",
    types: ["aws_s3_bucket"],
    check: bucketCompanion("aws_s3_bucket_versioning", "versioning is not configured", (a) => {
      const status = a.versioning_configuration?.status;
      return status === "Enabled" ? undefined : `versioning is ${status ?? "not enabled"}`;
    }),
  },
  {
    id: "S3_ENCRYPTED_WITH_CMK",
    controls: ["CKV_AWS_145"],
    description: "S3 buckets are encrypted with a customer-managed KMS key",
    fix: "set apply_server_side_encryption_by_default to aws:kms with kms_master_key_id of a customer key",
    types: ["aws_s3_bucket"],
    check: bucketCompanion("aws_s3_bucket_server_side_encryption_configuration", "no default encryption is configured", (a) => {
      const rules = list(a.rule).map((r: Attrs) => r.apply_server_side_encryption_by_default ?? {});
      const bad = rules.find(
        (d: Attrs) => d.sse_algorithm !== "aws:kms" || !d.kms_master_key_id || String(d.kms_master_key_id).startsWith("alias/aws/"),
      );
      return rules.length === 0 || bad ? `default encryption is ${bad?.sse_algorithm ?? "missing"} without a customer key` : undefined;
    }),
  },
  {
    id: "S3_TLS_ONLY",
    controls: ["S3.5"],
    description: "S3 bucket policies deny every request without TLS, to the bucket and to its objects",
    fix: "add a Deny of s3:* on the bucket ARN and <bucket ARN>/* with Bool aws:SecureTransport = false",
    types: ["aws_s3_bucket"],
    check: (bucket, stack) => {
      const policies = stack.referring("aws_s3_bucket_policy", "bucket", bucket);
      if (policies.length === 0) return "no bucket policy denies insecure transport";
      // Bucket-level calls (ListBucket, PutBucketPolicy…) name the bucket's ARN, object calls <ARN>/*.
      const arn = `\${aws_s3_bucket.${bucket.id}.arn}`;
      const covers = (resources: string[]) => resources.includes("*") || (resources.includes(arn) && resources.includes(`${arn}/*`));
      const denied = policies.some((p) =>
        statements(p.attrs.policy).some(
          (st) => insecureTransportDenial(st) && list(st.Action).some((a) => a === "s3:*" || a === "*") && covers(list(st.Resource)),
        ),
      );
      return denied ? undefined : "the bucket policy does not deny insecure transport for every call on the bucket and its objects";
    },
  },
  {
    id: "S3_LIFECYCLE",
    controls: ["CKV2_AWS_61", "CKV_AWS_300"],
    description: "S3 buckets have lifecycle rules, including aborting incomplete multipart uploads",
    fix: "add an aws_s3_bucket_lifecycle_configuration with an enabled rule that aborts incomplete uploads",
    types: ["aws_s3_bucket"],
    check: bucketCompanion("aws_s3_bucket_lifecycle_configuration", "no lifecycle configuration", (a) => {
      const enabled = list(a.rule).filter((r: Attrs) => r.status === "Enabled");
      if (enabled.length === 0) return "no lifecycle rule is enabled";
      return enabled.some((r: Attrs) => list(r.abort_incomplete_multipart_upload).length)
        ? undefined
        : "no rule aborts incomplete multipart uploads";
    }),
  },
  {
    id: "S3_ACLS_DISABLED",
    controls: ["S3.12"],
    description: "S3 buckets disable ACLs (bucket owner enforced)",
    fix: "add an aws_s3_bucket_ownership_controls with object_ownership BucketOwnerEnforced",
    types: ["aws_s3_bucket"],
    check: bucketCompanion("aws_s3_bucket_ownership_controls", "ACLs are not disabled", (a) =>
      a.rule?.object_ownership === "BucketOwnerEnforced" ? undefined : `object ownership is ${a.rule?.object_ownership}`,
    ),
  },
  {
    id: "S3_ACCESS_LOGGED",
    controls: ["CKV_AWS_18", "S3.9"],
    description: "S3 buckets write server access logs to another bucket",
    fix: "add an aws_s3_bucket_logging with target_bucket = the access-log bucket (SecureBucket's serverAccessLogs prop)",
    types: ["aws_s3_bucket"],
    check: bucketCompanion("aws_s3_bucket_logging", "server access logging is not configured", (a) =>
      a.target_bucket ? undefined : "server access logging has no target bucket",
    ),
  },
];
