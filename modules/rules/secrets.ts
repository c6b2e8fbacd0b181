/** Settings and secrets: Parameter Store, Secrets Manager, and plain-text variables anywhere. */
import type { Attrs, Rule } from "./engine";
import { list } from "./policy-reader";
import { SECRET_NAME, SECRET_VALUE } from "../lib/validators";

/** A customer-managed key, not the service's AWS managed one (alias/aws/ssm, alias/aws/secretsmanager). */
const customerKey = (key: unknown) => typeof key === "string" && key.length > 0 && !key.includes("alias/aws/");

/** A parameter's value that only names a secret of Secrets Manager (RuntimeConfig's references). */
const namesSecret = (value: unknown) => /^\$\{aws_secretsmanager_secret\.[A-Za-z0-9_-]+\.name\}$/.test(String(value));

/** A reference to a secret of the same stack (`${aws_secretsmanager_secret.<id>.id}` or `.arn`). */
const refersToSecret = (value: unknown) => /^\$\{aws_secretsmanager_secret\.[A-Za-z0-9_-]+\.(id|arn)\}$/.test(String(value));

export const SECRETS: Rule[] = [
  {
    id: "SSM_PARAMETER_ENCRYPTED_WITH_CMK",
    controls: ["CKV_AWS_337"],
    description: "Parameter Store parameters are SecureString, encrypted with a customer-managed key",
    fix: 'set type = "SecureString" and key_id to the environment\'s KMS key',
    types: ["aws_ssm_parameter"],
    check: (r) => {
      if (r.attrs.type !== "SecureString") return `type is ${r.attrs.type ?? "unset"}, not SecureString`;
      return customerKey(r.attrs.key_id) ? undefined : "no customer-managed key (key_id)";
    },
  },
  {
    id: "SSM_PARAMETER_NO_SECRET_VALUE",
    controls: ["project rule: a parameter's value is in Terraform state and the plan"],
    description: "Parameters that Terraform writes hold no credential: secrets live in Secrets Manager, set out of band",
    fix: "declare the value under secrets in the environment file (its value then never reaches Terraform)",
    types: ["aws_ssm_parameter"],
    check: (r) => {
      const name =
        String(r.attrs.name ?? "")
          .split("/")
          .pop() ?? "";
      if (SECRET_VALUE.test(String(r.attrs.value ?? ""))) return "its value looks like a credential";
      return SECRET_NAME.test(name) && !namesSecret(r.attrs.value)
        ? `${name} looks like a secret's name, with its value in Terraform`
        : undefined;
    },
  },
  {
    id: "SECRETSMANAGER_ENCRYPTED_WITH_CMK",
    controls: ["CKV_AWS_149"],
    description: "Secrets Manager secrets are encrypted with a customer-managed key",
    fix: "set kms_key_id to the environment's KMS key",
    types: ["aws_secretsmanager_secret"],
    check: (r) => (customerKey(r.attrs.kms_key_id) ? undefined : "no customer-managed key (kms_key_id)"),
  },
  {
    id: "SECRETSMANAGER_VALUE_OUTSIDE_TERRAFORM",
    controls: ["project rule: no secret value in git, plans or state"],
    description: "No secret gets its value from Terraform: a secret_version's value would be in the plan and the state",
    fix: 'remove the aws_secretsmanager_secret_version; set the value with aws secretsmanager put-secret-value (docs/settings-and-secrets.md, "Settings and secrets")',
    types: ["aws_secretsmanager_secret", "aws_secretsmanager_secret_version"],
    check: (r, stack) => {
      if (r.type === "aws_secretsmanager_secret_version") {
        // A version of one of the stack's secrets is reported on that secret (below); one that names
        // its secret by a literal name or ARN (a secret of another stack, or made by hand) here.
        return refersToSecret(r.attrs.secret_id)
          ? undefined
          : `it sets the value of secret ${JSON.stringify(r.attrs.secret_id)} in Terraform`;
      }
      const versions = stack.referring("aws_secretsmanager_secret_version", "secret_id", r);
      return versions.length ? `its value is set by Terraform (${versions.map((v) => v.id).join(", ")})` : undefined;
    },
  },
  {
    id: "CODEPIPELINE_NO_PLAINTEXT_SECRETS",
    controls: ["CodeBuild.2 (for the variables a pipeline passes to CodeBuild)"],
    description: "Pipeline build actions pass no credentials as plain-text variables",
    fix: 'keep credentials out of the build\'s variables: read them at run time from Secrets Manager (docs/settings-and-secrets.md, "Settings and secrets")',
    types: ["aws_codepipeline"],
    check: (r) => {
      const leaking = list(r.attrs.stage)
        .flatMap((s: Attrs) => list(s.action))
        .flatMap((a: Attrs) => (a.configuration?.EnvironmentVariables ? (JSON.parse(a.configuration.EnvironmentVariables) as Attrs[]) : []))
        .filter((v) => (v.type ?? "PLAINTEXT") === "PLAINTEXT" && (SECRET_NAME.test(String(v.name)) || SECRET_VALUE.test(String(v.value))));
      return leaking.length ? `plain-text build variables ${leaking.map((v) => v.name).join(", ")} look like credentials` : undefined;
    },
  },
];
