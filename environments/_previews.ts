import { definePreviews } from "../modules/config";
import dev from "./dev";

// The template of preview environments: one per branch, created with `npm run preview -- create
// <branch>` (or a pull request labelled "preview"), never committed (docs/previews.md, "Previews").
export default definePreviews({
  // At most this many at once: each has its own load balancer, instances and pipelines.
  maxPreviews: 5,
  // Destroyed by the scheduled workflow this many days after it was created or last updated.
  ttlDays: 7,
  // Previews run the service only (the default): a static site's pipeline would watch the same
  // branch name in the site's own repository, where a feature branch of the service rarely exists.
  staticSites: false,
  environment: {
    tier: "development",
    // Development's network: previews are development environments. (A template with VPC endpoints
    // would be refused: they would serve every environment in the VPC.)
    network: dev.network,
    compute: { maxCapacity: 2 },
    settings: { GREETING: "Hello from a preview", API_BASE_URL: "https://api.dev.example.com" },
    // No secrets: a preview would need each value set (aws secretsmanager put-secret-value) before
    // its first deployment could succeed. Declare them here if your previews need them.
  },
});
