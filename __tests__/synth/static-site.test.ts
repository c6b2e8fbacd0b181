import { NETWORK, PROJECT, makeConfig, resourceAt, resourcesOf, statementsOf, synthAll, type Json } from "../support/helpers";

// A project with the service and two single-page frontends, as in the seeds (E-Com67: admin and customer).
const SERVICE = { shop: { kind: "service", repository: "acme/shop" } } as const;
const project = {
  ...PROJECT,
  workloads: {
    ...SERVICE,
    admin: { kind: "static-site", repository: "acme/shop-admin", buildVariables: { API_URL: "https://api.example.com" } },
    customer: {
      kind: "static-site",
      repository: "acme/shop-customer",
      contentSecurityPolicy: "default-src 'self' https://api.example.com",
    },
  },
} as const;
const CERT = "arn:aws:acm:us-east-1:111122223333:certificate/12345678-1234-1234-1234-123456789012";
const stacks = synthAll(
  makeConfig(
    {
      dev: { tier: "development", network: NETWORK, workloads: { customer: { enabled: false } } },
      prod: {
        tier: "production",
        network: NETWORK,
        workloads: { customer: { aliases: ["shop.example.com"], certificateArn: CERT } },
      },
    },
    project,
  ),
);
const dev = stacks["app-dev"];
const prod = stacks["app-prod"];
const at = (stack: Json, type: string, id: string) => resourceAt(stack, type, id);

describe("static sites (S3 + CloudFront)", () => {
  it("are served in every environment that does not disable them", () => {
    expect(resourcesOf(prod, "aws_cloudfront_distribution").map((d) => d.comment)).toEqual(["shop-prod-admin", "shop-prod-customer"]);
    expect(resourcesOf(dev, "aws_cloudfront_distribution").map((d) => d.comment)).toEqual(["shop-dev-admin"]);
    expect(prod.output.site_urls.value).toEqual({
      admin: "https://${aws_cloudfront_distribution.site_admin_distribution.domain_name}",
      customer: "https://${aws_cloudfront_distribution.site_customer_distribution.domain_name}",
    });
  });

  describe("bucket", () => {
    const bucketArn = "${aws_s3_bucket.site_admin_files_bucket.arn}";

    it("is private, versioned, ACL-free, encrypted with the environment's key and logged", () => {
      expect(at(dev, "aws_s3_bucket", "site_admin_files_bucket").bucket).toBe("shop-dev-admin-111122223333");
      expect(at(dev, "aws_s3_bucket_public_access_block", "site_admin_files_public_access")).toMatchObject({
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      });
      expect(at(dev, "aws_s3_bucket_ownership_controls", "site_admin_files_ownership").rule.object_ownership).toBe("BucketOwnerEnforced");
      const [rule] = at(dev, "aws_s3_bucket_server_side_encryption_configuration", "site_admin_files_encryption").rule;
      expect(rule.apply_server_side_encryption_by_default).toEqual({
        sse_algorithm: "aws:kms",
        kms_master_key_id: "${aws_kms_key.key.arn}",
      });
      expect(at(dev, "aws_s3_bucket_logging", "site_admin_files_access_logs")).toMatchObject({
        target_bucket: "${data.terraform_remote_state.build.outputs.access_log_bucket_name}",
        target_prefix: "s3-access/shop-dev-admin-111122223333/",
      });
      expect(resourcesOf(dev, "aws_s3_bucket_website_configuration")).toEqual([]);
    });

    it("is readable by CloudFront for its own distribution only, and never without TLS", () => {
      const statements = statementsOf(at(dev, "aws_s3_bucket_policy", "site_admin_files_policy").policy);
      expect(statements.map((s) => s.Sid)).toEqual(["DenyInsecureTransport", "CloudFrontReadsForThisDistribution"]);
      expect(statements[1]).toEqual({
        Sid: "CloudFrontReadsForThisDistribution",
        Effect: "Allow",
        Principal: { Service: "cloudfront.amazonaws.com" },
        Action: "s3:GetObject",
        Resource: `${bucketArn}/*`,
        Condition: { StringEquals: { "aws:SourceArn": "${aws_cloudfront_distribution.site_admin_distribution.arn}" } },
      });
    });

    it("lets CloudFront decrypt with the environment's key for each distribution only", () => {
      const key = statementsOf(at(prod, "aws_kms_key", "key").policy);
      const cloudfront = key.filter((s) => JSON.stringify(s.Principal).includes("cloudfront"));
      expect(cloudfront.map((s) => [s.Action, s.Condition])).toEqual([
        ["kms:Decrypt", { StringEquals: { "aws:SourceArn": "${aws_cloudfront_distribution.site_admin_distribution.arn}" } }],
        ["kms:Decrypt", { StringEquals: { "aws:SourceArn": "${aws_cloudfront_distribution.site_customer_distribution.arn}" } }],
      ]);
    });

    it("is retained in production and deleted with its files elsewhere (the pipeline writes them again)", () => {
      expect(at(prod, "aws_s3_bucket", "site_admin_files_bucket")).toMatchObject({ lifecycle: { prevent_destroy: true } });
      expect(at(dev, "aws_s3_bucket", "site_admin_files_bucket")).toMatchObject({
        force_destroy: true,
        lifecycle: { prevent_destroy: false },
      });
    });
  });

  describe("distribution", () => {
    const admin = at(dev, "aws_cloudfront_distribution", "site_admin_distribution");
    const customer = at(prod, "aws_cloudfront_distribution", "site_customer_distribution");

    it("reads its bucket through Origin Access Control (not the legacy OAI), signing every request", () => {
      expect(admin.origin).toEqual([
        {
          origin_id: "site-bucket",
          domain_name: "${aws_s3_bucket.site_admin_files_bucket.bucket_regional_domain_name}",
          origin_access_control_id: "${aws_cloudfront_origin_access_control.site_admin_origin_access.id}",
        },
      ]);
      expect(at(dev, "aws_cloudfront_origin_access_control", "site_admin_origin_access")).toMatchObject({
        origin_access_control_origin_type: "s3",
        signing_behavior: "always",
        signing_protocol: "sigv4",
      });
    });

    it("redirects HTTP to HTTPS, compresses, and serves /index.html for paths the bucket lacks", () => {
      expect(admin.default_cache_behavior).toMatchObject({
        viewer_protocol_policy: "redirect-to-https",
        allowed_methods: ["GET", "HEAD"],
        compress: true,
      });
      expect(admin.default_root_object).toBe("index.html");
      expect(admin.custom_error_response.map((r: Json) => [r.error_code, r.response_code, r.response_page_path])).toEqual([
        [403, 200, "/index.html"],
        [404, 200, "/index.html"],
      ]);
    });

    it("adds HSTS, nosniff, frame options, referrer policy and a CSP, the site's own where it sets one", () => {
      const headers = (stack: Json, site: string) =>
        at(stack, "aws_cloudfront_response_headers_policy", `site_${site}_headers`).security_headers_config;
      expect(headers(dev, "admin")).toMatchObject({
        strict_transport_security: { access_control_max_age_sec: 63072000, include_subdomains: true, override: true },
        content_type_options: { override: true },
        frame_options: { frame_option: "DENY", override: true },
        referrer_policy: { referrer_policy: "strict-origin-when-cross-origin", override: true },
      });
      expect(headers(dev, "admin").content_security_policy.content_security_policy).toContain("default-src 'self'");
      expect(headers(prod, "customer").content_security_policy.content_security_policy).toBe("default-src 'self' https://api.example.com");
      expect(admin.default_cache_behavior.response_headers_policy_id).toBe(
        "${aws_cloudfront_response_headers_policy.site_admin_headers.id}",
      );
    });

    it("takes the price class from the tier, and serves a custom domain with TLS 1.2+ and its us-east-1 certificate", () => {
      expect(admin.price_class).toBe("PriceClass_100");
      expect(admin.viewer_certificate).toEqual({ cloudfront_default_certificate: true });
      expect(customer.price_class).toBe("PriceClass_All");
      expect(customer.aliases).toEqual(["shop.example.com"]);
      expect(customer.viewer_certificate).toEqual({
        acm_certificate_arn: CERT,
        ssl_support_method: "sni-only",
        minimum_protocol_version: "TLSv1.2_2021",
      });
    });
  });
});

