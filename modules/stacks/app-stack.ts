import type { Construct } from "constructs";
import {
  BUILD_STACK,
  appStackName,
  bootstrapStackName,
  eventForwardingName,
  isCrossAccount,
  peopleRoleArns,
  alarmForwardingName,
  pipelineActionsRoleName,
  ACCOUNT_ACCESS_VARIABLE,
  type EnvironmentConfig,
  type ProjectConfig,
  type WorkloadConfig,
} from "../config";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { PipelineActionsRole } from "../constructs/pipeline-actions-role";
import { ProjectStack, type SynthOptions } from "./project-stack";
import { stateLocation } from "./state";
import {
  ENVIRONMENT_OUTPUTS,
  grantPipelineUseOfBuild,
  placeholderBootstrapOutputs,
  placeholderBuildOutputs,
  readBootstrapOutputs,
  type BootstrapOutputs,
  publishEnvironmentOutputs,
  readBuildOutputs,
  requireAvailableConnection,
  type BuildOutputs,
  type EnvironmentOutputs,
} from "./contract";
import { EventForwarding, PipelineEventForwarding, PipelineEvents } from "../constructs/pipeline-events";
import { EnvironmentDashboard } from "../constructs/environment-dashboard";
import { DeliveryEvents, deliveryEventsLogPrefix } from "../constructs/delivery-events";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { Fn, Op, TerraformOutput, TerraformVariable } from "../lib/cdk";
import type { Widget } from "../lib/dashboard";
import { SharedEnvironment, WORKLOAD_KINDS, type Workload, type WorkloadKind } from "../workloads";

export interface AppStackProps extends SynthOptions {
  readonly project: ProjectConfig;
  readonly environment: EnvironmentConfig;
}

/**
 * One environment, `app-<env>`: its shared pieces (key, runtime configuration, log group, alert
 * topic, and the load balancer when a workload needs one), then each of its workloads, built by
 * its kind (modules/workloads), and the notifications of their pipelines. It reads the shared
 * build stack's outputs from build's remote state and can be created, changed and destroyed
 * without touching another environment.
 */
export class AppStack extends ProjectStack {
  readonly build: BuildOutputs;
  readonly shared: SharedEnvironment;
  readonly workloads: readonly Workload[];

