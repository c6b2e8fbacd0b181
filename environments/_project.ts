import { defineProject } from "../modules/config";

// Project-wide settings: one application, one AWS account, one state bucket.
// Every field is documented in README.md ("Configuration reference").
export default defineProject({
  appName: "webapp",
  accountId: "123456789012",
  region: "eu-west-1",
  repository: "example-org/webapp",
  // connectionArn: "arn:aws:codestar-connections:eu-west-1:123456789012:connection/<uuid>",
  stateBackend: {
    // Create it once with scripts/create-state-bucket.sh before the first deploy.
    bucket: "webapp-tfstate-123456789012",
  },
  tags: { Owner: "platform-team" },
});
