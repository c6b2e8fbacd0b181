/** Encryption keys. */
import type { Rule } from "./engine";
import { isTrue, list, statements } from "./policy-reader";

/** Condition keys that bind a service principal's use of a key to this account or these resources. */
const SCOPING_KEYS = /^(aws:SourceAccount|aws:SourceArn|aws:SourceOrgID|kms:ViaService|kms:EncryptionContext:.+)$/;

export const KMS: Rule[] = [
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
  {
    id: "KMS_SERVICE_PRINCIPALS_SCOPED",
    controls: ["AWS KMS: cross-service confused deputy prevention in key policies"],
    description: "Key policies let a service use the key only for this account or for named resources",
    fix: "add a condition on aws:SourceAccount (or aws:SourceArn, kms:ViaService, kms:EncryptionContext:*) to the service's statement",
    types: ["aws_kms_key"],
    check: (r) => {
      for (const st of statements(r.attrs.policy).filter((x) => x.Effect === "Allow")) {
        const services = list(st.Principal?.Service) as string[];
        if (services.length === 0) continue;
        const keys = Object.values(st.Condition ?? {}).flatMap((c) => Object.keys(c));
        if (!keys.some((k) => SCOPING_KEYS.test(k)))
          return `${services.join(", ")} may use the key on anyone's behalf (statement ${st.Sid ?? "without Sid"})`;
      }
      return undefined;
    },
  },
];
