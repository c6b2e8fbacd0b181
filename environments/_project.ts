import { defineProject } from "../modules/config";

// Project-wide settings: one application, its tooling account (build, state, artifacts, pipelines),
// the accounts its environments run in, and one state bucket.
// Every field is documented in docs/configuration.md ("Configuration reference").
export default defineProject({
  appName: "webapp",
  accountId: "123456789012",
  region: "eu-west-1",
  // Production runs in an account of its own (docs/accounts.md): bootstrapped once with
  // `npx cdktf deploy bootstrap-210987654321`, deployed into through its deploy role, which trusts
  // only these roles of the tooling account.
  accounts: {
    deployers: ["arn:aws:iam::123456789012:role/webapp-deployer"],
    // Read-only plans there (pull requests, the nightly drift check) go through the account's read role.
    planners: ["arn:aws:iam::123456789012:role/webapp-planner"],
    environments: { "210987654321": { cloudTrail: true } },
  },
  // CI on GitHub Actions: the ci stack (`npx cdktf deploy ci`, once, before build) creates GitHub's
  // OIDC provider and a plan role and an apply role per GitHub environment, which only this
  // repository's workflows running in that environment may assume (docs/accounts.md).
  ci: { repository: "example-org/webapp-infra" },
  // What the project deploys: one service (EC2 behind an ALB) and its static frontends
  // (S3 + CloudFront), each from its own repository with its own pipeline per environment.
  workloads: {
    api: { kind: "service", repository: "example-org/webapp" },
    storefront: { kind: "static-site", repository: "example-org/storefront" },
  },
  // connectionArn: "arn:aws:codestar-connections:eu-west-1:123456789012:connection/<uuid>",
  stateBackend: {
    // Create it once with scripts/create-state-bucket.sh before the first deploy.
    bucket: "webapp-tfstate-123456789012",
  },
  tags: { Owner: "platform-team" },
});
