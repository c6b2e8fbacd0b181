import { Construct } from "constructs";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { parameterPath, secretName, secretReferenceParameterName, settingParameterName } from "../config/names";
import type { PolicyStatement } from "../lib/policy";
import { inRange, validateProps } from "../lib/props";
import { arn } from "../lib/arn";

export interface RuntimeConfigProps {
  readonly appName: string;
  readonly environment: string;
  readonly accountId: string;
  readonly region: string;
  /** Plain settings, by name: never secrets (their values are in Terraform state). */
  readonly settings: Readonly<Record<string, string>>;
  /** Names of secrets whose values are set out of band. */
  readonly secrets: readonly string[];
  /** The environment's customer-managed key: it encrypts every parameter and secret. */
  readonly kmsKeyArn: string;
  /** @default 30 - days a destroyed secret stays recoverable (7-30), or 0: deleted at once */
  readonly secretRecoveryDays?: number;
  /** Refuse to destroy the secrets (Terraform `prevent_destroy`). @default false */
  readonly retain?: boolean;
}

/**
 * An environment's runtime configuration, under its own names:
 *
 * - each setting, a SecureString parameter `/<app>/<env>/settings/<NAME>` encrypted with the
 *   environment's key (its value comes from git, so Terraform may hold it);
 * - each secret, a Secrets Manager secret `<app>/<env>/<NAME>` encrypted with the same key, with no
 *   `aws_secretsmanager_secret_version`: Terraform creates the container and never sees a value
 *   (set with `aws secretsmanager put-secret-value`; docs/settings-and-secrets.md, "Settings and secrets"), and a
 *   parameter `/<app>/<env>/secrets/<NAME>` that names it, so that the instances find settings and
 *   secrets with one GetParametersByPath on their own path.
 *
 * Neither service needs a key policy statement: Parameter Store and Secrets Manager call KMS with
 * the caller's own permissions (kms:ViaService), which the key policy delegates to IAM (Systems
 * Manager user guide, "How Parameter Store uses AWS KMS"; Secrets Manager user guide, "Secret
 * encryption and decryption").
 */
export class RuntimeConfig extends Construct {
  readonly parameters: SsmParameter[] = [];
  readonly secrets: SecretsmanagerSecret[] = [];
  private readonly props: RuntimeConfigProps;

  constructor(scope: Construct, id: string, props: RuntimeConfigProps) {
    super(scope, id);
    this.props = props;
    validateProps(this, "modules/constructs/runtime-config.ts", [
      {
        field: "secretRecoveryDays",
        value: props.secretRecoveryDays,
        ok: props.secretRecoveryDays === 0 || inRange(props.secretRecoveryDays, 7, 30),
        message: "must be 0 (deleted at once) or 7-30 days (Secrets Manager's recovery window)",
      },
      {
        field: "settings",
        value: Object.keys(props.settings).filter((n) => props.secrets.includes(n)),
        ok: !Object.keys(props.settings).some((n) => props.secrets.includes(n)),
        message: "names both a setting and a secret",
      },
    ]);
    const { appName, environment } = props;
    for (const [name, value] of Object.entries(props.settings)) {
      this.parameters.push(
        new SsmParameter(this, `setting-${name}`, {
          name: settingParameterName(appName, environment, name),
          description: `Setting ${name} of ${appName} in ${environment} (environments/${environment}.ts)`,
          type: "SecureString",
          keyId: props.kmsKeyArn,
          tier: "Standard",
          value,
        }),
      );
    }
    for (const name of props.secrets) {
      const secret = new SecretsmanagerSecret(this, `secret-${name}`, {
        name: secretName(appName, environment, name),
        description: `Secret ${name} of ${appName} in ${environment}; its value is set out of band (docs/settings-and-secrets.md, "Settings and secrets")`,
        kmsKeyId: props.kmsKeyArn,
        recoveryWindowInDays: props.secretRecoveryDays ?? 30,
        lifecycle: { preventDestroy: props.retain ?? false },
      });
      this.secrets.push(secret);
      this.parameters.push(
        new SsmParameter(this, `secret-${name}-reference`, {
          name: secretReferenceParameterName(appName, environment, name),
          description: `Names the secret ${name} of ${appName} in ${environment} (the value is in Secrets Manager)`,
          type: "SecureString",
          keyId: props.kmsKeyArn,
          tier: "Standard",
          value: secret.name,
        }),
      );
    }
  }

