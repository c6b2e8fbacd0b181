/** How a blue/green deployment moves traffic: all of it at once, or in equal steps. */
export const TRAFFIC_SHIFTS = ["all-at-once", "linear"] as const;
export type TrafficShift = (typeof TRAFFIC_SHIFTS)[number];

/** A blue/green deployment's traffic shift and wait (modules/constructs/traffic-switch.ts). */
export interface BlueGreenSettings {
  readonly traffic: TrafficShift;
  /** Linear: the share of traffic each step moves, in percent. */
  readonly stepPercent: number;
  /** Linear: minutes between steps. */
  readonly stepMinutes: number;
  /** Minutes the old fleet stays ready for an instant rollback after the switch. */
  readonly releaseAfterMinutes: number;
}

/**
 * The longest a blue/green shift may take, steps and wait included: the traffic project's build
 * runs that long, and CodeBuild's timeout (and CodePipeline's for a build action) is 8 hours
 * (CodeBuild user guide, "Quotas": build timeout 5-480 minutes in the project's settings). An
 * hour stays for preparing, installing and the API calls themselves.
 */
export const MAX_SHIFT_MINUTES = 420;

/**
 * The weights a blue/green deployment gives the new fleet, step by step, ending at 100: one step
 * for all-at-once, `ceil(100 / stepPercent)` for linear (25 -> 25, 50, 75, 100).
 */
export function trafficSteps(settings: Pick<BlueGreenSettings, "stepPercent">): number[] {
  const count = Math.ceil(100 / settings.stepPercent);
  return Array.from({ length: count }, (_, i) => Math.min(100, (i + 1) * settings.stepPercent));
}

/** Minutes the shift takes: the waits between steps, then the wait before the old fleet goes. */
export function shiftMinutes(settings: BlueGreenSettings): number {
  return (trafficSteps(settings).length - 1) * settings.stepMinutes + settings.releaseAfterMinutes;
}
