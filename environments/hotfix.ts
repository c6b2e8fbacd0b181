import { defineEnvironment, TIER_DEFAULTS } from "../modules/config";
import prod from "./prod";

// Where a fix is verified minutes after it is pushed, before it is promoted to production
// (docs/environments.md, "Hotfix"): production's network, instance type, alarms and settings, at a smaller
// scale, started by every push to a hotfix/* branch.
const production = TIER_DEFAULTS.production;

export default defineEnvironment({
  // Not "production": that tier asks for an approval before every deployment, and a hotfix must
  // be testable at once. Production's own approval comes when the fix is promoted.
  tier: "preproduction",
  // Production's network, so production's account.
  accountId: prod.accountId,
  network: prod.network,
  certificateArn: prod.certificateArn,
  // Production's certificate must cover this name too (a wildcard *.example.com, say); a DNS alias
  // record of yours points it at this environment's load balancer.
  hostName: "hotfix.example.com",
  compute: { instanceType: prod.compute?.instanceType, minCapacity: 1, desiredCapacity: 1, maxCapacity: 2, spot: false },
  alarms: {
    http5xxCount: production.http5xxCount,
    unhealthyHosts: production.unhealthyHosts,
    cpuPercent: production.cpuPercent,
    latencyP99Seconds: production.latencyP99Seconds,
    site5xxPercent: production.site5xxPercent,
  },
  pipeline: {
    // Manual starts ("Release change") build this branch; pushes to any hotfix branch start it too.
    branch: "deploy/hotfix",
    triggerBranches: ["deploy/hotfix", "hotfix/**"],
    requireApproval: false,
    notifyOnSuccess: true,
  },
  notificationEmails: prod.notificationEmails,
  settings: prod.settings,
  secrets: prod.secrets,
  buildSettings: prod.buildSettings,
  tags: prod.tags,
});