  /** The environment's parameter path, `/<app>/<env>`. */
  get path(): string {
    return parameterPath(this.props.appName, this.props.environment);
  }

  /**
   * The settings and secrets as a container's task definition takes them (`secrets`: each name
   * with the ARN of the parameter or secret that holds it; ECS developer guide, "Pass sensitive
   * data to an Amazon ECS container"): ECS fetches them when a task starts, and none is ever a
   * plain environment variable of the task definition.
   */
  containerSecrets(): { name: string; valueFrom: string }[] {
    const { appName, environment } = this.props;
    return [
      ...Object.keys(this.props.settings).map((name) => ({
        name,
        valueFrom: arn(this.props, "ssm", `parameter${settingParameterName(appName, environment, name)}`),
      })),
      ...this.secrets.map((secret, i) => ({ name: this.props.secrets[i], valueFrom: secret.arn })),
    ];
  }

  /**
   * What a task's execution role needs to fetch them (ECS developer guide, "Required IAM permissions
   * for Amazon ECS secrets"): ssm:GetParameters on the settings, secretsmanager:GetSecretValue on
   * the secrets, and the environment's key through the two services.
   */
  grantFetch(): PolicyStatement[] {
    const { appName, environment } = this.props;
    const settings = Object.keys(this.props.settings);
    return [
      ...(settings.length
        ? [
            {
              sid: "FetchOwnEnvironmentSettings",
              actions: ["ssm:GetParameters"],
              resources: settings.map((n) => arn(this.props, "ssm", `parameter${settingParameterName(appName, environment, n)}`)),
            },
          ]
        : []),
      ...(this.secrets.length
        ? [
            {
              sid: "FetchOwnEnvironmentSecrets",
              actions: ["secretsmanager:GetSecretValue"],
              resources: [arn(this.props, "secretsmanager", `secret:${secretName(appName, environment, "*")}`)],
            },
          ]
        : []),
      ...(settings.length || this.secrets.length ? [this.decryptThroughServices()] : []),
    ];
  }

  /**
   * Reading this environment's settings and secrets, and nothing of another environment's:
   * GetParametersByPath is authorized against the requested path itself, so both the path and
   * what lies below it are named (Systems Manager user guide, "How Parameter Store authorizes
   * parameter retrieval"); `/<app>/<env>` does not match `/<app>/<env>-2`. Decryption with the
   * environment's key only through the two services.
   */
  grantRead(): PolicyStatement[] {
    const { appName, environment } = this.props;
    const parameters = arn(this.props, "ssm", `parameter${this.path}`);
    const secrets = arn(this.props, "secretsmanager", `secret:${secretName(appName, environment, "*")}`);
    return [
      {
        sid: "ReadOwnEnvironmentSettings",
        actions: ["ssm:GetParametersByPath"],
        resources: [parameters, `${parameters}/*`],
      },
      { sid: "ReadOwnEnvironmentSecrets", actions: ["secretsmanager:GetSecretValue"], resources: [secrets] },
      // The key is this environment's alone, and the two services decrypt only what the caller
      // may read (the statements above), so kms:ViaService is the only condition needed.
      this.decryptThroughServices(),
    ];
  }

  /** Decryption with the environment's key, through Parameter Store and Secrets Manager only. */
  private decryptThroughServices(): PolicyStatement {
    return {
      sid: "DecryptOwnEnvironmentSettingsAndSecrets",
      actions: ["kms:Decrypt"],
      resources: [this.props.kmsKeyArn],
      conditions: {
        StringEquals: {
          "kms:ViaService": [`ssm.${this.props.region}.amazonaws.com`, `secretsmanager.${this.props.region}.amazonaws.com`],
        },
      },
    };
  }
}
