import type { Attrs, Resource, Rule, StackView } from "./engine";

interface Statement {
  Effect: string;
  Action?: string | string[];
  Resource?: string | string[];
  Principal?: Attrs;
  Condition?: Record<string, Record<string, unknown>>;
}

const list = <T>(v: T | T[] | undefined | null): T[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
const statements = (policy: unknown): Statement[] => {
  if (typeof policy !== "string") return [];
  try {
    return list((JSON.parse(policy) as { Statement?: Statement | Statement[] }).Statement);
  } catch {
    return [];
  }
};
const deniesInsecureTransport = (policy: unknown) =>
  statements(policy).some((s) => s.Effect === "Deny" && String(s.Condition?.Bool?.["aws:SecureTransport"]) === "false");
const isTrue = (v: unknown) => v === true || v === "true";

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

const S3: Rule[] = [
  {
    id: "S3_PUBLIC_ACCESS_BLOCKED",
    controls: ["CKV2_AWS_6", "S3.8"],
    description: "S3 buckets block all public access",
    fix: "add an aws_s3_bucket_public_access_block with all four flags true",
    types: ["aws_s3_bucket"],
    check: bucketCompanion("aws_s3_bucket_public_access_block", "no public access block", (a) => {
      const off = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"].filter((f) => !isTrue(a[f]));
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
      const bad = rules.find((d: Attrs) => d.sse_algorithm !== "aws:kms" || !d.kms_master_key_id || String(d.kms_master_key_id).startsWith("alias/aws/"));
      return rules.length === 0 || bad ? `default encryption is ${bad?.sse_algorithm ?? "missing"} without a customer key` : undefined;
    }),
  },
  {
    id: "S3_TLS_ONLY",
    controls: ["S3.5"],
    description: "S3 bucket policies deny requests without TLS",
    fix: "add a Deny statement with Bool aws:SecureTransport = false to the bucket policy",
    types: ["aws_s3_bucket"],
    check: bucketCompanion("aws_s3_bucket_policy", "no bucket policy denies insecure transport", (a) =>
      deniesInsecureTransport(a.policy) ? undefined : "the bucket policy does not deny insecure transport",
    ),
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
      return enabled.some((r: Attrs) => list(r.abort_incomplete_multipart_upload).length) ? undefined : "no rule aborts incomplete multipart uploads";
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
];

const KMS: Rule[] = [
  {
    id: "KMS_ROTATION",
    controls: ["CKV_AWS_7", "KMS.4"],
    description: "KMS keys rotate automatically",
    fix: "set enable_key_rotation = true",
    types: ["aws_kms_key"],
    check: (r) => (isTrue(r.attrs.enable_key_rotation) ? undefined : "key rotation is off"),
  },
  {
    id: "KMS_EXPLICIT_POLICY",
    controls: ["CKV2_AWS_64"],
    description: "KMS keys have an explicit key policy",
    fix: "set the key's policy",
    types: ["aws_kms_key"],
    check: (r) => (typeof r.attrs.policy === "string" && r.attrs.policy.length > 0 ? undefined : "the key has no explicit policy"),
  },
];

const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL|ACCESS_?KEY)/i;
const SECRET_VALUE = /^(AKIA|ASIA)[A-Z0-9]{16}$|^-----BEGIN [A-Z ]*PRIVATE KEY-----|^gh[pousr]_[A-Za-z0-9]{30,}$/;

const CODEBUILD: Rule[] = [
  {
    id: "CODEBUILD_ENCRYPTED_WITH_CMK",
    controls: ["CKV_AWS_147"],
    description: "CodeBuild projects encrypt artifacts with a customer-managed key",
    fix: "set encryption_key to a customer-managed KMS key ARN",
    types: ["aws_codebuild_project"],
    check: (r) => (r.attrs.encryption_key && !String(r.attrs.encryption_key).includes("alias/aws/") ? undefined : "no customer-managed encryption key"),
  },
  {
    id: "CODEBUILD_LOGGING",
    controls: ["CodeBuild.4"],
    description: "CodeBuild projects log to CloudWatch Logs or S3",
    fix: "set logs_config.cloudwatch_logs.status = ENABLED",
    types: ["aws_codebuild_project"],
    check: (r) => {
      const logs = r.attrs.logs_config ?? {};
      const cw = logs.cloudwatch_logs?.status ?? "ENABLED";
      const s3 = logs.s3_logs?.status ?? "DISABLED";
      return cw === "ENABLED" || s3 === "ENABLED" ? undefined : "build logging is disabled";
    },
  },
  {
    id: "CODEBUILD_NO_PLAINTEXT_SECRETS",
    controls: ["CodeBuild.2"],
    description: "CodeBuild environment variables hold no credentials in plaintext",
    fix: "give the variable type PARAMETER_STORE or SECRETS_MANAGER and a reference as its value",
    types: ["aws_codebuild_project"],
    check: (r) => {
      const leaking = list(r.attrs.environment?.environment_variable).filter(
        (v: Attrs) => (v.type ?? "PLAINTEXT") === "PLAINTEXT" && (SECRET_NAME.test(String(v.name)) || SECRET_VALUE.test(String(v.value))),
      );
      return leaking.length ? `plaintext variable${leaking.length > 1 ? "s" : ""} ${leaking.map((v: Attrs) => v.name).join(", ")} look like credentials` : undefined;
    },
  },
  {
    id: "CODEBUILD_NOT_PRIVILEGED",
    controls: ["CodeBuild.5"],
    description: "CodeBuild projects do not run privileged (root on the build host's Docker daemon)",
    fix: "set environment.privileged_mode = false, or suppress the rule for the project with the reason it builds images",
    types: ["aws_codebuild_project"],
    check: (r) => (isTrue(r.attrs.environment?.privileged_mode) ? "privileged mode is on" : undefined),
  },
];

const PIPELINE: Rule[] = [
  {
    id: "CODEPIPELINE_ENCRYPTED_WITH_CMK",
    controls: ["CKV_AWS_219"],
    description: "CodePipeline artifact stores are encrypted with a customer-managed key",
    fix: "set artifact_store.encryption_key to a customer-managed KMS key",
    types: ["aws_codepipeline"],
    check: (r) => (list(r.attrs.artifact_store).every((s: Attrs) => s.encryption_key?.id) ? undefined : "an artifact store has no customer-managed key"),
  },
  {
    id: "CODEPIPELINE_V2",
    controls: ["project rule: V2 is needed for branch triggers and execution modes"],
    description: "Pipelines are V2 (branch triggers, execution modes)",
    fix: 'set pipeline_type = "V2"',
    types: ["aws_codepipeline"],
    check: (r) => (r.attrs.pipeline_type === "V2" ? undefined : `pipeline type is ${r.attrs.pipeline_type ?? "V1 (the default)"}`),
  },
  {
    id: "CODEPIPELINE_APPROVAL_BEFORE_DEPLOY",
    controls: ["project rule: approval where the environment requires it"],
    description: "Pipelines of environments that require approval have a manual approval before any deploy",
    fix: "add an Approval stage before the Deploy stage (pipeline.requireApproval in the environment file)",
    types: ["aws_codepipeline"],
    check: (r, stack) => {
      if (!stack.facts.requireApproval) return undefined;
      const stages = list(r.attrs.stage) as Attrs[];
      const firstDeploy = stages.findIndex((s) => list(s.action).some((a: Attrs) => a.category === "Deploy"));
      const approval = stages.findIndex((s) => list(s.action).some((a: Attrs) => a.category === "Approval"));
      return approval !== -1 && (firstDeploy === -1 || approval < firstDeploy) ? undefined : "no manual approval before deploy";
    },
  },
];

const CODEDEPLOY: Rule[] = [
  {
    id: "CODEDEPLOY_AUTO_ROLLBACK",
    controls: ["project rule: CodeDeploy automatic rollback"],
    description: "Deployment groups roll back on failure and on alarm, with alarms attached",
    fix: "enable auto_rollback_configuration with DEPLOYMENT_FAILURE and DEPLOYMENT_STOP_ON_ALARM, and alarm_configuration with alarms",
    types: ["aws_codedeploy_deployment_group"],
    check: (r) => {
      const rollback = r.attrs.auto_rollback_configuration ?? {};
      const events: string[] = list(rollback.events);
      if (!isTrue(rollback.enabled) || !events.includes("DEPLOYMENT_FAILURE") || !events.includes("DEPLOYMENT_STOP_ON_ALARM")) {
        return "automatic rollback on failure and on alarm is not enabled";
      }
      const alarms = r.attrs.alarm_configuration ?? {};
      return isTrue(alarms.enabled) && list(alarms.alarms).length > 0 ? undefined : "no alarms are attached";
    },
  },
];

const COMPUTE: Rule[] = [
  {
    id: "EC2_IMDSV2",
    controls: ["CKV_AWS_79", "AutoScaling.3"],
    description: "Launch templates require IMDSv2",
    fix: 'set metadata_options.http_tokens = "required"',
    types: ["aws_launch_template"],
    check: (r) => (r.attrs.metadata_options?.http_tokens === "required" ? undefined : `IMDSv2 is not required (http_tokens ${r.attrs.metadata_options?.http_tokens ?? "unset"})`),
  },
  {
    id: "EC2_NO_PUBLIC_IP",
    controls: ["AutoScaling.5"],
    description: "Launch templates assign no public IP address",
    fix: 'set network_interfaces.associate_public_ip_address = "false"',
    types: ["aws_launch_template"],
    check: (r) => {
      const nics = list(r.attrs.network_interfaces) as Attrs[];
      if (nics.length === 0) return "no network interface states associate_public_ip_address = false";
      return nics.every((n) => n.associate_public_ip_address === "false" || n.associate_public_ip_address === false) ? undefined : "a public IP address may be assigned";
    },
  },
  {
    id: "EC2_EBS_ENCRYPTED",
    controls: ["CKV_AWS_8"],
    description: "Launch templates encrypt every EBS volume",
    fix: 'set block_device_mappings.ebs.encrypted = "true"',
    types: ["aws_launch_template"],
    check: (r) => {
      const volumes = list(r.attrs.block_device_mappings) as Attrs[];
      if (volumes.length === 0) return "the root volume's encryption is not set";
      return volumes.every((b) => isTrue(b.ebs?.encrypted)) ? undefined : "an EBS volume is not encrypted";
    },
  },
  {
    id: "ASG_ELB_HEALTH_CHECK",
    controls: ["AutoScaling.1"],
    description: "Auto Scaling groups behind a load balancer use its health checks",
    fix: 'set health_check_type = "ELB"',
    types: ["aws_autoscaling_group"],
    check: (r) => {
      const behindLb = list(r.attrs.target_group_arns).length > 0 || list(r.attrs.load_balancers).length > 0;
      return !behindLb || r.attrs.health_check_type === "ELB" ? undefined : `health checks are ${r.attrs.health_check_type ?? "EC2"}`;
    },
  },
];

const TLS_POLICIES = /^ELBSecurityPolicy-(TLS13-1-[23]-|TLS-1-2-|FS-1-2-)/;

const LOAD_BALANCER: Rule[] = [
  {
    id: "ALB_HTTP_REDIRECTS",
    controls: ["ELB.1"],
    description: "When an ALB has an HTTPS listener, its HTTP listeners only redirect to HTTPS",
    fix: "make the HTTP listener's default action a redirect to port 443, HTTPS",
    types: ["aws_lb_listener"],
    check: (r, stack) => {
      if (r.attrs.protocol !== "HTTP") return undefined;
      const lb = JSON.stringify(r.attrs.load_balancer_arn);
      const hasHttps = stack.ofType("aws_lb_listener").some((l) => l.attrs.protocol === "HTTPS" && JSON.stringify(l.attrs.load_balancer_arn) === lb);
      if (!hasHttps) return undefined;
      const actions = list(r.attrs.default_action) as Attrs[];
      return actions.length > 0 && actions.every((a) => a.type === "redirect" && a.redirect?.protocol === "HTTPS") ? undefined : "HTTP is served although HTTPS exists";
    },
  },
  {
    id: "ALB_TLS_POLICY",
    controls: ["CKV_AWS_103"],
    description: "HTTPS listeners use a TLS 1.2+ security policy",
    fix: "set ssl_policy to ELBSecurityPolicy-TLS13-1-2-2021-06",
    types: ["aws_lb_listener"],
    check: (r) => (r.attrs.protocol !== "HTTPS" || TLS_POLICIES.test(String(r.attrs.ssl_policy)) ? undefined : `TLS policy ${r.attrs.ssl_policy ?? "(default)"} allows TLS < 1.2`),
  },
  {
    id: "ALB_DROPS_INVALID_HEADERS",
    controls: ["CKV_AWS_131"],
    description: "ALBs drop invalid HTTP headers",
    fix: "set drop_invalid_header_fields = true",
    types: ["aws_lb"],
    check: (r) => (isTrue(r.attrs.drop_invalid_header_fields) ? undefined : "invalid headers are passed on"),
  },
  {
    id: "ALB_DELETION_PROTECTION_IN_PRODUCTION",
    controls: ["CKV_AWS_150"],
    description: "ALBs of production environments have deletion protection",
    fix: "keep deletionProtection true in the production environment's file",
    types: ["aws_lb"],
    check: (r, stack) => (stack.facts.tier !== "production" || isTrue(r.attrs.enable_deletion_protection) ? undefined : "deletion protection is off in production"),
  },
];

const ANYWHERE = ["0.0.0.0/0", "::/0"];
/** Ingress rules in any of the three shapes the provider has, as [from, to, protocol, cidrs]. */
function ingressRules(r: Resource): { from: number; to: number; protocol: string; cidrs: string[] }[] {
  const a = r.attrs;
  if (r.type === "aws_vpc_security_group_ingress_rule") {
    return [{ from: Number(a.from_port ?? 0), to: Number(a.to_port ?? 65535), protocol: String(a.ip_protocol), cidrs: [a.cidr_ipv4, a.cidr_ipv6].filter(Boolean) }];
  }
  if (r.type === "aws_security_group_rule") {
    if (a.type !== "ingress") return [];
    return [{ from: Number(a.from_port), to: Number(a.to_port), protocol: String(a.protocol), cidrs: [...list(a.cidr_blocks), ...list(a.ipv6_cidr_blocks)] as string[] }];
  }
  return (list(a.ingress) as Attrs[]).map((i) => ({
    from: Number(i.from_port),
    to: Number(i.to_port),
    protocol: String(i.protocol),
    cidrs: [...list(i.cidr_blocks), ...list(i.ipv6_cidr_blocks)] as string[],
  }));
}
const allPorts = (p: string) => p === "-1" || p === "all";
const SG_TYPES = ["aws_vpc_security_group_ingress_rule", "aws_security_group_rule", "aws_security_group"];

function openTo(ports: number[], label: string) {
  return (r: Resource): string | undefined => {
    for (const rule of ingressRules(r)) {
      const open = rule.cidrs.filter((c) => ANYWHERE.includes(c));
      if (open.length === 0) continue;
      if (allPorts(rule.protocol)) return `all ports are open to ${open.join(", ")}`;
      const hit = ports.find((p) => rule.from <= p && p <= rule.to);
      if (hit !== undefined) return `port ${hit} (${label}) is open to ${open.join(", ")}`;
    }
    return undefined;
  };
}

const NETWORK: Rule[] = [
  {
    id: "SG_NO_OPEN_ADMIN_PORTS",
    controls: ["CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_277"],
    description: "No security group opens SSH, RDP or all ports to the internet",
    fix: "remove the rule; reach instances through SSM Session Manager",
    types: SG_TYPES,
    check: openTo([22, 3389], "SSH/RDP"),
  },
  {
    id: "SG_NO_OPEN_HTTP",
    controls: ["CKV_AWS_260"],
    description: "No security group opens port 80 to the internet",
    fix: "restrict the CIDRs, or suppress the rule for a public load balancer's listener with the reason",
    types: SG_TYPES,
    check: openTo([80], "HTTP"),
  },
];

/** Actions that do not support resource-level permissions: "*" is their only resource. */
const RESOURCELESS_ACTIONS = new Set([
  "codedeploy-commands-secure:GetDeploymentSpecification",
  "codedeploy-commands-secure:PollHostCommand",
  "codedeploy-commands-secure:PutHostCommandAcknowledgement",
  "codedeploy-commands-secure:PutHostCommandComplete",
  "cloudwatch:PutMetricData",
  "cloudwatch:DescribeAlarms",
  "ec2:DescribeInstances",
  "ec2:DescribeTags",
  "ec2:DescribeVolumes",
  "logs:DescribeLogGroups",
  "sts:GetCallerIdentity",
]);
const IAM_POLICY_TYPES = ["aws_iam_role_policy", "aws_iam_policy", "aws_iam_user_policy", "aws_iam_group_policy"];
const allows = (policy: unknown) => statements(policy).filter((s) => s.Effect === "Allow");

/** Services that send aws:SourceArn when they assume a role (confused-deputy protection). */
const SENDS_SOURCE_ARN = ["codebuild.amazonaws.com", "codepipeline.amazonaws.com", "codedeploy.amazonaws.com", "events.amazonaws.com"];
/** Services that send neither aws:SourceAccount nor aws:SourceArn when they assume a role. */
const SENDS_NO_SOURCE = ["ec2.amazonaws.com"];

const IAM: Rule[] = [
  {
    id: "IAM_NO_WILDCARD_ACTIONS",
    controls: ["CKV_AWS_62", "CKV_AWS_63"],
    description: "IAM policies allow no \"*\", \"*:*\" or whole-service actions",
    fix: "list the actions the role needs",
    types: IAM_POLICY_TYPES,
    check: (r) => {
      const wild = allows(r.attrs.policy).flatMap((s) => list(s.Action)).filter((a) => a === "*" || /^[\w-]+:\*$/.test(a) || a === "*:*");
      return wild.length ? `allows ${[...new Set(wild)].join(", ")}` : undefined;
    },
  },
  {
    id: "IAM_NO_WILDCARD_RESOURCES",
    controls: ["CKV_AWS_355"],
    description: "IAM policies do not allow actions that take a resource on \"*\"",
    fix: "name the resources (ARNs) the actions apply to",
    types: IAM_POLICY_TYPES,
    check: (r) => {
      const bad = allows(r.attrs.policy)
        .filter((s) => list(s.Resource).includes("*"))
        .flatMap((s) => list(s.Action))
        .filter((a) => !RESOURCELESS_ACTIONS.has(a));
      return bad.length ? `allows ${bad.join(", ")} on every resource` : undefined;
    },
  },
  {
    id: "IAM_TRUST_BOUND_TO_ACCOUNT",
    controls: ["AWS IAM: cross-service confused deputy prevention"],
    description: "Service roles trust the service only on this account's behalf (aws:SourceAccount, and aws:SourceArn where the service sends it)",
    fix: "add StringEquals aws:SourceAccount (and ArnLike aws:SourceArn) to the trust policy",
    types: ["aws_iam_role"],
    check: (r) => {
      for (const s of statements(r.attrs.assume_role_policy).filter((st) => st.Effect === "Allow")) {
        for (const service of list(s.Principal?.Service) as string[]) {
          if (SENDS_NO_SOURCE.includes(service)) continue;
          const keys = Object.values(s.Condition ?? {}).flatMap((c) => Object.keys(c));
          if (!keys.includes("aws:SourceAccount")) return `${service} may assume it without an aws:SourceAccount condition`;
          if (SENDS_SOURCE_ARN.includes(service) && !keys.includes("aws:SourceArn")) return `${service} may assume it without an aws:SourceArn condition`;
        }
      }
      return undefined;
    },
  },
];

const LOGS_AND_TOPICS: Rule[] = [
  {
    id: "LOGS_RETENTION",
    controls: ["CKV_AWS_66"],
    description: "Log groups have a retention period",
    fix: "set retention_in_days (logRetentionDays in the environment file)",
    types: ["aws_cloudwatch_log_group"],
    check: (r) => (Number(r.attrs.retention_in_days ?? 0) > 0 ? undefined : "logs are kept forever"),
  },
  {
    id: "SNS_ENCRYPTED_WITH_CMK",
    controls: ["CKV_AWS_26"],
    description: "SNS topics are encrypted with a customer-managed KMS key",
    fix: "set kms_master_key_id to a customer-managed key",
    types: ["aws_sns_topic"],
    check: (r) => (r.attrs.kms_master_key_id && !String(r.attrs.kms_master_key_id).startsWith("alias/aws/") ? undefined : "the topic is not encrypted with a customer key"),
  },
  {
    id: "SNS_TLS_ONLY",
    controls: ["AWS SNS best practice: enforce encryption in transit"],
    description: "SNS topic policies deny publishing without TLS",
    fix: "add a Deny statement with Bool aws:SecureTransport = false to the topic policy",
    types: ["aws_sns_topic"],
    check: (r, stack) => {
      const policies = stack.referring("aws_sns_topic_policy", "arn", r);
      return policies.some((p) => deniesInsecureTransport(p.attrs.policy)) ? undefined : "publishing without TLS is not denied";
    },
  },
];

/** Every rule the project enforces at synth. */
export const RULES: readonly Rule[] = [...S3, ...KMS, ...CODEBUILD, ...PIPELINE, ...CODEDEPLOY, ...COMPUTE, ...LOAD_BALANCER, ...NETWORK, ...IAM, ...LOGS_AND_TOPICS];
