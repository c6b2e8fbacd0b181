import type { Construct } from "constructs";
import { appStackName, bootstrapStackName, BUILD_STACK, CI_STACK, ciEnvironments, type Config } from "../config";
import { BuildStack } from "./build-stack";
import { AppStack } from "./app-stack";
import { BootstrapStack } from "./bootstrap-stack";
import { CiStack } from "./ci-stack";
import type { ProjectStack, SynthOptions } from "./project-stack";

export interface ProjectStacks {
  readonly build: BuildStack;
  /** One per environment account other than the tooling account (docs/accounts.md). */
  readonly bootstraps: readonly BootstrapStack[];
  /** CI's identities in the tooling account, when the project sets `ci`. */
  readonly ci?: CiStack;
  readonly apps: readonly AppStack[];
}

/**
 * The shared build stack, CI's identities (when the project sets `ci`), the bootstrap of each
 * environment account, and one app-<env> stack per environment.
 */
export function createStacks(app: Construct, config: Config, options: SynthOptions = {}): ProjectStacks {
  const { project, environments } = config;
  const ci = ciEnvironments(project, environments);
  const build = new BuildStack(app, { project, environments, ...options });
  const bootstraps = Object.keys(project.accounts.environments).map(
    (accountId) =>
      new BootstrapStack(app, {
        project,
        accountId,
        environments: environments.filter((e) => e.accountId === accountId),
        ci: ci.filter((c) => c.accounts.includes(accountId)),
        ...options,
      }),
  );
  const apps = environments.map((environment) => new AppStack(app, { project, environment, ...options }));
  if (!project.ci) return { build, bootstraps, apps };
  // Every role a GitHub environment's stacks create in the tooling account carries its boundary,
  // and its apply role may manage exactly those roles (modules/stacks/ci-stack.ts).
  const identities = new Map(
    ci.map((c) => {
      const stacks = [build, ...apps].filter((s) => c.stacks.includes(s.stackName));
      const found = stacks.map((s) => s.toolingIdentities());
      for (const role of found.flatMap((f) => f.roles)) role.permissionsBoundary = c.boundaryArn;
      return [
        c.githubEnvironment,
        {
          roles: found.flatMap((f) => f.roles.map((r) => r.nameInput!)),
          profiles: found.flatMap((f) => f.profiles.map((p) => p.nameInput!)),
        },
      ];
    }),
  );
  return { build, bootstraps, apps, ci: new CiStack(app, { project, environments, ci, identities, ...options }) };
}

/** Every stack, in deploy order: ci (when set), build, the accounts' bootstraps, the environments. */
export function stackList(stacks: ProjectStacks): ProjectStack[] {
  return [...(stacks.ci ? [stacks.ci] : []), stacks.build, ...stacks.bootstraps, ...stacks.apps];
}

/** The names of every stack of `config`, in stackList's order, without synthesizing them. */
export function stackNamesOf(config: Config): string[] {
  return [
    ...(config.project.ci ? [CI_STACK] : []),
    BUILD_STACK,
    ...Object.keys(config.project.accounts.environments).map(bootstrapStackName),
    ...config.environments.map((e) => appStackName(e.name)),
  ];
}
