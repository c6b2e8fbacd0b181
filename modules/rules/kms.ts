/** Encryption keys. */
import type { Rule } from "./engine";
import { isTrue } from "./policy-reader";

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
];
