import {
  asList,
  NETWORK,
  PROJECT,
  makeConfig,
  onlyResource,
  refTo,
  resourceAt,
  resourcesOf,
  roleStatements,
  statementsOf,
  synthAll,
  type Json,
} from "../support/helpers";

const dev = { tier: "development", network: NETWORK };
const build = (project = PROJECT): Json => synthAll(makeConfig({ dev }, project)).build;

describe("build stack", () => {
  const stack = build();
  const keyArn = refTo(stack, "aws_kms_key", "arn");

  describe("artifact KMS key", () => {
    const key = onlyResource(stack, "aws_kms_key");

    it("rotates yearly and is protected from destroy", () => {
      expect(key.enable_key_rotation).toBe(true);
      expect(key.lifecycle).toEqual({ prevent_destroy: true });
    });

    it("has an explicit key policy: the account through IAM, CloudWatch Logs only for this account", () => {
      const statements = statementsOf(key.policy);
      expect(statements[0].Principal).toEqual({ AWS: "arn:aws:iam::111122223333:root" });
      const logs = statements.find((s) => s.Principal?.Service === "logs.us-east-2.amazonaws.com");
      expect(logs?.Condition).toEqual({
        ArnLike: { "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-2:111122223333:log-group:*" },
      });
    });
  });

  // What SecureBucket gives both of build's buckets.
  describe.each([
    ["artifact bucket", "artifacts", "shop-artifacts-111122223333-us-east-2"],
    ["access-log bucket", "access_logs", "shop-access-logs-111122223333-us-east-2"],
  ])("%s", (_, id, name) => {
    const at = (type: string, part: string) => resourceAt(stack, type, `${id}_${part}`);

    it("is named per account and region, and protected from destroy", () => {
      const bucket = at("aws_s3_bucket", "bucket");
      expect(bucket.bucket).toBe(name);
      expect(bucket.lifecycle).toEqual({ prevent_destroy: true });
    });

    it("is versioned, blocks all public access and disables ACLs", () => {
      expect(at("aws_s3_bucket_versioning", "versioning").versioning_configuration.status).toBe("Enabled");
      expect(at("aws_s3_bucket_public_access_block", "public_access")).toMatchObject({
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      });
      expect(at("aws_s3_bucket_ownership_controls", "ownership").rule.object_ownership).toBe("BucketOwnerEnforced");
    });

    it("denies every request without TLS, to the bucket and its objects, once its public access block exists", () => {
      const policy = at("aws_s3_bucket_policy", "policy");
      const tls = statementsOf(policy.policy).find((s) => s.Sid === "DenyInsecureTransport");
      expect(tls).toMatchObject({ Effect: "Deny", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": "false" } } });
      // Bucket-level calls (ListBucket, PutBucketPolicy) name the bucket, object calls <bucket>/*.
      const bucketArn = `\${aws_s3_bucket.${id}_bucket.arn}`;
      expect(tls?.Resource).toEqual([bucketArn, `${bucketArn}/*`]);
      expect(policy.depends_on).toEqual([`aws_s3_bucket_public_access_block.${id}_public_access`]);
    });
  });

  describe("artifact bucket", () => {
    const at = (type: string, part: string) => resourceAt(stack, type, `artifacts_${part}`);

    it("is encrypted with the customer-managed key", () => {
      const [rule] = at("aws_s3_bucket_server_side_encryption_configuration", "encryption").rule;
      expect(rule.apply_server_side_encryption_by_default.sse_algorithm).toBe("aws:kms");
      expect(rule.apply_server_side_encryption_by_default.kms_master_key_id).toBe(keyArn);
    });

    it("denies uploads that ask for another encryption", () => {
      const statements = statementsOf(at("aws_s3_bucket_policy", "policy").policy);
      const sse = statements.find((s) => s.Sid === "DenyUploadsWithOtherEncryption");
      expect(sse).toMatchObject({
        Effect: "Deny",
        Action: "s3:PutObject",
        Condition: {
          Null: { "s3:x-amz-server-side-encryption": "false" },
          StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" },
        },
      });
    });

    it("expires noncurrent versions and aborts incomplete uploads, but never expires current artifacts", () => {
      const rules: Json[] = at("aws_s3_bucket_lifecycle_configuration", "lifecycle").rule;
      expect(rules.flatMap((r) => r.noncurrent_version_expiration ?? [])).toEqual([{ noncurrent_days: 30 }]);
      expect(rules.flatMap((r) => r.abort_incomplete_multipart_upload ?? [])).toEqual([{ days_after_initiation: 7 }]);
      expect(rules.flatMap((r) => r.expiration ?? []).every((e: Json) => e.days === undefined)).toBe(true);
    });

    it("writes its server access logs into the access-log bucket, under its own prefix, partitioned by date", () => {
      expect(onlyResource(stack, "aws_s3_bucket_logging")).toEqual({
        bucket: "${aws_s3_bucket.artifacts_bucket.id}",
        target_bucket: "${aws_s3_bucket.access_logs_bucket.bucket}",
        target_prefix: "s3-access/shop-artifacts-111122223333-us-east-2/",
        target_object_key_format: { partitioned_prefix: { partition_date_source: "EventTime" } },
      });
    });
  });

  describe("access-log bucket", () => {
    const at = (type: string, part: string) => resourceAt(stack, type, `access_logs_${part}`);
    const bucketArn = "${aws_s3_bucket.access_logs_bucket.arn}";
    const statements = statementsOf(at("aws_s3_bucket_policy", "policy").policy);

    it("is not logged into itself", () => {
      const logged = resourcesOf(stack, "aws_s3_bucket_logging").map((l) => l.bucket);
      expect(logged).not.toContain("${aws_s3_bucket.access_logs_bucket.id}");
    });

    it("is encrypted with SSE-S3 (the only encryption ALB log delivery supports)", () => {
      expect(at("aws_s3_bucket_server_side_encryption_configuration", "encryption").rule).toEqual([
        { apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } },
      ]);
    });

    it("expires each kind of log under its own prefix, after the configured days", () => {
      const rules: Json[] = at("aws_s3_bucket_lifecycle_configuration", "lifecycle").rule;
      const expiring = rules.filter((r) => r.expiration?.[0]?.days !== undefined).map((r) => [r.filter[0].prefix, r.expiration[0].days]);
      expect(expiring).toEqual([
        ["alb-access/", 365],
        ["alb-connection/", 365],
        ["s3-access/", 365],
        ["cloudfront-access/", 365],
      ]);
      expect(rules.flatMap((r) => r.noncurrent_version_expiration ?? [])).toEqual([{ noncurrent_days: 30 }]);
      expect(rules.flatMap((r) => r.abort_incomplete_multipart_upload ?? [])).toEqual([{ days_after_initiation: 7 }]);

      const custom = build({ ...PROJECT, accessLogs: { retentionDays: { albConnection: 90 }, noncurrentDays: 7 } });
      const customRules: Json[] = resourceAt(custom, "aws_s3_bucket_lifecycle_configuration", "access_logs_lifecycle").rule;
      expect(customRules.find((r) => r.id === "expire-alb-connection")?.expiration).toEqual([{ days: 90 }]);
      expect(customRules.find((r) => r.id === "expire-alb-access")?.expiration).toEqual([{ days: 365 }]);
      expect(customRules.flatMap((r) => r.noncurrent_version_expiration ?? [])).toEqual([{ noncurrent_days: 7 }]);
    });

    it("lets ELB log delivery (service principal, and us-east-2's ELB account) write the ALB prefixes of this account", () => {
      expect(statements.find((s) => s.Sid === "AlbLogDelivery")).toEqual({
        Sid: "AlbLogDelivery",
        Effect: "Allow",
        // ELB user guide, "Enable access logs for your Application Load Balancer": US East (Ohio).
        Principal: { AWS: "arn:aws:iam::033677994240:root", Service: "logdelivery.elasticloadbalancing.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: [`${bucketArn}/alb-access/*/AWSLogs/111122223333/*`, `${bucketArn}/alb-connection/*/AWSLogs/111122223333/*`],
      });
    });

    it("names only the service principal in a region opened after August 2022 (it has no ELB account)", () => {
      const newer = build({ ...PROJECT, region: "ap-southeast-5" });
      const policy = statementsOf(resourceAt(newer, "aws_s3_bucket_policy", "access_logs_policy").policy);
      expect(policy.find((s) => s.Sid === "AlbLogDelivery")?.Principal).toEqual({
        Service: "logdelivery.elasticloadbalancing.amazonaws.com",
      });
    });

    it("lets S3 log delivery write server access logs under s3-access/ only, for this account's buckets", () => {
      expect(statements.find((s) => s.Sid === "S3ServerAccessLogDelivery")).toEqual({
        Sid: "S3ServerAccessLogDelivery",
        Effect: "Allow",
        Principal: { Service: "logging.s3.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: `${bucketArn}/s3-access/*`,
        Condition: { StringEquals: { "aws:SourceAccount": "111122223333" } },
      });
      expect(statements.map((s) => s.Sid)).toEqual([
        "DenyInsecureTransport",
        "AlbLogDelivery",
        "S3ServerAccessLogDelivery",
        "CloudFrontLogDelivery",
        "CloudFrontLogDeliveryAclCheck",
      ]);
    });

    it("lets CloudWatch Logs' delivery write CloudFront logs under cloudfront-access/ only, from this account's us-east-1 sources", () => {
      const statements = statementsOf(at("aws_s3_bucket_policy", "policy").policy);
      const source = { "aws:SourceArn": "arn:aws:logs:us-east-1:111122223333:delivery-source:*" };
      expect(statements.find((s) => s.Sid === "CloudFrontLogDelivery")).toEqual({
        Sid: "CloudFrontLogDelivery",
        Effect: "Allow",
        Principal: { Service: "delivery.logs.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: "${aws_s3_bucket.access_logs_bucket.arn}/cloudfront-access/*",
        Condition: {
          StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceAccount": "111122223333" },
          ArnLike: source,
        },
      });
      expect(statements.find((s) => s.Sid === "CloudFrontLogDeliveryAclCheck")).toMatchObject({
        Action: "s3:GetBucketAcl",
        Resource: "${aws_s3_bucket.access_logs_bucket.arn}",
        Condition: { StringEquals: { "aws:SourceAccount": "111122223333" }, ArnLike: source },
      });
      // CloudWatch Logs cannot create a delivery to a bucket whose policy has NotPrincipal or
      // NotAction (CloudWatch Logs user guide, "Logs sent to Amazon S3").
      for (const s of statements) expect(Object.keys(s).filter((k) => k.startsWith("Not"))).toEqual([]);
    });

    it("is published through the contract", () => {
      expect(stack.output.access_log_bucket_name.value).toBe("${aws_s3_bucket.access_logs_bucket.bucket}");
      expect(stack.output.access_log_bucket_arn.value).toBe(bucketArn);
    });
  });

  describe("shared CodeBuild project", () => {
    const project = resourceAt(stack, "aws_codebuild_project", "build_project");

    it("builds with a current standard image, unprivileged, with the buildspec from the repository", () => {
      expect(project.environment).toMatchObject({
        image: "aws/codebuild/standard:7.0",
        type: "LINUX_CONTAINER",
        privileged_mode: false,
      });
      expect(project.source).toEqual({ type: "CODEPIPELINE" });
      expect(project.artifacts).toEqual({ type: "CODEPIPELINE" });
    });

    it("encrypts with the customer key, logs to a retained log group, caches, and queues builds instead of failing them", () => {
      expect(project.encryption_key).toBe(keyArn);
      expect(project.cache).toEqual({ type: "S3", location: "${aws_s3_bucket.artifacts_bucket.bucket}/build-cache" });
      // No cap: beyond one, CodeBuild would fail builds instead of queueing them.
      expect(project.concurrent_build_limit).toBeUndefined();
      expect(project.queued_timeout).toBe(480);
      expect(project.logs_config.cloudwatch_logs.status).toBe("ENABLED");
      const logs = resourceAt(stack, "aws_cloudwatch_log_group", "build_logs");
      expect(logs).toMatchObject({ name: "/aws/codebuild/shop-build", retention_in_days: 90 });
      expect(logs.kms_key_id).toBe(keyArn);
    });

    it("takes its limits and image from the project settings", () => {
      const custom = resourceAt(
        build({
          ...PROJECT,
          build: { concurrentBuildLimit: 5, image: "aws/codebuild/amazonlinux-x86_64-standard:5.0", logRetentionDays: 14 },
        }),
        "aws_codebuild_project",
        "build_project",
      );
      expect(custom.concurrent_build_limit).toBe(5);
      expect(custom.environment.image).toBe("aws/codebuild/amazonlinux-x86_64-standard:5.0");
    });

    it("runs under a role that CodeBuild can assume only for this project in this account", () => {
      const role = resourcesOf(stack, "aws_iam_role").find((r) => r.name === "shop-build-codebuild");
      expect(statementsOf(role?.assume_role_policy)[0]).toEqual({
        Effect: "Allow",
        Principal: { Service: "codebuild.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": "111122223333" },
          ArnLike: { "aws:SourceArn": ["arn:aws:codebuild:us-east-2:111122223333:project/shop-build"] },
        },
      });
    });

    it("has a least-privilege role: no wildcards, no IAM, reports only for its own report groups", () => {
      const statements = roleStatements(stack, "shop-build-codebuild");
      for (const s of statements) {
        expect(asList(s.Action).some((a) => a === "*" || a.endsWith(":*") || a.startsWith("iam:"))).toBe(false);
        expect(asList(s.Resource)).not.toContain("*");
      }
      const reports = statements.find((s) => asList(s.Action).includes("codebuild:BatchPutTestCases"));
      expect(reports?.Resource).toBe("arn:aws:codebuild:us-east-2:111122223333:report-group/shop-build-*");
    });
  });

  describe("GitHub connection", () => {
    it("is created when no existing connection is configured", () => {
      expect(onlyResource(stack, "aws_codestarconnections_connection")).toMatchObject({ name: "shop-github", provider_type: "GitHub" });
      expect(stack.output.connection_arn.value).toContain("aws_codestarconnections_connection");
    });

    it("is reused, not created, when its ARN is configured", () => {
      const arn = "arn:aws:codestar-connections:us-east-2:111122223333:connection/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
      const withConnection = build({ ...PROJECT, connectionArn: arn });
      expect(resourcesOf(withConnection, "aws_codestarconnections_connection")).toHaveLength(0);
      expect(withConnection.output.connection_arn.value).toBe(arn);
    });
  });
});
