import {
  NETWORK,
  PROJECT,
  asList,
  configProblems,
  makeConfig,
  resourceAt,
  resourcesOf,
  roleStatements,
  statementsOf,
  synthAll,
  type Json,
} from "../support/helpers";
import { SITE_ASSETS_ARTIFACT, SITE_PAGES_ARTIFACT } from "../../modules/lib/pipeline-stages";

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
        workloads: {
          admin: { aliases: ["admin.example.com"], certificateArn: CERT },
          customer: { aliases: ["shop.example.com"], certificateArn: CERT },
        },
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

describe("static site pipelines", () => {
  const pipelines = (stack: Json) => resourcesOf(stack, "aws_codepipeline");
  const pipeline = (stack: Json, name: string) => pipelines(stack).find((p) => p.name === name) as Json;
  const stage = (p: Json, name: string) => p.stage.find((s: Json) => s.name === name);

  it("give each workload its own pipeline in each environment", () => {
    expect(pipelines(prod).map((p) => p.name)).toEqual(["prod-shop", "prod-admin-shop", "prod-customer-shop"]);
    expect(pipelines(dev).map((p) => p.name)).toEqual(["dev-shop", "dev-admin-shop"]);
  });

  it("take the site's repository on the environment's branch, and build it on the shared project with its variables", () => {
    const p = pipeline(prod, "prod-admin-shop");
    const [source] = stage(p, "Source").action;
    expect(source.configuration).toMatchObject({ FullRepositoryId: "acme/shop-admin", BranchName: "deploy/prod" });
    expect(p.trigger[0].git_configuration.push[0].branches.includes).toEqual(["deploy/prod"]);
    const [build] = stage(p, "Build").action;
    expect(build.configuration.ProjectName).toBe("${data.terraform_remote_state.build.outputs.build_project_name}");
    expect(build.output_artifacts).toEqual([SITE_ASSETS_ARTIFACT, SITE_PAGES_ARTIFACT]);
    expect(JSON.parse(build.configuration.EnvironmentVariables)).toEqual([
      { name: "ENVIRONMENT", value: "prod", type: "PLAINTEXT" },
      { name: "COMMIT_ID", value: "#{SourceVariables.CommitId}", type: "PLAINTEXT" },
      { name: "WORKLOAD", value: "admin", type: "PLAINTEXT" },
      { name: "API_URL", value: "https://api.example.com", type: "PLAINTEXT" },
    ]);
  });

  it("pass the environment's approval gate, naming the workload", () => {
    const [approve] = stage(pipeline(prod, "prod-admin-shop"), "Approve").action;
    expect(approve.configuration.CustomData).toBe(
      "Deploy admin at commit #{SourceVariables.CommitId} (pushed to #{SourceVariables.BranchName}) to prod? Artifact #{ReleaseVariables.ARTIFACT_DIGEST} (#{ReleaseVariables.ARTIFACT_ORIGIN}).",
    );
    expect(stage(pipeline(dev, "dev-admin-shop"), "Approve")).toBeUndefined();
  });

  it("upload the hashed assets for a year, then the pages revalidated every time, then invalidate the cache, then test the site", () => {
    const actions: Json[] = stage(pipeline(dev, "dev-admin-shop"), "Deploy").action;
    expect(actions.map((a) => [a.name, a.provider, a.run_order, a.input_artifacts])).toEqual([
      ["UploadAssets", "S3", 1, [SITE_ASSETS_ARTIFACT]],
      ["UploadPages", "S3", 2, [SITE_PAGES_ARTIFACT]],
      ["Invalidate", "CodeBuild", 3, [SITE_PAGES_ARTIFACT]],
      ["AcceptanceTests", "CodeBuild", 4, ["Source"]],
    ]);
    // The site's own URL, with the commit released, on the source the tests come from.
    expect(JSON.parse(actions[3].configuration.EnvironmentVariables)).toEqual([
      { name: "APP_URL", value: "https://${aws_cloudfront_distribution.site_admin_distribution.domain_name}", type: "PLAINTEXT" },
      { name: "ENVIRONMENT", value: "dev", type: "PLAINTEXT" },
      { name: "COMMIT_ID", value: "#{SourceVariables.CommitId}", type: "PLAINTEXT" },
    ]);
    const bucket = "${aws_s3_bucket.site_admin_files_bucket.bucket}";
    expect(actions[0].configuration).toEqual({
      BucketName: bucket,
      Extract: "true",
      CacheControl: "public, max-age=31536000, immutable",
      KMSEncryptionKeyARN: "${aws_kms_key.key.arn}",
    });
    expect(actions[1].configuration).toMatchObject({ BucketName: bucket, CacheControl: "no-cache" });
    expect(actions[2].configuration.ProjectName).toBe("${aws_codebuild_project.site_admin_invalidation_project.name}");
    const invalidation = at(dev, "aws_codebuild_project", "site_admin_invalidation_project");
    expect(invalidation.environment.environment_variable).toEqual([
      { name: "DISTRIBUTION_ID", value: "${aws_cloudfront_distribution.site_admin_distribution.id}", type: "PLAINTEXT" },
    ]);
    expect(invalidation.source.buildspec).toContain('create-invalidation --distribution-id \\"$DISTRIBUTION_ID\\" --paths \\"/*\\"');
  });

  it("let the site pipeline write only its own bucket and run only its own invalidation, which touches only its distribution", () => {
    const statements = roleStatements(dev, "dev-admin-shop-pipeline");
    const resources = statements.flatMap((s) => asList(s.Resource));
    expect(resources).not.toContain("*");
    expect(statements.find((s) => s.Sid === "WriteOwnSiteFiles")?.Resource).toBe("${aws_s3_bucket.site_admin_files_bucket.arn}/*");
    expect(statements.find((s) => s.Sid === "RunOwnInvalidation")?.Resource).toBe(
      "${aws_codebuild_project.site_admin_invalidation_project.arn}",
    );
    expect(statements.flatMap((s) => asList(s.Action)).filter((a) => a.startsWith("codedeploy:") || a.startsWith("cloudfront:"))).toEqual(
      [],
    );
    const invalidation = roleStatements(dev, "shop-dev-admin-invalidate");
    expect(invalidation.find((s) => s.Sid === "InvalidateOwnDistribution")).toMatchObject({
      Action: ["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"],
      Resource: "${aws_cloudfront_distribution.site_admin_distribution.arn}",
    });
    expect(invalidation.find((s) => s.Sid === "ReadOwnPipelineArtifacts")?.Resource).toBe(
      "${data.terraform_remote_state.build.outputs.artifact_bucket_arn}/dev-admin-shop/*",
    );
  });

  it("report every workload's pipeline to the environment's topic", () => {
    const rule = at(prod, "aws_cloudwatch_event_rule", "pipeline_events_rule");
    expect(JSON.parse(rule.event_pattern).detail.pipeline).toEqual(["prod-shop", "prod-admin-shop", "prod-customer-shop"]);
  });
});