  constructor(scope: Construct, props: AppStackProps) {
    const { project: tooling, environment: env } = props;
    const crossAccount = isCrossAccount(tooling, env);
    // What runs in the environment's account names that account; the pipelines stay in tooling's.
    const project: ProjectConfig = crossAccount ? { ...tooling, accountId: env.accountId } : tooling;
    super(scope, appStackName(env.name), {
      project: tooling,
      ...(crossAccount ? { account: { id: env.accountId } } : {}),
      tags: { Environment: env.name, Tier: env.tier, ...env.tags },
      offline: props.offline,
      testStateEndpoint: props.testStateEndpoint,
      facts: {
        tier: env.tier,
        requireApproval: env.pipeline.requireApproval,
        ...(env.firewall.mode === "off" && env.firewall.reason ? { firewallOffReason: env.firewall.reason } : {}),
      },
    });
    this.build = this.offline
      ? placeholderBuildOutputs(tooling, tooling.appName)
      : readBuildOutputs(this, stateLocation(tooling, BUILD_STACK), this.testStateEndpoint);
    const account = crossAccount ? this.bootstrap(tooling, env) : undefined;
    if (!this.offline && !this.testStateEndpoint) {
      const connection = requireAvailableConnection(this, this.build.connectionArn);
      if (crossAccount) connection.provider = this.toolingProvider();
    }

    this.shared = new SharedEnvironment(this, {
      project,
      environment: env,
      // A cross-account environment logs into its own account's bucket (S3 server access logs
      // cannot cross accounts) and delivery log policy, both made by its bootstrap.
      build: account
        ? {
            ...this.build,
            accessLogBucketName: account.accessLogBucketName,
            accessLogBucketArn: account.accessLogBucketArn,
            deliveryEventsLogPrefix: account.deliveryEventsLogPrefix,
          }
        : this.build,
      buildGrants: grantPipelineUseOfBuild(this.build),
      edgeProvider: () => this.edgeProvider(),
      delivery: {
        accountId: tooling.accountId,
        actionsRole: crossAccount
          ? new PipelineActionsRole(this, "pipeline-actions", {
              roleName: pipelineActionsRoleName(tooling.appName, env.name),
              artifactBucketArn: this.build.artifactBucketArn,
              artifactKeyArn: this.build.artifactKeyArn,
            })
          : undefined,
        place: (c) => this.inToolingAccount(c),
      },
    });
    this.workloads = this.buildWorkloads(env.workloads);
    if (crossAccount) {
      this.inToolingAccount(
        new PipelineEventForwarding(this, "pipeline-events-forwarding", {
          name: eventForwardingName(tooling.appName, env.name),
          accountId: tooling.accountId,
          environmentAccountId: env.accountId,
          region: tooling.region,
          pipelineNames: this.workloads.flatMap((w) => w.pipelineNames),
        }),
      );
      // Its operators publish the hotfix notice (npm run promote) on its topic, in its own account:
      // the topic's and the key's policies must admit them too (a cross-account request needs both).
      for (const operator of peopleRoleArns(tooling, env, "operator")) {
        this.shared.alerts.addPublisher(operator);
        this.shared.key.allowPublisher(operator);
      }
    }
    new PipelineEvents(this, "pipeline-events", {
      ruleName: this.shared.alerts.pipelineRuleName,
      pipelineNames: this.workloads.flatMap((w) => w.pipelineNames),
      topicArn: this.shared.alerts.arn,
      notifyOnSuccess: env.pipeline.notifyOnSuccess,
    });
    const delivery = new DeliveryEvents(this, "delivery", {
      appName: project.appName,
      name: this.shared.name,
      // Literal, as every stateful resource's name (build's output holds the same prefix: reading it
      // makes an app stack wait for a build that has the log policy; readBuildOutputs).
      logGroupName: `${deliveryEventsLogPrefix(project.appName)}${env.name}`,
      region: project.region,
      kmsKeyArn: this.shared.key.arn,
      retentionDays: env.logRetentionDays,
      retain: env.deletionProtection,
      pipelineNames: this.workloads.flatMap((w) => w.pipelineNames),
      codeDeployApplications: this.workloads.flatMap((w) => w.deploymentApplications ?? []),
    });
    if (crossAccount) {
      // The project's delivery dashboard (in build) reads the tooling account: the pipelines' own
      // events are recorded there too (where they happen), under the same log group name and
      // metrics, and so are the alarms' state changes (the time to restore), sent from the
      // environment's account; build's bus policy admits that rule only. Deployments stay there.
      new EventForwarding(this, "alarm-events-forwarding", {
        name: alarmForwardingName(tooling.appName, env.name),
        accountId: env.accountId,
        destinationAccountId: tooling.accountId,
        region: tooling.region,
        eventPattern: {
          source: ["aws.cloudwatch"],
          "detail-type": ["CloudWatch Alarm State Change"],
          detail: { alarmName: [{ prefix: `${this.shared.name}-` }] },
        },
        description: `The state changes of ${this.shared.name}'s alarms, to the tooling account ${tooling.accountId}`,
      });
      this.inToolingAccount(
        new DeliveryEvents(this, "tooling-delivery", {
          appName: project.appName,
          name: this.shared.name,
          logGroupName: `${deliveryEventsLogPrefix(project.appName)}${env.name}`,
          region: project.region,
          kmsKeyArn: this.build.artifactKeyArn,
          retentionDays: env.logRetentionDays,
          retain: env.deletionProtection,
          pipelineNames: this.workloads.flatMap((w) => w.pipelineNames),
          codeDeployApplications: [],
        }),
      );
    }
    this.dashboard(project, env, delivery.widgets);
    publishEnvironmentOutputs(this, this.environmentOutputs());
    if (account) this.bound(account.boundaryArn);
  }

