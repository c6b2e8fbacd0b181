import { Construct } from "constructs";
import { Lazy } from "../lib/cdk";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { policyDocument, type PolicyStatement } from "../lib/policy";
import { inRange, isName, validateProps } from "../lib/props";
import { accountRootArn, arn } from "../lib/arn";

export interface EncryptionKeyProps {
  /** Alias without the "alias/" prefix. */
  readonly alias: string;
  readonly description: string;
  readonly accountId: string;
  readonly region: string;
  /**
   * AWS services that encrypt with the key on the account's behalf (for example
   * "cloudwatch.amazonaws.com" publishing to an encrypted SNS topic).
   * @default [] - only IAM principals of the account, through their IAM policies
   */
  readonly servicePrincipals?: readonly string[];
  /**
   * Services that publish to SNS topics encrypted with the key, allowed only for these topics (the
   * topic ARN is SNS's encryption context). For EventBridge, whose deliveries to an encrypted topic
   * fail when the key policy carries aws:SourceAccount or aws:SourceArn (SNS developer guide, "Key
   * management": "Adding the aws:SourceAccount, aws:SourceArn, and aws:SourceOrgID to a AWS KMS
   * policy is not supported for EventBridge-to-encrypted topics").
   * @default - none
   */
  readonly topicPublishers?: { readonly services: readonly string[]; readonly topicArns: readonly string[] };
  /**
   * Let CloudWatch Logs encrypt this account's log groups in this region with the key.
   * @default false
   */
  readonly allowCloudWatchLogs?: boolean;
  /**
   * Refuse to destroy the key (Terraform `prevent_destroy`): data it encrypts outlives a stack.
   * @default false
   */
  readonly retain?: boolean;
  /** @default 30 - days before a scheduled deletion takes effect (7-30) */
  readonly deletionWindowInDays?: number;
}

/**
 * A customer-managed KMS key with yearly rotation and an explicit key policy: the account's IAM
 * policies decide who uses it, and the named services may use it only for this account.
 */
export class EncryptionKey extends Construct {
  readonly key: KmsKey;
  private readonly statements: PolicyStatement[];
  private readonly publishers: string[] = [];
  private readonly region: string;

  constructor(scope: Construct, id: string, props: EncryptionKeyProps) {
    super(scope, id);
    this.region = props.region;
    validateProps(this, "modules/constructs/encryption-key.ts", [
      {
        field: "alias",
        value: props.alias,
        ok: isName(props.alias, /^(?!aws\/)[A-Za-z0-9/_-]+$/, 250),
        message: "must be 1-250 characters of letters, digits and /_- , not starting with aws/",
      },
      {
        field: "deletionWindowInDays",
        value: props.deletionWindowInDays,
        ok: inRange(props.deletionWindowInDays, 7, 30),
        message: "must be 7-30 days",
      },
    ]);
    const statements: PolicyStatement[] = (this.statements = [
      {
        sid: "AccountAdministersKeyThroughIam",
        principals: { AWS: accountRootArn(props.accountId) },
        actions: ["kms:*"],
        resources: ["*"],
      },
    ]);
    if (props.servicePrincipals?.length) {
      statements.push({
        sid: "ServicesEncryptForThisAccount",
        principals: { Service: props.servicePrincipals },
        actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
        resources: ["*"],
        conditions: { StringEquals: { "aws:SourceAccount": props.accountId } },
      });
    }
    if (props.topicPublishers?.services.length) {
      statements.push({
        sid: "ServicesPublishToOwnEncryptedTopics",
        principals: { Service: props.topicPublishers.services },
        actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
        resources: ["*"],
        // SNS asks KMS for data keys with the topic's ARN as encryption context (the key policy
        // pattern AWS documents for service publishers, e.g. GameLift's "Set up an SNS topic with
        // server-side encryption"): the service may use the key for these topics only.
        conditions: { StringEquals: { "kms:EncryptionContext:aws:sns:topicArn": props.topicPublishers.topicArns } },
      });
    }
    if (props.allowCloudWatchLogs) {
      statements.push({
        sid: "CloudWatchLogsEncryptsThisAccountsLogGroups",
        principals: { Service: `logs.${props.region}.amazonaws.com` },
        actions: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        resources: ["*"],
        conditions: {
          ArnLike: {
            "kms:EncryptionContext:aws:logs:arn": arn(props, "logs", "log-group:*"),
          },
        },
      });
    }
    this.key = new KmsKey(this, "key", {
      description: props.description,
      enableKeyRotation: true,
      deletionWindowInDays: props.deletionWindowInDays ?? 30,
      // Rendered at synth, so that constructs created after the key can add to it (addToResourcePolicy).
      policy: Lazy.stringValue({ produce: () => policyDocument(this.statements) }),
      lifecycle: { preventDestroy: props.retain ?? false },
    });
    new KmsAlias(this, "alias", { name: `alias/${props.alias}`, targetKeyId: this.key.keyId });
  }

  get arn(): string {
    return this.key.arn;
  }

  /** Adds a statement to the key policy (one whose principal is a service, bound to one resource). */
  addToResourcePolicy(statement: PolicyStatement): void {
    this.statements.push(statement);
  }

  /**
   * Lets a role of another account encrypt through SNS only, to publish to a topic the key encrypts
   * (the identity side is grantEncrypt, in that role's policy; KMS developer guide, "Allowing users
   * in other accounts to use a KMS key": both policies must allow).
   */
  allowPublisher(roleArn: string): void {
    if (!this.publishers.length) {
      this.statements.push({
        sid: "OtherAccountsPublishThroughSns",
        principals: { AWS: this.publishers },
        actions: ["kms:GenerateDataKey", "kms:Decrypt"],
        resources: ["*"],
        conditions: { StringEquals: { "kms:ViaService": `sns.${this.region}.amazonaws.com` } },
      });
    }
    this.publishers.push(roleArn);
  }

  /** Encrypting and decrypting data keys with this key, through SNS only (to publish to a topic it encrypts). */
  grantEncrypt(sid: string): PolicyStatement {
    return {
      sid,
      actions: ["kms:GenerateDataKey", "kms:Decrypt"],
      resources: [this.arn],
      conditions: { StringEquals: { "kms:ViaService": `sns.${this.region}.amazonaws.com` } },
    };
  }
}