describe("static site logs and alarms (us-east-1)", () => {
  const edge = "aws.us_east_1";

  it("configure a second provider for us-east-1, locked to the same account, only where there are sites", () => {
    const [home, east] = prod.provider.aws;
    expect(east).toMatchObject({ alias: "us_east_1", region: "us-east-1", allowed_account_ids: home.allowed_account_ids });
    const serviceOnly = synthAll(makeConfig({ dev: { tier: "development", network: NETWORK } }))["app-dev"];
    expect(serviceOnly.provider.aws).toHaveLength(1);
  });

  it("deliver each distribution's standard logs (v2) to build's access-log bucket under its own prefix", () => {
    expect(at(dev, "aws_cloudwatch_log_delivery_source", "site_admin_log_source")).toMatchObject({
      provider: edge,
      log_type: "ACCESS_LOGS",
      resource_arn: "${aws_cloudfront_distribution.site_admin_distribution.arn}",
    });
    expect(at(dev, "aws_cloudwatch_log_delivery_destination", "site_admin_log_destination")).toMatchObject({
      provider: edge,
      delivery_destination_configuration: [
        { destination_resource_arn: "${data.terraform_remote_state.build.outputs.access_log_bucket_arn}/cloudfront-access/dev/admin" },
      ],
    });
    expect(at(dev, "aws_cloudwatch_log_delivery", "site_admin_log_delivery").provider).toBe(edge);
  });

  it("alarm on each site's 5xx rate in us-east-1, at the tier's threshold or the environment's", () => {
    const alarm = at(prod, "aws_cloudwatch_metric_alarm", "site_alarms_admin_5xx_rate");
    expect(alarm).toMatchObject({
      provider: edge,
      alarm_name: "shop-prod-admin-5xx-rate",
      namespace: "AWS/CloudFront",
      metric_name: "5xxErrorRate",
      dimensions: { DistributionId: "${aws_cloudfront_distribution.site_admin_distribution.id}", Region: "Global" },
      threshold: 2,
    });
    expect(at(dev, "aws_cloudwatch_metric_alarm", "site_alarms_admin_5xx_rate").threshold).toBe(10);
  });

  it("bring the alarms' state changes from us-east-1 to the environment's topic, through a rule its policy names", () => {
    const forward = at(prod, "aws_cloudwatch_event_rule", "site_alarms_forward");
    expect(forward.provider).toBe(edge);
    const pattern = JSON.parse(forward.event_pattern);
    expect(pattern.resources).toEqual([
      "arn:aws:cloudwatch:us-east-1:111122223333:alarm:shop-prod-admin-5xx-rate",
      "arn:aws:cloudwatch:us-east-1:111122223333:alarm:shop-prod-customer-5xx-rate",
      // Each site's web firewall (production's tier has it on): its blocked-requests alarm.
      "arn:aws:cloudwatch:us-east-1:111122223333:alarm:shop-prod-admin-waf-blocked",
      "arn:aws:cloudwatch:us-east-1:111122223333:alarm:shop-prod-customer-waf-blocked",
    ]);
    expect(at(prod, "aws_cloudwatch_event_target", "site_alarms_forward_target").arn).toBe(
      "arn:aws:events:us-east-2:111122223333:event-bus/default",
    );
    expect(roleStatements(prod, "shop-prod-site-alarms-forward")).toEqual([
      {
        Sid: "PutEventsOnEnvironmentBus",
        Effect: "Allow",
        Action: "events:PutEvents",
        Resource: "arn:aws:events:us-east-2:111122223333:event-bus/default",
      },
    ]);
    const home = at(prod, "aws_cloudwatch_event_rule", "site_alarms_rule");
    expect(home.provider).toBeUndefined();
    expect(JSON.parse(home.event_pattern)).toEqual(pattern);
    expect(at(prod, "aws_cloudwatch_event_target", "site_alarms_to_topic").arn).toBe("${aws_sns_topic.alerts_topic.arn}");
    const topicPolicy = statementsOf(resourcesOf(prod, "aws_sns_topic_policy")[0].policy);
    expect(topicPolicy.find((s) => s.Sid === "EnvironmentRulesPublish")?.Condition).toEqual({
      ArnEquals: {
        "aws:SourceArn": [
          "arn:aws:events:us-east-2:111122223333:rule/shop-prod-pipeline-events",
          "arn:aws:events:us-east-2:111122223333:rule/shop-prod-site-alarms",
        ],
      },
    });
  });

  it("need no forwarding when the project lives in us-east-1", () => {
    const east = synthAll(makeConfig({ dev: { tier: "development", network: NETWORK } }, { ...project, region: "us-east-1" }))["app-dev"];
    expect(resourcesOf(east, "aws_cloudwatch_event_rule").map((r) => r.name)).toEqual([
      "shop-dev-delivery-alarms",
      "shop-dev-delivery-deployments",
      "shop-dev-delivery-pipelines",
      "shop-dev-pipeline-events",
      "shop-dev-site-alarms",
    ]);
    expect(resourcesOf(east, "aws_iam_role").map((r) => r.name)).not.toContain("shop-dev-site-alarms-forward");
  });
});

