import type { Construct } from "constructs";
import type { Config } from "../config";
import { BuildStack } from "./build-stack";
import { AppStack } from "./app-stack";
import { BootstrapStack } from "./bootstrap-stack";
import type { SynthOptions } from "./project-stack";

export interface ProjectStacks {
  readonly build: BuildStack;
  /** One per environment account other than the tooling account (docs/accounts.md). */
  readonly bootstraps: readonly BootstrapStack[];
  readonly apps: readonly AppStack[];
}

/** The shared build stack, the bootstrap of each environment account, and one app-<env> stack per environment. */
export function createStacks(app: Construct, config: Config, options: SynthOptions = {}): ProjectStacks {
  const { project, environments } = config;
  return {
    build: new BuildStack(app, { project, environments, ...options }),
    bootstraps: Object.keys(project.accounts.environments).map(
      (accountId) =>
        new BootstrapStack(app, { project, accountId, environments: environments.filter((e) => e.accountId === accountId), ...options }),
    ),
    apps: environments.map((environment) => new AppStack(app, { project, environment, ...options })),
  };
}
