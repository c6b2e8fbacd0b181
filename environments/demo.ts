import { defineEnvironment } from "../modules/config";
import qa from "./qa";

// A stable place to show the product (docs/environments.md, "Demo"): small, on demand, changed only after an
// approval, asleep outside office hours, with its own notification list.
export default defineEnvironment({
  tier: "preproduction",
  // Beside qa, in its network.
  network: qa.network,
  compute: { instanceType: "t3.small", minCapacity: 1, desiredCapacity: 1, maxCapacity: 2, spot: false },
  pipeline: { promoteFrom: ["staging"], rebuild: ["storefront"] },
  schedule: { timeZone: "Europe/Paris", days: "MON-FRI", wake: 8, sleep: 19 },
  notificationEmails: ["sales-engineering@example.com"],
  settings: { GREETING: "Welcome to the demo", API_BASE_URL: "https://api.demo.example.com" },
  secrets: ["DATABASE_PASSWORD"],
  buildSettings: ["API_BASE_URL"],
});
