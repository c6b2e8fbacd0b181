import { Construct } from "constructs";
import { LocalBackend, TerraformDataSource, TerraformElement, TerraformResource, TerraformStack } from "../lib/cdk";
import type { Node } from "constructs";
import { AwsProvider, type AwsProviderConfig } from "@cdktf/provider-aws/lib/provider";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import type { ProjectConfig } from "../config";
import { EDGE_REGION } from "../config/regions";
import { useS3Backend } from "./state";
import { isAddressNeutral, logicalIdOf, LogicalIdCollisionError } from "../lib/logical-id";
import { RULES } from "../rules";
import { SUPPRESSIONS } from "../rules/suppressions";
import { evaluate, RuleViolationError, StackView, type Evaluation, type StackFacts } from "../rules/engine";

/** How a stack is synthesized. */
export interface SynthOptions {
  /**
   * Synthesize for a plan on a machine with no AWS account: local state, a provider that needs no
   * credentials (and holds dummy keys, so the plan can never be applied), and placeholder values
   * for the build stack's outputs. Never deploy an offline synth.
   * @default false
   */
  readonly offline?: boolean;
  /**
   * For S3-compatible testing only: keep state (and read build's outputs) at this endpoint, an
   * s3rver or MinIO URL, instead of AWS S3. The AWS provider then gets the offline plan's dummy
   * credentials, so nothing planned this way can reach or change an AWS account, and `npm run
   * apply` refuses such a plan. Set by `npm run plan` from CICD_TEST_S3_ENDPOINT; `cdktf synth` and
   * `cdktf deploy` (main.ts) never set it.
   * @default - AWS S3
   */
  readonly testStateEndpoint?: string;
}

/** The dummy credentials of an offline synth: any attempt to apply with them is refused by AWS. */
export const OFFLINE_CREDENTIALS = "offline-plan-cannot-be-applied";

export interface ProjectStackProps extends SynthOptions {
  readonly project: ProjectConfig;
  /** Tags on every resource of the stack, on top of the project's. */
  readonly tags: Readonly<Record<string, string>>;
  /**
   * What the security rules need to know about the stack (its tier, its approval gate).
   * @default {} - not an environment stack
   */
  readonly facts?: StackFacts;
  /**
   * The account the stack's default provider deploys to, and the role it assumes there (online
   * only: an offline synth makes no STS call).
   * @default - the tooling account (the project's accountId), with the caller's own credentials
   */
  readonly account?: { readonly id: string; readonly roleArn?: string; readonly sessionName?: string };
}

/**
 * A stack of this project: the AWS provider (locked to the project's account and region, with
 * default tags) and the S3 state backend under the stack's own key.
 */
export class ProjectStack extends TerraformStack {
  readonly offline: boolean;
  readonly testStateEndpoint?: string;
  /** What the security rules need to know about the stack. */
  readonly facts: StackFacts;
  /** The default provider's settings but the region: the same account lock, credentials and tags. */
  private providerConfig: Omit<AwsProviderConfig, "region">;
  private readonly defaultProvider: AwsProvider;
  private readonly unreachable: boolean;
  private readonly sessionName: string;
  private edge?: AwsProvider;
  private tooling?: AwsProvider;
  /** The tooling account's id, and the provider settings other than the default's account. */
  private readonly toolingConfig: Omit<AwsProviderConfig, "region">;
  readonly accountId: string;
  readonly toolingAccountId: string;
  readonly region: string;
  /** Addresses given so far, with the construct path that took each (to refuse a collision). */
  private readonly addresses = new Map<string, string>();

  constructor(
    scope: Construct,
    readonly stackName: string,
    props: ProjectStackProps,
  ) {
    super(scope, stackName);
    const { project } = props;
    this.offline = props.offline ?? false;
    this.testStateEndpoint = this.offline ? undefined : props.testStateEndpoint;
    const account = props.account ?? { id: project.accountId };
    this.facts = { ...props.facts, account: account.id };
    this.accountId = account.id;
    this.toolingAccountId = project.accountId;
    const unreachable = (this.unreachable = this.offline || this.testStateEndpoint !== undefined);
    this.sessionName = account.sessionName ?? `${project.appName}-${stackName}`;
    const defaultTags = [{ tags: { Application: project.appName, Stack: stackName, ManagedBy: "cdktf", ...project.tags, ...props.tags } }];
    const providerFor = (id: string, roleArn?: string): Omit<AwsProviderConfig, "region"> => ({
      ...(unreachable
        ? {
            accessKey: OFFLINE_CREDENTIALS,
            secretKey: OFFLINE_CREDENTIALS,
            skipCredentialsValidation: true,
            skipRequestingAccountId: true,
            skipMetadataApiCheck: "true",
          }
        : {
            allowedAccountIds: [id],
            ...(roleArn ? { assumeRole: [{ roleArn, sessionName: this.sessionName }] } : {}),
          }),
      defaultTags,
    });
    this.providerConfig = providerFor(account.id, account.roleArn);
    this.toolingConfig = providerFor(project.accountId);
    this.region = project.region;
    this.defaultProvider = new AwsProvider(this, "aws", { region: project.region, ...this.providerConfig });
    if (this.offline) {
      new LocalBackend(this, { path: "terraform.tfstate" });
    } else {
      useS3Backend(this, project, stackName, this.testStateEndpoint);
    }
  }

