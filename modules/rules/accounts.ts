/** Access between accounts: the environments' accounts and the tooling account (docs/accounts.md). */
import type { Resource, Rule, StackView } from "./engine";
import { allows, list, type Statement } from "./policy-reader";
import { ELB_LOG_DELIVERY } from "../config/regions";
import { GITHUB_OIDC_HOST } from "../config/names";

/**
 * Accounts AWS itself writes from, named whole in its guides: the regional Elastic Load Balancing
 * accounts that deliver ALB logs (ELB user guide, "Enable access logs"). Not another tenant.
 */
const AWS_SERVICE_ACCOUNTS = new Set(Object.values(ELB_LOG_DELIVERY).flatMap((d) => (typeof d === "object" ? [d.account] : [])));

/** The resource policies a principal of another account can be named in, and the attribute that holds each. */
const RESOURCE_POLICIES: Readonly<Record<string, string>> = {
  aws_iam_role: "assume_role_policy",
  aws_s3_bucket_policy: "policy",
  aws_kms_key: "policy",
  aws_sns_topic_policy: "policy",
  aws_cloudwatch_event_bus_policy: "policy",
};

/** The account a whole-account principal names ("arn:aws:iam::<id>:root" or "<id>"), or undefined for any other principal. */
function wholeAccount(principal: string): string | undefined {
  return /^arn:aws[a-z-]*:iam::(\d{12}):root$/.exec(principal)?.[1] ?? (/^\d{12}$/.test(principal) ? principal : undefined);
}

/**
 * The AWS principals of another account than `own` that a policy's Allow statements name, with the
 * roles their condition admits. A key's grant usable through another service only (kms:ViaService,
 * such as SNS for a topic's publishers) reaches no bucket: it is left out.
 */
function foreignGrants(policy: unknown, own: string | undefined): string[] {
  const throughS3OrAny = (st: Statement) =>
    (list(st.Condition?.StringEquals?.["kms:ViaService"] as string[] | string) as string[]).every((v) => v.startsWith("s3."));
  return allows(policy)
    .filter(throughS3OrAny)
    .flatMap((st: Statement) =>
      (list(st.Principal?.AWS) as string[])
        .filter((p) => p !== "*" && !p.startsWith("${") && !(own && (wholeAccount(p) === own || p.includes(`::${own}:`))))
        .map((p) => `${p} as ${JSON.stringify([...list(st.Condition?.ArnLike?.["aws:PrincipalArn"] as string[] | string)].sort())}`),
    );
}

/** The KMS key (in this stack) that a bucket's default encryption names, for the bucket a bucket policy is on. */
function keyOfBucket(policy: Resource, stack: StackView): Resource | undefined {
  const sse = stack.ofType("aws_s3_bucket_server_side_encryption_configuration").find((r) => r.attrs.bucket === policy.attrs.bucket);
  const keyRef = JSON.stringify(sse?.attrs.rule ?? "").match(/\$\{aws_kms_key\.([A-Za-z0-9_-]+)\.arn\}/)?.[1];
  return keyRef ? stack.ofType("aws_kms_key").find((k) => k.id === keyRef) : undefined;
}

export const ACCOUNTS: Rule[] = [
  {
    id: "CROSS_ACCOUNT_TRUST_NEEDS_CONDITION",
    controls: ["AWS IAM: cross-account access (IAM user guide, 'Cross account resource access in IAM')"],
    description: "A resource policy or trust that names another account as a whole limits it with a condition",
    fix: "name the other account's roles, or add a condition (aws:PrincipalArn, aws:SourceArn) that admits only the principals meant",
    types: Object.keys(RESOURCE_POLICIES),
    check: (r, stack) => {
      const own = stack.facts.account;
      for (const st of allows(r.attrs[RESOURCE_POLICIES[r.type]])) {
        const accounts = (list(st.Principal?.AWS) as string[])
          .map(wholeAccount)
          .filter((a) => a !== undefined && a !== own && !AWS_SERVICE_ACCOUNTS.has(a));
        if (accounts.length && !Object.keys(st.Condition ?? {}).length) {
          return `trusts every principal of account ${accounts.join(", ")} (statement ${st.Sid ?? "without Sid"}) with no condition`;
        }
      }
      return undefined;
    },
  },
  {
    id: "KEY_AND_BUCKET_GRANTS_MATCH",
    controls: ["CodePipeline user guide, 'Create a pipeline in CodePipeline that uses resources from another AWS account'"],
    description:
      "Every other account's principal that a bucket policy admits is admitted by the bucket's key too, and the reverse: a grant on one side only fails at run time",
    fix: "grant each environment account in the key policy and in the bucket policy together (BuildStack.grantEnvironmentAccounts)",
    types: ["aws_s3_bucket_policy"],
    check: (r, stack) => {
      const key = keyOfBucket(r, stack);
      if (!key) return undefined;
      const own = stack.facts.account;
      const bucket = new Set(foreignGrants(r.attrs.policy, own));
      const keyGrants = new Set(foreignGrants(key.attrs.policy, own));
      const bucketOnly = [...bucket].filter((g) => !keyGrants.has(g));
      const keyOnly = [...keyGrants].filter((g) => !bucket.has(g));
      if (!bucketOnly.length && !keyOnly.length) return undefined;
      return [
        bucketOnly.length ? `the bucket policy admits ${bucketOnly.join("; ")}, which key ${key.path} does not` : "",
        keyOnly.length ? `key ${key.path} admits ${keyOnly.join("; ")}, which the bucket policy does not` : "",
      ]
        .filter(Boolean)
        .join("; ");
    },
  },
  {
    id: "GITHUB_OIDC_TRUST_NEEDS_SUBJECT",
    controls: [
      "IAM user guide, 'Configuring a role for GitHub OIDC identity provider'",
      "GitHub docs, 'Configuring OpenID Connect in Amazon Web Services'",
    ],
    description:
      "A role that GitHub Actions' tokens may assume requires STS's audience and one exact subject (a repository's GitHub environment), with no wildcard",
    fix: 'add StringEquals conditions on token.actions.githubusercontent.com:aud ("sts.amazonaws.com") and :sub ("repo:<owner>/<repo>:environment:<name>")',
    types: ["aws_iam_role"],
    check: (r) => {
      for (const st of allows(r.attrs.assume_role_policy)) {
        const federated = list(st.Principal?.Federated) as string[];
        if (!federated.some((p) => p.includes(GITHUB_OIDC_HOST) || p.includes("openid_connect_provider"))) continue;
        const equals = (st.Condition?.StringEquals ?? {}) as Record<string, unknown>;
        const aud = list(equals[`${GITHUB_OIDC_HOST}:aud`] as string | string[]);
        const sub = list(equals[`${GITHUB_OIDC_HOST}:sub`] as string | string[]);
        if (aud.length !== 1 || aud[0] !== "sts.amazonaws.com")
          return `statement ${st.Sid ?? "without Sid"} does not require the audience sts.amazonaws.com`;
        if (!sub.length) return `statement ${st.Sid ?? "without Sid"} admits any repository's workflows: it names no subject`;
        const loose = sub.filter((s) => !/^repo:[^:*?]+\/[^:*?]+:environment:[^*?]+$/.test(s));
        if (loose.length)
          return `statement ${st.Sid ?? "without Sid"} admits the subject ${loose.join(", ")}, not one repository's GitHub environment`;
      }
      return undefined;
    },
  },
];
