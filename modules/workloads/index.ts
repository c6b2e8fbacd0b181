import type { WorkloadConfig } from "../config";
import { SERVICE } from "./service";
import { CONTAINER } from "./container";
import { STATIC_SITE } from "./static-site";
import type { WorkloadKind } from "./workload";

export { Workload, type WorkloadKind, type WorkloadResult } from "./workload";
export { SharedEnvironment, type EnvironmentContext, type SharedBuild } from "./environment";

/**
 * Every kind of workload, by the `kind` an entry of `workloads` in environments/_project.ts names.
 * Adding a kind: its file here (a Workload and its WorkloadKind), its schema entry
 * (modules/config/schema.ts, ProjectInputSchema's workloads) and its resolved shape
 * (modules/config/model.ts, WorkloadConfig).
 */
export const WORKLOAD_KINDS: { readonly [K in WorkloadConfig["kind"]]: WorkloadKind<Extract<WorkloadConfig, { kind: K }>> } = {
  service: SERVICE,
  container: CONTAINER,
  "static-site": STATIC_SITE,
};
