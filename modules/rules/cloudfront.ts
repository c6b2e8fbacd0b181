/** CloudFront: the static sites' distributions (modules/constructs/static-site.ts). */
import type { Attrs, Rule } from "./engine";
import { list } from "./policy-reader";

/** Viewer protocol policies that never serve content over plain HTTP. */
const HTTPS_ONLY = ["redirect-to-https", "https-only"];
/** Minimum TLS policies of TLS 1.2 or newer (CloudFront developer guide, "Supported protocols and ciphers between viewers and CloudFront"). */
const MODERN_TLS = /^TLSv1\.2_20(19|21)$|^TLSv1\.3_/;

const behaviours = (r: { attrs: Attrs }): Attrs[] => [
  ...(list(r.attrs.default_cache_behavior) as Attrs[]),
  ...(list(r.attrs.ordered_cache_behavior) as Attrs[]),
];

export const CLOUDFRONT: Rule[] = [
  {
    id: "CLOUDFRONT_HTTPS_ONLY",
    controls: ["CKV_AWS_34", "CloudFront.3"],
    description: "CloudFront distributions redirect HTTP to HTTPS (or refuse HTTP)",
    fix: 'set viewer_protocol_policy = "redirect-to-https" on every cache behaviour',
    types: ["aws_cloudfront_distribution"],
    check: (r) => {
      const plain = behaviours(r).filter((b) => !HTTPS_ONLY.includes(String(b.viewer_protocol_policy)));
      return plain.length ? `a cache behaviour serves plain HTTP (viewer_protocol_policy ${plain[0].viewer_protocol_policy})` : undefined;
    },
  },
  {
    id: "CLOUDFRONT_MODERN_TLS",
    controls: ["CKV_AWS_174", "CloudFront.10"],
    description: "CloudFront distributions with a custom certificate accept TLS 1.2 or newer only",
    fix: 'set viewer_certificate.minimum_protocol_version = "TLSv1.2_2021"',
    types: ["aws_cloudfront_distribution"],
    check: (r) => {
      const cert = (list(r.attrs.viewer_certificate) as Attrs[])[0] ?? {};
      if (cert.cloudfront_default_certificate === true && !cert.acm_certificate_arn) return undefined;
      return MODERN_TLS.test(String(cert.minimum_protocol_version ?? ""))
        ? undefined
        : `minimum_protocol_version is ${cert.minimum_protocol_version ?? "unset"}`;
    },
  },
  {
    id: "CLOUDFRONT_OWN_DOMAIN_IN_PRODUCTION",
    controls: ["CKV_AWS_174", "CloudFront.7"],
    description: "A production distribution serves its own domain with its own ACM certificate, not the default *.cloudfront.net one",
    fix: 'give the site aliases and a certificateArn (ACM, us-east-1) under workloads.<site> in the production environment\'s file (docs/workloads.md, "Give a production site its own domain"), or suppress this rule for it with the reason',
    types: ["aws_cloudfront_distribution"],
    // The default certificate fixes the viewer security policy at TLSv1 (CloudFront developer guide,
    // "Supported protocols and ciphers between viewers and CloudFront"): only a certificate of the
    // site's own lets minimum_protocol_version (CLOUDFRONT_MODERN_TLS) take effect.
    check: (r, stack) => {
      if (stack.facts.tier !== "production") return undefined;
      const cert = (list(r.attrs.viewer_certificate) as Attrs[])[0] ?? {};
      if (!cert.acm_certificate_arn || cert.cloudfront_default_certificate === true)
        return "it is served on the default *.cloudfront.net certificate";
      return list(r.attrs.aliases).length ? undefined : "it has a certificate but no domain of its own (aliases)";
    },
  },
  {
    id: "CLOUDFRONT_ORIGIN_ACCESS_CONTROL",
    controls: ["CKV_AWS_305", "CloudFront.13"],
    description: "CloudFront reads S3 origins through Origin Access Control, not the legacy OAI or a public bucket",
    fix: "give every S3 origin an origin_access_control_id (an aws_cloudfront_origin_access_control of type s3)",
    types: ["aws_cloudfront_distribution"],
    check: (r) => {
      const origins = list(r.attrs.origin) as Attrs[];
      const open = origins.find((o) => !o.origin_access_control_id || list(o.s3_origin_config).length);
      return open ? `origin ${open.origin_id} has no origin access control` : undefined;
    },
  },
  {
    id: "CLOUDFRONT_LOGGING",
    controls: ["CKV_AWS_86", "CloudFront.5"],
    description: "CloudFront distributions deliver standard access logs",
    fix: "add an aws_cloudwatch_log_delivery_source (log_type ACCESS_LOGS) for the distribution, with a delivery (StaticSite does)",
    types: ["aws_cloudfront_distribution"],
    check: (r, stack) => {
      const sources = stack.referring("aws_cloudwatch_log_delivery_source", "resource_arn", r);
      if (!sources.some((s) => s.attrs.log_type === "ACCESS_LOGS")) return "no access-log delivery source for the distribution";
      const delivered = sources.some((s) => stack.referring("aws_cloudwatch_log_delivery", "delivery_source_name", s).length > 0);
      return delivered ? undefined : "the access-log delivery source has no delivery";
    },
  },
  {
    id: "CLOUDFRONT_SECURITY_HEADERS",
    controls: ["CloudFront.HSTS"],
    description: "CloudFront adds security headers (HSTS, nosniff, frame options, referrer policy) to every response",
    fix: "set response_headers_policy_id on every cache behaviour to a policy with security_headers_config (StaticSite does)",
    types: ["aws_cloudfront_distribution"],
    check: (r, stack) => {
      const missing = behaviours(r).find((b) => !b.response_headers_policy_id);
      if (missing) return "a cache behaviour has no response headers policy";
      for (const policy of stack.ofType("aws_cloudfront_response_headers_policy")) {
        const used = behaviours(r).some((b) => String(b.response_headers_policy_id).includes(`.${policy.id}.`));
        if (!used) continue;
        const headers = (list(policy.attrs.security_headers_config) as Attrs[])[0] ?? {};
        const absent = ["strict_transport_security", "content_type_options", "frame_options", "referrer_policy"].filter(
          (h) => !list(headers[h]).length,
        );
        if (absent.length) return `its response headers policy lacks ${absent.join(", ")}`;
      }
      return undefined;
    },
  },
  {
    id: "S3_NO_WEBSITE_ENDPOINT",
    controls: ["CKV2_AWS_6 (website)"],
    description: "No bucket is a website endpoint: its content is served through CloudFront only",
    fix: "remove the aws_s3_bucket_website_configuration; serve the bucket through a CloudFront distribution with OAC",
    types: ["aws_s3_bucket"],
    check: (r, stack) =>
      stack.referring("aws_s3_bucket_website_configuration", "bucket", r).length
        ? "a website endpoint serves the bucket over plain HTTP, bypassing CloudFront"
        : undefined,
  },
];
