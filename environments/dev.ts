import { defineEnvironment } from "../modules/config";

export default defineEnvironment({
  tier: "development",
  network: {
    vpcId: "vpc-0a1b2c3d4e5f60001",
    publicSubnetIds: ["subnet-0a1b2c3d4e5f60011", "subnet-0a1b2c3d4e5f60012"],
    privateSubnetIds: ["subnet-0a1b2c3d4e5f60021", "subnet-0a1b2c3d4e5f60022"],
  },
  // What the application reads at run time (docs/settings-and-secrets.md, "Settings and secrets"). Settings are plain
  // values; secrets are names only, their values set in Secrets Manager.
  settings: { GREETING: "Hello from dev", API_BASE_URL: "https://api.dev.example.com" },
  secrets: ["DATABASE_PASSWORD"],
  // The static sites' builds bake the API address in.
  buildSettings: ["API_BASE_URL"],
  // In development, developers operate (docs/accounts.md, "People").
  people: { operators: ["arn:aws:iam::555566667777:role/developers"] },
});