describe("static site configuration", () => {
  const problems = (envs: Record<string, unknown>, p: unknown = project): string[] => configProblems(envs, p);

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

  it("refuses an alias that another site or environment already has (CNAMEAlreadyExists)", () => {
    const cert = { certificateArn: CERT };
    const found = problems({
      qa: {
        tier: "development",
        network: NETWORK,
        workloads: {
          admin: { aliases: ["admin.example.com"], ...cert },
          customer: { aliases: ["shop.example.com", "admin.example.com"], ...cert },
        },
      },
      prod: {
        tier: "production",
        network: NETWORK,
        workloads: { customer: { aliases: ["shop.example.com", "www.example.com"], ...cert } },
      },
    });
    expect(found).toEqual([
      "environments/qa.ts workloads.customer.aliases: is already an alias of site admin in environment qa: CloudFront gives a domain name to one distribution only (CNAMEAlreadyExists); give each site in each environment its own name",
      "environments/prod.ts workloads.customer.aliases: is already an alias of site customer in environment qa: CloudFront gives a domain name to one distribution only (CNAMEAlreadyExists); give each site in each environment its own name",
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

  it("refuses to disable the service, and site settings on it", () => {
    const found = problems({
      dev: { tier: "development", network: NETWORK, workloads: { shop: { enabled: false, priceClass: "PriceClass_All" } } },
    });
    expect(found).toEqual([
      "environments/dev.ts workloads.shop.enabled: cannot be false: the service is the environment's core (its load balancer, fleet and pipeline); every environment runs it",
      "environments/dev.ts workloads.shop.priceClass: applies to static sites and containers only; the service's settings are the environment's own fields (compute, alarms, certificateArn, ...)",
    ]);
  });

  it("needs a service or a container, at most one service, and says where the old repository field went", () => {
    const env = { dev: { tier: "development", network: NETWORK } };
    expect(problems(env, { ...PROJECT, workloads: { site: { kind: "static-site", repository: "acme/site" } } })).toEqual([
      'environments/_project.ts workloads: must declare a workload of kind "service" or "container": every environment runs one behind its load balancer',
    ]);
    const two = { api: { kind: "service", repository: "acme/api" }, web: { kind: "service", repository: "acme/web" } };
    expect(problems(env, { ...PROJECT, workloads: two })).toEqual([
      'environments/_project.ts workloads: must declare at most one workload of kind "service" (declares 2): the load balancer\'s default route goes to it',
    ]);
    const { workloads: _, ...old } = PROJECT;
    expect(problems(env, { ...old, repository: "acme/shop" })).toEqual([
      'environments/_project.ts repository: has moved: declare the service as workloads: { <name>: { kind: "service", repository: "owner/name" } } (docs/upgrading.md, "Upgrading")',
      "environments/_project.ts workloads: Invalid input: expected record, received undefined",
    ]);
  });

  it("refuses build variables that look like secrets or that the pipeline sets itself", () => {
    const found = problems(
      { dev: { tier: "development", network: NETWORK } },
      {
        ...PROJECT,
        workloads: { shop: { kind: "service", repository: "acme/shop", buildVariables: { DB_PASSWORD: "x", ENVIRONMENT: "y" } } },
      },
    );
    expect(found).toEqual([
      "environments/_project.ts workloads.shop.buildVariables.DB_PASSWORD: looks like a secret's name, and build variables are plain text in the pipeline definition: keep secrets in Secrets Manager or Parameter Store",
      "environments/_project.ts workloads.shop.buildVariables.ENVIRONMENT: is set by the pipeline itself (ENVIRONMENT, COMMIT_ID, WORKLOAD)",
    ]);
  });

  it("refuses two sites whose pipelines would share an artifact prefix", () => {
    const found = problems(
      { prod: { tier: "production", network: NETWORK } },
      {
        ...PROJECT,
        workloads: {
          ...SERVICE,
          "customer-portal1": { kind: "static-site", repository: "acme/p1" },
          "customer-portal2": { kind: "static-site", repository: "acme/p2" },
        },
      },
    );
    expect(found).toEqual([
      'environments/prod.ts workloads.customer-portal2: gives pipeline prod-customer-portal2-shop the artifact prefix "prod-customer-portal" of pipeline prod-customer-portal1-shop (CodePipeline keeps only the first 20 characters of a pipeline name): make the first characters of the names differ',
    ]);
  });

  it("counts every workload's pipeline against the build cap, and refuses build variables CodePipeline would refuse", () => {
    const found = problems(
      { dev: { tier: "development", network: NETWORK }, prod: { tier: "production", network: NETWORK } },
      {
        ...project,
        build: { concurrentBuildLimit: 5 },
        workloads: { ...project.workloads, shop: { kind: "service", repository: "acme/shop", buildVariables: { BIG: "x".repeat(900) } } },
      },
    );
    expect(found).toEqual([
      "environments/_project.ts build.concurrentBuildLimit: is below the 6 pipelines that build on the shared project: CodeBuild fails builds beyond the cap instead of queueing them; remove it (builds queue) or set at least 6",
      "environments/_project.ts workloads.shop.buildVariables: make the build's variables of shop 1134 characters long in environment dev; CodePipeline accepts at most 1000: pass fewer or shorter values (or read them in the buildspec)",
      "environments/_project.ts workloads.shop.buildVariables: make the build's variables of shop 1135 characters long in environment prod; CodePipeline accepts at most 1000: pass fewer or shorter values (or read them in the buildspec)",
    ]);
  });
});
