/**
 * The web firewall's modes (docs/security.md, "Web firewall"): its rules block, or only count (a
 * first rollout: what they would block shows in the metrics and logs, nothing is refused), or
 * there is no web ACL at all.
 */
export const FIREWALL_MODES = ["block", "count", "off"] as const;
export type FirewallMode = (typeof FIREWALL_MODES)[number];

/** An environment's web firewall: a WAFv2 web ACL before its load balancer and each static site. */
export interface FirewallSettings {
  readonly mode: FirewallMode;
  /** Requests from one IP address in 5 minutes above which the rate-based rule acts. */
  readonly rateLimit: number;
  /** Requests the web ACL blocks in 5 minutes that raise its alarm. */
  readonly blockedRequestsAlarm: number;
  /** Why the firewall is off where the tier turns it on (production). */
  readonly reason?: string;
}

/** WAF's bounds of a rate-based rule's limit, per evaluation window (AWS WAF developer guide, "Rate-based rule statement"). */
export const RATE_LIMIT_BOUNDS = { min: 10, max: 2_000_000_000 } as const;