describe("static site configuration", () => {
  const problems = (envs: Record<string, unknown>, p: unknown = project): string[] => {
    try {
      makeConfig(envs, p);
    } catch (error) {
      return ((error as { problems?: { file: string; field: string; message: string }[] }).problems ?? []).map(
        (x) => `${x.file} ${x.field}: ${x.message}`,
      );
    }
    throw new Error("the configuration was accepted");
  };

  it("reports every problem at once: an unknown site, aliases without a certificate, a certificate outside us-east-1", () => {
    const found = problems({
      dev: {
        tier: "development",
        network: NETWORK,
        workloads: {
          nope: { enabled: true },
          admin: { aliases: ["admin.example.com"] },
          customer: { aliases: ["www.example.com"], certificateArn: CERT.replace("us-east-1", "us-east-2") },
        },
      },
    });
    expect(found).toEqual([
      "environments/dev.ts workloads.nope: is not a workload of the project (environments/_project.ts declares shop, admin, customer)",
      "environments/dev.ts workloads.admin.aliases: needs a certificateArn: CloudFront serves a custom domain only with a certificate that covers it",
      "environments/dev.ts workloads.customer.certificateArn: must be an ACM certificate in us-east-1 of account 111122223333: CloudFront uses certificates from us-east-1 only",
    ]);
  });

  it("refuses a site on the service's repository, or two sites on one (both would deploy on every push)", () => {
    const found = problems(
      { dev: { tier: "development", network: NETWORK } },
      {
        ...PROJECT,
        workloads: {
          ...SERVICE,
          admin: { kind: "static-site", repository: "acme/shop" },
          web: { kind: "static-site", repository: "acme/web" },
          www: { kind: "static-site", repository: "Acme/Web" },
        },
      },
    );
    expect(found).toEqual([
      'environments/_project.ts workloads.admin.repository: is also the repository of workload "shop": both pipelines would run on every push to its deploy/<env> branches; give each workload its own repository',
      'environments/_project.ts workloads.www.repository: is also the repository of workload "web": both pipelines would run on every push to its deploy/<env> branches; give each workload its own repository',
    ]);
  });

  it("refuses a site name that makes the bucket name too long, and a price class CloudFront does not have", () => {
    const found = problems(
      {
        "a-long-environment": {
          tier: "development",
          network: NETWORK,
          workloads: { "customer-portal": { priceClass: "PriceClass_300" } },
        },
      },
      {
        ...PROJECT,
        appName: "a-long-application",
        workloads: { ...SERVICE, "customer-portal": { kind: "static-site", repository: "acme/portal" } },
      },
    );
    expect(found).toContain(
      'environments/a-long-environment.ts workloads.customer-portal.priceClass: Invalid option: expected one of "PriceClass_100"|"PriceClass_200"|"PriceClass_All"',
    );
    expect(found.find((f) => f.includes("bucket name"))).toMatch(
      /"a-long-application-a-long-environment-customer-portal-111122223333" invalid \(66 characters/,
    );
  });
});
