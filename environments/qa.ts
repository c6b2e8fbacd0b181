import { defineEnvironment } from "../modules/config";

export default defineEnvironment({
  tier: "preproduction",
  network: {
    vpcId: "vpc-0a1b2c3d4e5f60001",
    publicSubnetIds: ["subnet-0a1b2c3d4e5f60011", "subnet-0a1b2c3d4e5f60012"],
    privateSubnetIds: ["subnet-0a1b2c3d4e5f60021", "subnet-0a1b2c3d4e5f60022"],
  },
  compute: { desiredCapacity: 1, maxCapacity: 2 },
  // Build once, promote (docs/pipelines.md): the service's artifact is the one that passed dev; the
  // storefront bakes this environment's API_BASE_URL into its files, so it builds again.
  pipeline: { promoteFrom: ["dev"], rebuild: ["storefront"] },
  notificationEmails: ["qa-team@example.com"],
  settings: { GREETING: "Hello from qa", API_BASE_URL: "https://api.qa.example.com" },
  secrets: ["DATABASE_PASSWORD"],
  buildSettings: ["API_BASE_URL"],
});
