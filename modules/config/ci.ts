import type { EnvironmentConfig, ProjectConfig } from "./model";
import {
  appStackName,
  BUILD_STACK,
  CI_ROLE_PATH,
  ciRoleName,
  PEOPLE_ROLE_PATH,
  peopleRoleName,
  pipelineName,
  planEnvironmentName,
  sitePipelineName,
} from "./names";

/** CI's identities for one GitHub environment (modules/stacks/ci-stack.ts; docs/accounts.md, "CI and people"). */
export interface CiEnvironment {
  /** The GitHub environment that gates the applies of its stacks (required reviewers). */
  readonly githubEnvironment: string;
  /** The GitHub environment their plans run in: no reviewers, the plan role. */
  readonly planEnvironment: string;
  /** The stacks deployed in it: build, or the app stacks of the environments that name it. */
  readonly stacks: readonly string[];
  /** The accounts other than the tooling account that those stacks deploy into. */
  readonly accounts: readonly string[];
  /** The pipelines of those stacks (all in the tooling account). */
  readonly pipelines: readonly string[];
  /** Its environments, each with its pipelines. */
  readonly environments: readonly { readonly name: string; readonly pipelines: readonly string[] }[];
  readonly planRoleArn: string;
  readonly applyRoleArn: string;
  /**
   * The permission boundary every role its stacks create in the tooling account carries: the
   * apply role may create a role only with it, so no role it makes can do more than itself.
   */
  readonly boundaryArn: string;
}

/**
 * One entry per GitHub environment of the project's stacks, build first, when the project sets
 * `ci`; none otherwise. Previews are not among them: they come and go with pull requests, and
 * their workflow keeps its own role (docs/previews.md).
 */
export function ciEnvironments(project: ProjectConfig, environments: readonly EnvironmentConfig[]): CiEnvironment[] {
  if (!project.ci) return [];
  const byName = new Map<string, { stacks: string[]; accounts: Set<string>; environments: { name: string; pipelines: string[] }[] }>([
    [BUILD_STACK, { stacks: [BUILD_STACK], accounts: new Set(), environments: [] }],
  ]);
  for (const env of environments.filter((e) => !e.preview)) {
    const entry = byName.get(env.githubEnvironment) ?? { stacks: [], accounts: new Set<string>(), environments: [] };
    entry.stacks.push(appStackName(env.name));
    entry.environments.push({
      name: env.name,
      pipelines: [
        pipelineName(project.appName, env.name),
        ...env.staticSites.map((s) => sitePipelineName(project.appName, env.name, s.name)),
      ],
    });
    if (env.accountId !== project.accountId) entry.accounts.add(env.accountId);
    byName.set(env.githubEnvironment, entry);
  }
  const arn = (name: string) => `arn:aws:iam::${project.accountId}:role${CI_ROLE_PATH}${name}`;
  return [...byName].map(([githubEnvironment, { stacks, accounts, environments: envs }]) => ({
    githubEnvironment,
    planEnvironment: planEnvironmentName(githubEnvironment),
    stacks,
    accounts: [...accounts].sort(),
    pipelines: envs.flatMap((e) => e.pipelines),
    environments: envs,
    planRoleArn: arn(ciRoleName(project.appName, githubEnvironment, "plan")),
    applyRoleArn: arn(ciRoleName(project.appName, githubEnvironment, "apply")),
    boundaryArn: `arn:aws:iam::${project.accountId}:policy${CI_ROLE_PATH}${ciRoleName(project.appName, githubEnvironment, "boundary")}`,
  }));
}

/**
 * The OIDC subject of a job of `repository` running in GitHub environment `environment` (GitHub
 * docs, "About security hardening with OpenID Connect": `repo:<owner>/<repo>:environment:<name>`).
 */
export function githubEnvironmentSubject(repository: string, environment: string): string {
  return `repo:${repository}:environment:${environment}`;
}

/** The ARNs of an environment's people roles (the ci stack), those its file gives someone to take; of one kind, when named. */
export function peopleRoleArns(project: ProjectConfig, env: EnvironmentConfig, only?: "operator" | "reader"): string[] {
  if (!project.ci || env.preview) return [];
  const kinds = [...(env.people.operators.length ? ["operator" as const] : []), ...(env.people.readers.length ? ["reader" as const] : [])];
  return kinds
    .filter((kind) => !only || kind === only)
    .map((kind) => `arn:aws:iam::${project.accountId}:role${PEOPLE_ROLE_PATH}${peopleRoleName(project.appName, env.name, kind)}`);
}
