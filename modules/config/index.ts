import type { EnvironmentInput, ProjectInput } from "./schema";

export * from "./schema";
export * from "./resolve";
export * from "./names";
export { loadConfig, PROJECT_FILE } from "./load";
export { TIER_DEFAULTS, type Schedule } from "./tiers";
export { architectureOf, isKnownInstanceType, INSTANCE_FAMILIES } from "./instance-types";

/** Typed helper for an environment file: `export default defineEnvironment({...})`. Validated at synth. */
export function defineEnvironment(input: EnvironmentInput): EnvironmentInput {
  return input;
}

/** Typed helper for environments/_project.ts. Validated at synth. */
export function defineProject(input: ProjectInput): ProjectInput {
  return input;
}
