import type { EnvironmentInput, ProjectInput } from "./schema";
import type { PreviewsInput } from "./previews";

export * from "./schema";
export * from "./model";
export * from "./resolve";
export * from "./names";
export { loadConfig, localPreviews, parsePreviewEntry, readLocalEntries, PREVIEWS_DIR, PROJECT_FILE, type PreviewsToLoad } from "./load";
export * from "./previews";
export * from "./ci";
export { TIER_DEFAULTS, type BlueGreenSettings, type Schedule } from "./tiers";
export { architectureOf, isKnownInstanceType, INSTANCE_FAMILIES } from "../lib/instance-types";

/** Typed helper for an environment file: `export default defineEnvironment({...})`. Validated at synth. */
export function defineEnvironment(input: EnvironmentInput): EnvironmentInput {
  return input;
}

/** Typed helper for environments/_project.ts. Validated at synth. */
export function defineProject(input: ProjectInput): ProjectInput {
  return input;
}

/** Typed helper for environments/_previews.ts, the template of preview environments. Validated at synth. */
export function definePreviews(input: PreviewsInput): PreviewsInput {
  return input;
}
