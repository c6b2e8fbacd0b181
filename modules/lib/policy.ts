import { PARTITION } from "./arn";
/** One IAM policy statement, written in TypeScript and rendered to the IAM JSON grammar. */
export interface PolicyStatement {
  readonly sid?: string;
  /** @default "Allow" */
  readonly effect?: "Allow" | "Deny";
  readonly actions: readonly string[];
  /** Omitted in trust policies, which name principals instead. */
  readonly resources?: readonly string[];
  readonly principals?: Readonly<Record<string, string | readonly string[]>>;
  /** `{ StringEquals: { "aws:SourceAccount": "123456789012" } }` */
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, string | readonly string[] | boolean>>>>;
}

/** Renders statements as an IAM policy document (a JSON string; tokens resolve at synth). */
export function policyDocument(statements: readonly PolicyStatement[]): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: statements.map((s) => ({
      ...(s.sid ? { Sid: s.sid } : {}),
      Effect: s.effect ?? "Allow",
      ...(s.principals ? { Principal: s.principals } : {}),
      Action: s.actions.length === 1 ? s.actions[0] : s.actions,
      ...(s.resources ? { Resource: s.resources.length === 1 ? s.resources[0] : s.resources } : {}),
      ...(s.conditions ? { Condition: s.conditions } : {}),
    })),
  });
}

/** Denies any request to a resource policy's resources that does not use TLS. */
export function denyInsecureTransport(resources: readonly string[], actions: readonly string[]): PolicyStatement {
  return {
    sid: "DenyInsecureTransport",
    effect: "Deny",
    principals: { AWS: "*" },
    actions,
    resources,
    conditions: { Bool: { "aws:SecureTransport": "false" } },
  };
}

/**
 * Decrypting through SSM only, with the account's keys: what refreshing a SecureString parameter
 * needs of a read-only identity (the provider reads it decrypted: terraform-provider-aws #42849).
 */
export function decryptSecureParametersThroughSsm(region: string, accountId: string): PolicyStatement {
  return {
    sid: "DecryptSecureParametersThroughSsm",
    actions: ["kms:Decrypt"],
    resources: [`arn:${PARTITION}:kms:${region}:${accountId}:key/*`],
    conditions: { StringEquals: { "kms:ViaService": `ssm.${region}.amazonaws.com` } },
  };
}