  /**
   * A provider for us-east-1, created on first use: CloudFront publishes its metrics and delivers
   * its logs there only (CloudFront developer guide, "Monitoring CloudFront metrics with
   * CloudWatch" and "Standard logging (v2)").
   */
  edgeProvider(): AwsProvider {
    this.edge ??= new AwsProvider(this, "aws-us-east-1", { ...this.providerConfig, region: EDGE_REGION, alias: "us_east_1" });
    return this.edge;
  }

  /**
   * Makes the default provider (and the us-east-1 one) assume `roleArn` in the stack's account, a
   * value known only online (read from a remote state): an offline synth makes no STS call.
   */
  protected assumeRole(roleArn: string): void {
    if (this.unreachable) return;
    const assumeRole = [{ roleArn, sessionName: this.sessionName }];
    this.providerConfig = { ...this.providerConfig, assumeRole };
    this.defaultProvider.assumeRole = assumeRole;
    if (this.edge) this.edge.assumeRole = assumeRole;
  }

  /** Whether the stack's default provider deploys to an account other than the tooling account. */
  get crossAccount(): boolean {
    return this.accountId !== this.toolingAccountId;
  }

  /**
   * The tooling account's provider, for what a cross-account stack keeps beside the build (its
   * pipelines): the default provider itself when the stack deploys to the tooling account, so
   * that a single-account stack plans exactly as before.
   */
  toolingProvider(): AwsProvider | undefined {
    if (!this.crossAccount) return undefined;
    this.tooling ??= new AwsProvider(this, "aws-tooling", { ...this.toolingConfig, region: this.region, alias: "tooling" });
    return this.tooling;
  }

  /** The roles and instance profiles the stack creates in the tooling account: all of them, unless it deploys elsewhere. */
  toolingIdentities(): { readonly roles: IamRole[]; readonly profiles: IamInstanceProfile[] } {
    const tooling = this.crossAccount ? this.toolingProvider() : undefined;
    const inTooling = (c: TerraformResource) => !this.crossAccount || c.provider === tooling;
    const all = this.node.findAll();
    return {
      roles: all.filter((c): c is IamRole => c instanceof IamRole && inTooling(c)),
      profiles: all.filter((c): c is IamInstanceProfile => c instanceof IamInstanceProfile && inTooling(c)),
    };
  }

  /**
   * Places every resource and data source below `scope` in the tooling account (no change in a
   * single-account stack). Called once the scope is complete.
   */
  inToolingAccount(scope: Construct): void {
    const provider = this.toolingProvider();
    if (!provider) return;
    for (const c of scope.node.findAll()) {
      if (c instanceof TerraformResource || c instanceof TerraformDataSource) c.provider = provider;
    }
  }

  /**
   * Every resource, data source and output is named by the path of its construct below the stack
   * (modules/lib/logical-id.ts), not by cdktf's default of that path plus a hash.
   */
  override allocateLogicalId(element: TerraformElement | Node): string {
    const node = element instanceof TerraformElement ? element.node : element;
    const below = node.scopes
      .slice(node.scopes.indexOf(this) + 1)
      .filter((c) => !isAddressNeutral(c))
      .map((c) => c.node.id);
    const id = logicalIdOf(below);
    const kind =
      element instanceof TerraformDataSource
        ? `data.${element.terraformResourceType}`
        : element instanceof TerraformResource
          ? element.terraformResourceType
          : element.constructor.name;
    const address = `${kind}.${id}`;
    const taken = this.addresses.get(address);
    if (taken !== undefined && taken !== node.path) throw new LogicalIdCollisionError(this.node.id, address, taken, node.path);
    this.addresses.set(address, node.path);
    return id;
  }

  /** The rule pack's verdict on this stack's final configuration (overrides included). */
  evaluateRules(json: Record<string, unknown> = super.toTerraform()): Evaluation {
    return evaluate(new StackView(this.node.id, json, this.facts), RULES, SUPPRESSIONS);
  }

  /**
   * The stack's Terraform JSON, checked against the rule pack (modules/rules): every synth,
   * `cdktf synth` and `Testing.synth` alike, fails on a violation, naming each rule, construct
   * path, problem and fix. Checked here rather than in an aspect so that the stack is resolved
   * once per synth, not twice.
   */
  override toTerraform(): Record<string, unknown> {
    const json = super.toTerraform();
    const result = this.evaluateRules(json);
    if (result.violations.length || result.suppressionErrors.length) {
      throw new RuleViolationError(this.node.id, result.violations, result.suppressionErrors);
    }
    return json;
  }
}
