import type { Construct } from "constructs";
import type { Config } from "../config";
import { BuildStack } from "./build-stack";
import { AppStack } from "./app-stack";
import type { SynthOptions } from "./project-stack";

export interface ProjectStacks {
  readonly build: BuildStack;
  readonly apps: readonly AppStack[];
}

/** The shared build stack and one app-<env> stack per environment. */
export function createStacks(app: Construct, config: Config, options: SynthOptions = {}): ProjectStacks {
  return {
    build: new BuildStack(app, { project: config.project, environments: config.environments, ...options }),
    apps: config.environments.map((environment) => new AppStack(app, { project: config.project, environment, ...options })),
  };
}
