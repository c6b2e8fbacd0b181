import { Construct } from "constructs";
import { markAddressNeutral } from "../lib/logical-id";
import type { WorkloadConfig } from "../config";
import type { Widget } from "../lib/dashboard";
import type { EnvironmentContext } from "./environment";

/** What the environment learns from a workload once it is built. */
export interface WorkloadResult {
  /** Its pipelines' names, for the environment's pipeline notifications (in this order). */
  readonly pipelineNames: readonly string[];
  /**
   * The environment's published outputs this workload provides (modules/stacks/contract.ts,
   * ENVIRONMENT_OUTPUTS): the service provides the load balancer's URL, its pipeline and group.
   * @default - none
   */
  readonly outputs?: Readonly<Record<string, string>>;
  /**
   * Its graphs on the environment's dashboard (modules/constructs/environment-dashboard.ts), as
   * much as the environment's `dashboard` level asks for.
   * @default - none
   */
  readonly widgets?: readonly Widget[];
  /**
   * The CodeDeploy applications it deploys with, whose deployments the environment records
   * (modules/constructs/delivery-events.ts).
   * @default - none
   */
  readonly deploymentApplications?: readonly string[];
}

/**
 * One workload of an environment: everything it owns (its resources, its pipeline, its alarms, the
 * grants its pipeline needs) is built inside it.
 *
 * Its construct id is not part of its resources' addresses (modules/lib/logical-id.ts,
 * markAddressNeutral): the addresses were pinned before workloads were constructs
 * (__tests__/synth/addresses.txt), and a workload's children keep the ids they had in the stack
 * ("fleet", "site-<name>"), so that moving code into a workload replaces nothing in AWS.
 */
export abstract class Workload extends Construct implements WorkloadResult {
  abstract readonly pipelineNames: readonly string[];
  readonly outputs?: Readonly<Record<string, string>>;
  readonly widgets?: readonly Widget[];
  readonly deploymentApplications?: readonly string[];

  protected constructor(scope: Construct, id: string) {
    super(scope, id);
    markAddressNeutral(this);
  }
}

/**
 * A kind of workload: how one is built in an environment, and what the kind builds once for all
 * its workloads there (one alarm rule for every site, say). The stack builds the environment's
 * workloads through WORKLOAD_KINDS (modules/workloads/index.ts) without naming a kind.
 */
export interface WorkloadKind<C extends WorkloadConfig = WorkloadConfig> {
  readonly kind: C["kind"];
  build(scope: Construct, environment: EnvironmentContext, config: C): Workload;
  /** @default - nothing shared */
  shared?(scope: Construct, environment: EnvironmentContext, workloads: readonly Workload[]): void;
}
