// Prints the state backend's bucket and region from environments/_project.ts, for shell scripts.
import * as path from "path";
import { ConfigError, loadConfig } from "../modules/config";

try {
  const { stateBackend } = loadConfig(path.join(__dirname, "..", "environments")).project;
  console.log(`${stateBackend.bucket} ${stateBackend.region}`);
} catch (error) {
  console.error(error instanceof ConfigError || error instanceof Error ? error.message : error);
  process.exit(1);
}