  /**
   * The bootstrap of the environment's account: online, read from its state, and the role the
   * default provider assumes comes from it, so that nothing is planned (nor created in the tooling
   * account) before the account is bootstrapped; offline, marked placeholders.
   */
  private bootstrap(tooling: ProjectConfig, env: EnvironmentConfig): BootstrapOutputs {
    const stackName = bootstrapStackName(env.accountId);
    if (this.offline) return placeholderBootstrapOutputs(tooling.appName, env.accountId, env.name);
    const outputs = readBootstrapOutputs(
      this,
      stateLocation(tooling, stackName),
      { accountId: env.accountId, environment: env.name, stackName },
      this.testStateEndpoint,
    );
    // Which of the account's roles: the deploy role, or for a read-only plan the read role (the
    // variable is ephemeral, so a plan made read-only is applied with the deploy role).
    const access = new TerraformVariable(this, ACCOUNT_ACCESS_VARIABLE, {
      type: "string",
      default: "deploy",
      description: 'The role this stack assumes in its account: "deploy", or "read" for a read-only plan',
      validation: [
        {
          condition: `\${contains(["deploy", "read"], var.${ACCOUNT_ACCESS_VARIABLE})}`,
          errorMessage: 'account_access must be "deploy" or "read".',
        },
      ],
    });
    access.overrideLogicalId(ACCOUNT_ACCESS_VARIABLE);
    access.addOverride("ephemeral", true);
    this.assumeRole(Fn.conditional(Op.eq(access.stringValue, "read"), outputs.readRoleArn, outputs.deployRoleArn));
    return outputs;
  }

  /**
   * Every role the stack creates in the environment's account carries the account's permission
   * boundary: the deploy role may create roles only so (modules/stacks/bootstrap-stack.ts).
   */
  private bound(boundaryArn: string): void {
    const tooling = this.toolingProvider();
    for (const c of this.node.findAll()) {
      if (c instanceof IamRole && c.provider !== tooling) c.permissionsBoundary = boundaryArn;
    }
  }

  /** The environment's dashboard: its workloads' graphs and the state of all its alarms (a site's in us-east-1 too). */
  private dashboard(project: ProjectConfig, env: EnvironmentConfig, delivery: readonly Widget[]): void {
    const alarms = this.node.findAll().filter((c): c is CloudwatchMetricAlarm => c instanceof CloudwatchMetricAlarm);
    const { name } = this.shared;
    const dashboard = new EnvironmentDashboard(this, "dashboard", {
      name,
      region: project.region,
      header: [
        `# ${name}`,
        `The ${env.tier} environment ${env.name}: ${env.workloads.map((w) => `${w.name} (${w.kind})`).join(", ")}.`,
        "Graphs of a static site read us-east-1, where CloudFront publishes its metrics (docs/monitoring.md).",
      ].join("\n\n"),
      widgets: [...this.workloads.flatMap((w) => w.widgets ?? []), ...delivery],
      alarmArns: alarms.map((a) => a.arn),
    });
    new TerraformOutput(this, "dashboard_url", {
      value: dashboard.url,
      description: "The environment's CloudWatch dashboard: its workloads' traffic, errors, latency, hosts and alarms",
    }).overrideLogicalId("dashboard_url");
  }

  /** Each workload by its kind, in the environment's order; then what each kind shares. */
  private buildWorkloads(configs: readonly WorkloadConfig[]): Workload[] {
    const byKind = new Map<WorkloadKind, Workload[]>();
    const workloads = configs.map((config) => {
      const kind = WORKLOAD_KINDS[config.kind] as WorkloadKind;
      const workload = kind.build(this, this.shared, config);
      byKind.set(kind, [...(byKind.get(kind) ?? []), workload]);
      return workload;
    });
    for (const [kind, ofKind] of byKind) kind.shared?.(this, this.shared, ofKind);
    return workloads;
  }

  /** The environment's published outputs: the shared pieces', then what its workloads provide. */
  private environmentOutputs(): EnvironmentOutputs {
    const values: Record<string, string> = {
      alertTopicArn: this.shared.alerts.arn,
      logGroupName: this.shared.logGroup.name,
      // The first workload that provides one gives it: the service, else the first container.
      ...Object.assign({}, ...this.workloads.map((w) => w.outputs ?? {}).reverse()),
    };
    const missing = Object.keys(ENVIRONMENT_OUTPUTS).filter((k) => values[k] === undefined);
    if (missing.length) throw new Error(`${this.stackName}: no workload provides the output(s) ${missing.join(", ")}`);
    return values as EnvironmentOutputs;
  }
}
