import { defineEnvironment } from "../modules/config";

export default defineEnvironment({
  tier: "production",
  // Its own account, declared in _project.ts (accounts.environments); the pipelines stay in the tooling account.
  accountId: "210987654321",
  network: {
    vpcId: "vpc-0a1b2c3d4e5f60003",
    publicSubnetIds: ["subnet-0a1b2c3d4e5f60051", "subnet-0a1b2c3d4e5f60052", "subnet-0a1b2c3d4e5f60053"],
    privateSubnetIds: ["subnet-0a1b2c3d4e5f60061", "subnet-0a1b2c3d4e5f60062", "subnet-0a1b2c3d4e5f60063"],
  },
  certificateArn: "arn:aws:acm:eu-west-1:210987654321:certificate/66666666-7777-8888-9999-000000000000",
  // The name the certificate covers; a DNS alias record of yours points it at the load balancer.
  hostName: "app.example.com",
  compute: { instanceType: "m7g.large", minCapacity: 3, desiredCapacity: 3, maxCapacity: 9 },
  // The service's artifact is the one that passed staging, or hotfix for a fix (docs/pipelines.md,
  // "Build once, promote"); the storefront bakes API_BASE_URL, so it builds again from that commit.
  pipeline: { promoteFrom: ["staging", "hotfix"], rebuild: ["storefront"] },
  notificationEmails: ["platform-team@example.com", "oncall@example.com"],
  // The storefront on a domain of its own: a production site may not be served on the default
  // *.cloudfront.net certificate (docs/workloads.md, "Give a production site its own domain").
  workloads: {
    storefront: {
      aliases: ["www.example.com"],
      certificateArn: "arn:aws:acm:us-east-1:210987654321:certificate/77777777-8888-9999-0000-111111111111",
    },
  },
  // The GitHub environment (with required reviewers) that gates this stack's deploy in CI.
  githubEnvironment: "production",
  // People (docs/accounts.md, "People"): operations operate, developers read. Roles of the
  // identity account, each able to take the role only if its own policy also allows it.
  people: {
    operators: ["arn:aws:iam::555566667777:role/platform-operators"],
    readers: ["arn:aws:iam::555566667777:role/developers"],
  },
  tags: { CostCenter: "cc-1234", DataClassification: "confidential" },
  settings: { GREETING: "Hello", API_BASE_URL: "https://api.example.com" },
  secrets: ["DATABASE_PASSWORD"],
  buildSettings: ["API_BASE_URL"],
});
